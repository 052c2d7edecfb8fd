"""Monosashi's Streamlit entry: page routing only."""

import streamlit as st

from dashboards import ui
from registry import access

PAGES = (
    ("overview", "nav.overview", ":material/dashboard:"),
    ("suppliers", "nav.suppliers", ":material/list_alt:"),
    ("readiness", "nav.readiness", ":material/insights:"),
    ("supplier", "nav.supplier", ":material/factory:"),
    ("requests", "nav.requests", ":material/outgoing_mail:"),
    ("flags", "nav.flags", ":material/flag:"),
    ("support", "nav.support", ":material/support_agent:"),
    ("supply_chain", "nav.supply_chain", ":material/account_tree:"),
    ("renewals", "nav.renewals", ":material/event_repeat:"),
    ("certificates", "nav.certificates", ":material/verified:"),
    ("imports", "nav.import", ":material/upload_file:"),
    ("templates", "nav.templates", ":material/description:"),
    ("crosswalks", "nav.crosswalks", ":material/compare_arrows:"),
    ("catalogue", "nav.catalogue", ":material/menu_book:"),
    ("settings", "nav.settings", ":material/settings:"),
    ("users", "nav.users", ":material/group:"),
    ("audit", "nav.audit", ":material/history:"),
    ("portal", "nav.portal", ":material/storefront:"),
)

st.set_page_config(page_title="Monosashi", page_icon=":material/straighten:", layout="wide")
ui.language_switch()
who = ui.sign_in(ui.store())
if who is None:
    st.stop()
ui.account_box(who)
# Each person's navigation holds only the pages their role may open (a supplier: the portal).
allowed = [page for page in PAGES if access.page_allowed(who, page[0])]
ui.run(
    [
        st.Page(f"dashboards/pages/{name}.py", title=ui.tr(key), icon=icon, default=index == 0, url_path=name)
        for index, (name, key, icon) in enumerate(allowed)
    ]
)
