"""The ``monosashi`` command line (also ``python -m registry``).

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
import polars as pl
from pydantic import ValidationError

from importers.base import SourceFileError
from questionnaires.catalogue import CURRENT_VERSION, CatalogueDataError, available_versions, load_catalogue
from registry import catalogue_view, clock, flags, queries, records
from registry.actor import Actor, role_reaches
from registry.config import DEFAULT_DB, resolve_db_path
from registry.demo import generate_demo
from registry.errors import AccessDenied, MonosashiError
from registry.models import Supplier
from registry.store import Store, private_files

__all__ = ["main"]

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
    import duckdb

    store = Store(path)
    if not store.exists():
        return 0
    try:
        return int(store.scalar("SELECT count(*) FROM app_user") or 0)
    except duckdb.CatalogException:
        return 0


def _sign_in(db: Path | None, needed: str | None) -> Actor:
    """Who runs this command. A registry without accounts is in single-user local mode (whoever
    can open its file acts as its owner); with accounts, MONOSASHI_USER and MONOSASHI_PASSWORD (or
    a prompt on a terminal) sign in, and the account's role must reach ``needed``."""
    from registry import access

    path = resolve_db_path(db)
    if needed is None or not _accounts(path):
        return _os_actor()
    user = os.environ.get("MONOSASHI_USER")
    if not user:
        raise MonosashiError(
            f"{path} has accounts: sign in with MONOSASHI_USER (and MONOSASHI_PASSWORD, or type it when asked)"
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
    return value.date() if value is not None else clock.today()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="monosashi")
def main() -> None:
    """Monosashi: a supplier security registry on the SCS ★ yardstick."""
    private_files()


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
    records.initialise(store, _actor())
    data = generate_demo(n_suppliers, seed, _as_of(as_of))
    records.replace_demo(store, data, _actor(), seed=seed, force=force)
    flags.replay(store, _as_of(as_of), history_months, actor=_actor())
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
@click.option(
    "--single-user",
    is_flag=True,
    help="No sign-in: whoever reaches the app is its admin. Listens on 127.0.0.1 only (this machine).",
)
def serve(db: Path | None, port: int, demo_suppliers: int, single_user: bool) -> None:
    """Start the Streamlit app on this registry (filled with demo data on first start)."""
    app = Path(__file__).resolve().parent.parent / "app.py"
    if not app.exists():
        raise MonosashiError(f"app.py not found next to the registry package ({app}); run from a source checkout")
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
    import secrets

    from registry import access

    store = Store(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    records.initialise(store, _os_actor())
    if _accounts(path):
        return
    password = secrets.token_urlsafe(12)
    access.add_user(store, "admin", "admin", _os_actor(), password=password, display_name="管理者 (admin)")
    click.echo(f"Created the admin account. Sign in as: admin / {password}", err=True)
    click.echo("This password is shown once; change it with `monosashi users passwd admin`.", err=True)


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


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--supplier", "supplier_id", default=None, help="Supplier the files are from (when a file does not say).")
@click.option("--profile", default=None, help="Mapping profile to read a buyer checklist with (default: recognised).")
@click.option("--dry-run", is_flag=True, help="Read and check only; write nothing.")
@click.option(
    "--all-or-nothing",
    is_flag=True,
    help="Write the whole batch in one transaction, or nothing if any file is rejected.",
)
@click.option(
    "--max-size",
    "max_size_mb",
    type=click.FloatRange(0.01, 1024),
    default=20,
    show_default=True,
    help="Largest file accepted, in MB.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per file (an array).")
@db_option
def import_(
    paths: tuple[Path, ...],
    supplier_id: str | None,
    profile: str | None,
    dry_run: bool,
    all_or_nothing: bool,
    max_size_mb: float,
    as_json: bool,
    db: Path | None,
) -> None:
    """Import files, folders or zips of supplier answers, lists and certificates."""
    _run_import(paths, supplier_id, profile, dry_run, all_or_nothing, max_size_mb, as_json, db)


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
    from importers.container import Limits
    from registry import intake

    store = Store(resolve_db_path(db))
    records.initialise(store, _actor())
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
    )
    if only_formats:
        intake.only_formats(reports, only_formats, f"a {{format}} file, not a {expected}; use `monosashi import`")
    if not dry_run:
        reports = intake.commit(
            store, reports, mode="batch" if all_or_nothing else "per_file", actor=_actor(), today=clock.today()
        )
    if bar is not None:
        bar.render_finish()
    if as_json:
        _echo_json([r.as_json() for r in reports])
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
    click.echo(f"{len(reports)} files: {summary}" + (" (dry run, nothing written)" if dry_run else ""), err=True)
    if counts["rejected"]:
        sys.exit(1)


@main.command()
@click.argument("framework")
@click.option("--supplier", "supplier_id", required=True, help="Supplier the workbook is for.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option(
    "--level", type=click.Choice(["3", "4"]), default="4", show_default=True, help="For SCS: ★3 or ★4 criteria."
)
@db_option
def template(framework: str, supplier_id: str, output: Path, level: str, db: Path | None) -> None:
    """Write a blank supplier workbook (FRAMEWORK: scs, ipa_5min or profile.<name>)."""
    from questionnaires.frameworks import shipped_frameworks
    from registry import intake
    from registry.templates import build_template

    store = _existing_store(db)
    profiles = intake.mapping_profiles(store)
    known = {**shipped_frameworks(), **{p.framework_id: p.title_ja for p in profiles.values()}}
    if framework not in known:
        raise click.UsageError(f"unknown framework {framework!r}; choose one of: {', '.join(known)}")
    if queries.supplier_status(store, clock.today()).filter(supplier_id=supplier_id).is_empty():
        raise MonosashiError(f"supplier {supplier_id} does not exist in the registry")
    output.write_bytes(
        build_template(framework, supplier_id, level=int(level), profiles=profiles, generated_on=clock.today())
    )
    click.echo(f"{output}: {known[framework]} for {supplier_id}")


@main.command()
@click.option("--profile", "which", flag_value="profile", help="Print the mapping-profile schema instead.")
@click.option(
    "--exchange", "which", flag_value="exchange", default=True, help="Print the JSON exchange schema (default)."
)
@db_option
def schema(which: str, db: Path | None) -> None:
    """Print the JSON Schema of the exchange format (or of mapping profiles); --db is not used."""
    from registry.schemas import exchange_schema, profile_schema

    _echo_json(profile_schema() if which == "profile" else exchange_schema())


@main.group(cls=_Group)
def profiles() -> None:
    """List and add mapping profiles for buyer checklists."""


@profiles.command("list")
@click.option("--json", "as_json", is_flag=True)
@db_option
def profiles_list(as_json: bool, db: Path | None) -> None:
    """Mapping profiles: shipped and added."""
    from registry import intake

    found = intake.mapping_profiles(_existing_store(db))
    rows = [
        {
            "name": p.name,
            "framework_id": p.framework_id,
            "title_ja": p.title_ja,
            "title_en": p.title_en,
            "fingerprint": list(p.fingerprint),
            "items": len(p.resolved_items()),
        }
        for p in found.values()
    ]
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        click.echo(f"{r['name']:32} {r['items']:4} items  {r['title_ja']}")


@profiles.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
def profiles_add(file: Path, db: Path | None) -> None:
    """Validate a mapping profile (YAML) and add it to the registry."""
    store = Store(resolve_db_path(db))
    records.initialise(store, _actor())
    profile = records.add_profile_text(store, file.read_text(encoding="utf-8"), str(file), _actor())
    click.echo(f"added profile {profile.name} ({len(profile.resolved_items())} items)")


@main.command()
@click.option("--status", type=click.Choice(["imported", "rejected"]), default=None)
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@db_option
def history(status: str | None, limit: int, as_json: bool, db: Path | None) -> None:
    """Files received: when, by whom, SHA-256, result and reasons."""
    frame = queries.import_history(_existing_store(db), limit=limit, status=status)
    rows = [
        {**r, "errors": json.loads(r["errors"] or "[]"), "warnings": json.loads(r["warnings"] or "[]")}
        for r in frame.to_dicts()
    ]
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        click.echo(
            f"{r['imported_at']:%Y-%m-%d %H:%M} {r['status']:9} {r['sha256'][:12]} {r['source_name']} ({r['imported_by']})"
        )


@main.command()
@click.option("--supplier", "supplier_id", default=None, help="One supplier (default: every supplier).")
@click.option("--level", type=click.Choice(["3", "4"]), default=None, help="Only the criteria of ★3 (or ★4).")
@as_of_option
@click.option("--json", "as_json", is_flag=True)
@db_option
def status(supplier_id: str | None, level: str | None, as_of: Any, as_json: bool, db: Path | None) -> None:
    """Suppliers read on the SCS yardstick: held and requested ★, readiness, status per criterion."""
    from registry import yardstick

    store = _existing_store(db)
    day = _as_of(as_of)
    overview = queries.supplier_status(store, day)
    if supplier_id is not None:
        overview = overview.filter(overview["supplier_id"] == supplier_id)
        if overview.is_empty():
            raise MonosashiError(f"supplier {supplier_id} does not exist in the registry")
    statuses = yardstick.derive(store, day, supplier_id)
    ready = {r["supplier_id"]: r for r in yardstick.readiness(statuses).to_dicts()}
    shown = statuses if level is None else statuses.filter(statuses["level"] <= int(level))
    criteria: dict[str, list[dict[str, Any]]] = {}
    for row in shown.select("supplier_id", "criterion_id", "level", "status", "kind", "stale", "conflict").to_dicts():
        criteria.setdefault(row.pop("supplier_id"), []).append(row)
    out = []
    for row in overview.select("supplier_id", "name", "held_level", "requested_level").to_dicts():
        r = ready.get(row["supplier_id"], {})
        out.append(
            {
                **row,
                "readiness": {"star3": r.get("star3"), "star4": r.get("star4")},
                "readiness_partial": {"star3": r.get("star3_partial"), "star4": r.get("star4_partial")},
                "conflicts": r.get("conflicts", 0),
                "stale": r.get("stale", 0),
                "criteria": criteria.get(row["supplier_id"], []),
            }
        )
    if as_json:
        _echo_json(out)
        return
    for r in out:
        star3 = r["readiness"]["star3"] or 0
        star4 = r["readiness"]["star4"] or 0
        click.echo(f"{r['supplier_id']:10} held {r['held_level']:15} ★3 {star3:5.0%}  ★4 {star4:5.0%}  {r['name']}")


@main.command()
@click.argument("supplier_id")
@click.argument("criterion_id")
@as_of_option
@click.option("--json", "as_json", is_flag=True)
@db_option
def explain(supplier_id: str, criterion_id: str, as_of: Any, as_json: bool, db: Path | None) -> None:
    """Why a supplier's criterion has its status: every piece of evidence, the deciding one first."""
    from registry import yardstick

    store = _existing_store(db)
    if criterion_id not in {c.id for c in yardstick.catalogue_in_force(store).criteria}:
        raise click.UsageError(f"{criterion_id} is not a criterion of the SCS catalogue in force")
    if queries.supplier_choices(store, supplier_id, limit=1_000).filter(supplier_id=supplier_id).is_empty():
        raise MonosashiError(f"supplier {supplier_id} does not exist in the registry")
    pieces = yardstick.explain(store, _as_of(as_of), supplier_id, criterion_id)
    if as_json:
        _echo_json(pieces)
        return
    if not pieces:
        click.echo(f"{supplier_id} {criterion_id}: unknown — no evidence")
        return
    for piece in pieces:
        marks = ("→ decides " if piece["decides"] else "           ") + ("[stale] " if not piece["fresh"] else "")
        marks += "[conflict] " if piece["conflict"] else ""
        click.echo(f"{marks}{piece['chain']}")


@main.command()
@click.option(
    "--within",
    "within_days",
    type=click.IntRange(0, 3650),
    default=90,
    show_default=True,
    help="Days ahead to look for expiries.",
)
@click.option(
    "--include-expired/--no-expired",
    default=True,
    show_default=True,
    help="Also list certificates already expired and not renewed.",
)
@as_of_option
@click.option("--json", "as_json", is_flag=True)
@db_option
def renewals(within_days: int, include_expired: bool, as_of: Any, as_json: bool, db: Path | None) -> None:
    """Certificates expiring soon, expired, and ★4 yearly self-assessments due or overdue."""
    from registry.renewals import renewals as find_renewals

    frame = find_renewals(_existing_store(db), _as_of(as_of), within_days, include_expired)
    rows = frame.select(
        "supplier_id",
        "name",
        "scheme",
        "level",
        "registration_no",
        "issued_on",
        "expires_on",
        "state",
        "days_left",
        "window",
        "check_due_on",
        "expiry_mismatch",
    ).to_dicts()
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        due = f" check due {r['check_due_on']}" if r["check_due_on"] else ""
        click.echo(
            f"{r['expires_on']}  {r['days_left']:>5}d  {r['state']:24} {r['scheme']:22} {r['supplier_id']} {r['name']}{due}"
        )
    click.echo(f"{len(rows)} certificates need attention")


@main.group(cls=_Group)
def certificates() -> None:
    """Import certificate lists (SCS ★, ISMS, Pマーク, SECURITY ACTION, SEMI E187, other)."""


@certificates.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Read and check only; write nothing.")
@click.option("--json", "as_json", is_flag=True)
@db_option
def certificates_import(paths: tuple[Path, ...], dry_run: bool, as_json: bool, db: Path | None) -> None:
    """Import certificate lists from CSV, Excel or JSON (one file per transaction)."""
    _run_import(
        paths,
        None,
        None,
        dry_run,
        False,
        20,
        as_json,
        db,
        only_formats=("certificate_list", "security_action", "json_exchange"),
        expected="certificate list",
    )


@main.command()
@as_of_option
@click.option(
    "--default-level",
    type=click.Choice(["3", "4"]),
    default="3",
    show_default=True,
    help="Required ★ below tier 1 when nothing is requested.",
)
@click.option("--json", "as_json", is_flag=True)
@db_option
def coverage(as_of: Any, default_level: str, as_json: bool, db: Path | None) -> None:
    """How far valid ★ coverage reaches per tier (covered, below required, questionnaire only, unknown)."""
    from registry import supply_chain

    per_supplier = supply_chain.supplier_coverage(_existing_store(db), _as_of(as_of), int(default_level))
    rows = supply_chain.coverage_by_tier(per_supplier).to_dicts()
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        tier = f"tier {r['tier']}" if r["tier"] else "not linked"
        click.echo(
            f"{tier:11} {r['suppliers']:7,} suppliers: {r['covered']:,} covered, {r['below_required']:,} below required, "
            f"{r['questionnaire_only']:,} questionnaire only, {r['unknown']:,} unknown"
        )


@main.group(cls=_Group)
def links() -> None:
    """Import supplier links (parent → child) and check the network."""


@links.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Read and check only; write nothing.")
@click.option(
    "--create-missing", is_flag=True, help="Add placeholder suppliers for unknown IDs instead of refusing the file."
)
@click.option("--json", "as_json", is_flag=True)
@db_option
def links_import(paths: tuple[Path, ...], dry_run: bool, create_missing: bool, as_json: bool, db: Path | None) -> None:
    """Import link lists (親取引先ID, 子取引先ID, 供給品目, 重要; parent 自社 is the buyer) and report cycles."""
    from registry import supply_chain

    try:
        _run_import(
            paths,
            None,
            None,
            dry_run,
            False,
            20,
            as_json,
            db,
            only_formats=("supplier_links", "json_exchange"),
            create_missing=create_missing,
            expected="link list",
        )
    finally:
        store = Store(resolve_db_path(db))
        if store.exists() and not as_json:
            back = supply_chain.back_links(store, supply_chain.supplier_coverage(store, clock.today()))
            for parent, child in back.select("parent_id", "child_id").iter_rows():
                click.echo(
                    f"cycle or back link: {parent} → {child} points to a supplier at the same tier or above", err=True
                )


# -- accounts and the supplier portal ------------------------------------------------------------------


@main.group(cls=_Group)
def users() -> None:
    """Accounts and their roles: admin, buyer, viewer, supplier (docs/security.md)."""


def _new_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if os.environ.get("MONOSASHI_NEW_PASSWORD"):
        return os.environ["MONOSASHI_NEW_PASSWORD"]
    return click.prompt("new password", hide_input=True, confirmation_prompt=True, err=True)


@users.command("add")
@click.argument("user_id")
@click.option("--role", required=True, type=click.Choice(["admin", "buyer", "viewer", "supplier"]))
@click.option("--supplier", "supplier_id", default=None, help="For role supplier: the supplier the account is.")
@click.option("--email", default=None, help="The e-mail the identity provider signs this person in with.")
@click.option("--name", "display_name", default=None, help="Display name (default: the user ID).")
@click.option("--oidc-only", is_flag=True, help="No password: signs in only through the identity provider.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@db_option
def users_add(
    user_id: str,
    role: str,
    supplier_id: str | None,
    email: str | None,
    display_name: str | None,
    oidc_only: bool,
    password_stdin: bool,
    db: Path | None,
) -> None:
    """Create an account (the first one may be created by whoever can open the registry file)."""
    from registry import access

    store = Store(resolve_db_path(db))
    records.initialise(store, _actor())
    password = None if oidc_only else _new_password(password_stdin)
    access.add_user(
        store,
        user_id,
        role,
        _actor(),
        password=password,
        display_name=display_name,
        email=email,
        supplier_id=supplier_id,
    )
    click.echo(f"account {user_id} ({role}) created")


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
@db_option
def users_list(as_json: bool, db: Path | None) -> None:
    """Every account with its role (never the password hashes)."""
    from registry import access

    rows = access.users(_existing_store(db)).to_dicts()
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        state = " (disabled)" if r["disabled_at"] else ""
        click.echo(f"{r['user_id']:20} {r['role']:8} {r['supplier_id'] or '':10} {r['email'] or ''}{state}")


@users.command("passwd")
@click.argument("user_id")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@db_option
def users_passwd(user_id: str, password_stdin: bool, db: Path | None) -> None:
    """Set an account's password."""
    from registry import access

    access.set_password(_existing_store(db), user_id, _new_password(password_stdin), _actor())
    click.echo(f"password of {user_id} changed")


@users.command("disable")
@click.argument("user_id")
@click.option("--enable", is_flag=True, help="Enable the account again.")
@db_option
def users_disable(user_id: str, enable: bool, db: Path | None) -> None:
    """Disable an account (it can no longer sign in), or enable it again."""
    from registry import access

    access.set_user_disabled(_existing_store(db), user_id, not enable, _actor())
    click.echo(f"account {user_id} {'enabled' if enable else 'disabled'}")


@main.group(cls=_Group)
def portal() -> None:
    """Supplier portal invitations: a link per supplier, with expiry and revocation."""


@portal.command("invite")
@click.argument("supplier_id")
@click.option("--days", type=click.IntRange(1, 365), default=30, show_default=True, help="How long the link is valid.")
@click.option("--base-url", default="http://localhost:8501", show_default=True, help="The app's address.")
@db_option
def portal_invite(supplier_id: str, days: int, base_url: str, db: Path | None) -> None:
    """Create an invitation link for a supplier; the link is printed once and never stored."""
    from registry import access

    made = access.create_invitation(_existing_store(db), supplier_id, _actor(), days)
    click.echo(f"{base_url.rstrip('/')}/?invite={made.token}")
    click.echo(f"valid until {made.expires_at:%Y-%m-%d %H:%M} UTC; send it to {supplier_id} only", err=True)


@portal.command("list")
@click.option("--supplier", "supplier_id", default=None)
@click.option("--json", "as_json", is_flag=True)
@db_option
def portal_list(supplier_id: str | None, as_json: bool, db: Path | None) -> None:
    """Invitations (named by the start of their hash), with expiry, revocation and use."""
    from registry import access

    rows = access.invitations(_existing_store(db), supplier_id).to_dicts()
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        state = "revoked" if r["revoked_at"] else f"until {r['expires_at']:%Y-%m-%d}"
        click.echo(f"{r['invitation']}  {r['supplier_id']:10} {state:18} used {r['uses']}×")


@portal.command("revoke")
@click.argument("invitation")
@db_option
def portal_revoke(invitation: str, db: Path | None) -> None:
    """Revoke an invitation (named by at least 8 characters of its hash, as `portal list` shows)."""
    from registry import access

    access.revoke_invitation(_existing_store(db), invitation, _actor())
    click.echo(f"invitation {invitation} revoked")


@main.group(cls=_Group)
def proposals() -> None:
    """Subcontractors suppliers declared in their templates, waiting for a buyer."""


@proposals.command("list")
@click.option("--supplier", "supplier_id", default=None, help="Only those this supplier declared.")
@click.option(
    "--state",
    type=click.Choice(["open", "confirmed", "merged", "rejected"]),
    default="open",
    show_default=True,
)
@click.option("--json", "as_json", is_flag=True)
@db_option
def proposals_list(supplier_id: str | None, state: str, as_json: bool, db: Path | None) -> None:
    """List declared subcontractors (open ones by default)."""
    found = queries.proposals(_existing_store(db), supplier_id, state)
    if as_json:
        _echo_json(found.to_dicts())
        return
    for r in found.iter_rows(named=True):
        match = f" → {r['child_id']}" if r["child_id"] else ""
        click.echo(f"{r['proposal_id']:>6} {r['proposed_by']:10} {r['state']:9} {r['name']}{match}")
    click.echo(f"{found.height} proposal{'' if found.height == 1 else 's'}", err=True)


@proposals.command("resolve")
@click.argument("proposal_ids", nargs=-1, required=True, type=int)
@click.option("--confirm", "decision", flag_value="confirm", help="Link to the matching supplier, or add it as new.")
@click.option("--merge-into", "into", default=None, help="Link to this known supplier instead.")
@click.option("--reject", "decision", flag_value="reject", help="Refuse the declaration.")
@db_option
def proposals_resolve(proposal_ids: tuple[int, ...], decision: str | None, into: str | None, db: Path | None) -> None:
    """Confirm, merge or reject declared subcontractors (all or none)."""
    if into:
        if decision:
            raise click.UsageError("choose one of --confirm, --merge-into and --reject")
        decision = "merge"
    if not decision:
        raise click.UsageError("choose one of --confirm, --merge-into and --reject")
    store = _existing_store(db)
    done = records.resolve_proposals(store, proposal_ids, decision, _actor(), into=into)  # type: ignore[arg-type]
    touched = queries.proposals(store).filter(pl.col("proposal_id").is_in(proposal_ids))["proposed_by"].unique()
    flags.refresh(store, clock.today(), touched.to_list(), actor=Actor.system("derive", on_behalf_of=_actor()))
    done_word = {"confirm": "confirmed", "merge": "merged", "reject": "rejected"}[decision]
    click.echo(f"{done} proposal{'' if done == 1 else 's'} {done_word}")


@main.group(cls=_Group)
def audit() -> None:
    """Check the audit log."""


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True)
@db_option
def audit_verify(as_json: bool, db: Path | None) -> None:
    """Check the audit log's hash chain; exit 1 naming the first broken line."""
    from registry import audit as audit_log

    verdict = audit_log.verify(_existing_store(db))
    if as_json:
        _echo_json(verdict.as_json())
    elif verdict.intact:
        click.echo(f"audit log intact: {verdict.lines} lines; head hash {verdict.head_hash}")
    if not verdict.intact:
        raise MonosashiError(f"the audit log is broken at line {verdict.first_broken}: {verdict.problem}")


# -- requests, flags and support ----------------------------------------------------------------------


@main.group(cls=_Group)
def requests() -> None:
    """★ level requests: import a list, list them with their state, print request letters."""


@requests.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Read and check only; write nothing.")
@click.option("--json", "as_json", is_flag=True)
@db_option
def requests_import(paths: tuple[Path, ...], dry_run: bool, as_json: bool, db: Path | None) -> None:
    """Import request lists (取引先ID or 法人番号 or 会社名, 要請レベル, 要請日, 期日; optional the three
    questions 機密情報を扱う / 停止で納入が遅れる / 社内システムに接続, 判断理由, 要請ID)."""
    _run_import(
        paths, None, None, dry_run, True, 20, as_json, db, only_formats=("level_requests",), expected="request list"
    )


@requests.command("list")
@as_of_option
@click.option(
    "--state", "states", multiple=True, type=click.Choice(["draft", "sent", "acknowledged", "achieved", "overdue"])
)
@click.option("--json", "as_json", is_flag=True)
@db_option
def requests_list(as_of: Any, states: tuple[str, ...], as_json: bool, db: Path | None) -> None:
    """Each supplier's current request with its state on the date (achieved and overdue follow from the data)."""
    from registry.requests import current_requests

    frame = current_requests(_existing_store(db), _as_of(as_of))
    if states:
        frame = frame.filter(frame["state"].is_in(list(states)))
    rows = frame.select(
        "request_id",
        "supplier_id",
        "name",
        "requested_level",
        "recommended_level",
        "requested_on",
        "due_on",
        "state",
        "held_level",
        "days_to_due",
    ).to_dicts()
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        click.echo(
            f"{r['due_on']}  ★{r['requested_level']}  {r['state']:12} held {r['held_level']:15} {r['supplier_id']} {r['name']}"
        )
    click.echo(f"{len(rows)} requests")


@requests.command("letter")
@click.argument("supplier_ids", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="An .xlsx file for one supplier, a .zip for several.",
)
@click.option(
    "--buyer", "buyer_name", default=None, help="Sender printed on the letter (default: the registry's buyer name)."
)
@click.option("--contact", default=None, help="Contact line printed under the sender.")
@as_of_option
@db_option
def requests_letter(
    supplier_ids: tuple[str, ...],
    output: Path,
    buyer_name: str | None,
    contact: str | None,
    as_of: Any,
    db: Path | None,
) -> None:
    """Write the request letter (Japanese, Excel) of each supplier's current request."""
    from registry import documents

    store = _existing_store(db)
    buyer = buyer_name or store.setting("buyer.name") or "発注者"
    line = contact or store.setting("buyer.contact") or ""
    if len(supplier_ids) == 1 and output.suffix.lower() != ".zip":
        data = documents.request_letter_xlsx(store, _as_of(as_of), supplier_ids[0], buyer_name=buyer, contact=line)
    else:
        data = documents.request_letters_zip(store, _as_of(as_of), list(supplier_ids), buyer_name=buyer, contact=line)
    output.write_bytes(data)
    click.echo(f"wrote {output} ({len(data):,} bytes)")


@main.group(cls=_Group, invoke_without_command=True)
@as_of_option
@click.option(
    "--state", "states", multiple=True, type=click.Choice(list(flags.STATES)), help="Only these states (repeatable)."
)
@click.option(
    "--kind", "kinds", multiple=True, type=click.Choice(list(flags.KINDS)), help="Only these kinds (repeatable)."
)
@click.option("--severity", "severities", multiple=True, type=click.Choice(list(flags.SEVERITIES)))
@click.option("--supplier", "supplier_id", default=None, help="Only this supplier's flags.")
@click.option("--no-derive", is_flag=True, help="List the stored flags without deriving them again first.")
@click.option("--json", "as_json", is_flag=True)
@db_option
@click.pass_context
def flags_command(
    ctx: click.Context,
    as_of: Any,
    states: tuple[str, ...],
    kinds: tuple[str, ...],
    severities: tuple[str, ...],
    supplier_id: str | None,
    no_derive: bool,
    as_json: bool,
    db: Path | None,
) -> None:
    """Derive the flags as of a date (default today), keep their workflow, and list them."""
    if ctx.invoked_subcommand is not None:
        return
    store = _existing_store(db)
    if not no_derive:
        result = flags.refresh(store, _as_of(as_of), actor=_actor())
        click.echo(
            f"flags as of {result.as_of}: {result.raised} raised, {result.still_holding} still hold "
            f"({result.reopened} reopened), {result.closed} closed",
            err=True,
        )
    frame = flags.flags(store, states=states, kinds=kinds, severities=severities, supplier_id=supplier_id)
    rows = frame.select(
        "flag_id",
        "supplier_id",
        "name",
        "kind",
        "rule_id",
        "subject",
        "severity",
        "reason",
        "reason_en",
        "state",
        "first_held_on",
        "last_held_on",
        "state_changed_by",
        "note",
    ).to_dicts()
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        click.echo(
            f"{r['flag_id']:>6} {r['severity']:8} {r['state']:12} {r['supplier_id']} {r['kind']:14} {r['reason']}"
        )
    click.echo(f"{len(rows)} flags")


flags_command.name = "flags"
main.add_command(flags_command, "flags")


@flags_command.command("set")
@click.argument("flag_ids", nargs=-1, required=True, type=int)
@click.option("--state", required=True, type=click.Choice(list(flags.STATES)))
@click.option("--note", default=None, help="Why (required to dismiss).")
@db_option
def flags_set(flag_ids: tuple[int, ...], state: str, note: str | None, db: Path | None) -> None:
    """Move flags through the workflow: acknowledged, resolved, dismissed (with --note), or open again."""
    changed = flags.set_flag_state(_existing_store(db), list(flag_ids), state, _actor(), note)
    click.echo(f"{changed} flags marked {state}")


@main.command("gap-report")
@click.argument("supplier_ids", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="An .xlsx file for one supplier, a .zip for several.",
)
@click.option(
    "--level", type=click.Choice(["3", "4"]), default=None, help="Target ★ (default: the supplier's request, else ★3)."
)
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@as_of_option
@db_option
def gap_report(
    supplier_ids: tuple[str, ...], output: Path, level: str | None, lang: str, as_of: Any, db: Path | None
) -> None:
    """Write the gap report (Excel) of a supplier: unmet and unknown criteria, evidence held, next steps, support menu."""
    from registry import documents, support

    store = _existing_store(db)
    if len(supplier_ids) == 1 and output.suffix.lower() != ".zip":
        report = support.gap(store, _as_of(as_of), supplier_ids[0], int(level) if level else None, lang)
        data = documents.gap_report_xlsx(report, lang)
        click.echo(
            f"{supplier_ids[0]}: ★{report.target_level}, readiness {report.readiness:.0%}, "
            f"{report.gaps.height} criteria to close, menu {report.menu}",
            err=True,
        )
    else:
        data = documents.gap_reports_zip(store, _as_of(as_of), list(supplier_ids), lang)
    output.write_bytes(data)
    click.echo(f"wrote {output} ({len(data):,} bytes)")


from registry import cli_maintenance  # noqa: E402, F401  (registers backup and restore)
