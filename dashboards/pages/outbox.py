"""Outbox: the reminder e-mails — what goes out today (send now, or count first), what was sent
(each message as it went out, as plain text), and what could not be sent and why (send again or
cancel)."""

from datetime import date
from typing import Any

import polars as pl
import streamlit as st

from dashboards import ui
from dashboards.ui import tr
from registry import access
from registry.errors import MonosashiError
from registry.services import reminders
from registry.services.mail import smtp_settings

SAID = "outbox.said"  # what the last action said, shown after the page is drawn again
OFFERED = 500  # reminders each choice offers (the list's first): thousands of options are too heavy

store = ui.store()
as_of = ui.as_of()
lang = ui.lang()


def reason(row: dict[str, Any]) -> str:
    """Why a reminder is not sent, in the reader's language (the row keeps a message key)."""
    if row["state"] == "sending":
        return MonosashiError("mail.unconfirmed", message_id=row["message_id"]).text(lang)
    return reminders.reason_text(row["last_error"], lang) or "—"


def with_reasons(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.Series("reason", [reason(row) for row in frame.iter_rows(named=True)], dtype=pl.String)
    )


def shown(frame: pl.DataFrame, columns: list[str]) -> None:
    """A list of reminders with kinds, states and languages in words."""
    words = {"kind": "reminder.kind", "language": "outbox.language", "state": "reminder.state"}
    table = ui.labelled(frame.select(columns), **{c: p for c, p in words.items() if c in columns})
    ui.table(table, labels={c: tr(f"outbox.col.{c}") for c in columns if c != "supplier_id"})


def choice(frame: pl.DataFrame) -> dict[str, str]:
    """Reminders to choose from, each as its kind, supplier and recipient."""
    return {
        row["reminder_key"]: ui.tr_text(
            "outbox.choice",
            kind=ui.tr_text(f"reminder.kind.{row['kind']}"),
            supplier=row["supplier_id"] or "",
            recipient=row["recipient"],
        )
        for row in frame.head(OFFERED).iter_rows(named=True)
    }


def change(action: Any, keys: list[str], done: str, chosen_key: str) -> None:
    """Cancel or send again, then draw the page again with what it did."""
    try:
        n = action(store, keys, ui.actor())
    except MonosashiError as exc:
        st.session_state[SAID] = [("error", ui.error_text(exc))]
    else:
        st.session_state[SAID] = [("success", tr(done, n=n))]
    st.session_state.pop(chosen_key, None)
    st.rerun()


def act_on(frame: pl.DataFrame, key: str, prompt: str, actions: list[tuple[str, str, Any, str, str]]) -> None:
    """A choice of reminders and, side by side, a button per action: (button key, label key,
    service function, the key of what it says when done, the permission it needs)."""
    labels = choice(frame)
    chosen = st.multiselect(tr(prompt), list(labels), format_func=labels.get, key=key, placeholder=tr("app.choose"))
    buttons = st.columns(len(actions))
    for n, (button, label, action, done, permission) in enumerate(actions):
        if buttons[n].button(
            tr(label, n=len(chosen)),
            type="primary" if n == 0 and len(actions) > 1 else "secondary",
            key=button,
            disabled=not chosen or not ui.allowed(permission),
        ):
            change(action, chosen, done, key)


def portal_link(supplier_id: str) -> tuple[str, date]:
    """A fresh portal link for a reminder that carries one: this app's address from Settings, else
    the address the page was opened at."""
    made = access.create_invitation(store, supplier_id, ui.actor(), 30)
    base = store.setting("app.base_url")
    link = access.portal_address(base, made.token) if base else ui.portal_link(made.token)
    return link, made.expires_at.date()


st.title(tr("outbox.title"))
st.caption(tr("outbox.caption", as_of=as_of.isoformat()))
for kind, text in st.session_state.pop(SAID, []):
    getattr(st, kind)(text)
try:
    configured = smtp_settings(store) is not None
except MonosashiError as exc:
    st.error(ui.error_text(exc))
    configured = False
if not configured:
    st.warning(tr("mail.not_configured"))
    ui.link(st, "dashboards/pages/settings.py", tr("outbox.to_settings"), ":material/settings:")

lists = reminders.outbox(store, as_of)
today, sent, failed, cancelled = lists["today"], lists["sent"], lists["failed"], lists["cancelled"]
counts = st.columns(3)
counts[0].metric(tr("outbox.metric.today"), f"{today.height:,}")
counts[1].metric(tr("outbox.metric.sent"), f"{sent.height:,}")
counts[2].metric(tr("outbox.metric.failed"), f"{failed.height:,}")

tab_today, tab_sent, tab_failed, tab_cancelled = st.tabs(
    [
        f"{ui.tr_text('outbox.tab.today')} ({today.height:,})",
        f"{ui.tr_text('outbox.tab.sent')} ({sent.height:,})",
        f"{ui.tr_text('outbox.tab.failed')} ({failed.height:,})",
        f"{ui.tr_text('outbox.tab.cancelled')} ({cancelled.height:,})",
    ]
)

with tab_today:
    st.caption(tr("outbox.today.caption"))
    if today.is_empty():
        st.info(tr("outbox.today.empty"))
    else:
        shown(
            today,
            ["kind", "supplier_id", "recipient_name", "recipient", "language", "send_on", "due_on", "subject", "tries"],
        )
    buttons = st.columns(2)
    if buttons[0].button(
        tr("outbox.send", n=f"{today.height:,}"),
        type="primary",
        key="outbox_send",
        help=tr("outbox.send.help"),
        disabled=today.is_empty() or not configured or not ui.allowed("run_reminders"),
    ):
        try:
            report = reminders.run(store, as_of, actor=ui.actor(), portal_link=portal_link)
        except MonosashiError as exc:
            st.session_state[SAID] = [("error", ui.error_text(exc))]
        else:
            outcomes = report.messages["outcome"].to_list()
            said = [
                (
                    "success",
                    tr(
                        "outbox.sent_now",
                        sent=outcomes.count("sent"),
                        failed=outcomes.count("failed"),
                        cancelled=outcomes.count("cancelled"),
                    ),
                )
            ]
            if report.stopped:  # the server out of reach: its reply is kept with the reminder
                stopping = report.messages.filter(pl.col("reason") == report.stopped)["reminder_key"].to_list()
                rows = reminders.outbox(store, as_of)["failed"].filter(pl.col("reminder_key").is_in(stopping))
                why = reason(rows.row(0, named=True)) if rows.height else report.stopped
                said.append(("warning", tr("outbox.stopped", reason=why)))
            st.session_state[SAID] = said
        st.rerun()
    if buttons[1].button(tr("outbox.dry_run"), key="outbox_dry_run", help=tr("outbox.dry_run.help")):
        counted = reminders.run(store, as_of, actor=ui.actor(), dry_run=True)
        st.info(tr("outbox.dry_run.done", n=f"{counted.messages.height:,}"))
        for kind, outcomes in counted.counts.items():
            st.text(
                ui.tr_text("outbox.dry_run.kind", kind=ui.tr_text(f"reminder.kind.{kind}"), n=sum(outcomes.values()))
            )
    waiting = today.filter(~pl.col("new"))  # only reminders already planned can be cancelled
    if waiting.height:
        act_on(
            waiting,
            "outbox_today_chosen",
            "outbox.cancel.choose",
            [("outbox_today_cancel", "outbox.cancel", reminders.cancel, "outbox.cancelled", "reminder_cancelled")],
        )

with tab_sent:
    st.caption(tr("outbox.sent.caption"))
    if sent.is_empty():
        st.info(tr("outbox.sent.empty"))
    else:
        shown(sent, ["sent_at", "kind", "supplier_id", "recipient", "subject", "attachments", "message_id"])
        labels = {
            row["reminder_key"]: f"{row['sent_at']:%Y-%m-%d %H:%M} {row['recipient']} — {row['subject']}"
            for row in sent.head(OFFERED).iter_rows(named=True)
        }
        picked = st.selectbox(tr("outbox.sent.pick"), list(labels), format_func=labels.get, key="outbox_sent_pick")
        message = sent.filter(pl.col("reminder_key") == picked).row(0, named=True)
        to = (
            f"{message['recipient_name']} <{message['recipient']}>"
            if message["recipient_name"]
            else message["recipient"]
        )
        header = [
            (ui.tr_text("outbox.message.to"), to),
            (ui.tr_text("outbox.message.subject"), message["subject"] or "—"),
            (ui.tr_text("outbox.message.sent_at"), f"{message['sent_at']:%Y-%m-%d %H:%M}"),
            (ui.tr_text("outbox.message.message_id"), message["message_id"]),
            (
                ui.tr_text("outbox.message.attachments"),
                message["attachments"] or ui.tr_text("outbox.message.no_attachments"),
            ),
        ]
        # What was sent came partly from outside (names, addresses): shown as text, never Markdown.
        st.code("\n".join(f"{label}: {value}" for label, value in header), language=None, wrap_lines=True)
        st.caption(tr("outbox.message.body"))
        st.code(message["body"] or "—", language=None, wrap_lines=True)
        if st.button(tr("outbox.sent.resend"), key="outbox_sent_resend", disabled=not ui.allowed("reminder_resent")):
            change(reminders.resend, [picked], "outbox.resent", "outbox_sent_pick")

with tab_failed:
    st.caption(tr("outbox.failed.caption"))
    if failed.is_empty():
        st.info(tr("outbox.failed.empty"))
    else:
        failed = with_reasons(failed)
        shown(failed, ["state", "kind", "supplier_id", "recipient", "reason", "tries", "next_try_at", "changed_at"])
        act_on(
            failed,
            "outbox_failed_chosen",
            "outbox.resend.choose",
            [
                ("outbox_resend", "outbox.resend", reminders.resend, "outbox.resent", "reminder_resent"),
                ("outbox_cancel", "outbox.cancel", reminders.cancel, "outbox.cancelled", "reminder_cancelled"),
            ],
        )

with tab_cancelled:
    if cancelled.is_empty():
        st.info(tr("outbox.cancelled.empty"))
    else:
        cancelled = with_reasons(cancelled)
        shown(cancelled, ["changed_at", "kind", "supplier_id", "recipient", "reason", "subject"])
        act_on(
            cancelled,
            "outbox_cancelled_chosen",
            "outbox.resend.choose",
            [("outbox_cancelled_resend", "outbox.resend", reminders.resend, "outbox.resent", "reminder_resent")],
        )
