"""The registry's content as a whole: create or migrate the file, and replace everything at once
(the demo, a restore's staging)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from questionnaires.catalogue import CURRENT_VERSION
from registry.domain.actor import Actor
from registry.errors import MonosashiError
from registry.store import Store

__all__ = [
    "RegistryData",
    "RegistryNotEmptyError",
    "initialise",
    "mark_first_start",
    "replace_demo",
    "replace_registry",
]

# Tables holding registry content (not schema bookkeeping, settings or the audit log).
_CONTENT_TABLES = (
    "reminder",
    "supplier_contact",
    "answer",
    "submission",
    "flag",
    "readiness_history",
    "level_request",
    "certificate_file",
    "certificate",
    "supplier_link",
    "supplier",
)


def initialise(store: Store, actor: Actor) -> list[int]:
    """Create or migrate the database and record the catalogue version in force."""
    applied = store.migrate(actor)
    if store.setting("catalogue_version") is None:
        with store.transaction(actor) as tx:
            store.set_setting(tx, "catalogue_version", CURRENT_VERSION)
            tx.audit("set_setting", entity="setting", entity_id="catalogue_version", detail={"value": CURRENT_VERSION})
    return applied


@dataclass(frozen=True)
class RegistryData:
    """Whole-registry content as frames whose columns are the tables' columns."""

    suppliers: pl.DataFrame
    links: pl.DataFrame
    certificates: pl.DataFrame
    requests: pl.DataFrame
    submissions: pl.DataFrame | None = None
    answers: pl.DataFrame | None = None
    # Evidence files: (sha256, size_bytes, data) blobs and the certificate_file rows naming them.
    blobs: pl.DataFrame | None = None
    certificate_files: pl.DataFrame | None = None
    # The people at each supplier who receive its reminders (supplier_contact rows).
    contacts: pl.DataFrame | None = None


class RegistryNotEmptyError(MonosashiError):
    """The demo would overwrite suppliers someone registered by hand or imported."""


def replace_demo(store: Store, data: RegistryData, actor: Actor, *, seed: int, force: bool = False) -> None:
    """Replace the content with a demo registry; refuses to overwrite real data unless forced."""
    origin = store.setting("content_origin")
    suppliers = store.scalar("SELECT count(*) FROM supplier")
    if suppliers and origin != "demo" and not force:
        raise RegistryNotEmptyError("database.demo_would_replace", path=str(store.path), suppliers=int(suppliers))
    replace_registry(store, data, actor, reason=f"demo seed {seed}", origin="demo")


def replace_registry(store: Store, data: RegistryData, actor: Actor, reason: str, origin: str = "user") -> None:
    """Replace every supplier, link, certificate and request in one transaction (demo regeneration)."""
    with store.transaction(actor) as tx:
        for table in _CONTENT_TABLES:
            tx.execute(f"DELETE FROM {table}")
        store.set_setting(tx, "content_origin", origin)
        tx.execute("DELETE FROM setting WHERE key = 'flags.derived_as_of'")  # new content: derive again
        tx.insert_frame("supplier", data.suppliers)
        tx.insert_frame("supplier_link", data.links)
        tx.insert_frame("certificate", data.certificates)
        tx.insert_frame("level_request", data.requests)
        if data.blobs is not None and data.certificate_files is not None:
            tx.insert_new("file_blob", data.blobs, key=["sha256"])
            tx.insert_frame("certificate_file", data.certificate_files)
        if data.contacts is not None:
            tx.insert_frame("supplier_contact", data.contacts)
        if data.submissions is not None and data.answers is not None:
            tx.insert_frame("submission", data.submissions)
            tx.insert_frame("answer", data.answers)
            tx.execute("SELECT setval('submission_seq', (SELECT coalesce(max(submission_id), 0) + 1 FROM submission))")
        tx.audit(
            "replace_registry",
            detail={
                "reason": reason,
                "suppliers": data.suppliers.height,
                "links": data.links.height,
                "certificates": data.certificates.height,
                "requests": data.requests.height,
                "submissions": 0 if data.submissions is None else data.submissions.height,
                "answers": 0 if data.answers is None else data.answers.height,
            },
        )


def mark_first_start(store: Store, on: date, actor: Actor) -> None:
    """Record that the registry had its first start (the demo is offered once)."""
    with store.transaction(actor) as tx:
        store.set_setting(tx, "first_start_done", on.isoformat())
