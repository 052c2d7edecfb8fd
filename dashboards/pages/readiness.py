"""Readiness: how ready the whole supply base is for ★3 and ★4, where (by category) it is weak, and
which suppliers with evidence are furthest from their target (those without any are counted apart)."""

import streamlit as st

from dashboards import figures, ui
from dashboards.ui import tr
from registry.services import dashboard, flags

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

st.subheader(tr("readiness.furthest"))
without = portfolio.without_evidence()
counts = st.columns(3)
counts[0].metric(tr("readiness.with_evidence"), f"{portfolio.readiness.height - without.height:,}")
counts[1].metric(tr("readiness.no_evidence"), f"{without.height:,}", help=tr("readiness.no_evidence.help"))
st.caption(tr("readiness.furthest.caption"))
lowest = portfolio.furthest(30)
if lowest.is_empty():
    st.info(tr("readiness.furthest.none"))
else:
    ids = lowest["supplier_id"].to_list()
    ui.chart(
        figures.category_heatmap(
            dashboard.with_partial(store, as_of, portfolio.supplier_category_scores(ids), ids),
            "supplier",
            ui.category_names(portfolio.catalogue),
            tr("readiness.supplier_heatmap"),
        ),
        "readiness.supplier_heatmap.caption",
    )
    table = ui.held_levels_labelled(flags.with_check_overdue(store, lowest))
    shares = {
        level: st.column_config.ProgressColumn(tr(f"col.{level}"), format="percent", min_value=0, max_value=1)
        for level in ("star3", "star4")
    }
    ui.table(table, config=shares)
    ui.downloads(lowest, "readiness_lowest", as_of)
if not without.is_empty():
    with st.expander(tr("readiness.no_evidence.list", n=f"{without.height:,}")):
        st.caption(tr("readiness.no_evidence.help"))
        ui.table(
            ui.held_levels_labelled(flags.with_check_overdue(store, without)),
            key="readiness_without_table",
        )
        ui.downloads(without, "readiness_without_evidence", as_of)
