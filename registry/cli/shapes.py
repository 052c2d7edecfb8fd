"""The shapes of the CLI's ``--json`` output, one model per command: what scripts built on
``monosashi … --json`` may rely on. Every JSON document is checked against its shape before it
is printed (:func:`registry.cli.app._echo_json`), and tests/test_docs.py checks that every field
of every shape is documented in docs/cli.md. Printing keeps the values as they were (dates as
``YYYY-MM-DD``, times as the database gives them); the shapes only fix names and kinds.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter

from importers.base import MessageValue
from questionnaires.schema import Category, Citations, ReferenceDocuments, Subcategory

__all__ = [
    "SHAPES",
    "AccountRow",
    "AuditVerdictDoc",
    "CatalogueCounts",
    "CatalogueCriterion",
    "CatalogueDoc",
    "CatalogueRequirement",
    "CoverageRow",
    "CriterionReading",
    "EvidencePiece",
    "FileHistoryRow",
    "FileReportDoc",
    "FlagRow",
    "InvitationRow",
    "MapDoc",
    "MapHeaders",
    "MapProposal",
    "MapQuestion",
    "PendingCertificateRow",
    "ProblemDoc",
    "ProfileRow",
    "ProposalRow",
    "Readiness",
    "ReasonDoc",
    "RefusedRowDoc",
    "RemindMessage",
    "RemindRunDoc",
    "RenewalRow",
    "RequestRow",
    "SelfCheck",
    "Shape",
    "StatusRow",
    "SupplierRow",
    "checked",
]


class Shape(BaseModel):
    """A JSON object the CLI prints: exactly these keys, no others."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def columns(cls) -> list[str]:
        """The keys in order: what a command selects from its frame (one list, here)."""
        return list(cls.model_fields)


class SupplierRow(Shape):
    """``suppliers list --json``: one supplier."""

    supplier_id: str
    name: str
    corporate_number: str | None
    industry: str | None
    employees: int | None
    prefecture: str | None
    tier: int | None
    held_level: str
    requested_level: int | None


class ProposalRow(Shape):
    """``proposals list --json``: a subcontractor a supplier declared."""

    proposal_id: int
    proposed_by: str
    proposed_by_name: str | None
    name: str
    corporate_number: str | None
    supplied: str | None
    critical: bool | None
    child_id: str | None
    child_name: str | None
    state: str
    source_name: str | None
    location: str | None
    proposed_at: datetime | None
    resolved_at: datetime | None
    resolved_by: str | None


class Readiness(Shape):
    """Shares of the ★3 and ★4 criteria (0–1; null where nothing is known)."""

    star3: float | None
    star4: float | None


class CriterionReading(Shape):
    """One criterion of a supplier on the yardstick."""

    criterion_id: str
    level: int
    status: str
    kind: str | None
    stale: bool
    conflict: bool
    declared_status: str | None  # the supplier's newest own answer, beside a ★'s reading


class SelfCheck(Shape):
    """The supplier's current IPA 自社診断: total score out of 100 and its band."""

    score: int | None
    band: str | None
    answered_on: date


class StatusRow(Shape):
    """``status --json``: a supplier read on the yardstick."""

    supplier_id: str
    name: str
    held_level: str
    requested_level: int | None
    readiness: Readiness
    readiness_partial: Readiness
    conflicts: int
    stale: int
    declared_against: int
    self_check: SelfCheck | None
    criteria: list[CriterionReading]


class EvidencePiece(Shape):
    """``explain --json``: one piece of evidence for a criterion, the deciding one first."""

    supplier_id: str
    criterion_id: str
    position: int
    kind: str
    rank: int
    strength: float
    status: str
    fresh: bool
    conflict: bool
    declared_against: bool
    declared_status: str | None
    declared_on: date | None
    evidence_date: date | None
    source_framework: str | None
    source_ref: str | None
    source_item: str | None
    relationship: str | None
    raw_answer: str | None
    location: str | None
    valid_until: date | None
    chain: str
    decides: bool


class RenewalRow(Shape):
    """``renewals --json``: a certificate that needs action or has lapsed."""

    supplier_id: str
    name: str
    scheme: str
    level: int | None
    registration_no: str | None
    issued_on: date
    expires_on: date | None
    state: str
    days_left: int | None
    window: int | None
    check_due_on: date | None
    expiry_mismatch: bool | None


class CoverageRow(Shape):
    """``coverage --json``: valid ★ coverage of one tier (null: suppliers no link reaches)."""

    tier: int | None
    suppliers: int
    covered: int
    below_required: int
    other_evidence: int
    questionnaire_only: int
    unknown: int


class RequestRow(Shape):
    """``requests list --json``: a supplier's current ★ request."""

    request_id: str
    supplier_id: str
    name: str
    requested_level: int
    recommended_level: int | None
    requested_on: date
    due_on: date
    state: str
    held_level: str
    days_to_due: int | None


class FlagRow(Shape):
    """``flags --json``: one flag with its workflow state."""

    flag_id: int
    supplier_id: str
    name: str | None
    kind: str
    rule_id: str
    subject: str | None
    severity: str
    reason: str
    reason_en: str | None
    state: str
    first_held_on: date | None
    last_held_on: date | None
    state_changed_by: str | None
    note: str | None


class ProblemDoc(Shape):
    """A problem with a file: where, the message key and its parameters (stable), and the
    message in the command's language (``--lang``, else ``MONOSASHI_LANG`` or ``LANG``)."""

    location: str
    key: str
    params: dict[str, MessageValue]
    message: str


class RefusedRowDoc(Shape):
    """A row of a list refused on its own (the list's other rows are imported)."""

    location: str
    problems: list[ProblemDoc]


class FileReportDoc(Shape):
    """``import --json`` (and the lists' imports): what happened to one file."""

    file: str
    sha256: str | None
    status: str
    format: str | None
    supplier_id: str | list[str] | None
    framework: str | None
    catalogue_version: str | None
    answers: int
    errors: list[ProblemDoc]
    warnings: list[ProblemDoc]
    refused_rows: list[RefusedRowDoc]


class FileHistoryRow(Shape):
    """``history --json``: one file received."""

    import_id: int
    imported_at: datetime
    status: str
    source_name: str
    supplier_ids: str | None
    framework_id: str | None
    catalogue_version: str | None
    answers: int | None
    format: str | None
    imported_by: str | None
    sha256: str
    size_bytes: int | None
    errors: list[ProblemDoc]
    warnings: list[ProblemDoc]
    content_kept: bool | None


class PendingCertificateRow(Shape):
    """``certificates pending --json``: a supplier's certificate awaiting a buyer's confirmation."""

    certificate_id: str
    supplier_id: str
    name: str
    scheme: str
    scheme_name: str | None
    registration_no: str | None
    issued_on: date
    expires_on: date | None
    issuer: str | None
    scope: str | None
    added_by: str | None
    created_at: datetime | None


class ProfileRow(Shape):
    """``profiles list --json``: a mapping profile for a buyer's checklist."""

    name: str
    framework_id: str
    title_ja: str
    title_en: str
    fingerprint: list[str]
    items: int


class AccountRow(Shape):
    """``users list --json``: one account (never its password)."""

    user_id: str
    display_name: str | None
    email: str | None
    role: str
    supplier_id: str | None
    has_password: bool
    created_at: datetime | None
    created_by: str | None
    disabled_at: datetime | None


class InvitationRow(Shape):
    """``portal list --json``: a portal link (never its secret)."""

    invitation: str
    supplier_id: str
    created_at: datetime
    created_by: str | None
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    last_used_at: datetime | None
    uses: int


class AuditVerdictDoc(Shape):
    """``audit verify --json``: whether the audit log's hash chain is intact."""

    intact: bool
    lines: int
    first_broken_line: int | None
    problem: str | None
    head_hash: str


class CatalogueCounts(Shape):
    categories: int
    requirements: int
    requirements_star3: int
    criteria: int
    criteria_star3: int


class CatalogueRequirement(Shape):
    id: str
    urn: str
    category_no: int
    subcategory_id: str
    title_ja: str
    min_level: int
    summary_ja: str
    summary_en: str
    criteria: list[str]


class CatalogueCriterion(Shape):
    id: str
    urn: str
    requirement_id: str
    level: int
    csf_function: str
    citations: Citations


class CatalogueDoc(Shape):
    """``catalogue --json``: the SCS catalogue in force."""

    framework: str
    version: str
    status: str
    published: date
    counts: CatalogueCounts
    reference_documents: ReferenceDocuments
    categories: list[Category]
    subcategories: list[Subcategory]
    requirements: list[CatalogueRequirement]
    criteria: list[CatalogueCriterion]


# Command → the shape of one element (list output) or of the whole document.
class ReasonDoc(Shape):
    """Why a reminder was not sent: a message key and its parameters (stable), and the message."""

    key: str
    params: dict[str, str]
    message: str


class RemindMessage(Shape):
    """One reminder of ``remind --json``."""

    reminder_key: str
    kind: str
    supplier_id: str | None
    recipient: str
    language: str
    subject: str | None
    outcome: str
    reason: ReasonDoc | None


class RemindRunDoc(Shape):
    """``remind --json``: what the run sent (or, with ``--dry-run``, would send)."""

    as_of: date
    dry_run: bool
    planned: int
    stopped: ReasonDoc | None
    counts: dict[str, dict[str, int]]
    messages: list[RemindMessage]


class MapProposal(Shape):
    """One proposed criterion of ``map --json``."""

    criterion: str
    score: float
    relationship: str
    matched: list[str]
    learned: bool


class MapQuestion(Shape):
    """One question of ``map --json`` with its proposals (none: no proposal)."""

    row: int
    item_id: str | None
    question: str
    confidence: float
    proposals: list[MapProposal]


class MapHeaders(Shape):
    """The headers of the columns ``map`` read."""

    question: str | None
    item_id: str | None
    answer: str | None


class MapDoc(Shape):
    """``map --json``: the checklist's layout and the proposals for each question."""

    file: str
    sheet: str | None
    header_row: int
    headers: MapHeaders
    questions: list[MapQuestion]
    no_proposal: int
    saved_profile: str | None


SHAPES: dict[str, type[Shape]] = {
    "suppliers list": SupplierRow,
    "proposals list": ProposalRow,
    "status": StatusRow,
    "explain": EvidencePiece,
    "renewals": RenewalRow,
    "coverage": CoverageRow,
    "requests list": RequestRow,
    "requests import": FileReportDoc,
    "flags": FlagRow,
    "import": FileReportDoc,
    "certificates import": FileReportDoc,
    "links import": FileReportDoc,
    "history": FileHistoryRow,
    "certificates pending": PendingCertificateRow,
    "profiles list": ProfileRow,
    "users list": AccountRow,
    "portal list": InvitationRow,
    "audit verify": AuditVerdictDoc,
    "catalogue": CatalogueDoc,
    "remind": RemindRunDoc,
    "map": MapDoc,
}


def checked(value: Any, shape: type[Shape]) -> Any:
    """``value`` itself once it has the shape (a list of them, or one), else a ValidationError:
    a changed key is caught before any script sees it."""
    many = isinstance(value, list)
    TypeAdapter(list[shape] if many else shape).validate_python(value)  # type: ignore[valid-type]
    return value
