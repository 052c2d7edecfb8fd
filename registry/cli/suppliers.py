"""Suppliers: add and list them; settle the subcontractors they declared."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import polars as pl

from registry import clock
from registry.cli.app import (
    _actor,
    _as_of,
    _echo_json,
    _existing_store,
    _Group,
    as_of_option,
    counted,
    db_option,
)
from registry.cli.shapes import ProposalRow, SupplierRow
from registry.config import resolve_db_path
from registry.domain.actor import Actor
from registry.domain.models import Supplier
from registry.services import flags
from registry.store import Store, content, suppliers

__all__ = [
    "proposals",
    "proposals_list",
    "proposals_resolve",
    "suppliers_add",
    "suppliers_group",
    "suppliers_list",
]


@click.group("suppliers", cls=_Group)
def suppliers_group() -> None:
    """Add and list suppliers."""


@suppliers_group.command("add")
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
    content.initialise(store, _actor())
    suppliers.add_supplier(store, supplier, _actor())
    click.echo(f"added {supplier.supplier_id} {supplier.name}")


@suppliers_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@as_of_option
@db_option
def suppliers_list(as_json: bool, as_of: Any, db: Path | None) -> None:
    """List suppliers with tier, held ★ and requested ★."""
    frame = suppliers.supplier_status(_existing_store(db), _as_of(as_of))
    rows = frame.select(SupplierRow.columns()).to_dicts()
    if as_json:
        _echo_json(rows, SupplierRow)
        return
    for r in rows:
        tier = f"T{r['tier']}" if r["tier"] else "--"
        click.echo(f"{r['supplier_id']:10} {tier:3} {r['held_level']:15} {r['name']}")
    click.echo(counted(len(rows), "supplier"))


@click.group(cls=_Group)
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
    found = suppliers.proposals(_existing_store(db), supplier_id, state)
    if as_json:
        _echo_json(found.to_dicts(), ProposalRow)
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
    done = suppliers.resolve_proposals(store, proposal_ids, decision, _actor(), into=into)  # type: ignore[arg-type]
    touched = suppliers.proposals(store).filter(pl.col("proposal_id").is_in(proposal_ids))["proposed_by"].unique()
    flags.refresh(store, clock.today(), touched.to_list(), actor=Actor.system("derive", on_behalf_of=_actor()))
    done_word = {"confirm": "confirmed", "merge": "merged", "reject": "rejected"}[decision]
    click.echo(f"{done} proposal{'' if done == 1 else 's'} {done_word}")
