"""What every importer shares: the source file, the batch it produces, and the problem type that
names file, sheet and cell."""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from questionnaires.frameworks import MappingProfile
from registry.domain.models import (
    Answer,
    Certificate,
    LevelRequest,
    Supplier,
    SupplierContact,
    SupplierLink,
    refuse_control_characters,
)
from registry.messages import catalogue, localise_location, render

__all__ = [
    "DeclaredSubcontractor",
    "ImportBatch",
    "ImportContext",
    "Importer",
    "Limits",
    "MessageValue",
    "Problem",
    "RefusedRow",
    "SourceFile",
    "SourceFileError",
    "SubmissionPayload",
    "SupplierContactRow",
    "SupplierOwnerRef",
    "SupplierRef",
    "YearlyCheckRow",
    "cell_name",
    "column_letter",
    "describe_validation",
    "header_key",
    "message_value",
    "problem_from",
    "sha256_hex",
    "validation_problems",
]


# What a message parameter may hold (JSON in the import history).
MessageValue = str | int | float | bool | None | list[str]


class Problem(BaseModel):
    """One thing wrong with an input, at a place a person can find (``file: sheet!C12``), said
    as a message key with its parameters (registry/messages) so that each reader gets it in
    their language; :attr:`message` is the English text (logs, ``str()`` of an error)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    location: str
    key: str
    params: dict[str, MessageValue] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _plain_text(cls, data: object) -> object:
        # The import history written before messages had keys holds English text: shown as written.
        if isinstance(data, dict) and "message" in data and "key" not in data:
            rest = {name: value for name, value in data.items() if name != "message"}
            data = {**rest, "key": "text.as_written", "params": {"text": data["message"]}}
        return data

    @classmethod
    def of(cls, location: str, key: str, **params: MessageValue) -> Problem:
        """A problem at ``location`` saying message ``key`` with ``params``."""
        return cls(location=location, key=key, params=params)

    @property
    def message(self) -> str:
        return self.said("en")

    def said(self, lang: str) -> str:
        """The message alone, in ``lang`` (a key the catalogue lacks is shown as it is rather than
        failing the page; tests/test_messages.py keeps that from happening)."""
        try:
            return render(self.key, lang, self.params)
        except (KeyError, IndexError):
            return self.key

    def text(self, lang: str) -> str:
        """Place and message in ``lang`` (``a.csv 3 行目: …``)."""
        return f"{localise_location(self.location, lang)}: {self.said(lang)}"

    def as_json(self, lang: str) -> dict[str, object]:
        """The problem for ``--json`` output: place, key, parameters and the message in ``lang``."""
        return {"location": self.location, "key": self.key, "params": self.params, "message": self.said(lang)}


class SourceFileError(Exception):
    """The file cannot be imported; ``problems`` say where and why. Nothing was written."""

    def __init__(self, source_name: str, problems: list[Problem]) -> None:
        self.source_name = source_name
        self.problems = problems
        first = problems[0] if problems else Problem.of(source_name, "file.rejected")
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(f"{first.location}: {first.message}{more}")

    @classmethod
    def at(cls, source_name: str, location: str, key: str, **params: MessageValue) -> SourceFileError:
        """The error of one problem at ``location`` saying ``key`` with ``params``."""
        return cls(source_name, [Problem.of(location, key, **params)])


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


class SupplierContactRow(BaseModel):
    """A person at a supplier that a supplier list names (one per row), and the row it is on
    (``row`` from 0 in the list's table, as :class:`RefusedRow` counts)."""

    model_config = ConfigDict(extra="forbid")

    contact: SupplierContact
    row: int
    location: str


class SupplierOwnerRef(BaseModel):
    """The buyer-side account a supplier list names as a supplier's owner: its user ID or e-mail
    as written (the registry finds the account), at its cell."""

    model_config = ConfigDict(extra="forbid")

    supplier_id: str
    owner: _Named
    location: str


class RefusedRow(BaseModel):
    """A row of a list that cannot be imported, with why: the rest of the list may still go in
    (``row`` counts from 0 in the list's table; the file is read again to hand the row back)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    row: int
    location: str
    problems: list[Problem]


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
    # Supplier lists only: the contacts their rows name, and the suppliers' owners.
    contacts: list[SupplierContactRow] = Field(default_factory=list)
    owners: list[SupplierOwnerRef] = Field(default_factory=list)
    warnings: list[Problem] = Field(default_factory=list)
    # Lists only: the table row (from 0) of each item read, in the order of the list it fills
    # (suppliers, links, certificates, requests or yearly checks), and the rows refused.
    item_rows: list[int] = Field(default_factory=list)
    item_locations: list[str] = Field(default_factory=list)
    refused_rows: list[RefusedRow] = Field(default_factory=list)

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


@functools.lru_cache(maxsize=1024)
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


def _keyed(error: Mapping[str, object]) -> tuple[str, dict[str, MessageValue]]:
    """A pydantic error as a message key and parameters: our own checks raise their key
    (``PydanticCustomError``); pydantic's own kinds have a ``validation.<kind>`` message; the
    field is named by its label (``field.<name>``) in the reader's language."""
    loc = error.get("loc") or ()
    field = str(loc[0]) if loc else None  # type: ignore[index]
    kind = str(error["type"])
    context = {name: value for name, value in (error.get("ctx") or {}).items() if name != "error"}  # type: ignore[union-attr]
    params: dict[str, MessageValue] = {name: message_value(value) for name, value in context.items()}
    if kind in catalogue():
        key = kind
    elif f"validation.{kind}" in catalogue():
        key = f"validation.{kind}"
    else:  # a kind not yet worded: say which field, and the value found
        key = "validation.other"
    if key == "validation.literal_error" or key == "validation.enum":
        # pydantic joins the choices with an English "or": a list reads the same in both languages
        params["expected"] = str(context.get("expected", "")).replace(" or ", ", ")
    raw = error.get("input")
    params.setdefault("found", raw if isinstance(raw, str | int | float | bool) else None)
    params["field_label"] = f"field.{field}" if field else "field.record"
    return key, params


def _field_message(key: str, params: dict[str, MessageValue]) -> tuple[str, dict[str, MessageValue]]:
    """The message of a field's error as ``<field>: <what is wrong>`` (``validation.in_field``);
    the domain's own checks (``corporate_number.check_digit``) name what they check already."""
    if key.startswith(("validation.", "text.")):
        return "validation.in_field", {"detail_key": key, **params}
    return key, params


def describe_validation(exc: ValidationError) -> str:
    """A model's validation errors in one English line, each naming its field (logs, ``str()``);
    people get :func:`validation_problems`, in their language."""
    return "; ".join(render(key, "en", params) for key, params in (_field_message(*_keyed(e)) for e in exc.errors()))


def validation_problems(exc: ValidationError, where: Callable[[str | None], str]) -> list[Problem]:
    """A model's validation errors as problems, each at the place its field was read from
    (``where(field)``: a cell when the field has its own column) and naming the field."""
    problems = []
    for error in exc.errors():
        key, params = _field_message(*_keyed(error))
        field = str(error["loc"][0]) if error["loc"] else None
        problems.append(Problem(location=where(field), key=key, params=params))
    return problems


def problem_from(exc: ValueError, location: str) -> Problem:
    """The problem a parser's ``ValueError`` states: its key and parameters when it has them
    (``PydanticCustomError``, as importers/normalise.py raises), else its text as written."""
    if isinstance(exc, PydanticCustomError):
        context = exc.context or {}
        return Problem(location=location, key=exc.type, params={k: message_value(v) for k, v in context.items()})
    if isinstance(exc, ValidationError):
        return validation_problems(exc, lambda _field: location)[0]
    return Problem.of(location, "text.as_written", text=str(exc))


def message_value(value: object) -> MessageValue:
    """A value as a message parameter can hold it (JSON in the import history): lists as lists of
    text, anything else that is not a plain value as its text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return str(value)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
