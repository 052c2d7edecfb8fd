"""IPA「5分でできる！情報セキュリティ自社診断」: 25 answers from a workbook or CSV.

A header row holds a question-number column (No. / 設問No. / 番号) and an answer column (回答 /
評価 / 点数); answers are the four labels (実施している / 一部実施している / 実施していない /
わからない) or their scores 4 / 2 / 0 / −1. The total (out of 100) and its band are computed.
"""

from __future__ import annotations

from pydantic_core import PydanticCustomError

from importers.base import (
    ImportBatch,
    ImportContext,
    Problem,
    SourceFile,
    SourceFileError,
    SubmissionPayload,
    SupplierRef,
    header_key,
)
from importers.tabular import (
    EXCEL_SUFFIXES,
    TEXT_SUFFIXES,
    Table,
    cell,
    find_header,
    item_rows,
    read_tables,
    supplier_and_date,
)
from questionnaires.frameworks import answer_key, load_ipa_5min
from registry.domain.models import Answer

__all__ = ["NAME", "parse", "sniff"]

NAME = "ipa_5min"
_NUMBER_HEADERS = ("No.", "No", "設問No.", "設問番号", "番号")
_ANSWER_HEADERS = ("回答", "評価", "点数", "実施状況")
_SUPPLIER_LABELS = {"supplier_id": ("取引先ID",), "corporate_number": ("法人番号",), "name": ("事業者名", "会社名")}
_DATE_LABELS = ("診断日", "回答日", "実施日")


def _locate(table: Table) -> tuple[int, int, int] | None:
    for number in _NUMBER_HEADERS:
        for answer in _ANSWER_HEADERS:
            found = find_header(table, (number, answer))
            if found:
                row0, columns = found
                return row0, columns["".join(number.split())], columns[answer]
    return None


def _vocabulary() -> dict[str, tuple[str, int]]:
    check = load_ipa_5min()
    vocab = {answer_key(a.label): (a.status, a.score) for a in check.answers}
    vocab.update({answer_key(str(a.score)): (a.status, a.score) for a in check.answers})
    vocab.update({answer_key(f"{a.score}.0"): (a.status, a.score) for a in check.answers})
    return vocab


def _candidate(tables: list[Table]) -> tuple[Table, tuple[int, int, int]] | None:
    vocab = _vocabulary()
    for table in tables:
        located = _locate(table)
        if not located:
            continue
        row0, _, answer_col = located
        values = [r[answer_col] for r in table.rows[row0 + 1 :] if answer_col < len(r) and r[answer_col] is not None]
        known = sum(answer_key(v) in vocab for v in values)
        if values and known >= len(values) * 0.8 and 10 <= len(values) <= 30:
            return table, located
    return None


def _supplier_column(table: Table, header_row: int) -> SupplierRef | None:
    """A CSV may repeat the supplier on every row in a 取引先ID or 法人番号 column."""
    header = [header_key(c) for c in table.rows[header_row]]
    for field, label in (("supplier_id", "取引先ID"), ("corporate_number", "法人番号")):
        if label in header:
            col = header.index(label)
            for row0 in range(header_row + 1, len(table.rows)):
                row = table.rows[row0]
                if col < len(row) and row[col]:
                    return SupplierRef(**{field: row[col]}, location=table.where(row0, col))
    return None


def sniff(source: SourceFile, context: ImportContext) -> float:
    if source.suffix not in EXCEL_SUFFIXES | TEXT_SUFFIXES:
        return 0.0
    try:
        return 0.85 if _candidate(read_tables(source, context.limits)) else 0.0
    except SourceFileError:
        return 0.0


def parse(source: SourceFile, context: ImportContext) -> ImportBatch:
    tables = read_tables(source, context.limits)
    found = _candidate(tables) or next(((t, loc) for t in tables if (loc := _locate(t))), None)
    if found is None:
        raise SourceFileError.at(source.name, source.name, "ipa_5min.header_missing")
    table, (header_row, number_col, answer_col) = found
    supplier, submitted, problems = supplier_and_date(table, header_row, context, _SUPPLIER_LABELS, _DATE_LABELS)
    if not context.supplier_id and supplier.describe() == "(none)":
        supplier = _supplier_column(table, header_row) or supplier
    vocab = _vocabulary()
    labels = " / ".join(a.label for a in load_ipa_5min().answers)
    answers: list[Answer] = []
    scores: dict[int, int] = {}
    rows: set[int] = set()

    def question_number(text: str) -> str:
        try:
            number = int(float(text))
        except (ValueError, OverflowError):  # OverflowError: "1e400" is infinity
            raise PydanticCustomError(
                "ipa_5min.question_number", "expected a question number 1–25, found '{found}'", {"found": text}
            ) from None
        if not 1 <= number <= 25:
            raise PydanticCustomError(
                "ipa_5min.question_out_of_range", "question number {number} is not between 1 and 25", {"number": number}
            )
        return str(number)

    for row0, row, item in item_rows(
        table, header_row, number_col, problems, noun="tabular.noun.question", normalise=question_number
    ):
        number = int(item)
        rows.add(number)
        raw = cell(row, answer_col)
        if raw is None:
            problems.append(
                Problem.of(table.where(row0, answer_col), "ipa_5min.blank_answer", question=number, allowed=labels)
            )
            continue
        if answer_key(raw) not in vocab:
            problems.append(
                Problem.of(
                    table.where(row0, answer_col), "ipa_5min.unknown_answer", question=number, allowed=labels, found=raw
                )
            )
            continue
        status, score = vocab[answer_key(raw)]
        scores[number] = score
        answers.append(Answer(item_id=item, raw_answer=raw, status=status, location=table.where(row0, answer_col)))
    missing = [n for n in range(1, 26) if n not in rows]
    if missing and not problems:
        problems.append(Problem.of(table.label, "ipa_5min.questions_missing", questions=[str(n) for n in missing]))
    if problems:
        raise SourceFileError(source.name, problems)
    check = load_ipa_5min()
    total, band = check.result(scores.values())
    return ImportBatch(
        format=NAME,
        source_name=source.name,
        sha256=source.sha256,
        submissions=[
            SubmissionPayload(
                supplier=supplier,
                framework_id=check.framework_id,
                framework_version=check.version,
                submitted_on=submitted,
                score=total,
                band=band,
                answers=answers,
            )
        ],
    )
