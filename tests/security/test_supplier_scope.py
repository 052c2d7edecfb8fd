"""Holes 2 and 3: a supplier took over another supplier's certificate, and rewrote shared
supplier rows through its portal template (issue 14).

Certificates have IDs the registry makes; their registration number belongs to one supplier and
is never the key a save deletes by. Subcontractors a template declares are proposals a buyer
settles; a supplier writes no supplier row and no link."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from conftest import AS_OF
from security_support import BOB, open_app, portal_actor, registry_with_accounts, template_declaring
from support import samples

from importers.base import SourceFile
from registry import access
from registry.domain.models import Certificate
from registry.errors import AccessDenied
from registry.services import intake
from registry.store import Store, certificates, submissions, suppliers
from registry.store.certificates import CertificateConflictError

PDF = samples.certificate_pdf(["SCS Star 4 evaluation", "Certificate No: SCS4-0003", "Issue date: 2026-10-01"])


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = registry_with_accounts(tmp_path / "r.duckdb")
    victim = Certificate(
        supplier_id="S000003", scheme="scs_star4", registration_no="SCS4-0003", issued_on=date(2026, 10, 1)
    )
    certificates.add_certificate(store, victim, [("star4-S000003.pdf", PDF, "application/pdf")], actor=BOB)
    return store


def victims_certificate(store: Store) -> dict:
    rows = store.frame("SELECT certificate_id, supplier_id FROM certificate WHERE registration_no = 'SCS4-0003'")
    assert rows.height == 1
    return rows.row(0, named=True)


def test_a_supplier_cannot_claim_another_suppliers_registration_number(store):
    attacker = portal_actor(store, "S000001")
    before = victims_certificate(store)
    claim = Certificate(
        supplier_id="S000001", scheme="scs_star4", registration_no="SCS4-0003", issued_on=date(2026, 10, 1)
    )
    with pytest.raises(CertificateConflictError, match="already recorded for another supplier") as refused:
        certificates.add_certificate(store, claim, [("mine.pdf", b"%PDF-1.4 mine", "application/pdf")], actor=attacker)
    assert "S000003" not in str(refused.value)  # a supplier learns nothing about who holds it
    assert victims_certificate(store) == before
    assert certificates.certificate_files(store, "S000001").is_empty()
    assert certificates.certificate_files(store, "S000003")["file_name"].to_list() == ["star4-S000003.pdf"]


def test_the_same_file_name_makes_a_new_certificate_and_moves_nothing(store):
    attacker = portal_actor(store, "S000001")
    before = victims_certificate(store)
    # what the form used to turn into the ID "scs_star4:star4-S000003.pdf": now only a file name
    claim = Certificate(supplier_id="S000001", scheme="scs_star4", issued_on=date(2026, 10, 1))
    made = certificates.add_certificate(
        store, claim, [("star4-S000003.pdf", b"%PDF-1.4 other", "application/pdf")], actor=attacker
    )
    assert made != before["certificate_id"] and made.startswith("CERT-")
    assert victims_certificate(store) == before
    victims_files = certificates.certificate_files(store, "S000003")
    assert victims_files["sha256"].to_list() == [__import__("hashlib").sha256(PDF).hexdigest()]
    assert PDF not in [
        submissions.file_content(store, h) for h in certificates.certificate_files(store, "S000001")["sha256"]
    ]


def test_a_supplier_cannot_write_a_row_of_another_supplier_even_through_the_typed_writes(store):
    attacker = portal_actor(store, "S000001")
    row = pl.DataFrame(
        {"certificate_id": ["CERT-9"], "supplier_id": ["S000003"], "scheme": ["scs_star4"], "issued_on": [AS_OF]}
    )
    with (
        pytest.raises(AccessDenied, match="may only write about supplier S000001, not S000003"),
        store.transaction(attacker) as tx,
    ):
        tx.insert_frame("certificate", row)
        tx.audit("add_certificate", detail={"supplier": "S000001"})
    with pytest.raises(AccessDenied, match="may not make this change"), store.transaction(attacker) as tx:
        tx.execute("DELETE FROM certificate WHERE registration_no = 'SCS4-0003'")
    assert victims_certificate(store)["supplier_id"] == "S000003"


def test_the_portal_offers_only_the_suppliers_own_files(monkeypatch, store):
    made = access.create_invitation(store, "S000001", BOB)
    claim = Certificate(supplier_id="S000001", scheme="scs_star4", issued_on=date(2026, 10, 1))
    certificates.add_certificate(store, claim, [("star4-S000003.pdf", b"%PDF-1.4 other", "application/pdf")], actor=BOB)
    at = open_app(monkeypatch, store, invite=made.token)
    offered = [b.label.replace("\\", "") for b in at.get("download_button")]
    offered = [label for label in offered if "star4-S000003.pdf" in label]
    assert len(offered) == 1 and "SCS4-0003" not in offered[0]  # its own file, not the victim's certificate


# -- hole 3: declared subcontractors ----------------------------------------------------------------


def completed_by_the_buyer(store: Store) -> dict:
    """A subcontractor the buyer registered and completed by hand."""
    store_row = store.frame("SELECT * FROM supplier WHERE supplier_id = 'S000010'").row(0, named=True)
    return {k: store_row[k] for k in ("name", "corporate_number", "industry", "employees", "prefecture", "created_at")}


def declare(store: Store, supplier_id: str, declared: list[tuple[str, str | None, str, str]]) -> None:
    actor = portal_actor(store, supplier_id)
    reports = intake.analyse(
        store, [SourceFile(f"t-{supplier_id}.xlsx", template_declaring(supplier_id, declared))], supplier_id=supplier_id
    )
    done = intake.commit(store, reports, mode="batch", actor=actor, today=AS_OF)
    assert done[0].status == "imported", done[0].errors


def test_two_suppliers_declaring_the_same_company_change_no_shared_row(store):
    known = completed_by_the_buyer(store)
    links_before = store.frame("SELECT * FROM supplier_link ORDER BY parent_id, child_id")
    suppliers_before = store.scalar("SELECT count(*) FROM supplier")
    declare(store, "S000001", [(known["name"], known["corporate_number"], "めっき", "はい")])
    declare(
        store,
        "S000002",
        [(known["name"], known["corporate_number"], "研磨", "いいえ"), ("有限会社新顔", None, "塗装", "はい")],
    )
    assert completed_by_the_buyer(store) == known
    assert store.scalar("SELECT count(*) FROM supplier") == suppliers_before
    assert store.frame("SELECT * FROM supplier_link ORDER BY parent_id, child_id").equals(links_before)
    open_ones = suppliers.proposals(store, state="open")
    assert sorted(open_ones["proposed_by"].to_list()) == ["S000001", "S000002", "S000002"]
    assert set(open_ones.filter(pl.col("name") == known["name"])["child_id"]) == {"S000010"}


def test_a_supplier_cannot_write_supplier_rows_or_links(store):
    attacker = portal_actor(store, "S000001")
    for table, named, frame in (
        ("supplier", "Supplier", pl.DataFrame({"supplier_id": ["X-NEW"], "name": ["乗っ取り"], "name_key": ["x"]})),
        (
            "supplier_link",
            "Supplier links",
            pl.DataFrame({"parent_id": ["S000001"], "child_id": ["S000030"], "source": ["declared"]}),
        ),
    ):
        with (
            pytest.raises(AccessDenied, match=f"may not write records of the kind “{named}”"),
            store.transaction(attacker) as tx,
        ):
            tx.insert_frame(table, frame)
            tx.audit("import_file", detail={"supplier": "S000001"})


def test_a_buyer_settles_the_proposals(store):
    known = completed_by_the_buyer(store)
    declare(
        store,
        "S000001",
        [(known["name"], known["corporate_number"], "めっき", "はい"), ("有限会社新顔", None, "塗装", "はい")],
    )
    ids = suppliers.proposals(store, "S000001")["proposal_id"].to_list()
    attacker = portal_actor(store, "S000001")
    with pytest.raises(AccessDenied):
        suppliers.resolve_proposals(store, ids, "confirm", attacker)
    assert suppliers.resolve_proposals(store, ids, "confirm", BOB) == 2
    children = store.frame("SELECT child_id, source FROM supplier_link WHERE parent_id = 'S000001'")
    assert "S000010" in children["child_id"].to_list()  # the demo linked them already: the link stays as it was
    new = children.filter(pl.col("child_id").str.starts_with("D-"))
    assert new["source"].to_list() == ["declared"]
    assert store.scalar("SELECT name FROM supplier WHERE supplier_id = ?", [new["child_id"][0]]) == "有限会社新顔"
    assert completed_by_the_buyer(store) == known  # confirming links to it and changes nothing of it


# -- the review after version 8 ---------------------------------------------------------------------


def held(store: Store, supplier_id: str) -> str:
    return suppliers.supplier_status(store, AS_OF).filter(supplier_id=supplier_id)["held_level"][0]


def test_a_supplier_cannot_certify_itself(store):
    """A ★ a supplier enters is its claim: it counts for nothing until a buyer confirms it."""
    supplier = portal_actor(store, "S000005")
    before = held(store, "S000005")
    claim = Certificate(supplier_id="S000005", scheme="scs_star4", registration_no="FAKE-1", issued_on=AS_OF)
    made = certificates.add_certificate(store, claim, [], actor=supplier)
    assert held(store, "S000005") == before
    assert certificates.unconfirmed(store, "S000005")["certificate_id"].to_list() == [made]
    with pytest.raises(AccessDenied):
        certificates.confirm(store, [made], True, supplier)
    assert certificates.confirm(store, [made], True, BOB) == 1
    assert held(store, "S000005") == "star4" and certificates.unconfirmed(store, "S000005").is_empty()


def test_a_rejected_claim_is_gone_with_its_files(store):
    supplier = portal_actor(store, "S000005")
    claim = Certificate(supplier_id="S000005", scheme="iso27001", registration_no="IS-CLAIM", issued_on=AS_OF)
    made = certificates.add_certificate(store, claim, [("c.pdf", b"%PDF-1.4 claim", "application/pdf")], actor=supplier)
    assert certificates.confirm(store, [made], False, BOB) == 1
    assert not store.scalar("SELECT count(*) FROM certificate WHERE certificate_id = ?", [made])
    assert queries_files(store, "S000005") == []


def queries_files(store: Store, supplier_id: str) -> list[str]:
    return certificates.certificate_files(store, supplier_id)["file_name"].to_list()


def test_a_supplier_cannot_change_what_its_buyer_recorded(store):
    recorded = Certificate(supplier_id="S000005", scheme="iso27001", registration_no="IS-5", issued_on=date(2025, 4, 1))
    certificates.add_certificate(store, recorded, [], actor=BOB)
    supplier = portal_actor(store, "S000005")
    longer = recorded.model_copy(update={"expires_on": date(2099, 1, 1)})
    with pytest.raises(CertificateConflictError, match="recorded by your buyer"):
        certificates.add_certificate(store, longer, [], actor=supplier)
    assert store.scalar("SELECT expires_on FROM certificate WHERE registration_no = 'IS-5'") is None


@pytest.mark.parametrize("variant", ["scs4-0003", "SCS4-0003.", "ＳＣＳ４‐０００３", "SCS4 0003", "SCS4-0003\u200b"])
def test_a_registration_number_written_another_way_is_the_same_number(store, variant):
    variant = variant.encode().decode("unicode_escape") if "\\u" in variant else variant
    claim = Certificate(supplier_id="S000001", scheme="scs_star4", registration_no=variant, issued_on=AS_OF)
    with pytest.raises(CertificateConflictError, match="already recorded"):
        certificates.add_certificate(store, claim, [], actor=BOB)


def test_one_number_for_two_suppliers_in_one_batch_is_refused(store, tmp_path):
    rows = "取引先ID,制度,登録番号,発行日\nS000010,ISMS,IS-888,2025-02-01\nS000011,ISMS,is 888,2025-02-01\n"
    reports = intake.analyse(store, [SourceFile("certs.csv", rows.encode())])
    done = intake.commit(store, reports, mode="per_file", actor=BOB, today=AS_OF)
    assert done[0].status == "rejected" and "more than one supplier" in done[0].errors[-1].message
    assert not store.scalar("SELECT count(*) FROM certificate WHERE registration_key = 'is888'")
