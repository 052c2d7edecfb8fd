"""Hole 1: a viewer wrote, and a plain string counted as "the system" (issue 14).

Every write carries an Actor value; the one permissions table says what each role may write,
and the store checks every row of a write before it commits."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from conftest import AS_OF, BUYER, SYSTEM
from security_support import BOB, ROOT, VERA, open_app, registry_with_accounts, sign_in
from support import samples

from importers.base import SourceFile
from registry.domain.actor import PERMISSIONS, Actor
from registry.domain.models import Certificate
from registry.errors import AccessDenied
from registry.services import catalogue, intake, yardstick
from registry.store import Store, certificates, suppliers


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return registry_with_accounts(tmp_path / "r.duckdb")


def held_level(store: Store, supplier_id: str) -> str:
    return suppliers.supplier_status(store, AS_OF).filter(supplier_id=supplier_id)["held_level"][0]


def test_a_viewer_cannot_add_a_star_certificate(store):
    before = held_level(store, "S000003")
    star4 = Certificate(supplier_id="S000003", scheme="scs_star4", registration_no="F-1", issued_on=date(2026, 11, 1))
    with pytest.raises(AccessDenied, match="vera \\(Viewer\\) "):
        certificates.add_certificate(store, star4, [], actor=VERA)
    assert held_level(store, "S000003") == before
    assert not store.scalar("SELECT count(*) FROM certificate WHERE registration_no = 'F-1'")


def test_a_viewer_cannot_import_files(store):
    workbook = samples.scs_self_assessment_workbook(supplier_id="S000003", answered_on="2026-11-01", seed=2)
    reports = intake.analyse(store, [SourceFile("sa.xlsx", workbook)])
    before = store.scalar("SELECT count(*) FROM import_file")
    with pytest.raises(AccessDenied):
        intake.commit(store, reports, mode="per_file", actor=VERA, today=AS_OF)
    assert store.scalar("SELECT count(*) FROM import_file") == before


def test_a_viewer_writes_no_row_even_through_the_typed_writes(store):
    import polars as pl

    with (
        pytest.raises(AccessDenied, match="may not write records of the kind “Supplier”"),
        store.transaction(VERA) as tx,
    ):
        tx.insert_frame("supplier", pl.DataFrame({"supplier_id": ["V1"], "name": ["x"], "name_key": ["x"]}))
        tx.audit("sign_in")
    assert not store.scalar("SELECT count(*) FROM supplier WHERE supplier_id = 'V1'")


def test_a_plain_string_is_not_an_actor(store):
    with pytest.raises(TypeError, match="needs an Actor"), store.transaction("app"):  # type: ignore[arg-type]
        pass
    ipa = samples.scs_self_assessment_workbook(answered_on="2026-11-01", seed=1)
    with pytest.raises(TypeError, match="needs an Actor"):
        catalogue.import_official_texts(store, "ipa.xlsx", ipa, actor="app")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"only by Actor\.system"):
        Actor("app", "system")


def test_the_system_does_only_the_systems_work(store):
    workbook = samples.scs_self_assessment_workbook(supplier_id="S000003", answered_on="2026-11-01", seed=2)
    reports = intake.analyse(store, [SourceFile("sa.xlsx", workbook)])
    with pytest.raises(AccessDenied, match=r"system:derive \(System\) lacks the permission “File (imported|rejected)”"):
        intake.commit(store, reports, mode="per_file", actor=Actor.system("derive"), today=AS_OF)
    assert all(
        role in {"admin", "buyer", "viewer", "supplier", "system"} for roles in PERMISSIONS.values() for role in roles
    )
    assert not any("viewer" in roles for action, roles in PERMISSIONS.items() if action != "sign_in")


def test_the_catalogue_and_certificates_pages_offer_a_viewer_no_write(monkeypatch, store):
    at = sign_in(open_app(monkeypatch, store), "vera")
    at.switch_page("dashboards/pages/catalogue.py").run()
    at.file_uploader(key="catalogue_upload").upload("ipa.xlsx", b"PK not really", "application/octet-stream").run()
    assert at.button(key="catalogue_import").disabled
    at.switch_page("dashboards/pages/certificates.py").run()
    at.text_input(key="certificates_supplier.search").set_value("S000003").run()
    assert not [b for b in at.get("form_submit_button")], "a viewer is offered the certificate form"
    assert not at.exception


# -- a write reached from a page always carries the signed-in person --------------------------------

_UI = [ROOT / "app.py", *sorted((ROOT / "dashboards").rglob("*.py"))]


def _calls(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def test_no_page_makes_or_names_an_actor_itself():
    """The system actor is for non-interactive paths; a page acts as the signed-in person only."""
    for path in _UI:
        for call in _calls(path):
            func = ast.unparse(call.func)
            assert not func.endswith(".system") and func != "system", f"{path.name}: {ast.unparse(call)}"
            if func in ("Actor", "access.Actor", "Actor.person", "access.Actor.person"):
                assert path.name == "session.py" and "single-user" in ast.unparse(call), (
                    f"{path.name}: {ast.unparse(call)}"
                )
            for keyword in call.keywords:
                if keyword.arg == "actor":
                    value = ast.unparse(keyword.value)
                    assert value in ("ui.actor()", "actor()", "who"), f"{path.name}: actor={value}"


def test_page_writes_are_by_the_signed_in_person(monkeypatch, store):
    seen: list[Actor] = []
    original = Store.transaction

    def recording(self, actor):
        seen.append(actor)
        return original(self, actor)

    monkeypatch.setattr(Store, "transaction", recording)
    at = sign_in(open_app(monkeypatch, store), "bob")
    at.switch_page("dashboards/pages/requests.py").run()
    at.text_input(key="request_supplier.search").set_value("S000004").run()
    at.text_input(key="rq_reason").set_value("特になし")
    at.button(key="rq_save").click().run()
    at.switch_page("dashboards/pages/flags.py").run()
    at.button(key="flags_derive").click().run()
    assert not at.exception
    people = [a for a in seen if not a.is_system]
    assert people and {a.name for a in people} == {"bob"}, [a.name for a in people]
    # what the system does meanwhile is its own work: sign-ins and the derivation after a change
    assert {a.via for a in seen if a.is_system} <= {"sign_in", "derive", "portal"}
    assert BUYER.role == "buyer" and SYSTEM.is_system and BOB.role == "buyer"
    assert yardstick  # the readiness the pages show is unchanged by these writes
