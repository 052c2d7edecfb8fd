"""An unknown checklist's layout, guessed (bytes in, questions out): which sheet, which row holds
the headers, and which columns hold the question, its ID and the answer — for the mapping
assistant, which a person then corrects on a preview (docs/mapping-assistant.md)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from importers.base import Limits, SourceFile, SourceFileError
from importers.tabular import Table, read_tables

__all__ = ["ANSWER_WORDS", "ChecklistLayout", "guess_layout", "questions_of", "read_checklist", "relayout"]

_SCAN_ROWS = 30
_SAMPLE_ROWS = 400
# Header words that name each column in buyers' checklists (folded: NFKC, lower case).
_HEADER_WORDS = {
    "question": (
        "確認内容",
        "質問",
        "設問",
        "項目",
        "要求事項",
        "チェック項目",
        "内容",
        "question",
        "requirement",
        "control",
    ),
    "item_id": ("no", "no.", "番号", "項目番号", "id", "設問id", "管理番号", "#", "ref"),
    "answer": ("回答", "評価", "状況", "達成状況", "実施状況", "answer", "response", "status", "result"),
}
# Answers people write, and what each most likely means (the person confirms before saving).
ANSWER_WORDS: dict[str, str] = {
    "はい": "met",
    "yes": "met",
    "y": "met",
    "実施している": "met",
    "実施済": "met",
    "実施済み": "met",
    "達成": "met",
    "対応済": "met",
    "対応済み": "met",
    "適合": "met",
    "○": "met",
    "〇": "met",
    "◯": "met",
    "3": "met",
    "implemented": "met",
    "compliant": "met",
    "done": "met",
    "一部": "partial",
    "一部実施": "partial",
    "一部達成": "partial",
    "部分的": "partial",
    "△": "partial",
    "partially": "partial",
    "partial": "partial",
    "2": "partial",
    "1": "partial",
    "いいえ": "not_met",
    "no": "not_met",
    "n": "not_met",
    "未実施": "not_met",
    "実施していない": "not_met",
    "未達成": "not_met",
    "未対応": "not_met",
    "不適合": "not_met",
    "×": "not_met",
    "✕": "not_met",
    "0": "not_met",
    "not implemented": "not_met",
    "non-compliant": "not_met",
    "該当なし": "not_applicable",
    "対象外": "not_applicable",
    "n/a": "not_applicable",
    "na": "not_applicable",
    "-": "not_applicable",
    "不明": "unknown",
    "わからない": "unknown",
    "unknown": "unknown",
}
_ID_LIKE = re.compile(r"^[A-Za-z]{0,4}[-_.]?\d{1,4}([-_.]\d{1,4}){0,3}[A-Za-z]?$")


def _fold(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().casefold()


@dataclass(frozen=True)
class ChecklistLayout:
    """Where a checklist's questions are: the table (sheet), the header row, and the columns
    (0-based) of the question, its ID and its answer (the last two may be missing)."""

    table: Table
    header_row: int
    question: int
    item_id: int | None
    answer: int | None

    @property
    def headers(self) -> list[str]:
        """The header row's texts (an empty header reads as its column letter or number)."""
        row = self.table.rows[self.header_row]
        return [(cell or "").strip() or f"({i + 1})" for i, cell in enumerate(row)]


def _columns(table: Table, header_row: int) -> list[list[str]]:
    width = max((len(r) for r in table.rows), default=0)
    body = table.rows[header_row + 1 : header_row + 1 + _SAMPLE_ROWS]
    return [[(r[c] or "").strip() for r in body if c < len(r) and (r[c] or "").strip()] for c in range(width)]


def _text_score(values: Sequence[str]) -> float:
    """How much a column reads like questions: long, varied, made of words."""
    if len(values) < 2:
        return 0.0
    lengths = [len(v) for v in values]
    average = sum(lengths) / len(lengths)
    varied = len(set(values)) / len(values)
    return average * varied if average >= 8 else 0.0


def _answer_score(values: Sequence[str], filled_share: float) -> float:
    if not values:
        return 0.2 * filled_share  # an empty column a supplier fills in
    known = sum(1 for v in values if _fold(v) in ANSWER_WORDS) / len(values)
    distinct = len({_fold(v) for v in values})
    return known + (0.5 if distinct <= 8 and max(len(v) for v in values) <= 12 else 0.0)


def _id_score(values: Sequence[str]) -> float:
    if len(values) < 2:
        return 0.0
    unique = len(set(values)) / len(values)
    shaped = sum(1 for v in values if _ID_LIKE.fullmatch(unicodedata.normalize("NFKC", v))) / len(values)
    return unique * shaped


def _header_bonus(header: str | None, role: str) -> float:
    """1 when a header names the role (確認項目 names a question; "No." an ID), else 0."""
    folded = _fold(header)
    return (
        1.0
        if folded
        and any(
            folded == w or (len(w) >= 2 and not w.isascii() and w in folded) or (len(w) > 2 and w in folded)
            for w in _HEADER_WORDS[role]
        )
        else 0.0
    )


def _pick(header: list[str | None], candidates: dict[int, float], role: str) -> int | None:
    """The column that best fills ``role`` among ``candidates`` (column → score of its values),
    its header's words counting too; None when none is likely enough."""
    ranked = [
        (score + _header_bonus(header[c] if c < len(header) else None, role), c) for c, score in candidates.items()
    ]
    ranked = [r for r in ranked if r[0] >= 0.6]
    return max(ranked)[1] if ranked else None


def _layout_at(table: Table, header_row: int) -> tuple[float, ChecklistLayout] | None:
    """The layout if the headers are on ``header_row``, with how likely that is."""
    header = table.rows[header_row]
    if sum(1 for c in header if (c or "").strip()) < 2:
        return None
    columns = _columns(table, header_row)
    texts = [
        _text_score(v) + 20 * _header_bonus(header[c] if c < len(header) else None, "question")
        for c, v in enumerate(columns)
    ]
    question = max(range(len(columns)), key=lambda c: texts[c], default=None)
    if question is None or _text_score(columns[question]) == 0:
        return None
    if len((header[question] if question < len(header) else None) or "") > 30:
        return None  # a sentence is a question, not the header above the questions
    rows_below = max(len(table.rows) - header_row - 1, 1)
    others = [c for c in range(len(columns)) if c != question]
    item_id = _pick(header, {c: _id_score(columns[c]) for c in others}, "item_id")
    answer = _pick(
        header,
        {c: _answer_score(columns[c], len(columns[c]) / rows_below) for c in others if c != item_id},
        "answer",
    )
    score = texts[question] * min(len(columns[question]), 50)
    return score, ChecklistLayout(table, header_row, question, item_id, answer)


def _guess(table: Table) -> ChecklistLayout | None:
    found = [_layout_at(table, row) for row in range(min(_SCAN_ROWS, max(len(table.rows) - 1, 0)))]
    scored = [f for f in found if f is not None]
    return max(scored, key=lambda f: f[0])[1] if scored else None


def guess_layout(tables: Sequence[Table]) -> ChecklistLayout:
    """The most likely layout among a file's sheets; refuses a file with no column of questions."""
    found = [layout for layout in (_guess(t) for t in tables) if layout is not None]
    if not found:
        name = tables[0].source_name if tables else "?"
        raise SourceFileError.at(name, name, "mapping.no_text_column")
    return max(found, key=lambda layout: len(questions_of(layout)))


def read_checklist(source: SourceFile, limits: Limits | None = None) -> tuple[list[Table], ChecklistLayout]:
    """The file's tables and the guessed layout of its questions."""
    tables = [t for t in read_tables(source, limits or Limits()) if t.rows]
    return tables, guess_layout(tables)


def questions_of(layout: ChecklistLayout) -> pl.DataFrame:
    """One row per question below the header: its row (as people count), ID, text and answer, and
    where it is. Rows without a question text are left out (titles, blank lines)."""
    table = layout.table
    rows = []
    for row0 in range(layout.header_row + 1, len(table.rows)):
        row = table.rows[row0]

        def cell(col: int | None, row: list[str | None] = row) -> str | None:
            return (row[col] or "").strip() or None if col is not None and col < len(row) else None

        question = cell(layout.question)
        if not question:
            continue
        rows.append(
            {
                "row": row0 + table.origin[0] + 1,
                "item_id": cell(layout.item_id),
                "question": question,
                "answer": cell(layout.answer),
                "location": table.where(row0, layout.question),
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "row": pl.Int64,
            "item_id": pl.String,
            "question": pl.String,
            "answer": pl.String,
            "location": pl.String,
        },
    )


def relayout(
    tables: Sequence[Table],
    guessed: ChecklistLayout,
    *,
    sheet: str | None = None,
    header_row: int | None = None,
    question: str | int | None = None,
    item_id: str | int | None = None,
    answer: str | int | None = None,
) -> ChecklistLayout:
    """The guessed layout as a person corrected it: another sheet, header row (as people count)
    or columns (by header text or 0-based number; "" or -1 for none). Refuses a sheet or header
    the file does not have, naming it."""
    table = guessed.table
    if sheet is not None and sheet != (table.sheet or ""):
        found = [t for t in tables if t.sheet == sheet]
        if not found:
            raise SourceFileError.at(table.source_name, table.source_name, "mapping.no_such_sheet", sheet=sheet)
        table = found[0]
        redone = _guess(table)
        guessed = redone or ChecklistLayout(table, 0, 0, None, None)
    row = guessed.header_row if header_row is None else header_row - 1 - table.origin[0]
    if not 0 <= row < len(table.rows):
        raise SourceFileError.at(table.source_name, table.label, "mapping.no_such_row", row=header_row or 0)
    headers = ChecklistLayout(table, row, 0, None, None).headers

    def column(wanted: str | int | None, before: int | None) -> int | None:
        if wanted is None:  # kept from the guess, if the (new) header row reaches that far
            return before if before is not None and before < len(headers) else None
        if wanted in ("", -1):
            return None
        if isinstance(wanted, int):
            if not 0 <= wanted < len(headers):
                raise SourceFileError.at(table.source_name, table.label, "mapping.no_such_column", column=str(wanted))
            return wanted
        folded = [_fold(h) for h in headers]
        if _fold(wanted) not in folded:
            raise SourceFileError.at(table.source_name, table.label, "mapping.no_such_column", column=wanted)
        return folded.index(_fold(wanted))

    chosen_question = column(question, guessed.question)
    if chosen_question is None:
        raise SourceFileError.at(table.source_name, table.label, "mapping.no_text_column")
    return ChecklistLayout(
        table, row, chosen_question, column(item_id, guessed.item_id), column(answer, guessed.answer)
    )
