"""The SCS catalogue: print it, load IPA's official texts."""

from __future__ import annotations

from pathlib import Path

import click

from questionnaires.catalogue import CURRENT_VERSION, available_versions, load_catalogue
from registry.cli.app import (
    _actor,
    _echo_json,
    _Group,
    db_option,
)
from registry.cli.shapes import CatalogueDoc
from registry.config import resolve_db_path
from registry.services import catalogue
from registry.store import Store, content

__all__ = [
    "catalogue_group",
    "catalogue_import_texts",
]


@click.group("catalogue", cls=_Group, invoke_without_command=True)
@click.option(
    "--version", "version", type=click.Choice(available_versions()), default=CURRENT_VERSION, show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="Print the whole catalogue as JSON.")
@db_option
@click.pass_context
def catalogue_group(ctx: click.Context, version: str, as_json: bool, db: Path | None) -> None:
    """Print the SCS catalogue (requirements, criteria, citations)."""
    ctx.obj = {"db": db}
    if ctx.invoked_subcommand is not None:
        return
    cat = load_catalogue(version)
    if as_json:
        _echo_json(catalogue.catalogue_json(cat), CatalogueDoc)
        return
    click.echo(
        f"SCS catalogue {cat.version} ({cat.data.status}): {len(cat.data.categories)} categories, "
        f"{len(cat.requirements)} requirements ({len(cat.requirements_at(3))} at ★3), "
        f"{len(cat.criteria)} criteria ({len(cat.criteria_at(3))} at ★3)"
    )
    for req in cat.requirements:
        click.echo(f"  {req.id:7} ★{req.min_level}  {req.title_ja}")


@catalogue_group.command("import-texts")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
@click.pass_context
def catalogue_import_texts(ctx: click.Context, file: Path, db: Path | None) -> None:
    """Load the official sentences from IPA's Excel of requirements and criteria."""
    store = Store(resolve_db_path(db or ctx.obj["db"]))
    content.initialise(store, _actor())
    batch = catalogue.import_official_texts(store, file.name, file.read_bytes(), _actor())
    click.echo(
        f"{file.name}: sheet {batch.sheet}, catalogue {batch.catalogue_version}: "
        f"{len(batch.requirements)} requirement and {len(batch.criteria)} criterion texts stored"
    )
