"""Audit (admins): every write — imports, edits, requests, flag changes, user changes, sign-ins —
with who, when, what and the file hash; filtered and exported."""

from datetime import timedelta

import streamlit as st

from dashboards import ui
from dashboards.ui import tr
from registry import clock
from registry.services import audit, flags

store = ui.store()

st.title(tr("audit.title"))
st.caption(tr("audit.caption"))
filters = st.columns(4)
since = filters[0].date_input(
    tr("audit.since"), value=clock.today() - timedelta(days=30), key="audit_since", format="YYYY-MM-DD"
)
until = filters[1].date_input(tr("audit.until"), value=clock.today(), key="audit_until", format="YYYY-MM-DD")
by = filters[2].text_input(tr("col.actor"), key="audit_actor")
entity = filters[3].text_input(tr("audit.entity"), key="audit_entity", help=tr("audit.entity.help"))
actions = st.multiselect(
    tr("col.action"),
    audit.audit_actions(store),
    format_func=lambda action: ui.tr_text(f"audit.action.{action}"),
    key="audit_actions",
    placeholder=tr("app.choose"),
)
entries = audit.audit_entries(store, since=since, until=until, actions=actions, by=by, entity=entity)
if entries.is_empty():
    st.info(tr("audit.empty"))
    st.stop()
st.caption(tr("audit.count", n=entries.height))
ui.table(ui.audit_labelled(entries, flags.rule_titles(store, ui.lang())))
ui.downloads(entries, "audit", clock.today())
