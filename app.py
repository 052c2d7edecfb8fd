"""Monosashi's Streamlit entry: page routing only."""

import streamlit as st

from dashboards import ui
from registry import access

# Page, title, icon and the navigation section it sits in (every page visible, by task).
PAGES = (
    ("overview", "nav.overview", ":material/dashboard:", "nav.section.daily"),
    ("flags", "nav.flags", ":material/flag:", "nav.section.daily"),
    ("renewals", "nav.renewals", ":material/event_repeat:", "nav.section.daily"),
    ("requests", "nav.requests", ":material/outgoing_mail:", "nav.section.daily"),
    ("outbox", "nav.outbox", ":material/mail:", "nav.section.daily"),
    ("support", "nav.support", ":material/support_agent:", "nav.section.daily"),
    ("suppliers", "nav.suppliers", ":material/list_alt:", "nav.section.suppliers"),
    ("supplier", "nav.supplier", ":material/factory:", "nav.section.suppliers"),
    ("readiness", "nav.readiness", ":material/insights:", "nav.section.suppliers"),
    ("supply_chain", "nav.supply_chain", ":material/account_tree:", "nav.section.suppliers"),
    ("certificates", "nav.certificates", ":material/verified:", "nav.section.suppliers"),
    ("imports", "nav.import", ":material/upload_file:", "nav.section.intake"),
    ("templates", "nav.templates", ":material/description:", "nav.section.intake"),
    ("crosswalks", "nav.crosswalks", ":material/compare_arrows:", "nav.section.intake"),
    ("catalogue", "nav.catalogue", ":material/menu_book:", "nav.section.intake"),
    ("settings", "nav.settings", ":material/settings:", "nav.section.admin"),
    ("users", "nav.users", ":material/group:", "nav.section.admin"),
    ("audit", "nav.audit", ":material/history:", "nav.section.admin"),
    ("portal", "nav.portal", ":material/storefront:", "nav.section.portal"),
)

st.set_page_config(page_title="Monosashi", page_icon=":material/straighten:", layout="wide")
ui.language_switch()
who = ui.sign_in(ui.store())
if who is None:
    st.stop()
ui.account_box(who)
# Each person's navigation holds only the pages their role may open (a supplier: the portal).
allowed = [page for page in PAGES if access.page_allowed(who, page[0])]
sections: dict[str, list[st.Page]] = {}
for index, (name, key, icon, section) in enumerate(allowed):
    sections.setdefault(ui.tr(section), []).append(
        st.Page(f"dashboards/pages/{name}.py", title=ui.tr(key), icon=icon, default=index == 0, url_path=name)
    )
ui.run(sections)
