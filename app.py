"""Monosashi's Streamlit entry: page routing only."""

import streamlit as st

from dashboards import ui

st.set_page_config(page_title="Monosashi", page_icon=":material/straighten:", layout="wide")
ui.language_switch()
ui.store()
pages = [
    st.Page(
        "dashboards/pages/overview.py",
        title=ui.tr("nav.overview"),
        icon=":material/dashboard:",
        default=True,
        url_path="overview",
    ),
    st.Page(
        "dashboards/pages/readiness.py", title=ui.tr("nav.readiness"), icon=":material/insights:", url_path="readiness"
    ),
    st.Page(
        "dashboards/pages/supplier.py", title=ui.tr("nav.supplier"), icon=":material/factory:", url_path="supplier"
    ),
    st.Page("dashboards/pages/imports.py", title=ui.tr("nav.import"), icon=":material/upload_file:", url_path="import"),
    st.Page(
        "dashboards/pages/templates.py",
        title=ui.tr("nav.templates"),
        icon=":material/description:",
        url_path="templates",
    ),
    st.Page(
        "dashboards/pages/catalogue.py", title=ui.tr("nav.catalogue"), icon=":material/menu_book:", url_path="catalogue"
    ),
]
ui.run(pages)
