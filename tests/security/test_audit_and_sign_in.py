"""Hole 10 (issue 14): refusals left no audit line; the audit log could be edited unnoticed;
identity-provider accounts answered a wrong password faster; weak passwords were accepted and
sign-in was not throttled; the registry's files were readable by everyone."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
import time_machine
from click.testing import CliRunner
from conftest import ADMIN, make_store
from security_support import BOB, PASSWORDS, registry_with_accounts

from registry import access, clock
from registry.cli import main
from registry.errors import AccessDenied, MonosashiError
from registry.store import Store, audit, backup


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return registry_with_accounts(tmp_path / "r.duckdb", suppliers=10)


# -- every refusal is audited -----------------------------------------------------------------------


def test_refused_portal_links_are_audited(store):
    made = access.create_invitation(store, "S000005", BOB)
    for token in ("not-a-token", made.token):
        if token == made.token:
            access.revoke_invitation(store, access.invitations(store)["invitation"][0], BOB)
        with pytest.raises(AccessDenied):
            access.redeem_invitation(store, token)
    refused = store.frame("SELECT actor, detail FROM audit_log WHERE action = 'invite_refused' ORDER BY audit_id")
    assert refused.height == 2
    assert "not valid" in refused["detail"][0] and "revoked" in refused["detail"][1]
    assert set(refused["actor"]) == {"system:portal"}


def test_failed_sign_ins_are_audited_with_the_client(store):
    with pytest.raises(AccessDenied):
        access.authenticate(store, "bob", "wrong-password-here", client="192.0.2.7")
    line = store.frame("SELECT entity_id, detail FROM audit_log WHERE action = 'sign_in_failed'").row(0)
    assert line[0] == "bob" and "192.0.2.7" in line[1]


# -- the hash chain ------------------------------------------------------------------------------------


def raw(store: Store, sql: str) -> None:
    """What someone with the file and plain SQL does, outside the registry."""
    con = duckdb.connect(str(store.path))
    con.execute(sql)
    con.close()


def test_the_chain_is_intact_after_ordinary_work(store):
    verdict = audit.verify(store)
    assert verdict.intact and verdict.lines == store.scalar("SELECT count(*) FROM audit_log") > 5


@pytest.mark.parametrize(
    ("attack", "first_broken"),
    [
        ("UPDATE audit_log SET detail = '[1]' WHERE audit_id = {victim}", "victim"),
        ("UPDATE audit_log SET actor = 'someone else' WHERE audit_id = {victim}", "victim"),
        ("DELETE FROM audit_log WHERE audit_id = {victim}", "next"),
        (
            "INSERT INTO audit_log (audit_id, logged_at, actor, action) SELECT {victim} * 1000, now(), 'x', 'backup'",
            "inserted",
        ),
    ],
)
def test_editing_the_log_with_plain_sql_is_found_at_the_first_line_touched(store, attack, first_broken):
    ids = store.frame("SELECT audit_id FROM audit_log ORDER BY audit_id")["audit_id"].to_list()
    victim = ids[len(ids) // 2]
    raw(store, attack.format(victim=victim))
    verdict = audit.verify(store)
    expected = {"victim": victim, "next": ids[ids.index(victim) + 1], "inserted": victim * 1000}[first_broken]
    assert not verdict.intact and verdict.first_broken == expected, verdict


def test_cli_audit_verify_names_the_first_broken_line(store):
    runner = CliRunner(env={"MONOSASHI_USER": "ada", "MONOSASHI_PASSWORD": PASSWORDS["ada"]})
    good = runner.invoke(main, ["audit", "verify", "--db", str(store.path)])
    assert good.exit_code == 0 and "intact" in good.output
    victim = store.scalar("SELECT min(audit_id) + 2 FROM audit_log")
    raw(store, f"UPDATE audit_log SET action = 'backup' WHERE audit_id = {victim}")
    bad = runner.invoke(main, ["audit", "verify", "--db", str(store.path)])
    assert bad.exit_code == 1 and f"broken at line {victim}" in bad.output


def test_a_backup_carries_the_chain(store, tmp_path):
    copy = tmp_path / "b.duckdb"
    backup.backup(store, copy, actor=ADMIN)
    assert audit.verify(Store(copy)).intact


# -- passwords and sign-in ---------------------------------------------------------------------------


@pytest.mark.parametrize("weak", ["1234567890", "password1234", "qwertyuiop12", "bob-bob-bob-1", "short-1"])
def test_weak_passwords_are_refused(store, weak):
    with pytest.raises(MonosashiError, match=r"easy to guess|at least 12"):
        access.set_password(store, "bob", weak, ADMIN)


def test_every_refusal_costs_one_password_check(store, monkeypatch):
    """Unknown name, identity-provider account, wrong password and disabled account all verify one
    argon2 hash, so that the time taken says nothing about which accounts exist."""
    access.add_user(store, "olga", "viewer", ADMIN, email="olga@example.jp")  # identity provider only
    access.set_user_disabled(store, "vera", True, ADMIN)
    calls: list[str] = []
    from registry.access import accounts

    real = accounts._HASHER

    class Counting:
        def verify(self, stored: str, password: str) -> bool:
            calls.append(stored[:9])
            return real.verify(stored, password)

    monkeypatch.setattr(accounts, "_HASHER", Counting())
    for user, password in (("nobody", "x" * 20), ("olga", "x" * 20), ("bob", "x" * 20), ("vera", PASSWORDS["vera"])):
        calls.clear()
        with pytest.raises(AccessDenied, match="Wrong name or password"):
            access.authenticate(store, user, password)
        assert len(calls) == 1 and calls[0] == "$argon2id", (user, calls)


def test_sign_in_is_throttled_per_account_and_per_client(store):
    for _ in range(access.FAILURES_PER_ACCOUNT_AND_CLIENT):
        with pytest.raises(AccessDenied, match="Wrong name or password"):
            access.authenticate(store, "bob", "not-bobs-password", client="198.51.100.1")
    with pytest.raises(AccessDenied, match="Too many failed sign-ins"):
        access.authenticate(store, "bob", PASSWORDS["bob"], client="198.51.100.1")  # right password, still locked
    # the guesser locked itself out, not bob: bob signs in from his own machine, ada is not touched
    assert access.authenticate(store, "bob", PASSWORDS["bob"], client="198.51.100.9").name == "bob"
    assert access.authenticate(store, "ada", PASSWORDS["ada"], client="198.51.100.1").role == "admin"
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'sign_in_throttled'") == 1
    with time_machine.travel(clock.now() + access.THROTTLE_WINDOW + timedelta(minutes=1)):
        assert access.authenticate(store, "bob", PASSWORDS["bob"], client="198.51.100.1").name == "bob"
    with time_machine.travel(clock.now() + 2 * access.THROTTLE_WINDOW):
        for n in range(access.FAILURES_PER_CLIENT):
            with pytest.raises(AccessDenied, match="Wrong name or password"):
                access.authenticate(store, f"guess{n}", "whatever-password", client="203.0.113.5")
        with pytest.raises(AccessDenied, match="Too many failed sign-ins"):
            access.authenticate(store, "ada", PASSWORDS["ada"], client="203.0.113.5")


def test_parallel_guesses_cannot_outrun_the_throttle(store):
    """Forty guesses at once on one account from one client: the first five are checked and
    fail, every other one is refused by the lock, without checking the password."""
    from concurrent.futures import ThreadPoolExecutor

    def guess(n: int) -> str:
        try:
            access.authenticate(store, "bob", f"wrong-guess-number-{n}", client="192.0.2.99")
        except AccessDenied as exc:
            return str(exc)
        return "signed in"

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(guess, range(40)))
    assert (
        answers.count("Wrong name or password, or the account is disabled.") == access.FAILURES_PER_ACCOUNT_AND_CLIENT
    )
    assert sum("Too many failed sign-ins" in a for a in answers) == 40 - access.FAILURES_PER_ACCOUNT_AND_CLIENT
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'sign_in_failed'") == 5


def test_a_password_change_ends_the_sessions_opened_before_it(store):
    session = access.authenticate(store, "bob", PASSWORDS["bob"])
    assert access.session_actor(store, session) == session
    with time_machine.travel(clock.now() + timedelta(minutes=1)):
        access.set_password(store, "bob", "kobai-tanto-no-atarashii-kagi", ADMIN)
        with pytest.raises(AccessDenied, match="password was changed"):
            access.session_actor(store, session)


@pytest.mark.parametrize(
    "weak",
    [
        "ｐａｓｓｗｏｒｄ１２３４",
        "ｍｏｎｏｓａｓｈｉ１２３",
        "monosashi-monosashi",
        "password    1234",
        "bob@example.jp",
    ],
)
def test_full_width_repeated_and_personal_passwords_are_refused(store, weak):
    with pytest.raises(MonosashiError, match=r"easy to guess|at least 12"):
        access.add_user(store, "carol", "viewer", ADMIN, password=weak, email="bob@example.jp")


def test_a_long_passphrase_is_judged_not_refused_with_a_traceback(store):
    access.set_password(store, "bob", "a long sentence about the blue river under the old bridge " * 10, ADMIN)
    with pytest.raises(MonosashiError, match="at most 1024"):
        access.set_password(store, "bob", "x" * 1025, ADMIN)


@pytest.mark.parametrize("name", ["admin\u200b", "ad\u202emin", " bob2", "bob 2", ""])
def test_sign_in_names_are_plain(store, name):
    with pytest.raises(MonosashiError, match="cannot be a sign-in name"):
        access.add_user(
            store, name.encode().decode("unicode_escape"), "viewer", ADMIN, password="a-sound-phrase-of-words"
        )


def test_e_mails_are_unique_without_case_and_must_be_verified(store):
    access.add_user(store, "olga", "viewer", ADMIN, email="Olga@Example.jp")
    with pytest.raises(MonosashiError, match="exists already"):
        access.add_user(store, "olga2", "admin", ADMIN, email="olga@example.jp")
    assert access.principal_for_email(store, "OLGA@example.jp").name == "olga"
    assert access.principal_for_email(store, "olga@example.jp", verified=False) is None


# -- files only their owner reads --------------------------------------------------------------------


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_the_registry_and_its_backups_are_private(tmp_path):
    store = make_store(tmp_path / "new.duckdb", suppliers=5)
    assert private(store.path)
    copy = tmp_path / "copy.duckdb"
    backup.backup(store, copy, actor=ADMIN)
    assert private(copy)
    backup.restore(store, copy, force=True, actor=ADMIN)
    kept = list(tmp_path.glob("new.duckdb.before-restore-*"))
    assert kept and all(private(p) for p in kept) and private(store.path)


def test_an_older_world_readable_registry_is_made_private_when_opened(tmp_path):
    store = make_store(tmp_path / "old.duckdb")
    store.path.chmod(0o644)
    store.scalar("SELECT 1")
    assert private(store.path)
