"""Supply chain: how far valid ★ coverage reaches down the tiers, the network as a whole, one
supplier's subcontractors, the hidden single points of failure, and uncovered critical paths."""

import streamlit as st

from dashboards import figures, ui
from dashboards.ui import tr
from registry.services import supply_chain

store = ui.store()
as_of = ui.as_of()

st.title(tr("chain.title"))
coverage = ui.cached_coverage(store, as_of)
if coverage.is_empty():
    st.info(tr("overview.empty"))
    st.stop()
st.caption(tr("chain.caption"))

names = {c: tr(f"coverage.{c}") for c in supply_chain.COVERAGE}
per_tier = supply_chain.coverage_by_tier(coverage)
tier_label = {t: tr("tier.label", tier=t) if t else tr("tier.unlinked") for t in per_tier["tier"].to_list()}
left, right = st.columns(2)
with left:
    ui.chart(
        figures.coverage_bar(per_tier, tier_label, names, tr("chain.by_tier"), tr("overview.axis.suppliers")),
        "chain.by_tier.caption",
    )
with right:
    ui.chart(
        figures.network_sunburst(
            supply_chain.network_tree(store, coverage), tr("chain.buyer"), names, tr("chain.network")
        ),
        "chain.network.caption",
    )

st.subheader(tr("chain.concentration"))
st.caption(tr("chain.concentration.caption"))
top = ui.labelled(supply_chain.concentration(store, coverage), coverage="coverage", held_level="level")
ui.table(top)
ui.downloads(top, "concentration", as_of)

st.subheader(tr("chain.uncovered"))
paths = supply_chain.uncovered_critical_paths(store, coverage).select("supplier_id", "name", "tier", "required", "path")
ui.table(paths)
ui.downloads(paths, "uncovered_paths", as_of)

back = supply_chain.back_links(store, coverage)
if not back.is_empty():
    st.warning(tr("chain.cycles", n=back.height))
    ui.table(back)

st.subheader(tr("chain.sub_network"))
supplier_id = ui.supplier_picker(st, tr("supplier.choose"), store, key="chain_supplier")
if supplier_id:
    nodes, edges = supply_chain.sub_network(store, supplier_id, coverage)
    ui.chart(
        figures.sub_network_graph(nodes, edges, names, ui.tr_text("chain.sub_network.title", supplier=supplier_id)),
        "chain.sub_network.caption",
    )
