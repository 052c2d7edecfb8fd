import json
import re
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from questionnaires import catalogue as catalogue_module
from questionnaires.build_scs import parse_ce, parse_gov, parse_iso, parse_jama, split_draft_references
from questionnaires.catalogue import CatalogueDataError, available_versions, load_catalogue, load_criterion_summaries
from questionnaires.schema import text_fingerprint
from registry.services.catalogue import catalogue_json, catalogue_table, version_differences

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def test_every_shipped_data_file_validates():
    assert available_versions() == ["2026-03-27", "2025-12"]
    for version in available_versions():
        load_catalogue(version)


def test_final_catalogue_counts():
    cat = load_catalogue("2026-03-27")
    assert cat.data.status == "final"
    assert len(cat.data.categories) == 7
    assert [c.csf_function for c in cat.data.categories] == ["GV", "GV", "ID", "PR", "DE", "RS", "RC"]
    assert [c.name_ja for c in cat.data.categories] == [
        "ガバナンスの整備",
        "取引先管理",
        "リスクの特定",
        "攻撃等の防御",
        "攻撃等の検知",
        "インシデントへの対応",
        "インシデントからの復旧",
    ]
    subcategories = {s.id: s.name_ja for s in cat.data.subcategories}
    assert len(subcategories) == 16
    assert subcategories["2-1"] == "サイバーセキュリティサプライチェーンリスクマネジメント"
    assert subcategories["4-5"] == "技術インフラのレジリエンス"
    assert len(cat.requirements_at(3)) == 26
    assert len(cat.requirements_at(4)) == len(cat.requirements) == 43
    assert len(cat.criteria_at(3)) == 81
    assert len(cat.criteria_at(4)) == len(cat.criteria) == 153
    assert len([c for c in cat.criteria if c.level == 4]) == 72


def test_draft_catalogue_counts():
    cat = load_catalogue("2025-12")
    assert cat.data.status == "draft"
    assert (len(cat.requirements_at(3)), len(cat.requirements)) == (26, 44)
    assert (len(cat.criteria_at(3)), len(cat.criteria)) == (83, 157)


def test_draft_to_final_differences():
    diff = version_differences(load_catalogue("2025-12"), load_catalogue("2026-03-27"))
    assert diff.removed_requirements == ["4-5-2"]
    assert diff.added_requirements == []
    assert diff.renamed_requirements == {
        "1-3-1": ("セキュリティポリシーの策定", "セキュリティ対応方針の策定"),
        "3-1-1": ("ハードウェア、OS及びソフトウェアの把握", "情報機器、OS及びソフトウェアに関する情報の把握"),
        "3-1-2": ("ネットワークの一覧作成", "ネットワークに関する情報の把握"),
        "4-2-1": ("セキュリティの意識向上教育", "セキュリティの意識向上のための教育・研修"),
        "4-3-2": ("重要データの保管ルール", "データの保管ルール"),
        "4-4-1": ("ハードウェア、OS及びソフトウェアの安全な構成", "情報機器、OS及びソフトウェアの安全な構成"),
        "5-1-2": ("ハードウェア及びソフトウェアの挙動監視", "情報機器及びソフトウェアの挙動監視"),
        "5-2-1": ("セキュリティインシデントの対象範囲", "セキュリティインシデントのレベルごとの対象範囲"),
    }
    assert "4-5-2-1" in diff.removed_criteria
    assert diff.added_criteria == ["3-1-5-3", "4-1-5-5"]
    assert diff.level_changes == {"4-4-4-3": (3, 4)}


def test_criterion_citations_are_structured():
    crit = {c.id: c for c in load_catalogue().criteria}
    first = crit["1-1-1-1"]
    assert first.level == 4 and first.csf_function == "GV"
    assert first.citations.iso27001 == ("4.1", "4.2", "A.5.31")
    assert [(j.item, j.level) for j in first.citations.jama_japia] == [(9, "Lv1"), (10, "Lv2")]
    assert first.citations.gov_unified == ("1.1(4)", "2.1.3")
    assert crit["4-1-2-2"].citations.cyber_essentials == ("A7.6",)
    assert any(crit_.citations.cmmc for crit_ in crit.values())


def test_every_requirement_has_our_summary_in_both_languages():
    cat = load_catalogue()
    for req in cat.requirements:
        assert cat.summaries[req.id].ja and cat.summaries[req.id].en


def test_every_criterion_of_the_final_catalogue_has_our_summary_in_both_languages():
    cat = load_catalogue("2026-03-27")
    assert list(cat.criterion_summaries) == [c.id for c in cat.criteria]  # all 153, in order, none extra
    for crit_id, summary in cat.criterion_summaries.items():
        # one short sentence of our own: IPA's criteria are longer, bulleted and end in 「…こと。」
        assert 20 <= len(summary.ja) <= 60, crit_id
        assert JAPANESE.search(summary.ja) and summary.ja.endswith("。"), crit_id
        assert not summary.ja.startswith("・") and not summary.ja.endswith("こと。"), crit_id
        assert 8 <= len(summary.en.split()) <= 25 and summary.en.isascii() and summary.en.endswith("."), crit_id
        assert not JAPANESE.search(summary.en), crit_id
        assert text_fingerprint(summary.ja) not in {c.text_sha256 for c in cat.criteria}, crit_id


def test_sibling_criteria_have_summaries_of_their_own():
    cat = load_catalogue("2026-03-27")
    by_requirement: dict[str, list[str]] = defaultdict(list)
    for crit in cat.criteria:
        by_requirement[crit.requirement_id].append(crit.id)
    for req_id, crit_ids in by_requirement.items():
        for lang in ("ja", "en"):
            texts = [cat.criterion_summary(c, lang) for c in crit_ids]
            assert len(set(texts)) == len(texts), (req_id, lang)
            if len(crit_ids) == 1:
                continue
            assert cat.summaries[req_id].ja not in texts and cat.summaries[req_id].en not in texts, req_id
    assert len({s.ja for s in cat.criterion_summaries.values()}) == len(cat.criteria)
    assert len({s.en for s in cat.criterion_summaries.values()}) == len(cat.criteria)


def test_criterion_summary_accessor():
    cat = load_catalogue()
    assert "バックアップ" in cat.criterion_summary("4-3-4-2") and "遠隔地" in cat.criterion_summary("4-3-4-2", "ja")
    assert "multi-factor" in cat.criterion_summary("4-1-3-2", "en")
    assert load_criterion_summaries() == cat.criterion_summaries
    with pytest.raises(KeyError, match="9-9-9-9"):
        cat.criterion_summary("9-9-9-9")
    # the draft numbers its criteria differently: it has no criterion summaries of its own and
    # shows the requirement's summary instead
    draft = load_catalogue("2025-12")
    assert draft.criterion_summaries == {} and load_criterion_summaries("2025-12") == {}
    assert draft.criterion_summary("1-1-1-1", "en") == draft.summaries["1-1-1"].en


def _edit_summaries(data_dir: Path, edit) -> None:
    path = data_dir / "summaries.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def data_dir_copy(tmp_path: Path) -> Path:
    target = tmp_path / "scs"
    shutil.copytree(catalogue_module.DATA_DIR, target)
    return target


def test_a_missing_or_extra_criterion_summary_is_an_error(data_dir_copy: Path):
    _edit_summaries(data_dir_copy, lambda d: d["criteria"].pop("4-3-4-2"))
    with pytest.raises(CatalogueDataError, match="no summary for criteria 4-3-4-2"):
        load_catalogue("2026-03-27", data_dir_copy)
    load_catalogue("2025-12", data_dir_copy)  # the draft does not use them
    _edit_summaries(
        data_dir_copy,
        lambda d: d["criteria"].update(
            {
                "4-3-4-2": {
                    "ja": "バックアップを遠隔地にも保存している。",
                    "en": "Backups are also kept at a remote site.",
                },
                "4-5-2-1": d["criteria"]["4-5-1-1"],
            }
        ),
    )
    with pytest.raises(CatalogueDataError, match="not in catalogue 2026-03-27: 4-5-2-1"):
        load_catalogue("2026-03-27", data_dir_copy)


def test_a_criterion_summary_in_the_wrong_language_is_an_error(data_dir_copy: Path):
    _edit_summaries(data_dir_copy, lambda d: d["criteria"]["1-1-1-1"].update(ja="Company rules exist."))
    with pytest.raises(CatalogueDataError, match=r"criteria\.1-1-1-1\.ja"):
        load_catalogue("2026-03-27", data_dir_copy)
    _edit_summaries(
        data_dir_copy,
        lambda d: d["criteria"]["1-1-1-1"].update(
            ja="関係法令を踏まえて社内ルールを定めている。", en="社内ルールを定めています。"
        ),
    )
    with pytest.raises(CatalogueDataError, match=r"criteria\.1-1-1-1\.en"):
        load_catalogue("2026-03-27", data_dir_copy)


def test_a_criterion_summary_that_is_the_official_sentence_is_refused(data_dir_copy: Path):
    # no official text in the tests: make the catalogue's fingerprint of 4-3-4-3 match our summary,
    # as if the summary were IPA's sentence
    summary = json.loads((data_dir_copy / "summaries.json").read_text(encoding="utf-8"))["criteria"]["4-3-4-3"]["ja"]
    path = data_dir_copy / "2026-03-27" / "catalogue.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    next(c for c in data["criteria"] if c["id"] == "4-3-4-3")["text_sha256"] = text_fingerprint(summary)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CatalogueDataError, match="4-3-4-3 are official sentences"):
        load_catalogue("2026-03-27", data_dir_copy)


def test_catalogue_json_and_table():
    cat = load_catalogue()
    doc = catalogue_json(cat)
    assert doc["counts"] == {
        "categories": 7,
        "requirements": 43,
        "requirements_star3": 26,
        "criteria": 153,
        "criteria_star3": 81,
    }
    assert doc["criteria"][0]["urn"] == "scs:2026-03-27:1-1-1-1"
    assert catalogue_table(cat, level=3).height == 81
    assert catalogue_table(cat, level=4).height == 153
    assert set(catalogue_table(cat, categories=[4])["category_no"].to_list()) == {4}


def test_citation_parsers():
    assert parse_iso("A.5.11,\nA 7.14,\nA 8.10") == ["A.5.11", "A.7.14", "A.8.10"]
    assert parse_iso("A.5.10, A.5.12  A.5.13") == ["A.5.10", "A.5.12", "A.5.13"]
    assert parse_ce("A7.14 - A7.17") == ["A7.14", "A7.15", "A7.16", "A7.17"]
    assert parse_ce("A.2.8") == ["A2.8"]
    assert parse_gov("3.1.1(7), 5.2.4(1), 6.1.1(3),") == ["3.1.1(7)", "5.2.4(1)", "6.1.1(3)"]
    assert parse_jama("No.28, No.29, No.30\u3000(LV1)") == [{"item": n, "level": "Lv1"} for n in (28, 29, 30)]
    assert parse_jama("No.53 (LV2),\nNo.120\u3000(LV3)") == [
        {"item": 53, "level": "Lv2"},
        {"item": 120, "level": "Lv3"},
    ]
    assert parse_jama("No.98, 102 (LV2)") == [{"item": 98, "level": "Lv2"}, {"item": 102, "level": "Lv2"}]
    parts = split_draft_references("CE A2.10.\nISO/IEC 27001:2022 5.3, A.5.2\n自動車GL No.15 (LV1)")
    assert parts == {"cyber_essentials": " A2.10.", "iso27001": " 5.3, A.5.2", "jama_japia": " No.15 (LV1)"}


@pytest.fixture
def broken_data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "scs"
    shutil.copytree(catalogue_module.DATA_DIR, target)
    path = target / "2026-03-27" / "catalogue.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["criteria"][0]["level"] = 5
    data["criteria"][1]["requirement_id"] = "9-9-9"
    data["surprise"] = True
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return target


def test_a_data_file_that_fails_its_schema_is_named(broken_data_dir: Path):
    with pytest.raises(CatalogueDataError) as err:
        load_catalogue("2026-03-27", broken_data_dir)
    message = str(err.value)
    assert "catalogue.json" in message and "criteria.0.level" in message and "surprise" in message


def test_unknown_version_is_a_clear_error():
    with pytest.raises(CatalogueDataError, match="no catalogue version '2030-01'"):
        load_catalogue("2030-01")
