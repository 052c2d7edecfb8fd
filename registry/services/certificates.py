"""Certificates as people handle them: adding one by hand or from its PDF (the fields proposed
from the text for a person to confirm), the files kept with them, and the suppliers' claims a
buyer confirms or rejects."""

from __future__ import annotations

from importers.certificate_pdf import CertificateProposal
from importers.certificate_pdf import parse as read_certificate_pdf
from questionnaires.policy import SCHEMES
from registry.domain.models import Certificate
from registry.store.certificates import (
    CertificateConflictError,
    add_certificate,
    certificate_files,
    certificate_owner,
    confirm,
    record_yearly_check,
    unconfirmed,
    yearly_checks,
)

__all__ = [
    "SCHEMES",
    "Certificate",
    "CertificateConflictError",
    "CertificateProposal",
    "add_certificate",
    "certificate_files",
    "certificate_owner",
    "confirm",
    "read_certificate_pdf",
    "record_yearly_check",
    "unconfirmed",
    "yearly_checks",
]
