"""Errors the registry reports to people: each carries one clear message and what to do."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AccessDenied",
    "DatabaseFileError",
    "DatabaseLockedError",
    "MonosashiError",
    "NotFoundError",
    "SchemaTooNewError",
]


class MonosashiError(Exception):
    """Base of every error the CLI prints as one line and the app shows in an error box."""


class DatabaseLockedError(MonosashiError):
    """Another process holds the DuckDB file's write lock."""

    def __init__(self, path: Path, holder: str | None, waited: float) -> None:
        who = f" by {holder}" if holder else ""
        super().__init__(
            f"The database {path} is in use{who} (waited {waited:.0f} s). DuckDB lets one program "
            "open the file at a time: stop the other program (the Monosashi app or another "
            "`monosashi` command) or retry when it has finished."
        )
        self.path = path
        self.holder = holder


class DatabaseFileError(MonosashiError):
    """The file is not a DuckDB database, or not a Monosashi registry."""


class SchemaTooNewError(MonosashiError):
    """The file was written by a newer Monosashi; opening it could damage it."""


class NotFoundError(MonosashiError):
    """A supplier, certificate or other record named by the user does not exist."""


class AccessDenied(MonosashiError):
    """The actor may not make this write or open this: refused, and nothing was written."""
