"""Flags: what needs the buyer's attention, derived as of a date from the rules kept as data
(``questionnaires/policy/flag_rules.json``, thresholds overridable in settings; docs/flags.md).

Derivation is set-based: each rule is a polars or SQL expression over every supplier at once, and
its reason is rendered from the facts with column expressions. :func:`refresh` then reconciles the
derived set with the stored flags in one transaction: a flag that still holds keeps its workflow
state (and reopens if the rules had closed it), a new one opens, and one that no longer holds is
closed automatically with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from questionnaires.flag_rules import FlagRule, FlagRules, default_rules, placeholders
from registry import clock
from registry.domain.actor import Actor
from registry.errors import MonosashiError
from registry.services import renewals, supply_chain, yardstick
from registry.services.requests import current_requests
from registry.store import Store, Transaction

__all__ = [
    "FLAG_COLUMNS",
    "KINDS",
    "SEVERITIES",
    "STATES",
    "FlagError",
    "Refresh",
    "derive",
    "ensure_current",
    "flag_history",
    "flags",
    "refresh",
    "replay",
    "reset_rules",
    "rules_in_force",
    "set_flag_state",
]

KINDS = ("renewal", "below_request", "needs_support", "conflict", "stale", "coverage_hole")
SEVERITIES = ("critical", "warning", "info")
STATES = ("open", "acknowledged", "resolved", "dismissed")
FLAG_COLUMNS = ("flag_key", "supplier_id", "kind", "rule_id", "subject", "severity", "reason", "reason_en", "facts")
_STAR_SCHEMES = {"scs_star3": ("SCS★3", 3), "scs_star4": ("SCS★4", 4)}
_HELD_JA = {"star4": "★4", "star3": "★3", "security_action": "SECURITY ACTION のみ", "none": "★なし"}
_HELD_EN = {"star4": "★4", "star3": "★3", "security_action": "SECURITY ACTION only", "none": "no ★"}


class FlagError(MonosashiError):
    """A workflow change the flags do not allow."""


def rules_in_force(store: Store) -> FlagRules:
    """The shipped rules with this registry's threshold overrides (settings ``flags.<rule>.<name>``)."""
    overrides = dict(
        store.frame("SELECT key, value FROM setting WHERE key LIKE 'flags.%'").select("key", "value").iter_rows()
    )
    return default_rules().with_overrides(overrides)


def reset_rules(store: Store, actor: Actor) -> None:
    """Drop this registry's rule overrides: the shipped thresholds apply again."""
    with store.transaction(actor) as tx:
        removed = tx.execute("DELETE FROM setting WHERE key LIKE 'flags.%.%' RETURNING key")
        tx.audit("reset_flag_rules", entity="setting", detail={"removed": sorted(r[0] for r in removed)})


# -- rendering --------------------------------------------------------------------------------------


def _template(template: str, lang: str, columns: Sequence[str]) -> pl.Expr:
    """A reason template as a column expression: literal parts and fact columns (``<fact>_<lang>``
    when the fact has words of its own in that language)."""
    parts: list[pl.Expr] = []
    rest = template
    for name in placeholders(template):
        before, rest = rest.split("{" + name + "}", 1)
        if before:
            parts.append(pl.lit(before))
        column = f"{name}_{lang}" if f"{name}_{lang}" in columns else name
        parts.append(pl.col(column).cast(pl.String).fill_null("—"))
    if rest:
        parts.append(pl.lit(rest))
    return pl.concat_str(parts) if parts else pl.lit(template)


def _finish(rule: FlagRule, frame: pl.DataFrame, severity: pl.Expr | None = None) -> pl.DataFrame:
    """Rows of one rule in the derived-flag shape, reasons rendered and facts kept as JSON."""
    if frame.is_empty():
        return pl.DataFrame(schema=dict.fromkeys(FLAG_COLUMNS, pl.String))
    if "subject" not in frame.columns:
        frame = frame.with_columns(subject=pl.lit(""))
    facts = [c for c in frame.columns if c not in ("supplier_id", "subject")]
    return frame.select(
        flag_key=pl.concat_str([pl.lit(rule.id), pl.col("supplier_id"), pl.col("subject")], separator="|"),
        supplier_id="supplier_id",
        kind=pl.lit(rule.kind),
        rule_id=pl.lit(rule.id),
        subject=pl.col("subject").cast(pl.String),
        severity=severity if severity is not None else pl.lit(rule.severity),
        reason=_template(rule.reason_ja, "ja", frame.columns),
        reason_en=_template(rule.reason_en, "en", frame.columns),
        facts=pl.struct([pl.col(c).cast(pl.String) for c in facts]).struct.json_encode(),
    )


def _percent(column: str) -> pl.Expr:
    return (pl.col(column) * 100).round(0).cast(pl.Int64).cast(pl.String) + "%"


# -- the facts the rules read -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    as_of: date
    suppliers: pl.DataFrame  # supplier_id, name, employees, has_security_staff, held_level
    requests: pl.DataFrame  # current requests with their effective state
    certificates: pl.DataFrame  # certificate states
    counts: pl.DataFrame  # yardstick counts per supplier, category, level
    answers: pl.DataFrame  # supplier_id, answers, unknown (current submissions)
    newest: pl.DataFrame  # supplier_id, newest evidence date, holds a valid ★
    coverage: pl.DataFrame | None
    catalogue: yardstick.Catalogue


# Up to this many suppliers, a derivation reads them by ID (the yardstick then prunes its tables to
# them: tens of milliseconds after an import of a few files). More travel as a frame joined in SQL,
# and their yardstick counts come from the set-wise portfolio query: reading many suppliers by ID
# materialises every criterion of each (about 50 kB a supplier: 5 GB at 100,000, out of memory at
# a million; bench/bounded_bench.py).
_FEW = 256
# A scope this share of the registry or more reads every supplier and keeps the scope afterwards.
_MOST = 0.5


@dataclass(frozen=True)
class _Scope:
    """The suppliers a derivation is for: every one (``frame`` None), or those of ``frame``."""

    frame: pl.DataFrame | None = None  # one column, supplier_id, each once
    by_id: bool = False  # few: read them by ID
    reads_all: bool = True  # read every supplier, then keep the scope

    @property
    def ids(self) -> list[str] | None:
        return None if self.frame is None else self.frame["supplier_id"].to_list()


def _scope_of(store: Store, suppliers: Sequence[str] | None) -> _Scope:
    if suppliers is None:
        return _Scope()
    frame = pl.Series("supplier_id", list(suppliers), dtype=pl.String).unique(maintain_order=True).to_frame()
    if frame.height <= _FEW:
        return _Scope(frame, by_id=True, reads_all=False)
    everyone = int(store.scalar("SELECT count(*) FROM supplier"))
    return _Scope(frame, reads_all=frame.height >= _MOST * everyone)


def _keep(frame: pl.DataFrame, scope: _Scope) -> pl.DataFrame:
    """The rows of the suppliers in scope (a semi-join: order kept)."""
    return frame if scope.frame is None else frame.join(scope.frame, on="supplier_id", how="semi")


def _gather(store: Store, as_of: date, scope: _Scope, need_coverage: bool) -> _Facts:
    from registry.store.suppliers import supplier_status

    # A scope travels as a registered frame joined in SQL, never as a list of IDs in a parameter.
    who = "TRUE" if scope.reads_all else "s.supplier_id IN (SELECT supplier_id FROM scope)"
    frames = {} if scope.reads_all or scope.frame is None else {"scope": scope.frame}
    params: dict[str, object] = {"as_of": as_of}
    status = supplier_status(store, as_of)
    people = store.frame_with(
        f"SELECT supplier_id, employees, has_security_staff FROM supplier s WHERE {who}", None, **frames
    )
    if scope.by_id:
        counts = yardstick.counts_of(yardstick.derive(store, as_of, scope.ids))
        requests = current_requests(store, as_of, scope.ids)
    else:
        counts = yardstick.portfolio_counts(store, as_of, with_conflicts=True)
        requests = current_requests(store, as_of)
    answers = store.frame_with(
        f"""WITH current AS (
                SELECT * FROM (
                    SELECT s.*, row_number() OVER (PARTITION BY supplier_id, framework_id
                        ORDER BY submitted_on DESC, imported_at DESC, submission_id DESC) AS newest
                    FROM submission s WHERE s.submitted_on <= $as_of AND {who}
                ) WHERE newest = 1
            )
            SELECT c.supplier_id, count(*) AS answers, count(*) FILTER (WHERE a.status = 'unknown') AS unknown
            FROM current c JOIN answer a USING (submission_id)
            WHERE a.status <> 'not_applicable'
            GROUP BY c.supplier_id""",
        params,
        **frames,
    )
    newest = store.frame_with(
        f"""WITH ev AS (
                SELECT supplier_id, submitted_on AS on_date FROM submission s WHERE submitted_on <= $as_of AND {who}
                UNION ALL
                SELECT supplier_id, issued_on FROM certificate s WHERE issued_on <= $as_of AND {who}
            )
            SELECT supplier_id, max(on_date) AS newest FROM ev GROUP BY supplier_id""",
        params,
        **frames,
    )
    return _Facts(
        as_of=as_of,
        suppliers=_keep(status, scope).join(people, on="supplier_id", how="left"),
        requests=_keep(requests, scope),
        certificates=_keep(renewals.certificate_states(store, as_of), scope),
        counts=_keep(counts, scope),
        answers=_keep(answers, scope),
        newest=_keep(newest, scope),
        coverage=supply_chain.supplier_coverage(store, as_of) if need_coverage else None,
        catalogue=yardstick.catalogue_in_force(store),
    )


# -- the rules ---------------------------------------------------------------------------------------


def _star_certificates(facts: _Facts) -> pl.DataFrame:
    return facts.certificates.filter(pl.col("scheme").is_in(list(_STAR_SCHEMES))).with_columns(
        scheme_label=pl.col("scheme").replace_strict({k: v[0] for k, v in _STAR_SCHEMES.items()}),
        star=pl.col("scheme").replace_strict({k: v[1] for k, v in _STAR_SCHEMES.items()}, return_dtype=pl.Int32),
    )


def _valid_star_until(stars: pl.DataFrame) -> pl.DataFrame:
    """Per supplier and ★ level: the furthest expiry among valid ★ at or above that level."""
    valid = stars.filter(~pl.col("state").is_in(["not_yet_valid", "superseded", "expired"]))
    rows = [
        valid.filter(pl.col("star") >= level)
        .group_by("supplier_id")
        .agg(covered_until=pl.col("expires_on").max())
        .with_columns(star=pl.lit(level, dtype=pl.Int32))
        for level in (3, 4)
    ]
    return pl.concat(rows)


def _renewal_expiring(rule: FlagRule, facts: _Facts) -> pl.DataFrame:
    window, critical = rule.thresholds["window_days"], rule.thresholds["critical_days"]
    stars = _star_certificates(facts)
    # Renewed early or upgraded: another valid ★ at or above this level lasts longer.
    found = (
        stars.filter(
            ~pl.col("state").is_in(["not_yet_valid", "superseded", "expired"])
            & pl.col("days_left").is_between(0, window)
        )
        .join(_valid_star_until(stars), on=["supplier_id", "star"], how="left")
        .filter(pl.col("covered_until") <= pl.col("expires_on"))
    )
    return _finish(
        rule,
        found.select(
            "supplier_id",
            subject="certificate_id",
            scheme="scheme_label",
            registration_no="registration_no",
            expires_on="expires_on",
            days_left="days_left",
        ),
        pl.when(pl.col("days_left") <= critical).then(pl.lit("critical")).otherwise(pl.lit(rule.severity)),
    )


def _renewal_expired(rule: FlagRule, facts: _Facts) -> pl.DataFrame:
    stars = _star_certificates(facts)
    held = _valid_star_until(stars).select("supplier_id", "star", holds=pl.lit(True))
    found = (
        stars.filter((pl.col("state") == "expired") & (-pl.col("days_left") <= rule.thresholds["lookback_days"]))
        .join(held, on=["supplier_id", "star"], how="left")
        .filter(pl.col("holds").is_null())
    )
    return _finish(
        rule,
        found.select(
            "supplier_id",
            subject="certificate_id",
            scheme="scheme_label",
            registration_no="registration_no",
            expires_on="expires_on",
            days_ago=-pl.col("days_left"),
        ),
    )


def _renewal_self_assessment(rule: FlagRule, facts: _Facts) -> pl.DataFrame:
    found = facts.certificates.filter(pl.col("state").is_in(["self_assessment_due", "self_assessment_overdue"]))
    return _finish(
        rule,
        found.select(
            "supplier_id",
            subject="certificate_id",
            registration_no="registration_no",
            due_on="check_due_on",
            state_ja=pl.col("state").replace_strict(
                {"self_assessment_due": "期日間近", "self_assessment_overdue": "期日超過"}
            ),
            state_en=pl.col("state").replace_strict(
                {"self_assessment_due": "due", "self_assessment_overdue": "overdue"}
            ),
        ),
        pl.when(pl.col("state_en") == "overdue").then(pl.lit("critical")).otherwise(pl.lit(rule.severity)),
    )


def _below_request(rule: FlagRule, facts: _Facts) -> pl.DataFrame:
    found = facts.requests.filter(pl.col("state") == "overdue")
    return _finish(
        rule,
        found.select(
            "supplier_id",
            subject="request_id",
            request_id="request_id",
            requested_level="requested_level",
            held_ja=pl.col("held_level").replace_strict(_HELD_JA, default="—"),
            held_en=pl.col("held_level").replace_strict(_HELD_EN, default="—"),
            due_on="due_on",
            days_late=-pl.col("days_to_due"),
        ),
    )


def _targets(facts: _Facts) -> pl.DataFrame:
    """Suppliers with a current request and some evidence: their target ★ and its criteria counts."""
    with_evidence = facts.newest.select("supplier_id")
    return facts.requests.select("supplier_id", target_level="requested_level").join(with_evidence, on="supplier_id")


def _needs_support_readiness(rule: FlagRule, facts: _Facts) -> pl.DataFrame:
    totals = {
        level: len(facts.catalogue.criteria_at(3)) if level == 3 else len(facts.catalogue.criteria) for level in (3, 4)
    }
    met = (
        _targets(facts)
        .join(facts.counts, on="supplier_id", how="left")
        .filter(pl.col("level").is_null() | (pl.col("level") <= pl.col("target_level")))
        .group_by("supplier_id", "target_level")
        .agg(met=pl.col("met").sum().fill_null(0))
        .with_columns(total=pl.col("target_level").replace_strict(totals, return_dtype=pl.Int64))
        .with_columns(share=pl.col("met") / pl.col("total"))
        .filter(pl.col("share") < rule.thresholds["min_readiness"])
    )
    return _finish(
        rule,
        met.select(
            "supplier_id",
            "target_level",
            readiness=_percent("share"),
            threshold=pl.lit(f"{rule.thresholds['min_readiness']:.0%}"),
            met="met",
            total="total",
        ),
    )


def _needs_support_weak_categories(rule: FlagRule, facts: _Facts) -> pl.DataFrame:
    catalogue = facts.catalogue
    names = {c.no: (c.name_ja, c.name_en) for c in catalogue.data.categories}
    per_category = (
        catalogue.criteria_frame()
        .group_by("category_no", "level")
        .agg(n=pl.len())
        .filter(pl.col("category_no").is_in(list(rule.categories)))
    )
    targets = _targets(facts)
    totals = (
        targets.join(per_category, how="cross")
        .filter(pl.col("level") <= pl.col("target_level"))
        .group_by("supplier_id", "target_level", "category_no")
        .agg(total=pl.col("n").sum())
    )
    met = (
        targets.join(facts.counts, on="supplier_id")
        .filter(pl.col("level") <= pl.col("target_level"))
        .group_by("supplier_id", "category_no")
        .agg(met=pl.col("met").sum())
    )
    weak = (
        totals.join(met, on=["supplier_id", "category_no"], how="left")
        .with_columns(score=pl.col("met").fill_null(0) / pl.col("total"))
        .filter(pl.col("score") < rule.thresholds["min_score"])
        .sort("supplier_id", "category_no")
        .with_columns(
            name_ja=pl.col("category_no").replace_strict({k: v[0] for k, v in names.items()}, return_dtype=pl.String),
            name_en=pl.col("category_no").replace_strict({k: v[1] for k, v in names.items()}, return_dtype=pl.String),
            pct=_percent("score"),
        )
        .group_by("supplier_id", "target_level", maintain_order=True)
        .agg(
            categories_ja=pl.concat_str([pl.col("name_ja"), pl.lit(" "), pl.col("pct")]).str.join("、"),
            categories_en=pl.concat_str([pl.col("name_en"), pl.lit(" "), pl.col("pct")]).str.join(", "),
        )
    )
    return _finish(
        rule,
        weak.with_columns(threshold=pl.lit(f"{rule.thresholds['min_score']:.0%}")),
    )


def _needs_support_unknown_answers(rule: FlagRule, facts: _Facts) -> pl.DataFrame:
    found = facts.answers.with_columns(share=pl.col("unknown") / pl.col("answers")).filter(
        (pl.col("share") >= rule.thresholds["min_share"]) & (pl.col("unknown") >= rule.thresholds["min_count"])
    )
    return _finish(rule, found.select("supplier_id", "unknown", "answers", share=_percent("share")))


def _needs_support_no_security_staff(rule: FlagRule, facts: _Facts) -> pl.DataFrame:
    # Only where something is asked of the supplier: the fact alone is no call to act.
    found = facts.suppliers.join(facts.requests.select("supplier_id"), on="supplier_id").filter(
        (pl.col("has_security_staff") == False)  # noqa: E712 — unknown (null) is not "none recorded"
        & (pl.col("employees") <= rule.thresholds["max_employees"])
    )
    return _finish(rule, found.select("supplier_id", "employees"))


def _conflict(rule: FlagRule, facts: _Facts) -> pl.DataFrame:
    found = (
        facts.counts.filter(pl.col("conflicts") > 0)
        .group_by("supplier_id")
        .agg(
            conflicts=pl.col("conflicts").sum(),
            criteria=pl.col("conflict_criteria").list.explode(keep_nulls=False, empty_as_null=False).sort(),
        )
        .filter(pl.col("conflicts") >= rule.thresholds["min_criteria"])
        .with_columns(
            criteria=pl.col("criteria").list.head(8).list.join(", ")
            + pl.when(pl.col("criteria").list.len() > 8).then(pl.lit(" …")).otherwise(pl.lit(""))
        )
    )
    return _finish(rule, found.select("supplier_id", "conflicts", "criteria"))


def _stale_evidence(rule: FlagRule, facts: _Facts) -> pl.DataFrame:
    months = int(rule.thresholds["max_age_months"])
    limit = facts.as_of - timedelta(days=round(months * 365.25 / 12))
    stars = _valid_star_until(_star_certificates(facts)).select("supplier_id").unique()
    found = facts.newest.join(stars, on="supplier_id", how="anti").filter(pl.col("newest") < limit)
    return _finish(rule, found.select("supplier_id", "newest", months=pl.lit(months)))


def _stale_no_evidence(rule: FlagRule, facts: _Facts) -> pl.DataFrame:
    found = (
        facts.requests.filter(pl.col("state").is_in(["sent", "acknowledged", "overdue"]))
        .join(facts.newest, on="supplier_id", how="anti")
        .with_columns(days=(pl.lit(facts.as_of) - pl.col("requested_on")).dt.total_days())
        .filter(pl.col("days") > rule.thresholds["grace_days"])
    )
    return _finish(rule, found.select("supplier_id", "requested_level", "requested_on", "days"))


def _coverage_hole(rule: FlagRule, facts: _Facts, store: Store, scope: _Scope) -> pl.DataFrame:
    assert facts.coverage is not None
    paths = supply_chain.uncovered_critical_paths(store, facts.coverage)
    found = (
        paths.select(end_id="supplier_id", end_name="name", required="required", path="path", supplier_id="ids")
        .explode("supplier_id")
        .with_columns(subject=pl.col("end_id"))
    )
    found = _keep(found, scope)
    return _finish(
        rule,
        found.select("supplier_id", "subject", "path", "end_id", "end_name", "required"),
        pl.when(pl.col("required") == 4).then(pl.lit("critical")).otherwise(pl.lit(rule.severity)),
    )


_RULES = {
    "renewal.expiring": _renewal_expiring,
    "renewal.expired": _renewal_expired,
    "renewal.self_assessment": _renewal_self_assessment,
    "below_request": _below_request,
    "needs_support.readiness": _needs_support_readiness,
    "needs_support.weak_categories": _needs_support_weak_categories,
    "needs_support.unknown_answers": _needs_support_unknown_answers,
    "needs_support.no_security_staff": _needs_support_no_security_staff,
    "conflict": _conflict,
    "stale.evidence": _stale_evidence,
    "stale.no_evidence": _stale_no_evidence,
}


def derive(
    store: Store, as_of: date, suppliers: Sequence[str] | None = None, rules: FlagRules | None = None
) -> pl.DataFrame:
    """Every flag that holds on ``as_of`` (for all suppliers, or only ``suppliers``), one row each."""
    with store.held_open():
        return _derive(store, as_of, _scope_of(store, suppliers), rules or rules_in_force(store))[0]


def _derive(store: Store, as_of: date, scope: _Scope, rules: FlagRules) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The flags, and the readiness the rules read (kept as history by :func:`refresh`)."""
    enabled = [r for r in rules.rules if r.enabled]
    with store.held_open():
        facts = _gather(store, as_of, scope, need_coverage=any(r.id == "coverage_hole" for r in enabled))
        frames = [
            _coverage_hole(rule, facts, store, scope) if rule.id == "coverage_hole" else _RULES[rule.id](rule, facts)
            for rule in enabled
        ]
    derived = pl.concat([f.select(FLAG_COLUMNS) for f in frames], how="vertical_relaxed")
    snapshot = yardstick.readiness_snapshot(facts.counts, facts.suppliers["supplier_id"], facts.catalogue)
    return derived.unique("flag_key", keep="first", maintain_order=True), snapshot


def _record_readiness(tx: Transaction, snapshot: pl.DataFrame, as_of: date) -> None:
    """Keep the readiness of the suppliers whose readiness changed since their latest record
    before ``as_of``. Only the rows that change are written: a second derivation on the same day
    writes nothing (deleting and inserting a million unchanged rows took 25 s)."""
    values = yardstick.HISTORY_COLUMNS
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


@dataclass(frozen=True)
class Refresh:
    """What one re-derivation did."""

    as_of: date
    raised: int
    still_holding: int
    reopened: int
    closed: int

    @property
    def holding(self) -> int:
        return self.raised + self.still_holding


def refresh(store: Store, as_of: date, suppliers: Sequence[str] | None = None, *, actor: Actor) -> Refresh:
    """Re-derive the flags and reconcile them with the stored ones, in one transaction."""
    rules = rules_in_force(store)
    with store.held_open():
        scope = _scope_of(store, suppliers)
        derived, snapshot = _derive(store, as_of, scope, rules)
    closing = pl.DataFrame(
        {
            "rule_id": [r.id for r in rules.rules],
            "closed_ja": [r.closed_ja for r in rules.rules],
            "closed_en": [r.closed_en for r in rules.rules],
        }
    )
    now = clock.now()
    params = {"as_of": as_of, "now": now}
    with store.transaction(actor) as tx:
        # the suppliers in scope as a frame joined in SQL (a million IDs as a list parameter do not fit)
        in_scope = (
            "TRUE"
            if scope.frame is None
            else f"f.supplier_id IN (SELECT supplier_id FROM {tx.register('scope', scope.frame)})"
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
        reopened = tx.execute(
            f"""UPDATE flag f SET state = CASE WHEN f.closed_by_rule THEN 'open' ELSE f.state END,
                    note = CASE WHEN f.closed_by_rule THEN strftime($as_of, '%Y-%m-%d') || ': 再び該当' ELSE f.note END,
                    state_changed_at = CASE WHEN f.closed_by_rule THEN $now ELSE f.state_changed_at END,
                    state_changed_by = CASE WHEN f.closed_by_rule THEN 'system' ELSE f.state_changed_by END,
                    closed_by_rule = false,
                    severity = d.severity, reason = d.reason, reason_en = d.reason_en, facts = d.facts,
                    last_held_on = $as_of
                FROM {name} d WHERE d.flag_key = f.flag_key
                RETURNING f.flag_id, f.supplier_id, f.rule_id, f.note LIKE '%再び該当'""",
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
        if suppliers is None:  # a partial refresh (after an import) is not the daily derivation
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
                    for i, s, r, again in reopened
                    if again
                ),
            ]
        )
        tx.audit(
            "derive_flags",
            entity="flag",
            detail={
                "as_of": as_of,
                "scope": "all" if suppliers is None else len(suppliers),
                "raised": len(raised),
                "closed": len(closed),
            },
        )
    return Refresh(
        as_of=as_of,
        raised=len(raised),
        still_holding=int(counts[1]) + int(counts[2]),
        reopened=sum(1 for row in reopened if row[3]),
        closed=len(closed),
    )


def replay(store: Store, as_of: date, months: int, *, actor: Actor) -> Refresh:
    """Derive as of the same day of each of the last ``months`` months, then ``as_of``: a new
    registry (the demo) gets the flag and readiness history daily derivations would have left."""
    for back in range(months, 0, -1):
        refresh(store, as_of - timedelta(days=30 * back), actor=actor)
    return refresh(store, as_of, actor=actor)


def ensure_current(store: Store, today: date) -> Refresh | None:
    """Derive the flags as of ``today`` unless that has been done (the daily derivation, which
    the system does, whoever opened the app first that day)."""
    if store.setting("flags.derived_as_of") == today.isoformat():
        return None
    return refresh(store, today, actor=Actor.system("derive"))


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


_ALLOWED = {
    "acknowledged": {"open"},
    "resolved": {"open", "acknowledged"},
    "dismissed": {"open", "acknowledged"},
    "open": {"acknowledged", "resolved", "dismissed"},
}


def set_flag_state(store: Store, flag_ids: Sequence[int], state: str, actor: Actor, note: str | None = None) -> int:
    """Move flags through the workflow (open → acknowledged → resolved, or dismissed with a reason;
    back to open to reopen). All or none: one flag that cannot make the step refuses the change."""
    if state not in _ALLOWED:
        raise FlagError(f"unknown flag state {state!r}; expected one of {', '.join(STATES)}")
    if state == "dismissed" and not (note or "").strip():
        raise FlagError("dismissing a flag needs a reason")
    ids = list(dict.fromkeys(int(i) for i in flag_ids))
    if not ids:
        return 0
    with store.transaction(actor) as tx:
        found = dict(tx.execute("SELECT flag_id, state FROM flag WHERE flag_id IN (SELECT unnest(?))", [ids]))
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise FlagError(f"unknown flag {', '.join(missing[:5])}")
        wrong = [f"{i} ({found[i]})" for i in ids if found[i] not in _ALLOWED[state]]
        if wrong:
            raise FlagError(f"cannot mark {state}: {', '.join(wrong[:5])}")
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
