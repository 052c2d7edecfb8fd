"""Certificate validity: expiry from the policy (``questionnaires/policy/validity.json``, or the
registry's own in its settings), shared by Python and SQL, and the states of every certificate.

A certificate valid for *n* years is valid up to and including the day before its *n*-th
anniversary (issued 2026-04-01, ★3: valid through 2027-03-31). A certificate issued on 29 February
has its anniversary on 1 March in common years, so it is valid through 28 February.
An expiry date printed on the record wins over the computed one (a mismatch is reported).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from questionnaires.policy import ValidityPolicy, default_policy, parse_policy

__all__ = [
    "anniversary",
    "anniversary_sql",
    "computed_expiry_sql",
    "effective_expiry",
    "expiry_sql",
    "policy_for",
    "stale_sql",
]


def policy_for(store: object) -> ValidityPolicy:
    """The registry's validity policy: its ``validity_policy`` setting, else the shipped default."""
    text = store.setting("validity_policy")  # type: ignore[attr-defined]
    return parse_policy(text, "setting validity_policy") if text else default_policy()


def anniversary(issued_on: date, years: int) -> date:
    """The ``years``-th anniversary; 29 February falls on 1 March in common years."""
    target = issued_on.year + years
    if issued_on.month == 2 and issued_on.day == 29 and not calendar.isleap(target):
        return date(target, 3, 1)
    return issued_on.replace(year=target)


def effective_expiry(
    scheme: str, issued_on: date, expires_on: date | None, policy: ValidityPolicy | None = None
) -> date | None:
    """Last day of validity: the printed expiry if any, else the scheme's rule (None: never)."""
    if expires_on is not None:
        return expires_on
    rule = (policy or default_policy()).schemes.get(scheme)
    if rule is None or rule.validity_years is None:
        return None
    return anniversary(issued_on, rule.validity_years) - timedelta(days=1)


def anniversary_sql(alias: str, years: str) -> str:
    """SQL for :func:`anniversary` of ``alias.issued_on`` after ``years`` (an SQL expression)."""
    # DuckDB clamps 29 Feb + n years to 28 Feb; our rule says 1 March, so add the day back.
    shifted = f"CAST({alias}.issued_on + to_years({years}) AS DATE)"
    return (
        f"({shifted} + CASE WHEN month({alias}.issued_on) = 2 AND day({alias}.issued_on) = 29 "
        f"AND day({shifted}) = 28 THEN 1 ELSE 0 END)"
    )


def computed_expiry_sql(alias: str = "c", policy: ValidityPolicy | None = None) -> str:
    """SQL for the expiry the policy gives a certificate row aliased ``alias`` (ignoring the printed one)."""
    rules = (policy or default_policy()).schemes
    cases = " ".join(f"WHEN '{s}' THEN {r.validity_years}" for s, r in rules.items() if r.validity_years is not None)
    years = f"(CASE {alias}.scheme {cases} END)"
    return f"CAST({anniversary_sql(alias, years)} - 1 AS DATE)"


def expiry_sql(alias: str = "c", policy: ValidityPolicy | None = None) -> str:
    """SQL expression for :func:`effective_expiry` over a certificate row aliased ``alias``."""
    return f"coalesce({alias}.expires_on, {computed_expiry_sql(alias, policy)})"


def stale_sql(alias: str = "c", policy: ValidityPolicy | None = None) -> str:
    """SQL: true when a declaration (SECURITY ACTION) is older than its scheme's staleness limit on ``$as_of``."""
    rules = (policy or default_policy()).schemes
    cases = " ".join(
        f"WHEN '{s}' THEN {r.stale_after_years}" for s, r in rules.items() if r.stale_after_years is not None
    )
    return f"coalesce({alias}.issued_on <= CAST($as_of - to_years(CASE {alias}.scheme {cases} END) AS DATE), false)"
