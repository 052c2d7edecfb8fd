"""SCS self-assessment in IPA's official layout: the criteria sheet plus answer columns.

The header row (near the top) holds ``評価基準No.`` and ``自己評価``; columns are found by header
text. Answers: ○ met, △ partly met or unsure, ✖ not met, blank unanswered, with the usual variants
(◯〇, ×✕x, ▲, 済/未, はい/いいえ). The catalogue version (final 2026-03-27 or the Dec-2025 draft)
is recognised from the criterion IDs present. Rows above the header may name the supplier
(取引先ID, 法人番号, 事業者名) and the date (回答日, 記入日, 自己評価実施日).
"""

from __future__ import annotations

import re

from pydantic_core import PydanticCustomError

from importers.base import (
    ImportBatch,
    ImportContext,
    Problem,
    SourceFile,
    SourceFileError,
    SubmissionPayload,
)
from importers.normalise import scs_mark_status
from importers.tabular import (
    EXCEL_SUFFIXES,
    cell,
    find_header,
    item_rows,
    macro_warnings,
    read_tables,
    row_model,
    supplier_and_date,
)
from questionnaires.catalogue import Catalogue, available_versions, load_catalogue
from registry.domain.models import Answer, kept_as_is

__all__ = ["NAME", "detect_version", "parse", "sniff"]

NAME = "scs_self_assessment"
_CRITERION = re.compile(r"^[1-7]-\d+-\d+-\d+$")
_REQUIRED = ("評価基準No.", "自己評価")
_OPTIONAL = {"reason": "理由", "evidence": "根拠および実施する事", "note": "補足情報"}
_SUPPLIER_LABELS = {
    "supplier_id": ("取引先ID", "サプライヤーID"),
    "corporate_number": ("法人番号",),
    "name": ("事業者名", "会社名", "企業名"),
}
_DATE_LABELS = ("回答日", "記入日", "自己評価実施日", "提出日")


def sniff(source: SourceFile, context: ImportContext) -> float:
    if source.suffix not in EXCEL_SUFFIXES:
        return 0.0
    try:
        tables = read_tables(source, context.limits)
    except SourceFileError:
        return 0.0
    return 0.9 if any(find_header(t, _REQUIRED) for t in tables) else 0.0


def detect_version(ids: set[str], catalogues: list[Catalogue]) -> tuple[Catalogue | None, list[str]]:
    """The newest catalogue version holding every ID; else None and the IDs no version knows."""
    for catalogue in catalogues:  # newest first
        if ids <= {c.id for c in catalogue.criteria}:
            return catalogue, []
    known = set().union(*({c.id for c in cat.criteria} for cat in catalogues))
    return None, sorted(ids - known)


def parse(source: SourceFile, context: ImportContext) -> ImportBatch:
    tables = read_tables(source, context.limits)
    located = next(((t, h) for t in tables if (h := find_header(t, _REQUIRED))), None)
    if located is None:
        sheets = [t.sheet for t in tables if t.sheet]
        if not sheets:  # a CSV file: one table, no sheet names to list
            raise SourceFileError.at(source.name, source.name, "scs.header_missing_in_file")
        raise SourceFileError.at(source.name, source.name, "scs.header_missing", sheets=sheets)
    table, (header_row, columns) = located
    crit_col, answer_col = columns["評価基準No."], columns["自己評価"]
    optional = {field: columns.get(text) for field, text in _OPTIONAL.items()}
    supplier, submitted, problems = supplier_and_date(table, header_row, context, _SUPPLIER_LABELS, _DATE_LABELS)
    warnings = macro_warnings(source)

    def criterion_id(text: str) -> str:
        if not _CRITERION.match(text):
            raise PydanticCustomError(
                "scs.criterion_id_format", "expected a criterion ID like 4-1-2-3, found '{found}'", {"found": text}
            )
        return text

    answers: list[Answer] = []
    first_row: dict[str, int] = {}
    for row0, row, crit in item_rows(
        table, header_row, crit_col, problems, noun="tabular.noun.criterion", normalise=criterion_id
    ):
        first_row[crit] = row0
        raw = cell(row, answer_col)
        status = scs_mark_status(raw)
        if status is None:
            problems.append(Problem.of(table.where(row0, answer_col), "scs.unknown_mark", found=raw, criterion=crit))
            continue
        values = {
            "item_id": crit,
            "raw_answer": raw,
            "status": status,
            "location": table.where(row0, answer_col),
            **{f: cell(row, c) for f, c in optional.items()},
        }
        # Most rows hold nothing validation would change: built as they are (tests/test_models.py)
        answer = (
            Answer.model_construct(**values)
            if all(kept_as_is(v) for v in values.values())
            else row_model(
                Answer, values, table=table, row0=row0, columns=optional, default=answer_col, problems=problems
            )
        )
        if answer is not None:
            answers.append(answer)
    if not first_row and not problems:
        problems.append(Problem.of(table.where_row(header_row), "scs.no_criteria"))
    catalogues = [load_catalogue(v) for v in available_versions()]
    catalogue, unknown = detect_version(set(first_row), catalogues)
    if unknown:
        problems.extend(
            Problem.of(table.where(first_row[i], crit_col), "scs.unknown_criterion", criterion=i) for i in unknown
        )
    if problems:
        raise SourceFileError(source.name, problems)
    assert catalogue is not None
    levels = {c.id: c.level for c in catalogue.criteria}
    level = 4 if any(levels[i] == 4 for i in first_row) else 3
    missing = [c.id for c in catalogue.criteria_at(level) if c.id not in first_row]
    if missing:
        warnings.append(
            Problem.of(
                table.label,
                "scs.criteria_missing",
                count=len(missing),
                level=level,
                version=catalogue.version,
                examples=missing[:5],
            )
        )
    blanks = sum(1 for a in answers if a.status == "unknown")
    if blanks:
        warnings.append(Problem.of(table.label, "scs.blank_answers", count=blanks))
    if catalogue.data.status == "draft":
        warnings.append(Problem.of(table.label, "scs.draft_catalogue", version=catalogue.version))
    return ImportBatch(
        format=NAME,
        source_name=source.name,
        sha256=source.sha256,
        submissions=[
            SubmissionPayload(
                supplier=supplier,
                framework_id="scs",
                framework_version=catalogue.version,
                catalogue_version=catalogue.version,
                level=level,
                submitted_on=submitted,
                answers=answers,
            )
        ],
        warnings=warnings,
    )
