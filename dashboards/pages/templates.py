"""Templates: a blank workbook for one supplier and framework, to send out and import back as is."""

import streamlit as st

from dashboards import ui
from dashboards.ui import tr
from registry import clock
from registry.services import profiles as profile_service
from registry.services.templates import build_template

store = ui.store()
profiles = profile_service.mapping_profiles(store)
frameworks = ui.framework_names(profiles)

st.title(tr("templates.title"))
st.caption(tr("templates.caption"))

framework = st.selectbox(
    tr("templates.framework"), list(frameworks), format_func=frameworks.get, key="template_framework"
)
level = 4
if framework == "scs":
    level = int(
        ui.radio(st, tr("catalogue.level"), ["3", "4"], lambda lv: tr(f"catalogue.level.{lv}"), key="template_level")
    )
supplier_id = ui.supplier_picker(st, tr("templates.supplier"), store, key="template_supplier")
if supplier_id:
    workbook = build_template(framework, supplier_id, level=level, profiles=profiles, generated_on=clock.today())
    st.download_button(
        tr("templates.download"),
        workbook,
        file_name=f"{framework}_{supplier_id}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        type="primary",
        key="template_download",
    )
    st.caption(tr("templates.contents"))
else:
    st.info(tr("templates.choose_supplier"))
