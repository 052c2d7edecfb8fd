"""Our own supplier template, filled in (see ``registry/templates.py`` for the blank one).

The hidden ``_monosashi`` sheet says which framework, catalogue version, level and supplier the
workbook is for, so it imports with no question asked. The 再委託先 sheet gives the supplier's
own subcontractors (tier-2 links).
"""

from __future__ import annotations

from pydantic_core import PydanticCustomError

from importers.base import (
    DeclaredSubcontractor,
    ImportBatch,
    ImportContext,
    Problem,
    SourceFile,
    SourceFileError,
    SubmissionPayload,
    SupplierRef,
    problem_from,
)
from importers.normalise import parse_bool
from importers.tabular import (
    EXCEL_SUFFIXES,
    Table,
    cell,
    find_header,
    item_rows,
    problems_full,
    read_tables,
    row_model,
    supplier_and_date,
)
from questionnaires.frameworks import answer_key, framework_definition, load_ipa_5min
from registry.domain.models import Answer, normalise_corporate_number

__all__ = [
    "ANSWER_SHEET",
    "META_SHEET",
    "NAME",
    "SUBCONTRACTOR_SHEET",
    "parse",
    "sniff",
]

NAME = "monosashi_template"
META_SHEET = "_monosashi"
ANSWER_SHEET = "回答"
SUBCONTRACTOR_SHEET = "再委託先"


def _tables(source: SourceFile, context: ImportContext) -> dict[str, Table]:
    return {t.sheet or "": t for t in read_tables(source, context.limits)}


def sniff(source: SourceFile, context: ImportContext) -> float:
    if source.suffix not in EXCEL_SUFFIXES:
        return 0.0
    try:
        return 1.0 if META_SHEET in _tables(source, context) else 0.0
    except SourceFileError:
        return 0.0


def _meta(table: Table) -> dict[str, str]:
    return {row[0]: row[1] for row in table.rows if len(row) >= 2 and row[0] and row[1]}


def parse(source: SourceFile, context: ImportContext) -> ImportBatch:
    tables = _tables(source, context)
    if META_SHEET not in tables:
        raise SourceFileError.at(source.name, source.name, "template.not_template", sheet=META_SHEET)
    meta = _meta(tables[META_SHEET])
    framework_id = meta.get("framework_id")
    try:
        level = int(meta.get("level") or 4)
        definition = framework_definition(framework_id or "", level=level, profiles=dict(context.profiles) or None)
    except (KeyError, ValueError):
        raise SourceFileError.at(
            source.name, f"{source.name}: {META_SHEET}", "template.unknown_framework", framework=framework_id
        ) from None
    if ANSWER_SHEET not in tables:
        raise SourceFileError.at(source.name, source.name, "template.sheet_missing", sheet=ANSWER_SHEET)
    table = tables[ANSWER_SHEET]
    header = find_header(table, ("No.", "回答"))
    if header is None:
        raise SourceFileError.at(source.name, f"{source.name}: {ANSWER_SHEET}", "template.header_missing")
    header_row, columns = header
    id_col, answer_col = columns["No."], columns["回答"]
    reason_col, note_col = columns.get("理由・根拠"), columns.get("補足")
    context_for_supplier = ImportContext(supplier_id=None)
    supplier, submitted, problems = supplier_and_date(
        table, header_row, context_for_supplier, {"supplier_id": ("取引先ID",)}, ("回答日",)
    )
    warnings: list[Problem] = []
    if meta.get("supplier_id"):
        supplier = SupplierRef(supplier_id=meta["supplier_id"], location=f"{source.name}: {META_SHEET}")
    if context.supplier_id and context.supplier_id != supplier.supplier_id:
        if supplier.supplier_id:
            warnings.append(
                Problem.of(
                    supplier.location or source.name,
                    "template.other_supplier",
                    made_for=supplier.supplier_id,
                    chosen=context.supplier_id,
                )
            )
        named = supplier if supplier.describe() != "(none)" else None
        supplier = SupplierRef(supplier_id=context.supplier_id, location="chosen at import", file_ref=named)

    vocabulary = {answer_key(a.label): a.status for a in definition.answers}
    allowed = " / ".join(a.label for a in definition.answers)
    items = {i.id for i in definition.items}
    answers: list[Answer] = []
    seen: set[str] = set()

    def item_id(text: str) -> str:
        if text not in items:
            raise PydanticCustomError(
                "template.unknown_item",
                "item '{found}' is not in {framework} (was a row edited?)",
                {"found": text, "framework": definition.name_ja},
            )
        return text

    for row0, row, item in item_rows(table, header_row, id_col, problems, normalise=item_id):
        seen.add(item)
        raw = cell(row, answer_col)
        if raw is None:
            status = "unknown"
        elif answer_key(raw) in vocabulary:
            status = vocabulary[answer_key(raw)]
        else:
            problems.append(
                Problem.of(
                    table.where(row0, answer_col), "template.unknown_answer", found=raw, item=item, allowed=allowed
                )
            )
            continue
        answer = row_model(
            Answer,
            {
                "item_id": item,
                "raw_answer": raw,
                "status": status,
                "reason": cell(row, reason_col),
                "note": cell(row, note_col),
                "location": table.where(row0, answer_col),
            },
            table=table,
            row0=row0,
            columns={"reason": reason_col, "note": note_col},
            default=answer_col,
            problems=problems,
        )
        if answer is not None:
            answers.append(answer)
    missing = sorted(items - seen)
    if missing:
        warnings.append(Problem.of(table.label, "template.items_missing", count=len(missing), items=missing[:5]))
    subcontractors = _subcontractors(tables.get(SUBCONTRACTOR_SHEET), problems)
    if problems:
        raise SourceFileError(source.name, problems)
    blanks = sum(1 for a in answers if a.raw_answer is None)
    if blanks:
        warnings.append(Problem.of(table.label, "template.blank_answers", count=blanks))
    score = band = None
    if definition.framework_id == "ipa_5min":
        scores = {answer_key(a.label): a.score or 0 for a in definition.answers}
        if len(answers) == 25 and not blanks:
            score, band = load_ipa_5min().result(scores[answer_key(a.raw_answer)] for a in answers)
    return ImportBatch(
        format=NAME,
        source_name=source.name,
        sha256=source.sha256,
        submissions=[
            SubmissionPayload(
                supplier=supplier,
                framework_id=definition.framework_id,
                framework_version=meta.get("framework_version") or definition.version,
                catalogue_version=meta.get("catalogue_version") or definition.catalogue_version,
                level=definition.level if definition.framework_id == "scs" else None,
                submitted_on=submitted,
                score=score,
                band=band,
                answers=answers,
                subcontractors=subcontractors,
            )
        ],
        warnings=warnings,
    )


def _subcontractors(table: Table | None, problems: list[Problem]) -> list[DeclaredSubcontractor]:
    if table is None:
        return []
    header = find_header(table, ("会社名", "法人番号"))
    if header is None:
        problems.append(Problem.of(table.label, "template.subcontractor_header_missing"))
        return []
    header_row, columns = header
    name_col, number_col = columns["会社名"], columns["法人番号"]
    supplied_col = columns.get("供給品目・業務")
    critical_col = columns.get("重要(はい/いいえ)")
    out = []
    for row0 in range(header_row + 1, len(table.rows)):
        if problems_full(problems, table.where_row(row0)):
            break
        row = table.rows[row0]
        name, number = cell(row, name_col), cell(row, number_col)
        if number and number.endswith(".0"):  # typed as a number in a cell not formatted as text
            number = number[:-2]
        if name is None and number is None:
            continue
        if name is None:
            problems.append(Problem.of(table.where(row0, name_col), "template.subcontractor_needs_name"))
            continue
        try:
            corporate = normalise_corporate_number(number) if number else None
            critical = parse_bool(cell(row, critical_col)) if cell(row, critical_col) else False
        except ValueError as exc:  # keyed: normalise_corporate_number and parse_bool say what they expect
            problems.append(problem_from(exc, table.where_row(row0)))
            continue
        declared = row_model(
            DeclaredSubcontractor,
            {
                "name": name,
                "corporate_number": corporate,
                "supplied": cell(row, supplied_col),
                "critical": critical,
                "location": table.where_row(row0),
            },
            table=table,
            row0=row0,
            columns={"name": name_col, "corporate_number": number_col, "supplied": supplied_col},
            default=name_col,
            problems=problems,
        )
        if declared is not None:
            out.append(declared)
    return out
