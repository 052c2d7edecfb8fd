"""Mapping profiles' rationales in the reader's language: every shipped profile's mappings (those
written in the YAML and those built from IPA's JAMA/JAPIA citations) carry a Japanese rationale,
the crosswalk a profile makes keeps it, and a user's profile without one still loads."""

import re

import pytest
from conftest import make_store

from dashboards.ui.forms import crosswalk_entries
from questionnaires.crosswalks import all_crosswalks, profile_crosswalk
from questionnaires.frameworks import load_profile_text, shipped_profiles
from registry.services import crosswalks as crosswalk_service
from registry.services import profiles as profile_service

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
SHIPPED = ("towa-motors-2025", "minato-semiconductor-2026", "jama-japia-v2-3")
# Codes named in the English that the Japanese names too: criteria, cited items, levels, ★ levels.
CODES = re.compile(r"\d-\d+-\d+-\d+|No\.\d+|Lv\d|★\d")

USER_PROFILE = (
    "name: buyer-x\ntitle_ja: 買い手X\ntitle_en: Buyer X\nframework_id: profile.buyer-x\nversion: '1'\n"
    "fingerprint: [番号, 回答]\ncolumns: {item_id: 番号, answer: 回答}\n"
    "answers: [{label: Y, status: met}, {label: N, status: not_met}]\n"
    "items:\n"
    "  - {id: '1', maps: [{criterion: 4-4-2-1, relationship: equal, strength: 0.8, rationale: same intent}]}\n"
    "  - {id: '2', maps: [{criterion: 4-1-5-1}]}\n"
)


def _is_japanese(text: str | None) -> bool:
    return bool(text and JAPANESE.search(text))


def _mappings(name: str):
    return [(item, m) for item in shipped_profiles()[name].resolved_items() for m in item.maps]


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_mapping_has_a_japanese_rationale(name):
    mappings = _mappings(name)
    assert mappings
    for item, m in mappings:
        assert m.rationale and _is_japanese(m.rationale_ja), (name, item.id, m.criterion, m.rationale_ja)
        assert m.rationale_ja != m.rationale
        assert set(CODES.findall(m.rationale)) == set(CODES.findall(m.rationale_ja)), (name, item.id, m.criterion)


def test_the_counts_of_written_and_built_mappings():
    assert len(_mappings("towa-motors-2025")) == 20
    assert len(_mappings("minato-semiconductor-2026")) == 15
    built = _mappings("jama-japia-v2-3")
    assert len(built) == len(all_crosswalks()["profile.jama-japia-v2-3"].entries) > 100
    item, m = built[0]
    assert f"No.{item.id}" in m.rationale_ja and m.criterion in m.rationale_ja and "自工会/部工会" in m.rationale_ja


@pytest.mark.parametrize("name", SHIPPED)
def test_the_crosswalk_of_each_shipped_profile_carries_the_japanese_rationales(name):
    profile = shipped_profiles()[name]
    crosswalk = profile_crosswalk(profile)
    expected = [(item.id, m.criterion, m.rationale, m.rationale_ja) for item, m in _mappings(name)]
    assert [(e.source, e.target, e.rationale, e.rationale_ja) for e in crosswalk.entries] == expected
    assert all(_is_japanese(e.rationale_ja) for e in crosswalk.entries)
    # the Crosswalks page in Japanese shows them, in English the English ones
    ja = crosswalk_entries(crosswalk, "ja")
    en = crosswalk_entries(crosswalk, "en")
    assert ja["rationale"].to_list() == [e.rationale_ja for e in crosswalk.entries]
    assert en["rationale"].to_list() == [e.rationale for e in crosswalk.entries]


def test_the_registry_serves_the_profile_crosswalks_with_their_japanese_rationales(tmp_path):
    store = make_store(tmp_path / "r.duckdb")
    profiles = profile_service.mapping_profiles(store)
    crosswalks = crosswalk_service.effective_crosswalks(store, profiles)
    for name in SHIPPED:
        assert crosswalks[f"profile.{name}"] == profile_crosswalk(shipped_profiles()[name])
        assert all(_is_japanese(e.rationale_ja) for e in crosswalks[f"profile.{name}"].entries)


def test_a_user_profile_without_japanese_rationales_still_loads(tmp_path):
    profile = load_profile_text(USER_PROFILE, "buyer-x.yaml")
    first, second = (m for item in profile.resolved_items() for m in item.maps)
    assert first.rationale == "same intent" and first.rationale_ja is None
    assert second.rationale is None and second.rationale_ja is None
    entries = profile_crosswalk(profile).entries
    # an English rationale stays the one shown in Japanese too; none at all gets the default in both
    assert (entries[0].rationale, entries[0].rationale_ja) == ("same intent", None)
    assert entries[1].rationale == "mapped in the profile" and _is_japanese(entries[1].rationale_ja)
    ja = crosswalk_entries(profile_crosswalk(profile), "ja")
    assert ja["rationale"][0] == "same intent"
    # and the same file in the profiles folder beside the registry
    store = make_store(tmp_path / "r.duckdb")
    folder = profile_service.profiles_folder(store)
    folder.mkdir()
    (folder / "buyer-x.yaml").write_text(USER_PROFILE, encoding="utf-8")
    assert profile_service.mapping_profiles(store)["buyer-x"] == profile


def test_a_user_profile_may_give_japanese_rationales():
    text = USER_PROFILE.replace("rationale: same intent}", "rationale: same intent, rationale_ja: 趣旨が同じ}")
    profile = load_profile_text(text, "buyer-x.yaml")
    assert profile_crosswalk(profile).entries[0].rationale_ja == "趣旨が同じ"
