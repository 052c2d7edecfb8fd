"""Overview: the portfolio at a glance, computed from the registry as of a date."""

import streamlit as st

from dashboards import figures, ui
from dashboards.ui import tr
from registry import records
from registry.demo import generate_demo
from registry.queries import HELD_LEVELS, overview

store = ui.store()
as_of = ui.as_of()
data = overview(store, as_of)

st.title(tr("overview.title"))
st.caption(tr("overview.caption", as_of=as_of.isoformat(), version=data.catalogue_version))

if data.suppliers == 0:
    st.info(tr("overview.empty"))
    if st.button(tr("overview.load_demo"), type="primary"):
        demo = generate_demo(500, seed=1, as_of=as_of)
        records.replace_demo(store, demo, actor="app", seed=1)
        st.success(tr("overview.demo_loaded", n=demo.suppliers.height))
        st.rerun()
    st.stop()

level_label = {lv: tr(f"level.{lv}") for lv in HELD_LEVELS}
tier_label = {t: tr("tier.label", tier=t) if t else tr("tier.unlinked") for t in data.by_tier["tier"].to_list()}

kpis = st.columns(5)
kpis[0].metric(tr("overview.suppliers"), f"{data.suppliers:,}")
kpis[1].metric(tr("overview.tier1"), f"{data.by_tier.filter(tier=1)['suppliers'].sum():,}")
kpis[2].metric(tr("overview.star_holders"), f"{data.star_holders:,}")
kpis[3].metric(
    tr("overview.requested_met"),
    ui.percent(data.share_meeting_request),
    help=f"{data.meeting_request:,} / {data.with_request:,}",
)
kpis[4].metric(tr("overview.expiring"), f"{data.expiring.height:,}")

suppliers_axis = tr("overview.axis.suppliers")
left, middle, right = st.columns(3)
with left:
    ui.chart(
        figures.tier_bar(data.by_tier, tier_label, tr("overview.by_tier"), tr("overview.axis.tier"), suppliers_axis),
        "overview.by_tier.caption",
    )
with middle:
    ui.chart(
        figures.held_levels_bar(data.held, level_label, tr("overview.held"), tr("overview.axis.held"), suppliers_axis),
        "overview.held.caption",
    )
with right:
    requested_label = {3: tr("level.requested.3"), 4: tr("level.requested.4")}
    ui.chart(
        figures.requested_vs_held_bar(
            data.requested_vs_held, requested_label, level_label, tr("overview.requested_vs_held"), suppliers_axis
        ),
        "overview.requested_vs_held.caption",
    )

st.subheader(tr("overview.expiring_list"))
if data.expiring.is_empty():
    st.write(tr("overview.no_expiring"))
else:
    table = ui.labelled(data.expiring.drop("certificate_id"), scheme="scheme")
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config=ui.columns(table),
    )
