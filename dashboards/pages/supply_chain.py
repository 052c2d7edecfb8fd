"""Supply chain: how far valid ★ coverage reaches down the tiers, the network tier by tier, the
hidden single points of failure, uncovered critical paths, and one supplier's subcontractors. Every
view stays readable at thousands of suppliers: counts per tier, and an indented table that opens
level by level."""

import polars as pl
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
        figures.coverage_heatmap(per_tier, tier_label, names, tr("chain.coverage_share")),
        "chain.coverage_share.caption",
    )

st.subheader(tr("chain.outline"))
ui.network_outline(ui.cached_network_outline(store, as_of), key="chain_outline", as_of=as_of)
st.caption(tr("chain.outline.note"))

st.subheader(tr("chain.concentration"))
st.caption(tr("chain.concentration.caption"))
top = supply_chain.concentration(store, coverage)
ui.table(
    ui.labelled(
        top.with_columns(pl.format("★{}", "required").alias("required")),
        coverage="coverage",
        held_level="level.held",
    )
)
ui.downloads(top, "concentration", as_of)

st.subheader(tr("chain.uncovered"))
paths = supply_chain.uncovered_critical_paths(store, coverage).select(
    "supplier_id",
    "name",
    "tier",
    pl.format("★{}", "required").alias("required"),
    # the path in the reader's language: the buyer first, then the supplier IDs
    pl.concat_str(pl.lit(ui.tr_text("chain.buyer") + " → "), pl.col("ids").list.join(" → ")).alias("path"),
)
ui.table(paths)
ui.downloads(paths, "uncovered_paths", as_of)

back = supply_chain.back_links(store, coverage)
if not back.is_empty():
    st.warning(tr("chain.cycles", n=back.height))
    ui.table(back)

st.subheader(tr("chain.sub_network"))
supplier_id = ui.supplier_picker(st, tr("supplier.choose"), store, key="chain_supplier")
if supplier_id:
    outline = supply_chain.sub_network_outline(store, supplier_id, coverage)
    if outline.is_empty():
        st.write(tr("supplier.no_subcontractors"))
    else:
        ui.sub_network_caption(outline)
        ui.network_outline(outline, key="chain_sub_outline", as_of=as_of, default_depth=2)
