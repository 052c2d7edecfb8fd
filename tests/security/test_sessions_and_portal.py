"""Holes 6, 7 and 8 (issue 14): sessions outlived a revoked link or a disabled account; the
portal let junk fill the disk; ``serve --single-user`` listened on every interface."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ADMIN, AS_OF
from security_support import BOB, open_app, portal_actor, registry_with_accounts, sign_in
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest
from support import samples

from importers.base import SourceFile
from registry import access
from registry.cli import main
from registry.services import intake
from registry.services.intake import PORTAL_QUOTA
from registry.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return registry_with_accounts(tmp_path / "r.duckdb")


# -- hole 6: revoked is revoked -----------------------------------------------------------------------


def test_a_revoked_invitation_ends_the_open_portal_session(monkeypatch, store):
    made = access.create_invitation(store, "S000005", BOB)
    at = open_app(monkeypatch, store, invite=made.token)
    assert at.title[0].value == "サプライヤーポータル"
    access.revoke_invitation(store, access.invitations(store, "S000005")["invitation"][0], BOB)
    at.run()  # the supplier's next click
    assert not at.exception
    assert any("取り消されました" in e.value for e in at.error)
    assert not any(t.value == "サプライヤーポータル" for t in at.title)
    assert at.session_state["principal"] is None if "principal" in at.session_state else True
    ended = store.frame("SELECT actor, detail FROM audit_log WHERE action = 'session_ended'")
    assert ended.height == 1 and "revoked" in ended["detail"][0]


def test_a_disabled_account_is_signed_out_at_its_next_step(monkeypatch, store):
    at = sign_in(open_app(monkeypatch, store), "bob")
    assert at.title[0].value != "モノサシにサインイン"
    access.set_user_disabled(store, "bob", True, ADMIN)
    at.run()
    assert any("アカウントが無効になりました" in e.value for e in at.error)
    assert at.title[0].value == "モノサシにサインイン"


def test_a_changed_role_applies_at_the_next_step(monkeypatch, store):
    at = sign_in(open_app(monkeypatch, store), "bob")
    at.switch_page("dashboards/pages/flags.py").run()
    assert not at.button(key="flags_derive").disabled
    with store.transaction(ADMIN) as tx:  # an admin demotes bob to viewer
        tx.execute("UPDATE app_user SET role = 'viewer' WHERE user_id = 'bob'")
        tx.audit("change_user", entity="app_user", entity_id="bob", detail={"role": "viewer"})
    at.run()
    assert at.button(key="flags_derive").disabled


# -- hole 7: the portal's quota --------------------------------------------------------------------


def junk(n: int, size: int = 50_000) -> SourceFile:
    return SourceFile(f"junk-{n}.xlsx", os.urandom(size))


def test_rejected_portal_files_are_kept_only_up_to_the_quota(store):
    supplier = portal_actor(store, "S000005")
    blobs_before = store.scalar("SELECT coalesce(sum(size_bytes), 0) FROM file_blob")
    for round_ in range(3):
        files = [junk(round_ * 10 + i) for i in range(10)]
        done = intake.commit(
            store, intake.analyse(store, files, supplier_id="S000005"), mode="batch", actor=supplier, today=AS_OF
        )
        assert all(r.status == "rejected" for r in done)
    kept = store.frame(
        "SELECT count(*) FILTER (content_kept) AS kept, count(*) AS recorded FROM import_file WHERE via_invitation = ?",
        [f"invitation:{supplier.credential}"],
    ).row(0)
    assert kept == (PORTAL_QUOTA.kept_rejected_files, 30)  # every file is in the history; 20 keep their bytes
    grown = store.scalar("SELECT coalesce(sum(size_bytes), 0) FROM file_blob") - blobs_before
    assert grown <= PORTAL_QUOTA.kept_rejected_bytes
    lines = store.frame("SELECT detail FROM audit_log WHERE action = 'reject_file' AND actor = ?", [supplier.name])
    assert lines.height == 30 and sum('"content_kept": false' in d for d in lines["detail"]) == 10


def test_a_buyer_is_not_held_to_the_portal_quota(store):
    for round_ in range(3):
        files = [junk(100 + round_ * 10 + i, 1000) for i in range(10)]
        intake.commit(store, intake.analyse(store, files), mode="per_file", actor=BOB, today=AS_OF)
    assert store.scalar("SELECT count(*) FROM import_file WHERE content_kept AND imported_by = 'bob'") == 30


def test_the_portal_says_a_refused_file_was_refused(monkeypatch, store):
    made = access.create_invitation(store, "S000005", BOB)
    at = open_app(monkeypatch, store, invite=made.token)
    good = samples.scs_self_assessment_workbook(answered_on="2026-11-01", seed=4)
    at.file_uploader(key="portal_files_0").upload("ours.xlsx", good, "application/octet-stream").run()
    at.button(key="portal_submit").click().run()
    assert not at.exception and any("1 件を受け付けました" in s.value for s in at.success)


# -- hole 8: single-user mode is for this machine only ------------------------------------------------


def test_serve_single_user_listens_on_loopback_and_says_so(monkeypatch, tmp_path):
    started: list[list[str]] = []
    monkeypatch.setattr(os, "execvpe", lambda _exe, args, _env: started.append(args))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["serve", "--single-user", "--db", str(tmp_path / "r.duckdb")])
    assert result.exit_code == 0, result.output
    args = started[0]
    assert args[args.index("--server.address") + 1] == "127.0.0.1"
    assert "127.0.0.1 only" in result.output


def test_the_app_refuses_single_user_mode_on_a_reachable_address(monkeypatch, store):
    monkeypatch.setenv("MONOSASHI_DB", str(store.path))
    monkeypatch.setenv("MONOSASHI_SINGLE_USER", "1")
    previous = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")
    try:
        at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60)
        at.run()
    finally:
        st_config.set_option("server.address", previous)
    assert any("127.0.0.1" in e.value for e in at.error)
    assert not at.metric and not at.dataframe
