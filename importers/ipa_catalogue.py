"""IPA's official Excel of SCS requirements and evaluation criteria → the official sentences.

The repository ships IDs, titles and citations only; a user who has IPA's workbook imports it
here so that screens can show the full official texts. Columns are found by their header text
(header row near the top, ``大分類No.`` … ``評価基準No.`` ``評価基準``), merged cells in the
requirement columns are filled down, and the catalogue version is recognised from the criterion
IDs the sheet contains.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import fastexcel
import polars as pl
from pydantic import BaseModel, ConfigDict

from importers.base import Limits, Problem, SourceFile, SourceFileError, cell_name, header_key, sha256_hex
from importers.container import check_office_zip, looks_like_zip, sheet_origins
from importers.tabular import reader_failed, reader_reason
from questionnaires.catalogue import Catalogue

__all__ = [
    "NAME",
    "OfficialTextBatch",
    "parse",
    "sniff",
]

NAME = "ipa_catalogue_excel"
_HEADER_SCAN_ROWS = 10
_CRITERION_ID = re.compile(r"^[1-7]-\d+-\d+-\d+$")
# Header texts as they appear in IPA's sheet, folded by header_key.
_COLUMNS = {
    "requirement_id": "要求事項No.",
    "requirement_text": "要求事項",
    "criterion_id": "評価基準No.",
    "criterion_text": "評価基準",
}


class OfficialTextBatch(BaseModel):
    """The official sentences read from one workbook, for one catalogue version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source_name: str
    sha256: str
    sheet: str
    catalogue_version: str
    requirements: dict[str, str]
    criteria: dict[str, str]


def _read_sheets(source_name: str, data: bytes) -> Iterable[tuple[str, pl.DataFrame, tuple[int, int]]]:
    limits = Limits()
    if not looks_like_zip(data):
        raise SourceFileError.at(source_name, source_name, "ipa_catalogue.not_workbook")
    source = SourceFile(source_name, data)
    check_office_zip(source, limits)  # size, zip bomb, parts the reader would choke on
    origins = sheet_origins(source, limits)
    try:
        reader = fastexcel.read_excel(data)
    except BaseException as exc:  # calamine raises its own error types for every kind of bad file
        if not reader_failed(exc):
            raise
        reason, params = reader_reason(exc)
        raise SourceFileError.at(
            source_name, source_name, "tabular.excel_unreadable", reason_key=reason, **params
        ) from None
    cells = 0
    for name in reader.sheet_names:
        try:
            frame = reader.load_sheet(name, header_row=None, dtypes="string").to_polars()
        except BaseException as exc:
            if not reader_failed(exc):
                raise
            reason, params = reader_reason(exc)
            raise SourceFileError.at(
                source_name, f"{source_name}: {name}", "tabular.sheet_unreadable", reason_key=reason, **params
            ) from None
        cells += frame.height * frame.width  # many sheets may name the same part
        if cells > limits.max_cells:
            raise SourceFileError.at(
                source_name, f"{source_name}: {name}", "tabular.too_many_cells", limit=f"{limits.max_cells:,}"
            )
        yield name, frame, origins.get(name, (0, 0))


def _find_header(frame: pl.DataFrame) -> tuple[int, dict[str, int]] | None:
    for row_index, row in enumerate(frame.head(_HEADER_SCAN_ROWS).iter_rows()):
        keys = [header_key(cell) for cell in row]
        found = {field: keys.index(text) for field, text in _COLUMNS.items() if text in keys}
        if "criterion_id" in found and "criterion_text" in found:
            return row_index, found
    return None


def sniff(source_name: str, data: bytes) -> float:
    """How sure we are that this is IPA's criteria workbook (0–1)."""
    if not data.startswith(b"PK"):
        return 0.0
    try:
        return 1.0 if any(_find_header(frame) for _, frame, _ in _read_sheets(source_name, data)) else 0.0
    except SourceFileError:
        return 0.0


def parse(source_name: str, data: bytes, catalogues: list[Catalogue]) -> OfficialTextBatch:
    """Read the official texts; raises :class:`SourceFileError` naming file, sheet and cell."""
    located = None
    for sheet_name, frame, origin in _read_sheets(source_name, data):
        header = _find_header(frame)
        if header:
            located = (sheet_name, frame, origin, *header)
            break
    if located is None:
        raise SourceFileError.at(source_name, source_name, "ipa_catalogue.header_missing", rows=_HEADER_SCAN_ROWS)
    sheet_name, frame, (top, left), header_row, columns = located

    def cell(row0: int, field: str) -> str:  # the cell a person sees, not the reader's table index
        return cell_name(source_name, sheet_name, row0 + top, columns[field] + left)

    missing = [text for field, text in _COLUMNS.items() if field not in columns]
    if missing:
        raise SourceFileError.at(
            source_name,
            f"{source_name}: {sheet_name} row {header_row + top + 1}",
            "ipa_catalogue.columns_missing",
            columns=missing,
        )

    names = frame.columns
    body = (
        frame.slice(header_row + 1)
        .with_row_index("row0", offset=header_row + 1)
        .select(
            "row0",
            *(pl.col(names[i]).str.strip_chars().alias(field) for field, i in columns.items()),
        )
        # Merged requirement cells give their value in the first row only: fill it down.
        .with_columns(pl.col("requirement_id", "requirement_text").forward_fill())
        .filter(pl.col("criterion_id").is_not_null() | pl.col("criterion_text").is_not_null())
    )

    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for row0, req_id, req_text, crit_id, crit_text in body.select(
        "row0", "requirement_id", "requirement_text", "criterion_id", "criterion_text"
    ).iter_rows():
        where = cell(row0, "criterion_id")
        if not crit_id:
            problems.append(Problem.of(where, "ipa_catalogue.criterion_id_missing"))
        elif not _CRITERION_ID.match(crit_id):
            problems.append(Problem.of(where, "scs.criterion_id_format", found=crit_id))
        elif crit_id in seen:
            problems.append(
                Problem.of(
                    where,
                    "tabular.repeated_id",
                    noun_label="tabular.noun.criterion",
                    item=crit_id,
                    row=seen[crit_id] + top + 1,
                )
            )
        elif not crit_text:
            problems.append(
                Problem.of(cell(row0, "criterion_text"), "ipa_catalogue.criterion_no_text", criterion=crit_id)
            )
        elif not req_id or not crit_id.startswith(f"{req_id}-") or not req_text:
            problems.append(
                Problem.of(
                    cell(row0, "requirement_id"), "ipa_catalogue.not_under_requirement", criterion=crit_id, found=req_id
                )
            )
        if crit_id:
            seen.setdefault(crit_id, row0)
    if problems:
        raise SourceFileError(source_name, problems)

    ids = set(body["criterion_id"].to_list())
    version = _match_version(source_name, sheet_name, ids, catalogues)
    requirements = dict(
        body.select("requirement_id", "requirement_text")
        .unique("requirement_id", keep="first", maintain_order=True)
        .iter_rows()
    )
    criteria = dict(body.select("criterion_id", "criterion_text").iter_rows())
    return OfficialTextBatch(
        source_name=source_name,
        sha256=sha256_hex(data),
        sheet=sheet_name,
        catalogue_version=version,
        requirements=requirements,
        criteria=criteria,
    )


def _match_version(source_name: str, sheet: str, ids: set[str], catalogues: list[Catalogue]) -> str:
    """The catalogue version whose criterion IDs are exactly those of the sheet."""
    best: tuple[int, Catalogue] | None = None
    for catalogue in catalogues:
        known = {c.id for c in catalogue.criteria}
        if known == ids:
            return catalogue.version
        distance = len(known ^ ids)
        if best is None or distance < best[0]:
            best = (distance, catalogue)
    assert best is not None, "at least one catalogue version is shipped"
    known = {c.id for c in best[1].criteria}
    unknown, absent = sorted(ids - known), sorted(known - ids)
    detail = (
        "ipa_catalogue.version_detail.both"
        if unknown and absent
        else "ipa_catalogue.version_detail.unknown"
        if unknown
        else "ipa_catalogue.version_detail.absent"
    )
    raise SourceFileError.at(
        source_name,
        f"{source_name}: {sheet}",
        "ipa_catalogue.no_version",
        closest=best[1].version,
        detail_key=detail,
        unknown=_some(unknown),
        absent=_some(absent),
    )


def _some(ids: list[str], shown: int = 8) -> list[str]:
    """The first IDs of a list, and an ellipsis for the rest."""
    return ids[:shown] + (["…"] if len(ids) > shown else [])
