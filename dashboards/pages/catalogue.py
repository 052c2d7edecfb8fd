"""SCS catalogue: categories, requirements and criteria with levels, CSF functions, official
citations and our summaries; IPA's official texts when imported."""

import polars as pl
import streamlit as st

from dashboards import ui
from dashboards.ui import tr
from registry import clock
from registry.services.catalogue import (
    available_versions,
    catalogue_table,
    import_official_texts,
    official_texts,
    version_differences,
)
from registry.services.intake import SourceFileError

store = ui.store()
lang = ui.lang()

version = st.sidebar.selectbox(tr("catalogue.version"), available_versions(), key="catalogue_version")
catalogue = ui.catalogue(version)

st.title(tr("catalogue.title"))
st.caption(
    tr(
        "catalogue.caption",
        version=catalogue.version,
        status=tr(f"catalogue.status.{catalogue.data.status}"),
        categories=len(catalogue.data.categories),
        requirements=len(catalogue.requirements),
        criteria=len(catalogue.criteria),
    )
)

filters = st.columns([1, 3])
level = ui.radio(
    filters[0], tr("catalogue.level"), ["all", "3", "4"], lambda lv: tr(f"catalogue.level.{lv}"), key="catalogue_level"
)
category_names = {c.no: f"{c.no} {c.name_ja if lang == 'ja' else c.name_en}" for c in catalogue.data.categories}
chosen = ui.multiselect(
    filters[1], tr("catalogue.categories"), list(category_names), category_names.get, key="catalogue_categories"
)

table = catalogue_table(
    catalogue,
    level=None if level == "all" else int(level),
    categories=chosen,
    official_texts=official_texts(store, version),
)
st.caption(tr("catalogue.shown", n=table.height))
columns = {
    "criterion_id": tr("col.criterion_id"),
    "requirement_id": tr("col.requirement_id"),
    "requirement_title_ja": tr("col.requirement_title"),
    "level": tr("col.level"),
    "csf_function": tr("col.csf"),
    f"summary_{lang}": tr("col.summary"),
    "iso27001": tr("col.iso27001"),
    "jama_japia": tr("col.jama"),
    "cyber_essentials": tr("col.ce"),
    "cmmc": tr("col.cmmc"),
    "gov_unified": tr("col.gov"),
    "official_text": tr("col.official_text"),
}
shown = table.select(list(columns))
ui.table(shown, columns)
ui.downloads(shown, f"scs_criteria_{version}", clock.today())

st.subheader(tr("catalogue.detail"))
criterion_id = st.selectbox(tr("col.criterion_id"), table["criterion_id"].to_list(), key="catalogue_criterion")
if criterion_id:
    row = table.row(by_predicate=pl.col("criterion_id") == criterion_id, named=True)
    st.markdown(
        f"**{ui.plain(row['criterion_id'])}** · ★{row['level']} · {ui.plain(row['csf_function'])}"
        f" · {ui.plain(row['requirement_id'])} {ui.plain(row['requirement_title_ja'])}"
    )
    st.markdown(ui.plain(row[f"summary_{lang}"]))
    st.write(ui.plain(row["official_text"]) if row["official_text"] else tr("catalogue.official_missing"))
    st.markdown(f"**{tr('catalogue.citations')}**")
    for key, col in (
        ("iso27001", "col.iso27001"),
        ("jama_japia", "col.jama"),
        ("cyber_essentials", "col.ce"),
        ("cmmc", "col.cmmc"),
        ("gov_unified", "col.gov"),
    ):
        if row[key]:
            st.markdown(f"{tr(col)}: {ui.plain(', '.join(row[key]))}")

with st.expander(tr("catalogue.import")):
    upload = st.file_uploader(
        tr("catalogue.import"), type=["xlsx"], key="catalogue_upload", label_visibility="collapsed"
    )
    if upload is not None and st.button(
        tr("catalogue.import.button"), key="catalogue_import", disabled=not ui.allowed("import_official_texts")
    ):
        try:
            batch = import_official_texts(store, upload.name, upload.getvalue(), actor=ui.actor())
        except SourceFileError as exc:
            for problem in exc.problems:
                st.error(ui.problem_text(problem))
        else:
            st.success(
                tr(
                    "catalogue.import.done",
                    file=upload.name,
                    version=batch.catalogue_version,
                    requirements=len(batch.requirements),
                    criteria=len(batch.criteria),
                )
            )

with st.expander(tr("catalogue.differences")):
    diff = version_differences(ui.catalogue("2025-12"), ui.catalogue("2026-03-27"))
    st.markdown(f"{tr('catalogue.removed')}: {ui.plain(', '.join(diff.removed_requirements))}")
    st.write(tr("catalogue.renamed"))
    st.table({rid: ui.plain(f"{old} → {new}") for rid, (old, new) in diff.renamed_requirements.items()})
    st.write(
        tr(
            "catalogue.criteria_changes",
            removed=len(diff.removed_criteria),
            added=len(diff.added_criteria),
            levels=len(diff.level_changes),
        )
    )
