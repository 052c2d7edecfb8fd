"""Certificates: one supplier's certificate history with its evidence files, and adding a
certificate by hand or from its PDF (fields proposed from the text, confirmed by a person)."""

import streamlit as st
from pydantic import ValidationError

from dashboards import ui
from dashboards.ui import tr
from importers.base import SourceFile, SourceFileError
from importers.certificate_pdf import CertificateProposal
from importers.certificate_pdf import parse as read_certificate_pdf
from questionnaires.policy import SCHEMES
from registry import records
from registry.errors import MonosashiError
from registry.models import Certificate

store = ui.store()
as_of = ui.as_of()

st.title(tr("certificates.title"))
supplier_id = ui.supplier_picker(st, tr("supplier.choose"), store, key="certificates_supplier")
if not supplier_id:
    st.info(tr("supplier.none"))
    st.stop()

ui.certificate_history(store, as_of, supplier_id)

st.subheader(tr("certificates.add"))
upload = st.file_uploader(tr("certificates.file"), type=["pdf", "png", "jpg", "jpeg"], key="certificate_file")
proposal = CertificateProposal(source_name="", sha256="")
if upload is not None and upload.name.lower().endswith(".pdf"):
    try:
        proposal = read_certificate_pdf(SourceFile(upload.name, upload.getvalue()))
    except SourceFileError as exc:
        st.warning(f"{exc} — {tr('certificates.manual')}")
    else:
        st.info(tr("certificates.image_only") if proposal.image_only else tr("certificates.proposed"))
with st.form("certificate_form"):
    columns = st.columns(3)
    scheme = columns[0].selectbox(
        tr("col.scheme"),
        SCHEMES,
        index=SCHEMES.index(proposal.scheme) if proposal.scheme else 0,
        format_func=lambda s: tr(f"scheme.{s}"),
    )
    scheme_name = columns[1].text_input(tr("certificates.scheme_name"))
    number = columns[2].text_input(tr("col.registration_no"), value=proposal.registration_no or "")
    dates = st.columns(3)
    issued = dates[0].date_input(tr("col.issued_on"), value=proposal.issued_on or as_of, format="YYYY-MM-DD")
    expires = dates[1].date_input(tr("certificates.expires"), value=proposal.expires_on, format="YYYY-MM-DD")
    issuer = dates[2].text_input(tr("certificates.issuer"), value=proposal.issuer or "")
    scope = st.text_input(tr("certificates.scope"))
    submitted = st.form_submit_button(tr("certificates.save"), type="primary")
if submitted:
    attached = (
        [(upload.name, upload.getvalue(), upload.type or "application/octet-stream")] if upload is not None else []
    )
    try:
        certificate = Certificate(
            certificate_id=f"{scheme}:{number or (attached[0][0] if attached else issued.isoformat())}"[:80],
            supplier_id=supplier_id,
            scheme=scheme,
            scheme_name=scheme_name or None,
            registration_no=number or None,
            issued_on=issued,
            expires_on=expires,
            issuer=issuer or None,
            scope=scope or None,
        )
        records.add_certificate(store, certificate, attached, actor=ui.actor())
    except ValidationError as exc:
        st.error("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()))
    except MonosashiError as exc:
        st.error(str(exc))
    else:
        st.success(tr("certificates.saved", certificate=certificate.certificate_id))
        st.rerun()
