"""The flag rules (docs/flags.md): each turns the facts of every supplier on a date into the flags
that hold, with their severity and a reason in Japanese and English rendered from the facts by
column expressions. Pure: the facts come in as polars frames (gathered by
registry/services/derivation.py), the flags go out as a frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from questionnaires.catalogue import Catalogue
from questionnaires.flag_rules import FlagRule, placeholders
from registry.errors import MonosashiError

__all__ = [
    "FLAG_COLUMNS",
    "KINDS",
    "RULES",
    "SEVERITIES",
    "STATES",
    "WORKFLOW",
    "Facts",
    "FlagError",
    "coverage_hole",
    "evaluate",
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


@dataclass(frozen=True)
class Facts:
    """What the rules read, for the suppliers in scope on one date."""

    as_of: date
    suppliers: pl.DataFrame  # supplier_id, name, employees, has_security_staff, held_level
    requests: pl.DataFrame  # current requests with their effective state
    certificates: pl.DataFrame  # certificate states
    counts: pl.DataFrame  # yardstick counts per supplier, category, level
    answers: pl.DataFrame  # supplier_id, answers, unknown (current submissions)
    newest: pl.DataFrame  # supplier_id, newest evidence date, holds a valid ★
    catalogue: Catalogue


def _star_certificates(facts: Facts) -> pl.DataFrame:
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


def _renewal_expiring(rule: FlagRule, facts: Facts) -> pl.DataFrame:
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


def _renewal_expired(rule: FlagRule, facts: Facts) -> pl.DataFrame:
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


def _yearly_check(rule: FlagRule, facts: Facts, kind: str) -> pl.DataFrame:
    """A yearly check (``self_assessment`` of a ★4, ``surveillance`` of an ISMS) due or overdue;
    overdue is critical."""
    due, overdue = f"{kind}_due", f"{kind}_overdue"
    found = facts.certificates.filter(pl.col("state").is_in([due, overdue]))
    return _finish(
        rule,
        found.select(
            "supplier_id",
            subject="certificate_id",
            registration_no="registration_no",
            due_on="check_due_on",
            state_ja=pl.col("state").replace_strict({due: "期日間近", overdue: "期日超過"}),
            state_en=pl.col("state").replace_strict({due: "due", overdue: "overdue"}),
        ),
        pl.when(pl.col("state_en") == "overdue").then(pl.lit("critical")).otherwise(pl.lit(rule.severity)),
    )


def _renewal_self_assessment(rule: FlagRule, facts: Facts) -> pl.DataFrame:
    return _yearly_check(rule, facts, "self_assessment")


def _renewal_surveillance(rule: FlagRule, facts: Facts) -> pl.DataFrame:
    """An ISMS surveillance audit due or overdue: a flag, never staleness (docs/validity.md)."""
    return _yearly_check(rule, facts, "surveillance")


def _below_request(rule: FlagRule, facts: Facts) -> pl.DataFrame:
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


def _targets(facts: Facts) -> pl.DataFrame:
    """Suppliers with a current request and some evidence: their target ★ and its criteria counts."""
    with_evidence = facts.newest.select("supplier_id")
    return facts.requests.select("supplier_id", target_level="requested_level").join(with_evidence, on="supplier_id")


def _needs_support_readiness(rule: FlagRule, facts: Facts) -> pl.DataFrame:
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


def _needs_support_weak_categories(rule: FlagRule, facts: Facts) -> pl.DataFrame:
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


def _needs_support_unknown_answers(rule: FlagRule, facts: Facts) -> pl.DataFrame:
    found = facts.answers.with_columns(share=pl.col("unknown") / pl.col("answers")).filter(
        (pl.col("share") >= rule.thresholds["min_share"]) & (pl.col("unknown") >= rule.thresholds["min_count"])
    )
    return _finish(rule, found.select("supplier_id", "unknown", "answers", share=_percent("share")))


def _needs_support_no_security_staff(rule: FlagRule, facts: Facts) -> pl.DataFrame:
    # Only where something is asked of the supplier: the fact alone is no call to act.
    found = facts.suppliers.join(facts.requests.select("supplier_id"), on="supplier_id").filter(
        (pl.col("has_security_staff") == False)  # noqa: E712 — unknown (null) is not "none recorded"
        & (pl.col("employees") <= rule.thresholds["max_employees"])
    )
    return _finish(rule, found.select("supplier_id", "employees"))


def _criteria_counted(facts: Facts, count: str, criteria: str, at_least: float) -> pl.DataFrame:
    """Per supplier: the sum of a count column of the yardstick counts and its criteria (the first
    eight, joined), where the sum reaches ``at_least``."""
    return (
        facts.counts.filter(pl.col(count) > 0)
        .group_by("supplier_id")
        .agg(
            pl.col(count).sum(),
            criteria=pl.col(criteria).list.explode(keep_nulls=False, empty_as_null=False).sort(),
        )
        .filter(pl.col(count) >= at_least)
        .with_columns(
            criteria=pl.col("criteria").list.head(8).list.join(", ")
            + pl.when(pl.col("criteria").list.len() > 8).then(pl.lit(" …")).otherwise(pl.lit(""))
        )
    )


def _conflict(rule: FlagRule, facts: Facts) -> pl.DataFrame:
    found = _criteria_counted(facts, "conflicts", "conflict_criteria", rule.thresholds["min_criteria"])
    return _finish(rule, found.select("supplier_id", "conflicts", "criteria"))


def _conflict_certified(rule: FlagRule, facts: Facts) -> pl.DataFrame:
    """Newer first-party answers say a criterion a valid ★ certifies is not (fully) met."""
    found = _criteria_counted(
        facts, "declared_against", "declared_against_criteria", rule.thresholds["min_criteria"]
    ).rename({"declared_against": "count"})
    return _finish(
        rule,
        found.select("supplier_id", "count", "criteria"),
        pl.when(pl.col("count") >= rule.thresholds["critical_criteria"])
        .then(pl.lit("critical"))
        .otherwise(pl.lit(rule.severity)),
    )


def _stale_evidence(rule: FlagRule, facts: Facts) -> pl.DataFrame:
    months = int(rule.thresholds["max_age_months"])
    limit = facts.as_of - timedelta(days=round(months * 365.25 / 12))
    # A valid ★, ISMS or SECURITY ACTION is current evidence for as long as it is valid.
    certified = facts.certificates.filter(
        pl.col("scheme").is_in([*_STAR_SCHEMES, "iso27001", "security_action_star1", "security_action_star2"])
        & ~pl.col("state").is_in(["not_yet_valid", "superseded", "expired", "stale"])
    ).select(pl.col("supplier_id").unique())
    found = facts.newest.join(certified, on="supplier_id", how="anti").filter(pl.col("newest") < limit)
    return _finish(rule, found.select("supplier_id", "newest", months=pl.lit(months)))


def _stale_no_evidence(rule: FlagRule, facts: Facts) -> pl.DataFrame:
    found = (
        facts.requests.filter(pl.col("state").is_in(["sent", "acknowledged", "overdue"]))
        .join(facts.newest, on="supplier_id", how="anti")
        .with_columns(days=(pl.lit(facts.as_of) - pl.col("requested_on")).dt.total_days())
        .filter(pl.col("days") > rule.thresholds["grace_days"])
    )
    return _finish(rule, found.select("supplier_id", "requested_level", "requested_on", "days"))


RULES = {
    "renewal.expiring": _renewal_expiring,
    "renewal.expired": _renewal_expired,
    "renewal.self_assessment": _renewal_self_assessment,
    "renewal.surveillance": _renewal_surveillance,
    "below_request": _below_request,
    "needs_support.readiness": _needs_support_readiness,
    "needs_support.weak_categories": _needs_support_weak_categories,
    "needs_support.unknown_answers": _needs_support_unknown_answers,
    "needs_support.no_security_staff": _needs_support_no_security_staff,
    "conflict": _conflict,
    "conflict.certified": _conflict_certified,
    "stale.evidence": _stale_evidence,
    "stale.no_evidence": _stale_no_evidence,
}


WORKFLOW = {
    "acknowledged": {"open"},
    "resolved": {"open", "acknowledged"},
    "dismissed": {"open", "acknowledged"},
    "open": {"acknowledged", "resolved", "dismissed"},
}


def coverage_hole(rule: FlagRule, paths: pl.DataFrame) -> pl.DataFrame:
    """Every supplier on a critical path whose end lacks the ★ it must hold (``paths``: the
    uncovered critical paths of the supply chain)."""
    found = (
        paths.select(
            end_id="supplier_id",
            end_name="name",
            required="required",
            path="path",
            path_en="path_en",
            supplier_id="ids",
        )
        .explode("supplier_id")
        .with_columns(subject=pl.col("end_id"))
    )
    return _finish(
        rule,
        found.select("supplier_id", "subject", "path", "path_en", "end_id", "end_name", "required"),
        pl.when(pl.col("required") == 4).then(pl.lit("critical")).otherwise(pl.lit(rule.severity)),
    )


def evaluate(rules: Sequence[FlagRule], facts: Facts, paths: pl.DataFrame | None) -> pl.DataFrame:
    """The flags every enabled rule raises on the facts, one row per flag key."""
    frames = [
        coverage_hole(rule, paths) if rule.id == "coverage_hole" else RULES[rule.id](rule, facts)
        for rule in rules
        if rule.enabled and (rule.id != "coverage_hole" or paths is not None)
    ]
    if not frames:
        return pl.DataFrame(schema=dict.fromkeys(FLAG_COLUMNS, pl.String))
    derived = pl.concat([f.select(FLAG_COLUMNS) for f in frames], how="vertical_relaxed")
    return derived.unique("flag_key", keep="first", maintain_order=True)
