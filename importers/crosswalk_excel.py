"""A crosswalk authored in Excel: the sheet ``crosswalk`` written by Monosashi's export.

Rows 1–8 hold the crosswalk's identity as label/value pairs (id, title_ja, title_en,
source_framework, source_version, target_version, method, description); the header row
``source | target | relationship | strength | rationale | source_level`` follows, one entry per
row. The result is validated like a shipped crosswalk (IDs on both sides must exist). The
export puts an apostrophe before a text that would start a formula (registry/neutralise.py);
reading takes it off again, so a crosswalk goes out to Excel and back unchanged.
"""

from __future__ import annotations

import json

from importers.base import Limits, Problem, SourceFile, SourceFileError
from importers.tabular import cell, find_header, read_tables
from questionnaires.crosswalks import Crosswalk, CrosswalkError, load_crosswalk_text
from questionnaires.frameworks import MappingProfile

__all__ = ["HEADER", "META", "SHEET", "parse"]

SHEET = "crosswalk"
META = ("id", "title_ja", "title_en", "source_framework", "source_version", "target_version", "method", "description")
HEADER = ("source", "target", "relationship", "strength", "rationale", "source_level")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str | None) -> str | None:
    """A cell's text as the crosswalk had it before the export neutralised it."""
    if value and value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


def parse(source: SourceFile, profiles: dict[str, MappingProfile] | None = None) -> Crosswalk:
    tables = {t.sheet: t for t in read_tables(source, Limits())}
    if SHEET not in tables:
        raise SourceFileError.at(
            source.name, source.name, f"no sheet named {SHEET!r} (export a crosswalk to see the layout)"
        )
    table = tables[SHEET]
    header = find_header(table, HEADER[:5])
    if header is None:
        raise SourceFileError.at(source.name, f"{source.name}: {SHEET}", f"no header row with {', '.join(HEADER[:5])}")
    header_row, columns = header
    meta = {row[0]: _text(cell(row, 1)) for row in table.rows[:header_row] if row and row[0] in META}
    problems: list[Problem] = []
    entries = []
    for row0 in range(header_row + 1, len(table.rows)):
        row = table.rows[row0]
        values = {name: _text(cell(row, columns.get(name))) for name in HEADER}
        if not any(values.values()):
            continue
        try:
            strength = float(values["strength"] or "")
        except ValueError:
            problems.append(
                Problem(
                    location=table.where(row0, columns["strength"]),
                    message=f"expected a strength between 0 and 1, found {values['strength']!r}",
                )
            )
            continue
        entries.append({**values, "strength": strength, "source_level": values["source_level"]})
    if problems:
        raise SourceFileError(source.name, problems)
    doc = {
        "id": meta.get("id"),
        "title_ja": meta.get("title_ja"),
        "title_en": meta.get("title_en"),
        "source": {"framework": meta.get("source_framework"), "version": meta.get("source_version")},
        "target": {"framework": "scs", "version": meta.get("target_version")},
        "method": meta.get("method") or "authored",
        "description": meta.get("description") or "",
        "entries": entries,
    }
    try:
        return load_crosswalk_text(json.dumps(doc, ensure_ascii=False), f"{source.name}: {SHEET}", profiles)
    except CrosswalkError as exc:
        raise SourceFileError.at(source.name, f"{source.name}: {SHEET}", exc.problem) from None
