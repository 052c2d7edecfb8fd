"""Certificates: one supplier's certificate history with its evidence files, and adding a
certificate by hand or from its PDF (fields proposed from the text, confirmed by a person)."""

import streamlit as st

from dashboards import ui
from dashboards.ui import tr

store = ui.store()
as_of = ui.as_of()

st.title(tr("certificates.title"))
supplier_id = ui.supplier_picker(st, tr("supplier.choose"), store, key="certificates_supplier")
if not supplier_id:
    st.info(tr("supplier.none"))
    st.stop()

ui.certificate_history(store, as_of, supplier_id)

st.subheader(tr("certificates.add"))
ui.certificate_form(store, as_of, supplier_id, key="certificate")
