"""A crosswalk authored in Excel: the sheet ``crosswalk`` written by Monosashi's export.

Rows 1–9 hold the crosswalk's identity as label/value pairs (id, title_ja, title_en,
source_framework, source_version, target_version, method, description, description_ja); the
header row ``source | target | relationship | strength | rationale | source_level | rationale_ja``
follows, one entry per row. ``description_ja`` and the column ``rationale_ja`` (the texts for
Japanese readers) are optional, so a sheet exported before they existed still imports; a row
with a Japanese rationale only takes it as its rationale too (the crosswalk model requires one).
The result is validated like a shipped crosswalk (IDs on both sides must exist), each
problem at the cell it is about. The export puts an apostrophe before a text that would start a
formula (registry/neutralise.py); reading takes it off again, so a crosswalk goes out to Excel
and back unchanged.
"""

from __future__ import annotations

import json
import re

from pydantic import ValidationError

from importers.base import Limits, Problem, SourceFile, SourceFileError
from importers.tabular import Table, cell, find_header, problems_at, problems_full, read_tables
from questionnaires.catalogue import available_versions, load_catalogue
from questionnaires.crosswalks import Crosswalk, CrosswalkEntry, CrosswalkError, load_crosswalk_text, source_items
from questionnaires.frameworks import MappingProfile

__all__ = ["HEADER", "META", "SHEET", "parse"]

SHEET = "crosswalk"
META = (
    "id",
    "title_ja",
    "title_en",
    "source_framework",
    "source_version",
    "target_version",
    "method",
    "description",
    "description_ja",
)
HEADER = ("source", "target", "relationship", "strength", "rationale", "source_level", "rationale_ja")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What a crosswalk must say (method and description have defaults), and each entry.
_REQUIRED_META = META[:6]
_REQUIRED_CELLS = HEADER[:5]
# The columns whose problems have a message label of their own (the others are said of the row).
_LABELLED = HEADER[:6]
# The shapes questionnaires/crosswalks.py requires, checked here first to say them at their cell.
_ID = re.compile(r"[a-z0-9][a-z0-9.\-]+")
_CRITERION = re.compile(r"[1-7]-\d+-\d+-\d+")
# Where the crosswalk model's nested fields are written in the sheet.
_META_OF = {
    ("source", "framework"): "source_framework",
    ("source", "version"): "source_version",
    ("target", "version"): "target_version",
}


def _text(value: str | None) -> str | None:
    """A cell's text as the crosswalk had it before the export neutralised it."""
    if value and value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


class _Sheet:
    """The crosswalk sheet read: identity rows, entries, and the cells each came from."""

    def __init__(self, table: Table, header_row: int, columns: dict[str, int]) -> None:
        self.table, self.header_row, self.columns = table, header_row, columns
        self.meta: dict[str, str | None] = {}
        self.meta_cells: dict[str, str] = {}
        for row0, row in enumerate(table.rows[:header_row]):
            if row and row[0] in META:
                self.meta[row[0]] = _text(cell(row, 1))
                self.meta_cells[row[0]] = table.where(row0, 1)
        self.entries: list[dict[str, object]] = []
        self.rows: list[int] = []  # the table row of each entry

    @property
    def label(self) -> str:
        return self.table.label

    def meta_cell(self, name: str) -> str:
        return self.meta_cells.get(name, self.label)

    def entry_cell(self, index: int, field: str | None) -> str:
        row0 = self.rows[index]
        column = self.columns.get(field) if field else None
        return self.table.where_row(row0) if column is None else self.table.where(row0, column)

    def place(self, loc: tuple[int | str, ...]) -> tuple[str, str]:
        """Where a validation error of the crosswalk model is, and the name of its field."""
        if len(loc) >= 2 and loc[0] == "entries" and isinstance(loc[1], int) and loc[1] < len(self.rows):
            field = str(loc[2]) if len(loc) > 2 else None
            label = f"crosswalk.column.{field}" if field in _LABELLED else "field.record"
            return self.entry_cell(loc[1], field), label
        name = _META_OF.get(tuple(map(str, loc[:2])), str(loc[0]) if loc else "")
        if name in META:
            return self.meta_cell(name), f"crosswalk.meta.{name}"
        return self.label, "field.record"


def _read_entries(sheet: _Sheet, problems: list[Problem]) -> None:
    """The entries under the header, each cell checked for what can be said at the cell."""
    table, columns = sheet.table, sheet.columns
    first_row: dict[tuple[str | None, str | None], int] = {}
    for row0 in range(sheet.header_row + 1, len(table.rows)):
        if problems_full(problems, table.where_row(row0)):
            return
        row = table.rows[row0]
        values = {name: _text(cell(row, columns.get(name))) for name in HEADER}
        if not any(values.values()):
            continue
        if not values["rationale"] and values["rationale_ja"]:  # written in Japanese only
            values["rationale"] = values["rationale_ja"]
        empty = [name for name in _REQUIRED_CELLS if not values[name]]
        for name in empty:
            problems.append(Problem.of(table.where(row0, columns[name]), "crosswalk.cell_empty", column=name))
        if empty:
            continue
        try:
            strength = float(values["strength"] or "")
        except ValueError:
            problems.append(
                Problem.of(table.where(row0, columns["strength"]), "crosswalk.strength", found=values["strength"])
            )
            continue
        if not _CRITERION.fullmatch(values["target"] or ""):
            problems.append(
                Problem.of(table.where(row0, columns["target"]), "scs.criterion_id_format", found=values["target"])
            )
            continue
        pair = (values["source"], values["target"])
        if pair in first_row:
            problems.append(
                Problem.of(
                    table.where_row(row0),
                    "crosswalk.pair_repeats",
                    source=pair[0],
                    target=pair[1],
                    row=first_row[pair] + table.origin[0] + 1,
                )
            )
            continue
        first_row[pair] = row0
        entry = {**values, "strength": strength, "source_level": values["source_level"]}
        try:  # the rest of an entry's rules (relationship, strength's range, rationale), at its cells
            CrosswalkEntry.model_validate(entry)
        except ValidationError as exc:
            problems.extend(problems_at(exc, lambda loc, row0=row0: _entry_place(table, columns, row0, loc)))
            continue
        sheet.entries.append(entry)
        sheet.rows.append(row0)


def _entry_place(table: Table, columns: dict[str, int], row0: int, loc: tuple[int | str, ...]) -> tuple[str, str]:
    field = str(loc[0]) if loc else None
    if field in _LABELLED and field in columns:
        return table.where(row0, columns[field]), f"crosswalk.column.{field}"
    return table.where_row(row0), "field.record"


def _meta_problems(sheet: _Sheet) -> list[Problem]:
    problems = [
        Problem.of(sheet.label, "crosswalk.meta_missing", name=name)
        for name in _REQUIRED_META
        if not sheet.meta.get(name)
    ]
    found = sheet.meta.get("id")
    if found and not _ID.fullmatch(found):
        problems.append(Problem.of(sheet.meta_cell("id"), "crosswalk.id_format", found=found))
    return problems


def _id_problems(sheet: _Sheet, crosswalk: Crosswalk, profiles: dict[str, MappingProfile] | None) -> list[Problem]:
    """Every entry's IDs against both sides: the SCS catalogue version and the source framework."""
    problems: list[Problem] = []
    source, target = crosswalk.source, crosswalk.target
    versions = available_versions()
    if target.version not in versions:
        problems.append(
            Problem.of(
                sheet.meta_cell("target_version"),
                "crosswalk.target_version_unknown",
                version=target.version,
                known=versions,
            )
        )
        targets = None
    else:
        targets = {c.id for c in load_catalogue(target.version).criteria}
    try:
        sources = source_items(source, profiles)
    except KeyError:
        problems.append(
            Problem.of(
                sheet.meta_cell("source_framework"), "crosswalk.source_framework_unknown", framework=source.framework
            )
        )
        sources = None
    for index, entry in enumerate(crosswalk.entries):
        if problems_full(problems, sheet.entry_cell(index, None)):
            break
        if sources is not None and entry.source not in sources:
            problems.append(
                Problem.of(
                    sheet.entry_cell(index, "source"),
                    "crosswalk.source_unknown",
                    source=entry.source,
                    framework=source.framework,
                    version=source.version,
                )
            )
        if targets is not None and entry.target not in targets:
            problems.append(
                Problem.of(
                    sheet.entry_cell(index, "target"),
                    "crosswalk.target_unknown",
                    target=entry.target,
                    version=target.version,
                )
            )
    return problems


def parse(source: SourceFile, profiles: dict[str, MappingProfile] | None = None) -> Crosswalk:
    tables = {t.sheet: t for t in read_tables(source, Limits())}
    if SHEET not in tables:
        raise SourceFileError.at(source.name, source.name, "crosswalk.sheet_missing", sheet=SHEET)
    table = tables[SHEET]
    header = find_header(table, HEADER[:5])
    if header is None:
        raise SourceFileError.at(
            source.name, f"{source.name}: {SHEET}", "crosswalk.header_missing", columns=list(HEADER[:5])
        )
    sheet = _Sheet(table, *header)
    problems: list[Problem] = []
    _read_entries(sheet, problems)
    problems[:0] = _meta_problems(sheet)
    if problems:
        raise SourceFileError(source.name, problems)
    meta = sheet.meta
    doc = {
        "id": meta.get("id"),
        "title_ja": meta.get("title_ja"),
        "title_en": meta.get("title_en"),
        "source": {"framework": meta.get("source_framework"), "version": meta.get("source_version")},
        "target": {"framework": "scs", "version": meta.get("target_version")},
        "method": meta.get("method") or "authored",
        "description": meta.get("description") or "",
        "description_ja": meta.get("description_ja") or None,
        "entries": sheet.entries,
    }
    try:
        crosswalk = Crosswalk.model_validate(doc)
    except ValidationError as exc:
        raise SourceFileError(source.name, problems_at(exc, sheet.place, limit=100)) from None
    problems = _id_problems(sheet, crosswalk, profiles)
    if problems:
        raise SourceFileError(source.name, problems)
    try:  # the checks of questionnaires/crosswalks.py, which the ones above say cell by cell
        return load_crosswalk_text(json.dumps(doc, ensure_ascii=False), f"{source.name}: {SHEET}", profiles)
    except CrosswalkError as exc:
        raise SourceFileError.at(
            source.name, f"{source.name}: {SHEET}", "crosswalk.refused", detail=exc.problem
        ) from None
