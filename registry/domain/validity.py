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

from questionnaires.policy import ValidityPolicy, default_policy

__all__ = [
    "anniversary",
    "effective_expiry",
]


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
