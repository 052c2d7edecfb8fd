"""The store: the one DuckDB registry file, its migrations and every SQL statement.

Nothing outside this package runs SQL (tests/test_layers.py checks it).
"""

from registry.store.core import (
    AUDIT_COLUMNS,
    GENESIS_HASH,
    PRIVATE_MODE,
    RECORDED_AT,
    Migration,
    Store,
    Transaction,
    audit_line_hash,
    keep_private,
    migrations,
    private_files,
)

__all__ = [
    "AUDIT_COLUMNS",
    "GENESIS_HASH",
    "PRIVATE_MODE",
    "RECORDED_AT",
    "Migration",
    "Store",
    "Transaction",
    "audit_line_hash",
    "keep_private",
    "migrations",
    "private_files",
]
