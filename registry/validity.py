"""How long each certificate scheme stays valid, and the expiry rule shared by Python and SQL.

A certificate valid for *n* years is valid up to and including the day before its *n*-th
anniversary (issued 2026-04-01, ★3: valid through 2027-03-31). A certificate issued on 29 February
has its anniversary on 1 March in common years, so it is valid through 28 February.
An expiry date printed on the record wins over the computed one.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

__all__ = ["SCHEME_LEVEL", "STALE_AFTER_YEARS", "VALIDITY_YEARS", "anniversary", "effective_expiry", "expiry_sql"]

# Years of validity from the issue date; None: no expiry (a declaration).
VALIDITY_YEARS: dict[str, int | None] = {
    "scs_star3": 1,
    "scs_star4": 3,
    "iso27001": 3,
    "pmark": 2,
    "security_action_star1": None,
    "security_action_star2": None,
    "semi_e187": None,
    "other": None,
}
# SECURITY ACTION never expires but is no longer taken as current after this many years.
STALE_AFTER_YEARS = 2
SCHEME_LEVEL = {"scs_star3": 3, "scs_star4": 4}


def anniversary(issued_on: date, years: int) -> date:
    """The ``years``-th anniversary; 29 February falls on 1 March in common years."""
    target = issued_on.year + years
    if issued_on.month == 2 and issued_on.day == 29 and not calendar.isleap(target):
        return date(target, 3, 1)
    return issued_on.replace(year=target)


def effective_expiry(scheme: str, issued_on: date, expires_on: date | None) -> date | None:
    """Last day of validity: the printed expiry if any, else the scheme's rule (None: never)."""
    if expires_on is not None:
        return expires_on
    years = VALIDITY_YEARS.get(scheme)
    if years is None:
        return None
    return anniversary(issued_on, years) - timedelta(days=1)


def expiry_sql(alias: str = "c") -> str:
    """SQL expression for :func:`effective_expiry` over a certificate row aliased ``alias``."""
    cases = " ".join(f"WHEN '{scheme}' THEN {years}" for scheme, years in VALIDITY_YEARS.items() if years is not None)
    years = f"(CASE {alias}.scheme {cases} END)"
    # DuckDB clamps 29 Feb + n years to 28 Feb; our rule says 1 March, so add the day back.
    anniv = (
        f"(CAST({alias}.issued_on + to_years({years}) AS DATE) + CASE WHEN month({alias}.issued_on) = 2 "
        f"AND day({alias}.issued_on) = 29 AND day(CAST({alias}.issued_on + to_years({years}) AS DATE)) = 28 "
        "THEN 1 ELSE 0 END)"
    )
    return f"coalesce({alias}.expires_on, CAST({anniv} - 1 AS DATE))"
