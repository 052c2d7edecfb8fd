"""The validity rules as SQL expressions, for set-wise queries over every certificate, and the
registry's policy (its setting, else the shipped default). The same rules in Python are in
registry/domain/validity.py; a test checks the two agree on every issue date over four years."""

from __future__ import annotations

from questionnaires.policy import ValidityPolicy, default_policy, parse_policy

__all__ = [
    "anniversary_sql",
    "computed_expiry_sql",
    "expiry_sql",
    "policy_for",
    "stale_sql",
]


def policy_for(store: object) -> ValidityPolicy:
    """The registry's validity policy: its ``validity_policy`` setting, else the shipped default."""
    text = store.setting("validity_policy")  # type: ignore[attr-defined]
    return parse_policy(text, "setting validity_policy") if text else default_policy()


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
