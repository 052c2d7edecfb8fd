"""Suppliers: the whole directory — search, filter, sort and page through every supplier (done in
the database, fast at 100,000), open any one, export what is shown."""

import streamlit as st

from dashboards import ui
from dashboards.ui import tr
from registry.services import directory, exports
from registry.services.suppliers import HELD_LEVELS

store = ui.store()
as_of = ui.as_of()

st.title(tr("suppliers.title"))
# Links from the Overview arrive as query parameters; they set the filters once.
incoming = st.query_params.to_dict() | {k: st.query_params.get_all(k) for k in st.query_params}
if incoming and st.session_state.get("dir_params") != incoming:
    query, dropped = directory.query_from_params(incoming)
    st.session_state["dir_params"] = incoming
    for key in ("dir_tiers", "dir_industries", "dir_held", "dir_requested", "dir_severities"):
        st.session_state.pop(key, None)
        for language in ("ja", "en"):
            st.session_state.pop(f"{key}.{language}", None)
    st.session_state.update(
        {
            "dir_search": query.search,
            "dir_tiers": query.tiers,
            "dir_industries": query.industries,
            "dir_held": list(query.held),
            "dir_requested": list(query.requested),
            "dir_below": query.below_request,
            "dir_severities": list(query.severities),
            "dir_max_readiness": round(100 * query.max_readiness) if query.max_readiness is not None else 100,
            "dir_sort": query.sort,
            "dir_descending": query.descending,
            "dir_page": 1,
        }
    )
    if dropped:
        st.warning(tr("suppliers.dropped", params=", ".join(dropped)))

facets = ui.cached_facets(store)
if not facets["industries"] and not facets["tiers"]:
    st.info(tr("overview.empty"))
    st.stop()

top = st.columns([3, 2, 2, 2])
search = top[0].text_input(tr("suppliers.search"), key="dir_search", placeholder=tr("app.supplier_search"))
tiers = ui.multiselect(
    top[1],
    tr("col.tier"),
    facets["tiers"],
    lambda t: tr("tier.label", tier=t) if t else tr("tier.unlinked"),
    key="dir_tiers",
)
industries = ui.multiselect(top[2], tr("col.industry"), facets["industries"], str, key="dir_industries")
held = ui.multiselect(
    top[3], tr("col.held_level"), list(HELD_LEVELS), lambda lv: tr(f"level.held.{lv}"), key="dir_held"
)
more = st.columns([2, 2, 2, 3])
requested = ui.multiselect(more[0], tr("col.requested_level"), [3, 4], lambda lv: f"★{lv}", key="dir_requested")
severities = ui.multiselect(
    more[1], tr("suppliers.flags"), ["critical", "warning", "info"], lambda s: tr(f"severity.{s}"), key="dir_severities"
)
below = more[2].checkbox(tr("suppliers.below_request"), key="dir_below")
max_readiness = more[3].slider(
    tr("suppliers.max_readiness"), 0, 100, 100, step=10, key="dir_max_readiness", format="%d%%"
)
order = st.columns([2, 1, 1, 1])
sort = order[0].selectbox(
    tr("suppliers.sort"), list(directory.SORTABLE), format_func=lambda c: tr(f"col.{c}"), key="dir_sort"
)
descending = order[1].toggle(tr("suppliers.descending"), key="dir_descending")
page_size = order[2].selectbox(tr("suppliers.page_size"), [25, 50, 100, 200], index=1, key="dir_page_size")
page_number = order[3].number_input(tr("suppliers.page"), min_value=1, value=1, step=1, key="dir_page")

query = directory.DirectoryQuery(
    search=search,
    tiers=tiers,
    industries=industries,
    held=held,
    requested=requested,
    below_request=below,
    severities=severities,
    max_readiness=None if max_readiness >= 100 else max_readiness / 100,
    sort=sort,
    descending=descending,
    page=int(page_number),
    page_size=int(page_size),
)
result = directory.directory(store, as_of, query)
st.caption(tr("suppliers.count", total=result.total, page=result.query.page, pages=result.pages))
table = ui.held_levels_labelled(result.rows).with_columns(
    ui.severity_labels(result.rows["worst_flag"]).alias("worst_flag")
)
event = ui.table(
    table,
    config={
        "readiness": st.column_config.ProgressColumn(tr("col.readiness"), format="percent", min_value=0, max_value=1)
    },
    key="dir_table",
    on_select="rerun",
    selection_mode="single-row",
)
chosen_rows = getattr(getattr(event, "selection", None), "rows", None) or []
if chosen_rows:
    st.switch_page("dashboards/pages/supplier.py", query_params={"id": result.rows["supplier_id"][chosen_rows[0]]})

if result.rows.height:
    names = dict(zip(result.rows["supplier_id"], result.rows["name"], strict=True))
    pick = st.columns([3, 1])
    chosen = pick[0].selectbox(
        tr("suppliers.open"), list(names), format_func=lambda s: f"{s} {names[s]}", key="dir_open"
    )
    ui.link(pick[1], "dashboards/pages/supplier.py", tr("suppliers.open.go"), ":material/factory:", {"id": chosen})

st.caption(tr("suppliers.export", n=result.total))
buttons = st.columns(2)
buttons[0].download_button(
    tr("export.excel"),
    lambda: exports.to_excel(directory.export_all(store, as_of, query), "suppliers"),
    file_name=f"suppliers_{as_of}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="dir_xlsx",
)
buttons[1].download_button(
    tr("export.csv"),
    lambda: exports.to_csv(directory.export_all(store, as_of, query)),
    file_name=f"suppliers_{as_of}.csv",
    mime="text/csv",
    key="dir_csv",
)
