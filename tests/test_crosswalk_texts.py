"""Crosswalk texts in the reader's language (issue 17): every shipped entry's rationale and every
crosswalk's description in Japanese as well as English, made by the builder for the generated
crosswalks and written by hand for the others; kept through the editor, Excel and the registry."""

import io
import json
import re
import unicodedata

import openpyxl
import polars as pl
import pytest
from conftest import ADMIN, make_store
from test_pages import open_app

from dashboards.ui.forms import crosswalk_entries, crosswalk_from_rows
from dashboards.ui.text import plain
from importers.base import SourceFile
from importers.crosswalk_excel import parse as parse_excel
from questionnaires import build_crosswalks as builder
from questionnaires.crosswalks import Crosswalk, CrosswalkEntry, shipped_crosswalks
from registry.services import crosswalks as crosswalk_service
from registry.services import profiles as profile_service
from registry.store.settings import save_user_crosswalk

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
SNAKE_CASE = re.compile(r"\b[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+\b")
GENERATED = ("scs-2025-12-to-scs-2026-03-27", "jama-japia-v2.3-to-scs-2026-03-27", "iso27001-2022-to-scs-2026-03-27")
BY_HAND = ("ipa-5min-to-scs-2026-03-27", "security-action-to-scs-2026-03-27")
IPA_5MIN = "ipa-5min-to-scs-2026-03-27"


def _is_japanese(text: str | None) -> bool:
    return bool(text and JAPANESE.search(text) and not SNAKE_CASE.search(text))


# -- the shipped files -------------------------------------------------------------------------


def test_every_shipped_entry_and_description_has_a_japanese_text():
    shipped = shipped_crosswalks()
    assert set(GENERATED + BY_HAND) <= set(shipped)
    counts = {}
    for crosswalk_id in GENERATED + BY_HAND:
        crosswalk = shipped[crosswalk_id]
        assert _is_japanese(crosswalk.description_ja), crosswalk_id
        for entry in crosswalk.entries:
            assert _is_japanese(entry.rationale_ja), (crosswalk_id, entry.source, entry.target, entry.rationale_ja)
            assert entry.rationale_ja != entry.rationale
        counts[crosswalk_id] = len(crosswalk.entries)
    assert sum(counts[c] for c in GENERATED) == 572 and sum(counts[c] for c in BY_HAND) == 38


def test_the_japanese_texts_keep_the_codes_of_the_english():
    """Criterion numbers, cited items and ★ levels named in the English are named in the Japanese."""
    codes = re.compile(r"\d-\d+-\d+-\d+|No\.\d+|Lv\d|★\d|A\.\d+\.\d+|\b\d+\.\d\d\b")
    for crosswalk_id in GENERATED + BY_HAND:
        for entry in shipped_crosswalks()[crosswalk_id].entries:
            assert set(codes.findall(entry.rationale)) == set(codes.findall(entry.rationale_ja or "")), (
                crosswalk_id,
                entry.rationale,
                entry.rationale_ja,
            )


# -- the builder (its patterns only: the official texts are not read here) -------------------------


def test_the_builders_patterns_give_both_languages():
    assert builder.identical_rationale("1-1-1-1", "1-1-1-1") == ("identical text", "文が同じ")
    en, ja = builder.identical_rationale("3-1-5-2", "3-1-5-3")
    assert en == "identical text, renumbered from 3-1-5-2 to 3-1-5-3"
    assert ja == "文が同じ（番号は 3-1-5-2 から 3-1-5-3 に変更）"
    en, ja = builder.changed_rationale(0.9612, "4-1-4-3", "4-1-4-2")
    assert en == (
        "text changed (similarity 0.96, renumbered from 4-1-4-3 to 4-1-4-2); not reviewed for direction, so it "
        "counts as an overlap: a draft ○ is partial evidence, a ✖ none"
    )
    assert ja.startswith("文が変わった（類似度 0.96、番号は 4-1-4-3 から 4-1-4-2 に変更）。") and "「重なる」" in ja
    en, ja = builder.level_moved(builder.reviewed_rationale("why", "理由"), 3, 4)
    assert en == "text changed: why (reviewed); its level moved from ★3 to ★4"
    assert ja == "文が変わった：理由（確認済み）。レベルは ★3 から ★4 に変わった"
    assert builder.jama_japia_rationale(115, "Lv2", "4-4-4-1") == (
        "IPA's catalogue cites No.115 (Lv2) for 4-4-4-1",
        "IPA の評価基準一覧が 4-4-4-1 の参照として自工会/部工会ガイドラインの No.115（Lv2）を引用",
    )
    assert builder.jama_japia_rationale(7, None, "1-1-1-1")[0] == "IPA's catalogue cites No.7 for 1-1-1-1"
    assert _is_japanese(builder.jama_japia_rationale(7, None, "1-1-1-1")[1])
    assert builder.iso27001_rationale("A.5.1", "1-1-1-1") == (
        "IPA's catalogue cites ISO/IEC 27001:2022 A.5.1 for 1-1-1-1",
        "IPA の評価基準一覧が 1-1-1-1 の参照として ISO/IEC 27001:2022 の A.5.1 を引用",
    )
    for draft_id, links in builder.REVIEWED.items():
        for _target, _relationship, _strength, why, why_ja in links:
            assert why and _is_japanese(why_ja), draft_id


def test_the_generated_files_are_what_the_patterns_say():
    """The shipped texts are the builder's: its descriptions, its citation and draft patterns."""
    shipped = shipped_crosswalks()
    for crosswalk_id in GENERATED:
        assert shipped[crosswalk_id].description_ja == builder.DESCRIPTIONS_JA[crosswalk_id]
    for e in shipped["jama-japia-v2.3-to-scs-2026-03-27"].entries:
        assert (e.rationale, e.rationale_ja) == builder.jama_japia_rationale(e.source, e.source_level, e.target)
    for e in shipped["iso27001-2022-to-scs-2026-03-27"].entries:
        assert (e.rationale, e.rationale_ja) == builder.iso27001_rationale(e.source, e.target)
    reviewed = {(draft, link[0]): link for draft, links in builder.REVIEWED.items() for link in links}
    for e in shipped["scs-2025-12-to-scs-2026-03-27"].entries:
        if e.relationship == "equal":
            why = builder.identical_rationale(e.source, e.target)
        elif (e.source, e.target) in reviewed:
            why = builder.reviewed_rationale(*reviewed[e.source, e.target][3:])
        else:
            ratio = float(re.search(r"similarity (\d\.\d\d)", e.rationale).group(1))
            why = builder.changed_rationale(ratio, e.source, e.target)
        moved = re.search(r"; its level moved from ★(\d) to ★(\d)$", e.rationale)
        if moved:
            why = builder.level_moved(why, *moved.groups())
        assert (e.rationale, e.rationale_ja) == why, e


# -- the model and the registry ----------------------------------------------------------------------


def test_an_entry_may_go_without_a_japanese_rationale_but_not_without_an_english_one():
    entry = CrosswalkEntry(source="1", target="4-4-4-1", relationship="subset", strength=0.6, rationale="why")
    assert entry.rationale_ja is None
    with pytest.raises(ValueError, match="rationale"):
        CrosswalkEntry(
            source="1", target="4-4-4-1", relationship="subset", strength=0.6, rationale="", rationale_ja="理由"
        )


def test_a_saved_crosswalk_loads_with_and_without_japanese_texts(tmp_path):
    store = make_store(tmp_path / "r.duckdb")
    profiles = profile_service.mapping_profiles(store)
    shipped = shipped_crosswalks()[IPA_5MIN]
    save_user_crosswalk(store, shipped, actor=ADMIN)
    assert crosswalk_service.effective_crosswalks(store, profiles)[IPA_5MIN] == shipped
    # one saved before the Japanese texts existed: no rationale_ja, no description_ja
    older = shipped.model_dump(mode="json", exclude={"description_ja"})
    for entry in older["entries"]:
        del entry["rationale_ja"]
    with store.transaction(ADMIN) as tx:
        tx.execute(
            "UPDATE user_crosswalk SET json = ? WHERE crosswalk_id = ?",
            [json.dumps(older, ensure_ascii=False), IPA_5MIN],
        )
        tx.audit("save_crosswalk", entity="crosswalk", entity_id=IPA_5MIN, detail={"entries": len(shipped.entries)})
    loaded = crosswalk_service.effective_crosswalks(store, profiles)[IPA_5MIN]
    assert loaded.description_ja is None and all(e.rationale_ja is None for e in loaded.entries)
    assert [e.rationale for e in loaded.entries] == [e.rationale for e in shipped.entries]
    shown = crosswalk_entries(loaded, "ja")  # the English is shown where there is no Japanese
    assert shown["rationale"].to_list() == [e.rationale for e in shipped.entries]


# -- the editor ----------------------------------------------------------------------------------


def _edited(frame: pl.DataFrame, row: int, text: str | None) -> pl.DataFrame:
    return frame.with_columns(
        rationale=pl.when(pl.int_range(pl.len()) == row).then(pl.lit(text)).otherwise(pl.col("rationale"))
    )


def test_the_editor_shows_and_saves_the_readers_language():
    shipped = shipped_crosswalks()[IPA_5MIN]
    profiles = None  # the shipped mapping profiles
    first = shipped.entries[0]
    ja, en = crosswalk_entries(shipped, "ja"), crosswalk_entries(shipped, "en")
    assert ja["rationale"].to_list() == [e.rationale_ja for e in shipped.entries]
    assert en["rationale"].to_list() == [e.rationale for e in shipped.entries]
    # nothing edited: nothing changes, in either language
    assert crosswalk_from_rows(shipped, ja, profiles, "ja") == shipped
    assert crosswalk_from_rows(shipped, en, profiles, "en") == shipped
    # edited in Japanese: the Japanese text changes, the English stays
    saved = crosswalk_from_rows(shipped, _edited(ja, 0, "書き直した根拠"), profiles, "ja").entries[0]
    assert (saved.rationale, saved.rationale_ja) == (first.rationale, "書き直した根拠")
    # edited in English: the reverse
    saved = crosswalk_from_rows(shipped, _edited(en, 0, "rewritten rationale"), profiles, "en").entries[0]
    assert (saved.rationale, saved.rationale_ja) == ("rewritten rationale", first.rationale_ja)
    # a new row typed in Japanese: its text is the English rationale too (every entry needs one)
    new = {"source": "12", "target": "4-1-8-1", "relationship": "intersect", "strength": 0.3}
    added = pl.concat([ja, pl.DataFrame([{**new, "rationale": "施錠保管は入退室管理と重なる"}])], how="diagonal")
    entry = crosswalk_from_rows(shipped, added, profiles, "ja").entries[-1]
    assert (entry.rationale, entry.rationale_ja) == ("施錠保管は入退室管理と重なる",) * 2
    # a new row typed in English has no Japanese text
    added = pl.concat([en, pl.DataFrame([{**new, "rationale": "locking papers away"}])], how="diagonal")
    entry = crosswalk_from_rows(shipped, added, profiles, "en").entries[-1]
    assert (entry.rationale, entry.rationale_ja) == ("locking papers away", None)
    # an entry with no Japanese text, shown in English to a Japanese reader and left as it was
    bare = shipped.model_copy(
        update={"entries": tuple(e.model_copy(update={"rationale_ja": None}) for e in shipped.entries)}
    )
    assert crosswalk_from_rows(bare, crosswalk_entries(bare, "ja"), profiles, "ja") == bare


# -- Excel ----------------------------------------------------------------------------------------


def _nfkc(text: str | None) -> str | None:
    return None if text is None else unicodedata.normalize("NFKC", text)


def test_excel_keeps_the_japanese_texts():
    """Out to Excel and back: rationale_ja and description_ja come back (as every cell, NFKC-folded
    by the reader: full-width brackets come back as ASCII ones)."""
    for crosswalk in shipped_crosswalks().values():
        back = parse_excel(SourceFile(f"{crosswalk.id}.xlsx", crosswalk_service.to_excel(crosswalk)))
        assert back.description_ja == _nfkc(crosswalk.description_ja)
        assert [(e.rationale, e.rationale_ja) for e in back.entries] == [
            (_nfkc(e.rationale), _nfkc(e.rationale_ja)) for e in crosswalk.entries
        ]
        assert [e.model_dump(exclude={"rationale", "rationale_ja"}) for e in back.entries] == [
            e.model_dump(exclude={"rationale", "rationale_ja"}) for e in crosswalk.entries
        ]


def _workbook(crosswalk: Crosswalk) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(crosswalk_service.to_excel(crosswalk)))


def _bytes(wb: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_an_older_sheet_without_the_japanese_texts_still_imports():
    crosswalk = shipped_crosswalks()["security-action-to-scs-2026-03-27"]
    wb = _workbook(crosswalk)
    ws = wb["crosswalk"]
    assert ws["A9"].value == "description_ja" and ws["G10"].value == "rationale_ja" and ws["A11"].value == "star1"
    ws.delete_cols(7)  # as exported before: six columns, eight identity rows and a blank one
    ws["A9"], ws["B9"] = None, None
    back = parse_excel(SourceFile("old.xlsx", _bytes(wb)))
    assert back.description_ja is None and all(e.rationale_ja is None for e in back.entries)
    assert [e.rationale for e in back.entries] == [e.rationale for e in crosswalk.entries]


def test_a_row_written_in_japanese_only_takes_it_as_its_rationale():
    crosswalk = shipped_crosswalks()["security-action-to-scs-2026-03-27"]
    wb = _workbook(crosswalk)
    ws = wb["crosswalk"]
    ws["E11"] = None
    back = parse_excel(SourceFile("ja.xlsx", _bytes(wb)))
    first = back.entries[0]
    assert first.rationale == first.rationale_ja == _nfkc(crosswalk.entries[0].rationale_ja)


# -- the page ------------------------------------------------------------------------------------


def _editor(at):
    [editor] = [d for d in at.dataframe if d.proto.editing_mode]
    return editor


def test_the_crosswalks_page_speaks_the_readers_language(monkeypatch, tmp_path):
    at = open_app(monkeypatch, tmp_path / "page.duckdb")
    at.switch_page("dashboards/pages/crosswalks.py").run()
    assert not at.exception, at.exception
    for crosswalk_id in GENERATED + BY_HAND:
        at.selectbox(key="crosswalk_choice").set_value(crosswalk_id).run()
        assert not at.exception
        crosswalk = shipped_crosswalks()[crosswalk_id]
        shown = _editor(at).value["rationale"].tolist()
        assert shown == [e.rationale_ja for e in crosswalk.entries], crosswalk_id
        assert all(_is_japanese(text) for text in shown)
        hidden = json.loads(_editor(at).proto.columns)
        assert hidden["stored_rationale"] == {"hidden": True} and hidden["stored_rationale_ja"] == {"hidden": True}
        descriptions = [m.value for m in at.markdown]
        assert plain(crosswalk.description_ja) in descriptions, crosswalk_id
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    crosswalk = shipped_crosswalks()[BY_HAND[1]]
    assert _editor(at).value["rationale"].tolist() == [e.rationale for e in crosswalk.entries]
    assert plain(crosswalk.description) in [m.value for m in at.markdown]
