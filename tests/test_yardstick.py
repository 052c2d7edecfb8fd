"""Every rule of docs/yardstick.md on a small hand-made case."""

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from conftest import ADMIN, AS_OF, BUYER, SYSTEM, make_store, two_profiles_on_one_criterion
from support import samples

from importers.base import SourceFile
from questionnaires.crosswalks import CrosswalkError, all_crosswalks, load_crosswalk_text, shipped_crosswalks
from registry.domain.models import Supplier
from registry.services import intake, yardstick
from registry.services import profiles as profile_service
from registry.store.suppliers import add_supplier


@pytest.fixture
def store(tmp_path: Path):
    store = make_store(tmp_path / "r.duckdb")
    for sid in ("A", "B"):
        add_supplier(store, Supplier(supplier_id=sid, name=f"株式会社{sid}"), BUYER)
    return store


def submit(store, name: str, data: bytes, supplier: str = "A") -> None:
    reports = intake.analyse(store, [SourceFile(name, data)], supplier_id=supplier)
    assert reports[0].status == "ready", reports[0].errors
    intake.commit(store, reports, mode="per_file", actor=BUYER, today=AS_OF)


def certify(store, supplier: str, scheme: str, issued: date, number: str = "X-1") -> None:
    with store.transaction(SYSTEM) as tx:
        tx.insert_frame(
            "certificate",
            pl.DataFrame(
                {
                    "certificate_id": [f"C-{supplier}-{scheme}-{issued}"],
                    "supplier_id": [supplier],
                    "scheme": [scheme],
                    "registration_no": [number],
                    "issued_on": [issued],
                }
            ),
        )


def status_of(store, criterion: str, supplier: str = "A", as_of: date = AS_OF) -> dict:
    frame = yardstick.derive(store, as_of, supplier)
    return frame.filter(criterion_id=criterion).row(0, named=True)


def scs_marks(overrides: dict[str, str | None], level: int = 3) -> list[str | None]:
    from questionnaires.catalogue import load_catalogue

    return [overrides.get(c.id) for c in load_catalogue().criteria_at(level)]


def towa(store, answers: dict[str, str], answered_on: str = "2026-09-01", supplier: str = "A") -> None:
    profile = profile_service.mapping_profiles(store)["towa-motors-2025"]
    data = samples.checklist_workbook(
        profile, answers, supplier_label_values={"取引先コード": supplier, "記入日": answered_on}
    )
    submit(store, f"towa-{answered_on}.xlsx", data, supplier)


# -- crosswalk data --------------------------------------------------------------------------------


def test_shipped_crosswalks_sizes_and_spot_checks():
    shipped = shipped_crosswalks()
    sizes = {k: len(v.entries) for k, v in shipped.items()}
    # 157 draft criteria: 154 links (three draft criteria have no counterpart; 4-1-4-2 and
    # 6-1-1-2 join other draft criteria on one final criterion) — tests/test_draft_to_final.py
    assert sizes["scs-2025-12-to-scs-2026-03-27"] == 154
    assert sizes["ipa-5min-to-scs-2026-03-27"] == 29
    assert sizes["security-action-to-scs-2026-03-27"] == 9
    assert sizes["jama-japia-v2.3-to-scs-2026-03-27"] == 165
    assert sizes["iso27001-2022-to-scs-2026-03-27"] == 253
    draft = {(e.source, e.target): e for e in shipped["scs-2025-12-to-scs-2026-03-27"].entries}
    assert ("4-4-4-3", "4-4-4-3") not in draft and draft[("4-4-4-3", "4-4-4-2")].relationship == "intersect"
    assert draft[("4-5-2-1", "5-1-1-1")].relationship == "subset"
    ipa = {(e.source, e.target): e for e in shipped["ipa-5min-to-scs-2026-03-27"].entries}
    assert ipa[("11", "4-3-4-1")].strength == 0.7 and ipa[("11", "4-3-4-1")].rationale
    assert {e.source for e in shipped["ipa-5min-to-scs-2026-03-27"].entries} == {str(n) for n in range(1, 26)}
    jama = {(e.source, e.target): e for e in shipped["jama-japia-v2.3-to-scs-2026-03-27"].entries}
    assert jama[("9", "1-1-1-1")].source_level == "Lv1" and jama[("10", "1-1-1-1")].source_level == "Lv2"
    assert all(e.relationship == "intersect" for e in shipped["jama-japia-v2.3-to-scs-2026-03-27"].entries)
    iso = {(e.source, e.target) for e in shipped["iso27001-2022-to-scs-2026-03-27"].entries}
    assert ("A.5.31", "1-1-1-1") in iso and ("4.1", "1-1-1-1") in iso
    assert all(e.strength <= 0.35 for e in shipped["security-action-to-scs-2026-03-27"].entries)
    assert "profile.towa-motors-2025" in all_crosswalks()


def test_a_crosswalk_naming_unknown_ids_fails_to_load():
    doc = json.loads(
        Path(__file__)
        .resolve()
        .parent.parent.joinpath("questionnaires/crosswalks/ipa-5min-to-scs-2026-03-27.json")
        .read_text(encoding="utf-8")
    )
    doc["entries"][0]["source"] = "26"
    doc["entries"][1]["target"] = "9-9-9-9"
    with pytest.raises(CrosswalkError, match="does not match the crosswalk schema"):
        load_crosswalk_text(json.dumps(doc), "bad.json")
    doc["entries"][1]["target"] = "4-4-4-9"
    with pytest.raises(
        CrosswalkError, match=r"source IDs not in ipa_5min 2019: 26; target IDs not in SCS 2026-03-27: 4-4-4-9"
    ):
        load_crosswalk_text(json.dumps(doc), "bad.json")


# -- the rules -------------------------------------------------------------------------------------


def test_direct_self_assessment_marks(store):
    submit(
        store,
        "scs.xlsx",
        samples.scs_self_assessment_workbook(
            level=3, marks=scs_marks({"1-2-1-1": "○", "1-2-1-2": "△", "1-2-1-3": "✖"}), answered_on="2026-10-01"
        ),
    )
    assert [status_of(store, c)["status"] for c in ("1-2-1-1", "1-2-1-2", "1-2-1-3", "1-2-3-1")] == [
        "met",
        "partial",
        "not_met",
        "unknown",
    ]
    row = status_of(store, "1-2-1-1")
    assert (row["kind"], row["relationship"], row["raw_answer"], row["evidence_date"]) == (
        "self_assessment",
        "equal",
        "○",
        date(2026, 10, 1),
    )


def test_valid_certificate_makes_its_level_met_and_expiry_ends_it(store):
    submit(
        store,
        "scs.xlsx",
        samples.scs_self_assessment_workbook(marks=scs_marks({"1-2-1-1": "✖"}, level=4), answered_on="2026-10-01"),
    )
    certify(store, "A", "scs_star3", date(2026, 4, 1))
    assert status_of(store, "1-2-1-1")["status"] == "met"  # certified outranks the ✖
    assert status_of(store, "1-2-1-1")["kind"] == "certified"
    assert status_of(store, "1-1-1-1")["kind"] != "certified"  # a ★4 criterion is not covered by ★3
    after_expiry = status_of(store, "1-2-1-1", as_of=date(2027, 4, 1))
    assert (after_expiry["status"], after_expiry["kind"]) == ("not_met", "self_assessment")


@pytest.mark.parametrize(
    ("item", "answer", "criterion", "expected"),
    [
        ("B-01", "はい", "2-1-2-1", "met"),  # equal carries met
        ("B-01", "いいえ", "2-1-2-1", "not_met"),  # equal carries not met
        ("A-02", "はい", "1-2-1-1", "met"),  # superset carries a positive answer
        ("A-02", "いいえ", "1-2-1-1", "unknown"),  # ... and not a negative one
        ("C-05", "はい", "4-1-3-1", "partial"),  # subset turns a positive into partial
        ("C-05", "いいえ", "4-1-3-1", "not_met"),  # ... and carries a negative
        ("C-02", "はい", "4-4-5-1", "partial"),  # intersect gives at most partial
        ("C-02", "いいえ", "4-4-5-1", "unknown"),  # ... and nothing for a negative
        ("C-02", "該当なし", "4-4-5-1", "unknown"),  # not applicable is no evidence
    ],
)
def test_relationship_rules(store, item, answer, criterion, expected):
    towa(store, {item: answer})
    assert status_of(store, criterion)["status"] == expected


def test_weak_mappings_below_the_threshold_give_nothing(store):
    towa(store, {"C-02": "はい"})  # intersect 0.7
    assert status_of(store, "4-4-5-1")["status"] == "partial"
    strict = yardstick.Settings(min_strength=0.8)
    assert yardstick.derive(store, AS_OF, "A", strict).filter(criterion_id="4-4-5-1")["status"][0] == "unknown"


def test_draft_answers_count_on_the_final_catalogue_by_their_text(store):
    """A supplier answered IPA's draft sheet. Each answer lands where its text went: renumbered
    criteria under the new number, reworded ones as weaker evidence, and nothing on a final
    criterion that holds another text under the old number."""
    marks = {"4-4-4-3": "○", "4-5-2-1": "○", "1-2-1-1": "△", "4-1-6-3": "✖", "6-1-1-7": "○", "4-1-6-2": "○"}
    from questionnaires.catalogue import load_catalogue

    draft_marks = [marks.get(c.id) for c in load_catalogue("2025-12").criteria]
    submit(
        store,
        "draft.xlsx",
        samples.scs_self_assessment_workbook(version="2025-12", marks=draft_marks, answered_on="2026-03-01"),
    )
    # the new ★4 criterion on internet-facing devices gets nothing from the draft's ★3 mitigations
    assert status_of(store, "4-4-4-3")["status"] == "unknown"
    row = status_of(store, "4-4-4-2")
    assert (row["status"], row["kind"], row["relationship"]) == ("partial", "migrated", "intersect")
    # renumbered with the same text: the answer moves with it, ✖ included
    row = status_of(store, "4-1-6-2")
    assert (row["status"], row["relationship"], row["source_item"]) == ("not_met", "equal", "4-1-6-3")
    assert (status_of(store, "6-1-1-6")["status"], status_of(store, "6-1-1-6")["source_item"]) == ("met", "6-1-1-7")
    # the draft's outbound blocking is half of the final 5-1-1-1
    assert status_of(store, "5-1-1-1")["status"] == "partial"
    assert status_of(store, "1-2-1-1")["status"] == "partial"


def test_strongest_then_newest_wins_and_equal_rank_disagreement_is_a_conflict(store):
    towa(store, {"B-01": "はい"}, answered_on="2026-08-01")
    profile = profile_service.mapping_profiles(store)["minato-semiconductor-2026"]
    # Minato Q2.2 → 2-1-4-1 equal 0.8; Towa has no item on 2-1-4-1: no conflict there
    submit(
        store,
        "m.xlsx",
        samples.checklist_workbook(
            profile, {"Q2.2": "0"}, supplier_label_values={"サプライヤーコード": "A", "回答日": "2026-09-01"}
        ),
    )
    assert status_of(store, "2-1-4-1")["status"] == "not_met"
    # A newer checklist (Towa C-04 → 4-1-5-1, equal 0.8) says met; an older SCS answer ✖ (rank 2) still wins
    towa(store, {"C-04": "はい"}, answered_on="2026-10-01")
    submit(
        store,
        "scs.xlsx",
        samples.scs_self_assessment_workbook(level=3, marks=scs_marks({"4-1-5-1": "✖"}), answered_on="2026-07-01"),
    )
    row = status_of(store, "4-1-5-1")
    assert (row["status"], row["kind"], row["conflict"]) == ("not_met", "self_assessment", False)


def test_conflict_between_pieces_of_equal_rank(store, tmp_path):
    # Two profiles mapping an item with the same relationship and strength onto 4-4-2-1, answering differently.
    two_profiles_on_one_criterion(store)
    submit(store, "one.csv", "回答日,2026-09-01\np-one番号,p-one回答\n1,Y\n".encode())
    submit(store, "two.csv", "回答日,2026-10-01\np-two番号,p-two回答\n1,N\n".encode())
    row = status_of(store, "4-4-2-1")
    assert (row["status"], row["conflict"], row["pieces"]) == ("not_met", True, 2)  # the newer one, flagged
    pieces = yardstick.evidence_pieces(store, AS_OF, "A", "4-4-2-1")
    assert pieces["status"].to_list() == ["not_met", "met"] and pieces["conflict"].all()


def test_stale_evidence_is_shown_but_counts_as_unknown_for_readiness(store):
    submit(
        store,
        "old.xlsx",
        samples.scs_self_assessment_workbook(level=3, marks=scs_marks({"1-2-1-1": "○"}), answered_on="2025-06-01"),
    )
    row = status_of(store, "1-2-1-1")
    assert (row["status"], row["stale"]) == ("met", True)
    ready = yardstick.readiness(yardstick.derive(store, AS_OF, "A"), yardstick.catalogue_in_force(store)).row(
        0, named=True
    )
    assert ready["star3"] == 0 and ready["stale"] == 1
    fresher = yardstick.Settings(fresh_months=24)
    assert yardstick.readiness(yardstick.derive(store, AS_OF, "A", fresher), yardstick.catalogue_in_force(store))[
        "star3"
    ][0] == pytest.approx(1 / 81)


def test_fresh_lower_rank_beats_stale_higher_rank(store):
    submit(
        store,
        "old.xlsx",
        samples.scs_self_assessment_workbook(level=3, marks=scs_marks({"2-1-2-1": "○"}), answered_on="2025-06-01"),
    )
    towa(store, {"B-01": "いいえ"}, answered_on="2026-10-01")
    row = status_of(store, "2-1-2-1")
    assert (row["status"], row["kind"], row["stale"]) == ("not_met", "crosswalk", False)


def test_isms_certificate_counts_as_partial_evidence_while_valid(store):
    certify(store, "A", "iso27001", date(2025, 1, 10), number="JQA-1234")
    row = status_of(store, "1-1-1-1")
    assert (row["status"], row["kind"], row["source_item"], row["relationship"]) == (
        "partial",
        "certificate",
        "4.1",
        "intersect",
    )
    assert status_of(store, "1-1-1-1", as_of=date(2028, 1, 10))["status"] == "unknown"  # expired


@pytest.mark.parametrize("on", [date(2026, 1, 10), date(2027, 6, 1), date(2028, 1, 9)], ids=str)
def test_a_valid_isms_is_current_evidence_for_its_whole_validity(store, on):
    """ISMS certificates run three years with yearly surveillance audits: the certificate's
    validity is its freshness, not the twelve months of an answer."""
    certify(store, "A", "iso27001", date(2025, 1, 10), number="JQA-1234")
    statuses = yardstick.derive(store, on, "A").filter(kind="certificate")
    assert statuses.height > 100 and not statuses["stale"].any()
    ready = yardstick.readiness(yardstick.derive(store, on, "A"), yardstick.catalogue_in_force(store)).row(
        0, named=True
    )
    assert ready["star3_partial"] > 0.5 and ready["stale"] == 0


def test_security_action_is_weak_evidence(store):
    certify(store, "A", "security_action_star2", date(2026, 5, 1), number="SA-1")
    assert status_of(store, "1-3-1-1")["status"] == "partial"
    assert status_of(store, "1-3-1-1", as_of=date(2028, 6, 1))["status"] == "unknown"  # stale declaration


def test_only_the_current_submission_counts(store):
    submit(
        store,
        "first.xlsx",
        samples.scs_self_assessment_workbook(level=3, marks=scs_marks({"1-2-1-1": "○"}), answered_on="2026-05-01"),
    )
    submit(
        store,
        "second.xlsx",
        samples.scs_self_assessment_workbook(level=3, marks=scs_marks({"1-2-1-1": "✖"}), answered_on="2026-10-01"),
    )
    assert status_of(store, "1-2-1-1")["status"] == "not_met"
    assert status_of(store, "1-2-1-1", as_of=date(2026, 6, 1))["status"] == "met"  # before the second was answered


def test_requirement_status_readiness_and_category_scores(store):
    marks = scs_marks({"1-2-1-1": "○", "1-2-1-2": "○", "1-2-1-3": "○", "1-2-3-1": "○", "1-2-3-2": "✖", "1-3-1-1": "△"})
    submit(store, "scs.xlsx", samples.scs_self_assessment_workbook(level=3, marks=marks, answered_on="2026-10-01"))
    statuses = yardstick.derive(store, AS_OF, "A")
    reqs = dict(yardstick.requirement_status(statuses, level=3).select("requirement_id", "status").rows())
    assert (reqs["1-2-1"], reqs["1-2-3"], reqs["1-3-1"], reqs["2-1-1"]) == ("met", "not_met", "partial", "unknown")
    ready = yardstick.readiness(statuses, yardstick.catalogue_in_force(store)).row(0, named=True)
    assert ready["star3"] == pytest.approx(4 / 81) and ready["star3_partial"] == pytest.approx(1 / 81)
    assert ready["star4"] == pytest.approx(4 / 153)
    scores = dict(
        yardstick.category_scores(statuses, level=3).filter(supplier_id="A").select("category_no", "score").rows()
    )
    assert scores[1] == pytest.approx(4 / 8) and scores[4] == 0  # category 1 has 8 ★3 criteria


def test_cli_status_and_explain(store):
    from click.testing import CliRunner

    from registry.cli import main

    submit(
        store,
        "scs.xlsx",
        samples.scs_self_assessment_workbook(
            level=3, marks=scs_marks({"1-2-1-1": "○", "1-2-1-2": "△"}), answered_on="2026-10-01"
        ),
    )
    certify(store, "A", "iso27001", date(2026, 1, 10), number="JQA-1234")
    db = ["--db", str(store.path), "--as-of", "2026-11-23"]
    doc = json.loads(CliRunner().invoke(main, ["status", "--supplier", "A", "--level", "3", "--json", *db]).output)
    assert doc[0]["readiness"]["star3"] == pytest.approx(1 / 81)
    assert set(doc[0]) >= {"supplier_id", "held_level", "requested_level", "readiness", "criteria"}
    assert len(doc[0]["criteria"]) == 81 and doc[0]["criteria"][0] == {
        "criterion_id": "1-2-1-1",
        "level": 3,
        "status": "met",
        "kind": "self_assessment",
        "stale": False,
        "conflict": False,
        "declared_status": "met",
    }
    text = CliRunner().invoke(main, ["explain", "A", "1-1-1-1", *db]).output
    assert "ISMS (ISO/IEC 27001) JQA-1234 (valid to 2029-01-09) → 4.1 → Overlap 0.5 → 1-1-1-1: Partial" in text
    pieces = json.loads(CliRunner().invoke(main, ["explain", "A", "1-2-1-2", "--json", *db]).output)
    assert pieces[0]["decides"] and pieces[0]["chain"].startswith("SCS self-assessment scs.xlsx (2026-10-01, ")
    assert CliRunner().invoke(main, ["explain", "A", "9-9-9-9", *db]).exit_code == 2
    assert CliRunner().invoke(main, ["explain", "NOPE", "1-1-1-1", *db]).exit_code == 1
    assert CliRunner().invoke(main, ["status", "--supplier", "NOPE", *db]).exit_code == 1


def test_crosswalk_excel_round_trip_and_a_saved_crosswalk_changes_the_yardstick(store):
    from importers.crosswalk_excel import parse as parse_excel
    from registry.services import crosswalks
    from registry.store import settings

    towa(store, {"C-02": "はい"})
    assert status_of(store, "4-4-5-1")["status"] == "partial"  # intersect 0.7
    profiles = profile_service.mapping_profiles(store)
    original = crosswalks.effective_crosswalks(store, profiles)["profile.towa-motors-2025"]
    data = crosswalks.to_excel(original)
    import io as _io

    import openpyxl

    wb = openpyxl.load_workbook(_io.BytesIO(data))
    ws = wb["crosswalk"]
    for row in ws.iter_rows(min_row=11):
        if row[0].value == "C-02":
            row[2].value = "equal"
    buf = _io.BytesIO()
    wb.save(buf)
    edited = parse_excel(SourceFile("towa-edited.xlsx", buf.getvalue()), profiles)
    assert len(edited.entries) == len(original.entries)
    settings.save_user_crosswalk(store, edited, actor=ADMIN)
    assert status_of(store, "4-4-5-1")["status"] == "met"  # now an equal mapping


def test_crosswalk_excel_with_unknown_ids_is_refused(store):
    from importers.base import SourceFileError
    from importers.crosswalk_excel import parse as parse_excel
    from registry.services import crosswalks

    profiles = profile_service.mapping_profiles(store)
    data = crosswalks.to_excel(crosswalks.effective_crosswalks(store, profiles)["ipa-5min-to-scs-2026-03-27"])
    import io as _io

    import openpyxl

    wb = openpyxl.load_workbook(_io.BytesIO(data))
    wb["crosswalk"]["B11"] = "7-9-9-9"
    wb["crosswalk"]["D12"] = "strong"
    buf = _io.BytesIO()
    wb.save(buf)
    with pytest.raises(SourceFileError) as err:
        parse_excel(SourceFile("bad.xlsx", buf.getvalue()), profiles)
    assert err.value.problems[0].location == "bad.xlsx: crosswalk!D12"
    wb["crosswalk"]["D12"] = 0.5
    buf = _io.BytesIO()
    wb.save(buf)
    with pytest.raises(SourceFileError) as err:
        parse_excel(SourceFile("bad.xlsx", buf.getvalue()), profiles)
    [problem] = err.value.problems  # said at the cell of the unknown ID
    assert (problem.location, problem.key, problem.params) == (
        "bad.xlsx: crosswalk!B11",
        "crosswalk.target_unknown",
        {"target": "7-9-9-9", "version": "2026-03-27"},
    )


def test_coverage_of_each_questionnaire(store):
    from registry.services import crosswalks

    profiles = profile_service.mapping_profiles(store)
    cover = crosswalks.coverage(
        crosswalks.effective_crosswalks(store, profiles), yardstick.catalogue_in_force(store), 0.3
    )
    scores = {(c, n): s for c, n, s in cover.iter_rows()}
    assert scores[("scs-2025-12-to-scs-2026-03-27", 1)] == 1.0  # the draft speaks to every criterion it kept
    assert scores[("security-action-to-scs-2026-03-27", 5)] == 0.0
    assert 0 < scores[("ipa-5min-to-scs-2026-03-27", 4)] < 1


@pytest.mark.parametrize(
    ("question", "criterion", "expected"),
    [
        (2, "4-4-5-1", "not_met"),  # no anti-virus: malware protection is not met
        (11, "4-3-4-1", "not_met"),  # no backups
        (19, "1-2-3-1", "not_met"),  # no confidentiality obligation
        (22, "6-1-1-1", "not_met"),  # no incident procedure
        (14, "4-1-4-1", "unknown"),  # a screen lock is not the core of the lockout criterion: no evidence
        (13, "4-1-9-1", "unknown"),
    ],
)
def test_a_known_negative_in_the_ipa_self_check_is_kept(store, question, criterion, expected):
    """IPA 自社診断 answered 実施していない: where the question is the core of the criterion
    (the crosswalk says `subset`), the criterion reads not met; elsewhere nothing certain follows."""
    answers = ["実施している"] * 25
    answers[question - 1] = "実施していない"
    submit(store, "ipa.csv", samples.ipa_5min_csv(answers, supplier_id="A"))
    row = status_of(store, criterion)
    assert row["status"] == expected
    if expected == "not_met":
        assert (row["kind"], row["relationship"]) == ("crosswalk", "subset")


def test_newer_declarations_against_a_held_star_show_as_conflicts(store):
    """A supplier holds a valid ★4 and later sends a self-assessment with ✖ on 4-5-1-1…7. The ★
    still reads as certified (it shows the level at issue), but the newer first-party evidence
    against it is a conflict on each of those criteria, explained, flagged and counted apart."""
    from registry.services import flags

    certify(store, "A", "scs_star4", date(2026, 1, 10), number="SCS4-1")
    against = {f"4-5-1-{n}": "✖" for n in range(1, 8)}
    submit(
        store,
        "after.xlsx",
        samples.scs_self_assessment_workbook(level=4, marks=scs_marks(against, level=4), answered_on="2026-10-01"),
    )
    row = status_of(store, "4-5-1-1")
    assert (row["status"], row["kind"], row["conflict"], row["declared_against"], row["declared_status"]) == (
        "met",
        "certified",
        True,
        True,
        "not_met",
    )
    assert not status_of(store, "4-5-1-8")["declared_against"]  # not declared against
    statuses = yardstick.derive(store, AS_OF, "A")
    ready = yardstick.readiness(statuses, yardstick.catalogue_in_force(store)).row(0, named=True)
    assert ready["star4"] == pytest.approx(1.0) and ready["declared_against"] == 7
    chain = yardstick.explain(store, AS_OF, "A", "4-5-1-1")[0]["chain"]
    assert "declares it Not met" in chain and "2026-10-01" in chain
    flags.refresh(store, AS_OF, actor=SYSTEM)
    found = flags.flags(store, supplier_id="A", states=["open"]).filter(rule_id="conflict.certified")
    assert found.height == 1 and found["severity"][0] == "critical" and "4-5-1-1" in found["reason"][0]
    # before the self-assessment, and for answers older than the ★, nothing is held against it
    assert not status_of(store, "4-5-1-1", as_of=date(2026, 9, 1))["declared_against"]


def test_an_older_declaration_does_not_contradict_a_newer_star(store):
    submit(
        store,
        "before.xlsx",
        samples.scs_self_assessment_workbook(
            level=4, marks=scs_marks({"4-5-1-1": "✖"}, level=4), answered_on="2025-12-01"
        ),
    )
    certify(store, "A", "scs_star4", date(2026, 1, 10), number="SCS4-1")
    row = status_of(store, "4-5-1-1")
    assert (row["status"], row["conflict"], row["declared_against"]) == ("met", False, False)


@pytest.mark.parametrize("as_of", [date(2026, 9, 15), AS_OF])
def test_the_portfolio_counts_agree_with_the_statuses_of_every_supplier(tmp_path: Path, as_of: date):
    """The set-wise counts (one window and aggregates) say what the per-criterion statuses say,
    on a demo plus both kinds of conflict: equal evidence disagreeing, and declarations against a ★."""
    store = make_store(tmp_path / "demo.duckdb", suppliers=80, seed=5)
    for sid in ("A", "B"):
        add_supplier(store, Supplier(supplier_id=sid, name=f"株式会社{sid}"), BUYER)
    two_profiles_on_one_criterion(store)
    submit(store, "one.csv", "回答日,2026-09-01\np-one番号,p-one回答\n1,Y\n".encode())
    submit(store, "two.csv", "回答日,2026-09-10\np-two番号,p-two回答\n1,N\n".encode())
    certify(store, "B", "scs_star4", date(2026, 1, 10), number="SCS4-1")
    against = {f"4-5-1-{n}": "✖" for n in range(1, 8)}
    marks = scs_marks(against, level=4)
    submit(
        store,
        "after.xlsx",
        samples.scs_self_assessment_workbook(level=4, marks=marks, answered_on="2026-09-12"),
        supplier="B",
    )
    key = ["supplier_id", "category_no", "level"]
    counted = ["met", "partial", "conflicts", "declared_against"]
    columns = [*key, *counted, "conflict_criteria", "declared_against_criteria"]

    def normalised(frame: pl.DataFrame) -> pl.DataFrame:
        # SQL's list of no rows is NULL, polars' is empty: both mean none
        return (
            frame.select(columns)
            .with_columns(
                pl.col("category_no", "level", *counted).cast(pl.Int64),
                pl.col("conflict_criteria", "declared_against_criteria").fill_null([]),
            )
            .sort(key)
        )

    portfolio = normalised(yardstick.portfolio_counts(store, as_of, with_conflicts=True))
    per_criterion = normalised(yardstick.counts_of(yardstick.derive(store, as_of)))
    assert portfolio["conflicts"].sum() >= 1 and portfolio["declared_against"].sum() == 7
    assert portfolio.equals(per_criterion)
    plain = (
        yardstick.portfolio_counts(store, as_of)
        .select(*key, "met", "partial")
        .with_columns(pl.col("category_no", "level", "met", "partial").cast(pl.Int64))
    )
    assert plain.sort(key).equals(portfolio.select(plain.columns))


def test_whole_registry_figures_are_kept_until_the_evidence_changes(tmp_path: Path, monkeypatch):
    """The counts are computed once per evidence revision: a derivation of the flags keeps them,
    any other write (the system's own, which leaves no audit line, too) computes them again."""
    from registry.services import flags
    from registry.store import evidence

    store = make_store(tmp_path / "kept.duckdb", suppliers=40, seed=2)
    computed: list[bool] = []
    real = evidence.counts
    monkeypatch.setattr(
        evidence, "counts", lambda *a, **k: computed.append(k.get("with_conflicts", False)) or real(*a, **k)
    )
    first = yardstick.portfolio_counts(store, AS_OF, with_conflicts=True)
    assert yardstick.portfolio_counts(store, AS_OF, with_conflicts=True).equals(first)
    assert yardstick.portfolio_counts(store, AS_OF).equals(
        first.select(yardstick.portfolio_counts(store, AS_OF).columns)
    )
    flags.refresh(store, AS_OF, actor=SYSTEM)  # writes flags and readiness history only
    yardstick.readiness_of(store, AS_OF)
    assert computed == [True]
    certify(store, "S000001", "scs_star3", date(2026, 10, 1), number="SCS3-9")  # no audit line
    after = yardstick.portfolio_counts(store, AS_OF, with_conflicts=True)
    assert computed == [True, True]
    assert after.filter(supplier_id="S000001")["met"].sum() > first.filter(supplier_id="S000001")["met"].sum()
