"""The mapping assistant on the Crosswalks page (issue 20) under AppTest: a checklist no profile
knows is read, its layout shown and corrected, criteria proposed and reviewed a page at a time,
accepted in bulk above a confidence, saved as a profile (refused, row named, when an edit cannot
be saved) and its answers imported for the chosen supplier; a file without questions is refused;
viewers propose but do not save; both languages, never "None" or a code word."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import polars as pl
import pytest
from conftest import ADMIN, make_store
from streamlit.testing.v1 import AppTest  # noqa: TID251 (the page under test)
from streamlit.testing.v1.errors import AppTestError  # noqa: TID251
from support import samples
from test_pages import open_app

from dashboards.i18n import t
from dashboards.ui import mapping as review_ui
from registry import access
from registry.services import mapping
from registry.services import profiles as profile_service
from registry.services.intake import SourceFile

PAGE = "dashboards/pages/crosswalks.py"
EVALUATION = Path(__file__).resolve().parent / "data" / "mapping" / "evaluation.csv"
QUESTIONS = pl.read_csv(EVALUATION).filter(pl.col("lang") == "ja")["question"].head(30).to_list()
ANSWERS = (["はい", "いいえ", "一部"] * 10)[: len(QUESTIONS)]
SUPPLIER = "S000004"
PASSWORDS = {"bob": "buyer-pass-123", "vera": "viewer-pass-12"}
FIRST_ROW = 5  # the sample's header is on row 4: the first question is on row 5


@pytest.fixture
def store(tmp_path: Path):
    store = make_store(tmp_path / "r.duckdb", suppliers=12, seed=3)
    access.add_user(store, "bob", "buyer", ADMIN, password=PASSWORDS["bob"])
    access.add_user(store, "vera", "viewer", ADMIN, password=PASSWORDS["vera"])
    return store


# the buyer's checklist (made once: a workbook's bytes carry the time it was made)
WORKBOOK = samples.unknown_checklist_workbook(QUESTIONS, answers=ANSWERS, supplier=("取引先コード", SUPPLIER))


def crosswalks_page(monkeypatch, store, user: str = "bob", lang: str = "ja") -> AppTest:
    """The Crosswalks page, signed in as ``user`` (an account), in ``lang``."""
    at = open_app(monkeypatch, store.path, single_user=False)
    at.text_input(key="signin_user").set_value(user)
    at.text_input(key="signin_password").set_value(PASSWORDS[user])
    at.button[0].click().run()
    if lang != "ja":
        at.sidebar.radio(key="lang").set_value(lang).run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def ran(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="mapping_file").upload(name, data, "application/octet-stream")
    return ran(at)


def propose(at: AppTest) -> AppTest:
    at.button(key="mapping_propose").click()
    return ran(at)


def review_editor(at: AppTest):
    [editor] = [e for e in at.data_editor if (e.key or "").startswith("mapping_editor.")]
    return editor


def edit(at: AppTest, edited: dict[int, dict[str, str]]) -> AppTest:
    """Edit cells of the review as the browser sends them (rows by their place on the page)."""
    at.session_state[review_editor(at).key] = {"edited_rows": edited, "added_rows": [], "deleted_rows": []}
    return ran(at)


def review(at: AppTest, data: bytes) -> pl.DataFrame:
    """The whole review the page keeps for the uploaded file (its bytes)."""
    return at.session_state[f"mapping.{SourceFile('any', data).sha256[:16]}.review"][1]


def widget(at: AppTest, kind: str, prefix: str):
    """The one widget of ``kind`` whose key starts with ``prefix`` (the rest names the file)."""
    [found] = [w for w in at.get(kind) if (w.key or "").startswith(prefix)]
    return found


def shown_text(at: AppTest) -> str:
    """What the page says: titles, captions, boxes, metrics, labels and option labels, and the cells
    of the tables that are not editors (escaping for Markdown removed)."""
    parts = [
        *(e.value for kind in ("title", "header", "subheader", "caption", "markdown") for e in at.get(kind)),
        *(e.value for e in [*at.success, *at.error, *at.warning, *at.info]),
        *(f"{m.label} {m.value}" for m in at.metric),
        *(b.label for b in at.button),
        *(w.label for w in [*at.selectbox, *at.number_input, *at.text_input, *at.checkbox]),
        *(str(o) for s in at.selectbox for o in s.options),
    ]
    for frame in at.dataframe:
        if frame.proto.editing_mode:
            for column in json.loads(frame.proto.columns).values():
                parts.append(str(column.get("label", "")))
                parts += [o["label"] for o in column.get("type_config", {}).get("options", []) if "label" in o]
        else:
            parts += [str(v) for column in frame.value for v in frame.value[column]]
    return " ".join(str(p) for p in parts).replace("\\", "")


def test_a_checklist_is_read_and_criteria_are_proposed_for_its_questions(monkeypatch, store):
    at = upload(crosswalks_page(monkeypatch, store), "minami.xlsx", WORKBOOK)
    assert t("crosswalks.map.layout", "ja") in [s.value for s in at.subheader]
    # the guessed layout, each part a choice the person may correct
    assert widget(at, "number_input", "mapping_header.").value == FIRST_ROW - 1
    assert widget(at, "selectbox", "mapping_question.").value == 1
    assert widget(at, "selectbox", "mapping_item_id.").value == 0
    assert widget(at, "selectbox", "mapping_answer.").value == 2
    preview = next(d.value for d in at.dataframe if not d.proto.editing_mode and "question" in d.value)
    read = [unicodedata.normalize("NFKC", q) for q in QUESTIONS[:10]]  # the reader folds full-width forms
    assert preview["question"].tolist() == read and preview["item_id"].tolist()[0] == "Q-001"
    assert f"質問 {len(QUESTIONS)} 問" in shown_text(at)

    at = propose(at)
    shown = review_editor(at).value
    assert shown["row"].tolist() == list(range(FIRST_ROW, FIRST_ROW + len(QUESTIONS)))
    assert set(shown["decision"]) == {"unreviewed"}
    proposed = shown[shown["proposals"] != ""]
    assert len(proposed) >= len(QUESTIONS) * 0.8  # most questions get a proposal
    assert all(re.match(r"\d-\d-\d-\d+ \(\d\.\d\d\)", p) for p in proposed["proposals"])
    assert (proposed["criterion"] == proposed["proposals"].str.split(" ").str[0]).all()  # the first proposal
    counts = {m.label.replace("\\", ""): m.value for m in at.metric}
    kept = review(at, WORKBOOK)
    assert counts["質問"] == str(len(QUESTIONS))
    assert counts["提案あり"] == str(kept.filter(pl.col("options").list.len() > 0).height)
    above = kept.filter((pl.col("options").list.len() > 0) & (pl.col("confidence") >= mapping.AUTO_ACCEPT)).height
    assert counts[f"確信度 {mapping.AUTO_ACCEPT:.2f} 以上"] == str(above)


def test_bulk_accept_takes_the_unreviewed_proposals_at_or_above_the_score(monkeypatch, store):
    at = propose(upload(crosswalks_page(monkeypatch, store), "minami.xlsx", WORKBOOK))
    at = edit(at, {0: {"decision": "rejected"}})  # a person's decision stays
    score = 0.05
    widget(at, "number_input", "mapping_score.").set_value(score)
    at.button(key="mapping_accept").click()
    at = ran(at)
    after = review(at, WORKBOOK)
    expected = (
        after.filter(pl.col("row") != FIRST_ROW)
        .filter(pl.col("criterion").is_not_null() & (pl.col("confidence") >= score))["row"]
        .to_list()
    )
    assert expected, "some proposals should reach the score"
    assert after.filter(pl.col("decision") == "accepted")["row"].to_list() == expected
    assert after.filter(pl.col("row") == FIRST_ROW)["decision"].item() == "rejected"
    assert t("crosswalks.map.accepted", "ja", n=len(expected)) in [s.value for s in at.success]
    assert set(review_editor(at).value.query("row in @expected")["decision"]) == {"accepted"}  # shown afresh


def test_an_edit_that_cannot_be_saved_is_refused_with_its_row_and_nothing_is_saved(monkeypatch, store):
    at = propose(upload(crosswalks_page(monkeypatch, store), "minami.xlsx", WORKBOOK))
    at = edit(at, {1: {"criterion": "9-9-9-9"}})
    row = FIRST_ROW + 1
    assert review(at, WORKBOOK).filter(pl.col("row") == row)["decision"].item() == "changed"  # a person's choice
    at.button(key="mapping_save").click()
    at = ran(at)
    errors = [e.value.replace("\\", "") for e in at.error]
    assert errors == [t("mapping.unknown_criterion", "ja", row=row, criterion="9-9-9-9")], errors
    assert "minami" not in profile_service.mapping_profiles(store)
    assert mapping.learned_phrases(store).is_empty()
    assert not at.success


def test_saving_stores_the_profile_and_imports_the_answers_for_the_supplier(monkeypatch, store):
    at = propose(upload(crosswalks_page(monkeypatch, store), "minami.xlsx", WORKBOOK))
    at.button(key="mapping_accept").click()
    at = ran(at)
    at = edit(at, {2: {"criterion": "4-4-5-1"}})  # a criterion chosen by hand
    taken = review(at, WORKBOOK).filter(pl.col("decision").is_in(["accepted", "changed"]))
    assert taken.height >= 2 and "changed" in taken["decision"].to_list()
    answers = widget(at, "data_editor", "mapping_answers.")
    assert answers.value.to_dict("list") == {
        "label": ["はい", "いいえ", "一部"],
        "status": ["met", "not_met", "partial"],
    }
    at.session_state[answers.key] = {"edited_rows": {2: {"status": "not_met"}}, "added_rows": [], "deleted_rows": []}
    at.text_input(key="mapping_supplier.search").set_value(SUPPLIER)
    at = ran(at)
    before = store.scalar("SELECT count(*) FROM submission WHERE supplier_id = ? AND format <> 'demo'", [SUPPLIER])
    at.button(key="mapping_save").click()
    at = ran(at)
    assert not at.error, [e.value for e in at.error]

    profile = profile_service.mapping_profiles(store)["minami"]
    maps = {item.id: [m.criterion for m in item.maps] for item in profile.items if item.maps}
    assert maps["Q-003"] == ["4-4-5-1"] and len(maps) == taken.height
    assert {a.label: a.status for a in profile.answers} == {"はい": "met", "いいえ": "not_met", "一部": "not_met"}
    said = [s.value.replace("\\", "") for s in at.success]
    assert any(s.startswith("プロファイル「minami」を保存しました") for s in said), said
    assert t("import.done", "ja", imported=1, total=1) in said
    after = store.scalar("SELECT count(*) FROM submission WHERE supplier_id = ? AND format <> 'demo'", [SUPPLIER])
    assert after == before + 1
    # the new profile is a crosswalk of the page's list, and is shown
    assert at.selectbox(key="crosswalk_choice").value == "profile.minami"
    # what changed for the supplier, and the learned phrases (kept as data, downloadable)
    changes = next(d.value for d in at.dataframe if not d.proto.editing_mode and "star3_change" in d.value)
    assert changes["supplier_id"].tolist() == [SUPPLIER]
    learned = mapping.learned_phrases(store)
    assert learned.height == taken.height
    assert f"{learned.height:,} 件" in shown_text(at)
    download = next(b for b in at.get("download_button") if "CSV" in b.proto.label)
    assert not download.proto.disabled


def test_the_person_corrects_the_layout_and_a_profile_without_ids_is_refused(monkeypatch, store):
    at = upload(crosswalks_page(monkeypatch, store), "minami.xlsx", WORKBOOK)
    widget(at, "selectbox", "mapping_item_id.").set_value(-1)  # （なし）
    at = ran(at)
    assert widget(at, "selectbox", "mapping_item_id.").format_func(-1) == "（なし）"
    preview = next(d.value for d in at.dataframe if not d.proto.editing_mode and "question" in d.value)
    assert set(preview["item_id"]) == {"—"}  # never "None"
    at = propose(at)
    at.button(key="mapping_accept").click()
    at = ran(at)
    at.button(key="mapping_save").click()
    at = ran(at)
    assert [e.value for e in at.error] == [t("mapping.needs_id_column", "ja")]
    assert "minami" not in profile_service.mapping_profiles(store)
    # the ID column chosen again: the decisions stay, the IDs come back, and it saves
    widget(at, "selectbox", "mapping_item_id.").set_value(0)
    at = ran(at)
    assert review(at, WORKBOOK)["item_id"][0] == "Q-001"
    assert review(at, WORKBOOK)["decision"].to_list().count("accepted") > 0
    at.button(key="mapping_save").click()
    at = ran(at)
    assert "minami" in profile_service.mapping_profiles(store)
    # no supplier chosen: the profile reads the file's own 取引先コード line (its title block)
    assert store.scalar("SELECT count(*) FROM submission WHERE framework_id = 'profile.minami'") == 1


def test_a_checklist_without_a_column_of_questions_is_refused_with_the_reason(monkeypatch, store):
    codes = "番号,回答\r\n1,はい\r\n2,いいえ\r\n3,はい\r\n".encode("cp932")
    at = upload(crosswalks_page(monkeypatch, store), "codes.csv", codes)
    said = [e.value.replace("\\", "") for e in at.error]
    assert len(said) == 1 and t("mapping.no_text_column", "ja") in said[0], said
    assert not [b for b in at.button if b.key == "mapping_propose"]


def test_a_csv_checklist_is_proposed_too(monkeypatch, store):
    data = samples.unknown_checklist_csv(QUESTIONS[:8], answers=ANSWERS[:8])
    at = propose(upload(crosswalks_page(monkeypatch, store), "checklist.csv", data))
    assert not [w for w in at.selectbox if (w.key or "").startswith("mapping_sheet.")]  # a CSV has no sheets
    shown = review_editor(at).value
    assert shown["item_id"].tolist() == [str(n) for n in range(1, 9)]
    assert (shown["proposals"] != "").sum() >= 6


def test_a_viewer_may_propose_but_not_save(monkeypatch, store):
    at = propose(upload(crosswalks_page(monkeypatch, store, user="vera"), "minami.xlsx", WORKBOOK))
    assert not review_editor(at).value.empty
    save = at.button(key="mapping_save")
    assert save.proto.disabled
    assert t("crosswalks.map.save.viewer", "ja") in [c.value for c in at.caption]
    with pytest.raises(AppTestError, match="disabled"):  # a browser cannot press it either
        save.click()
    assert "minami" not in profile_service.mapping_profiles(store)


def test_a_long_checklist_is_reviewed_a_page_at_a_time_and_edits_land_on_their_row(monkeypatch, store):
    questions = [f"{q}（{n}）" for n in range(170) for q in QUESTIONS][:5000]
    data = samples.unknown_checklist_workbook(questions, answers=["はい"] * len(questions))
    at = propose(upload(crosswalks_page(monkeypatch, store), "long.xlsx", data))
    assert review_editor(at).value.shape[0] == review_ui.PAGE_ROWS
    assert widget(at, "number_input", "mapping_page.").proto.max == 5000 // review_ui.PAGE_ROWS
    widget(at, "number_input", "mapping_page.").set_value(3)
    at = ran(at)
    shown = review_editor(at).value
    third = FIRST_ROW + 2 * review_ui.PAGE_ROWS
    assert shown["row"].tolist()[0] == third
    at = edit(at, {4: {"decision": "rejected"}})
    kept = review(at, data)
    assert kept.height == 5000
    assert kept.filter(pl.col("decision") == "rejected")["row"].to_list() == [third + 4]
    # "unreviewed only": the rejected row leaves the list
    at.checkbox(key="mapping_unreviewed").check()
    at = ran(at)
    assert third + 4 not in review_editor(at).value["row"].tolist()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_assistant_reads_in_both_languages_without_none_or_code_words(monkeypatch, store, lang):
    at = propose(upload(crosswalks_page(monkeypatch, store, lang=lang), "minami.xlsx", WORKBOOK))
    at.button(key="mapping_accept").click()
    at = ran(at)
    at.text_input(key="mapping_supplier.search").set_value(SUPPLIER)
    at = ran(at)
    at.button(key="mapping_save").click()
    at = ran(at)
    text = shown_text(at)
    assert t("crosswalks.map.title", lang) in text
    for key in ("crosswalks.map.decision.accepted", "relationship.subset", "status.not_met"):
        assert t(key, lang) in text, key
    words = set(re.findall(r"[A-Za-z_]+", text))
    assert not words & {"None", "nan", "NaN", "null"}
    assert not {w for w in words if "_" in w}, "code words (not_met, not_applicable…) shown"
    if lang == "ja":  # the codes of decisions and relationships read as words
        assert not words & {"unreviewed", "accepted", "changed", "rejected", "equal", "subset", "superset", "intersect"}
    for frame in at.dataframe:
        if frame.proto.editing_mode:
            assert frame.proto.placeholder == "—"  # a question without proposal shows "—"
        else:
            assert not frame.value.select_dtypes(exclude="float").isna().any().any()
    if lang == "en":
        assert "Map an unknown checklist" in text and "Save the profile and import the answers" in text
        assert not re.search(r"[\u3040-\u30ff]", "".join(b.label for b in at.button))


def test_edits_merge_into_the_whole_review_by_row():
    """A page's edits reach their rows; a criterion other than the first proposal makes the
    decision "changed" and takes that proposal's relationship; the others stay as they were."""
    options = [
        {"criterion": "4-1-5-1", "score": 0.6, "relationship": "equal", "matched": ["x"], "learned": False},
        {"criterion": "4-1-5-2", "score": 0.4, "relationship": "superset", "matched": ["x"], "learned": False},
    ]
    review = pl.DataFrame(
        [
            {
                "row": row,
                "item_id": f"Q{row}",
                "question": f"question {row}",
                "answer": None,
                "proposals": "4-1-5-1 (0.60) / 4-1-5-2 (0.40)",
                "options": options,
                "confidence": 0.3,
                "score": 0.6,
                "matched": "x",
                "learned": False,
                "criterion": "4-1-5-1",
                "relationship": "equal",
                "decision": decision,
            }
            for row, decision in ((10, "unreviewed"), (11, "accepted"), (12, "rejected"), (13, "unreviewed"))
        ],
        schema=mapping.REVIEW_SCHEMA,
    )
    page = review_ui.page_rows(review.filter(pl.col("row") >= 11), 1).with_columns(
        criterion=pl.Series(["4-1-5-2", "4-1-5-2", "4-1-5-1"]),
        decision=pl.Series(["accepted", "rejected", "accepted"]),
    )
    merged = review_ui.merged(review, page.to_pandas())
    assert merged.select("row", "criterion", "relationship", "decision").rows() == [
        (10, "4-1-5-1", "equal", "unreviewed"),
        (11, "4-1-5-2", "superset", "changed"),
        (12, "4-1-5-2", "superset", "rejected"),
        (13, "4-1-5-1", "equal", "accepted"),
    ]
    assert review_ui.merged(review, review_ui.page_rows(review, 1)).equals(review)  # nothing edited
