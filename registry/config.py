"""Where the registry's database lives: ``--db`` beats ``MONOSASHI_DB`` beats the default."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "DB_ENV",
    "DEFAULT_DB",
    "resolve_db_path",
]

DEFAULT_DB = Path("data") / "monosashi.duckdb"
DB_ENV = "MONOSASHI_DB"


def resolve_db_path(cli_value: str | Path | None = None) -> Path:
    """The database file to use: the explicit value, else ``$MONOSASHI_DB``, else ``data/monosashi.duckdb``."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get(DB_ENV)
    return Path(env) if env else DEFAULT_DB
