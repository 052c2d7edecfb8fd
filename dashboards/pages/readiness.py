"""Readiness: how ready the whole supply base is for ★3 and ★4, and where (by category) it is weak."""

import streamlit as st

from dashboards import figures, ui
from dashboards.ui import tr
from registry.services import flags

store = ui.store()
as_of = ui.as_of()

st.title(tr("readiness.title"))
portfolio = ui.cached_readiness(store, as_of)
if portfolio.readiness.is_empty():
    st.info(tr("overview.empty"))
    st.stop()
st.caption(tr("readiness.caption", n=portfolio.readiness.height, version=portfolio.catalogue.version))

percent_axis, suppliers_axis = tr("readiness.axis.readiness"), tr("overview.axis.suppliers")
left, right = st.columns(2)
with left:
    ui.chart(
        figures.readiness_histogram(
            portfolio.readiness, "star3", ui.tr_text("readiness.histogram", level=3), percent_axis, suppliers_axis
        ),
        "readiness.histogram.caption",
    )
with right:
    ui.chart(
        figures.readiness_histogram(
            portfolio.readiness, "star4", ui.tr_text("readiness.histogram", level=4), percent_axis, suppliers_axis
        ),
        "readiness.histogram.caption",
    )

group = ui.radio(
    st, tr("readiness.group"), ["industry", "tier"], lambda g: tr(f"readiness.group.{g}"), key="readiness_group"
)
scores = portfolio.by_group(group)
ui.chart(
    figures.category_heatmap(
        scores,
        group,
        ui.category_names(portfolio.catalogue),
        ui.tr_text("readiness.heatmap", group=tr(f"readiness.group.{group}")),
    ),
    "readiness.heatmap.caption",
)

st.subheader(tr("readiness.lowest"))
lowest = portfolio.lowest(30)
ui.chart(
    figures.category_heatmap(
        portfolio.supplier_category_scores(lowest["supplier_id"].to_list()),
        "supplier",
        ui.category_names(portfolio.catalogue),
        tr("readiness.supplier_heatmap"),
    ),
    "readiness.heatmap.caption",
)
table = ui.held_levels_labelled(flags.with_check_overdue(store, lowest))
ui.table(table)
ui.downloads(lowest, "readiness_lowest", as_of)
