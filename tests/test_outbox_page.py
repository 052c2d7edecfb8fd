"""The Outbox page and the e-mail section of Settings under AppTest (issue 19): what goes out, what
was sent and what failed and why, in both languages; cancel and resend, audited; viewers only
look; the mail server, the timing and the texts saved only when they are valid."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from conftest import ADMIN, AS_OF, SYSTEM, make_store, registry_data
from streamlit.testing.v1 import AppTest  # noqa: TID251 (the pages under test)
from support.smtp import SmtpServer, running_smtp
from test_pages import open_app

from registry import access
from registry.domain.models import SupplierContact
from registry.services import reminders
from registry.services.audit import audit_entries
from registry.services.contacts import replace_contacts
from registry.services.mail import Mailer, SmtpSettings
from registry.services.settings import save_settings
from registry.store import Store
from registry.store import reminders as stored
from registry.store.content import replace_registry

APP = str(Path(__file__).resolve().parent.parent / "app.py")
OUTBOX = "dashboards/pages/outbox.py"
SETTINGS = "dashboards/pages/settings.py"
SENDER = "noreply@buyer.example.com"
VIEWER_PASSWORD = "Hoshi-zora-ni-aruku-99"
# Codes that must never reach a table: kinds and languages (states are checked by their labels,
# some of which read like their codes in English).
CODES = {*reminders.KINDS, "ja", "en", "None", "null", "nan"}


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpServer, int]]:
    with running_smtp(refused=("jane@",)) as running:  # one mailbox refuses: its reminder fails
        yield running


def _link(supplier_id: str) -> tuple[str, date]:
    return f"https://monosashi.example/?invite=SECRET-{supplier_id}", AS_OF + timedelta(days=30)


@pytest.fixture
def registry(tmp_path: Path, smtp: tuple[SmtpServer, int]) -> Store:
    """Two suppliers whose certificates expire soon: A's contact (Japanese) was sent its reminder,
    B's (English) was refused by the server; A has a portal link waiting to go out today."""
    _, port = smtp
    store = make_store(tmp_path / "outbox.duckdb")
    replace_registry(
        store,
        registry_data(
            ["A", "B"],
            [("@buyer", "A"), ("@buyer", "B")],
            certificates=[
                ("A", "iso27001", date(2024, 1, 10), AS_OF + timedelta(days=20)),
                ("B", "pmark", date(2025, 1, 10), AS_OF + timedelta(days=5)),
            ],
        ),
        SYSTEM,
        reason="test",
    )
    save_settings(store, {"buyer.name": "株式会社見本自動車"}, ADMIN)
    replace_contacts(
        store, "A", [SupplierContact(supplier_id="A", name="田中 一郎", email="tanaka@a.example.com")], ADMIN
    )
    replace_contacts(
        store,
        "B",
        [SupplierContact(supplier_id="B", name="Jane Smith", email="jane@b.example.com", language="en")],
        ADMIN,
    )
    mailer = Mailer(SmtpSettings(host="127.0.0.1", port=port, security="none", sender=SENDER), password="")
    report = reminders.run(store, AS_OF, actor=ADMIN, mailer=mailer, portal_link=_link)
    assert sorted(report.messages["outcome"]) == ["failed", "sent"]
    reminders.queue_portal_link(store, "A", AS_OF, ADMIN)
    save_settings(
        store,
        {"smtp.host": "127.0.0.1", "smtp.port": str(port), "smtp.security": "none", "smtp.sender": SENDER},
        ADMIN,
    )
    access.add_user(store, "vera", "viewer", ADMIN, password=VIEWER_PASSWORD)
    return store


def _outbox(monkeypatch, store: Store, lang: str = "ja") -> AppTest:
    at = open_app(monkeypatch, store.path)
    if lang != "ja":
        at.sidebar.radio(key="lang").set_value(lang).run()
    at.switch_page(OUTBOX).run()
    assert not at.exception, at.exception
    return at


def _row(store: Store, kind: str, recipient: str) -> dict:
    rows = stored.reminders(store, ["pending", "sending", "sent", "failed", "cancelled"])
    return rows.filter((pl.col("kind") == kind) & (pl.col("recipient") == recipient)).row(0, named=True)


def _tables(at: AppTest) -> list:
    return [table.value for table in at.dataframe if not table.proto.editing_mode]


def _table(at: AppTest, *columns: str):
    """The one list with these columns: today's has "send_on", the sent "message_id", the failed
    "next_try_at", the cancelled "changed_at" and "subject"."""
    found = [frame for frame in _tables(at) if set(columns) <= set(frame)]
    assert len(found) == 1, (columns, [list(f) for f in _tables(at)])
    return found[0]


def _shown_text(at: AppTest) -> str:
    cells = " ".join(str(v) for frame in _tables(at) for column in frame for v in frame[column])
    boxes = [*at.title, *at.caption, *at.info, *at.warning, *at.error, *at.success, *at.code, *at.metric]
    labels = [b.label for b in at.button] + [t.label for t in at.tabs]
    return " ".join([cells, *(str(getattr(b, "value", "")) for b in boxes), *labels])


@pytest.mark.parametrize(
    ("lang", "pending_kind", "reason", "state"),
    [
        ("ja", "ポータルのリンク", "メールサーバーが宛先を拒否しました（550 5.1.1 mailbox unavailable）", "送信待ち"),
        ("en", "Portal link", "The mail server refused the recipient (550 5.1.1 mailbox unavailable)", "pending"),
    ],
)
def test_the_outbox_lists_what_goes_out_and_what_failed_with_its_reason(
    monkeypatch, registry, lang, pending_kind, reason, state
):
    at = _outbox(monkeypatch, registry, lang)
    today, sent, failed = _table(at, "send_on"), _table(at, "message_id"), _table(at, "next_try_at")
    assert list(today["kind"]) == [pending_kind] and list(today["recipient"]) == ["tanaka@a.example.com"]
    assert list(sent["recipient"]) == ["tanaka@a.example.com"]
    assert list(failed["recipient"]) == ["jane@b.example.com"]
    assert list(failed["reason"]) == [reason] and list(failed["state"]) == [state]
    for frame in _tables(at):
        assert not frame.isna().any().any()
        assert not {str(v) for column in frame for v in frame[column]} & CODES, frame
    # The sent message is shown whole, as plain text: the portal link's token never kept.
    header, body = (code.value for code in at.code[:2])
    assert "tanaka@a.example.com" in header and "@buyer.example.com>" in header
    assert "田中 一郎" in body and "SECRET" not in body


def test_an_unconfirmed_send_says_to_check_before_sending_again(monkeypatch, registry):
    key = _row(registry, "portal_link", "tanaka@a.example.com")["reminder_key"]
    stored.set_reminder_state(registry, key, SYSTEM, expect=("pending",), fields={"state": "sending"})
    at = _outbox(monkeypatch, registry, "en")
    reasons = list(_table(at, "next_try_at")["reason"])
    message_id = _row(registry, "portal_link", "tanaka@a.example.com")["message_id"]
    assert any(f"Check whether the message {message_id} arrived before sending it again" in r for r in reasons)
    assert "sending (unconfirmed)" in list(_table(at, "next_try_at")["state"])


def test_resend_and_cancel_change_the_state_and_leave_an_audit_line(monkeypatch, registry):
    refused = _row(registry, "certificate_expiring", "jane@b.example.com")
    assert refused["state"] == "pending" and refused["tries"] == 1  # tried again later by itself
    stored.set_reminder_state(  # until the policy's last try: given up
        registry, refused["reminder_key"], SYSTEM, expect=("pending",), fields={"state": "failed"}
    )
    at = _outbox(monkeypatch, registry)
    assert list(_table(at, "next_try_at")["state"]) == ["送信できず"]
    at.multiselect(key="outbox_failed_chosen").select(refused["reminder_key"]).run()
    at.button(key="outbox_resend").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "1 件のメールを送信待ちに戻しました。次の送信で送られます。"
    again = _row(registry, "certificate_expiring", "jane@b.example.com")
    assert again["tries"] == 0 and again["next_try_at"] is None
    assert at.multiselect(key="outbox_failed_chosen").value == []

    waiting = _row(registry, "portal_link", "tanaka@a.example.com")["reminder_key"]
    at.multiselect(key="outbox_today_chosen").select(waiting).run()
    at.button(key="outbox_today_cancel").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "1 件のメールを取り消しました。"
    assert _row(registry, "portal_link", "tanaka@a.example.com")["state"] == "cancelled"
    assert list(_table(at, "changed_at", "subject")["kind"]) == ["ポータルのリンク"]

    lines = audit_entries(registry, actions=["reminder_resent", "reminder_cancelled"])
    assert set(zip(lines["action"], lines["entity_id"], strict=True)) == {
        ("reminder_resent", refused["reminder_key"]),
        ("reminder_cancelled", waiting),
    }


def test_send_now_sends_through_the_servers_settings(monkeypatch, registry, smtp):
    server, _ = smtp
    before = len(server.messages)
    at = _outbox(monkeypatch, registry, "en")
    at.button(key="outbox_dry_run").click().run()
    assert "A run now would send 1 e-mails." in at.info[0].value
    assert len(server.messages) == before  # counting sends nothing
    at.button(key="outbox_send").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "Sent 1, not sent 0, cancelled 0."
    assert len(server.messages) == before + 1
    assert _row(registry, "portal_link", "tanaka@a.example.com")["state"] == "sent"
    assert at.button(key="outbox_send").disabled  # nothing left for today


def test_a_viewer_sees_the_outbox_but_every_button_is_greyed_out(monkeypatch, registry):
    monkeypatch.setenv("MONOSASHI_DB", str(registry.path))
    monkeypatch.delenv("MONOSASHI_SINGLE_USER", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.text_input(key="signin_user").set_value("vera")
    at.text_input(key="signin_password").set_value(VIEWER_PASSWORD)
    at.button[0].click().run()
    at.switch_page(OUTBOX).run()
    assert not at.exception, at.exception
    at.multiselect(key="outbox_failed_chosen").select(
        _row(registry, "certificate_expiring", "jane@b.example.com")["reminder_key"]
    ).run()
    at.multiselect(key="outbox_today_chosen").select(
        _row(registry, "portal_link", "tanaka@a.example.com")["reminder_key"]
    ).run()
    for key in ("outbox_send", "outbox_today_cancel", "outbox_resend", "outbox_cancel", "outbox_sent_resend"):
        assert at.button(key=key).disabled, key
    assert not at.button(key="outbox_dry_run").disabled  # counting writes nothing


def _settings(monkeypatch, store: Store, lang: str = "ja") -> AppTest:
    at = open_app(monkeypatch, store.path)
    if lang != "ja":
        at.sidebar.radio(key="lang").set_value(lang).run()
    at.switch_page(SETTINGS).run()
    assert not at.exception, at.exception
    return at


def test_settings_save_the_mail_server_and_refuse_a_bad_sender(monkeypatch, tmp_path):
    store = make_store(tmp_path / "r.duckdb")
    monkeypatch.delenv("MONOSASHI_SMTP_PASSWORD", raising=False)
    monkeypatch.setenv("MONOSASHI_SECRETS", str(tmp_path / "no-secrets.toml"))
    at = _settings(monkeypatch, store)
    assert any("パスワードは見つかりません" in c.value for c in at.caption)
    at.text_input(key="settings_smtp_host").set_value("smtp.example.co.jp")
    at.text_input(key="settings_smtp_sender").set_value("not-an-address")
    at.button(key="settings_mail_save").click().run()
    assert "「not-an-address」は送信元のメールアドレスとして使えません" in at.error[0].value.replace("\\", "")
    assert store.setting("smtp.host") is None  # nothing saved

    at.text_input(key="settings_smtp_host").set_value("smtp.example.co.jp")
    at.text_input(key="settings_smtp_sender").set_value("noreply@example.co.jp")
    at.number_input(key="settings_smtp_port").set_value(465)
    at.radio(key="settings_smtp_security.ja").set_value("SSL/TLS（通常はポート 465）")
    at.text_input(key="settings_base_url").set_value("https://monosashi.example.co.jp/")
    at.button(key="settings_mail_save").click().run()
    assert not at.exception, at.exception
    assert at.success[-1].value == "メールの設定を保存しました。"
    assert [store.setting(k) for k in ("smtp.host", "smtp.port", "smtp.security", "smtp.sender", "app.base_url")] == [
        "smtp.example.co.jp",
        "465",
        "ssl",
        "noreply@example.co.jp",
        "https://monosashi.example.co.jp",
    ]
    monkeypatch.setenv("MONOSASHI_SMTP_PASSWORD", "s3cret-value")
    at.run()
    assert any("パスワードは設定されています" in c.value for c in at.caption)
    assert "s3cret-value" not in _shown_text(at)


def test_settings_save_the_timing_and_refuse_windows_out_of_order(monkeypatch, tmp_path):
    store = make_store(tmp_path / "r.duckdb")
    at = _settings(monkeypatch, store, "en")
    at.text_input(key="settings_mail_windows").set_value("7, 30")
    at.button(key="settings_mail_policy_save").click().run()
    assert "largest first" in at.error[0].value and store.setting("reminder_policy") is None
    at.text_input(key="settings_mail_windows").set_value("60, 14")
    at.checkbox(key="settings_mail_gap").check()
    at.button(key="settings_mail_policy_save").click().run()
    assert not at.exception, at.exception
    saved = reminders.reminder_policy(store)
    assert saved.expiry_windows_days == (60, 14) and saved.attach_gap_report
    at.button(key="settings_mail_policy_reset").click().run()
    assert store.setting("reminder_policy") is None
    assert at.text_input(key="settings_mail_windows").value == "90, 30, 7"


def test_a_template_is_previewed_on_a_real_supplier_and_a_broken_one_is_not_saved(monkeypatch, registry):
    at = _settings(monkeypatch, registry)
    at.text_input(key="settings_tpl_supplier.search").set_value("B").run()
    at.text_area(key="settings_tpl_body.certificate_expiring.ja").set_value(
        "{{ supplier_name }} {{ recipient_name }} 様: {{ expires_on }} まで"
    )
    at.button(key="settings_tpl_preview").click().run()
    assert not at.exception, at.exception
    subject, body = (code.value for code in at.code[-2:])
    assert "株式会社見本自動車" in subject
    assert body.startswith(f"テストB株式会社 Jane Smith 様: {AS_OF + timedelta(days=5)} まで")
    assert registry.setting("mail_template.certificate_expiring.ja") is None  # a preview saves nothing

    for broken in ("{{ unknown_name }}", "{% if %}"):
        at.text_area(key="settings_tpl_body.certificate_expiring.ja").set_value(broken)
        at.button(key="settings_tpl_save").click().run()
        assert not at.exception, at.exception
        assert "メールのテンプレートを読めません" in at.error[0].value
        assert registry.setting("mail_template.certificate_expiring.ja") is None

    at.text_area(key="settings_tpl_body.certificate_expiring.ja").set_value("{{ supplier_name }} 様")
    at.button(key="settings_tpl_save").click().run()
    assert "の文面を保存しました" in at.success[0].value
    assert reminders.mail_templates(registry)[("certificate_expiring", "ja")].body == "{{ supplier_name }} 様"
    at.button(key="settings_tpl_reset").click().run()
    assert registry.setting("mail_template.certificate_expiring.ja") is None
    assert "{{ scheme_label }}" in at.text_area(key="settings_tpl_body.certificate_expiring.ja").value
