"""Every flag rule on a hand-made case, and the workflow across re-derivations (docs/flags.md)."""

import json
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from conftest import ADMIN, AS_OF, BUYER, SYSTEM, make_store, two_profiles_on_one_criterion
from support import samples

from importers.base import SourceFile
from questionnaires.catalogue import CatalogueDataError, load_catalogue
from questionnaires.flag_rules import default_rules, parse_rules
from registry.domain.actor import Actor
from registry.domain.models import LevelRequest, Supplier, SupplierLink
from registry.errors import MonosashiError
from registry.services import flags, intake, yardstick
from registry.services.requests import save_request, set_request_state
from registry.store import settings
from registry.store.suppliers import add_supplier


@pytest.fixture
def store(tmp_path: Path):
    store = make_store(tmp_path / "r.duckdb")
    add_supplier(store, Supplier(supplier_id="A", name="株式会社A", employees=300, has_security_staff=True), BUYER)
    return store


def certify(store, scheme: str, issued: date, cid: str, supplier: str = "A") -> None:
    with store.transaction(SYSTEM) as tx:
        tx.insert_frame(
            "certificate",
            pl.DataFrame(
                {
                    "certificate_id": [cid],
                    "supplier_id": [supplier],
                    "scheme": [scheme],
                    "registration_no": [f"NO-{cid}"],
                }
            ).with_columns(issued_on=pl.lit(issued)),
        )


def request(
    store,
    level: int = 3,
    requested: date = AS_OF - timedelta(days=400),
    due: date | None = None,
    state: str = "sent",
    supplier: str = "A",
) -> None:
    answers = {"holds_confidential_info": level == 4, "outage_delays_buyer": False, "reaches_buyer_network": False}
    save_request(
        store,
        LevelRequest(
            request_id=f"R-{supplier}",
            supplier_id=supplier,
            requested_level=level,
            requested_on=requested,
            due_on=due or requested + timedelta(days=365),
            **answers,
        ),
        ADMIN,
    )
    if state != "draft":
        set_request_state(store, [f"R-{supplier}"], "sent", requested, ADMIN)
    if state == "acknowledged":
        set_request_state(store, [f"R-{supplier}"], "acknowledged", requested, ADMIN)


def self_assessment(
    store,
    marks: dict[str, str | None] | None = None,
    default: str | None = "○",
    answered_on: date = AS_OF - timedelta(days=30),
    supplier: str = "A",
) -> None:
    criteria = load_catalogue().criteria
    chosen = [(marks or {}).get(c.id, default) for c in criteria]
    data = samples.scs_self_assessment_workbook(supplier_id=supplier, answered_on=answered_on.isoformat(), marks=chosen)
    reports = intake.analyse(store, [SourceFile(f"sa-{supplier}-{answered_on}.xlsx", data)], supplier_id=supplier)
    assert reports[0].status == "ready", reports[0].errors
    intake.commit(store, reports, mode="per_file", actor=BUYER, today=AS_OF)


def held(store, as_of: date = AS_OF, rule: str | None = None) -> list[dict]:
    frame = flags.derive(store, as_of)
    if rule:
        frame = frame.filter(rule_id=rule)
    return [{**row, "facts": json.loads(row["facts"])} for row in frame.to_dicts()]


# -- the rules --------------------------------------------------------------------------------------


def test_rules_file_is_complete_and_validated():
    rules = default_rules()
    assert {r.id for r in rules.rules} >= {"renewal.expiring", "below_request", "coverage_hole", "conflict"}
    text = json.dumps(rules.model_dump(mode="json")).replace("{days_left}", "{nonsense}")
    with pytest.raises(CatalogueDataError, match="the reason names"):
        parse_rules(text, "flag_rules.json")
    broken = rules.model_dump(mode="json")
    broken["rules"] = broken["rules"][1:]
    with pytest.raises(CatalogueDataError, match="rules missing"):
        parse_rules(json.dumps(broken), "flag_rules.json")


def test_renewal_expiring_warns_then_turns_critical(store):
    certify(store, "scs_star3", AS_OF - timedelta(days=300), "C3")  # valid through AS_OF + 64
    [flag] = held(store, rule="renewal.expiring")
    assert (flag["severity"], flag["subject"], flag["facts"]["days_left"]) == ("warning", "C3", "64")
    assert "SCS★3" in flag["reason"] and "NO-C3" in flag["reason"] and "64" in flag["reason_en"]
    [late] = held(store, AS_OF + timedelta(days=40), rule="renewal.expiring")
    assert late["severity"] == "critical"  # 24 days left, within critical_days 30
    assert held(store, AS_OF - timedelta(days=60), rule="renewal.expiring") == []  # 124 days ahead: outside


def test_renewal_expiring_is_silent_when_a_higher_star_lasts_longer(store):
    certify(store, "scs_star3", AS_OF - timedelta(days=300), "C3")
    certify(store, "scs_star4", AS_OF - timedelta(days=10), "C4")
    assert held(store, rule="renewal.expiring") == []


def test_renewal_expired_until_renewed(store):
    certify(store, "scs_star3", AS_OF - timedelta(days=400), "OLD")  # valid through AS_OF - 36
    [flag] = held(store, rule="renewal.expired")
    assert (flag["severity"], flag["facts"]["days_ago"]) == ("critical", "36")
    certify(store, "scs_star3", AS_OF - timedelta(days=5), "NEW")  # the renewal supersedes it
    assert held(store, rule="renewal.expired") == []
    assert held(store, AS_OF + timedelta(days=400 + 365), rule="renewal.expired") == []  # past the look-back


def test_star4_yearly_self_assessment_overdue_then_done(store):
    certify(store, "scs_star4", AS_OF - timedelta(days=400), "C4")  # first anniversary 35 days ago
    [flag] = held(store, rule="renewal.self_assessment")
    assert flag["severity"] == "critical" and "期日超過" in flag["reason"] and "overdue" in flag["reason_en"]
    self_assessment(store, answered_on=AS_OF - timedelta(days=3))
    assert held(store, rule="renewal.self_assessment") == []


def test_isms_surveillance_overdue_is_a_flag_not_staleness(store):
    """ISMS issued 450 days ago: its first surveillance audit is overdue (past the 60 days' grace).
    The buyer is told by a flag; the certificate's evidence still counts in full."""
    certify(store, "iso27001", AS_OF - timedelta(days=450), "JQA-9")
    [flag] = held(store, rule="renewal.surveillance")
    assert flag["severity"] == "critical" and "期日超過" in flag["reason"] and "overdue" in flag["reason_en"]
    assert held(store, rule="stale.evidence") == []
    statuses = yardstick.derive(store, AS_OF, "A").filter(kind="certificate")
    assert statuses.height > 100 and not statuses["stale"].any()


def test_below_request_only_after_the_due_date_and_while_below(store):
    request(store, level=3, requested=AS_OF - timedelta(days=400), due=AS_OF - timedelta(days=10))
    [flag] = held(store, rule="below_request")
    assert (flag["severity"], flag["subject"], flag["facts"]["days_late"]) == ("critical", "R-A", "10")
    assert "★なし" in flag["reason"] and "no ★" in flag["reason_en"]
    assert held(store, AS_OF - timedelta(days=11), rule="below_request") == []  # before the due date
    certify(store, "scs_star3", AS_OF - timedelta(days=1), "C3")
    assert held(store, rule="below_request") == []  # achieved


def test_below_request_ignores_a_draft_never_sent(store):
    request(store, level=3, due=AS_OF - timedelta(days=10), state="draft")
    assert held(store, rule="below_request") == []


def test_low_readiness_and_weak_organisational_categories(store):
    request(store, level=3, due=AS_OF + timedelta(days=100))
    # everything met but governance (1), supplier management (2) and incident response (6)
    marks = {c.id: "✖" for c in load_catalogue().criteria if c.id[0] in "126"}
    self_assessment(store, marks)
    assert held(store, rule="needs_support.readiness") == []  # most of ★3 is met
    [weak] = held(store, rule="needs_support.weak_categories")
    assert "ガバナンスの整備 0%" in weak["reason"] and "Supplier management 0%" in weak["reason_en"]
    assert "インシデントへの対応 0%" in weak["reason"] and weak["facts"]["target_level"] == "3"
    self_assessment(store, default="✖", answered_on=AS_OF - timedelta(days=1))
    [low] = held(store, rule="needs_support.readiness")
    assert low["facts"]["readiness"] == "0%" and low["facts"]["total"] == "81" and "★3" in low["reason"]


def test_needs_support_needs_a_request_and_some_evidence(store):
    self_assessment(store, default="✖")
    assert held(store, rule="needs_support.readiness") == []  # nothing asked of the supplier
    request(store, level=3, due=AS_OF + timedelta(days=100))
    assert len(held(store, rule="needs_support.readiness")) == 1


def test_many_dont_know_answers(store):
    criteria = load_catalogue().criteria
    self_assessment(store, {c.id: "わからない" for c in criteria[:40]})  # 40 of 153 say わからない
    [flag] = held(store, rule="needs_support.unknown_answers")
    assert (flag["facts"]["unknown"], flag["facts"]["answers"], flag["facts"]["share"]) == ("40", "153", "26%")
    self_assessment(store, {c.id: "わからない" for c in criteria[:3]}, answered_on=AS_OF - timedelta(days=1))
    assert held(store, rule="needs_support.unknown_answers") == []  # the newer answers count


def test_blank_answers_are_not_dont_know(store):
    """A ★3 sheet whose ★4 rows were left blank: those rows were not asked, and a blank is not
    わからない. Only the explicit ones count, out of the answers given."""
    criteria = load_catalogue().criteria
    star3 = [c for c in criteria if c.level == 3]
    marks = {c.id: None for c in criteria if c.level == 4} | {c.id: "わからない" for c in star3[:20]}
    self_assessment(store, marks)
    [flag] = held(store, rule="needs_support.unknown_answers")
    assert (flag["facts"]["unknown"], flag["facts"]["answers"]) == ("20", str(len(star3)))
    self_assessment(store, {c.id: None for c in criteria if c.level == 4}, answered_on=AS_OF - timedelta(days=1))
    assert held(store, rule="needs_support.unknown_answers") == []  # 72 blank ★4 rows are not 72 わからない


def test_small_company_without_security_staff(store):
    add_supplier(store, Supplier(supplier_id="S", name="有限会社S", employees=12, has_security_staff=False), BUYER)
    add_supplier(store, Supplier(supplier_id="U", name="有限会社U", employees=12), BUYER)  # staff unknown
    assert held(store, rule="needs_support.no_security_staff") == []  # nothing requested yet
    request(store, supplier="S", due=AS_OF + timedelta(days=100))
    request(store, supplier="U", due=AS_OF + timedelta(days=100))
    [flag] = held(store, rule="needs_support.no_security_staff")
    assert flag["supplier_id"] == "S" and "12" in flag["reason"]


def test_conflicting_evidence(store):
    two_profiles_on_one_criterion(store)
    for name, answer, on in (("p-one", "Y", "2026-09-01"), ("p-two", "N", "2026-10-01")):
        data = f"回答日,{on}\n{name}番号,{name}回答\n1,{answer}\n".encode()
        reports = intake.analyse(store, [SourceFile(f"{name}.csv", data)], supplier_id="A")
        intake.commit(store, reports, mode="per_file", actor=BUYER, today=AS_OF)
    [flag] = held(store, rule="conflict")
    assert flag["facts"] == {"conflicts": "1", "criteria": "4-4-2-1"} and "4-4-2-1" in flag["reason"]


def test_stale_evidence_and_no_evidence(store):
    self_assessment(store, answered_on=AS_OF - timedelta(days=500))
    [flag] = held(store, rule="stale.evidence")
    assert flag["facts"]["newest"] == str(AS_OF - timedelta(days=500))
    certify(store, "scs_star3", AS_OF - timedelta(days=20), "C3")  # a valid ★ is fresh evidence
    assert held(store, rule="stale.evidence") == []
    add_supplier(store, Supplier(supplier_id="N", name="株式会社N"), BUYER)
    request(store, supplier="N", requested=AS_OF - timedelta(days=61), due=AS_OF + timedelta(days=300))
    [none] = held(store, rule="stale.no_evidence")
    assert none["supplier_id"] == "N" and none["facts"]["days"] == "61"
    assert held(store, AS_OF - timedelta(days=2), rule="stale.no_evidence") == []  # within the grace period


def test_coverage_hole_flags_every_supplier_on_the_path(store):
    add_supplier(store, Supplier(supplier_id="T2", name="株式会社T2"), BUYER)
    with store.transaction(SYSTEM) as tx:
        links = [
            SupplierLink(parent_id="@buyer", child_id="A", critical=True),
            SupplierLink(parent_id="A", child_id="T2", critical=True),
        ]
        for link in links:
            tx.execute(
                "INSERT INTO supplier_link (parent_id, child_id, source, critical, created_at) VALUES (?, ?, 'buyer_list', ?, TIMESTAMP '2026-11-23 12:00:00')",
                [link.parent_id, link.child_id, link.critical],
            )
    certify(store, "scs_star3", AS_OF - timedelta(days=10), "C3")  # A is covered, T2 knows nothing
    found = held(store, rule="coverage_hole")
    assert {(f["supplier_id"], f["subject"]) for f in found} == {("A", "T2"), ("T2", "T2")}
    assert all("発注者 → A → T2" in f["reason"] and f["severity"] == "warning" for f in found)


def test_thresholds_and_switches_come_from_settings(store):
    certify(store, "scs_star3", AS_OF - timedelta(days=300), "C3")  # 64 days left
    settings.save_settings(store, {"flags.renewal.expiring.window_days": "30"}, ADMIN)
    assert held(store, rule="renewal.expiring") == []
    settings.save_settings(
        store, {"flags.renewal.expiring.window_days": "90", "flags.renewal.expiring.enabled": "false"}, ADMIN
    )
    assert held(store, rule="renewal.expiring") == []
    flags.reset_rules(store, ADMIN)
    assert len(held(store, rule="renewal.expiring")) == 1


# -- the workflow -----------------------------------------------------------------------------------


def stored(store, rule: str) -> dict:
    return flags.flags(store).filter(rule_id=rule).row(0, named=True)


def test_workflow_survives_rederivation_and_closes_with_a_reason(store):
    certify(store, "scs_star3", AS_OF - timedelta(days=300), "C3")
    first = flags.refresh(store, AS_OF, actor=BUYER)
    assert first.raised == 1
    flag = stored(store, "renewal.expiring")
    flags.set_flag_state(
        store, [flag["flag_id"]], "acknowledged", Actor.person("buyer@example", "buyer"), "renewal booked for December"
    )
    again = flags.refresh(store, AS_OF + timedelta(days=1), actor=BUYER)
    assert (again.raised, again.still_holding, again.closed) == (0, 1, 0)
    kept = stored(store, "renewal.expiring")
    assert (kept["flag_id"], kept["state"], kept["note"]) == (
        flag["flag_id"],
        "acknowledged",
        "renewal booked for December",
    )
    assert kept["last_held_on"] == AS_OF + timedelta(days=1) and kept["first_held_on"] == AS_OF
    certify(store, "scs_star3", AS_OF + timedelta(days=2), "C3-NEW")  # renewed
    closed = flags.refresh(store, AS_OF + timedelta(days=3), actor=BUYER)
    assert closed.closed == 1
    done = stored(store, "renewal.expiring")
    assert (done["state"], done["state_changed_by"], done["closed_by_rule"]) == ("resolved", "system", True)
    assert done["note"].startswith(str(AS_OF + timedelta(days=3))) and "更新" in done["note"]
    actions = flags.flag_history(store, flag["flag_id"])["action"].to_list()
    assert actions == ["flag_raised", "flag_acknowledged", "flag_closed"]


def test_a_closed_flag_reopens_when_it_holds_again_but_a_dismissed_one_stays(store):
    certify(store, "scs_star3", AS_OF - timedelta(days=300), "C3")
    flags.refresh(store, AS_OF, actor=BUYER)
    flags.refresh(store, AS_OF - timedelta(days=60), actor=BUYER)  # not yet in the window on that date: closed
    assert stored(store, "renewal.expiring")["state"] == "resolved"
    result = flags.refresh(store, AS_OF, actor=BUYER)
    assert result.reopened == 1 and stored(store, "renewal.expiring")["state"] == "open"
    flag_id = stored(store, "renewal.expiring")["flag_id"]
    with pytest.raises(MonosashiError, match="needs a reason"):
        flags.set_flag_state(store, [flag_id], "dismissed", BUYER)
    flags.set_flag_state(store, [flag_id], "dismissed", BUYER, "supplier is being replaced")
    flags.refresh(store, AS_OF + timedelta(days=1), actor=BUYER)
    assert stored(store, "renewal.expiring")["state"] == "dismissed"


def test_workflow_steps_are_all_or_nothing(store):
    certify(store, "scs_star3", AS_OF - timedelta(days=300), "C3")
    certify(store, "scs_star3", AS_OF - timedelta(days=400), "OLD", supplier="A")
    flags.refresh(store, AS_OF, actor=BUYER)
    ids = flags.flags(store)["flag_id"].to_list()
    flags.set_flag_state(store, ids[:1], "resolved", BUYER)
    with pytest.raises(MonosashiError, match="Cannot mark Acknowledged"):
        flags.set_flag_state(store, ids, "acknowledged", BUYER)
    assert flags.flags(store).filter(state="acknowledged").is_empty()
    with pytest.raises(MonosashiError, match="Unknown flag 999"):
        flags.set_flag_state(store, [999], "resolved", BUYER)


def test_an_import_refreshes_only_its_suppliers_flags(store):
    add_supplier(store, Supplier(supplier_id="B", name="株式会社B"), BUYER)
    request(store, supplier="B", due=AS_OF + timedelta(days=100))
    flags.refresh(store, AS_OF, actor=BUYER)
    assert flags.flags(store).filter(supplier_id="B", rule_id="stale.no_evidence").height == 1
    self_assessment(store, default="○", supplier="B")  # the import re-derives B's flags at once
    b = flags.flags(store).filter(supplier_id="B", rule_id="stale.no_evidence").row(0, named=True)
    assert (b["state"], b["closed_by_rule"]) == ("resolved", True)
    assert store.setting("flags.derived_as_of") == AS_OF.isoformat()  # a partial refresh is not the daily one


def test_daily_derivation_runs_once_a_day(store):
    certify(store, "scs_star3", AS_OF - timedelta(days=300), "C3")
    assert flags.ensure_current(store, AS_OF).raised == 1
    assert flags.ensure_current(store, AS_OF) is None
    assert flags.ensure_current(store, AS_OF + timedelta(days=1)) is not None


def test_the_history_worked_out_set_wise_is_the_history_day_by_day_would_leave(tmp_path: Path):
    """``replay`` on a registry without history derives every day, then writes the flags, their
    steps and the readiness changes in one transaction; it must leave exactly what reconciling
    day by day leaves (the path it takes on a registry that keeps history already)."""
    days = [AS_OF - timedelta(days=30 * back) for back in range(6, 0, -1)] + [AS_OF]
    set_wise = make_store(tmp_path / "set.duckdb", suppliers=150, seed=7)
    by_day = make_store(tmp_path / "day.duckdb", suppliers=150, seed=7)
    done = flags.replay(set_wise, AS_OF, 6, actor=SYSTEM)
    for day in days[:-1]:
        flags.refresh(by_day, day, actor=SYSTEM)
    expected = flags.refresh(by_day, AS_OF, actor=SYSTEM)
    assert done == expected

    def kept(store) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        flag_rows = store.frame(
            """SELECT flag_key, supplier_id, kind, rule_id, subject, severity, reason, reason_en, CAST(facts AS VARCHAR) AS facts,
                      state, closed_by_rule, note, first_held_on, last_held_on, state_changed_by
               FROM flag ORDER BY flag_key"""
        )
        readiness = store.frame("SELECT * FROM readiness_history ORDER BY supplier_id, taken_on")
        steps = store.frame(
            """SELECT a.action, f.flag_key, CAST(a.detail AS VARCHAR) AS detail,
                      count(*) FILTER (WHERE d.action = 'derive_flags') OVER (ORDER BY a.audit_id) AS day
               FROM audit_log a LEFT JOIN flag f ON a.entity_id = CAST(f.flag_id AS VARCHAR)
               JOIN audit_log d USING (audit_id)
               WHERE a.entity = 'flag' ORDER BY day, a.action, f.flag_key"""
        )
        return flag_rows, readiness, steps

    for ours, theirs in zip(kept(set_wise), kept(by_day), strict=True):
        assert ours.equals(theirs)
    flag_rows, readiness, steps = kept(set_wise)
    assert {"flag_raised", "flag_closed", "derive_flags"} <= set(steps["action"])
    assert readiness["taken_on"].n_unique() > 1 and set(flag_rows["state"]) == {"open", "resolved"}


def test_flags_that_close_and_hold_again_have_the_same_history_set_wise_as_day_by_day(tmp_path: Path):
    """Hand-made days where flags open, close, reopen and close again: the set-wise history
    (registry/domain/history.py) and daily reconciliation agree on every flag, note and step."""
    from registry.domain.flag_rules import FLAG_COLUMNS
    from registry.domain.history import flag_history, readiness_changes
    from registry.domain.yardstick import HISTORY_COLUMNS
    from registry.services.derivation import _closing, rules_in_force
    from registry.store import flags as stored

    days = [AS_OF - timedelta(days=30 * back) for back in range(4, -1, -1)]
    held_on = {"A": [0, 1, 2, 3, 4], "B": [0, 2], "C": [1, 3, 4], "D": [4], "E": [1]}
    rule = {
        "A": "stale.evidence",
        "B": "coverage_hole",
        "C": "renewal.surveillance",
        "D": "conflict",
        "E": "stale.no_evidence",
    }

    def derived(day: int) -> pl.DataFrame:
        rows = [
            {
                "flag_key": f"{rule[k]}|S{k}|",
                "supplier_id": f"S{k}",
                "kind": "renewal",
                "rule_id": rule[k],
                "subject": "",
                "severity": "critical" if day == 4 else "warning",
                "reason": f"{k} 日{day}",
                "reason_en": f"{k} day {day}",
                "facts": json.dumps({"day": day}),
            }
            for k, on in held_on.items()
            if day in on
        ]
        return pl.DataFrame(rows, schema={c: pl.String for c in FLAG_COLUMNS})

    def snapshot(day: int) -> pl.DataFrame:
        values = {c: [0.5 + 0.1 * (day // 2), 0.2] for c in HISTORY_COLUMNS}
        return pl.DataFrame({"supplier_id": ["SA", "SB"], **values})

    set_wise = make_store(tmp_path / "set.duckdb")
    by_day = make_store(tmp_path / "day.duckdb")
    closing = _closing(rules_in_force(by_day))
    for number, day in enumerate(days):
        expected = stored.reconcile(by_day, SYSTEM, day, derived(number), snapshot(number), closing, None)
    history = flag_history(
        pl.concat([derived(n).with_columns(day=pl.lit(n, dtype=pl.Int64)) for n in range(len(days))]), days, closing
    )
    readiness = readiness_changes(
        pl.concat([snapshot(n).with_columns(taken_on=pl.lit(d, dtype=pl.Date)) for n, d in enumerate(days)])
    )
    assert stored.record_history(set_wise, SYSTEM, days, history, readiness) == expected

    def kept(store) -> list[pl.DataFrame]:
        return [
            store.frame(
                """SELECT flag_key, severity, reason, CAST(facts AS VARCHAR) AS facts, state, closed_by_rule, note,
                          first_held_on, last_held_on FROM flag ORDER BY flag_key"""
            ),
            store.frame("SELECT * FROM readiness_history ORDER BY supplier_id, taken_on"),
            store.frame(
                """SELECT action, CAST(detail AS VARCHAR) AS detail FROM audit_log
                   WHERE entity = 'flag' ORDER BY audit_id"""
            ),
        ]

    ours, theirs = kept(set_wise), kept(by_day)
    for mine, reference in zip(ours, theirs, strict=True):
        assert mine.to_dicts() == reference.to_dicts()
    flag_rows = {r["flag_key"].split("|")[1][1:]: r for r in ours[0].to_dicts()}
    assert (flag_rows["B"]["state"], flag_rows["B"]["closed_by_rule"]) == ("resolved", True)
    assert flag_rows["C"]["note"] == f"{days[3]}: 再び該当" and flag_rows["C"]["state"] == "open"
    assert ours[2]["action"].to_list().count("flag_reopened") == 2
