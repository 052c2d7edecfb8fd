"""Errors the registry reports to people: each carries one clear message and what to do."""

from __future__ import annotations

from pathlib import Path

from registry.messages import catalogue, render

__all__ = [
    "AccessDenied",
    "DatabaseFileError",
    "DatabaseLockedError",
    "MonosashiError",
    "NotFoundError",
    "SchemaTooNewError",
]


class MonosashiError(Exception):
    """Base of every error the CLI prints as one line and the app shows in an error box.

    Raised with a message key and its parameters (registry/messages), so that each reader gets
    it in their language: ``raise NotFoundError("supplier.not_found", supplier_id="S-1")``;
    ``str()`` is the English text. A text that is no key is shown as written (an error from a
    library, or a message not yet given a key)."""

    def __init__(self, key: str = "", /, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        """The message in ``lang`` (``ja`` or ``en``)."""
        if self.key in catalogue():
            return render(self.key, lang, self.params)
        return self.key


class DatabaseLockedError(MonosashiError):
    """Another process holds the DuckDB file's write lock."""

    def __init__(self, path: Path, holder: str | None, waited: float) -> None:
        super().__init__(
            "database.locked_by" if holder else "database.locked",
            path=str(path),
            holder=holder,
            seconds=f"{waited:.0f}",
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
