"""Crosswalks: how each questionnaire maps onto the SCS criteria, what it can speak to at all,
and editing a crosswalk here or in Excel."""

import polars as pl
import streamlit as st

from dashboards import figures, ui
from dashboards.ui import tr
from registry.services import crosswalks, yardstick
from registry.services import profiles as profile_service
from registry.services.intake import SourceFile, SourceFileError

store = ui.store()
profiles = profile_service.mapping_profiles(store)
known = crosswalks.effective_crosswalks(store, profiles)
catalogue = yardstick.catalogue_in_force(store)
thresholds = yardstick.settings_from_store(store)

st.title(tr("crosswalks.title"))
st.caption(tr("crosswalks.caption", n=len(known), version=catalogue.version))

titles = {c: known[c].title_ja if ui.lang() == "ja" else known[c].title_en for c in known}
coverage = crosswalks.coverage(known, catalogue, thresholds.min_strength).with_columns(
    questionnaire=pl.col("crosswalk_id").replace_strict(titles, return_dtype=pl.String)
)
ui.chart(
    figures.category_heatmap(coverage, "questionnaire", ui.category_names(catalogue), tr("crosswalks.coverage")),
    "crosswalks.coverage.caption",
)

chosen = st.selectbox(
    tr("crosswalks.choose"),
    list(known),
    format_func=titles.get,
    key="crosswalk_choice",
)
crosswalk = known[chosen]
st.markdown(
    ui.plain((crosswalk.description_ja or crosswalk.description) if ui.lang() == "ja" else crosswalk.description)
)
entries = ui.crosswalk_entries(crosswalk)  # the rationale in the reader's language
edited = st.data_editor(
    entries,
    hide_index=True,
    width="stretch",
    num_rows="dynamic",
    placeholder="—",
    key=f"crosswalk_editor.{chosen}.{ui.lang()}",
    column_config=ui.crosswalk_columns(),
)
actions = st.columns(3)
if actions[0].button(tr("crosswalks.save"), key="crosswalk_save"):
    try:
        saved = ui.crosswalk_from_rows(crosswalk, edited, profiles)
    except crosswalks.CrosswalkError as exc:
        st.error(ui.error_text(exc))
    else:
        crosswalks.save_user_crosswalk(store, saved, actor=ui.actor())
        st.success(tr("crosswalks.saved", id=saved.id, n=len(saved.entries)))
actions[1].download_button(
    tr("crosswalks.export"),
    crosswalks.to_excel(crosswalk),
    file_name=f"{crosswalk.id}.xlsx",
    key="crosswalk_export",
)
with actions[2].popover(tr("crosswalks.import")):
    upload = st.file_uploader(
        tr("crosswalks.import"), type=["xlsx"], key="crosswalk_upload", label_visibility="collapsed"
    )
    if upload is not None and st.button(tr("crosswalks.import.button"), key="crosswalk_import"):
        try:
            imported = crosswalks.parse_crosswalk_excel(SourceFile(upload.name, upload.getvalue()), profiles)
        except SourceFileError as exc:
            for problem in exc.problems:
                st.error(ui.problem_text(problem))
        else:
            crosswalks.save_user_crosswalk(store, imported, actor=ui.actor())
            st.success(tr("crosswalks.saved", id=imported.id, n=len(imported.entries)))
