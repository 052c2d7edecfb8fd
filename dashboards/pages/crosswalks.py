"""Crosswalks: how each questionnaire maps onto the SCS criteria, what it can speak to at all,
and editing a crosswalk here or in Excel."""

import streamlit as st

from dashboards import figures, ui
from dashboards.ui import tr
from importers.base import SourceFile, SourceFileError
from importers.crosswalk_excel import parse as parse_crosswalk_excel
from questionnaires.crosswalks import CrosswalkError
from registry.services import crosswalk_store, intake, yardstick

store = ui.store()
profiles = intake.mapping_profiles(store)
crosswalks = crosswalk_store.effective_crosswalks(store, profiles)
catalogue = yardstick.catalogue_in_force(store)
settings = yardstick.settings_from_store(store)

st.title(tr("crosswalks.title"))
st.caption(tr("crosswalks.caption", n=len(crosswalks), version=catalogue.version))

coverage = crosswalk_store.coverage(crosswalks, catalogue, settings.min_strength)
ui.chart(
    figures.category_heatmap(coverage, "crosswalk_id", ui.category_names(catalogue), tr("crosswalks.coverage")),
    "crosswalks.coverage.caption",
)

chosen = st.selectbox(
    tr("crosswalks.choose"),
    list(crosswalks),
    format_func=lambda c: f"{c} — {crosswalks[c].title_ja if ui.lang() == 'ja' else crosswalks[c].title_en}",
    key="crosswalk_choice",
)
crosswalk = crosswalks[chosen]
st.markdown(ui.plain(crosswalk.description))
entries = ui.crosswalk_entries(crosswalk)
edited = st.data_editor(
    entries,
    hide_index=True,
    width="stretch",
    num_rows="dynamic",
    key=f"crosswalk_editor.{chosen}",
    column_config=ui.crosswalk_columns(),
)
actions = st.columns(3)
if actions[0].button(tr("crosswalks.save"), key="crosswalk_save"):
    try:
        saved = ui.crosswalk_from_rows(crosswalk, edited, profiles)
    except CrosswalkError as exc:
        st.error(ui.plain(str(exc)))
    else:
        crosswalk_store.save_user_crosswalk(store, saved, actor=ui.actor())
        st.success(tr("crosswalks.saved", id=saved.id, n=len(saved.entries)))
actions[1].download_button(
    tr("crosswalks.export"),
    crosswalk_store.to_excel(crosswalk),
    file_name=f"{crosswalk.id}.xlsx",
    key="crosswalk_export",
)
with actions[2].popover(tr("crosswalks.import")):
    upload = st.file_uploader(
        tr("crosswalks.import"), type=["xlsx"], key="crosswalk_upload", label_visibility="collapsed"
    )
    if upload is not None and st.button(tr("crosswalks.import.button"), key="crosswalk_import"):
        try:
            imported = parse_crosswalk_excel(SourceFile(upload.name, upload.getvalue()), profiles)
        except SourceFileError as exc:
            for problem in exc.problems:
                st.error(ui.plain(f"{problem.location}: {problem.message}"))
        else:
            crosswalk_store.save_user_crosswalk(store, imported, actor=ui.actor())
            st.success(tr("crosswalks.saved", id=imported.id, n=len(imported.entries)))
