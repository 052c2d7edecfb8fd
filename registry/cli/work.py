"""The buyer's work: ★ requests and letters, flags and their workflow, gap reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from registry.cli.app import (
    _actor,
    _as_of,
    _echo_json,
    _existing_store,
    _Group,
    _run_import,
    all_or_nothing_option,
    as_of_option,
    counted,
    db_option,
    refused_dir_option,
)
from registry.cli.shapes import FlagRow, RequestRow
from registry.domain.actor import Actor
from registry.services import documents, flags, support
from registry.services.requests import current_requests

__all__ = [
    "flags_command",
    "flags_set",
    "gap_report",
    "requests",
    "requests_import",
    "requests_letter",
    "requests_list",
]


@click.group(cls=_Group)
def requests() -> None:
    """★ level requests: import a list, list them with their state, print request letters."""


@requests.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Read and check only; write nothing.")
@all_or_nothing_option
@refused_dir_option
@click.option("--json", "as_json", is_flag=True)
@db_option
def requests_import(
    paths: tuple[Path, ...],
    dry_run: bool,
    all_or_nothing: bool,
    refused_dir: Path | None,
    as_json: bool,
    db: Path | None,
) -> None:
    """Import request lists (取引先ID or 法人番号 or 会社名, 要請レベル, 要請日, 期日; optional the three
    questions 機密情報を扱う / 停止で納入が遅れる / 社内システムに接続, 判断理由, 要請ID); a bad row is refused alone."""
    _run_import(
        paths,
        None,
        None,
        dry_run,
        all_or_nothing,
        20,
        as_json,
        db,
        only_formats=("level_requests",),
        refused_dir=refused_dir,
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

    frame = current_requests(_existing_store(db), _as_of(as_of))
    if states:
        frame = frame.filter(frame["state"].is_in(list(states)))
    rows = frame.select(RequestRow.columns()).to_dicts()
    if as_json:
        _echo_json(rows, RequestRow)
        return
    for r in rows:
        click.echo(
            f"{r['due_on']}  ★{r['requested_level']}  {r['state']:12} held {r['held_level']:15} {r['supplier_id']} {r['name']}"
        )
    click.echo(counted(len(rows), "request"))


@requests.command("letter")
@click.argument("supplier_ids", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="An .xlsx file for one supplier, a .zip for several (default: gap-SUPPLIER-DATE.xlsx or gap-reports-DATE.zip here).",
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

    store = _existing_store(db)
    buyer = buyer_name or store.setting("buyer.name") or "発注者"
    line = contact or store.setting("buyer.contact") or ""
    if len(supplier_ids) == 1 and output.suffix.lower() != ".zip":
        data = documents.request_letter_xlsx(store, _as_of(as_of), supplier_ids[0], buyer_name=buyer, contact=line)
    else:
        data = documents.request_letters_zip(store, _as_of(as_of), list(supplier_ids), buyer_name=buyer, contact=line)
    output.write_bytes(data)
    click.echo(f"wrote {output} ({len(data):,} bytes)")


@click.group("flags", cls=_Group, invoke_without_command=True)
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
        # the derivation is the system's work, whoever asks to see the flags (a viewer too)
        result = flags.refresh(store, _as_of(as_of), actor=Actor.system("derive", on_behalf_of=_actor()))
        click.echo(
            f"flags as of {result.as_of}: {result.raised} raised, {result.still_holding} still hold "
            f"({result.reopened} reopened), {result.closed} closed",
            err=True,
        )
    frame = flags.flags(store, states=states, kinds=kinds, severities=severities, supplier_id=supplier_id)
    rows = frame.select(FlagRow.columns()).to_dicts()
    if as_json:
        _echo_json(rows, FlagRow)
        return
    for r in rows:
        click.echo(
            f"{r['flag_id']:>6} {r['severity']:8} {r['state']:12} {r['supplier_id']} {r['kind']:14} {r['reason']}"
        )
    click.echo(counted(len(rows), "flag"))


@flags_command.command("set")
@click.argument("flag_ids", nargs=-1, required=True, type=int)
@click.option("--state", required=True, type=click.Choice(list(flags.STATES)))
@click.option("--note", default=None, help="Why (required to dismiss).")
@db_option
def flags_set(flag_ids: tuple[int, ...], state: str, note: str | None, db: Path | None) -> None:
    """Move flags through the workflow: acknowledged, resolved, dismissed (with --note), or open again."""
    changed = flags.set_flag_state(_existing_store(db), list(flag_ids), state, _actor(), note)
    click.echo(f"{counted(changed, 'flag')} marked {state}")


@click.command("gap-report")
@click.argument("supplier_ids", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="An .xlsx file for one supplier, a .zip for several (default: gap-SUPPLIER-DATE.xlsx or gap-reports-DATE.zip here).",
)
@click.option(
    "--level", type=click.Choice(["3", "4"]), default=None, help="Target ★ (default: the supplier's request, else ★3)."
)
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@as_of_option
@db_option
def gap_report(
    supplier_ids: tuple[str, ...], output: Path | None, level: str | None, lang: str, as_of: Any, db: Path | None
) -> None:
    """Write the gap report (Excel) of a supplier: unmet and unknown criteria, evidence held, next steps, support menu."""

    store = _existing_store(db)
    day = _as_of(as_of)
    if output is None:
        output = Path(f"gap-{supplier_ids[0]}-{day}.xlsx" if len(supplier_ids) == 1 else f"gap-reports-{day}.zip")
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
