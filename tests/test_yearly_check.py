"""The ★4 yearly self-assessment goes to the evaluation body (評価機関へ提出), not to the buyer.
Its submission is evidence of its own; an SCS sheet sent to the buyer counts only if it answers
the ★4 criteria. Who confirmed a ★3 and who evaluated a ★4 are fields with a checked format."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time

import polars as pl
import pytest
import time_machine
from click.testing import CliRunner
from conftest import ADMIN, SYSTEM, make_store

from importers.base import Limits, SourceFile
from questionnaires.catalogue import load_catalogue
from registry.cli import main
from registry.domain.actor import Actor
from registry.domain.models import Certificate, Supplier
from registry.errors import AccessDenied, MonosashiError
from registry.services import flags, intake
from registry.services.certificates import record_yearly_check, yearly_checks
from registry.services.renewals import certificate_states, yearly_check_overdue
from registry.services.suppliers import add_supplier
from tests.support import samples

TODAY = date(2028, 6, 1)  # the ★4 of 2027-04-10 had its first yearly check due on 2028-04-10


@pytest.fixture
def store(tmp_path):
    with time_machine.travel(datetime.combine(TODAY, time(12), tzinfo=UTC), tick=True):
        store = make_store(tmp_path / "r.duckdb")
        for sid in ("A", "B"):
            add_supplier(store, Supplier(supplier_id=sid, name=f"株式会社{sid}"), ADMIN)
        with store.transaction(SYSTEM) as tx:
            tx.insert_frame(
                "certificate",
                pl.DataFrame(
                    {
                        "certificate_id": ["C4", "C3", "B4"],
                        "supplier_id": ["A", "A", "B"],
                        "scheme": ["scs_star4", "scs_star3", "scs_star4"],
                        "issued_on": [date(2027, 4, 10), date(2027, 9, 1), date(2027, 4, 10)],
                        "registration_no": ["SCS4-1", "SCS3-1", "SCS4-2"],
                    }
                ),
            )
        yield store


@pytest.fixture(autouse=True)
def on_today():
    with time_machine.travel(datetime.combine(TODAY, time(12), tzinfo=UTC), tick=True):
        yield


def _state(store, cid="C4"):
    return certificate_states(store, TODAY).filter(certificate_id=cid)["state"][0]


def _submit(store, marks, answered_on="2028-03-01"):
    data = samples.scs_self_assessment_workbook(supplier_id="A", answered_on=answered_on, marks=marks)
    reports = intake.analyse(store, [SourceFile("sa.xlsx", data)], supplier_id="A", limits=Limits(), today=TODAY)
    assert reports[0].status == "ready", reports[0].errors
    intake.commit(store, reports, mode="per_file", actor=ADMIN, today=TODAY)


def test_overdue_until_the_submission_to_the_evaluation_body_is_recorded(store):
    assert _state(store) == "self_assessment_overdue"
    assert yearly_check_overdue(certificate_states(store, TODAY, "A"))
    flags.refresh(store, TODAY, actor=SYSTEM)
    assert not flags.flags(store, supplier_id="A", states=["open"]).filter(rule_id="renewal.self_assessment").is_empty()
    record_yearly_check(
        store, "C4", date(2028, 4, 2), ("受付.pdf", b"%PDF-1.4 receipt", "application/pdf"), via="hand", actor=ADMIN
    )
    assert _state(store) == "valid"
    assert not yearly_check_overdue(certificate_states(store, TODAY, "A"))
    (row,) = yearly_checks(store, "A").to_dicts()
    assert (row["registration_no"], row["receipt_name"], row["via"]) == ("SCS4-1", "受付.pdf", "hand")
    flags.refresh(store, TODAY, actor=SYSTEM)
    assert flags.flags(store, supplier_id="A", states=["open"]).filter(rule_id="renewal.self_assessment").is_empty()


def test_a_star3_sheet_with_its_star4_rows_blank_does_not_count(store):
    criteria = load_catalogue().criteria
    _submit(store, ["○" if c.level == 3 else None for c in criteria])
    assert _state(store) == "self_assessment_overdue"


def test_a_sheet_that_answers_every_star4_criterion_counts(store):
    criteria = load_catalogue().criteria
    _submit(store, ["○" if c.level == 3 else "△" for c in criteria])
    assert _state(store) == "valid"


def test_bad_yearly_checks_are_refused(store):
    with pytest.raises(MonosashiError, match="not a ★4"):
        record_yearly_check(store, "C3", date(2028, 4, 2), None, via="hand", actor=ADMIN)
    with pytest.raises(MonosashiError, match="after today"):
        record_yearly_check(store, "C4", date(2028, 7, 1), None, via="hand", actor=ADMIN)
    with pytest.raises(MonosashiError, match="before the ★4 was issued"):
        record_yearly_check(store, "C4", date(2027, 1, 1), None, via="hand", actor=ADMIN)
    with pytest.raises(MonosashiError, match="does not exist"):
        record_yearly_check(store, "NOPE", date(2028, 4, 2), None, via="hand", actor=ADMIN)
    assert yearly_checks(store, "A").is_empty()


def test_a_supplier_records_its_own_and_never_anothers(store):
    own = Actor.person("portal-A", "supplier", supplier_id="A", via="invitation")
    record_yearly_check(store, "C4", date(2028, 4, 2), None, via="portal", actor=own)
    assert _state(store) == "valid"
    with pytest.raises(AccessDenied):
        record_yearly_check(store, "B4", date(2028, 4, 2), None, via="portal", actor=own)
    assert _state(store, "B4") == "self_assessment_overdue"
    viewer = Actor.person("v", "viewer")
    with pytest.raises(AccessDenied):
        record_yearly_check(store, "B4", date(2028, 4, 2), None, via="hand", actor=viewer)


def test_the_cli_records_a_yearly_check(store, tmp_path):
    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(b"%PDF-1.4 r")
    out = CliRunner().invoke(
        main,
        [
            "certificates",
            "yearly-check",
            "C4",
            "--on",
            "2028-04-02",
            "--receipt",
            str(receipt),
            "--db",
            str(store.path),
        ],
    )
    assert out.exit_code == 0, out.output
    assert _state(store) == "valid"
    status = json.loads(
        CliRunner().invoke(main, ["renewals", "--json", "--as-of", TODAY.isoformat(), "--db", str(store.path)]).output
    )
    assert not [r for r in status if r["registration_no"] == "SCS4-1" and r["state"].startswith("self_assessment")]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"scheme": "scs_star3", "expert_registration_no": "12345"}, "six digits"),
        ({"scheme": "scs_star4", "expert_registration_no": "012345"}, "belongs to a ★3"),
        ({"scheme": "scs_star3", "evaluation_body": "一般社団法人 評価機構"}, "belongs to a ★4"),
    ],
)
def test_who_confirmed_or_evaluated_is_checked(fields, message):
    with pytest.raises(ValueError, match=message):
        Certificate(supplier_id="A", issued_on=date(2027, 5, 1), **fields)


def test_who_confirmed_or_evaluated_is_kept_from_a_list(store):
    text = (
        "取引先ID,制度,登録番号,発行日,確認した専門家の登録番号,評価機関\n"
        "A,★3,SCS3-9,2027-10-01,第０１２３４５号,\n"
        "B,★4,SCS4-9,2027-10-01,,一般社団法人 みらい評価機構\n"
    )
    reports = intake.analyse(store, [SourceFile("certs.csv", text.encode())], limits=Limits(), today=TODAY)
    assert reports[0].status == "ready", reports[0].errors
    intake.commit(store, reports, mode="per_file", actor=ADMIN, today=TODAY)
    rows = {r["registration_no"]: r for r in certificate_states(store, TODAY).to_dicts()}
    assert rows["SCS3-9"]["expert_registration_no"] == "012345"
    assert rows["SCS4-9"]["evaluation_body"] == "一般社団法人 みらい評価機構"
    bad = "取引先ID,制度,登録番号,発行日,確認した専門家の登録番号\nA,★3,SCS3-8,2027-10-01,ABC\n"
    (report,) = intake.analyse(store, [SourceFile("bad.csv", bad.encode())], limits=Limits(), today=TODAY)
    assert report.status == "rejected" and "six digits" in report.errors[0].message
    assert "bad.csv line 2" in report.errors[0].location


def test_a_list_of_yearly_checks_is_imported(store):
    """The buyer's list: the ★4's registration number and the date it went to the evaluation
    body. Rows that are no ★4 of the named supplier, or dated in the future, refuse the file."""
    good = "取引先ID,★4登録番号,評価機関への提出日\nA,SCS4-1,2028-04-02\nB,ＳＣＳ４－２,2028/4/5\n"
    (report,) = intake.analyse(store, [SourceFile("checks.csv", good.encode())], limits=Limits(), today=TODAY)
    assert (report.status, report.format) == ("ready", "yearly_check_list"), report.errors
    intake.commit(store, [report], mode="per_file", actor=ADMIN, today=TODAY)
    assert (_state(store), _state(store, "B4")) == ("valid", "valid")
    assert yearly_checks(store, "B").row(0, named=True)["via"] == "list"
    bad = "取引先ID,★4登録番号,評価機関への提出日\nA,SCS3-1,2028-04-02\nA,SCS4-2,2028-04-02\nA,SCS4-1,2029-01-01\n"
    (report,) = intake.analyse(store, [SourceFile("bad.csv", bad.encode())], limits=Limits(), today=TODAY)
    assert report.status == "rejected"
    messages = [(e.location, e.message) for e in report.errors]
    assert ("bad.csv line 2", "SCS3-1 is not a confirmed ★4 of supplier A") in messages
    assert ("bad.csv line 3", "SCS4-2 is not a confirmed ★4 of supplier A") in messages
    assert any(loc == "bad.csv line 4" and "not between" in m for loc, m in messages)


def test_the_directory_marks_a_star4_whose_yearly_check_is_overdue(store):
    from registry.domain.directory import DirectoryQuery
    from registry.services import directory

    flags.refresh(store, TODAY, actor=SYSTEM)
    rows = {r["supplier_id"]: r for r in directory.directory(store, TODAY, DirectoryQuery()).rows.to_dicts()}
    assert rows["A"]["held_level"] == "star4" and rows["A"]["check_overdue"] is True
    record_yearly_check(store, "C4", date(2028, 4, 2), None, via="hand", actor=ADMIN)
    flags.refresh(store, TODAY, ["A"], actor=SYSTEM)
    rows = {r["supplier_id"]: r for r in directory.directory(store, TODAY, DirectoryQuery()).rows.to_dicts()}
    assert rows["A"]["check_overdue"] is False and rows["B"]["check_overdue"] is True


def test_request_and_readiness_lists_mark_the_overdue_star4(store):
    flags.refresh(store, TODAY, actor=SYSTEM)
    frame = pl.DataFrame({"supplier_id": ["A", "B", "A"], "held_level": ["star4", "star4", "star3"]})
    marked = flags.with_check_overdue(store, frame)
    assert marked["check_overdue"].to_list() == [True, True, False]
    record_yearly_check(store, "C4", date(2028, 4, 2), None, via="hand", actor=ADMIN)
    flags.refresh(store, TODAY, ["A"], actor=SYSTEM)
    assert flags.with_check_overdue(store, frame)["check_overdue"].to_list() == [False, True, False]
