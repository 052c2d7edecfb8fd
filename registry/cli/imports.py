"""Intake: import files, the import history, templates, mapping profiles and the list imports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import polars as pl

from questionnaires.frameworks import shipped_frameworks
from registry import clock
from registry.cli.app import (
    _actor,
    _echo_json,
    _existing_store,
    _Group,
    _run_import,
    all_or_nothing_option,
    cli_lang,
    db_option,
    refused_dir_option,
)
from registry.cli.shapes import FileHistoryRow, PendingCertificateRow, ProfileRow
from registry.config import resolve_db_path
from registry.domain.actor import Actor
from registry.errors import MonosashiError
from registry.services import flags, intake, supply_chain
from registry.services import profiles as profile_service
from registry.services.templates import build_template
from registry.store import Store, content, submissions, suppliers
from registry.store import certificates as stored

__all__ = [
    "certificates",
    "certificates_confirm",
    "certificates_import",
    "certificates_pending",
    "certificates_yearly_check",
    "history",
    "import_",
    "links",
    "links_import",
    "profiles",
    "profiles_add",
    "profiles_list",
    "template",
]


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--supplier", "supplier_id", default=None, help="Supplier the files are from (when a file does not say).")
@click.option("--profile", default=None, help="Mapping profile to read a buyer checklist with (default: recognised).")
@click.option("--dry-run", is_flag=True, help="Read and check only; write nothing.")
@click.option(
    "--all-or-nothing",
    is_flag=True,
    help="Write the whole batch in one transaction, or nothing if any file or list row is refused "
    "(default: import what is valid; a list's bad rows are refused alone).",
)
@click.option(
    "--again",
    is_flag=True,
    help="Import files even where the same bytes were imported before (e.g. one answer file for two "
    "suppliers, with --supplier).",
)
@refused_dir_option
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
    again: bool,
    refused_dir: Path | None,
    as_json: bool,
    db: Path | None,
) -> None:
    """Import files, folders or zips of supplier answers, lists and certificates."""
    _run_import(
        paths,
        supplier_id,
        profile,
        dry_run,
        all_or_nothing,
        max_size_mb,
        as_json,
        db,
        again=again,
        refused_dir=refused_dir,
    )


@click.command()
@click.argument("framework")
@click.option("--supplier", "supplier_id", required=True, help="Supplier the workbook is for.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option(
    "--level", type=click.Choice(["3", "4"]), default="4", show_default=True, help="For SCS: ★3 or ★4 criteria."
)
@db_option
def template(framework: str, supplier_id: str, output: Path, level: str, db: Path | None) -> None:
    """Write a blank supplier workbook (FRAMEWORK: scs, ipa_5min or profile.<name>)."""

    store = _existing_store(db)
    profiles = profile_service.mapping_profiles(store)
    known = {**shipped_frameworks(), **{p.framework_id: p.title_ja for p in profiles.values()}}
    if framework not in known:
        raise click.UsageError(f"unknown framework {framework!r}; choose one of: {', '.join(known)}")
    if suppliers.supplier_status(store, clock.today()).filter(supplier_id=supplier_id).is_empty():
        raise MonosashiError("intake.supplier_unknown", supplier_id=supplier_id)
    output.write_bytes(
        build_template(framework, supplier_id, level=int(level), profiles=profiles, generated_on=clock.today())
    )
    click.echo(f"{output}: {known[framework]} for {supplier_id}")


@click.group(cls=_Group)
def profiles() -> None:
    """List and add mapping profiles for buyer checklists."""


@profiles.command("list")
@click.option("--json", "as_json", is_flag=True)
@db_option
def profiles_list(as_json: bool, db: Path | None) -> None:
    """Mapping profiles: shipped and added."""

    found = profile_service.mapping_profiles(_existing_store(db))
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
        _echo_json(rows, ProfileRow)
        return
    for r in rows:
        click.echo(f"{r['name']:32} {r['items']:4} items  {r['title_ja']}")


@profiles.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
def profiles_add(file: Path, db: Path | None) -> None:
    """Validate a mapping profile (YAML) and add it to the registry."""
    store = Store(resolve_db_path(db))
    content.initialise(store, _actor())
    profile = profile_service.add_profile_text(store, file.read_text(encoding="utf-8"), str(file), _actor())
    click.echo(f"added profile {profile.name} ({len(profile.resolved_items())} items)")


@click.command()
@click.option("--status", type=click.Choice(["imported", "rejected"]), default=None)
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@db_option
def history(status: str | None, limit: int, as_json: bool, db: Path | None) -> None:
    """Files received: when, by whom, SHA-256, result and reasons."""
    frame = submissions.import_history(_existing_store(db), limit=limit, status=status)
    lang = cli_lang()
    rows = [
        {
            **r,
            "errors": intake.problems_as_json(r["errors"], lang),
            "warnings": intake.problems_as_json(r["warnings"], lang),
        }
        for r in frame.to_dicts()
    ]
    if as_json:
        _echo_json(rows, FileHistoryRow)
        return
    for r in rows:
        click.echo(
            f"{r['imported_at']:%Y-%m-%d %H:%M} {r['status']:9} {r['sha256'][:12]} {r['source_name']} ({r['imported_by']})"
        )


@click.group(cls=_Group)
def certificates() -> None:
    """Import certificate lists (SCS ★, ISMS, Pマーク, SECURITY ACTION, SEMI E187, other); confirm
    the certificates suppliers entered."""


@certificates.command("pending")
@click.option("--supplier", "supplier_id", default=None, help="Only this supplier's.")
@click.option("--json", "as_json", is_flag=True)
@db_option
def certificates_pending(supplier_id: str | None, as_json: bool, db: Path | None) -> None:
    """Certificates suppliers entered through the portal that no buyer has confirmed (they count for nothing yet)."""

    waiting = stored.unconfirmed(_existing_store(db), supplier_id)
    if as_json:
        _echo_json(waiting.to_dicts(), PendingCertificateRow)
        return
    for r in waiting.iter_rows(named=True):
        click.echo(f"{r['certificate_id']:14} {r['supplier_id']:10} {r['scheme']:16} {r['registration_no'] or '-'}")
    click.echo(f"{waiting.height} awaiting confirmation", err=True)


@certificates.command("confirm")
@click.argument("certificate_ids", nargs=-1, required=True)
@click.option("--reject", is_flag=True, help="Reject them instead (they are removed with their files).")
@db_option
def certificates_confirm(certificate_ids: tuple[str, ...], reject: bool, db: Path | None) -> None:
    """Confirm certificates suppliers entered (they count from now on), or reject them; all or none."""

    store = _existing_store(db)
    pending = stored.unconfirmed(store)
    owners = pending.filter(pl.col("certificate_id").is_in(list(certificate_ids)))["supplier_id"].unique().to_list()
    done = stored.confirm(store, list(certificate_ids), not reject, _actor())
    flags.refresh(store, clock.today(), owners, actor=Actor.system("derive", on_behalf_of=_actor()))
    click.echo(f"{done} certificate{'' if done == 1 else 's'} {'rejected' if reject else 'confirmed'}")


@certificates.command("yearly-check")
@click.argument("certificate_id")
@click.option(
    "--on",
    "submitted_on",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The date the ★4 yearly self-assessment was submitted to the evaluation body.",
)
@click.option(
    "--receipt",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The evaluation body's receipt (PDF or image), kept with the record.",
)
@db_option
def certificates_yearly_check(certificate_id: str, submitted_on: Any, receipt: Path | None, db: Path | None) -> None:
    """Record that a ★4's yearly self-assessment was submitted to the evaluation body."""

    store = _existing_store(db)
    attached = (receipt.name, receipt.read_bytes(), "application/octet-stream") if receipt else None
    stored.record_yearly_check(store, certificate_id, submitted_on.date(), attached, via="hand", actor=_actor())
    owner = stored.certificate_owner(store, certificate_id)
    flags.refresh(store, clock.today(), [owner], actor=Actor.system("derive", on_behalf_of=_actor()))
    click.echo(f"{certificate_id}: yearly self-assessment submitted on {submitted_on.date()} recorded")


@certificates.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Read and check only; write nothing.")
@all_or_nothing_option
@refused_dir_option
@click.option("--json", "as_json", is_flag=True)
@db_option
def certificates_import(
    paths: tuple[Path, ...],
    dry_run: bool,
    all_or_nothing: bool,
    refused_dir: Path | None,
    as_json: bool,
    db: Path | None,
) -> None:
    """Import certificate lists from CSV, Excel or JSON (a file refused never stops another; a bad row is refused alone)."""
    _run_import(
        paths,
        None,
        None,
        dry_run,
        all_or_nothing,
        20,
        as_json,
        db,
        only_formats=("certificate_list", "security_action", "json_exchange"),
        refused_dir=refused_dir,
    )


@click.group(cls=_Group)
def links() -> None:
    """Import supplier links (parent → child) and check the network."""


@links.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Read and check only; write nothing.")
@click.option(
    "--create-missing", is_flag=True, help="Add placeholder suppliers for unknown IDs instead of refusing the row."
)
@all_or_nothing_option
@refused_dir_option
@click.option("--json", "as_json", is_flag=True)
@db_option
def links_import(
    paths: tuple[Path, ...],
    dry_run: bool,
    create_missing: bool,
    all_or_nothing: bool,
    refused_dir: Path | None,
    as_json: bool,
    db: Path | None,
) -> None:
    """Import link lists (親取引先ID, 子取引先ID, 供給品目, 重要; parent 自社 is the buyer) and report cycles."""

    try:
        _run_import(
            paths,
            None,
            None,
            dry_run,
            all_or_nothing,
            20,
            as_json,
            db,
            only_formats=("supplier_links", "json_exchange"),
            create_missing=create_missing,
            refused_dir=refused_dir,
        )
    finally:
        store = Store(resolve_db_path(db))
        if store.exists() and not as_json:
            back = supply_chain.back_links(store, supply_chain.supplier_coverage(store, clock.today()))
            for parent, child in back.select("parent_id", "child_id").iter_rows():
                click.echo(
                    f"cycle or back link: {parent} → {child} points to a supplier at the same tier or above", err=True
                )
