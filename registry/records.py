"""Writes of the store layer: suppliers, the demo registry and IPA's official texts.

Each public function is one transaction with its audit entry; a failure leaves the database as
it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from importers import ipa_catalogue
from importers.ipa_catalogue import OfficialTextBatch
from questionnaires.catalogue import CURRENT_VERSION, available_versions, load_catalogue
from registry.errors import MonosashiError
from registry.models import Supplier, supplier_name_key
from registry.store import Store

__all__ = [
    "DuplicateSupplierError",
    "RegistryData",
    "RegistryNotEmptyError",
    "add_supplier",
    "ensure_ready",
    "import_official_texts",
    "initialise",
    "load_official_texts",
    "replace_demo",
    "replace_registry",
]

# Tables holding registry content (not schema bookkeeping, settings or the audit log).
_CONTENT_TABLES = ("answer", "submission", "flag", "level_request", "certificate", "supplier_link", "supplier")


class DuplicateSupplierError(MonosashiError):
    """A supplier with the same ID or corporate number is already registered."""


def initialise(store: Store, actor: str = "system") -> list[int]:
    """Create or migrate the database and record the catalogue version in force."""
    applied = store.migrate(actor)
    if store.setting("catalogue_version") is None:
        with store.transaction(actor) as tx:
            store.set_setting(tx, "catalogue_version", CURRENT_VERSION)
            tx.audit("set_setting", entity="setting", entity_id="catalogue_version", detail={"value": CURRENT_VERSION})
    return applied


def ensure_ready(store: Store, demo_suppliers: int, as_of: date, actor: str = "app") -> bool:
    """Migrate, and on the very first start fill an empty registry with the demo.

    Returns True when the demo was loaded. Runs once per database: a registry emptied later
    stays empty.
    """
    initialise(store, actor)
    if demo_suppliers <= 0 or store.setting("first_start_done") is not None:
        return False
    loaded = False
    if not store.scalar("SELECT count(*) FROM supplier"):
        from registry.demo import generate_demo  # the generator imports this module

        replace_demo(store, generate_demo(demo_suppliers, seed=1, as_of=as_of), actor, seed=1)
        loaded = True
    with store.transaction(actor) as tx:
        store.set_setting(tx, "first_start_done", as_of.isoformat())
    return loaded


def _supplier_frame(suppliers: Sequence[Supplier]) -> pl.DataFrame:
    return pl.DataFrame(
        [{**s.model_dump(), "name_key": supplier_name_key(s.name)} for s in suppliers],
        schema={
            "supplier_id": pl.String,
            "name": pl.String,
            "corporate_number": pl.String,
            "industry": pl.String,
            "employees": pl.Int32,
            "prefecture": pl.String,
            "has_security_staff": pl.Boolean,
            "name_key": pl.String,
        },
    )


def add_supplier(store: Store, supplier: Supplier, actor: str = "system") -> None:
    """Register one supplier; refuses a duplicate ID or corporate number with a clear message."""
    with store.transaction(actor) as tx:
        clash = tx.execute(
            "SELECT supplier_id, name, corporate_number FROM supplier WHERE supplier_id = ? OR corporate_number = ?",
            [supplier.supplier_id, supplier.corporate_number],
        )
        for supplier_id, name, corporate_number in clash:
            if supplier_id == supplier.supplier_id:
                raise DuplicateSupplierError(f"supplier ID {supplier_id} is already registered ({name})")
            raise DuplicateSupplierError(
                f"corporate number {corporate_number} is already registered for {supplier_id} ({name})"
            )
        tx.insert_frame("supplier", _supplier_frame([supplier]))
        store.set_setting(tx, "content_origin", "user")
        tx.audit("add_supplier", entity="supplier", entity_id=supplier.supplier_id, detail=supplier.model_dump())


@dataclass(frozen=True)
class RegistryData:
    """Whole-registry content as frames whose columns are the tables' columns."""

    suppliers: pl.DataFrame
    links: pl.DataFrame
    certificates: pl.DataFrame
    requests: pl.DataFrame


class RegistryNotEmptyError(MonosashiError):
    """The demo would overwrite suppliers someone registered by hand or imported."""


def replace_demo(store: Store, data: RegistryData, actor: str, *, seed: int, force: bool = False) -> None:
    """Replace the content with a demo registry; refuses to overwrite real data unless forced."""
    origin = store.setting("content_origin")
    suppliers = store.scalar("SELECT count(*) FROM supplier")
    if suppliers and origin != "demo" and not force:
        raise RegistryNotEmptyError(
            f"{store.path} holds {suppliers} suppliers that were not made by the demo; "
            "use another --db for the demo, or --force to replace them (the audit log keeps a record)"
        )
    replace_registry(store, data, actor, reason=f"demo seed {seed}", origin="demo")


def replace_registry(store: Store, data: RegistryData, actor: str, reason: str, origin: str = "user") -> None:
    """Replace every supplier, link, certificate and request in one transaction (demo regeneration)."""
    with store.transaction(actor) as tx:
        for table in _CONTENT_TABLES:
            tx.execute(f"DELETE FROM {table}")
        store.set_setting(tx, "content_origin", origin)
        tx.insert_frame("supplier", data.suppliers)
        tx.insert_frame("supplier_link", data.links)
        tx.insert_frame("certificate", data.certificates)
        tx.insert_frame("level_request", data.requests)
        tx.audit(
            "replace_registry",
            detail={
                "reason": reason,
                "suppliers": data.suppliers.height,
                "links": data.links.height,
                "certificates": data.certificates.height,
                "requests": data.requests.height,
            },
        )


def import_official_texts(store: Store, source_name: str, data: bytes, actor: str) -> OfficialTextBatch:
    """Parse IPA's official Excel and store its texts; raises SourceFileError, writing nothing."""
    batch = ipa_catalogue.parse(source_name, data, [load_catalogue(v) for v in available_versions()])
    load_official_texts(store, batch, actor)
    return batch


def load_official_texts(store: Store, batch: OfficialTextBatch, actor: str = "system") -> int:
    """Store IPA's official requirement and criterion sentences; replaces an earlier import."""
    rows = [
        {
            "catalogue_version": batch.catalogue_version,
            "item_id": item_id,
            "item_kind": kind,
            "text_ja": text,
            "source_name": batch.source_name,
            "source_sha256": batch.sha256,
        }
        for kind, texts in (("requirement", batch.requirements), ("criterion", batch.criteria))
        for item_id, text in texts.items()
    ]
    frame = pl.DataFrame(rows, schema={k: pl.String for k in rows[0]}) if rows else pl.DataFrame()
    with store.transaction(actor) as tx:
        tx.execute("DELETE FROM official_text WHERE catalogue_version = ?", [batch.catalogue_version])
        tx.insert_frame("official_text", frame)
        tx.audit(
            "import_official_texts",
            entity="catalogue",
            entity_id=batch.catalogue_version,
            detail={
                "file": batch.source_name,
                "requirements": len(batch.requirements),
                "criteria": len(batch.criteria),
            },
            sha256=batch.sha256,
        )
    return len(rows)
