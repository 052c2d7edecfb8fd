"""Support: the suppliers who need help to reach the ★ asked of them, most in need first, with
the お助け隊 menu that fits and a gap report to send or work through."""

import polars as pl
import streamlit as st

from dashboards import ui
from dashboards.ui import tr
from registry.services import documents, support

OFFERED = 300  # suppliers the gap report choice offers

store = ui.store()
as_of = ui.as_of()
lang = ui.lang()

st.title(tr("support.title"))
st.caption(tr("support.caption"))
st.caption(tr("support.pilot"))
ranked = support.candidates(store, as_of, lang)
if ranked.is_empty():
    st.info(tr("support.empty"))
    st.stop()

menus = ui.multiselect(st, tr("col.menu"), sorted(ranked["menu"].drop_nulls().unique()), str, key="support_menus")
shown = ranked.filter(pl.col("menu").is_in(menus)) if menus else ranked
counts = st.columns(4)
for column, (menu, n) in zip(counts, ranked.group_by("menu").len().sort("menu").iter_rows(), strict=False):
    column.metric(ui.plain(menu or "—"), f"{n:,}")
columns = [
    "supplier_id",
    "name",
    "industry",
    "employees",
    "target_level",
    "readiness",
    "menu",
    "menu_reason",
    "support_flags",
    "reasons",
]
table = shown.select(columns)
ui.table(table, config={"readiness": st.column_config.ProgressColumn(tr("col.readiness"), format="percent")})
ui.downloads(table, "support", as_of)

st.subheader(tr("support.gap"))
# The first suppliers shown, most in need first: thousands of options took the browser a second to draw.
offered = shown.head(OFFERED)
names = dict(zip(offered["supplier_id"], offered["name"], strict=True))
supplier_id = st.selectbox(
    tr("support.choose"), list(names), format_func=lambda s: f"{s} {names[s]}", key="support_supplier"
)
if shown.height > OFFERED:
    st.caption(tr("app.options_first", limit=f"{OFFERED:,}", n=f"{shown.height:,}"))
if supplier_id:
    report = support.gap(store, as_of, supplier_id, lang=lang)
    facts = st.columns(4)
    facts[0].metric(tr("support.target"), f"★{report.target_level}")
    facts[1].metric(tr("col.readiness"), ui.percent(report.readiness))
    facts[2].metric(tr("support.gaps"), f"{report.gaps.height:,}")
    facts[3].metric(tr("col.menu"), ui.plain(report.menu))
    st.markdown(f"**{ui.plain(report.menu)}** — {ui.plain(report.menu_description)}  \n{ui.plain(report.menu_reason)}")
    for kind in ("tool", "organisational"):
        part = report.by_theme.filter(pl.col("remedy_kind") == kind).select(
            "remedy", "criteria", "criterion_ids", "next_step"
        )
        st.markdown(f"**{tr(f'support.kind.{kind}')}**")
        ui.table(part)
    st.download_button(
        tr("supplier.gap_report"),
        lambda report=report: documents.gap_report_xlsx(report, lang),  # made on the click
        file_name=f"gap-{supplier_id}.xlsx",
        key="support_gap_one",
    )

st.subheader(tr("support.bulk"))
many = st.number_input(tr("support.bulk.n"), 1, max(1, min(200, shown.height)), min(20, shown.height), key="support_n")
if st.button(tr("support.bulk.prepare", n=int(many)), key="support_prepare"):
    bar = st.progress(0.0)
    st.session_state["support_zip"] = documents.gap_reports_zip(
        store, as_of, shown["supplier_id"].head(int(many)).to_list(), lang, lambda i, n: bar.progress(i / n)
    )
    bar.progress(1.0)
if "support_zip" in st.session_state:
    st.download_button(
        tr("support.bulk.download"),
        st.session_state["support_zip"],
        file_name=f"gap-reports-{as_of}.zip",
        mime="application/zip",
        key="support_zip_download",
    )
