"""The one clock Monosashi reads.

Every "today" and "now" in the program comes from here, so that tests set the date in one place
(``time-machine`` moves it) and nothing else, DuckDB's ``current_timestamp`` included, decides
what time it is. Domain functions never call these: they take ``as_of``; only the outermost layer
(a CLI option's default, a page's date picker, the time a write is recorded) does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

__all__ = ["now", "today"]


def today() -> date:
    """Today's date where the registry runs (the local calendar day: what a clerk calls today)."""
    return date.today()


def now() -> datetime:
    """The current instant in UTC, without a time zone (how every timestamp is stored)."""
    return datetime.now(UTC).replace(tzinfo=None)
