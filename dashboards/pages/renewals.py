"""Renewals: every certificate's validity on a timeline, what lapses within the policy's windows,
what has lapsed or is overdue — filtered, and exported to Excel, CSV or a calendar."""

from functools import partial

import streamlit as st

from dashboards import figures, ui
from dashboards.ui import tr
from registry import clock
from registry.services import exports, renewals

store = ui.store()
as_of = ui.as_of()

st.title(tr("renewals.title"))
st.caption(tr("renewals.caption", as_of=as_of.isoformat()))

states = renewals.with_supplier_facts(store, as_of, renewals.certificate_states(store, as_of))
if states.is_empty():
    st.info(tr("renewals.empty"))
    st.stop()

windows = renewals.expiring_windows(store)
filters = st.columns(4)
within = ui.radio(
    filters[0],
    tr("renewals.within"),
    list(reversed(windows)),
    lambda d: tr("renewals.days", n=d),
    key="renewals_within",
)
schemes = ui.multiselect(
    filters[1], tr("col.scheme"), sorted(states["scheme"].unique()), lambda s: tr(f"scheme.{s}"), key="renewals_schemes"
)
tiers = ui.multiselect(
    filters[2],
    tr("col.tier"),
    sorted(t for t in states["tier"].unique() if t is not None),
    lambda t: tr("tier.label", tier=t),
    key="renewals_tiers",
)
requested = ui.multiselect(filters[3], tr("col.requested_level"), [3, 4], lambda lv: f"★{lv}", key="renewals_requested")
shown = renewals.filtered(states, schemes=schemes, tiers=tiers, requested=requested)

due = renewals.needs_action(shown, within)
lapsed = renewals.lapsed(shown)
counts = st.columns(len(windows) + 1)
for column, window in zip(counts, windows, strict=False):
    column.metric(tr("renewals.expiring_in", n=window), f"{renewals.expiring(shown, window).height:,}")
counts[-1].metric(
    tr("renewals.overdue.short"),
    f"{shown.filter(shown['state'].str.ends_with('_overdue')).height:,}",
    help=tr("renewals.overdue"),
)

state_names = {s: tr(f"state.{s}") for s in renewals.STATES}
timeline = ui.timeline_rows(shown, due)
ui.chart(
    figures.certificate_timeline(timeline, as_of, state_names, tr("renewals.timeline"), tr("renewals.axis.date")),
    "renewals.timeline.caption",
)

columns = [
    "supplier_id",
    "name",
    "scheme",
    "registration_no",
    "issued_on",
    "expires_on",
    "days_left",
    "state",
    "check_due_on",
    "tier",
    "requested_level",
]
st.subheader(tr("renewals.due", n=within))
table = ui.labelled(due.select(columns), scheme="scheme", state="state")
ui.table(table)
st.subheader(tr("renewals.lapsed"))
table = ui.labelled(lapsed.select(columns), scheme="scheme", state="state")
ui.table(table)

# The files are made when a button is clicked, not on every run of the page.
export = due.vstack(lapsed)
downloads = st.columns(3)
downloads[0].download_button(
    tr("export.excel"),
    partial(exports.to_excel, export.select(columns), "renewals"),
    file_name=f"renewals_{as_of}.xlsx",
    key="renewals_xlsx",
)
downloads[1].download_button(
    tr("export.csv"),
    partial(exports.to_csv, export.select(columns)),
    file_name=f"renewals_{as_of}.csv",
    mime="text/csv",
    key="renewals_csv",
)
downloads[2].download_button(
    tr("export.ics"),
    partial(exports.renewals_ics, export, clock.now()),
    file_name=f"renewals_{as_of}.ics",
    mime="text/calendar",
    key="renewals_ics",
)
