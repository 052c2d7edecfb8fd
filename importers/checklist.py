"""Any buyer's own checklist, read through a mapping profile (YAML, see ``questionnaires/profiles``).

A profile is recognised by its fingerprint: header texts that must all appear in one row near the
top of a sheet. The chosen profile (``--profile``) wins over recognition. Group cells merged down
a column are filled down; answers are looked up in the profile's vocabulary.
"""

from __future__ import annotations

import re

from importers.base import ImportBatch, ImportContext, Problem, SourceFile, SourceFileError, SubmissionPayload
from importers.tabular import EXCEL_SUFFIXES, TEXT_SUFFIXES, Table, find_header, read_tables, supplier_and_date
from questionnaires.frameworks import MappingProfile, answer_key
from registry.models import Answer

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
                f"no mapping profile named {context.profile!r}; known: {', '.join(context.profiles)}",
            )
        candidates = [context.profiles[context.profile]]
    else:
        candidates = list(context.profiles.values())
    found = match_profile(tables, candidates)
    if found is None:
        wanted = "; ".join(f"{p.name}: {', '.join(p.fingerprint)}" for p in candidates)
        raise SourceFileError.at(
            source.name, source.name, f"no sheet has the header a mapping profile expects ({wanted})"
        )
    profile, table, header_row, columns = found
    col = {}
    for field, text in profile.columns.model_dump().items():
        if text is None:
            continue
        key = "".join(text.split())
        if key not in columns:
            raise SourceFileError.at(
                source.name, table.where_row(header_row), f"column {text!r} of profile {profile.name} not found"
            )
        col[field] = columns[key]

    supplier, submitted, problems = supplier_and_date(
        table, header_row, context, profile.supplier_labels, profile.date_labels
    )
    vocabulary = profile.vocabulary()
    items = {i.id: i for i in profile.resolved_items()}
    pattern = re.compile(profile.item_pattern) if profile.item_pattern else None
    answers: list[Answer] = []
    seen: dict[str, int] = {}

    def cell(row: list[str | None], field: str) -> str | None:
        index = col.get(field)
        return row[index] if index is not None and index < len(row) else None

    for row0 in range(header_row + 1, len(table.rows)):
        row = table.rows[row0]
        item = cell(row, "item_id")
        if item is None:
            continue
        where = table.where(row0, col["item_id"])
        if item.endswith(".0") and item[:-2].isdigit():
            item = item[:-2]
        if item not in items and not (pattern and pattern.match(item)):
            problems.append(Problem(location=where, message=f"item {item!r} is not in profile {profile.name}"))
            continue
        if item in seen:
            problems.append(
                Problem(location=where, message=f"item {item} appears twice (first on row {seen[item] + 1})")
            )
            continue
        seen[item] = row0
        raw = cell(row, "answer")
        if raw is None:
            status = profile.blank_is
        elif answer_key(raw) in vocabulary:
            status = vocabulary[answer_key(raw)].status
        else:
            allowed = " / ".join(a.label for a in profile.answers)
            problems.append(
                Problem(
                    location=table.where(row0, col["answer"]),
                    message=f"unknown answer {raw!r} for {item}: expected {allowed} or blank",
                )
            )
            continue
        answers.append(
            Answer(
                item_id=item,
                raw_answer=raw,
                status=status,
                note=cell(row, "note"),
                location=table.where(row0, col["answer"]),
            )
        )
    if not seen and not problems:
        problems.append(Problem(location=table.where_row(header_row), message="no item rows under the header"))
    if problems:
        raise SourceFileError(source.name, problems)
    warnings = []
    unmapped = sorted(i for i in seen if i not in items or not items[i].maps)
    if unmapped:
        warnings.append(
            Problem(
                location=table.label,
                message=f"{len(unmapped)} items speak to no SCS criterion ({', '.join(unmapped[:6])})",
            )
        )
    if source.suffix == "xlsm":
        warnings.append(
            Problem(location=source.name, message="macro-enabled workbook: cell values were read, macros were not run")
        )
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
