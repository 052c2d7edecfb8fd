"""Supplier portal: what a supplier reached by its invitation link may see and do — its own
status and gap list, its template, uploading its evidence, and who of its people receive the
reminders (its contacts, each of whom may be opted out). Nothing about any other supplier is
reachable from here (the navigation holds this page only, and every write is checked)."""

import polars as pl
import streamlit as st

from dashboards import ui
from dashboards.ui import tr
from dashboards.ui.forms import contacts_editor
from registry import clock
from registry.errors import MonosashiError
from registry.services import documents, intake, support, templates

store = ui.store()
who = ui.actor()
lang = ui.lang()
today = clock.today()
supplier_id = getattr(who, "supplier_id", None)
if not supplier_id:
    st.info(tr("portal.not_supplier"))
    st.stop()

data = ui.cached_supplier_page(store, today, supplier_id)
if data is None:
    st.error(tr("portal.unknown"))
    st.stop()
profile = data.profile
st.title(tr("portal.title"))
st.subheader(ui.plain(f"{profile['name']}（{supplier_id}）"))
st.caption(tr("portal.caption"))

current = data.requests.head(1)
facts = st.columns(4)
facts[0].metric(
    tr("supplier.held"),
    ui.held_label(profile["held_level"], data.certificates),
)
if current.height:
    request = current.row(0, named=True)
    facts[1].metric(tr("supplier.requested"), f"★{request['requested_level']}")
    facts[2].metric(tr("col.due_on"), request["due_on"].isoformat())
    facts[3].metric(tr("col.state"), tr(f"request_state.{request['state']}"))
else:
    facts[1].metric(tr("supplier.requested"), "—")

report = support.gap(store, today, supplier_id, lang=lang)
st.subheader(tr("portal.gaps", level=report.target_level, readiness=ui.percent(report.readiness)))
gaps = report.gaps.select("criterion_id", "status", "requirement_title", "summary", "remedy", "next_step").with_columns(
    pl.col("status").replace_strict({s: tr(f"portal.status.{s}") for s in ("not_met", "unknown", "partial", "stale")})
)
ui.table(gaps)
buttons = st.columns(2)
buttons[0].download_button(
    tr("supplier.gap_report"),
    lambda: documents.gap_report_xlsx(support.gap(store, today, supplier_id, lang=lang), lang),
    file_name=f"gap-{supplier_id}.xlsx",
    key="portal_gap",
)
buttons[1].download_button(
    tr("portal.template", level=report.target_level),
    lambda: templates.build_template("scs", supplier_id, level=report.target_level, generated_on=today),
    file_name=f"scs_{supplier_id}.xlsx",
    key="portal_template",
)

st.subheader(tr("portal.upload"))
st.caption(tr("portal.upload.caption"))
limits = intake.Limits()
uploads = st.file_uploader(
    tr("import.files"),
    accept_multiple_files=True,
    type=["xlsx", "xlsm", "csv", "json", "zip"],
    key=f"portal_files_{st.session_state.get('portal_round', 0)}",
)
if uploads:
    files = [(u.name, u.getvalue()) for u in uploads]
    reports = ui.cached_analysis(store, files, supplier_id, None, limits, portal=True)
    for report_ in reports:
        if report_.status == "rejected" and report_.format and report_.format not in intake.QUESTIONNAIRE_FORMATS:
            st.error(tr("portal.wrong_format", format=ui.tr_text(f"format.{report_.format}")))
        elif report_.status == "rejected":
            st.error(ui.plain("; ".join(p.text(ui.lang()) for p in report_.errors)))
        elif report_.status == "duplicate":
            st.info(ui.plain(tr("portal.duplicate", file=report_.name)))
        else:
            st.success(ui.plain(tr("portal.ready", file=report_.name, answers=report_.answers)))
    ready = [r for r in reports if r.status == "ready"]
    if st.button(tr("portal.submit", n=len(ready)), type="primary", disabled=not ready, key="portal_submit"):
        fresh = ui.fresh_analysis(store, files, supplier_id, None, limits, portal=True)
        try:
            done = intake.commit(store, fresh, mode="batch", actor=who, today=today)
        except MonosashiError as exc:
            st.error(ui.error_text(exc))
        else:
            st.session_state["portal_round"] = st.session_state.get("portal_round", 0) + 1
            accepted = sum(r.status == "imported" for r in done)
            if accepted:
                st.success(tr("portal.submitted", n=accepted))
            for refused in (r for r in done if r.status == "rejected"):
                reasons = "; ".join(p.said(ui.lang()) for p in refused.errors)
                st.error(ui.plain(tr("portal.refused", file=refused.name, reasons=reasons)))

st.subheader(tr("portal.certificates"))
ui.certificate_history(store, today, supplier_id, data.certificates)
ui.certificate_form(store, today, supplier_id, key="portal_certificate")

st.subheader(tr("contacts.portal.title"))
st.caption(tr("contacts.portal.caption"))
contacts_editor(store, supplier_id, key="portal_contacts")
