"""The one neutraliser every export goes through: text from suppliers, files and people leaves
Monosashi as text, whatever program opens it.

Rules (applied to every text value of every export; other values pass unchanged):

- **Control characters** (U+0000–U+001F except tab, line feed and carriage return, and
  U+007F–U+009F) become visible and harmless: U+0000–U+001F their Unicode control picture
  (U+2400 + code, ``\\x01`` → ``␁``), U+007F ``␡``, U+0080–U+009F the replacement character ``�``.
  Excel refuses them (openpyxl raises ``IllegalCharacterError``), calendars and CSV readers
  mangle them.
- **Formulas**: a text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets
  a leading apostrophe (OWASP's CSV-injection rule), so a spreadsheet shows it and never runs it.
- **Excel's own escapes** (workbooks only): Excel reads ``_xHHHH_`` in a cell as the character
  U+HHHH, so a text that contains such a sequence has its underscore written as ``_x005F_`` (Excel's
  escape of ``_`` itself), and a carriage return is written ``_x000D_`` as Excel writes it; so Excel
  (and calamine, which reads workbooks as Excel does) shows the text as it was.

:func:`neutralise` applies the first two rules and may be applied any number of times.
:func:`excel_text` adds the third, which must be applied exactly once: the sheets of
:func:`workbook` apply it to every value written to them, so no writer calls it itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import polars as pl
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "CONTROL_CHARACTERS",
    "FORMULA_START",
    "NeutralWorkbook",
    "download_name",
    "excel_text",
    "neutralise",
    "neutralise_frame",
    "workbook",
]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Every control character but the three whitespace ones text may carry (tab, LF, CR).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_EXCEL_ESCAPE = re.compile(r"_(?=[xX][0-9A-Fa-f]{4}_)")


def _picture(code: int) -> str:
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else "\ufffd"


_PICTURES = {chr(c): _picture(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]}


def neutralise(value: object) -> object:
    """A text made inert for CSV, calendars and any other export (control characters shown as
    pictures, a formula start prefixed with an apostrophe); other values unchanged. Idempotent."""
    if not isinstance(value, str) or not value:
        return value
    if CONTROL_CHARACTERS.search(value):
        value = CONTROL_CHARACTERS.sub(lambda m: _PICTURES[m.group()], value)
    if value.startswith(FORMULA_START):
        value = "'" + value
    return value


def excel_text(value: object) -> object:
    """:func:`neutralise`, and Excel's ``_xHHHH_`` sequences written so that they show literally.
    Not idempotent: the workbook's sheets apply it once to every value written to them."""
    value = neutralise(value)
    if isinstance(value, str):
        if "_" in value:
            value = _EXCEL_ESCAPE.sub("_x005F_", value)
        if "\r" in value:  # as Excel writes it: XML would read a bare carriage return as a line feed
            value = value.replace("\r", "_x000D_")
    return value


def neutralise_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """:func:`neutralise` over every text column of a frame, set-wise (lists of texts are joined
    with ``", "`` first, as a cell shows them)."""
    frame = frame.with_columns(pl.col(pl.List(pl.String)).list.join(", "))
    return frame.with_columns(_neutral(c) for c, t in frame.schema.items() if t == pl.String)


def _neutral(column: str) -> pl.Expr:
    text = pl.col(column).str.replace_many(list(_PICTURES), list(_PICTURES.values()))
    return pl.when(text.str.contains(r"^[=+\-@\t\r]")).then(pl.lit("'") + text).otherwise(text).alias(column)


class _NeutralSheet(Worksheet):
    """A worksheet that passes every value written through ``cell``, ``append`` or ``ws["A1"] =``
    through :func:`excel_text`."""

    def cell(self, row: int, column: int, value: object = None):  # type: ignore[override]
        return super().cell(row, column, excel_text(value))

    def append(self, iterable: Iterable[object] | dict) -> None:  # type: ignore[override]
        if isinstance(iterable, dict):
            super().append({k: excel_text(v) for k, v in iterable.items()})
        else:
            super().append([excel_text(v) for v in iterable])

    def __setitem__(self, key: str, value: object) -> None:
        super().__setitem__(key, excel_text(value))


class NeutralWorkbook(Workbook):
    """A workbook whose sheets neutralise every value written to them (:func:`excel_text`); on
    saving, any cell that still holds a formula (a value set on a cell object directly) is made
    text too. Every workbook Monosashi writes is one of these (:func:`workbook`)."""

    def __init__(self) -> None:
        super().__init__()
        self._sheets.clear()  # the default sheet, replaced by a neutralising one of the same name
        self._sheets.append(_NeutralSheet(self))

    def create_sheet(self, title: str | None = None, index: int | None = None) -> Worksheet:
        sheet = _NeutralSheet(parent=self, title=title)
        self._add_sheet(sheet=sheet, index=index)
        return sheet

    def save(self, filename) -> None:  # type: ignore[override]
        for sheet in self.worksheets:
            for cell in sheet._cells.values():  # the cells written; iter_rows() would add empty ones
                if cell.data_type == "f" and isinstance(cell.value, str):
                    cell.value = excel_text(cell.value)
        super().save(filename)


def workbook() -> NeutralWorkbook:
    """A new, neutralising workbook."""
    return NeutralWorkbook()


_UNSAFE_IN_NAMES = re.compile(r"[\x00-\x1f\x7f-\x9f/\\\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u061c]")


def download_name(name: str, fallback: str = "file") -> str:
    """A file name as offered for download: no folders, no control characters, and nothing that
    reorders text (a name shown as ``回答exe.xlsx`` that is really ``回答xslx.exe``)."""
    cleaned = _UNSAFE_IN_NAMES.sub("", name.replace("\\", "/").rsplit("/", 1)[-1]).strip().lstrip(".")
    return cleaned[:200] or fallback
