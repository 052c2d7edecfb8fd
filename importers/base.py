"""What every importer shares: the source file, the batch it produces, and the problem type that
names file, sheet and cell."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from questionnaires.frameworks import MappingProfile
from registry.domain.models import (
    Answer,
    Certificate,
    LevelRequest,
    Supplier,
    SupplierLink,
    refuse_control_characters,
)

__all__ = [
    "DeclaredSubcontractor",
    "ImportBatch",
    "ImportContext",
    "Importer",
    "Limits",
    "Problem",
    "SourceFile",
    "SourceFileError",
    "SubmissionPayload",
    "SupplierRef",
    "YearlyCheckRow",
    "cell_name",
    "column_letter",
    "describe_validation",
    "header_key",
    "sha256_hex",
    "validation_problems",
]


class Problem(BaseModel):
    """One thing wrong with an input, at a place a person can find (``file: sheet!C12``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    location: str
    message: str


class SourceFileError(Exception):
    """The file cannot be imported; ``problems`` say where and why. Nothing was written."""

    def __init__(self, source_name: str, problems: list[Problem]) -> None:
        self.source_name = source_name
        self.problems = problems
        first = problems[0] if problems else Problem(location=source_name, message="rejected")
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(f"{first.location}: {first.message}{more}")

    @classmethod
    def at(cls, source_name: str, location: str, message: str) -> SourceFileError:
        return cls(source_name, [Problem(location=location, message=message)])


@dataclass(frozen=True)
class SourceFile:
    """The bytes of one file to import, with the name the user knows it by."""

    name: str
    data: bytes
    sha256: str = field(default="")
    # Parsed forms shared by sniff() and parse() so that a file is read once.
    cache: dict[object, object] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.sha256:
            object.__setattr__(self, "sha256", sha256_hex(self.data))

    @property
    def suffix(self) -> str:
        return self.name.rsplit(".", 1)[-1].lower() if "." in self.name else ""


class SupplierRef(BaseModel):
    """How a file names its supplier; the registry resolves it to a supplier ID."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    supplier_id: str | None = None
    corporate_number: str | None = None
    name: str | None = None
    location: str | None = None
    # When the person importing chose the supplier, what the file itself says (None: nothing), so
    # that a portal upload naming another supplier can be refused.
    file_ref: SupplierRef | None = None

    def describe(self) -> str:
        return self.supplier_id or self.corporate_number or self.name or "(none)"


# Text a file names something by: no control characters (registry.models says which and where).
_Named = Annotated[str, BeforeValidator(refuse_control_characters)]


class DeclaredSubcontractor(BaseModel):
    """A subcontractor a supplier lists in its template (a tier-below link)."""

    model_config = ConfigDict(extra="forbid")

    name: _Named
    corporate_number: str | None = None
    supplied: _Named | None = None
    critical: bool = False
    location: str


class SubmissionPayload(BaseModel):
    """A questionnaire answered by one supplier."""

    model_config = ConfigDict(extra="forbid")

    supplier: SupplierRef
    framework_id: str
    framework_version: str
    catalogue_version: str | None = None
    level: Literal[3, 4] | None = None
    submitted_on: date | None = None
    score: int | None = None
    band: str | None = None
    answers: list[Answer]
    subcontractors: list[DeclaredSubcontractor] = Field(default_factory=list)


class YearlyCheckRow(BaseModel):
    """A ★4's yearly self-assessment submitted to the evaluation body (a row of a list)."""

    model_config = ConfigDict(extra="forbid")

    registration_no: str
    submitted_on: date
    location: str


class ImportBatch(BaseModel):
    """What one file holds, validated, ready for the registry to check against its data and write."""

    model_config = ConfigDict(extra="forbid")

    format: str
    source_name: str
    sha256: str
    submissions: list[SubmissionPayload] = Field(default_factory=list)
    suppliers: list[Supplier] = Field(default_factory=list)
    links: list[SupplierLink] = Field(default_factory=list)
    certificates: list[Certificate] = Field(default_factory=list)
    certificate_suppliers: list[SupplierRef] = Field(default_factory=list)
    requests: list[LevelRequest] = Field(default_factory=list)
    request_suppliers: list[SupplierRef] = Field(default_factory=list)
    yearly_checks: list[YearlyCheckRow] = Field(default_factory=list)
    yearly_check_suppliers: list[SupplierRef] = Field(default_factory=list)
    warnings: list[Problem] = Field(default_factory=list)

    @property
    def answer_count(self) -> int:
        return sum(len(s.answers) for s in self.submissions)


@dataclass(frozen=True)
class Limits:
    """Size limits for one upload (configurable by the caller)."""

    max_file_bytes: int = 20 * 1024 * 1024
    max_unzipped_bytes: int = 200 * 1024 * 1024
    max_ratio: int = 200
    max_members: int = 2_000
    # Cells a file's sheets may span (the Excel reader allocates every cell of a sheet's used
    # rectangle, filled or not; a CSV line counts at least one): 100,000 suppliers × 20 columns fit.
    max_cells: int = 2_000_000
    # Rows one list file (suppliers, links, certificates, requests) may hold: reading a list keeps
    # a checked record per row, about 3 KB each, so 200,000 rows stay near 1 GB (bench/bounded_bench.py).
    max_list_rows: int = 200_000


@dataclass(frozen=True)
class ImportContext:
    """What importers may know beyond the bytes: the user's choices and the mapping profiles."""

    supplier_id: str | None = None
    profile: str | None = None
    profiles: Mapping[str, MappingProfile] = field(default_factory=dict)
    limits: Limits = field(default_factory=lambda: Limits())


class Importer(Protocol):
    """The shape of every module in ``importers/`` that reads a source format."""

    NAME: str

    def sniff(self, source: SourceFile, context: ImportContext) -> float: ...

    def parse(self, source: SourceFile, context: ImportContext) -> ImportBatch: ...


def column_letter(index0: int) -> str:
    """Excel column letters for a 0-based index (0 → A, 26 → AA)."""
    letters = ""
    n = index0 + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_name(source_name: str, sheet: str, row0: int, col0: int) -> str:
    """``file: sheet!B3`` for 0-based row and column indexes."""
    return f"{source_name}: {sheet}!{column_letter(col0)}{row0 + 1}"


def header_key(text: object) -> str:
    """A header cell folded for matching: NFKC, no whitespace or line breaks."""
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split())


def _message(error: Mapping[str, object]) -> str:
    field = ".".join(map(str, error["loc"]))  # type: ignore[arg-type]
    text = str(error["msg"]).removeprefix("Value error, ")
    return f"{field}: {text}" if field else text


def describe_validation(exc: ValidationError) -> str:
    """A model's validation errors in one line, each naming its field
    (``industry: contains a control character (U+0001) at position 4; remove it``)."""
    return "; ".join(_message(e) for e in exc.errors())


def validation_problems(exc: ValidationError, where: Callable[[str | None], str]) -> list[Problem]:
    """A model's validation errors as problems, each at the place its field was read from
    (``where(field)``: a cell when the field has its own column) and naming the field."""
    return [Problem(location=where(str(e["loc"][0]) if e["loc"] else None), message=_message(e)) for e in exc.errors()]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
