from datetime import date, timedelta

import duckdb
import pytest

from registry.domain.validity import anniversary, effective_expiry
from registry.store.validity import expiry_sql


@pytest.mark.parametrize(
    ("scheme", "issued", "expected"),
    [
        ("scs_star3", date(2026, 4, 1), date(2027, 3, 31)),
        ("scs_star4", date(2026, 4, 1), date(2029, 3, 31)),
        ("iso27001", date(2025, 1, 1), date(2027, 12, 31)),
        ("pmark", date(2025, 6, 15), date(2027, 6, 14)),
        ("scs_star3", date(2028, 2, 29), date(2029, 2, 28)),  # leap day: anniversary on 1 March
        ("scs_star4", date(2028, 2, 29), date(2031, 2, 28)),
        ("scs_star3", date(2027, 3, 1), date(2028, 2, 29)),  # the day before a leap-year 1 March
        ("scs_star3", date(2026, 1, 31), date(2027, 1, 30)),
        ("security_action_star2", date(2020, 1, 1), None),
    ],
)
def test_computed_expiry(scheme, issued, expected):
    assert effective_expiry(scheme, issued, None) == expected


def test_printed_expiry_wins():
    assert effective_expiry("scs_star3", date(2026, 4, 1), date(2027, 4, 1)) == date(2027, 4, 1)


def test_anniversary_of_leap_day():
    assert anniversary(date(2028, 2, 29), 4) == date(2032, 2, 29)
    assert anniversary(date(2028, 2, 29), 1) == date(2029, 3, 1)


def test_sql_and_python_rules_agree_on_every_day_of_four_years():
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(4 * 366)]
    con = duckdb.connect()
    con.execute("CREATE TABLE c (scheme VARCHAR, issued_on DATE, expires_on DATE)")
    schemes = ["scs_star3", "scs_star4", "iso27001", "pmark", "security_action_star1"]
    con.executemany(
        "INSERT INTO c VALUES (?, ?, NULL)", [[s, d] for s in schemes for d in [*days[::7], date(2028, 2, 29)]]
    )
    rows = con.execute(f"SELECT scheme, issued_on, {expiry_sql('c')} FROM c").fetchall()
    assert rows and all(expiry == effective_expiry(scheme, issued, None) for scheme, issued, expiry in rows)
