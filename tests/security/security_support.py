"""Builders the attack tests share: a registry with one account per role, the app under AppTest,
and a supplier's portal session."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from conftest import ADMIN, make_store
from streamlit.testing.v1 import AppTest

from registry import access
from registry.domain.actor import Actor
from registry.services.templates import build_template
from registry.store import Store

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PASSWORDS = {
    "ada": "ada-kanri-sakura-42",
    "bob": "bob-kobai-momiji-17",
    "vera": "vera-etsuran-kaede-9",
    "sam": "sam-torihiki-ume-88",
}
ROLES = {"ada": "admin", "bob": "buyer", "vera": "viewer", "sam": "supplier"}
BOB = Actor.person("bob", "buyer", credential="bob")
VERA = Actor.person("vera", "viewer", credential="vera")


def registry_with_accounts(path: Path, suppliers: int = 40) -> Store:
    store = make_store(path, suppliers=suppliers, seed=3)
    for user, role in ROLES.items():
        access.add_user(
            store, user, role, ADMIN, password=PASSWORDS[user], supplier_id="S000005" if role == "supplier" else None
        )
    return store


def open_app(monkeypatch, store: Store, *, invite: str | None = None) -> AppTest:
    monkeypatch.setenv("MONOSASHI_DB", str(store.path))
    monkeypatch.setenv("MONOSASHI_DEMO_SUPPLIERS", "0")
    monkeypatch.delenv("MONOSASHI_SINGLE_USER", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    if invite:
        at.query_params["invite"] = invite
    at.run()
    assert not at.exception, at.exception
    return at


def sign_in(at: AppTest, user: str) -> AppTest:
    at.text_input(key="signin_user").set_value(user)
    at.text_input(key="signin_password").set_value(PASSWORDS[user])
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def portal_actor(store: Store, supplier_id: str) -> Actor:
    """The actor a supplier's portal link signs in as (its invitation redeemed)."""
    made = access.create_invitation(store, supplier_id, BOB)
    return access.redeem_invitation(store, made.token)


def template_declaring(supplier_id: str, subcontractors: list[tuple[str, str | None, str, str]]) -> bytes:
    """A filled SCS answer template of ``supplier_id`` that declares these subcontractors
    (name, 法人番号, what they supply, critical はい/いいえ)."""
    from conftest import AS_OF

    wb = openpyxl.load_workbook(io.BytesIO(build_template("scs", supplier_id, level=3, generated_on=AS_OF)))
    for row in range(6, 6 + 81):
        wb["回答"].cell(row, 5, "○")
    sheet = wb["再委託先"]
    for row, declared in enumerate(subcontractors, start=2):
        for column, value in enumerate(declared, start=1):
            sheet.cell(row, column, value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
