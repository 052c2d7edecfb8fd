"""Suppliers as the pages and the CLI use them: finding one, its status as of a date, adding one,
the subcontractors it declared (proposals a buyer settles), and the files it sent."""

from __future__ import annotations

from registry.store.submissions import file_content, import_history, submissions
from registry.store.suppliers import (
    HELD_LEVELS,
    DuplicateSupplierError,
    add_supplier,
    facets,
    proposals,
    resolve_proposals,
    supplier_choices,
    supplier_details,
    supplier_status,
    supplier_status_of,
)

__all__ = [
    "HELD_LEVELS",
    "DuplicateSupplierError",
    "add_supplier",
    "facets",
    "file_content",
    "import_history",
    "proposals",
    "resolve_proposals",
    "submissions",
    "supplier_choices",
    "supplier_details",
    "supplier_status",
    "supplier_status_of",
]
