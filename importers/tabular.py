"""Sheets and CSV files as tables of text, with the means to name any cell of them.

Every importer reads through here: Excel with fastexcel (calamine) after the container checks,
CSV/TSV after encoding detection. Cells come back as text (or null), NFKC-normalised and trimmed;
row and column positions are kept so that problems can name ``sheet!C12`` or ``line 12``.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

import fastexcel
from pydantic import BaseModel, ValidationError

from importers.base import (
    ImportContext,
    Limits,
    MessageValue,
    Problem,
    SourceFile,
    SourceFileError,
    SupplierRef,
    cell_name,
    header_key,
    problem_from,
    validation_problems,
)
from importers.container import check_office_zip, decode_text, sheet_origins, too_large
from importers.normalise import parse_date

__all__ = [
    "EXCEL_SUFFIXES",
    "MAX_PROBLEMS",
    "TEXT_SUFFIXES",
    "M",
    "Table",
    "cell",
    "find_header",
    "item_rows",
    "label_values",
    "macro_warnings",
    "problems_at",
    "problems_full",
    "read_tables",
    "reader_failed",
    "reader_reason",
    "row_model",
    "supplier_and_date",
]

M = TypeVar("M", bound=BaseModel)
EXCEL_SUFFIXES = {"xlsx", "xlsm"}
TEXT_SUFFIXES = {"csv", "tsv", "txt"}


@dataclass(frozen=True)
class Table:
    """One sheet (or one CSV file) as text cells; ``rows[i][j]`` is row i, column j (0-based)."""

    source_name: str
    sheet: str | None  # None for CSV/TSV
    rows: list[list[str | None]]
    # The sheet's first filled row and column: the reader's table starts there, not at A1.
    origin: tuple[int, int] = (0, 0)
    _keys: dict[int, dict[str, int]] = field(default_factory=dict, repr=False, compare=False)

    def where(self, row0: int, col0: int) -> str:
        """Where a cell is, as a person would look for it (the sheet's own row and column)."""
        if self.sheet is None:
            return f"{self.source_name} line {row0 + 1}, column {col0 + 1}"
        return cell_name(self.source_name, self.sheet, row0 + self.origin[0], col0 + self.origin[1])

    def where_row(self, row0: int) -> str:
        return (
            f"{self.source_name} line {row0 + 1}"
            if self.sheet is None
            else f"{self.source_name}: {self.sheet} row {row0 + self.origin[0] + 1}"
        )

    @property
    def label(self) -> str:
        return self.source_name if self.sheet is None else f"{self.source_name}: {self.sheet}"

    def header_keys(self, row0: int) -> dict[str, int]:
        """The folded texts of one row (see :func:`header_key`) with the first column of each;
        computed once per row, since every importer's sniff looks at the same top rows."""
        cache = self._keys
        if row0 not in cache:
            columns: dict[str, int] = {}
            for col0, cell in enumerate(self.rows[row0]):
                key = header_key(cell) if cell is not None else ""
                if key and key not in columns:
                    columns[key] = col0
            cache[row0] = columns
        return cache[row0]


def _clean(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    if not unicodedata.is_normalized("NFKC", text):  # most cells already are: skip the copy
        text = unicodedata.normalize("NFKC", text)
    return text.strip() or None


# The Excel reader's (calamine's) errors by what they say, as the message keys that say it to a
# person (``reason_key`` of ``tabular.excel_unreadable`` and ``tabular.sheet_unreadable``).
_READER_REASONS = (
    (re.compile(r"password|encrypt", re.I), "tabular.reason.encrypted"),
    (re.compile(r"Cannot detect file format|file not found|FileNotFound|Cannot find", re.I), "tabular.reason.parts"),
    (re.compile(r"shared strings", re.I), "tabular.reason.shared_strings"),
    (re.compile(r"Worksheet '.*' not found", re.I), "tabular.reason.sheet_missing"),
    (
        re.compile(r"xml|Expecting|Unknown cell|Unsupported cell|Range is missing|Dimension|attribute", re.I),
        "tabular.reason.xml",
    ),
)


def reader_reason(exc: BaseException) -> tuple[str, dict[str, MessageValue]]:
    """What the Excel reader's failure means, as a message key and its parameters: a known kind of
    damage by its own key, anything else by the reader's error type (for support), never its text."""
    if not isinstance(exc, Exception):  # a panic: the reader met a value it cannot convert
        return "tabular.reason.panic", {}
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    for pattern, key in _READER_REASONS:
        if pattern.search(first):
            return key, {}
    return "tabular.reason.other", {"error": type(exc).__name__}


def reader_failed(exc: BaseException) -> bool:
    """Whether an exception is the Excel reader failing on the file. The reader is Rust: a panic
    on a value it cannot handle (a date serial out of range, say) reaches Python as pyo3's
    ``PanicException``, which derives from BaseException so that ``except Exception`` misses it."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _excel_tables(source: SourceFile, limits: Limits, sheets: Iterable[str] | None) -> list[Table]:
    check_office_zip(source, limits)
    try:
        reader = fastexcel.read_excel(source.data)
    except BaseException as exc:  # calamine raises its own error types for each kind of damage
        if not reader_failed(exc):
            raise
        reason, params = reader_reason(exc)
        raise SourceFileError.at(
            source.name, source.name, "tabular.excel_unreadable", reason_key=reason, **params
        ) from None
    wanted = list(reader.sheet_names) if sheets is None else [s for s in sheets if s in reader.sheet_names]
    origins = sheet_origins(source, limits)
    tables = []
    cells = 0
    for name in wanted:
        try:
            frame = reader.load_sheet(name, header_row=None, dtypes="string").to_polars()
        except BaseException as exc:
            if not reader_failed(exc):
                raise
            reason, params = reader_reason(exc)
            raise SourceFileError.at(
                source.name, f"{source.name}: {name}", "tabular.sheet_unreadable", reason_key=reason, **params
            ) from None
        # Each part was bounded by check_office_zip; many sheets may name the same part.
        cells += frame.height * frame.width
        if cells > limits.max_cells:
            raise SourceFileError.at(
                source.name, f"{source.name}: {name}", "tabular.too_many_cells", limit=f"{limits.max_cells:,}"
            )
        # Measured: cleaning in Python beats a polars select here (few cells, per-call overhead).
        rows = [[_clean(v) for v in row] for row in frame.iter_rows()]
        tables.append(Table(source.name, name, rows, origin=origins.get(name, (0, 0))))
    return tables


def _text_table(source: SourceFile, limits: Limits) -> Table:
    text, _ = decode_text(source)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if source.suffix == "tsv" or first_line.count("\t") > first_line.count(",") else ","
    rows: list[list[str | None]] = []
    cells = 0
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for row in reader:
            # The same bound as a workbook's: 20 MB of line breaks or commas would be millions of cells.
            cells += len(row) or 1
            if cells > limits.max_cells:
                raise SourceFileError.at(
                    source.name,
                    f"{source.name} line {reader.line_num}",
                    "tabular.csv_too_many_cells",
                    limit=f"{limits.max_cells:,}",
                )
            rows.append([_clean(v) for v in row])
    except csv.Error as exc:  # what Python's csv module refuses, by its text (it has one error type)
        where = f"{source.name} line {reader.line_num}" if reader.line_num else source.name
        if "field larger than field limit" in str(exc):
            raise SourceFileError.at(
                source.name, where, "tabular.csv_field_too_long", limit=f"{csv.field_size_limit():,}"
            ) from None
        raise SourceFileError.at(source.name, where, "tabular.csv_unreadable") from None
    return Table(source.name, None, rows)


def read_tables(source: SourceFile, limits: Limits, sheets: Iterable[str] | None = None) -> list[Table]:
    """All sheets of a workbook (or the named ones), or the one table of a CSV/TSV file."""
    key = ("tables", limits, tuple(sheets) if sheets is not None else None)
    if key not in source.cache:
        try:
            source.cache[key] = _read_tables(source, limits, sheets)
        except SourceFileError as exc:  # every importer's sniff asks: refuse a bad file once, not each time
            source.cache[key] = exc
    cached = source.cache[key]
    if isinstance(cached, SourceFileError):
        raise SourceFileError(cached.source_name, cached.problems)
    return cached  # type: ignore[return-value]


def _read_tables(source: SourceFile, limits: Limits, sheets: Iterable[str] | None) -> list[Table]:
    if len(source.data) > limits.max_file_bytes:
        raise too_large(source, limits)
    if source.suffix in EXCEL_SUFFIXES:
        return _excel_tables(source, limits, sheets)
    if source.suffix in TEXT_SUFFIXES:
        return [_text_table(source, limits)]
    if not source.suffix:
        raise SourceFileError.at(source.name, source.name, "tabular.no_suffix")
    raise SourceFileError.at(source.name, source.name, "tabular.unknown_suffix", suffix=source.suffix)


def find_header(table: Table, required: Iterable[str], scan_rows: int = 15) -> tuple[int, dict[str, int]] | None:
    """The first row (within ``scan_rows``) holding every required header text, and the column of
    every header text of that row (folded by :func:`header_key`)."""
    needed = [header_key(r) for r in required]
    for row0 in range(min(scan_rows, len(table.rows))):
        columns = table.header_keys(row0)
        if all(n in columns for n in needed):
            return row0, columns
    return None


def label_values(table: Table, above_row: int) -> dict[str, tuple[str, str]]:
    """Label → (value, cell) pairs written above a header: a label cell and the next filled cell to its right."""
    found: dict[str, tuple[str, str]] = {}
    for row0 in range(min(above_row, len(table.rows))):
        row = table.rows[row0]
        for col0, cell in enumerate(row):
            if cell is None:
                continue
            label = header_key(cell).rstrip(":：")
            value_col = next((j for j in range(col0 + 1, len(row)) if row[j] is not None), None)
            if value_col is not None and label not in found:
                found[label] = (row[value_col], table.where(row0, value_col))
    return found


def supplier_and_date(
    table: Table,
    header_row: int,
    context: ImportContext,
    supplier_labels: Mapping[str, tuple[str, ...]],
    date_labels: tuple[str, ...],
) -> tuple[SupplierRef, date | None, list[Problem]]:
    """The supplier named above the header (the user's choice wins) and the answer date."""
    labels = label_values(table, header_row)
    problems: list[Problem] = []
    ref: dict[str, str] = {}
    for kind, names in supplier_labels.items():
        for name in names:
            if header_key(name) in labels:
                value, where = labels[header_key(name)]
                ref[kind] = value
                ref.setdefault("location", where)
                break
    if context.supplier_id:
        named = SupplierRef(**ref) if any(k != "location" for k in ref) else None
        ref = {"supplier_id": context.supplier_id, "location": "chosen at import", "file_ref": named}
    submitted = None
    for name in date_labels:
        if header_key(name) in labels:
            value, where = labels[header_key(name)]
            try:
                submitted = parse_date(value)
            except ValueError as exc:
                problems.append(problem_from(exc, where))
            break
    return SupplierRef(**ref), submitted, problems


# A file is refused with at most this many problems listed: a list of a million bad rows would
# otherwise build a million of them (seconds and gigabytes) for a person who reads the first few.
MAX_PROBLEMS = 100


def problems_full(problems: list[Problem], where: str) -> bool:
    """Whether enough problems were found to stop checking; the first time, a last problem says so."""
    if len(problems) < MAX_PROBLEMS:
        return False
    if len(problems) == MAX_PROBLEMS:
        problems.append(Problem.of(where, "tabular.too_many_problems", limit=MAX_PROBLEMS))
    return True


def row_model(
    model: type[M],
    values: Mapping[str, object],
    *,
    table: Table,
    row0: int,
    columns: Mapping[str, int | None],
    default: int,
    problems: list[Problem],
) -> M | None:
    """The model of one row (``model(**values)``), or None after adding one problem per invalid
    field, each at the cell its field was read from (``columns``; ``default``'s cell otherwise)."""
    try:
        return model(**values)
    except ValidationError as exc:

        def where(field: str | None) -> str:
            column = columns.get(field) if field else None
            return table.where(row0, default if column is None else column)

        problems.extend(validation_problems(exc, where))
        return None


def problems_at(
    exc: ValidationError, place: Callable[[tuple[int | str, ...]], tuple[str, str]], limit: int | None = None
) -> list[Problem]:
    """A model's validation errors as problems (:func:`validation_problems`), each at the place
    and naming the field that ``place`` gives for the error's whole path (``loc``): a nested
    document or a row of entries, where the first name alone does not say where. The field is a
    message key (``field.*`` or another label), or a name as the file wrote it."""
    out = []
    for error, problem in zip(exc.errors()[:limit], validation_problems(exc, lambda _field: "")[:limit], strict=False):
        location, label = place(tuple(error["loc"]))
        out.append(Problem(location=location, key=problem.key, params={**problem.params, "field_label": label}))
    return out


def cell(row: list[str | None], col: int | None) -> str | None:
    """The text of a cell, or None when the column is absent or the row is short."""
    return row[col] if col is not None and col < len(row) else None


def item_rows(
    table: Table,
    header_row: int,
    id_col: int,
    problems: list[Problem],
    *,
    noun: str = "tabular.noun.item",
    normalise: Callable[[str], str] | None = None,
) -> Iterator[tuple[int, list[str | None], str]]:
    """Rows under the header that carry an item ID, each ID once, as (row, cells, ID).

    ``normalise`` may rewrite an ID or raise ``ValueError`` saying what was expected (a keyed
    ``PydanticCustomError``); bad and repeated IDs become problems at their cell and their rows
    are skipped. ``noun`` is the message key naming what the IDs are (``tabular.noun.*``).
    """
    seen: dict[str, int] = {}
    for row0 in range(header_row + 1, len(table.rows)):
        if problems_full(problems, table.where_row(row0)):
            return
        row = table.rows[row0]
        item = cell(row, id_col)
        if item is None:
            continue
        where = table.where(row0, id_col)
        if normalise is not None:
            try:
                item = normalise(item)
            except ValueError as exc:
                problems.append(problem_from(exc, where))
                continue
        if item in seen:  # the row a person sees: the sheet's own, shifted like the cell above
            first = seen[item] + (table.origin[0] if table.sheet is not None else 0) + 1
            problems.append(Problem.of(where, "tabular.repeated_id", noun_label=noun, item=item, row=first))
            continue
        seen[item] = row0
        yield row0, row, item


def macro_warnings(source: SourceFile) -> list[Problem]:
    """What to tell about a macro-enabled workbook: its values are read, its macros never run."""
    if source.suffix != "xlsm":
        return []
    return [Problem.of(source.name, "tabular.macros_not_run")]
