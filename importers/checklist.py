"""Any buyer's own checklist, read through a mapping profile (YAML, see ``questionnaires/profiles``).

A profile is recognised by its fingerprint: header texts that must all appear in one row near the
top of a sheet. The chosen profile (``--profile``) wins over recognition. Group cells merged down
a column are filled down; answers are looked up in the profile's vocabulary.
"""

from __future__ import annotations

import re

from pydantic_core import PydanticCustomError

from importers.base import ImportBatch, ImportContext, Problem, SourceFile, SourceFileError, SubmissionPayload
from importers.tabular import (
    EXCEL_SUFFIXES,
    TEXT_SUFFIXES,
    Table,
    cell,
    find_header,
    item_rows,
    macro_warnings,
    read_tables,
    row_model,
    supplier_and_date,
)
from questionnaires.frameworks import MappingProfile, answer_key
from registry.domain.models import Answer

__all__ = ["NAME", "match_profile", "parse", "sniff"]

NAME = "checklist_profile"


def _tables(source: SourceFile, context: ImportContext) -> list[Table]:
    return read_tables(source, context.limits)


def match_profile(
    tables: list[Table], profiles: list[MappingProfile]
) -> tuple[MappingProfile, Table, int, dict[str, int]] | None:
    """The first profile whose fingerprint is found in a sheet it accepts, with that sheet's header."""
    for profile in profiles:
        for table in tables:
            if profile.sheet and table.sheet is not None and table.sheet != profile.sheet:
                continue
            header = find_header(table, profile.fingerprint, profile.header_scan_rows)
            if header:
                return profile, table, *header
    return None


def sniff(source: SourceFile, context: ImportContext) -> float:
    if source.suffix not in EXCEL_SUFFIXES | TEXT_SUFFIXES or not context.profiles:
        return 0.0
    try:
        found = match_profile(_tables(source, context), list(context.profiles.values()))
    except SourceFileError:
        return 0.0
    return 0.8 if found else 0.0


def parse(source: SourceFile, context: ImportContext) -> ImportBatch:
    tables = _tables(source, context)
    if context.profile:
        if context.profile not in context.profiles:
            raise SourceFileError.at(
                source.name,
                source.name,
                "checklist.unknown_profile",
                profile=context.profile,
                known=list(context.profiles),
            )
        candidates = [context.profiles[context.profile]]
    else:
        candidates = list(context.profiles.values())
    found = match_profile(tables, candidates)
    if found is None:
        wanted = [f"{p.name}: {' / '.join(p.fingerprint)}" for p in candidates]
        raise SourceFileError.at(source.name, source.name, "checklist.header_missing", wanted=wanted)
    profile, table, header_row, columns = found
    col = {}
    for field, text in profile.columns.model_dump().items():
        if text is None:
            continue
        key = "".join(text.split())
        if key not in columns:
            raise SourceFileError.at(
                source.name, table.where_row(header_row), "checklist.column_missing", column=text, profile=profile.name
            )
        col[field] = columns[key]

    supplier, submitted, problems = supplier_and_date(
        table, header_row, context, profile.supplier_labels, profile.date_labels
    )
    vocabulary = profile.vocabulary()
    items = {i.id: i for i in profile.resolved_items()}
    pattern = re.compile(profile.item_pattern) if profile.item_pattern else None
    answers: list[Answer] = []
    seen: set[str] = set()

    def item_id(text: str) -> str:
        if text.endswith(".0") and text[:-2].isdigit():  # a number typed into Excel
            text = text[:-2]
        if text not in items and not (pattern and pattern.match(text)):
            raise PydanticCustomError(
                "checklist.unknown_item",
                "item '{found}' is not in profile {profile}",
                {"found": text, "profile": profile.name},
            )
        return text

    allowed = " / ".join(a.label for a in profile.answers)
    for row0, row, item in item_rows(table, header_row, col["item_id"], problems, normalise=item_id):
        seen.add(item)
        raw = cell(row, col["answer"])
        if raw is None:
            status = profile.blank_is
        elif answer_key(raw) in vocabulary:
            status = vocabulary[answer_key(raw)].status
        else:
            problems.append(
                Problem.of(
                    table.where(row0, col["answer"]), "checklist.unknown_answer", found=raw, item=item, allowed=allowed
                )
            )
            continue
        answer = row_model(
            Answer,
            {
                "item_id": item,
                "raw_answer": raw,
                "status": status,
                "note": cell(row, col.get("note")),
                "location": table.where(row0, col["answer"]),
            },
            table=table,
            row0=row0,
            columns=col,
            default=col["answer"],
            problems=problems,
        )
        if answer is not None:
            answers.append(answer)
    if not seen and not problems:
        problems.append(Problem.of(table.where_row(header_row), "checklist.no_items"))
    if problems:
        raise SourceFileError(source.name, problems)
    warnings = macro_warnings(source)
    unmapped = sorted(i for i in seen if i not in items or not items[i].maps)
    if unmapped:
        warnings.append(Problem.of(table.label, "checklist.unmapped_items", count=len(unmapped), items=unmapped[:6]))
    return ImportBatch(
        format=f"{NAME}:{profile.name}",
        source_name=source.name,
        sha256=source.sha256,
        submissions=[
            SubmissionPayload(
                supplier=supplier,
                framework_id=profile.framework_id,
                framework_version=profile.version,
                catalogue_version=profile.target_catalogue,
                submitted_on=submitted,
                answers=answers,
            )
        ],
        warnings=warnings,
    )
