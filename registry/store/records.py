"""Writes of the store layer: suppliers, the demo registry and IPA's official texts.

Each public function is one transaction with its audit entry; a failure leaves the database as
it was.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

import polars as pl

from importers import ipa_catalogue
from importers.ipa_catalogue import OfficialTextBatch
from questionnaires.catalogue import CURRENT_VERSION, available_versions, load_catalogue
from questionnaires.frameworks import MappingProfile, load_profile_text
from registry import clock
from registry.domain.actor import Actor
from registry.domain.models import Certificate, Supplier, supplier_name_key
from registry.errors import MonosashiError
from registry.store import Store, Transaction

if TYPE_CHECKING:
    from registry.services.intake import FileReport, PlannedWrite

__all__ = [
    "REQUEST_SCHEMA",
    "SUPPLIER_SCHEMA",
    "CertificateConflictError",
    "DuplicateSupplierError",
    "RegistryData",
    "RegistryNotEmptyError",
    "add_certificate",
    "add_profile",
    "add_profile_text",
    "add_supplier",
    "ensure_ready",
    "import_official_texts",
    "initialise",
    "load_official_texts",
    "replace_demo",
    "replace_registry",
    "resolve_proposals",
    "save_settings",
    "write_import",
]

# Tables holding registry content (not schema bookkeeping, settings or the audit log).
_CONTENT_TABLES = (
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


class DuplicateSupplierError(MonosashiError):
    """A supplier with the same ID or corporate number is already registered."""


def initialise(store: Store, actor: Actor) -> list[int]:
    """Create or migrate the database and record the catalogue version in force."""
    applied = store.migrate(actor)
    if store.setting("catalogue_version") is None:
        with store.transaction(actor) as tx:
            store.set_setting(tx, "catalogue_version", CURRENT_VERSION)
            tx.audit("set_setting", entity="setting", entity_id="catalogue_version", detail={"value": CURRENT_VERSION})
    return applied


def ensure_ready(store: Store, demo_suppliers: int, as_of: date) -> bool:
    """Migrate, and on the very first start fill an empty registry with the demo (the system's
    own work when the app starts, before anyone signs in).

    Returns True when the demo was loaded. Runs once per database: a registry emptied later
    stays empty.
    """
    initialise(store, Actor.system("migrate"))
    if demo_suppliers <= 0 or store.setting("first_start_done") is not None:
        return False
    loaded = False
    demo = Actor.system("demo")
    if not store.scalar("SELECT count(*) FROM supplier"):
        from registry.services import flags  # flags read through the yardstick, which imports this module
        from registry.services.demo import generate_demo  # the generator imports this module

        replace_demo(store, generate_demo(demo_suppliers, seed=1, as_of=as_of), demo, seed=1)
        flags.replay(store, as_of, months=6, actor=Actor.system("derive"))
        loaded = True
    with store.transaction(demo) as tx:
        store.set_setting(tx, "first_start_done", as_of.isoformat())
    return loaded


# Columns of the supplier table that writers fill, with their polars types.
SUPPLIER_SCHEMA: dict[str, pl.DataType] = {
    "supplier_id": pl.String(),
    "name": pl.String(),
    "corporate_number": pl.String(),
    "industry": pl.String(),
    "employees": pl.Int32(),
    "prefecture": pl.String(),
    "has_security_staff": pl.Boolean(),
    "far_from_it_support": pl.Boolean(),
    "name_key": pl.String(),
}


# Columns of the level_request table that writers fill.
REQUEST_SCHEMA: dict[str, pl.DataType] = {
    "request_id": pl.String(),
    "supplier_id": pl.String(),
    "requested_level": pl.Int32(),
    "requested_on": pl.Date(),
    "due_on": pl.Date(),
    "state": pl.String(),
    "holds_confidential_info": pl.Boolean(),
    "outage_delays_buyer": pl.Boolean(),
    "reaches_buyer_network": pl.Boolean(),
    "reason": pl.String(),
    "decided_by": pl.String(),
    "recommended_level": pl.Int32(),
    "sent_on": pl.Date(),
    "acknowledged_on": pl.Date(),
    "note": pl.String(),
}


def _supplier_frame(suppliers: Sequence[Supplier]) -> pl.DataFrame:
    return pl.DataFrame(
        [{**s.model_dump(), "name_key": supplier_name_key(s.name)} for s in suppliers], schema=SUPPLIER_SCHEMA
    )


def add_supplier(store: Store, supplier: Supplier, actor: Actor) -> None:
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
    submissions: pl.DataFrame | None = None
    answers: pl.DataFrame | None = None
    # Evidence files: (sha256, size_bytes, data) blobs and the certificate_file rows naming them.
    blobs: pl.DataFrame | None = None
    certificate_files: pl.DataFrame | None = None


class RegistryNotEmptyError(MonosashiError):
    """The demo would overwrite suppliers someone registered by hand or imported."""


def replace_demo(store: Store, data: RegistryData, actor: Actor, *, seed: int, force: bool = False) -> None:
    """Replace the content with a demo registry; refuses to overwrite real data unless forced."""
    origin = store.setting("content_origin")
    suppliers = store.scalar("SELECT count(*) FROM supplier")
    if suppliers and origin != "demo" and not force:
        raise RegistryNotEmptyError(
            f"{store.path} holds {suppliers} suppliers that were not made by the demo; "
            "use another --db for the demo, or --force to replace them (the audit log keeps a record)"
        )
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


def import_official_texts(store: Store, source_name: str, data: bytes, actor: Actor) -> OfficialTextBatch:
    """Parse IPA's official Excel and store its texts; raises SourceFileError, writing nothing."""
    batch = ipa_catalogue.parse(source_name, data, [load_catalogue(v) for v in available_versions()])
    load_official_texts(store, batch, actor)
    return batch


def load_official_texts(store: Store, batch: OfficialTextBatch, actor: Actor) -> int:
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


def write_import(
    store: Store,
    ready: Sequence[FileReport],
    rejected: Sequence[FileReport],
    *,
    batch_id: str,
    actor: Actor,
    today: date,
) -> None:
    """Write ready files' rows and record every file in one transaction.

    The bytes of every file are kept (rejected ones too: the quarantine), except where the
    caller dropped them (``data`` None: a portal quota): such a file is recorded with its reasons.
    """
    now = clock.now()
    with store.transaction(actor) as tx:
        already = {
            r[0]
            for r in tx.execute(
                "SELECT DISTINCT sha256 FROM import_file WHERE status = 'imported' AND sha256 IN (SELECT unnest(?))",
                [[r.sha256 for r in ready] or [""]],
            )
        }
        for report in ready:
            if report.sha256 in already:  # another session imported it since the analysis
                report.status = "duplicate"
        writing = [r for r in ready if r.status == "ready"]
        records = [*writing, *rejected]
        written = {id(r) for r in writing}
        if not records:
            return
        import_ids = [r[0] for r in tx.execute("SELECT nextval('import_file_seq') FROM range(?)", [len(records)])]
        kept = {id(r) for r in records if r.data is not None and r.sha256}
        blobs = [r for r in records if id(r) in kept]
        if blobs:
            _insert_blobs(tx, blobs)
        tx.insert_frame(
            "import_file",
            pl.DataFrame(
                {
                    "import_id": import_ids,
                    "batch_id": [batch_id] * len(records),
                    "source_name": [r.name for r in records],
                    "sha256": [r.sha256 for r in records],
                    "size_bytes": [r.size_bytes for r in records],
                    "format": [r.format for r in records],
                    "status": ["imported" if id(r) in written else "rejected" for r in records],
                    "supplier_ids": [r.supplier_ids for r in records],
                    "framework_id": [r.framework for r in records],
                    "catalogue_version": [r.catalogue_version for r in records],
                    "answers": [r.answers if id(r) in written else 0 for r in records],
                    "errors": [json.dumps([e.model_dump() for e in r.errors], ensure_ascii=False) for r in records],
                    "warnings": [json.dumps([w.model_dump() for w in r.warnings], ensure_ascii=False) for r in records],
                    "content_kept": [id(r) in kept for r in records],
                    "imported_at": [now] * len(records),
                    "imported_by": [actor.name] * len(records),
                    "via_invitation": [actor.credential if actor.via == "invitation" else None] * len(records),
                },
                schema_overrides={
                    "supplier_ids": pl.List(pl.String),
                    "format": pl.String,
                    "framework_id": pl.String,
                    "catalogue_version": pl.String,
                    "via_invitation": pl.String,
                },
            ),
        )
        pairs = list(zip(import_ids, records, strict=True))
        _write_plans(tx, [(i, r.planned) for i, r in pairs if id(r) in written and r.planned], today, now)
        tx.audit_many(
            [
                {
                    "action": "import_file" if id(r) in written else "reject_file",
                    "entity": "import_file",
                    "entity_id": str(import_id),
                    "detail": {
                        "file": r.name,
                        "format": r.format,
                        "suppliers": r.supplier_ids,
                        "answers": r.answers,
                        "errors": [e.message for e in r.errors][:5],
                        "content_kept": id(r) in kept,
                    },
                    "sha256": r.sha256 or None,
                }
                for import_id, r in pairs
            ]
        )


def _insert_blobs(tx: Transaction, blobs: Sequence[FileReport]) -> None:
    frame = pl.DataFrame(
        {
            "sha256": [r.sha256 for r in blobs],
            "size_bytes": [r.size_bytes for r in blobs],
            "data": [r.data for r in blobs],
        },
        schema={"sha256": pl.String, "size_bytes": pl.Int64, "data": pl.Binary},
    )
    tx.insert_new("file_blob", frame, key=["sha256"])


def _write_plans(tx: Transaction, plans: list[tuple[int, PlannedWrite]], today: date, now: datetime) -> None:
    """Insert the planned rows of every ready file set-wise (one statement per table)."""
    if not plans:
        return
    # Number every file's submissions and answers at once: (file, local index) → submission ID.
    submissions = pl.concat([p.submissions for _, p in plans])
    answers = pl.concat([p.answers for _, p in plans])
    submissions = submissions.with_columns(
        file=pl.Series([n for n, (_, p) in enumerate(plans) for _ in range(p.submissions.height)], dtype=pl.Int32),
        import_id=pl.Series([i for i, p in plans for _ in range(p.submissions.height)], dtype=pl.Int64),
    )
    answers = answers.with_columns(
        file=pl.Series([n for n, (_, p) in enumerate(plans) for _ in range(p.answers.height)], dtype=pl.Int32)
    )
    if submissions.height:
        ids = [r[0] for r in tx.execute("SELECT nextval('submission_seq') FROM range(?)", [submissions.height])]
        submissions = submissions.with_columns(submission_id=pl.Series(ids, dtype=pl.Int64))
        answers = answers.join(
            submissions.select("file", "local_index", "submission_id"), on=["file", "local_index"], how="left"
        )
    suppliers = pl.concat([p.suppliers for _, p in plans]).unique("supplier_id", keep="last", maintain_order=True)
    if not suppliers.is_empty():
        _upsert_suppliers(tx, suppliers, now)
    links = pl.concat([p.links for _, p in plans])
    tx.insert_new("supplier_link", links, key=["parent_id", "child_id"])
    _save_certificates(tx, pl.concat([p.certificates for _, p in plans]))
    requests = pl.concat([p.requests for _, p in plans]).unique("request_id", keep="last", maintain_order=True)
    if not requests.is_empty():
        requests = requests.with_columns(decided_by=pl.col("decided_by").fill_null(tx.actor.name))
        tx.delete_rows("level_request", requests.select("request_id"))
        tx.insert_frame("level_request", requests)
    if submissions.height:
        tx.insert_frame(
            "submission",
            submissions.with_columns(pl.col("submitted_on").fill_null(today), imported_by=pl.lit(tx.actor.name)).drop(
                "local_index", "file"
            ),
        )
        tx.insert_frame("answer", answers.drop("local_index", "file"))
    proposals = pl.concat([p.proposals for _, p in plans])
    if not proposals.is_empty():
        tx.insert_frame("subcontractor_proposal", proposals.with_columns(proposed_at=pl.lit(now), state=pl.lit("open")))
    if not suppliers.is_empty():  # the registry now holds suppliers the demo must not overwrite
        tx.execute("INSERT OR REPLACE INTO setting VALUES ('content_origin', 'user')")


def _upsert_suppliers(tx: Transaction, suppliers: pl.DataFrame, now: datetime) -> None:
    """Add new suppliers and update known ones. A column the list leaves empty keeps the value
    the registry holds: a list without 営業所 never erases what a buyer completed by hand."""
    columns = [c for c in suppliers.columns if c != "supplier_id"]
    kept = ", ".join(f'"{c}" = coalesce(excluded."{c}", supplier."{c}")' for c in columns)
    names = ", ".join(f'"{c}"' for c in ["supplier_id", *columns, "created_at"])
    tx.execute_with(
        f"INSERT INTO supplier ({names}) SELECT {names} FROM {{incoming}} "
        f"ON CONFLICT (supplier_id) DO UPDATE SET {kept}",
        suppliers.with_columns(created_at=pl.lit(now, dtype=pl.Datetime("us"))),
    )


class CertificateConflictError(MonosashiError):
    """The registration number is already recorded for another supplier."""


def _save_certificates(tx: Transaction, certificates: pl.DataFrame) -> list[str]:
    """Add or update certificates; returns their IDs, in order.

    A certificate is the same one when supplier, scheme, registration number and issue date
    agree: it is updated in place and keeps its ID and files. Any other is new and gets an ID
    the registry makes. A registration number recorded for another supplier is refused: a save
    never moves a certificate (or its files) from one supplier to another.
    """
    if certificates.is_empty():
        return []
    incoming = (
        certificates.drop("certificate_id", strict=False)
        .unique(["supplier_id", "scheme", "registration_no", "issued_on"], keep="last", maintain_order=True)
        .with_row_index("row")
    )
    clash = tx.execute_with(
        """SELECT n.registration_no, e.supplier_id FROM {incoming} n JOIN certificate e
           ON e.registration_no = n.registration_no AND e.supplier_id <> n.supplier_id LIMIT 1""",
        incoming,
    )
    if clash:
        number, owner = clash[0]
        raise CertificateConflictError(f"registration number {number} is already recorded for supplier {owner}")
    known = tx.execute_with(
        """SELECT n.row, e.certificate_id, e.created_at FROM {incoming} n JOIN certificate e
           ON e.supplier_id = n.supplier_id AND e.scheme = n.scheme AND e.issued_on = n.issued_on
          AND e.registration_no IS NOT DISTINCT FROM n.registration_no""",
        incoming,
    )
    found = {row: (cid, created) for row, cid, created in known}
    fresh = [r for r in range(incoming.height) if r not in found]
    numbers = [r[0] for r in tx.execute("SELECT nextval('certificate_seq') FROM range(?)", [len(fresh)])]
    now = clock.now()
    ids = dict(zip(fresh, (f"CERT-{n:07d}" for n in numbers), strict=True))
    ids |= {r: cid for r, (cid, _) in found.items()}
    created = {r: found[r][1] if r in found else now for r in range(incoming.height)}
    rows = incoming.with_columns(
        certificate_id=pl.Series([ids[r] for r in range(incoming.height)], dtype=pl.String),
        created_at=pl.Series([created[r] for r in range(incoming.height)], dtype=pl.Datetime("us")),
    ).drop("row")
    if found:
        tx.delete_rows("certificate", pl.DataFrame({"certificate_id": [cid for cid, _ in found.values()]}))
    tx.insert_frame("certificate", rows)
    return rows["certificate_id"].to_list()


def add_profile_text(store: Store, text: str, origin: str, actor: Actor) -> MappingProfile:
    """Validate a mapping profile's YAML and store it; raises ProfileError naming the problem."""
    profile = load_profile_text(text, origin)
    add_profile(store, profile.name, text, actor)
    return profile


def add_profile(store: Store, name: str, text: str, actor: Actor) -> None:
    """Store a user's mapping profile (already validated by the caller)."""
    with store.transaction(actor) as tx:
        tx.execute(
            "INSERT OR REPLACE INTO mapping_profile (name, yaml, added_at, added_by) VALUES (?, ?, ?, ?)",
            [name, text, clock.now(), actor.name],
        )
        tx.audit("add_profile", entity="mapping_profile", entity_id=name)


def add_certificate(
    store: Store, certificate: Certificate, files: Sequence[tuple[str, bytes, str]], actor: Actor
) -> str:
    """Record a certificate with its evidence files (name, bytes, media type) in one transaction;
    returns its ID.

    The files are kept unaltered by SHA-256; a registration number already recorded for another
    supplier is refused; the same certificate saved again is updated and keeps its files.
    """
    with store.transaction(actor) as tx:
        frame = pl.DataFrame([certificate.model_dump()]).with_columns(pl.col("issued_on", "expires_on").cast(pl.Date))
        (certificate_id,) = _save_certificates(tx, frame)
        now = clock.now()
        if files:
            digests = [hashlib.sha256(data).hexdigest() for _, data, _ in files]
            tx.insert_new(
                "file_blob",
                pl.DataFrame(
                    {
                        "sha256": digests,
                        "size_bytes": [len(data) for _, data, _ in files],
                        "data": [data for _, data, _ in files],
                    },
                    schema={"sha256": pl.String, "size_bytes": pl.Int64, "data": pl.Binary},
                ),
                key=["sha256"],
            )
            tx.insert_new(
                "certificate_file",
                pl.DataFrame(
                    {
                        "certificate_id": [certificate_id] * len(files),
                        "sha256": digests,
                        "file_name": [name for name, _, _ in files],
                        "media_type": [media for _, _, media in files],
                        "attached_at": [now] * len(files),
                        "attached_by": [actor.name] * len(files),
                    },
                    schema_overrides={"attached_at": pl.Datetime("us")},
                ),
                key=["certificate_id", "sha256"],
            )
        tx.audit(
            "add_certificate",
            entity="certificate",
            entity_id=certificate_id,
            detail={
                **certificate.model_dump(mode="json", exclude={"certificate_id"}),
                "files": [n for n, _, _ in files],
            },
            sha256=hashlib.sha256(files[0][1]).hexdigest() if files else None,
        )
    return certificate_id


def save_settings(store: Store, values: dict[str, str | None], actor: Actor) -> None:
    """Set (or, with None, reset to the default) registry settings in one transaction, audited."""
    with store.transaction(actor) as tx:
        for key, value in values.items():
            if value is None:
                tx.execute("DELETE FROM setting WHERE key = ?", [key])
            else:
                store.set_setting(tx, key, value)
        tx.audit("save_settings", entity="setting", entity_id=", ".join(values), detail=values)


ProposalDecision = Literal["confirm", "merge", "reject"]


def resolve_proposals(
    store: Store,
    proposal_ids: Sequence[int],
    decision: ProposalDecision,
    actor: Actor,
    *,
    into: str | None = None,
) -> int:
    """Settle open subcontractor proposals; returns how many.

    ``confirm``: link the proposing supplier to the proposal's matching supplier, or to a new
    supplier made from the proposal (a supplier row that exists is never changed). ``merge``:
    link it to the known supplier ``into``. ``reject``: record the refusal. All or none.
    """
    ids = sorted({int(i) for i in proposal_ids})
    if not ids:
        return 0
    if decision == "merge" and not into:
        raise MonosashiError("name the supplier to merge the proposal into")
    now = clock.now()
    with store.transaction(actor) as tx:
        rows = tx.execute(
            """SELECT proposal_id, proposed_by, name, corporate_number, supplied, critical, state, child_id
               FROM subcontractor_proposal WHERE proposal_id IN (SELECT unnest(?)) ORDER BY proposal_id""",
            [ids],
        )
        found = {r[0]: r for r in rows}
        missing = [i for i in ids if i not in found]
        if missing:
            raise MonosashiError(f"no proposal {', '.join(map(str, missing))}")
        settled = [i for i in ids if found[i][6] != "open"]
        if settled:
            raise MonosashiError(f"proposal {', '.join(map(str, settled))} is settled already")
        if into is not None and not tx.execute("SELECT 1 FROM supplier WHERE supplier_id = ?", [into]):
            raise MonosashiError(f"supplier {into} does not exist in the registry")
        children: dict[int, str | None] = {}
        new_suppliers = []
        for proposal_id, _, name, number, _, _, _, match in rows:
            if decision == "reject":
                children[proposal_id] = None
            elif decision == "merge":
                children[proposal_id] = into
            elif match:
                children[proposal_id] = match
            else:
                basis = number or supplier_name_key(name)
                child = f"D-{hashlib.sha256(basis.encode()).hexdigest()[:10].upper()}"
                children[proposal_id] = child
                new_suppliers.append(
                    {
                        "supplier_id": child,
                        "name": name,
                        "corporate_number": number,
                        "name_key": supplier_name_key(name),
                    }
                )
        if new_suppliers:
            frame = pl.DataFrame(new_suppliers, schema={k: pl.String for k in new_suppliers[0]})
            clash = tx.execute_with(
                """SELECT n.supplier_id, s.supplier_id FROM {incoming} n JOIN supplier s
                   ON s.corporate_number = n.corporate_number AND s.supplier_id <> n.supplier_id LIMIT 1""",
                frame,
            )
            if clash:
                raise MonosashiError(
                    f"corporate number of the proposal belongs to supplier {clash[0][1]}: merge into it instead"
                )
            tx.insert_new("supplier", frame, key=["supplier_id"])
        links = pl.DataFrame(
            [
                {
                    "parent_id": r[1],
                    "child_id": children[r[0]],
                    "supplied": r[4],
                    "source": "declared",
                    "critical": r[5],
                }
                for r in rows
                if children[r[0]] is not None and children[r[0]] != r[1]
            ],
            schema={
                "parent_id": pl.String,
                "child_id": pl.String,
                "supplied": pl.String,
                "source": pl.String,
                "critical": pl.Boolean,
            },
        )
        tx.insert_new("supplier_link", links, key=["parent_id", "child_id"])
        state = {"confirm": "confirmed", "merge": "merged", "reject": "rejected"}[decision]
        tx.execute_with(
            """UPDATE subcontractor_proposal SET state = $state, resolved_at = $now, resolved_by = $actor,
                      child_id = coalesce(n.child_id, subcontractor_proposal.child_id)
               FROM {incoming} n WHERE subcontractor_proposal.proposal_id = n.proposal_id""",
            pl.DataFrame(
                {"proposal_id": ids, "child_id": [children[i] for i in ids]},
                schema={"proposal_id": pl.Int64, "child_id": pl.String},
            ),
            {"state": state, "now": now, "actor": actor.name},
        )
        tx.audit_many(
            [
                {
                    "action": "resolve_proposal",
                    "entity": "subcontractor_proposal",
                    "entity_id": str(i),
                    "detail": {"decision": decision, "supplier": found[i][1], "child": children[i]},
                }
                for i in ids
            ]
        )
    return len(ids)
