"""SCS ★3/★4 start around the end of FY2026: the start date lives in the validity policy
(editable in Settings), and ★ certificates and requests dated before it are kept with a warning."""

from __future__ import annotations

from datetime import date

from conftest import ADMIN, AS_OF, make_store

from importers.base import Limits, SourceFile
from registry.services import intake
from registry.services.renewals import certificate_states
from registry.services.settings import policy_for, save_settings, scheme_start
from registry.services.suppliers import supplier_status


def _import(store, name: str, text: str):
    reports = intake.analyse(store, [SourceFile(name, text.encode())], limits=Limits(), today=AS_OF)
    return reports[0]


def test_the_default_start_is_the_end_of_fy2026_and_the_admin_can_move_it(tmp_path):
    store = make_store(tmp_path / "r.duckdb")
    assert scheme_start(store) == date(2027, 3, 31)
    moved = policy_for(store).model_copy(update={"scheme_start": date(2027, 1, 15)})
    save_settings(store, {"validity_policy": moved.model_dump_json()}, actor=ADMIN)
    assert scheme_start(store) == date(2027, 1, 15)


def test_a_star_issued_before_the_start_is_kept_with_a_warning_and_marked_pre_scheme(tmp_path):
    store = make_store(tmp_path / "r.duckdb", suppliers=3)
    report = _import(
        store,
        "certs.csv",
        "取引先ID,制度,登録番号,発行日\nS000001,★3,SCS3-0001,2026-10-01\nS000002,ISMS,IS 1,2026-10-01\n",
    )
    assert report.status == "ready"
    warned = [w.message for w in report.warnings if "before SCS ★3/★4 start" in w.message]
    assert len(warned) == 1 and "S000001" in warned[0] and "2027-03-31" in warned[0]  # ISMS is not a ★
    intake.commit(store, [report], mode="per_file", actor=ADMIN, today=AS_OF)
    states = {r["registration_no"]: r["pre_scheme"] for r in certificate_states(store, AS_OF).to_dicts()}
    assert states["SCS3-0001"] is True and states["IS 1"] is False
    # once the admin sets an earlier start, it is no longer pre-scheme
    moved = policy_for(store).model_copy(update={"scheme_start": date(2026, 9, 1)})
    save_settings(store, {"validity_policy": moved.model_dump_json()}, actor=ADMIN)
    states = {r["registration_no"]: r["pre_scheme"] for r in certificate_states(store, AS_OF).to_dicts()}
    assert states["SCS3-0001"] is False


def test_a_request_due_before_the_start_is_warned_about(tmp_path):
    store = make_store(tmp_path / "r.duckdb", suppliers=3)
    report = _import(
        store,
        "requests.csv",
        "取引先ID,要請レベル,要請日,期日,判断理由\n"
        "S000001,★3,2026-11-01,2027-01-31,試行\n"
        "S000002,★3,2026-11-01,2027-09-30,試行\n",
    )
    assert report.status == "ready", report.errors
    warned = [w.message for w in report.warnings if "before SCS ★3/★4" in w.message]
    assert len(warned) == 1 and "S000001" in warned[0] and "2027-01-31" in warned[0]


def test_the_demo_holds_no_star_before_the_start_and_some_after(tmp_path):
    store = make_store(tmp_path / "r.duckdb", suppliers=300, seed=5)
    before = set(supplier_status(store, AS_OF)["held_level"])
    assert not before & {"star3", "star4"}
    assert {"star3", "star4"} <= set(supplier_status(store, date(2028, 6, 1))["held_level"])
    stars = certificate_states(store, AS_OF).filter(certificate_states(store, AS_OF)["scheme"].str.starts_with("scs"))
    assert stars.height > 0 and (stars["issued_on"] >= date(2027, 3, 31)).all()
