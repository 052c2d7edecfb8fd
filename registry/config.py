"""Where the registry's database lives (``--db`` beats ``MONOSASHI_DB`` beats the default), and
the SMTP password, which lives outside it."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

__all__ = [
    "DB_ENV",
    "DEFAULT_DB",
    "SECRETS_ENV",
    "SMTP_PASSWORD_ENV",
    "resolve_db_path",
    "smtp_password",
]

DEFAULT_DB = Path("data") / "monosashi.duckdb"
DB_ENV = "MONOSASHI_DB"


def resolve_db_path(cli_value: str | Path | None = None) -> Path:
    """The database file to use: the explicit value, else ``$MONOSASHI_DB``, else ``data/monosashi.duckdb``."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get(DB_ENV)
    return Path(env) if env else DEFAULT_DB


SMTP_PASSWORD_ENV = "MONOSASHI_SMTP_PASSWORD"
SECRETS_ENV = "MONOSASHI_SECRETS"


def _secrets_files() -> list[Path]:
    """Where a ``secrets.toml`` may be, as Streamlit looks for it (the project's, then the user's)."""
    named = os.environ.get(SECRETS_ENV)
    return (
        [Path(named)] if named else [Path(".streamlit") / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml"]
    )


def smtp_password() -> str | None:
    """The SMTP password: ``$MONOSASHI_SMTP_PASSWORD``, else ``[smtp] password`` in ``secrets.toml``
    (``$MONOSASHI_SECRETS``, else ``.streamlit/secrets.toml``, else ``~/.streamlit/secrets.toml``).
    Never the database: a backup or an export must not carry it."""
    if os.environ.get(SMTP_PASSWORD_ENV):
        return os.environ[SMTP_PASSWORD_ENV]
    for path in _secrets_files():
        if path.is_file():
            with path.open("rb") as fh:
                value = tomllib.load(fh).get("smtp", {}).get("password")
            if value:
                return str(value)
    return None
