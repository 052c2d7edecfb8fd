"""Importers: bytes in, validated pydantic batches out; they never touch the database.

Each format is one module (or object) with ``NAME``, ``sniff(source, context) -> float`` and
``parse(source, context) -> ImportBatch``; :data:`IMPORTERS` is the registration list, most
specific first. ``ipa_catalogue`` (IPA's official Excel of texts) is separate: it feeds the
catalogue, not supplier records.
"""

from importers import checklist, ipa_5min, ipa_catalogue, json_exchange, scs_self_assessment, template
from importers.base import Importer
from importers.lists import (
    certificate_list,
    level_requests,
    security_action,
    supplier_links,
    supplier_master,
    yearly_check_list,
)

__all__ = ["IMPORTERS", "Importer", "ipa_catalogue"]

IMPORTERS: list[Importer] = [
    template,
    json_exchange,
    scs_self_assessment,
    ipa_5min,
    checklist,
    security_action,
    certificate_list,
    yearly_check_list,
    level_requests,
    supplier_links,
    supplier_master,
]
