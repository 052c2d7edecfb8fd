"""Suppliers as the pages and the CLI use them: finding one, its status as of a date, adding one,
the subcontractors it declared (proposals a buyer settles), and the files it sent."""

from __future__ import annotations

import polars as pl

from questionnaires.frameworks import load_ipa_5min
from registry.store.submissions import file_content, import_history, self_check_results, submissions
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
    "about_suppliers_named",
    "add_supplier",
    "facets",
    "file_content",
    "import_history",
    "proposals",
    "resolve_proposals",
    "self_check_band",
    "self_check_results",
    "submissions",
    "supplier_choices",
    "supplier_details",
    "supplier_status",
    "supplier_status_of",
]


def self_check_band(score: int, lang: str) -> str:
    """The band of an IPA 自社診断 total in the reader's language (e.g. "50-69: needs improvement")."""
    band = load_ipa_5min().band(score)
    return band.label_ja if lang == "ja" else band.label_en


def about_suppliers_named(frame: pl.DataFrame, search: str) -> pl.DataFrame:
    """The rows of a list (with ``supplier_id`` and ``name``) whose supplier's ID or name holds
    ``search`` as written (every row when it is empty): the search box of the Flags and
    Requests pages."""
    if not search:
        return frame
    return frame.filter(
        pl.col("supplier_id").str.contains(search, literal=True) | pl.col("name").str.contains(search, literal=True)
    )
