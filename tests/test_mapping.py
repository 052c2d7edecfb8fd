"""The mapping assistant: Japanese and English analysis, the synonym list, the layout of unknown
checklists, proposals measured on the evaluation set, saving a validated profile with
provenance, learning from the reviewer, and `monosashi map` (docs/mapping-assistant.md)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
import yaml
from click.testing import CliRunner
from conftest import ADMIN, AS_OF, make_store
from support import mapping_eval, samples

from importers.base import SourceFileError
from questionnaires.catalogue import CURRENT_VERSION, CatalogueDataError, load_catalogue, parse_model
from questionnaires.frameworks import load_profile_text
from questionnaires.synonyms import SynonymList, fold_term, synonym_list
from registry.cli import main
from registry.domain.actor import Actor
from registry.domain.matching import CriterionIndex
from registry.errors import AccessDenied, MonosashiError
from registry.services import mapping
from registry.services.intake import SourceFile
from registry.services.profiles import mapping_profiles
from registry.store import Store

_evaluation = mapping_eval.evaluation_rows


_PRISTINE: dict[Path, Path] = {}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The module's registry (tests that only read share it), and a pristine copy of its file."""
    folder = tmp_path_factory.mktemp("mapping")
    made = make_store(folder / "m.duckdb", suppliers=5)
    _PRISTINE[made.path] = folder / "pristine.duckdb"
    shutil.copyfile(made.path, _PRISTINE[made.path])
    return made


@pytest.fixture
def fresh(store: Store, tmp_path: Path) -> Store:
    """A registry of its own for a test that writes: a copy of the module's, made before any write."""
    copy = tmp_path / "fresh.duckdb"
    shutil.copyfile(_PRISTINE[store.path], copy)
    return Store(copy, lock_timeout=2.0)


# -- analysis ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("定期的にバックアップを実施している", "定期的にバックアップを実施して いる"),
        ("ウイルス対策ソフトを導入している", "マルウェア対策を行っている"),
        ("アンチウイルスを入れている", "Anti-malware is installed"),
        ("パスワードを定期的に変更", "認証情報を定期的に変更"),
        ("USBメモリの持ち出しを禁止", "可搬媒体の持ち出しを禁止"),
    ],
)
def test_wording_that_means_the_same_shares_its_topics(one: str, other: str) -> None:
    topics = {f for f in mapping.features(one) if f.startswith("#")}
    assert topics and topics & {f for f in mapping.features(other) if f.startswith("#")}


def test_normalised_forms_join_inflections_and_english_is_stemmed() -> None:
    assert set(mapping.features("実施している")) == set(mapping.features("実施して いる"))
    forms = [mapping.features(w) for w in ("update", "updates", "updated", "updating")]
    assert all(f == forms[0] for f in forms) and mapping.features("policies") == mapping.features("policy")
    assert not mapping.features("する いる ある こと")  # words every sentence has carry no topic
    assert not mapping.features("the and of is")


def test_the_synonym_list_is_valid_data_with_one_group_per_term() -> None:
    groups = synonym_list().groups
    assert len(groups) >= 40
    folded = [fold_term(t) for g in groups for t in g.terms]
    assert len(folded) == len(set(folded))
    malware = next(g for g in groups if g.id == "malware")
    assert {"ウイルス対策", "マルウェア対策", "アンチウイルス"} <= set(malware.terms)
    twice = {
        "note": "",
        "groups": [{"id": "aa", "terms": ["パスワード", "x1"]}, {"id": "bb", "terms": ["ﾊﾟｽﾜｰﾄﾞ", "y2"]}],
    }
    with pytest.raises(CatalogueDataError, match="both aa and bb"):
        parse_model(json.dumps(twice), "synonyms.json", SynonymList, "synonym list")


# -- the layout of an unknown checklist ------------------------------------------------------------
QUESTIONS = [r["question"] for r in _evaluation() if r["criteria"]]


def test_the_layout_is_found_below_a_title_block() -> None:
    data = samples.unknown_checklist_workbook(
        QUESTIONS[:40], answers=["はい", "いいえ"] * 20, supplier=("取引先", "S1")
    )
    tables, layout = mapping.read_checklist(SourceFile("c.xlsx", data))
    assert (layout.header_row, layout.headers[:3]) == (3, ["No.", "確認項目", "回答"])
    assert (layout.question, layout.item_id, layout.answer) == (1, 0, 2)
    questions = mapping.questions_of(layout)
    assert questions.height == 40 and questions["item_id"][0] == "Q-001"
    assert questions["location"][0] == "c.xlsx: 確認シート!B5"
    moved = mapping.relayout(tables, layout, answer="備考", item_id="")
    assert (moved.answer, moved.item_id) == (3, None)
    with pytest.raises(SourceFileError) as caught:
        mapping.relayout(tables, layout, question="回答欄")
    assert caught.value.problems[0].key == "mapping.no_such_column"


def test_a_shift_jis_csv_and_mixed_languages_read_alike(store: Store) -> None:
    mixed = [QUESTIONS[0], "Is multi-factor authentication used for remote access?", "多要素認証を使っていますか"]
    _, layout = mapping.read_checklist(SourceFile("c.csv", samples.unknown_checklist_csv(mixed * 5)))
    questions = mapping.questions_of(layout)
    assert layout.headers == ["番号", "質問", "回答"] and questions.height == 15
    review = mapping.propose(store, questions.head(3))
    first = review["criterion"].to_list()
    assert first[1] is not None and first[1].split("-")[:3] == first[2].split("-")[:3]  # en and ja agree


def test_a_checklist_without_a_text_column_is_refused_with_a_clear_message() -> None:
    numbers = "ID,点数,区分\r\n" + "".join(f"{n},{n % 4},A\r\n" for n in range(30))
    with pytest.raises(SourceFileError) as caught:
        mapping.read_checklist(SourceFile("scores.csv", numbers.encode()))
    problem = caught.value.problems[0]
    assert problem.key == "mapping.no_text_column" and "one question per row" in problem.text("en")


def test_a_five_thousand_row_sheet_is_read_and_proposed_not_refused(store: Store) -> None:
    many = [f"{q}（拠点{n // len(QUESTIONS) + 1}）" for n, q in enumerate(QUESTIONS * 20)][:5000]
    _, layout = mapping.read_checklist(SourceFile("big.xlsx", samples.unknown_checklist_workbook(many)))
    questions = mapping.questions_of(layout)
    assert questions.height == 5000
    review = mapping.propose(store, questions)
    assert review.height == 5000 and review["criterion"].null_count() < 500


# -- quality on the evaluation set -----------------------------------------------------------------
def _measured(store: Store) -> dict[str, Counter[str]]:
    rows = _evaluation()
    proposals = mapping.propose_texts(store, [r["question"] for r in rows])
    measured = mapping_eval.tally(rows, proposals, lambda row: ["labelled" if mapping_eval.gold(row) else "negative"])
    return {"labelled": measured.get("labelled", Counter()), "negative": measured.get("negative", Counter())}


def test_proposals_meet_the_quality_target_on_the_evaluation_set(fresh: Store) -> None:
    """Top-3 at least 80 %, and at most 10 % wrong first proposals above the auto-accept
    confidence (labels from the 自社診断 crosswalk, the two shipped profiles and our own
    paraphrases; none from the assistant). The figures are in docs/mapping-assistant.md."""
    measured = _measured(fresh)
    labelled, negative = measured["labelled"], measured["negative"]
    assert labelled["n"] >= 300 and negative["n"] >= 20
    assert labelled["top3"] / labelled["n"] >= 0.80
    wrong = labelled["wrong"] + negative["wrong"]
    assert wrong / (labelled["auto"] + negative["auto"]) <= 0.10
    assert labelled["none"] / labelled["n"] <= 0.05  # a security question nearly always gets a proposal
    assert negative["none"] / negative["n"] >= 0.70  # and most questions about something else get none


def test_the_evaluation_labels_are_criteria_of_the_final_catalogue() -> None:
    criteria = {c.id for c in load_catalogue(CURRENT_VERSION).criteria}
    rows = _evaluation()
    labels = [c for r in rows for c in filter(None, r["criteria"].split(";"))]
    assert set(labels) <= criteria
    assert {r["source"] for r in rows} == {"ipa_5min", "towa", "minato", "paraphrase", "negative"}
    assert len({r["question"] for r in rows}) == len(rows)


@pytest.mark.parametrize(
    ("question", "cited"),
    [("ISO/IEC 27001 A.5.31 に対応していますか", "A.5.31"), ("Annex A 8.7 in place?", "A.8.7")],
)
def test_a_question_citing_an_iso_clause_gets_the_criteria_ipa_cites_it_for(
    store: Store, question: str, cited: str
) -> None:
    citing = {c.id for c in load_catalogue(CURRENT_VERSION).criteria if cited in c.citations.iso27001}
    (found,) = mapping.propose_texts(store, [question])
    assert found and found[0].criterion_id in citing


def test_a_weak_match_is_never_forced() -> None:
    index = CriterionIndex({"1-1-1-1": ["方針", "#policy"], "2-1-1-1": ["委託", "契約"]}, {})
    assert index.rank(["資本金"]) == []
    assert index.rank(["天気"]) == []


# -- saving, provenance and learning ---------------------------------------------------------------
def _reviewed(store: Store, questions: list[str]) -> tuple[SourceFile, mapping.Reviewed]:
    data = samples.unknown_checklist_workbook(
        questions, answers=(["はい", "いいえ", "一部", "該当なし"] * len(questions))[: len(questions)]
    )
    source = SourceFile("minami.xlsx", data)
    _, layout = mapping.read_checklist(source)
    questions_frame = mapping.questions_of(layout)
    # generous: in the app a person reviews what lies below the auto-accept confidence
    review = mapping.accept_above(mapping.propose(store, questions_frame), 0.05)
    return source, mapping.Reviewed(layout, review, mapping.answer_statuses(questions_frame["answer"].to_list()))


def test_the_saved_profile_is_validated_like_a_hand_written_one_with_provenance(fresh: Store) -> None:
    source, reviewed = _reviewed(fresh, QUESTIONS[:40])
    accepted = reviewed.review.filter(pl.col("decision") == "accepted")
    assert accepted.height >= 5
    profile = mapping.save_profile(fresh, reviewed, name="minami-2026", title="みなみ精機", actor=ADMIN)
    assert mapping_profiles(fresh)["minami-2026"] == profile
    maps = [(item.id, m) for item in profile.items for m in item.maps]
    assert len(maps) == accepted.height
    _, first = maps[0]
    assert first.provenance is not None and first.provenance.proposed_by == "assistant"
    assert first.provenance.accepted_by == ADMIN.name and 0 < (first.provenance.score or 0) <= 1
    text = yaml.safe_dump(profile.model_dump(mode="json", exclude_none=True), allow_unicode=True)
    assert load_profile_text(text, "round trip") == profile
    done, _ = mapping.import_answers(
        fresh, source, profile="minami-2026", supplier_id="S000001", actor=ADMIN, today=AS_OF, lang="en"
    )
    assert [r.status for r in done] == ["imported"]
    assert fresh.scalar("SELECT count(*) FROM submission WHERE framework_id = 'profile.minami-2026'") == 1


def test_a_changed_proposal_is_saved_as_the_persons_choice(fresh: Store) -> None:
    _, reviewed = _reviewed(fresh, QUESTIONS[:10])
    review = reviewed.review.with_columns(
        pl.when(pl.col("row") == pl.col("row").min())
        .then(pl.struct(criterion=pl.lit("1-1-1-1"), relationship=pl.lit("equal"), decision=pl.lit("changed")))
        .otherwise(pl.struct("criterion", "relationship", "decision"))
        .struct.unnest()
    )
    profile = mapping.save_profile(
        fresh, mapping.Reviewed(reviewed.layout, review, reviewed.answers), name="changed", title="x", actor=ADMIN
    )
    first = profile.items[0].maps[0]
    assert (first.criterion, first.relationship, first.provenance.proposed_by) == ("1-1-1-1", "equal", "person")


@pytest.mark.parametrize(
    ("column", "value", "key"),
    [
        ("criterion", "9-9-9-9", "mapping.unknown_criterion"),
        ("relationship", "overlap", "mapping.unknown_relationship"),
        ("decision", "maybe", "mapping.unknown_decision"),
    ],
)
def test_an_invalid_edit_is_refused_with_its_row_named(fresh: Store, column: str, value: str, key: str) -> None:
    _, reviewed = _reviewed(fresh, QUESTIONS[:6])
    seventh = pl.col("row") == 7
    bad = reviewed.review.with_columns(
        pl.when(seventh).then(pl.lit("changed")).otherwise(pl.col("decision")).alias("decision")
    ).with_columns(pl.when(seventh).then(pl.lit(value)).otherwise(pl.col(column)).alias(column))
    with pytest.raises(MonosashiError) as caught:
        mapping.save_profile(
            fresh, mapping.Reviewed(reviewed.layout, bad, reviewed.answers), name="bad", title="x", actor=ADMIN
        )
    assert caught.value.key == key and "row 7" in str(caught.value)
    assert "bad" not in mapping_profiles(fresh)


def test_an_accepted_phrase_is_proposed_first_next_time_and_can_be_exported(fresh: Store) -> None:
    question = "協力会社との契約で秘密保持を取り決めていますか"
    _, layout = mapping.read_checklist(
        SourceFile("one.xlsx", samples.unknown_checklist_workbook([question, *QUESTIONS[:3]]))
    )
    review = mapping.propose(fresh, mapping.questions_of(layout))
    chosen = "2-1-2-1"
    review = review.with_columns(
        pl.when(pl.col("question") == question).then(pl.lit(chosen)).otherwise(pl.col("criterion")).alias("criterion"),
        pl.when(pl.col("question") == question).then(pl.lit("changed")).otherwise(pl.lit("rejected")).alias("decision"),
        pl.col("relationship").fill_null("intersect"),
    )
    mapping.save_profile(
        fresh,
        mapping.Reviewed(layout, review, {"はい": "met", "いいえ": "not_met"}),
        name="learn",
        title="x",
        actor=ADMIN,
    )
    (again,) = mapping.propose_texts(fresh, [question.replace("取り決めて", "取り決めて")])
    assert again[0].criterion_id == chosen and again[0].learned
    exported = mapping.learned_phrases_csv(fresh).decode("utf-8-sig")
    assert chosen in exported and question in exported


def test_a_viewer_may_propose_but_not_save(fresh: Store) -> None:
    _, reviewed = _reviewed(fresh, QUESTIONS[:6])
    viewer = Actor.person("vera", "viewer")
    with pytest.raises(AccessDenied):
        mapping.save_profile(fresh, reviewed, name="viewer-try", title="x", actor=viewer)


def test_profile_names_are_checked_and_suggested() -> None:
    assert mapping.suggested_name("Minami Survey 2026.xlsx", AS_OF) == "minami-survey-2026"
    assert mapping.suggested_name("取引先チェック.xlsx", AS_OF) == "checklist-20261123"
    with pytest.raises(MonosashiError, match="lower-case"):
        mapping.check_profile_name("Bad Name")


# -- the command -----------------------------------------------------------------------------------
def test_map_proposes_and_saves_from_the_command_line(fresh: Store, tmp_path: Path) -> None:
    path = tmp_path / "minami.xlsx"
    path.write_bytes(samples.unknown_checklist_workbook(QUESTIONS[:30], answers=["はい"] * 30))
    runner = CliRunner()
    listed = runner.invoke(main, ["map", str(path), "--json", "--db", str(fresh.path)])
    assert listed.exit_code == 0, listed.output
    doc = json.loads(listed.stdout)
    assert doc["headers"] == {"question": "確認項目", "item_id": "No.", "answer": "回答"}
    assert len(doc["questions"]) == 30 and doc["saved_profile"] is None
    assert all(len(q["proposals"]) <= 3 for q in doc["questions"])
    saved = runner.invoke(main, ["map", str(path), "--save", "minami-cli", "--json", "--db", str(fresh.path)])
    assert saved.exit_code == 0, saved.output
    assert json.loads(saved.stdout)["saved_profile"] == "minami-cli"
    assert "minami-cli" in mapping_profiles(fresh)
    text = runner.invoke(main, ["map", str(path), "--db", str(fresh.path)])
    assert text.exit_code == 0 and "30 questions" in text.output
