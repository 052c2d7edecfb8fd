"""Roles, sign-in, portal invitations and the one place every write is checked (docs/security.md)."""

import hashlib
import re
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ADMIN, AS_OF, SYSTEM, make_store
from streamlit.testing.v1 import AppTest
from support import samples

from importers.base import SourceFile
from registry import access
from registry.access import AccessDenied
from registry.cli import CLI_ROLES, main
from registry.domain.actor import Actor
from registry.domain.models import Supplier
from registry.errors import MonosashiError
from registry.services import flags, intake
from registry.store import suppliers

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PASSWORDS = {"ada": "admin-pass-123", "bob": "buyer-pass-123", "vera": "viewer-pass-12", "sam": "supplier-pass-1"}


def _with_accounts(path: Path):
    store = make_store(path, suppliers=40, seed=3)
    access.add_user(store, "ada", "admin", ADMIN, password=PASSWORDS["ada"])
    access.add_user(store, "bob", "buyer", ADMIN, password=PASSWORDS["bob"])
    access.add_user(store, "vera", "viewer", ADMIN, password=PASSWORDS["vera"])
    access.add_user(store, "sam", "supplier", ADMIN, password=PASSWORDS["sam"], supplier_id="S000005")
    return store


@pytest.fixture
def store(tmp_path: Path):
    return _with_accounts(tmp_path / "r.duckdb")


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory):
    """One registry for the command matrix: only commands a role may run change anything."""
    return _with_accounts(tmp_path_factory.mktemp("cli") / "r.duckdb")


def test_every_audited_write_has_a_role():
    """A write nobody listed would be refused to everyone: the table must know every action."""
    found: set[str] = set()
    for path in (ROOT / "registry").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r"""audit\(\s*"([a-z_]+)\"""", text))
        found |= set(re.findall(r""""action": "([a-z_]+)\"""", text))
    found |= {f"flag_{s}" for s in flags.STATES} | {"request_sent", "request_acknowledged"}
    found -= {"sign_in_failed"}  # written by the system itself, before anyone is signed in
    assert found, "the pattern found no actions"
    assert not found - set(access.PERMISSIONS), sorted(found - set(access.PERMISSIONS))


def test_role_ladder_and_the_supplier_apart():
    admin, buyer, viewer = Actor.person("a", "admin"), Actor.person("b", "buyer"), Actor.person("v", "viewer")
    supplier = Actor.person("s", "supplier", supplier_id="S1")
    assert access.allowed(buyer, "add_request") and not access.allowed(viewer, "add_request")
    assert access.allowed(admin, "save_settings") and not access.allowed(buyer, "save_settings")
    assert access.allowed(supplier, "import_file") and not access.allowed(supplier, "add_request")
    assert not access.allowed(admin, "no_such_action")  # unlisted: refused to everyone
    assert access.page_allowed(viewer, "overview") and not access.page_allowed(viewer, "imports")
    assert access.page_allowed(supplier, "portal") and not access.page_allowed(supplier, "overview")
    assert not access.page_allowed(admin, "portal")
    with pytest.raises(ValueError, match="needs its supplier ID"):
        Actor.person("s", "supplier")


def test_every_write_is_checked_in_the_transaction(store):
    viewer = Actor.person("vera", "viewer")
    before = store.scalar("SELECT count(*) FROM supplier")
    with pytest.raises(AccessDenied, match="vera \\(Viewer\\) "):
        suppliers.add_supplier(store, Supplier(supplier_id="NEW1", name="株式会社新"), actor=viewer)
    assert store.scalar("SELECT count(*) FROM supplier") == before
    suppliers.add_supplier(store, Supplier(supplier_id="NEW1", name="株式会社新"), actor=Actor.person("bob", "buyer"))
    with (
        pytest.raises(MonosashiError, match="must be recorded in the audit log"),
        store.transaction(Actor.person("bob", "buyer")) as tx,
    ):
        tx.execute("DELETE FROM supplier WHERE supplier_id = 'NEW1'")  # a write that leaves no trace is refused
    assert store.scalar("SELECT count(*) FROM supplier WHERE supplier_id = 'NEW1'") == 1


def submit(store, actor, supplier_in_file: str, chosen: str | None = None):
    data = samples.scs_self_assessment_workbook(supplier_id=supplier_in_file, answered_on="2026-11-01", seed=2)
    reports = intake.analyse(store, [SourceFile(f"sa-{supplier_in_file}.xlsx", data)], supplier_id=chosen)
    return intake.commit(store, reports, mode="batch", actor=actor, today=AS_OF)


def test_a_supplier_writes_only_about_itself(store):
    sam = Actor.person("sam", "supplier", supplier_id="S000005")
    before = store.scalar("SELECT count(*) FROM submission")
    with pytest.raises(AccessDenied, match="may only write about supplier S000005, not S000006"):
        submit(store, sam, "S000006")
    assert store.scalar("SELECT count(*) FROM submission") == before
    done = submit(store, sam, "S000005")
    assert done[0].status == "imported"
    assert store.scalar("SELECT count(*) FROM submission WHERE supplier_id = 'S000005'") >= 1


def test_passwords_are_hashed_and_sign_in_is_audited(store):
    stored = store.scalar("SELECT password_hash FROM app_user WHERE user_id = 'bob'")
    assert stored.startswith("$argon2") and PASSWORDS["bob"] not in stored
    who = access.authenticate(store, "bob", PASSWORDS["bob"])
    assert (str(who), who.role) == ("bob", "buyer")
    for user, password in (("bob", "wrong-password"), ("nobody", "whatever-123")):
        with pytest.raises(AccessDenied, match="Wrong name or password"):
            access.authenticate(store, user, password)
    access.set_user_disabled(store, "bob", True, Actor.person("ada", "admin"))
    with pytest.raises(AccessDenied, match="Wrong name or password, or the account is disabled"):
        access.authenticate(store, "bob", PASSWORDS["bob"])
    actions = store.frame("SELECT action FROM audit_log WHERE entity = 'app_user'")["action"].to_list()
    assert actions.count("sign_in") == 1 and actions.count("sign_in_failed") == 3
    with pytest.raises(AccessDenied):  # only admins change users
        access.set_user_disabled(store, "vera", True, Actor.person("bob", "buyer"))


def test_oidc_sign_in_maps_by_email(store):
    access.add_user(store, "olga", "viewer", Actor.person("ada", "admin"), email="Olga@Example.jp")
    assert access.principal_for_email(store, "olga@example.jp").role == "viewer"
    assert access.principal_for_email(store, "stranger@example.jp") is None
    with pytest.raises(AccessDenied):
        access.authenticate(store, "olga", "no-password-account")


def test_invitation_tokens_expire_and_can_be_revoked(store):
    bob = Actor.person("bob", "buyer")
    made = access.create_invitation(store, "S000005", bob, days=7)
    assert store.scalar("SELECT count(*) FROM portal_invitation WHERE token_hash = ?", [made.token]) == 0
    who = access.redeem_invitation(store, made.token)
    assert (who.role, who.supplier_id) == ("supplier", "S000005")
    assert access.invitations(store, "S000005")["uses"][0] == 1
    with pytest.raises(AccessDenied, match="not valid"):
        access.redeem_invitation(store, made.token + "x")
    with store.transaction(SYSTEM) as tx:
        tx.execute("UPDATE portal_invitation SET expires_at = ?", [AS_OF - timedelta(days=1)])
    with pytest.raises(AccessDenied, match="expired on"):
        access.redeem_invitation(store, made.token)
    second = access.create_invitation(store, "S000005", bob, days=7)
    open_one = hashlib.sha256(second.token.encode()).hexdigest()[:12]
    access.revoke_invitation(store, open_one, bob)
    with pytest.raises(AccessDenied, match="revoked"):
        access.redeem_invitation(store, second.token)
    with pytest.raises(AccessDenied):  # a viewer cannot invite
        access.create_invitation(store, "S000005", Actor.person("vera", "viewer"))


# -- the app ------------------------------------------------------------------------------------------


def open_app(monkeypatch, store) -> AppTest:
    monkeypatch.setenv("MONOSASHI_DB", str(store.path))
    monkeypatch.setenv("MONOSASHI_DEMO_SUPPLIERS", "0")
    monkeypatch.delenv("MONOSASHI_SINGLE_USER", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    return at


def sign_in(at: AppTest, user: str) -> AppTest:
    at.text_input(key="signin_user").set_value(user)
    at.text_input(key="signin_password").set_value(PASSWORDS[user])
    at.button[0].click().run()
    assert not at.exception
    return at


def app_pages() -> list[str]:
    source = Path(APP).read_text(encoding="utf-8")
    return [line.split('"')[1] for line in source.split("PAGES = (")[1].split(")\n\n")[0].splitlines() if '("' in line]


def test_nothing_is_open_without_signing_in(monkeypatch, store, tmp_path):
    at = open_app(monkeypatch, store)
    assert at.title[0].value == "モノサシにサインイン"
    assert not at.metric and not at.dataframe
    at.switch_page("dashboards/pages/overview.py").run()  # asking for a page directly changes nothing
    assert at.title[0].value == "モノサシにサインイン" and not at.metric
    at.text_input(key="signin_user").set_value("bob")
    at.text_input(key="signin_password").set_value("wrong-password")
    at.button[0].click().run()
    assert "パスワードが違う" in at.error[0].value and at.title[0].value == "モノサシにサインイン"
    empty = make_store(tmp_path / "empty.duckdb")
    fresh = open_app(monkeypatch, empty)
    assert "monosashi users add" in fresh.info[0].value  # no accounts: says how to make one


@pytest.mark.parametrize("user", ["ada", "bob", "vera"])
def test_every_page_checks_the_role(monkeypatch, store, user):
    at = sign_in(open_app(monkeypatch, store), user)
    role = {"ada": "admin", "bob": "buyer", "vera": "viewer"}[user]
    for page in app_pages():
        path = f"dashboards/pages/{page}.py"
        if access.page_allowed(Actor.person(user, role), page):
            at.switch_page(path).run()
            assert not at.exception, (user, page, at.exception)
            assert at.title, (user, page)
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(path)


def test_a_viewer_can_look_but_not_write(monkeypatch, store):
    at = sign_in(open_app(monkeypatch, store), "vera")
    at.switch_page("dashboards/pages/flags.py").run()
    assert at.button(key="flags_derive").disabled and at.button(key="flag_apply").disabled
    at.switch_page("dashboards/pages/requests.py").run()
    assert at.button(key="rq_save").disabled
    at.switch_page("dashboards/pages/supplier.py").run()
    at.text_input(key="supplier_page.search").set_value("S000003").run()
    assert at.button(key="portal_create").disabled


def open_portal(monkeypatch, store, token: str) -> AppTest:
    monkeypatch.setenv("MONOSASHI_DB", str(store.path))
    monkeypatch.delenv("MONOSASHI_SINGLE_USER", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["invite"] = token
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_portal_shows_one_supplier_and_nothing_else(monkeypatch, store):
    made = access.create_invitation(store, "S000005", Actor.person("bob", "buyer"))
    at = open_portal(monkeypatch, store, made.token)
    assert at.title[0].value == "サプライヤーポータル"
    assert "S000005" in at.subheader[0].value
    shown = " ".join(str(e.value) for e in [*at.subheader, *at.caption, *at.markdown])
    others = [f"S{n:06d}" for n in range(1, 41) if n != 5]
    assert not any(o in shown for o in others)
    labels = {b.label for b in at.get("download_button")}
    assert "ギャップレポート (Excel)" in labels and any("回答テンプレート" in label for label in labels)
    for page in app_pages():
        if page != "portal":
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(f"dashboards/pages/{page}.py")
    revoked = AppTest.from_file(APP, default_timeout=60)
    access.revoke_invitation(store, access.invitations(store)["invitation"][0], Actor.person("bob", "buyer"))
    revoked.query_params["invite"] = made.token
    revoked.run()
    assert "取り消されました" in revoked.error[0].value and not revoked.title and not revoked.dataframe


def test_the_portal_accepts_the_suppliers_own_answers_only(monkeypatch, store):
    made = access.create_invitation(store, "S000005", Actor.person("bob", "buyer"))
    at = open_portal(monkeypatch, store, made.token)
    master = samples.supplier_master_csv([{"supplier_id": "S000006", "name": "株式会社乗っ取り"}])
    at.file_uploader(key="portal_files_0").upload("master.csv", master, "text/csv").run()
    assert "回答ファイルだけを受け付けます" in at.error[0].value.replace("\\", "")
    assert at.button(key="portal_submit").disabled
    workbook = samples.scs_self_assessment_workbook(answered_on="2026-11-01", seed=4)  # names no supplier
    at.file_uploader(key="portal_files_0").upload("ours.xlsx", workbook, "application/octet-stream").run()
    at.button(key="portal_submit").click().run()
    assert not at.exception and at.success
    row = store.frame("SELECT s.supplier_id, s.imported_by FROM submission s WHERE s.source_name = 'ours.xlsx'").row(0)
    assert row == ("S000005", "portal:S000005")
    assert store.scalar("SELECT name FROM supplier WHERE supplier_id = 'S000006'") != "株式会社乗っ取り"


# -- the command line -----------------------------------------------------------------------------------

_ARGS = {
    "init": [],
    "demo": ["--suppliers", "5"],
    "catalogue": [],
    "catalogue import-texts": ["{file}"],
    "suppliers add": ["--id", "X1", "--name", "株式会社X"],
    "suppliers list": [],
    "import": ["{file}"],
    "history": [],
    "template": ["scs", "--supplier", "S000001", "-o", "{out}"],
    "profiles list": [],
    "profiles add": ["{file}"],
    "schema": [],
    "status": [],
    "explain": ["S000001", "1-2-1-1"],
    "renewals": [],
    "certificates import": ["{file}"],
    "certificates pending": [],
    "certificates confirm": ["CERT-0000001"],
    "certificates yearly-check": ["CERT-0000001", "--on", "2026-11-01"],
    "coverage": [],
    "links import": ["{file}"],
    "requests import": ["{file}"],
    "requests list": [],
    "requests letter": ["S000001", "-o", "{out}"],
    "flags": ["--no-derive"],
    "flags set": ["1", "--state", "acknowledged"],
    "gap-report": ["S000001", "-o", "{out}"],
    "serve": None,  # starts a server: checked by its role entry only
    "users add": ["zed", "--role", "viewer", "--password-stdin"],
    "users list": [],
    "users passwd": ["vera", "--password-stdin"],
    "users disable": ["vera"],
    "portal invite": ["S000001"],
    "portal list": [],
    "portal revoke": ["abcdefgh"],
    "proposals list": [],
    "proposals resolve": ["1", "--reject"],
    "audit verify": [],
    "backup": ["-o", "{out}"],
    "restore": ["{file}"],
    "remind": ["--dry-run"],
    "map": ["{file}"],
}


def _commands(group, prefix=""):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            if command.invoke_without_command:
                yield f"{prefix}{name}"
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}"


def test_every_command_has_a_role_and_a_test_case():
    commands = set(_commands(main))
    assert commands <= set(CLI_ROLES), sorted(commands - set(CLI_ROLES))
    assert commands <= set(_ARGS), sorted(commands - set(_ARGS))


@pytest.mark.parametrize("command", sorted(_ARGS))
def test_every_command_checks_the_role(cli_store, tmp_path, command, monkeypatch):
    store = cli_store
    args = _ARGS[command]
    needed = CLI_ROLES.get(command)
    if args is None or needed is None:
        pytest.skip(f"`monosashi {command}` needs no account")
    if command not in set(_commands(main)):
        pytest.skip(f"`monosashi {command}` is not part of this build")
    source = tmp_path / "in.csv"
    source.write_text("x\n", encoding="utf-8")
    argv = [
        *command.split(),
        *(a.format(file=source, out=tmp_path / "out.xlsx") for a in args),
        "--db",
        str(store.path),
    ]
    runner = CliRunner()
    for user, role in (("vera", "viewer"), ("bob", "buyer"), ("sam", "supplier")):
        monkeypatch.setenv("MONOSASHI_USER", user)
        monkeypatch.setenv("MONOSASHI_PASSWORD", PASSWORDS[user])
        result = runner.invoke(main, argv, input="new-password-1\n")
        denied = f"{user} ({role}) may not run this command; it needs the {needed} role" in result.output
        if (
            role == "supplier"
            or (role == "viewer" and needed in ("buyer", "admin"))
            or (role == "buyer" and needed == "admin")
        ):
            assert result.exit_code == 1 and denied, (command, user, result.output)
        else:
            assert not denied, (command, user, result.output)


def test_the_cli_signs_in_once_accounts_exist(store, monkeypatch, tmp_path):
    runner = CliRunner()
    monkeypatch.delenv("MONOSASHI_USER", raising=False)
    result = runner.invoke(main, ["suppliers", "list", "--db", str(store.path)])
    assert result.exit_code == 1 and "sign in with MONOSASHI_USER=your-account monosashi" in result.output
    monkeypatch.setenv("MONOSASHI_USER", "vera")
    monkeypatch.setenv("MONOSASHI_PASSWORD", "wrong-password")
    result = runner.invoke(main, ["suppliers", "list", "--db", str(store.path)])
    assert result.exit_code == 1 and "Wrong name or password" in result.output
    monkeypatch.setenv("MONOSASHI_PASSWORD", PASSWORDS["vera"])
    assert runner.invoke(main, ["suppliers", "list", "--db", str(store.path)]).exit_code == 0
    # a registry without accounts is in single-user local mode
    alone = make_store(tmp_path / "alone.duckdb", suppliers=3)
    monkeypatch.delenv("MONOSASHI_USER")
    assert runner.invoke(main, ["suppliers", "list", "--db", str(alone.path)]).exit_code == 0


def test_serve_makes_the_first_admin_and_shows_the_password_once(tmp_path, monkeypatch):
    from registry.cli import registry_cmds as cli

    path = tmp_path / "new.duckdb"
    shown = []
    monkeypatch.setattr(cli.click, "echo", lambda message="", **_: shown.append(str(message)))
    cli._first_admin(path)
    line = next(m for m in shown if "Sign in as: admin / " in m)
    password = line.split(" / ", 1)[1]
    from registry.store import Store

    assert access.authenticate(Store(path), "admin", password).role == "admin"
    shown.clear()
    cli._first_admin(path)
    assert not shown  # never again


def test_no_user_text_is_rendered_as_html():
    for path in [ROOT / "app.py", *(ROOT / "dashboards").rglob("*.py")]:
        assert "unsafe_allow_html" not in path.read_text(encoding="utf-8"), path
        assert "st.html(" not in path.read_text(encoding="utf-8"), path


def test_a_supplier_name_with_markup_shows_as_written(monkeypatch, tmp_path):
    from dashboards.ui import plain

    assert plain("[click](http://evil) <script>x</script> :red[!]") == (
        "\\[click\\]\\(http\\:\\/\\/evil\\) \\<script\\>x\\<\\/script\\> \\:red\\[\\!\\]"
    )
    store = make_store(tmp_path / "r.duckdb", suppliers=10, seed=1)
    with store.transaction(SYSTEM) as tx:
        tx.execute("UPDATE supplier SET name = '[click](http://evil.example)' WHERE supplier_id = 'S000002'")
    monkeypatch.setenv("MONOSASHI_DB", str(store.path))
    monkeypatch.setenv("MONOSASHI_SINGLE_USER", "1")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("dashboards/pages/supplier.py").run()
    at.text_input(key="supplier_page.search").set_value("S000002").run()
    assert at.subheader[0].value.startswith("\\[click\\]\\(http")
