"""Crosswalks as the registry uses them: shipped, carried by profiles, and edited by users;
their coverage of the catalogue; and their Excel form for authoring."""

from __future__ import annotations

import io

import polars as pl
from openpyxl.styles import Font, PatternFill

from importers.crosswalk_excel import HEADER, META, SHEET
from importers.crosswalk_excel import parse as parse_crosswalk_excel
from questionnaires.catalogue import Catalogue
from questionnaires.crosswalks import Crosswalk, CrosswalkError, all_crosswalks, crosswalk_frame, load_crosswalk_text
from questionnaires.frameworks import MappingProfile
from registry.services.exports import japanese_workbook
from registry.store import Store
from registry.store.settings import save_user_crosswalk, user_crosswalk_texts

__all__ = [
    "Crosswalk",
    "CrosswalkError",
    "coverage",
    "effective_crosswalks",
    "load_crosswalk_text",
    "parse_crosswalk_excel",
    "save_user_crosswalk",
    "to_excel",
]


def effective_crosswalks(store: Store, profiles: dict[str, MappingProfile]) -> dict[str, Crosswalk]:
    """Shipped and profile crosswalks, with users' saved ones replacing those of the same ID."""
    out = all_crosswalks(profiles)
    for crosswalk_id, text in user_crosswalk_texts(store):
        out[crosswalk_id] = load_crosswalk_text(text, f"crosswalk {crosswalk_id} (database)", profiles)
    return out


def coverage(crosswalks: dict[str, Crosswalk], catalogue: Catalogue, min_strength: float) -> pl.DataFrame:
    """Per crosswalk and category: the share of the category's criteria the questionnaire can speak
    to at all (some entry at or above ``min_strength``)."""
    entries = crosswalk_frame(crosswalks).filter(
        (pl.col("target_version") == catalogue.version) & (pl.col("strength") >= min_strength)
    )
    criteria = catalogue.criteria_frame().select("criterion_id", "category_no")
    totals = criteria.group_by("category_no").agg(total=pl.len())
    reached = (
        entries.select("crosswalk_id", "criterion_id")
        .unique()
        .join(criteria, on="criterion_id")
        .group_by("crosswalk_id", "category_no")
        .agg(reached=pl.len())
    )
    ids = pl.DataFrame({"crosswalk_id": list(crosswalks)})
    return (
        ids.join(totals, how="cross")
        .join(reached, on=["crosswalk_id", "category_no"], how="left")
        .with_columns(score=pl.col("reached").fill_null(0) / pl.col("total"))
        .select("crosswalk_id", "category_no", "score")
        .sort("crosswalk_id", "category_no")
    )


def to_excel(crosswalk: Crosswalk) -> bytes:
    """The crosswalk as an Excel sheet a security team can edit and import back."""
    wb = japanese_workbook()
    ws = wb.active
    ws.title = SHEET
    values = {
        "id": crosswalk.id,
        "title_ja": crosswalk.title_ja,
        "title_en": crosswalk.title_en,
        "source_framework": crosswalk.source.framework,
        "source_version": crosswalk.source.version,
        "target_version": crosswalk.target.version,
        "method": crosswalk.method,
        "description": crosswalk.description,
        "description_ja": crosswalk.description_ja,
    }
    for row, key in enumerate(META, start=1):
        ws.cell(row, 1, key).font = Font(bold=True)
        ws.cell(row, 2, values[key])
    header_row = len(META) + 1  # row 10: the entries start at row 11, as in sheets exported before
    for col, name in enumerate(HEADER, start=1):
        cell = ws.cell(header_row, col, name)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
    for offset, e in enumerate(crosswalk.entries, start=1):
        for col, value in enumerate(
            (e.source, e.target, e.relationship, e.strength, e.rationale, e.source_level, e.rationale_ja), start=1
        ):
            ws.cell(header_row + offset, col, value).number_format = "@" if col <= 2 else "General"
    for letter, width in zip("ABCDEFG", (16, 12, 12, 10, 80, 12, 80), strict=True):
        ws.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
