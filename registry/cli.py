"""The ``monosashi`` command line (also ``python -m registry``).

Every command takes ``--db`` (else ``$MONOSASHI_DB``, else ``data/monosashi.duckdb``). Errors
print one line and exit 1; usage errors exit 2. ``--json`` shapes are documented in
``docs/cli.md`` and stay stable.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from importers.base import SourceFileError
from questionnaires.catalogue import CURRENT_VERSION, CatalogueDataError, available_versions, load_catalogue
from registry import catalogue_view, queries, records
from registry.config import DEFAULT_DB, resolve_db_path
from registry.demo import generate_demo
from registry.errors import MonosashiError
from registry.models import Supplier
from registry.store import Store

__all__ = ["main"]

_USER_ERRORS = (MonosashiError, CatalogueDataError, SourceFileError)


def describe_validation(exc: ValidationError) -> str:
    """A pydantic error as one readable line: ``corporate_number: ...; name: ...``."""
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "input"
        parts.append(f"{field}: {err['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)


class _Group(click.Group):
    """Turns the registry's own errors into one-line messages with exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _USER_ERRORS as exc:
            raise click.ClickException(str(exc)) from None
        except ValidationError as exc:
            raise click.ClickException(describe_validation(exc)) from None


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


db_option = click.option(
    "--db",
    "db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Registry database file (default: $MONOSASHI_DB or {DEFAULT_DB}).",
)
as_of_option = click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date to evaluate validity on (YYYY-MM-DD; default today).",
)


def _existing_store(db: Path | None) -> Store:
    """A store on an existing, up-to-date registry (read commands never create files)."""
    store = Store(resolve_db_path(db))
    if not store.exists():
        raise MonosashiError(f"no registry at {store.path}; create it with `monosashi init --db {store.path}`")
    store.check_schema()
    return store


def _as_of(value: Any) -> date:
    return value.date() if value is not None else date.today()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="monosashi")
def main() -> None:
    """Monosashi: a supplier security registry on the SCS ★ yardstick."""


@main.command()
@db_option
def init(db: Path | None) -> None:
    """Create the registry database, or migrate it to this version's schema."""
    store = Store(resolve_db_path(db))
    applied = records.initialise(store, _actor())
    if applied:
        click.echo(f"{store.path}: applied migrations {', '.join(map(str, applied))}")
    else:
        click.echo(f"{store.path}: schema up to date (version {store.schema_version()})")


@main.command()
@db_option
@click.option("--suppliers", "n_suppliers", type=click.IntRange(1, 1_000_000), default=500, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@as_of_option
@click.option("--force", is_flag=True, help="Replace a registry that holds data not made by `demo`.")
def demo(db: Path | None, n_suppliers: int, seed: int, as_of: Any, force: bool) -> None:
    """Replace the registry's content with a synthetic demo registry."""
    store = Store(resolve_db_path(db))
    records.initialise(store, _actor())
    data = generate_demo(n_suppliers, seed, _as_of(as_of))
    records.replace_demo(store, data, _actor(), seed=seed, force=force)
    click.echo(
        f"{store.path}: demo registry with {data.suppliers.height} suppliers, {data.links.height} links, "
        f"{data.certificates.height} certificates, {data.requests.height} requests (seed {seed})"
    )


@main.group(cls=_Group, invoke_without_command=True)
@click.option(
    "--version", "version", type=click.Choice(available_versions()), default=CURRENT_VERSION, show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="Print the whole catalogue as JSON.")
@db_option
@click.pass_context
def catalogue(ctx: click.Context, version: str, as_json: bool, db: Path | None) -> None:
    """Print the SCS catalogue (requirements, criteria, citations)."""
    ctx.obj = {"db": db}
    if ctx.invoked_subcommand is not None:
        return
    cat = load_catalogue(version)
    if as_json:
        _echo_json(catalogue_view.catalogue_json(cat))
        return
    click.echo(
        f"SCS catalogue {cat.version} ({cat.data.status}): {len(cat.data.categories)} categories, "
        f"{len(cat.requirements)} requirements ({len(cat.requirements_at(3))} at ★3), "
        f"{len(cat.criteria)} criteria ({len(cat.criteria_at(3))} at ★3)"
    )
    for req in cat.requirements:
        click.echo(f"  {req.id:7} ★{req.min_level}  {req.title_ja}")


@catalogue.command("import-texts")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
@click.pass_context
def catalogue_import_texts(ctx: click.Context, file: Path, db: Path | None) -> None:
    """Load the official sentences from IPA's Excel of requirements and criteria."""
    store = Store(resolve_db_path(db or ctx.obj["db"]))
    records.initialise(store, _actor())
    batch = records.import_official_texts(store, file.name, file.read_bytes(), _actor())
    click.echo(
        f"{file.name}: sheet {batch.sheet}, catalogue {batch.catalogue_version}: "
        f"{len(batch.requirements)} requirement and {len(batch.criteria)} criterion texts stored"
    )


@main.group(cls=_Group)
def suppliers() -> None:
    """Add and list suppliers."""


@suppliers.command("add")
@click.option("--id", "supplier_id", required=True, help="Your ID for the supplier (letters, digits, . _ -).")
@click.option("--name", required=True, help="Company name, e.g. 株式会社東邦精工.")
@click.option("--corporate-number", default=None, help="13-digit 法人番号 (full-width digits accepted).")
@click.option("--industry", default=None)
@click.option("--employees", type=int, default=None)
@click.option("--prefecture", default=None)
@db_option
def suppliers_add(
    supplier_id: str,
    name: str,
    corporate_number: str | None,
    industry: str | None,
    employees: int | None,
    prefecture: str | None,
    db: Path | None,
) -> None:
    """Register a supplier."""
    supplier = Supplier(
        supplier_id=supplier_id,
        name=name,
        corporate_number=corporate_number,
        industry=industry,
        employees=employees,
        prefecture=prefecture,
    )
    store = Store(resolve_db_path(db))
    records.initialise(store, _actor())
    records.add_supplier(store, supplier, _actor())
    click.echo(f"added {supplier.supplier_id} {supplier.name}")


@suppliers.command("list")
@click.option("--json", "as_json", is_flag=True)
@as_of_option
@db_option
def suppliers_list(as_json: bool, as_of: Any, db: Path | None) -> None:
    """List suppliers with tier, held ★ and requested ★."""
    frame = queries.supplier_status(_existing_store(db), _as_of(as_of))
    rows = frame.select(
        "supplier_id",
        "name",
        "corporate_number",
        "industry",
        "employees",
        "prefecture",
        "tier",
        "held_level",
        "requested_level",
    ).to_dicts()
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        tier = f"T{r['tier']}" if r["tier"] else "--"
        click.echo(f"{r['supplier_id']:10} {tier:3} {r['held_level']:15} {r['name']}")
    click.echo(f"{len(rows)} suppliers")


@main.command()
@db_option
@click.option("--port", type=int, default=8501, show_default=True)
@click.option(
    "--demo-suppliers",
    type=click.IntRange(0, 1_000_000),
    default=500,
    show_default=True,
    help="Suppliers in the demo registry made on first start (0: start empty).",
)
def serve(db: Path | None, port: int, demo_suppliers: int) -> None:
    """Start the Streamlit app on this registry (filled with demo data on first start)."""
    app = Path(__file__).resolve().parent.parent / "app.py"
    if not app.exists():
        raise MonosashiError(f"app.py not found next to the registry package ({app}); run from a source checkout")
    path = resolve_db_path(db).resolve()
    env = dict(os.environ, MONOSASHI_DB=str(path), MONOSASHI_DEMO_SUPPLIERS=str(demo_suppliers))
    click.echo(f"Monosashi on http://localhost:{port} — database {path}")
    args = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    os.chdir(app.parent)
    os.execvpe(sys.executable, args, env)
