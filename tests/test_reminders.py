"""E-mail reminders against a real SMTP server in the test process (aiosmtpd): who gets what, in
which language, with which attachments, exactly once — across runs, refusals and a crash."""

from __future__ import annotations

import email
import io
import json
import shutil
import smtplib
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from email import policy as email_policy
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import time_machine
from click.testing import CliRunner
from conftest import ADMIN, AS_OF, SYSTEM, make_store, registry_data
from pydantic import ValidationError
from support.smtp import SmtpServer, free_port, running_smtp

from questionnaires.policy import default_policy
from questionnaires.reminders import default_reminder_policy
from registry.access import add_user
from registry.cli import main
from registry.domain import reminders as rules
from registry.domain.actor import Actor
from registry.domain.models import SupplierContact
from registry.errors import AccessDenied, MonosashiError
from registry.services import reminders
from registry.services.contacts import replace_contacts, set_owner, set_reminder_choice
from registry.services.flags import refresh
from registry.services.mail import Mailer, SmtpSettings
from registry.services.settings import save_settings
from registry.store import Store
from registry.store import reminders as stored
from registry.store.content import RegistryData, replace_registry

SENDER = "noreply@buyer.example.com"


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpServer, int]]:
    with running_smtp() as running:
        yield running


def _mailer(port: int) -> Mailer:
    return Mailer(SmtpSettings(host="127.0.0.1", port=port, security="none", sender=SENDER), password="")


def _link(supplier_id: str) -> tuple[str, date]:
    return f"https://monosashi.example/?invite=SECRET-{supplier_id}", AS_OF + timedelta(days=30)


def _registry(path: Path) -> Store:
    """Four suppliers: A's ISMS expires in 20 days (the 30-day window), B's Pマーク in 5 (the 7-day
    window), C was sent a ★3 request two days ago, D's ★4 request is ten days overdue."""
    base = registry_data(
        ["A", "B", "C", "D"],
        [("@buyer", s) for s in "ABCD"],
        certificates=[
            ("A", "iso27001", date(2024, 1, 10), AS_OF + timedelta(days=20)),
            ("B", "pmark", date(2025, 1, 10), AS_OF + timedelta(days=5)),
        ],
    )
    requests = pl.DataFrame(
        {
            "request_id": ["R-C", "R-D"],
            "supplier_id": ["C", "D"],
            "requested_level": [3, 4],
            "requested_on": [AS_OF - timedelta(days=3), AS_OF - timedelta(days=100)],
            "due_on": [AS_OF + timedelta(days=60), AS_OF - timedelta(days=10)],
            "state": ["sent", "sent"],
            "sent_on": [AS_OF - timedelta(days=2), AS_OF - timedelta(days=99)],
        },
        schema_overrides={"requested_level": pl.Int32},
    )
    store = make_store(path)
    data = RegistryData(suppliers=base.suppliers, links=base.links, certificates=base.certificates, requests=requests)
    replace_registry(store, data, SYSTEM, reason="test")
    save_settings(store, {"buyer.name": "株式会社見本自動車", "buyer.contact": "調達部 見本 03-0000-0000"}, ADMIN)
    for supplier_id, people in {
        "A": [("田中 一郎", "tanaka@a.example.com", "ja")],
        "B": [("Jane Smith", "jane@b.example.com", "en")],
        "C": [("佐藤 花子", "sato@c.example.com", "ja"), ("Ken Ito", "ken@c.example.com", "en")],
        "D": [("鈴木 翔", "suzuki@d.example.com", "ja")],
    }.items():
        replace_contacts(
            store,
            supplier_id,
            [SupplierContact(supplier_id=supplier_id, name=n, email=e, language=lang) for n, e, lang in people],
            ADMIN,
        )
    return store


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The registry, built once (the clock at AS_OF); each test gets a copy of the file."""
    with time_machine.travel(datetime.combine(AS_OF, time(12), tzinfo=UTC), tick=False):
        return _registry(tmp_path_factory.mktemp("reminders") / "built.duckdb").path


@pytest.fixture
def store(built: Path, tmp_path: Path) -> Store:
    copy = tmp_path / "reminders.duckdb"
    shutil.copyfile(built, copy)
    wal = built.with_name(built.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
    return Store(copy, lock_timeout=2.0)


EXPECTED = {
    ("certificate_expiring", "tanaka@a.example.com"),
    ("certificate_expiring", "jane@b.example.com"),
    ("request_sent", "sato@c.example.com"),
    ("request_sent", "ken@c.example.com"),
    ("request_overdue", "suzuki@d.example.com"),
}


def _sent(report: reminders.RunReport) -> set[tuple[str, str]]:
    frame = report.messages.filter(pl.col("outcome").is_in(["sent", "would_send"]))
    return set(zip(frame["kind"], frame["recipient"], strict=True))


def test_each_contact_gets_its_reminders_in_its_language(store: Store, smtp: tuple[SmtpServer, int]) -> None:
    server, port = smtp
    report = reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    assert _sent(report) == EXPECTED
    assert len(server.messages) == len(EXPECTED)
    for recipients, _ in server.messages:
        assert len(recipients) == 1  # one message, one recipient: nobody sees another's address

    (ja,) = server.to("tanaka@a.example.com")
    assert ja["Subject"] == "【株式会社見本自動車】ISMS (ISO/IEC 27001)の有効期限（2026-12-13）が近づいています"
    assert ja["To"].addresses[0].display_name == "田中 一郎"
    assert ja["From"].addresses[0].addr_spec == SENDER
    body = ja.get_body().get_content()
    assert "残り 20 日" in body and "調達部 見本 03-0000-0000" in body
    kept = stored.reminders(store, ["sent"]).filter(pl.col("recipient") == "tanaka@a.example.com")
    assert ja["Message-ID"] == kept["message_id"][0] and ja["Message-ID"].endswith("@buyer.example.com>")

    (en,) = server.to("jane@b.example.com")
    pmark = default_policy().schemes["pmark"].label_en
    assert en["Subject"] == f"[株式会社見本自動車] Your {pmark} expires on 2026-11-28"
    assert "expires on 2026-11-28, in 5 days" in en.get_body().get_content()
    (overdue,) = server.to("suzuki@d.example.com")
    assert "期日 " + (AS_OF - timedelta(days=10)).isoformat() + " を過ぎました" in overdue.get_body().get_content()


def test_japanese_subject_and_body_round_trip_through_the_wire_encoding(
    store: Store, smtp: tuple[SmtpServer, int]
) -> None:
    server, port = smtp
    reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    (message,) = server.to("sato@c.example.com")
    raw = message.as_bytes()
    assert b"=?utf-8?" in raw.split(b"\n\n", 1)[0].lower() or b"=?UTF-8?" in raw  # encoded, not raw 8-bit headers
    again = email.message_from_bytes(raw, policy=email_policy.default)
    kept = stored.reminders(store, ["sent"]).filter(pl.col("recipient") == "sato@c.example.com").row(0, named=True)
    assert again["Subject"] == kept["subject"] == "【株式会社見本自動車】SCS評価制度に基づく★3 取得のお願い"
    assert again.get_body().get_content().replace("\r\n", "\n").rstrip() == kept["body"].rstrip()
    assert "佐藤 花子 様" in kept["body"]


def test_the_request_letter_is_attached_and_the_gap_report_where_asked(
    store: Store, smtp: tuple[SmtpServer, int]
) -> None:
    server, port = smtp
    policy = default_reminder_policy().model_copy(update={"attach_gap_report": True})
    save_settings(store, {"reminder_policy": policy.model_dump_json()}, ADMIN)
    reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    (message,) = server.to("ken@c.example.com")
    files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert set(files) == {"★取得のお願い_R-C.xlsx", "gap-report_C.xlsx"}
    letter = openpyxl.load_workbook(io.BytesIO(files["★取得のお願い_R-C.xlsx"]))
    assert any("★取得のお願い" in str(c.value or "") for row in letter.active.iter_rows() for c in row)
    assert openpyxl.load_workbook(io.BytesIO(files["gap-report_C.xlsx"])).sheetnames
    (expiry,) = server.to("tanaka@a.example.com")
    assert not list(expiry.iter_attachments())  # only request reminders carry the letter and report


def test_exactly_one_message_per_reminder_across_two_runs(store: Store, smtp: tuple[SmtpServer, int]) -> None:
    server, port = smtp
    first = reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    second = reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    with time_machine.travel(datetime.combine(AS_OF + timedelta(days=1), time(7), tzinfo=UTC)):
        third = reminders.run(store, AS_OF + timedelta(days=1), actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    assert first.messages.height == len(EXPECTED)
    assert second.messages.is_empty() and third.messages.is_empty()
    assert len(server.messages) == len(EXPECTED)
    ids = [m["Message-ID"] for _, m in server.messages]
    assert len(set(ids)) == len(ids)


def test_the_next_window_is_a_new_reminder(store: Store, smtp: tuple[SmtpServer, int]) -> None:
    server, port = smtp
    reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    later = AS_OF + timedelta(days=14)  # A's ISMS now has 6 days left: the 7-day window
    with time_machine.travel(datetime.combine(later, time(7), tzinfo=UTC)):
        report = reminders.run(store, later, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    assert ("certificate_expiring", "tanaka@a.example.com") in _sent(report)
    assert len(server.to("tanaka@a.example.com")) == 2


def test_a_refusing_server_keeps_the_reminder_pending_then_it_is_sent_once(
    store: Store, smtp: tuple[SmtpServer, int]
) -> None:
    server, port = smtp
    server.refuse = 100
    first = reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    assert set(first.messages["outcome"]) == {"failed"}
    waiting = stored.reminders(store, ["pending"])
    assert waiting.height == len(EXPECTED)
    assert set(waiting["tries"]) == {1}
    reason = reminders.reason_parts(waiting["last_error"][0])
    assert reason is not None and reason[0] == "mail.recipient_refused" and "550" in reason[1]["reply"]
    server.refuse = 0
    # Back-off: a run a minute later leaves them alone; one after 15 minutes sends each once.
    assert reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link).messages.is_empty()
    with time_machine.travel(datetime.combine(AS_OF, time(12, 20), tzinfo=UTC)):
        retried = reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
        reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    assert _sent(retried) == EXPECTED
    assert len(server.messages) == len(EXPECTED)
    assert set(stored.reminders(store, ["sent"])["tries"]) == {2}


def test_sending_again_one_that_waits_for_its_next_try_skips_the_back_off(
    store: Store, smtp: tuple[SmtpServer, int]
) -> None:
    server, port = smtp
    server.refuse = 100
    reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    server.refuse = 0
    waiting = stored.reminders(store, ["pending"]).filter(pl.col("recipient") == "jane@b.example.com")
    assert reminders.resend(store, waiting["reminder_key"].to_list(), ADMIN) == 1
    report = reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    assert _sent(report) == {("certificate_expiring", "jane@b.example.com")}  # the others still wait


def test_a_server_out_of_reach_stops_the_run_and_keeps_everything_pending(store: Store) -> None:
    report = reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(free_port()), portal_link=_link)
    assert report.stopped is not None
    assert reminders.reason_parts(report.stopped)[0] == "mail.server_unreachable"
    assert stored.reminders(store, ["pending"]).height == len(EXPECTED)


def test_a_crash_between_send_and_record_never_sends_twice(
    store: Store, smtp: tuple[SmtpServer, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, port = smtp
    real = stored.set_reminder_state

    def crash_when_recording_sent(*args, **kwargs):
        if kwargs.get("fields", {}).get("state") == "sent":
            raise KeyboardInterrupt  # the process dies after the server took the message
        return real(*args, **kwargs)

    monkeypatch.setattr(stored, "set_reminder_state", crash_when_recording_sent)
    with pytest.raises(KeyboardInterrupt):
        reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    monkeypatch.undo()
    assert len(server.messages) == 1
    (crashed,) = stored.reminders(store, ["sending"]).iter_rows(named=True)
    assert server.messages[0][1]["Message-ID"] == crashed["message_id"]

    with time_machine.travel(datetime.combine(AS_OF + timedelta(days=1), time(7), tzinfo=UTC)):
        after = reminders.run(store, AS_OF + timedelta(days=1), actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    assert len(server.to(crashed["recipient"])) == 1  # restarted: the crashed one is not sent again
    assert len(server.messages) == len(EXPECTED)
    assert crashed["reminder_key"] not in set(after.messages["reminder_key"])
    failed = reminders.outbox(store, AS_OF)["failed"]
    assert failed.filter(pl.col("state") == "sending")["message_id"].to_list() == [crashed["message_id"]]


def test_the_dry_run_lists_exactly_what_the_real_run_sends(store: Store, smtp: tuple[SmtpServer, int]) -> None:
    server, port = smtp
    dry = reminders.run(store, AS_OF, actor=ADMIN, dry_run=True)
    assert store.scalar("SELECT count(*) FROM reminder") == 0 and not server.messages
    real = reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    assert _sent(dry) == _sent(real) == EXPECTED
    assert dict(zip(dry.messages["reminder_key"], dry.messages["subject"], strict=True)) == dict(
        zip(real.messages["reminder_key"], real.messages["subject"], strict=True)
    )


def test_line_breaks_in_names_cannot_add_headers(store: Store, smtp: tuple[SmtpServer, int]) -> None:
    server, port = smtp
    with store.transaction(SYSTEM) as tx:  # as if written before the checks, or by another tool
        tx.execute("UPDATE supplier_contact SET name = 'Eve\r\nBcc: spy@evil.example.com' WHERE supplier_id = 'A'")
        tx.execute("UPDATE supplier SET name = 'A社\nBcc: spy@evil.example.com' WHERE supplier_id = 'A'")
    save_settings(store, {"buyer.name": "見本\r\nBcc: spy@evil.example.com"}, ADMIN)
    reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    assert not server.to("spy@evil.example.com")
    for recipients, message in server.messages:
        assert "spy@evil.example.com" not in recipients
        assert message["Bcc"] is None
        for name in ("Subject", "To", "From"):
            assert "\n" not in str(message[name]) and "\r" not in str(message[name])
    # and the models refuse such a contact where it is entered: the line break becomes a space
    assert "\n" not in SupplierContact(supplier_id="A", name="Eve\r\nBcc: x", email="e@a.example.com").name


@pytest.mark.parametrize(
    "address", ["nope", "a@b", "tanaka@@example.com", "x@example.com\nBcc: y@evil.example.com", "名前@example.jp"]
)
def test_invalid_addresses_are_refused_where_they_are_entered(store: Store, address: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SupplierContact(supplier_id="A", name="田中", email=address)
    assert caught.value.errors()[0]["type"] == "email.invalid"
    with pytest.raises(MonosashiError, match="twice"):
        replace_contacts(
            store,
            "A",
            [SupplierContact(supplier_id="A", name=n, email="same@a.example.com") for n in ("一", "二")],
            ADMIN,
        )
    assert store.scalar("SELECT count(*) FROM supplier_contact WHERE supplier_id = 'A'") == 1


def test_an_oversized_attachment_is_replaced_by_a_portal_link(store: Store, smtp: tuple[SmtpServer, int]) -> None:
    server, port = smtp
    policy = default_reminder_policy().model_copy(update={"max_attachment_kb": 1})
    save_settings(store, {"reminder_policy": policy.model_dump_json()}, ADMIN)
    reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    (message,) = server.to("sato@c.example.com")
    assert not list(message.iter_attachments())
    body = message.get_body().get_content()
    assert "★取得のお願い_R-C.xlsx" in body and "https://monosashi.example/?invite=SECRET-C" in body
    kept = stored.reminders(store, ["sent"]).filter(pl.col("recipient") == "sato@c.example.com")["body"][0]
    assert "SECRET" not in kept and "invite=…" in kept  # the token is in the mail only, never kept


def test_opted_out_contacts_get_nothing_even_when_they_opt_out_after_planning(
    store: Store, smtp: tuple[SmtpServer, int]
) -> None:
    server, port = smtp
    replace_contacts(
        store,
        "A",
        [SupplierContact(supplier_id="A", name="田中 一郎", email="tanaka@a.example.com", opted_out=True)],
        ADMIN,
    )
    server.refuse = 100
    reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)  # planned, all refused
    assert not stored.reminders(store, ["pending"]).filter(pl.col("recipient") == "tanaka@a.example.com").height
    replace_contacts(
        store, "B", [SupplierContact(supplier_id="B", name="Jane", email="jane@b.example.com", opted_out=True)], ADMIN
    )
    server.refuse = 0
    with time_machine.travel(datetime.combine(AS_OF, time(13), tzinfo=UTC)):
        report = reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    assert not server.to("tanaka@a.example.com") and not server.to("jane@b.example.com")
    cancelled = report.messages.filter(pl.col("outcome") == "cancelled")
    assert cancelled["recipient"].to_list() == ["jane@b.example.com"]


def test_owners_get_a_digest_of_their_suppliers_flags(store: Store, smtp: tuple[SmtpServer, int]) -> None:
    server, port = smtp
    add_user(store, "hanako", "buyer", ADMIN, display_name="調達 花子", email="hanako@buyer.example.com")
    owner = Actor.person("hanako", "buyer", credential="hanako")
    set_owner(store, ["D", "A"], "hanako", ADMIN)
    set_reminder_choice(store, "hanako", digest="daily", language="ja", opted_out=False, actor=owner)
    refresh(store, AS_OF, actor=Actor.system("derive"))
    report = reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    assert ("owner_digest", "hanako@buyer.example.com") in _sent(report)
    (digest,) = server.to("hanako@buyer.example.com")
    body = digest.get_body().get_content()
    assert "調達 花子 さん" in body and "新しいフラグ" in body and "（D）" in body
    with pytest.raises(MonosashiError):  # each person chooses their own digest only
        set_reminder_choice(
            store,
            "hanako",
            digest="weekly",
            language="en",
            opted_out=True,
            actor=Actor.person("x", "buyer", credential="x"),
        )
    set_reminder_choice(store, "hanako", digest="daily", language="ja", opted_out=True, actor=owner)
    with time_machine.travel(datetime.combine(AS_OF + timedelta(days=1), time(7), tzinfo=UTC)):
        refresh(store, AS_OF + timedelta(days=1), actor=Actor.system("derive"))
        later = reminders.run(store, AS_OF + timedelta(days=1), actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    assert "owner_digest" not in set(later.messages["kind"])


def test_outbox_resend_and_cancel_are_audited(store: Store, smtp: tuple[SmtpServer, int]) -> None:
    server, port = smtp
    reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    sent = stored.reminders(store, ["sent"])
    key = sent.filter(pl.col("recipient") == "tanaka@a.example.com")["reminder_key"][0]
    old_id = sent.filter(pl.col("reminder_key") == key)["message_id"][0]
    assert reminders.resend(store, [key], ADMIN) == 1
    again = reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    assert again.messages["reminder_key"].to_list() == [key]
    ids = [m["Message-ID"] for m in server.to("tanaka@a.example.com")]
    assert ids[0] == old_id and ids[1] != old_id  # a deliberate resend is a new message
    reminders.queue_portal_link(store, "C", AS_OF, ADMIN)
    queued = stored.reminders(store, ["pending"])["reminder_key"].to_list()
    assert len(queued) == 2
    assert reminders.cancel(store, queued, ADMIN) == 2
    with pytest.raises(MonosashiError):
        reminders.cancel(store, queued, ADMIN)  # nothing left to cancel
    actions = store.frame("SELECT action FROM audit_log WHERE entity = 'reminder'")["action"].to_list()
    assert actions.count("reminder_resent") == 1 and actions.count("reminder_cancelled") == 2
    assert actions.count("queue_reminder") == 1 and "run_reminders" in actions
    with pytest.raises(MonosashiError):
        reminders.cancel(store, [key], Actor.person("v", "viewer"))


def test_a_portal_link_goes_out_fresh_and_is_never_kept(store: Store, smtp: tuple[SmtpServer, int]) -> None:
    server, port = smtp
    reminders.queue_portal_link(store, "B", AS_OF, ADMIN)
    reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    links = [m for m in server.to("jane@b.example.com") if m["X-Monosashi-Reminder"] == "portal_link"]
    assert len(links) == 1
    assert "https://monosashi.example/?invite=SECRET-B" in links[0].get_body().get_content()
    assert "until 2026-12-23" in links[0].get_body().get_content()
    assert "SECRET" not in "".join(stored.reminders(store, ["sent"])["body"].to_list())


def test_remind_cli_dry_run_and_real_run(store: Store, smtp: tuple[SmtpServer, int]) -> None:
    server, port = smtp
    save_settings(
        store, {"smtp.host": "127.0.0.1", "smtp.port": str(port), "smtp.security": "none", "smtp.sender": SENDER}, ADMIN
    )
    runner = CliRunner()
    db = ["--db", str(store.path)]
    dry = runner.invoke(main, ["remind", "--dry-run", "--json", *db])
    assert dry.exit_code == 0, dry.output
    listed = json.loads(dry.stdout)
    assert listed["dry_run"] is True and not server.messages
    real = runner.invoke(main, ["remind", "--json", *db])
    assert real.exit_code == 0, real.output
    done = json.loads(real.stdout)
    assert (
        {(m["kind"], m["recipient"]) for m in done["messages"]}
        == {(m["kind"], m["recipient"]) for m in listed["messages"]}
        == EXPECTED
    )
    assert done["counts"]["request_sent"] == {"sent": 2}
    assert len(server.messages) == len(EXPECTED)
    text = runner.invoke(main, ["remind", *db])
    assert text.exit_code == 0 and "0 messages" in text.output


def test_remind_cli_says_when_no_server_is_set(store: Store) -> None:
    result = CliRunner().invoke(main, ["remind", "--db", str(store.path)])
    assert result.exit_code != 0 and "Settings" in result.output


# -- the rules, pure ---------------------------------------------------------------------------------
def _certificates(**row: object) -> pl.DataFrame:
    base = {
        "certificate_id": "C1",
        "supplier_id": "S1",
        "name": "見本",
        "scheme": "scs_star4",
        "level": 4,
        "registration_no": "S4-1",
        "expires_on": AS_OF + timedelta(days=400),
        "state": "valid",
        "days_left": 400,
        "check_due_on": None,
    }
    return pl.DataFrame([{**base, **row}], schema_overrides={"check_due_on": pl.Date, "expires_on": pl.Date})


def _plan(certificates: pl.DataFrame) -> pl.DataFrame:
    contacts = pl.DataFrame(
        {"supplier_id": ["S1"], "contact_name": ["田中"], "email": ["t@s1.example.com"], "language": ["ja"]}
    )
    empty_requests = pl.DataFrame(
        schema={
            "request_id": pl.String,
            "supplier_id": pl.String,
            "name": pl.String,
            "requested_level": pl.Int32,
            "requested_on": pl.Date,
            "due_on": pl.Date,
            "sent_on": pl.Date,
            "state": pl.String,
            "days_to_due": pl.Int64,
        }
    )
    return rules.plan(
        as_of=AS_OF,
        policy=default_reminder_policy(),
        certificates=certificates,
        requests=empty_requests,
        contacts=contacts,
        owners=pl.DataFrame(),
        owned_flags=pl.DataFrame(),
    )


def test_the_star4_yearly_check_is_reminded_when_due_and_when_overdue() -> None:
    due = _plan(_certificates(state="self_assessment_due", check_due_on=AS_OF + timedelta(days=20)))
    late = _plan(_certificates(state="self_assessment_overdue", check_due_on=AS_OF - timedelta(days=3)))
    assert due["kind"].to_list() == ["yearly_check_due"] and late["kind"].to_list() == ["yearly_check_overdue"]
    assert json.loads(due["facts"][0])["check_due_on"] == (AS_OF + timedelta(days=20)).isoformat()


@pytest.mark.parametrize(
    ("days_left", "window"), [(95, None), (90, "90"), (31, "90"), (30, "30"), (8, "30"), (7, "7"), (0, "7")]
)
def test_a_certificate_is_reminded_once_per_window_it_enters(days_left: int, window: str | None) -> None:
    plan = _plan(
        _certificates(
            scheme="iso27001", state="expiring", days_left=days_left, expires_on=AS_OF + timedelta(days=days_left)
        )
    )
    assert plan["reminder_key"].to_list() == (
        [] if window is None else [f"certificate_expiring|C1|{window}|t@s1.example.com"]
    )


def test_back_off_grows_to_a_day_and_weekly_digests_go_on_the_chosen_day() -> None:
    now = datetime(2026, 11, 23, 7)
    waits = [rules.next_try(now, n) - now for n in (1, 2, 3, 4, 5)]
    assert waits == [
        timedelta(minutes=15),
        timedelta(hours=1),
        timedelta(hours=4),
        timedelta(hours=16),
        timedelta(days=1),
    ]
    monday = date(2026, 11, 23)
    assert rules.digest_period(monday, "weekly", 1) == (monday - timedelta(days=6), monday)
    assert rules.digest_period(monday + timedelta(days=1), "weekly", 1) is None
    assert rules.digest_period(monday, "daily", 1) == (monday, monday)
    assert rules.single_line("a\r\nBcc: x\u2028y") == "a Bcc: x y"


def test_a_pending_reminder_no_longer_due_is_cancelled_not_sent(store: Store, smtp: tuple[SmtpServer, int]) -> None:
    server, port = smtp
    server.refuse = 100
    reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    # A's ISMS is renewed before the retry: its expiry reminder must not go out any more.
    with store.transaction(SYSTEM) as tx:
        tx.execute(
            """INSERT INTO certificate (certificate_id, supplier_id, scheme, issued_on, expires_on, created_at)
               VALUES ('C-new', 'A', 'iso27001', ?, ?, now())""",
            [AS_OF - timedelta(days=1), AS_OF + timedelta(days=3 * 365)],
        )
    server.refuse = 0
    with time_machine.travel(datetime.combine(AS_OF, time(13), tzinfo=UTC)):
        assert ("certificate_expiring", "tanaka@a.example.com") not in _sent(
            reminders.run(store, AS_OF, actor=ADMIN, dry_run=True)
        )
        report = reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    assert not server.to("tanaka@a.example.com")
    cancelled = report.messages.filter(pl.col("outcome") == "cancelled").row(0, named=True)
    assert cancelled["recipient"] == "tanaka@a.example.com"
    assert reminders.reason_parts(cancelled["reason"])[0] == "mail.no_longer_due"


def test_remind_cli_json_exits_non_zero_when_the_server_is_out_of_reach(store: Store) -> None:
    settings = {
        "smtp.host": "127.0.0.1",
        "smtp.port": str(free_port()),
        "smtp.security": "none",
        "smtp.sender": SENDER,
    }
    save_settings(store, settings, ADMIN)
    result = CliRunner().invoke(main, ["remind", "--json", "--db", str(store.path)])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["stopped"]["key"] == "mail.server_unreachable" and "127.0.0.1" in doc["stopped"]["message"]


# -- after the attack review ---------------------------------------------------------------------------
def test_an_address_in_other_letters_is_kept_in_the_form_every_server_takes() -> None:
    contact = SupplierContact(supplier_id="A", name="山田", email="yamada@例え.jp")
    assert contact.email == "yamada@xn--r8jz45g.jp"


def test_a_connection_lost_after_the_message_was_handed_over_is_never_sent_again(
    store: Store, smtp: tuple[SmtpServer, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, port = smtp
    handed = smtplib.SMTP.data

    def taken_then_lost(self, msg):
        handed(self, msg)
        raise smtplib.SMTPServerDisconnected("connection closed")

    monkeypatch.setattr(smtplib.SMTP, "data", taken_then_lost)
    report = reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    monkeypatch.undo()
    assert reminders.reason_parts(report.stopped)[0] == "mail.connection_lost_while_sending"
    (unsure,) = stored.reminders(store, ["sending"]).iter_rows(named=True)
    assert len(server.messages) == 1
    with time_machine.travel(datetime.combine(AS_OF + timedelta(days=1), time(7), tzinfo=UTC)):
        reminders.run(store, AS_OF + timedelta(days=1), actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    assert len(server.to(unsure["recipient"])) == 1 and len(server.messages) == len(EXPECTED)


@pytest.mark.parametrize(
    "body",
    [
        "{% for a in new %}{% for b in new %}{% for c in new %}x{% endfor %}{% endfor %}{% endfor %}",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "{% macro f() %}{{ f() }}{{ f() }}{% endmacro %}{{ f() }}",
        "{{ 'x' * 1000000000 }}",
        "{{ 9 ** 9 ** 9 }}",
        "{{ supplier_name" + "|replace('', 'abcdefghij')" * 5 + " }}",
        "{{ ''.__class__.__mro__ }}",
    ],
)
def test_a_template_that_would_run_long_grow_large_or_escape_is_refused(store: Store, body: str) -> None:
    with pytest.raises(MonosashiError) as caught:
        reminders.preview(store, "certificate_expiring", "ja", "A", AS_OF, reminders.Template("件名", body))
    assert caught.value.key == "mail.template_invalid"


def test_a_broken_template_fails_its_own_messages_and_the_others_go(store: Store, smtp: tuple[SmtpServer, int]) -> None:
    server, port = smtp
    broken = {"subject": "期限", "body": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"}
    save_settings(store, {"mail_template.certificate_expiring.ja": json.dumps(broken)}, ADMIN)
    report = reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    failed = report.messages.filter(pl.col("outcome") == "failed")
    assert failed["recipient"].to_list() == ["tanaka@a.example.com"]
    assert report.stopped is None and len(server.messages) == len(EXPECTED) - 1


def test_a_crafted_name_cannot_show_or_add_another_address(store: Store, smtp: tuple[SmtpServer, int]) -> None:
    server, port = smtp
    crafted = {
        "A": "x" * 150 + " <evil@attacker.example>",
        "B": "=?utf-8?b?ZXZpbEBhdHRhY2tlci5leGFtcGxlLA==?= x",
        "C": "A" * 70 + ", evil@attacker.example",
    }
    with store.transaction(SYSTEM) as tx:
        for supplier_id, name in crafted.items():
            tx.execute("UPDATE supplier_contact SET name = ? WHERE supplier_id = ?", [name, supplier_id])
    reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    assert len(server.messages) == len(EXPECTED)
    for recipients, message in server.messages:
        (address,) = message["To"].addresses
        assert [address.addr_spec] == recipients and "evil" not in str(message["To"])


def test_no_template_can_keep_a_portal_token(store: Store, smtp: tuple[SmtpServer, int]) -> None:
    server, port = smtp
    leaky = {
        "subject": "{{ portal_link }}",
        "body": "{{ portal_link|replace('invite=', 'i=') }} {{ portal_link.split('invite=')[1] }} {{ portal_link|upper }}",
    }
    save_settings(store, {"mail_template.portal_link.en": json.dumps(leaky)}, ADMIN)
    reminders.queue_portal_link(store, "B", AS_OF, ADMIN)
    reminders.run(store, AS_OF, actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    (sent,) = [m for m in server.to("jane@b.example.com") if m["X-Monosashi-Reminder"] == "portal_link"]
    assert "SECRET-B" in sent["Subject"]  # the person gets the link …
    kept = stored.reminders(store, ["sent"]).filter(pl.col("kind") == "portal_link").row(0, named=True)
    assert "SECRET" not in kept["subject"] + kept["body"]  # … the registry never keeps it


def test_a_run_checks_the_actor_before_sending_anything(store: Store, smtp: tuple[SmtpServer, int]) -> None:
    server, port = smtp
    with pytest.raises(AccessDenied):
        reminders.run(store, AS_OF, actor=Actor.person("vera", "viewer"), mailer=_mailer(port), portal_link=_link)
    assert not server.messages and store.scalar("SELECT count(*) FROM reminder") == 0
    with pytest.raises(MonosashiError) as caught:
        reminders.run(store, AS_OF + timedelta(days=3), actor=ADMIN, mailer=_mailer(port), portal_link=_link)
    assert caught.value.key == "mail.as_of_future" and not server.messages


def test_a_message_being_sent_cannot_be_resent_or_cancelled_until_its_run_is_clearly_over(store: Store) -> None:
    reminders.queue_portal_link(store, "A", AS_OF, ADMIN)
    (key,) = stored.reminders(store, ["pending"])["reminder_key"].to_list()
    stored.set_reminder_state(store, key, SYSTEM, expect=("pending",), fields={"state": "sending"})
    with pytest.raises(MonosashiError):
        reminders.resend(store, [key], ADMIN)  # a run may hold it right now
    with time_machine.travel(datetime.combine(AS_OF, time(12, 30), tzinfo=UTC)):
        assert reminders.cancel(store, [key], ADMIN) == 1  # a run that stopped: a person settles it
