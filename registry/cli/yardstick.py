"""Readings: status and explain on the yardstick, renewals and supply-chain coverage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from registry.cli.app import (
    _as_of,
    _echo_json,
    _existing_store,
    as_of_option,
    cli_lang,
    counted,
    db_option,
)
from registry.cli.shapes import CoverageRow, EvidencePiece, RenewalRow, StatusRow
from registry.errors import NotFoundError
from registry.services import supply_chain, yardstick
from registry.services.renewals import certificate_states
from registry.services.renewals import renewals as find_renewals
from registry.store import submissions, suppliers

__all__ = ["coverage", "explain", "renewals", "status"]


@click.command()
@click.option("--supplier", "supplier_id", default=None, help="One supplier (default: every supplier).")
@click.option("--level", type=click.Choice(["3", "4"]), default=None, help="Only the criteria of ★3 (or ★4).")
@as_of_option
@click.option("--json", "as_json", is_flag=True)
@db_option
def status(supplier_id: str | None, level: str | None, as_of: Any, as_json: bool, db: Path | None) -> None:
    """Suppliers read on the SCS yardstick: held and requested ★, readiness, status per criterion."""

    store = _existing_store(db)
    day = _as_of(as_of)
    overview = suppliers.supplier_status(store, day)
    if supplier_id is not None:
        overview = overview.filter(overview["supplier_id"] == supplier_id)
        if overview.is_empty():
            raise NotFoundError("supplier.not_found", supplier_id=supplier_id)
    statuses = yardstick.derive(store, day, supplier_id)
    ready = {r["supplier_id"]: r for r in yardstick.readiness(statuses, yardstick.catalogue_in_force(store)).to_dicts()}
    checks = {
        r["supplier_id"]: {"score": r["score"], "band": r["band"], "answered_on": r["submitted_on"]}
        for r in submissions.self_check_results(store, day, overview["supplier_id"].to_list()).to_dicts()
    }
    shown = statuses if level is None else statuses.filter(statuses["level"] <= int(level))
    criteria: dict[str, list[dict[str, Any]]] = {}
    for row in shown.select(
        "supplier_id", "criterion_id", "level", "status", "kind", "stale", "conflict", "declared_status"
    ).to_dicts():
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
                "declared_against": r.get("declared_against", 0),
                "self_check": checks.get(row["supplier_id"]),
                "criteria": criteria.get(row["supplier_id"], []),
            }
        )
    if as_json:
        _echo_json(out, StatusRow)
        return
    for r in out:
        star3 = r["readiness"]["star3"] or 0
        star4 = r["readiness"]["star4"] or 0
        click.echo(f"{r['supplier_id']:10} held {r['held_level']:15} ★3 {star3:5.0%}  ★4 {star4:5.0%}  {r['name']}")


@click.command()
@click.argument("supplier_id")
@click.argument("criterion_id")
@as_of_option
@click.option("--json", "as_json", is_flag=True)
@db_option
def explain(supplier_id: str, criterion_id: str, as_of: Any, as_json: bool, db: Path | None) -> None:
    """Why a supplier's criterion has its status: every piece of evidence, the deciding one first."""

    store = _existing_store(db)
    if criterion_id not in {c.id for c in yardstick.catalogue_in_force(store).criteria}:
        raise click.UsageError(f"{criterion_id} is not a criterion of the SCS catalogue in force")
    if suppliers.supplier_choices(store, supplier_id, limit=1_000).filter(supplier_id=supplier_id).is_empty():
        raise NotFoundError("supplier.not_found", supplier_id=supplier_id)
    pieces = yardstick.explain(store, _as_of(as_of), supplier_id, criterion_id, cli_lang())
    if as_json:
        _echo_json(pieces, EvidencePiece)
        return
    if not pieces:
        click.echo(f"{supplier_id} {criterion_id}: unknown — no evidence")
        return
    for piece in pieces:
        marks = ("→ decides " if piece["decides"] else "           ") + ("[stale] " if not piece["fresh"] else "")
        marks += "[conflict] " if piece["conflict"] else ""
        click.echo(f"{marks}{piece['chain']}")


@click.command()
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

    store, day = _existing_store(db), _as_of(as_of)
    frame = find_renewals(store, day, within_days, include_expired)
    rows = frame.select(RenewalRow.columns()).to_dicts()
    if not rows:  # say why the list is empty (on stderr: --json output stays a list)
        recorded = certificate_states(store, day).height
        click.echo(
            f"no certificate needs attention within {within_days} days as of {day} "
            f"({counted(recorded, 'certificate')} recorded; --within DAYS looks further ahead)",
            err=True,
        )
    if as_json:
        _echo_json(rows, RenewalRow)
        return
    for r in rows:
        due = f" check due {r['check_due_on']}" if r["check_due_on"] else ""
        click.echo(
            f"{r['expires_on']}  {r['days_left']:>5}d  {r['state']:24} {r['scheme']:22} {r['supplier_id']} {r['name']}{due}"
        )
    click.echo(
        f"{counted(len(rows), 'certificate')} need attention" if len(rows) != 1 else "1 certificate needs attention"
    )


@click.command()
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

    per_supplier = supply_chain.supplier_coverage(_existing_store(db), _as_of(as_of), int(default_level))
    rows = supply_chain.coverage_by_tier(per_supplier).to_dicts()
    if as_json:
        _echo_json(rows, CoverageRow)
        return
    for r in rows:
        tier = f"tier {r['tier']}" if r["tier"] else "not linked"
        click.echo(
            f"{tier:11} {r['suppliers']:7,} suppliers: {r['covered']:,} covered, {r['below_required']:,} below required, "
            f"{r['other_evidence']:,} other evidence (ISMS), {r['questionnaire_only']:,} questionnaire only, {r['unknown']:,} unknown"
        )
