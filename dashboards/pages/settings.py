"""Settings: the validity policy (how long each scheme is valid, when it goes stale, the yearly
check), the yardstick's thresholds and the e-mail reminders (mail server, timing, texts) — for
this registry, with a way back to the defaults."""

import json

import polars as pl
import streamlit as st
from pydantic import ValidationError

from dashboards import ui
from dashboards.ui import tr
from registry.config import smtp_password
from registry.errors import MonosashiError
from registry.services import flags, reminders, yardstick
from registry.services.mail import SMTP_KEYS, SmtpSettings
from registry.services.reminders import Template, parse_reminder_policy
from registry.services.settings import CatalogueDataError, default_policy, policy_for, save_settings

store = ui.store()
policy = policy_for(store)
thresholds = yardstick.settings_from_store(store)

st.title(tr("settings.title"))
st.subheader(tr("settings.validity"))
st.caption(tr("settings.validity.caption"))
rules = pl.DataFrame(
    [
        {
            "scheme": s,
            "label": r.label_ja if ui.lang() == "ja" else r.label_en,
            **r.model_dump(exclude={"label_ja", "label_en"}),
        }
        for s, r in policy.schemes.items()
    ],
    schema_overrides={"validity_years": pl.Int64, "stale_after_years": pl.Int64, "yearly_check": pl.String},
)
edited = st.data_editor(
    rules,
    hide_index=True,
    width="stretch",
    disabled=["scheme", "label"],
    key="settings_rules",
    placeholder="—",
    column_config={
        "scheme": None,  # the code stays in the data, the reader sees the scheme's name
        "label": tr("col.scheme"),
        "validity_years": st.column_config.NumberColumn(
            tr("settings.validity_years"), min_value=1, max_value=10, step=1
        ),
        "stale_after_years": st.column_config.NumberColumn(
            tr("settings.stale_after_years"), min_value=1, max_value=10, step=1
        ),
        "yearly_check": st.column_config.SelectboxColumn(
            tr("settings.yearly_check"),
            options=["self_assessment", "surveillance"],
            format_func=lambda kind: tr(f"settings.yearly_check.{kind}"),
        ),
        "check_grace_days": st.column_config.NumberColumn(tr("settings.grace"), min_value=0, max_value=365, step=1),
    },
)
windows = st.text_input(
    tr("settings.windows"), value=", ".join(map(str, policy.expiring_windows_days)), key="settings_windows"
)
scheme_start = st.date_input(
    tr("settings.scheme_start"), value=policy.scheme_start, format="YYYY-MM-DD", key="settings_scheme_start"
)
st.caption(tr("settings.scheme_start.caption"))
columns = st.columns(2)
min_strength = columns[0].number_input(
    tr("settings.min_strength"), 0.0, 1.0, thresholds.min_strength, step=0.05, key="settings_strength"
)
fresh_months = columns[1].number_input(
    tr("settings.fresh_months"), 1, 60, thresholds.fresh_months, step=1, key="settings_fresh"
)

actions = st.columns(2)
if actions[0].button(tr("settings.save"), type="primary", key="settings_save"):
    try:
        proposed = ui.policy_from_rows(policy, edited, windows, scheme_start)
    except (CatalogueDataError, ValueError) as exc:
        st.error(ui.error_text(exc))
    else:
        save_settings(
            store,
            {
                "validity_policy": proposed.model_dump_json(),
                "yardstick.min_strength": str(min_strength),
                "yardstick.fresh_months": str(int(fresh_months)),
            },
            actor=ui.actor(),
        )
        st.success(tr("settings.saved"))
if actions[1].button(tr("settings.reset"), key="settings_reset"):
    save_settings(
        store,
        {"validity_policy": None, "yardstick.min_strength": None, "yardstick.fresh_months": None},
        actor=ui.actor(),
    )
    st.success(tr("settings.reset.done", windows=", ".join(map(str, default_policy().expiring_windows_days))))

st.subheader(tr("settings.flags"))
st.caption(tr("settings.flags.caption"))
rules = flags.rules_in_force(store)
rows = pl.DataFrame(
    [
        {
            "rule_id": rule.id,
            "title": rule.title_ja if ui.lang() == "ja" else rule.title_en,
            "enabled": rule.enabled,
            "threshold": name,
            "threshold_label": tr(f"threshold.{name}") if name else "—",
            "value": value,
        }
        for rule in rules.rules
        for name, value in (rule.thresholds.items() or [("", None)])
    ],
    schema={
        "rule_id": pl.String,
        "title": pl.String,
        "enabled": pl.Boolean,
        "threshold": pl.String,
        "threshold_label": pl.String,
        "value": pl.Float64,
    },
)
edited_rules = st.data_editor(
    rows,
    hide_index=True,
    width="stretch",
    disabled=["rule_id", "title", "threshold", "threshold_label"],
    key="settings_flag_rules",
    placeholder="—",
    column_config={
        "rule_id": None,  # codes stay in the data; the reader sees the rule's title and words
        "title": tr("settings.flags.rule"),
        "enabled": tr("settings.flags.enabled"),
        "threshold": None,
        "threshold_label": tr("settings.flags.threshold"),
        "value": st.column_config.NumberColumn(tr("settings.flags.value"), min_value=0.0),
    },
)
buyer = st.columns(2)
buyer_name = buyer[0].text_input(tr("settings.buyer"), value=store.setting("buyer.name") or "", key="settings_buyer")
buyer_contact = buyer[1].text_input(
    tr("settings.contact"), value=store.setting("buyer.contact") or "", key="settings_contact"
)
flag_actions = st.columns(2)
if flag_actions[0].button(tr("settings.flags.save"), type="primary", key="settings_flags_save"):
    frame = edited_rules if isinstance(edited_rules, pl.DataFrame) else pl.from_pandas(edited_rules)
    values: dict[str, str | None] = {"buyer.name": buyer_name or None, "buyer.contact": buyer_contact or None}
    for row in frame.to_dicts():
        values[f"flags.{row['rule_id']}.enabled"] = str(bool(row["enabled"]))
        if row["threshold"]:
            values[f"flags.{row['rule_id']}.{row['threshold']}"] = str(row["value"])
    save_settings(store, values, actor=ui.actor())
    ui.refresh_flags(store)
    st.success(tr("settings.flags.saved"))
if flag_actions[1].button(tr("settings.flags.reset"), key="settings_flags_reset"):
    flags.reset_rules(store, ui.actor())
    ui.refresh_flags(store)
    st.success(tr("settings.flags.reset.done"))

# -- e-mail reminders: the mail server, when reminders go out, and their texts ---------------------
PREVIEW = "settings_tpl.preview"  # the text as shown on a supplier, kept while the page is drawn again
TEMPLATE_KINDS = [*reminders.KINDS, "footer"]
as_of = ui.as_of()


def smtp_problem(error: dict) -> str:
    """A mail server setting that cannot be used, in the reader's language."""
    field = str(error["loc"][0]) if error.get("loc") else "host"
    value = error.get("input") if error.get("input") not in (None, "") else "—"
    if field in ("host", "sender"):
        return tr(f"settings.mail.bad.{field}", value=value)
    return tr("settings.mail.bad.other", field=tr(f"settings.mail.{field}"), value=value)


def kind_name(kind: str) -> str:
    return ui.tr_text("settings.mail.template.footer" if kind == "footer" else f"reminder.kind.{kind}")


def said_again(area: str, text: str, widgets: list[str]) -> None:
    """Draw the page again with the widgets showing the stored values, and say what was done."""
    for key in widgets:
        st.session_state.pop(key, None)
    st.session_state[f"settings_mail.said.{area}"] = text
    st.rerun()


def said(area: str) -> None:
    """What was done before the page was drawn again, where it was done."""
    text = st.session_state.pop(f"settings_mail.said.{area}", None)
    if text:
        st.success(text)


st.subheader(tr("settings.mail"))
st.caption(tr("settings.mail.caption"))

st.markdown(f"##### {tr('settings.mail.server')}")
server = st.columns(2)
host = server[0].text_input(tr("settings.mail.host"), value=store.setting("smtp.host") or "", key="settings_smtp_host")
port = server[1].number_input(
    tr("settings.mail.port"), 1, 65535, int(store.setting("smtp.port") or 587), step=1, key="settings_smtp_port"
)
st.session_state.setdefault("settings_smtp_security", store.setting("smtp.security") or "starttls")
security = ui.radio(
    st,
    tr("settings.mail.security"),
    ["starttls", "ssl", "none"],
    lambda s: ui.tr_text(f"settings.mail.security.{s}"),
    key="settings_smtp_security",
)
account = st.columns(2)
user = account[0].text_input(tr("settings.mail.user"), value=store.setting("smtp.user") or "", key="settings_smtp_user")
sender = account[1].text_input(
    tr("settings.mail.sender"), value=store.setting("smtp.sender") or "", key="settings_smtp_sender"
)
base_url = st.text_input(
    tr("settings.mail.base_url"),
    value=store.setting("app.base_url") or "",
    help=tr("settings.mail.base_url.help"),
    key="settings_base_url",
)
# The password is never in the database: only whether one is found, and where it goes.
st.caption(tr("settings.mail.password.found" if smtp_password() is not None else "settings.mail.password.missing"))
if st.button(tr("settings.mail.save"), type="primary", key="settings_mail_save"):
    host, sender, base_url = host.strip(), sender.strip(), base_url.strip()
    problems = []
    if base_url and not base_url.startswith(("http://", "https://")):
        problems.append(tr("settings.mail.base_url.bad", value=base_url))
    values: dict[str, str | None] = {"app.base_url": base_url.rstrip("/") or None}
    if bool(host) != bool(sender):
        problems.append(tr("settings.mail.incomplete"))
    elif host:
        try:
            checked = SmtpSettings(
                host=host, port=int(port), security=security, user=user.strip() or None, sender=sender
            )
        except ValidationError as exc:
            problems += [smtp_problem(error) for error in exc.errors()]
        else:
            values |= {
                "smtp.host": checked.host,
                "smtp.port": str(checked.port),
                "smtp.security": checked.security,
                "smtp.user": checked.user,
                "smtp.sender": checked.sender,
            }
    else:  # both empty: no mail goes out
        values |= dict.fromkeys(SMTP_KEYS)
    for problem in problems:
        st.error(problem)
    if not problems:
        save_settings(store, values, actor=ui.actor())
        st.success(tr("settings.mail.saved" if host else "settings.mail.off"))

st.markdown(f"##### {tr('settings.mail.policy')}")
timing = reminders.reminder_policy(store)
first = st.columns(3)
windows_text = first[0].text_input(
    tr("settings.mail.policy.windows"),
    value=", ".join(map(str, timing.expiry_windows_days)),
    key="settings_mail_windows",
)
sent_within = first[1].number_input(
    tr("settings.mail.policy.request_sent_within_days"),
    0,
    365,
    timing.request_sent_within_days,
    step=1,
    key="settings_mail_sent_within",
)
due_soon = first[2].number_input(
    tr("settings.mail.policy.request_due_soon_days"),
    1,
    365,
    timing.request_due_soon_days,
    step=1,
    key="settings_mail_due",
)
second = st.columns(3)
flag_overdue = second[0].number_input(
    tr("settings.mail.policy.flag_overdue_days"), 1, 365, timing.flag_overdue_days, step=1, key="settings_mail_overdue"
)
weekdays = {ui.tr_text(f"settings.mail.weekday.{day}"): day for day in range(1, 8)}
weekday = weekdays[
    second[1].selectbox(
        tr("settings.mail.policy.digest_weekday"),
        list(weekdays),
        index=timing.digest_weekday - 1,
        key=f"settings_mail_weekday.{ui.lang()}",
    )
]
max_tries = second[2].number_input(
    tr("settings.mail.policy.max_tries"), 1, 50, timing.max_tries, step=1, key="settings_mail_tries"
)
third = st.columns(3)
max_kb = third[0].number_input(
    tr("settings.mail.policy.max_attachment_kb"), 1, 50_000, timing.max_attachment_kb, step=100, key="settings_mail_kb"
)
attach_gap = third[1].checkbox(
    tr("settings.mail.policy.attach_gap_report"), value=timing.attach_gap_report, key="settings_mail_gap"
)
timing_widgets = [
    "settings_mail_windows",
    "settings_mail_sent_within",
    "settings_mail_due",
    "settings_mail_overdue",
    f"settings_mail_weekday.{ui.lang()}",
    "settings_mail_tries",
    "settings_mail_kb",
    "settings_mail_gap",
]
timing_actions = st.columns(2)
if timing_actions[0].button(tr("settings.mail.policy.save"), type="primary", key="settings_mail_policy_save"):
    try:
        days = [int(w) for w in windows_text.replace("、", ",").split(",") if w.strip()]
        proposed = parse_reminder_policy(
            json.dumps(
                {
                    **timing.model_dump(mode="json"),
                    "expiry_windows_days": days,
                    "request_sent_within_days": int(sent_within),
                    "request_due_soon_days": int(due_soon),
                    "flag_overdue_days": int(flag_overdue),
                    "digest_weekday": int(weekday),
                    "max_tries": int(max_tries),
                    "max_attachment_kb": int(max_kb),
                    "attach_gap_report": bool(attach_gap),
                },
                ensure_ascii=False,
            ),
            "settings page",
        )
    except (ValueError, CatalogueDataError):  # the other fields cannot leave their bounds
        st.error(tr("settings.mail.policy.windows.bad", value=windows_text))
    else:
        save_settings(store, {"reminder_policy": proposed.model_dump_json()}, actor=ui.actor())
        st.success(tr("settings.mail.policy.saved"))
if timing_actions[1].button(tr("settings.mail.policy.reset"), key="settings_mail_policy_reset"):
    save_settings(store, {"reminder_policy": None}, actor=ui.actor())
    said_again("timing", tr("settings.mail.policy.reset.done"), timing_widgets)
said("timing")

st.markdown(f"##### {tr('settings.mail.templates')}")
st.caption(tr("settings.mail.templates.caption"))
chooser = st.columns(2)
kind = ui.radio(chooser[0], tr("settings.mail.template.kind"), TEMPLATE_KINDS, kind_name, key="settings_tpl_kind")
language = ui.radio(
    chooser[1],
    tr("settings.mail.template.language"),
    ["ja", "en"],
    lambda code: ui.tr_text(f"outbox.language.{code}"),
    key="settings_tpl_lang",
)
own_key = f"mail_template.{kind}.{language}"
current = reminders.mail_templates(store)[(kind, language)]
st.caption(tr("settings.mail.template.own" if store.setting(own_key) else "settings.mail.template.shipped"))
text_widgets = [f"settings_tpl_subject.{kind}.{language}", f"settings_tpl_body.{kind}.{language}"]
subject = (
    ""
    if kind == "footer"
    else st.text_input(tr("settings.mail.template.subject"), value=current.subject, key=text_widgets[0])
)
body = st.text_area(tr("settings.mail.template.body"), value=current.body, height=280, key=text_widgets[1])
supplier_id = ui.supplier_picker(st, tr("settings.mail.template.supplier"), store, key="settings_tpl_supplier")
if kind == "footer":
    st.caption(tr("settings.mail.template.footer_note"))
template_actions = st.columns(3)
previewing = template_actions[0].button(tr("settings.mail.template.preview"), key="settings_tpl_preview")
saving = template_actions[1].button(tr("settings.mail.template.save"), type="primary", key="settings_tpl_save")
if template_actions[2].button(
    tr("settings.mail.template.reset"), key="settings_tpl_reset", disabled=not store.setting(own_key)
):
    save_settings(store, {own_key: None}, actor=ui.actor())
    named = {"kind": kind_name(kind), "language": ui.tr_text(f"outbox.language.{language}")}
    said_again("template", tr("settings.mail.template.reset.done", **named), text_widgets)
said("template")
if previewing or saving:
    # Shown on a real supplier before it is saved: a template that does not render is refused.
    try:
        shown_subject, shown_body = reminders.preview(
            store, kind, language, supplier_id or "", as_of, template=Template(subject, body)
        )
    except MonosashiError as exc:
        st.error(ui.error_text(exc))
    except (ArithmeticError, LookupError, TypeError, ValueError) as exc:  # what a template's own expression raised
        st.error(ui.error_text(MonosashiError("mail.template_invalid", line="—", error=str(exc)[:200])))
    else:
        st.session_state[PREVIEW] = (shown_subject, shown_body)
        if saving:  # drawn again: the text is now this registry's own
            text = {"body": body} if kind == "footer" else {"subject": subject, "body": body}
            save_settings(store, {own_key: json.dumps(text, ensure_ascii=False)}, actor=ui.actor())
            named = {"kind": kind_name(kind), "language": ui.tr_text(f"outbox.language.{language}")}
            said_again("template", tr("settings.mail.template.saved", **named), [])
if PREVIEW in st.session_state:
    shown_subject, shown_body = st.session_state.pop(PREVIEW)
    if kind != "footer":
        st.caption(tr("outbox.message.subject"))
        st.code(shown_subject or "—", language=None, wrap_lines=True)
    st.caption(tr("outbox.message.body"))
    st.code(shown_body, language=None, wrap_lines=True)
