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

from importers.base import SourceFileError, validation_problems
from importers.container import Limits
from questionnaires.catalogue import CatalogueDataError
from registry import access, clock
from registry.cli.shapes import FileReportDoc, Shape, checked
from registry.config import DEFAULT_DB, resolve_db_path
from registry.domain.actor import Actor, role_reaches
from registry.errors import AccessDenied, MonosashiError
from registry.messages import language_from_env, render
from registry.services import intake
from registry.store import Store, content, private_files
from registry.store.accounts import account_count

__all__ = [
    "CLI_ROLES",
    "all_or_nothing_option",
    "as_of_option",
    "cli_lang",
    "counted",
    "db_option",
    "main",
    "refused_dir_option",
    "said",
]

_USER_ERRORS = (MonosashiError, CatalogueDataError, SourceFileError)


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
    "remind": "buyer",
    "map": "viewer",
}
_CURRENT: dict[str, Actor] = {}
_LANG: dict[str, str] = {}


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
        raise MonosashiError("cli.sign_in_needed", path=str(path))
    password = os.environ.get("MONOSASHI_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise MonosashiError("cli.password_needed")
        password = click.prompt(f"password for {user}", hide_input=True, err=True)
    actor = access.authenticate(Store(path), user, password, client=_os_user())
    if not role_reaches(actor, needed):
        raise AccessDenied("cli.role_too_low", actor=str(actor), role=actor.role, needed=needed)
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
        except MonosashiError as exc:
            raise click.ClickException(exc.text(cli_lang())) from None
        except SourceFileError as exc:
            raise click.ClickException("; ".join(p.text(cli_lang()) for p in exc.problems)) from None
        except _USER_ERRORS as exc:
            raise click.ClickException(str(exc)) from None
        except ValidationError as exc:
            said = validation_problems(exc, lambda _field: "")
            raise click.ClickException("; ".join(p.said(cli_lang()) for p in said)) from None


def cli_lang() -> str:
    """The language of this command's messages: ``--lang``, else ``MONOSASHI_LANG``, else the locale."""
    return _LANG.get("lang") or language_from_env()


def said(key: str, **params: object) -> str:
    """A message of the CLI in its language (registry/messages/cli.toml)."""
    return render(key, cli_lang(), params)


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
all_or_nothing_option = click.option(
    "--all-or-nothing",
    is_flag=True,
    help="Write nothing if any row or file is refused (default: import the valid rows; a bad row is refused alone).",
)
refused_dir_option = click.option(
    "--refused-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for <list>-refused.csv, a list's refused rows with reasons (default: the current folder).",
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
        raise MonosashiError("cli.no_registry", path=str(store.path))
    store.check_schema()
    return store


def _as_of(value: Any) -> date:
    return value.date() if value is not None else clock.today()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="monosashi")
@click.option(
    "--lang",
    type=click.Choice(["ja", "en"]),
    default=None,
    help="Language of messages (default: $MONOSASHI_LANG, else ja when $LANG starts with ja, else en).",
)
def main(lang: str | None) -> None:
    """Monosashi: a supplier security registry on the SCS ★ yardstick."""
    _LANG["lang"] = language_from_env(lang)
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
    again: bool = False,
    refused_dir: Path | None = None,
) -> None:
    """Collect, check and write files; with ``only_formats`` other formats are refused. A list's
    bad rows are refused alone (written to ``<name>-refused.csv`` in ``refused_dir``, the current
    folder by default, to correct and import again) unless ``all_or_nothing``."""

    store = Store(resolve_db_path(db))
    content.initialise(store, _actor())
    limits = Limits(max_file_bytes=int(max_size_mb * 1024 * 1024))
    bar, progress = _progress_reporter(sys.stderr.isatty() and not as_json)
    lang = cli_lang()
    collected = intake.collect(paths, limits)
    reports = intake.analyse(
        store,
        collected,
        supplier_id=supplier_id,
        profile=profile,
        limits=limits,
        progress=progress,
        create_missing_suppliers=create_missing,
        formats=only_formats or None,
        wrong_format="intake.wrong_command",
        today=clock.today(),
        whole_lists=all_or_nothing,
        again=[item.sha256 for item in collected] if again else (),
    )
    changes = None
    if not dry_run:
        reports, changes = intake.commit_and_compare(
            store,
            reports,
            mode="batch" if all_or_nothing else "per_file",
            actor=_actor(),
            today=clock.today(),
            lang=lang,
        )
    if bar is not None:
        bar.render_finish()
    refused_files = _write_refused_rows(reports, refused_dir or Path.cwd(), lang)
    if as_json:
        _echo_json([r.as_json(lang) for r in reports], FileReportDoc)
    else:
        _print_reports(reports, dry_run, lang)
        if changes is not None:
            _print_changes(changes)
    for path in refused_files:
        click.echo(said("cli.import.refused_written", path=str(path)), err=True)
    counts = {s: sum(1 for r in reports if r.status == s) for s in ("imported", "ready", "duplicate", "rejected")}
    summary = ", ".join(said(f"cli.import.count.{s}", n=n) for s, n in counts.items() if n)
    files = said("cli.files.one" if len(reports) == 1 else "cli.files.many", n=f"{len(reports):,}")
    click.echo(said("cli.import.summary", files=files, summary=summary), err=True)
    if dry_run:
        click.echo(said("cli.import.dry_run"), err=True)
    if counts["rejected"]:
        sys.exit(1)


def _print_reports(reports: list[intake.FileReport], dry_run: bool, lang: str) -> None:
    """One line per file, then its problems and refused rows, in ``lang``."""
    for r in reports:
        status = said("cli.status.would_import" if dry_run and r.status == "ready" else f"cli.status.{r.status}")
        counted_rows = said("cli.import.rows", rows=r.rows, refused=len(r.refused)) if r.rows or r.refused else ""
        click.echo(
            f"{status:12} {r.name}  [{r.format or '-'}] {', '.join(r.supplier_ids) or ''} {r.answers or ''}"
            f" {counted_rows}".rstrip()
        )
        for problem in r.errors:
            click.echo(f"    {said('cli.error')}   {problem.text(lang)}")
        for problem in r.warnings:
            click.echo(f"    {said('cli.warning')} {problem.text(lang)}")
        for row in r.refused:
            for problem in row.problems:
                click.echo(f"    {said('cli.refused_row')} {problem.text(lang)}")


def _print_changes(changes: Any) -> None:
    """What the import changed, per supplier: readiness before → after and new flags."""
    for row in changes.iter_rows(named=True):
        click.echo(
            said(
                "cli.import.change",
                supplier_id=row["supplier_id"],
                name=row["name"] or "",
                star3=f"{_share(row['star3_before'])} → {_share(row['star3_after'])}",
                star4=f"{_share(row['star4_before'])} → {_share(row['star4_after'])}",
                flags=row["new_flags"],
            )
        )


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _write_refused_rows(reports: list[intake.FileReport], folder: Path, lang: str) -> list[Path]:
    """Each list's refused rows as ``<name>-refused.csv`` in ``folder``; the paths written."""
    written = []
    for report in reports:
        data = intake.refused_rows_csv(report, lang)
        if data is None:
            continue
        path = folder / intake.refused_rows_name(report)
        path.write_bytes(data)
        written.append(path)
    return written
