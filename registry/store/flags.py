"""Flags as stored: the derived flags reconciled with the stored ones (their workflow survives
re-derivation), the workflow steps people take, the facts the rules read that only SQL can
gather, the registry's rule overrides, and the readiness history the derivation keeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from registry import clock
from registry.domain.actor import Actor
from registry.domain.flag_rules import STATES, WORKFLOW, FlagError
from registry.domain.history import FlagHistory
from registry.domain.yardstick import HISTORY_COLUMNS
from registry.errors import MonosashiError
from registry.store.core import Store, Transaction

__all__ = [
    "Reconciled",
    "answer_counts",
    "flag_history",
    "flags",
    "held_flags_of",
    "history_is_empty",
    "needing_support",
    "newest_evidence",
    "open_flags_on",
    "people",
    "reconcile",
    "record_history",
    "reset_rules",
    "rule_overrides",
    "set_flag_state",
    "supplier_readiness_history",
    "top_flags",
    "yearly_check_overdue",
]


def reset_rules(store: Store, actor: Actor) -> None:
    """Drop this registry's rule overrides: the shipped thresholds apply again."""
    with store.transaction(actor) as tx:
        removed = tx.execute("DELETE FROM setting WHERE key LIKE 'flags.%.%' RETURNING key")
        tx.audit("reset_flag_rules", entity="setting", detail={"removed": sorted(r[0] for r in removed)})


def flags(
    store: Store,
    *,
    states: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    severities: Sequence[str] | None = None,
    supplier_id: str | None = None,
) -> pl.DataFrame:
    """Stored flags with their supplier, filtered (an empty or missing filter: everything), most
    severe first."""
    return store.frame(
        """SELECT f.flag_id, f.supplier_id, s.name, f.kind, f.rule_id, f.subject, f.severity, f.reason, f.reason_en,
                  f.state, f.closed_by_rule, f.first_held_on, f.last_held_on, f.raised_at, f.state_changed_at,
                  f.state_changed_by, f.note, f.facts
           FROM flag f JOIN supplier s USING (supplier_id)
           WHERE (len($states) = 0 OR f.state IN (SELECT unnest($states)))
             AND (len($kinds) = 0 OR f.kind IN (SELECT unnest($kinds)))
             AND (len($severities) = 0 OR f.severity IN (SELECT unnest($severities)))
             AND ($supplier IS NULL OR f.supplier_id = $supplier)
           ORDER BY CASE f.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,
                    f.first_held_on, f.supplier_id, f.rule_id, f.subject""",
        {
            "states": list(states or []),
            "kinds": list(kinds or []),
            "severities": list(severities or []),
            "supplier": supplier_id,
        },
    )


def set_flag_state(store: Store, flag_ids: Sequence[int], state: str, actor: Actor, note: str | None = None) -> int:
    """Move flags through the workflow (open → acknowledged → resolved, or dismissed with a reason;
    back to open to reopen). All or none: one flag that cannot make the step refuses the change."""
    if state not in WORKFLOW:
        raise FlagError("flag.unknown_state", state=repr(state), expected_label=[f"flag_state.{s}" for s in STATES])
    if state == "dismissed" and not (note or "").strip():
        raise FlagError("flag.dismiss_needs_reason")
    ids = list(dict.fromkeys(int(i) for i in flag_ids))
    if not ids:
        return 0
    with store.transaction(actor) as tx:
        found = dict(tx.execute("SELECT flag_id, state FROM flag WHERE flag_id IN (SELECT unnest(?))", [ids]))
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise FlagError("flag.not_found", flag_ids=missing[:5])
        wrong = [i for i in ids if found[i] not in WORKFLOW[state]][:5]
        if wrong:
            raise FlagError(
                "flag.wrong_step",
                state_label=f"flag_state.{state}",
                flag_ids=[str(i) for i in wrong],
                current_label=[f"flag_state.{s}" for s in dict.fromkeys(found[i] for i in wrong)],
            )
        tx.execute(
            """UPDATE flag SET state = $state, closed_by_rule = false, state_changed_at = $now,
                   state_changed_by = $actor, note = coalesce($note, note)
               WHERE flag_id IN (SELECT unnest($ids))""",
            {"state": state, "now": clock.now(), "actor": actor.name, "note": note, "ids": ids},
        )
        tx.audit_many(
            [
                {
                    "action": f"flag_{state}",
                    "entity": "flag",
                    "entity_id": str(i),
                    "detail": {"from": found[i], "note": note},
                }
                for i in ids
            ]
        )
    return len(ids)


def flag_history(store: Store, flag_id: int) -> pl.DataFrame:
    """Every workflow step of one flag, from the audit log."""
    return store.frame(
        "SELECT logged_at, actor, action, detail FROM audit_log WHERE entity = 'flag' AND entity_id = ? ORDER BY audit_id",
        [str(flag_id)],
    )


def _record_readiness(tx: Transaction, snapshot: pl.DataFrame, as_of: date) -> None:
    """Keep the readiness of the suppliers whose readiness changed since their latest record
    before ``as_of``. Only the rows that change are written: a second derivation on the same day
    writes nothing (deleting and inserting a million unchanged rows took 25 s)."""
    values = HISTORY_COLUMNS
    name = tx.register("snapshot", snapshot.with_columns(taken_on=pl.lit(as_of)))
    changed = " OR ".join(f"abs(n.{c} - l.{c}) > 1e-9" for c in values)
    wanted = f"""WITH wanted AS (  -- the rows the day should hold for these suppliers
            SELECT n.* FROM {name} n
            LEFT JOIN (
                SELECT * FROM readiness_history WHERE taken_on < $as_of
                QUALIFY row_number() OVER (PARTITION BY supplier_id ORDER BY taken_on DESC) = 1
            ) l USING (supplier_id)
            WHERE l.supplier_id IS NULL OR {changed}
        )"""
    same = " AND ".join(f"w.{c} = h.{c}" for c in values)
    tx.execute(
        f"""{wanted}
            DELETE FROM readiness_history h
            WHERE h.taken_on = $as_of AND h.supplier_id IN (SELECT supplier_id FROM {name})
              AND NOT EXISTS (SELECT 1 FROM wanted w WHERE w.supplier_id = h.supplier_id AND {same})""",
        {"as_of": as_of},
    )
    tx.execute(
        f"""{wanted}
            INSERT INTO readiness_history (supplier_id, taken_on, {", ".join(values)})
            SELECT w.supplier_id, w.taken_on, {", ".join(f"w.{c}" for c in values)}
            FROM wanted w
            WHERE NOT EXISTS (
                SELECT 1 FROM readiness_history h WHERE h.supplier_id = w.supplier_id AND h.taken_on = $as_of
            )""",
        {"as_of": as_of},
    )


def rule_overrides(store: Store) -> dict[str, str]:
    """This registry's flag rule thresholds and switches (settings ``flags.<rule>.<name>``)."""
    rows = store.frame("SELECT key, value FROM setting WHERE key LIKE 'flags.%'")
    return dict(rows.select("key", "value").iter_rows())


# -- facts for the rules ----------------------------------------------------------------------------


def _who(scope: pl.DataFrame | None) -> tuple[str, dict[str, pl.DataFrame]]:
    """The supplier filter of a gather: every supplier, or those of the scope frame (joined in
    SQL: a scope is never a list of IDs in a parameter)."""
    if scope is None:
        return "TRUE", {}
    return "s.supplier_id IN (SELECT supplier_id FROM scope)", {"scope": scope}


def people(store: Store, scope: pl.DataFrame | None) -> pl.DataFrame:
    """Each supplier's size and whether it has security staff."""
    who, frames = _who(scope)
    return store.frame_with(
        f"SELECT supplier_id, employees, has_security_staff FROM supplier s WHERE {who}", None, **frames
    )


def answer_counts(store: Store, as_of: date, scope: pl.DataFrame | None) -> pl.DataFrame:
    """Per supplier: the answers its current submissions give (blank rows were not answered, and
    on a ★3 sheet the ★4 rows were not asked: neither counts), and how many of them say わからない."""
    who, frames = _who(scope)
    return store.frame_with(
        f"""WITH current AS (
                SELECT * FROM (
                    SELECT s.*, row_number() OVER (PARTITION BY supplier_id, framework_id
                        ORDER BY submitted_on DESC, imported_at DESC, submission_id DESC) AS newest
                    FROM submission s WHERE s.submitted_on <= $as_of AND {who}
                ) WHERE newest = 1
            )
            SELECT c.supplier_id, count(*) AS answers, count(*) FILTER (WHERE a.status = 'unknown') AS unknown
            FROM current c JOIN answer a USING (submission_id)
            WHERE a.status <> 'not_applicable' AND a.raw_answer IS NOT NULL
            GROUP BY c.supplier_id""",
        {"as_of": as_of},
        **frames,
    )


def newest_evidence(store: Store, as_of: date, scope: pl.DataFrame | None) -> pl.DataFrame:
    """Per supplier: the date of its newest submission or certificate by ``as_of``."""
    who, frames = _who(scope)
    return store.frame_with(
        f"""WITH ev AS (
                SELECT supplier_id, submitted_on AS on_date FROM submission s WHERE submitted_on <= $as_of AND {who}
                UNION ALL
                SELECT supplier_id, issued_on FROM certificate_counted s WHERE issued_on <= $as_of AND {who}
            )
            SELECT supplier_id, max(on_date) AS newest FROM ev GROUP BY supplier_id""",
        {"as_of": as_of},
        **frames,
    )


# -- the reconciliation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reconciled:
    """What one reconciliation changed."""

    raised: int
    still_holding: int
    reopened: int
    closed: int


def reconcile(
    store: Store,
    actor: Actor,
    as_of: date,
    derived: pl.DataFrame,
    snapshot: pl.DataFrame,
    closing: pl.DataFrame,
    scope: pl.DataFrame | None,
) -> Reconciled:
    """Bring the stored flags to the derived set in one transaction, and keep the readiness
    snapshot: a flag that still holds keeps its workflow state (reopened if the rules had closed
    it), a new one opens, one in scope that no longer holds is closed with its rule's reason.
    ``scope`` None is the whole registry: the daily derivation, recorded as done for the day."""
    now = clock.now()
    params = {"as_of": as_of, "now": now}
    with store.transaction(actor) as tx:
        tx.derived_only = True  # flags and readiness history: the evidence stays as it was
        in_scope = (
            "TRUE" if scope is None else f"f.supplier_id IN (SELECT supplier_id FROM {tx.register('scope', scope)})"
        )
        name = tx.register("derived", derived)
        closing_name = tx.register("closing", closing)
        counts = tx.execute(
            f"""SELECT
                  count(*) FILTER (WHERE f.flag_id IS NULL),
                  count(*) FILTER (WHERE f.flag_id IS NOT NULL AND NOT f.closed_by_rule),
                  count(*) FILTER (WHERE f.closed_by_rule)
                FROM {name} d LEFT JOIN flag f USING (flag_key)""",
        )[0]
        closed = tx.execute(
            f"""UPDATE flag f SET state = 'resolved', closed_by_rule = true, state_changed_at = $now,
                    state_changed_by = 'system',
                    note = strftime($as_of, '%Y-%m-%d') || ': ' || c.closed_ja
                FROM {closing_name} c
                WHERE c.rule_id = f.rule_id AND f.state IN ('open', 'acknowledged') AND {in_scope}
                  AND f.flag_key NOT IN (SELECT flag_key FROM {name})
                RETURNING f.flag_id, f.supplier_id, f.rule_id""",
            params,
        )
        # the flags the rules had closed and that hold again (read before the update: a flag that
        # still holds the day after its reopening keeps its note, and is not reopened again)
        reopened = tx.execute(
            f"""SELECT f.flag_id, f.supplier_id, f.rule_id FROM flag f JOIN {name} d USING (flag_key)
                WHERE f.closed_by_rule ORDER BY f.flag_id"""
        )
        tx.execute(
            f"""UPDATE flag f SET state = CASE WHEN f.closed_by_rule THEN 'open' ELSE f.state END,
                    note = CASE WHEN f.closed_by_rule THEN strftime($as_of, '%Y-%m-%d') || ': 再び該当' ELSE f.note END,
                    state_changed_at = CASE WHEN f.closed_by_rule THEN $now ELSE f.state_changed_at END,
                    state_changed_by = CASE WHEN f.closed_by_rule THEN 'system' ELSE f.state_changed_by END,
                    closed_by_rule = false,
                    severity = d.severity, reason = d.reason, reason_en = d.reason_en, facts = d.facts,
                    last_held_on = $as_of
                FROM {name} d WHERE d.flag_key = f.flag_key""",
            params,
        )
        raised = tx.execute(
            f"""INSERT INTO flag (flag_key, supplier_id, kind, rule_id, subject, severity, reason, reason_en, facts,
                                  state, first_held_on, last_held_on, raised_at, state_changed_at, state_changed_by)
                SELECT d.flag_key, d.supplier_id, d.kind, d.rule_id, d.subject, d.severity, d.reason, d.reason_en,
                       d.facts, 'open', $as_of, $as_of, $now, $now, 'system'
                FROM {name} d WHERE d.flag_key NOT IN (SELECT flag_key FROM flag)
                RETURNING flag_id, supplier_id, rule_id""",
            params,
        )
        _record_readiness(tx, snapshot, as_of)
        if scope is None:  # a partial refresh (after an import) is not the daily derivation
            store.set_setting(tx, "flags.derived_as_of", as_of.isoformat())
        tx.audit_many(
            [
                *(
                    {
                        "action": "flag_raised",
                        "entity": "flag",
                        "entity_id": str(i),
                        "detail": {"supplier": s, "rule": r},
                    }
                    for i, s, r in raised
                ),
                *(
                    {
                        "action": "flag_closed",
                        "entity": "flag",
                        "entity_id": str(i),
                        "detail": {"supplier": s, "rule": r, "by": "rule"},
                    }
                    for i, s, r in closed
                ),
                *(
                    {
                        "action": "flag_reopened",
                        "entity": "flag",
                        "entity_id": str(i),
                        "detail": {"supplier": s, "rule": r},
                    }
                    for i, s, r in reopened
                ),
            ]
        )
        tx.audit(
            "derive_flags",
            entity="flag",
            detail={
                "as_of": as_of,
                "scope": "all" if scope is None else scope.height,
                "raised": len(raised),
                "closed": len(closed),
            },
        )
    return Reconciled(
        raised=len(raised),
        still_holding=int(counts[1]) + int(counts[2]),
        reopened=len(reopened),
        closed=len(closed),
    )


# Flags and readiness rows kept: none on new content, the only registry a history may be written into.
_HISTORY_KEPT = "SELECT (SELECT count(*) FROM flag) + (SELECT count(*) FROM readiness_history)"


def history_is_empty(store: Store) -> bool:
    """Whether no flag and no readiness has been kept yet (new content: the demo, a restore of one)."""
    return not store.scalar(_HISTORY_KEPT)


def record_history(
    store: Store, actor: Actor, days: Sequence[date], history: FlagHistory, readiness: pl.DataFrame
) -> Reconciled:
    """Write a history computed set-wise (registry/domain/history.py) into a registry that keeps
    none yet, in one transaction: the flags as the last day leaves them, the readiness rows, and
    the audit lines day by day (each day's steps, then its ``derive_flags``), as daily
    reconciliation would have written them."""
    now = clock.now()
    last = len(days) - 1
    with store.transaction(actor) as tx:
        tx.derived_only = True  # flags and readiness history: the evidence stays as it was
        if tx.execute(_HISTORY_KEPT)[0][0]:
            raise MonosashiError("database.commit_conflict")  # another session derived meanwhile
        tx.insert_frame(
            "flag",
            history.flags.with_columns(
                raised_at=pl.lit(now), state_changed_at=pl.lit(now), state_changed_by=pl.lit("system")
            ),
        )
        tx.insert_frame("readiness_history", readiness)
        ids = pl.DataFrame(
            tx.execute("SELECT flag_key, flag_id FROM flag"), schema=["flag_key", "flag_id"], orient="row"
        )
        order = {"flag_raised": 0, "flag_closed": 1, "flag_reopened": 2}
        steps = (
            history.steps.join(ids, on="flag_key")
            .with_columns(order=pl.col("action").replace_strict(order, return_dtype=pl.Int8))
            .sort("day", "order", "flag_id")
        )
        by_day = {key[0]: frame for key, frame in steps.group_by("day")}
        lines: list[dict[str, object]] = []
        for number, day in enumerate(days):
            raised = closed = 0
            of_day = by_day.get(number, steps.clear())
            for flag_id, supplier_id, rule_id, action in of_day.select(
                "flag_id", "supplier_id", "rule_id", "action"
            ).iter_rows():
                detail: dict[str, object] = {"supplier": supplier_id, "rule": rule_id}
                if action == "flag_closed":
                    detail["by"] = "rule"
                    closed += 1
                raised += action == "flag_raised"
                lines.append({"action": action, "entity": "flag", "entity_id": str(flag_id), "detail": detail})
            lines.append(
                {
                    "action": "derive_flags",
                    "entity": "flag",
                    "detail": {"as_of": day, "scope": "all", "raised": raised, "closed": closed},
                }
            )
        tx.audit_many(lines)
        tx.execute("INSERT OR REPLACE INTO setting VALUES ('flags.derived_as_of', ?)", [days[last].isoformat()])
    on_last = history.steps.filter(pl.col("day") == last)
    held_last = history.flags.filter(pl.col("state") == "open").height
    raised = on_last.filter(action="flag_raised").height
    return Reconciled(
        raised=raised,
        still_holding=held_last - raised,
        reopened=on_last.filter(action="flag_reopened").height,
        closed=on_last.filter(action="flag_closed").height,
    )


# -- what the dashboards read -----------------------------------------------------------------------


def yearly_check_overdue(store: Store) -> pl.Series:
    """The suppliers whose ★4 yearly self-assessment is overdue, as their open critical
    ``renewal.self_assessment`` flag says (the same fact the directory reads)."""
    return store.frame(
        """SELECT DISTINCT supplier_id FROM flag
           WHERE rule_id = 'renewal.self_assessment' AND severity = 'critical' AND state IN ('open', 'acknowledged')"""
    )["supplier_id"]


def open_flags_on(store: Store, on: date) -> dict[str, int]:
    """Flags whose condition held on ``on`` and that nobody had closed by hand by then, by severity."""
    rows = store.frame(
        """SELECT severity, count(*) AS n FROM flag
           WHERE first_held_on <= $on AND last_held_on >= $on
             AND NOT (state IN ('resolved', 'dismissed') AND NOT closed_by_rule AND CAST(state_changed_at AS DATE) <= $on)
           GROUP BY severity""",
        {"on": on},
    )
    counts = dict(rows.iter_rows())
    return {s: int(counts.get(s, 0)) for s in ("critical", "warning", "info")}


def top_flags(store: Store, top: int) -> pl.DataFrame:
    """The most severe open or acknowledged flags, oldest first within a severity."""
    return store.frame(
        """SELECT f.flag_id, f.supplier_id, s.name, f.kind, f.severity, f.reason, f.reason_en, f.state,
                  f.first_held_on
           FROM flag f JOIN supplier s USING (supplier_id)
           WHERE f.state IN ('open', 'acknowledged')
           ORDER BY CASE f.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,
                    f.state = 'acknowledged', f.first_held_on, f.supplier_id
           LIMIT $top""",
        {"top": top},
    )


def needing_support(store: Store, lang: str) -> pl.DataFrame:
    """Suppliers with open or acknowledged needs-support flags: their profile, how many such flags,
    the reasons joined (in ``lang``) and the weight of the most severe."""
    return store.frame(
        f"""SELECT f.supplier_id, s.name, s.industry, s.employees, s.prefecture, s.has_security_staff,
                   s.far_from_it_support, count(*) AS support_flags,
                   string_agg({"f.reason" if lang == "ja" else "f.reason_en"}, ' / ' ORDER BY f.rule_id) AS reasons,
                   max(CASE f.severity WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END) AS weight
            FROM flag f JOIN supplier s USING (supplier_id)
            WHERE f.kind = 'needs_support' AND f.state IN ('open', 'acknowledged')
            GROUP BY ALL"""
    )


def supplier_readiness_history(store: Store, supplier_id: str, on: date) -> pl.DataFrame:
    """One supplier's readiness records up to ``on``, oldest first."""
    return store.frame(
        "SELECT * FROM readiness_history WHERE supplier_id = ? AND taken_on <= ? ORDER BY taken_on",
        [supplier_id, on],
    )


def held_flags_of(store: Store, supplier_ids: Sequence[str]) -> pl.DataFrame:
    """The flags that hold now (open or acknowledged) of some suppliers: what an import changed
    is told by comparing them before and after."""
    return store.frame(
        """SELECT f.flag_id, f.supplier_id, f.kind, f.severity, f.reason, f.reason_en
           FROM flag f
           WHERE f.state IN ('open', 'acknowledged') AND f.supplier_id IN (SELECT unnest($ids))
           ORDER BY f.supplier_id, f.flag_id""",
        {"ids": list(supplier_ids)},
    )
