"""Maintenance commands of the ``monosashi`` CLI: ``backup`` and ``restore``.

Registered on :data:`registry.cli.main` by ``registry/cli/__init__.py``, so they follow the CLI's
conventions: ``--db``, one-line errors with exit 1.
"""

from __future__ import annotations

from pathlib import Path

import click

from registry.cli.app import _actor, db_option
from registry.config import resolve_db_path
from registry.store import Store
from registry.store import backup as backups

__all__ = ["backup", "restore"]


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n:,} bytes"


@click.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The backup file to write (a DuckDB file; refused if it exists, unless --force).",
)
@click.option("--force", is_flag=True, help="Replace the output file if it already exists.")
@db_option
def backup(output: Path, force: bool, db: Path | None) -> None:
    """Write a consistent snapshot of the registry to a new file (safe while the app runs)."""
    result = backups.backup(Store(resolve_db_path(db)), output, force=force, actor=_actor())
    click.echo(
        f"wrote {result.path} ({_size(result.size_bytes)}): schema version {result.schema_version}, "
        f"{result.suppliers:,} suppliers, {result.tables.get('submission', 0):,} submissions, "
        f"{result.tables.get('audit_log', 0):,} audit lines; sha256 {result.sha256[:16]}… ({result.seconds:.1f} s)"
    )


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Replace a registry that holds data (the current file is kept as <db>.before-restore-<time>).",
)
@db_option
def restore(file: Path, force: bool, db: Path | None) -> None:
    """Replace the registry with a backup file (checked, migrated if older; the old file is kept)."""
    result = backups.restore(Store(resolve_db_path(db)), file, force=force, actor=_actor())
    migrated = (
        f" (migrated from schema {result.schema_version_in_file})"
        if result.schema_version != result.schema_version_in_file
        else ""
    )
    click.echo(
        f"restored {file} into {result.path}: schema version {result.schema_version}{migrated}, "
        f"{backups.describe_content(result.tables)}"
    )
    if result.previous is not None:
        click.echo(f"the previous registry is kept as {result.previous}")
