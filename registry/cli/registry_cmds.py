"""Commands on the registry itself: init, demo, serve and schema."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Any

import click

from registry import access
from registry.cli.app import (
    _accounts,
    _actor,
    _as_of,
    _os_actor,
    _print_json,
    as_of_option,
    db_option,
)
from registry.config import resolve_db_path
from registry.errors import MonosashiError
from registry.services import flags
from registry.services.demo import generate_demo
from registry.services.schemas import exchange_schema, profile_schema
from registry.store import Store, content

__all__ = ["demo", "init", "schema", "serve"]


@click.command()
@db_option
def init(db: Path | None) -> None:
    """Create the registry database, or migrate it to this version's schema."""
    store = Store(resolve_db_path(db))
    applied = content.initialise(store, _actor())
    if applied:
        click.echo(f"{store.path}: applied migrations {', '.join(map(str, applied))}")
    else:
        click.echo(f"{store.path}: schema up to date (version {store.schema_version()})")


@click.command()
@db_option
@click.option("--suppliers", "n_suppliers", type=click.IntRange(1, 1_000_000), default=500, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@as_of_option
@click.option("--force", is_flag=True, help="Replace a registry that holds data not made by `demo`.")
@click.option(
    "--history-months",
    type=click.IntRange(0, 24),
    default=6,
    show_default=True,
    help="Derive flags and readiness monthly back this far, as daily use would have.",
)
def demo(db: Path | None, n_suppliers: int, seed: int, as_of: Any, force: bool, history_months: int) -> None:
    """Replace the registry's content with a synthetic demo registry."""
    store = Store(resolve_db_path(db))
    content.initialise(store, _actor())
    data = generate_demo(n_suppliers, seed, _as_of(as_of))
    content.replace_demo(store, data, _actor(), seed=seed, force=force)
    made = (
        f"{store.path}: demo registry with {data.suppliers.height} suppliers, {data.links.height} links, "
        f"{data.certificates.height} certificates, {data.requests.height} requests (seed {seed})"
    )
    del data  # written: its answers (a gigabyte at 100,000 suppliers) need not outlive the write
    flags.replay(store, _as_of(as_of), history_months, actor=_actor())
    click.echo(made)


@click.command()
@db_option
@click.option("--port", type=int, default=8501, show_default=True)
@click.option(
    "--demo-suppliers",
    type=click.IntRange(0, 1_000_000),
    default=500,
    show_default=True,
    help="Suppliers in the demo registry made on first start (0: start empty).",
)
@click.option(
    "--single-user",
    is_flag=True,
    help="No sign-in: whoever reaches the app is its admin. Listens on 127.0.0.1 only (this machine).",
)
def serve(db: Path | None, port: int, demo_suppliers: int, single_user: bool) -> None:
    """Start the Streamlit app on this registry (filled with demo data on first start)."""
    app = Path(__file__).resolve().parents[2] / "app.py"
    if not app.exists():
        raise MonosashiError("cli.app_missing", path=str(app))
    path = resolve_db_path(db).resolve()
    env = dict(os.environ, MONOSASHI_DB=str(path), MONOSASHI_DEMO_SUPPLIERS=str(demo_suppliers))
    address = "127.0.0.1" if single_user else "0.0.0.0"
    if single_user:
        env["MONOSASHI_SINGLE_USER"] = "1"
        click.echo(
            "single-user local mode: no sign-in, listening on 127.0.0.1 only (other machines cannot connect)",
            err=True,
        )
    else:
        _first_admin(path)
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
        "--server.address",
        address,
    ]
    os.chdir(app.parent)
    os.execvpe(sys.executable, args, env)


def _first_admin(path: Path) -> None:
    """On a registry without accounts, create the admin account and print its password once."""

    store = Store(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    content.initialise(store, _os_actor())
    if _accounts(path):
        return
    password = secrets.token_urlsafe(12)
    access.add_user(store, "admin", "admin", _os_actor(), password=password, display_name="管理者 (admin)")
    click.echo(f"Created the admin account. Sign in as: admin / {password}", err=True)
    click.echo("This password is shown once; change it with `monosashi users passwd admin`.", err=True)


@click.command()
@click.option("--profile", "which", flag_value="profile", help="Print the mapping-profile schema instead.")
@click.option(
    "--exchange", "which", flag_value="exchange", default=True, help="Print the JSON exchange schema (default)."
)
@db_option
def schema(which: str, db: Path | None) -> None:
    """Print the JSON Schema of the exchange format (or of mapping profiles); --db is not used."""

    _print_json(profile_schema() if which == "profile" else exchange_schema())
