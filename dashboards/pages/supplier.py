"""Supplier: one supplier read on the SCS yardstick — readiness, the requirement matrix, and the
evidence behind any criterion."""

import streamlit as st

from dashboards import figures, ui
from dashboards.ui import tr
from registry import documents, flags, queries, requests, support, yardstick

store = ui.store()
as_of = ui.as_of()
lang = ui.lang()

st.title(tr("supplier.title"))
supplier_id = ui.supplier_picker(st, tr("supplier.choose"), store, key="supplier_page")
if not supplier_id:
    st.info(tr("supplier.none"))
    st.stop()

profile = queries.supplier_status(store, as_of).filter(supplier_id=supplier_id).row(0, named=True)
st.subheader(f"{profile['name']}（{supplier_id}）")
facts = st.columns(4)
facts[0].metric(tr("supplier.tier"), tr("tier.label", tier=profile["tier"]) if profile["tier"] else tr("tier.unlinked"))
facts[1].metric(tr("supplier.held"), tr(f"level.{profile['held_level']}"))
facts[2].metric(tr("supplier.requested"), f"★{profile['requested_level']}" if profile["requested_level"] else "—")
facts[3].metric(tr("supplier.corporate_number"), profile["corporate_number"] or "—")

st.download_button(
    tr("supplier.gap_report"),
    documents.gap_report_xlsx(support.gap(store, as_of, supplier_id, lang=lang), lang),
    file_name=f"gap-{supplier_id}.xlsx",
    key="supplier_gap_report",
    type="primary",
)

st.subheader(tr("supplier.requests"))
history = requests.request_history(store, as_of, supplier_id)
if history.is_empty():
    st.write(tr("supplier.requests.none"))
else:
    shown = ui.labelled(
        history.select(
            "requested_level", "recommended_level", "requested_on", "due_on", "state", "reason", "decided_by"
        ),
        state="request_state",
    )
    st.dataframe(shown, hide_index=True, width="stretch", column_config=ui.columns(shown))

st.subheader(tr("supplier.flags"))
own = flags.flags(store, supplier_id=supplier_id, states=["open", "acknowledged"])
if own.is_empty():
    st.write(tr("supplier.flags.none"))
else:
    shown = ui.labelled(
        own.with_columns(reason=own["reason" if lang == "ja" else "reason_en"]).select(
            "flag_id", "severity", "kind", "reason", "state", "first_held_on"
        ),
        severity="severity",
        kind="flag_kind",
        state="flag_state",
    )
    st.dataframe(shown, hide_index=True, width="stretch", column_config=ui.columns(shown))

ui.certificate_history(store, as_of, supplier_id)

view = ui.cached_supplier_view(store, as_of, supplier_id)
gauges = st.columns(2)
gauges[0].plotly_chart(
    figures.readiness_gauge(
        view.readiness["star3"], view.readiness["star3_partial"], tr("supplier.readiness", level=3)
    ),
    width="stretch",
)
gauges[1].plotly_chart(
    figures.readiness_gauge(
        view.readiness["star4"], view.readiness["star4_partial"], tr("supplier.readiness", level=4)
    ),
    width="stretch",
)
st.caption(tr("supplier.readiness.caption"))

level = int(
    ui.radio(st, tr("catalogue.level"), ["3", "4"], lambda lv: tr(f"catalogue.level.{lv}"), key="supplier_level")
)
category_names = ui.category_names(view.catalogue)
status_names = {s: tr(f"status.{s}") for s in yardstick.STATUS_ORDER}
ui.chart(
    figures.requirement_matrix(
        view.requirements(level), category_names, status_names, tr("supplier.matrix", level=level)
    ),
    "supplier.matrix.caption",
)

criteria = view.criteria(level, lang)
st.dataframe(
    ui.labelled(criteria, status="status"), hide_index=True, width="stretch", column_config=ui.columns(criteria)
)
criterion = st.selectbox(tr("supplier.explain"), criteria["criterion_id"].to_list(), key="supplier_criterion")
pieces = yardstick.explain(store, as_of, supplier_id, criterion)
if not pieces:
    st.write(tr("supplier.no_evidence"))
for piece in pieces:
    marks = (tr("supplier.decides") if piece["decides"] else "") + (tr("supplier.stale") if not piece["fresh"] else "")
    marks += tr("supplier.conflict") if piece["conflict"] else ""
    st.text(f"{marks}{piece['chain']}")
