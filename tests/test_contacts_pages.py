"""Who receives the reminders, on the pages (issue 19): a supplier's contacts on the Supplier page
and in the portal, its owner, a portal link e-mailed to the contacts, and each person's digest
(the account box, the Users page) — under AppTest, signed in with each role."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ADMIN, make_store
from test_pages import open_app

from registry import access
from registry.services import contacts
from registry.services.contacts import SupplierContact
from registry.store.reminders import reminders

PASSWORDS = {"ada": "admin-pass-123", "bob": "buyer-pass-123", "vera": "viewer-pass-12", "sam": "supplier-pass-1"}
SUPPLIER = "S000003"
NO_EDITS = {"edited_rows": {}, "added_rows": [], "deleted_rows": []}


@pytest.fixture
def store(tmp_path: Path):
    store = make_store(tmp_path / "r.duckdb", suppliers=20, seed=3)
    access.add_user(store, "ada", "admin", ADMIN, password=PASSWORDS["ada"], display_name="Ada")
    access.add_user(store, "bob", "buyer", ADMIN, password=PASSWORDS["bob"], email="bob@example.jp")
    access.add_user(store, "vera", "viewer", ADMIN, password=PASSWORDS["vera"])
    access.add_user(store, "sam", "supplier", ADMIN, password=PASSWORDS["sam"], supplier_id="S000005")
    for supplier_id in (SUPPLIER, "S000005"):  # the demo gives suppliers contacts: these start with none
        contacts.replace_contacts(store, supplier_id, [], ADMIN)
    return store


def signed_in(monkeypatch, store, user: str, lang: str = "ja"):
    """The app on ``store``, signed in as ``user`` (an account), in ``lang``."""
    at = open_app(monkeypatch, store.path, single_user=False)
    at.text_input(key="signin_user").set_value(user)
    at.text_input(key="signin_password").set_value(PASSWORDS[user])
    at.button[0].click().run()
    assert not at.exception, at.exception
    if lang != "ja":
        at.sidebar.radio(key="lang").set_value(lang).run()
    return at


def supplier_page(at, supplier_id: str = SUPPLIER):
    at.query_params["id"] = supplier_id
    at.switch_page("dashboards/pages/supplier.py").run()
    assert not at.exception, at.exception
    return at


def edit(at, key: str, *, added=(), edited=None, deleted=()):
    """Edit a data editor as a person would (its edit state as the browser sends it: an added row
    has its columns' defaults), and run."""
    rows = [{"language": "ja", "opted_out": False, **row} for row in added]
    at.session_state[key] = {"edited_rows": edited or {}, "added_rows": rows, "deleted_rows": list(deleted)}
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at) -> str:
    parts = [*at.title, *at.subheader, *at.caption, *at.markdown, *at.error, *at.success, *at.info, *at.warning]
    return " ".join(str(p.value) for p in parts).replace("\\", "")


def saved(store, supplier_id: str = SUPPLIER) -> list[tuple]:
    frame = contacts.contacts(store, supplier_id)
    return [(r["name"], r["email"], r["language"], r["opted_out_at"] is not None) for r in frame.iter_rows(named=True)]


def test_a_buyer_adds_contacts_on_the_supplier_page(monkeypatch, store):
    at = supplier_page(signed_in(monkeypatch, store, "bob"))
    assert "連絡先と社内担当者" in [s.value for s in at.subheader]
    key = f"supplier_contacts.{SUPPLIER}.0"
    assert at.data_editor(key=key).editing_mode == "dynamic"
    edit(
        at,
        key,
        added=[
            {"name": "田中 一郎", "email": "tanaka@example.co.jp", "language": "ja", "opted_out": False},
            {"name": "Jane Roe", "email": "jane@example.com", "language": "en"},
        ],
    )
    assert not at.error
    at.button(key=f"supplier_contacts.{SUPPLIER}.save").click().run()
    assert not at.exception, at.exception
    assert saved(store) == [
        ("田中 一郎", "tanaka@example.co.jp", "ja", False),
        ("Jane Roe", "jane@example.com", "en", False),
    ]
    assert "連絡先を保存しました（2 件）" in texts(at)
    shown = at.data_editor(key=f"supplier_contacts.{SUPPLIER}.1").value  # a fresh editor: the saved list
    assert shown["email"].tolist() == ["tanaka@example.co.jp", "jane@example.com"]
    # a row removed and one changed: the list is saved as a whole
    edit(at, f"supplier_contacts.{SUPPLIER}.1", edited={1: {"language": "ja"}}, deleted=[0])
    at.button(key=f"supplier_contacts.{SUPPLIER}.save").click().run()
    assert saved(store) == [("Jane Roe", "jane@example.com", "ja", False)]


def test_an_invalid_email_is_refused_where_it_is_typed_and_nothing_is_saved(monkeypatch, store):
    contacts.replace_contacts(
        store, SUPPLIER, [SupplierContact(supplier_id=SUPPLIER, name="既存", email="a@example.jp")], ADMIN
    )
    at = supplier_page(signed_in(monkeypatch, store, "bob"))
    key = f"supplier_contacts.{SUPPLIER}.0"
    edit(at, key, added=[{"name": "田中", "email": "tanaka@example", "language": "ja"}, {"name": "空欄"}])
    said = [e.value.replace("\\", "") for e in at.error]
    assert any("2 行目" in e and "tanaka@example" in e and "メールアドレスとして使えません" in e for e in said), said
    assert any("3 行目" in e and "メールアドレスが空欄です" in e for e in said), said
    assert at.button(key=f"{key.removesuffix('.0')}.save").disabled
    assert saved(store) == [("既存", "a@example.jp", "ja", False)]
    # the same in English, naming the row and the address (a switch of language starts the edit again)
    at.sidebar.radio(key="lang").set_value("en").run()
    edit(at, key, added=[{"name": "田中", "email": "tanaka@example", "language": "ja"}])
    said = [e.value.replace("\\", "") for e in at.error]
    assert any(e.startswith("Row 2: tanaka@example is not an e-mail address") for e in said), said
    # a name left empty names the person's name, not a company's
    edit(at, key, added=[{"name": "", "email": "b@example.jp"}])
    said = [e.value.replace("\\", "") for e in at.error]
    assert said == ["Row 2: Name: must not be empty"], said
    # the same address twice is refused by the registry, nothing saved
    edit(at, key, added=[{"name": "Twice", "email": "A@example.jp"}])
    at.button(key=f"supplier_contacts.{SUPPLIER}.save").click().run()
    assert "A@example.jp is there twice" in " ".join(e.value.replace("\\", "") for e in at.error)
    assert saved(store) == [("既存", "a@example.jp", "ja", False)]


def test_a_buyer_sets_the_owner_and_emails_a_portal_link(monkeypatch, store):
    at = supplier_page(signed_in(monkeypatch, store, "bob"))
    owner = at.selectbox(key=f"supplier_owner.{SUPPLIER}.ja")
    assert owner.value is None and owner.options[0] == "担当者なし"
    assert at.button(key="supplier_owner_save").disabled  # nothing changed yet
    owner.set_value("ada").run()
    at.button(key="supplier_owner_save").click().run()
    assert not at.exception, at.exception
    assert contacts.owner_of(store, SUPPLIER) == "ada"
    assert "担当者を Ada にしました" in texts(at)
    at.selectbox(key=f"supplier_owner.{SUPPLIER}.ja").set_value(None).run()
    at.button(key="supplier_owner_save").click().run()
    assert contacts.owner_of(store, SUPPLIER) is None

    at.button(key="supplier_portal_mail").click().run()  # no contact yet: said, nothing queued
    assert "配信先の連絡先がありません" in " ".join(e.value for e in at.error)
    contacts.replace_contacts(
        store,
        SUPPLIER,
        [
            SupplierContact(supplier_id=SUPPLIER, name="田中", email="tanaka@example.co.jp"),
            SupplierContact(supplier_id=SUPPLIER, name="Out", email="out@example.com", opted_out=True),
        ],
        ADMIN,
    )
    at.button(key="supplier_portal_mail").click().run()
    assert not at.exception, at.exception
    assert "連絡先 1 件へのメールを予約しました" in texts(at)
    queued = reminders(store, ["pending"]).filter(kind="portal_link", supplier_id=SUPPLIER)
    assert queued["recipient"].to_list() == ["tanaka@example.co.jp"]


def test_a_viewer_sees_the_contacts_but_cannot_change_them(monkeypatch, store):
    contacts.replace_contacts(
        store, SUPPLIER, [SupplierContact(supplier_id=SUPPLIER, name="田中", email="t@example.jp")], ADMIN
    )
    at = supplier_page(signed_in(monkeypatch, store, "vera"))
    editor = at.data_editor(key=f"supplier_contacts.{SUPPLIER}.0")
    assert editor.editing_mode == "fixed" and editor.value["email"].tolist() == ["t@example.jp"]
    assert at.button(key=f"supplier_contacts.{SUPPLIER}.save").disabled
    assert at.button(key="supplier_owner_save").disabled
    assert at.button(key="supplier_portal_mail").disabled
    assert "この役割では閲覧のみです" in texts(at)


def test_the_supplier_edits_and_opts_out_its_own_contacts_in_the_portal(monkeypatch, store):
    mine = "S000005"
    contacts.replace_contacts(
        store,
        mine,
        [
            SupplierContact(supplier_id=mine, name="佐藤", email="sato@example.co.jp"),
            SupplierContact(supplier_id=mine, name="鈴木", email="suzuki@example.co.jp"),
        ],
        ADMIN,
    )
    made = access.create_invitation(store, mine, ADMIN)
    at = open_app(monkeypatch, store.path, single_user=False)  # the way in, then the link
    at.query_params["invite"] = made.token
    at.run()
    assert not at.exception, at.exception
    assert "御社の連絡先" in [s.value for s in at.subheader]
    assert at.data_editor(key="portal_contacts.0").value["email"].tolist() == [
        "sato@example.co.jp",
        "suzuki@example.co.jp",
    ]
    assert not at.get("popover")  # no digest for a supplier
    edit(
        at,
        "portal_contacts.0",
        edited={1: {"opted_out": True}},
        added=[{"name": "Lee", "email": "lee@example.com", "language": "en", "opted_out": False}],
    )
    at.button(key="portal_contacts.save").click().run()
    assert not at.exception, at.exception
    assert saved(store, mine) == [
        ("佐藤", "sato@example.co.jp", "ja", False),
        ("鈴木", "suzuki@example.co.jp", "ja", True),
        ("Lee", "lee@example.com", "en", False),
    ]
    assert saved(store, SUPPLIER) == []  # nobody else's


def test_a_buyer_chooses_their_own_digest(monkeypatch, store):
    at = signed_in(monkeypatch, store, "bob")
    assert contacts.reminder_choice(store, "bob")["digest"] == "weekly"
    popover = at.sidebar.get("popover")
    assert [p.proto.popover.label for p in popover] == ["自分のリマインダー"]
    at.sidebar.selectbox(key="my_reminders.bob.weekly.ja.0.ja.digest").set_value("daily")
    at.sidebar.selectbox(key="my_reminders.bob.weekly.ja.0.ja.language").set_value("en")
    at.sidebar.button(key="my_reminders.bob.save").click().run()
    assert not at.exception, at.exception
    choice = contacts.reminder_choice(store, "bob")
    assert (choice["digest"], choice["language"], choice["reminders_opted_out_at"]) == ("daily", "en", None)
    assert "bob のリマインダーの受け取り方を保存しました" in texts(at)
    # the form now shows what is stored; opting out
    at.sidebar.checkbox(key="my_reminders.bob.daily.en.0.ja.opted_out").check()
    at.sidebar.button(key="my_reminders.bob.save").click().run()
    assert contacts.reminder_choice(store, "bob")["reminders_opted_out_at"] is not None
    assert at.sidebar.checkbox(key="my_reminders.bob.daily.en.1.ja.opted_out").value is True


def test_an_admin_sets_anyones_digest_on_the_users_page(monkeypatch, store):
    at = signed_in(monkeypatch, store, "ada", lang="en")
    at.switch_page("dashboards/pages/users.py").run()
    assert not at.exception, at.exception
    whose = at.selectbox(key="users_reminders_whose")
    assert whose.options == ["Ada（ada）", "bob"]  # owners: buyers and admins only (a viewer writes nothing)
    whose.set_value("ada").run()
    assert "This account has no e-mail address" in texts(at)
    at.selectbox(key="users_reminders.ada.weekly.ja.0.en.digest").set_value("daily")
    at.button(key="users_reminders.ada.save").click().run()
    assert not at.exception, at.exception
    assert contacts.reminder_choice(store, "ada")["digest"] == "daily"
    assert "How Ada gets reminders is saved" in texts(at)


def test_single_user_mode_has_no_account_and_no_digest(monkeypatch, store):
    at = open_app(monkeypatch, store.path)
    assert not at.sidebar.get("popover")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_contacts_part_reads_in_each_language_without_codes(monkeypatch, store, lang):
    contacts.replace_contacts(
        store,
        SUPPLIER,
        [SupplierContact(supplier_id=SUPPLIER, name="Jane", email="jane@example.com", language="en", opted_out=True)],
        ADMIN,
    )
    contacts.set_owner(store, [SUPPLIER], "bob", ADMIN)
    at = supplier_page(signed_in(monkeypatch, store, "ada", lang=lang))
    shown = texts(at)
    assert ("Contacts and owner" if lang == "en" else "連絡先と社内担当者") in shown
    assert "None" not in shown and "contacts." not in shown
    owner = at.selectbox(key=f"supplier_owner.{SUPPLIER}.{lang}")
    assert owner.value == "bob" and all("None" not in o for o in owner.options)
    editor = at.data_editor(key=f"supplier_contacts.{SUPPLIER}.0")
    assert '"日本語"' in editor.proto.columns or "English" in editor.proto.columns
    labels = [b.label for b in at.button]
    assert (
        "E-mail a fresh portal link to the contacts" if lang == "en" else "新しいポータルのリンクを連絡先にメールで送る"
    ) in labels
