"""Certificates and their evidence files: saved under IDs the registry makes, a registration
number owned by one supplier, files kept unaltered by SHA-256."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, timedelta

import polars as pl

from registry import clock
from registry.domain.actor import Actor
from registry.domain.models import Certificate
from registry.errors import MonosashiError
from registry.store import Store, Transaction
from registry.store.suppliers import _certs


def certificates_expiring(store: Store, as_of: date, within_days: int) -> pl.DataFrame:
    """Certificates valid on ``as_of`` whose validity ends within ``within_days`` days."""
    return store.frame(
        f"""WITH {_certs(store)}
        SELECT c.certificate_id, c.supplier_id, s.name, c.scheme, c.registration_no,
               c.valid_until AS expires_on, datediff('day', $as_of, c.valid_until) AS days_left
        FROM certs c JOIN supplier s USING (supplier_id)
        WHERE c.issued_on <= $as_of AND c.valid_until BETWEEN $as_of AND $until
        ORDER BY c.valid_until, c.supplier_id""",
        {"as_of": as_of, "until": as_of + timedelta(days=within_days)},
    )


def certificates_by_registration(store: Store, numbers: list[str]) -> dict[str, str]:
    """Registration number → supplier, for certificates already recorded."""
    if not numbers:
        return {}
    frame = store.frame(
        "SELECT registration_no, supplier_id FROM certificate WHERE registration_no IN (SELECT unnest($n))",
        {"n": numbers},
    )
    return dict(frame.iter_rows())


def certificate_files(store: Store, supplier_id: str) -> pl.DataFrame:
    """Evidence files attached to a supplier's certificates (without their bytes)."""
    return store.frame(
        """SELECT f.certificate_id, f.file_name, f.media_type, f.sha256, f.attached_at, f.attached_by
        FROM certificate_file f JOIN certificate c USING (certificate_id)
        WHERE c.supplier_id = ? ORDER BY f.attached_at DESC""",
        [supplier_id],
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
