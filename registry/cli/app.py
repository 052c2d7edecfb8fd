"""The ``monosashi`` command line's core: the group every command hangs on, the one role check,
sign-in, and the options and helpers the commands share.

Every command takes ``--db`` (else ``$MONOSASHI_DB``, else ``data/monosashi.duckdb``). Errors
print one line and exit 1; usage errors exit 2. ``--json`` shapes are documented in
``docs/cli.md`` and stay stable.
"""

from __future__ import annotations

import functools
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
from importers.container import Limits
from questionnaires.catalogue import CatalogueDataError
from registry import access, clock
from registry.cli.shapes import FileReportDoc, Shape, checked
from registry.config import DEFAULT_DB, resolve_db_path
from registry.domain.actor import Actor, role_reaches
from registry.errors import AccessDenied, MonosashiError
from registry.services import intake
from registry.store import Store, content, private_files
from registry.store.accounts import account_count

__all__ = [
    "CLI_ROLES",
    "as_of_option",
    "counted",
    "db_option",
    "describe_validation",
    "main",
]

_USER_ERRORS = (MonosashiError, CatalogueDataError, SourceFileError)


def describe_validation(exc: ValidationError) -> str:
    """A pydantic error as one readable line: ``corporate_number: ...; name: ...``."""
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "input"
        parts.append(f"{field}: {err['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)


# The least role each command needs (docs/security.md); None: no registry account involved.
CLI_ROLES: dict[str, str | None] = {
    "init": "admin",
    "demo": "admin",
    "catalogue": "viewer",
    "catalogue import-texts": "admin",
    "suppliers add": "buyer",
    "suppliers list": "viewer",
    "import": "buyer",
    "history": "viewer",
    "template": "buyer",
    "profiles list": "viewer",
    "profiles add": "buyer",
    "schema": None,
    "status": "viewer",
    "explain": "viewer",
    "renewals": "viewer",
    "certificates import": "buyer",
    "certificates pending": "viewer",
    "certificates confirm": "buyer",
    "certificates yearly-check": "buyer",
    "coverage": "viewer",
    "links import": "buyer",
    "requests import": "buyer",
    "requests list": "viewer",
    "requests letter": "buyer",
    "flags": "viewer",
    "flags set": "buyer",
    "gap-report": "viewer",
    "serve": None,
    "users add": "admin",
    "users list": "admin",
    "users passwd": "admin",
    "users disable": "admin",
    "portal invite": "buyer",
    "portal list": "buyer",
    "portal revoke": "buyer",
    "proposals list": "viewer",
    "proposals resolve": "buyer",
    "audit verify": "admin",
    "backup": "admin",
    "restore": "admin",
}
_CURRENT: dict[str, Actor] = {}


def _os_user() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _os_actor() -> Actor:
    """The person at the terminal of a registry without accounts (single-user local mode): whoever
    can open the file owns it, so they act as its administrator."""
    return Actor.person(_os_user(), "admin", via="cli")


def _accounts(path: Path) -> int:
    """How many accounts the registry at ``path`` has (0 for a new or older registry)."""
    store = Store(path)
    return account_count(store) if store.exists() else 0


def _sign_in(db: Path | None, needed: str | None) -> Actor:
    """Who runs this command. A registry without accounts is in single-user local mode (whoever
    can open its file acts as its owner); with accounts, MONOSASHI_USER and MONOSASHI_PASSWORD (or
    a prompt on a terminal) sign in, and the account's role must reach ``needed``."""

    path = resolve_db_path(db)
    if needed is None or not _accounts(path):
        return _os_actor()
    user = os.environ.get("MONOSASHI_USER")
    if not user:
        raise MonosashiError(
            f"{path} has accounts: sign in with MONOSASHI_USER, e.g. `MONOSASHI_USER=your-account monosashi …` "
            "(the password is asked on a terminal, or read from MONOSASHI_PASSWORD)"
        )
    password = os.environ.get("MONOSASHI_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise MonosashiError("set MONOSASHI_PASSWORD, or run on a terminal to be asked for the password")
        password = click.prompt(f"password for {user}", hide_input=True, err=True)
    actor = access.authenticate(Store(path), user, password, client=_os_user())
    if not role_reaches(actor, needed):
        raise AccessDenied(f"{actor} ({actor.role}) may not run this command; it needs the {needed} role")
    return actor


def _guarded(callback):  # type: ignore[no-untyped-def]
    """Every command's callback, behind the one role check of the CLI."""

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        if isinstance(ctx.command, click.Group) and ctx.invoked_subcommand:
            return callback(*args, **kwargs)  # the subcommand is checked when it runs
        path = ctx.command_path.split(" ", 1)[1] if " " in ctx.command_path else ""
        needed = CLI_ROLES.get(path, "admin")  # a command nobody listed needs the most
        _CURRENT["actor"] = _sign_in(kwargs.get("db"), needed)
        return callback(*args, **kwargs)

    return run


class _Group(click.Group):
    """Checks the role of every command in one place, and turns the registry's own errors into
    one-line messages with exit status 1."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if cmd.callback is not None and not getattr(cmd.callback, "_guarded", False):
            cmd.callback = _guarded(cmd.callback)
            cmd.callback._guarded = True  # type: ignore[attr-defined]
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _USER_ERRORS as exc:
            raise click.ClickException(str(exc)) from None
        except ValidationError as exc:
            raise click.ClickException(describe_validation(exc)) from None


def _actor() -> Actor:
    """Who runs the current command (signed in by the role check)."""
    return _CURRENT.get("actor") or _os_actor()


def counted(n: int, noun: str) -> str:
    """``1 file``, ``2 files``: a count with its noun in the right number."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _echo_json(value: Any, shape: type[Shape]) -> None:
    """Print a command's ``--json`` output once it has its documented shape (registry/cli/shapes.py)."""
    _print_json(checked(value, shape))


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
    return value.date() if value is not None else clock.today()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="monosashi")
def main() -> None:
    """Monosashi: a supplier security registry on the SCS ★ yardstick."""
    private_files()


def _progress_reporter(enabled: bool):
    """A terminal progress bar on stderr, or nothing when not on a terminal."""
    if not enabled:
        return None, None
    bar = click.progressbar(length=1, label="reading", file=sys.stderr, show_pos=True)

    def update(done: int, total: int, name: str) -> None:
        bar.length = max(total, 1)
        bar.update(done - bar.pos)
        bar.label = Path(name).name[:30] if name else "done"

    return bar, update


def _run_import(
    paths: tuple[Path, ...],
    supplier_id: str | None,
    profile: str | None,
    dry_run: bool,
    all_or_nothing: bool,
    max_size_mb: float,
    as_json: bool,
    db: Path | None,
    only_formats: tuple[str, ...] = (),
    create_missing: bool = False,
    expected: str = "",
) -> None:
    """Collect, check and write files; with ``only_formats`` other formats are refused."""

    store = Store(resolve_db_path(db))
    content.initialise(store, _actor())
    limits = Limits(max_file_bytes=int(max_size_mb * 1024 * 1024))
    bar, progress = _progress_reporter(sys.stderr.isatty() and not as_json)
    reports = intake.analyse(
        store,
        intake.collect(paths, limits),
        supplier_id=supplier_id,
        profile=profile,
        limits=limits,
        progress=progress,
        create_missing_suppliers=create_missing,
        formats=only_formats or None,
        wrong_format=f"a {{format}} file, not a {expected}; use `monosashi import`",
        today=clock.today(),
    )
    if not dry_run:
        reports = intake.commit(
            store, reports, mode="batch" if all_or_nothing else "per_file", actor=_actor(), today=clock.today()
        )
    if bar is not None:
        bar.render_finish()
    if as_json:
        _echo_json([r.as_json() for r in reports], FileReportDoc)
    else:
        for r in reports:
            status = "would import" if dry_run and r.status == "ready" else r.status
            click.echo(
                f"{status:12} {r.name}  [{r.format or '-'}] {', '.join(r.supplier_ids) or ''} {r.answers or ''}".rstrip()
            )
            for problem in r.errors:
                click.echo(f"    error   {problem.location}: {problem.message}")
            for problem in r.warnings:
                click.echo(f"    warning {problem.location}: {problem.message}")
    counts = {s: sum(1 for r in reports if r.status == s) for s in ("imported", "ready", "duplicate", "rejected")}
    summary = ", ".join(f"{n} {'to import' if s == 'ready' else s}" for s, n in counts.items() if n)
    click.echo(
        f"{counted(len(reports), 'file')}: {summary}" + (" (dry run, nothing written)" if dry_run else ""), err=True
    )
    if counts["rejected"]:
        sys.exit(1)
