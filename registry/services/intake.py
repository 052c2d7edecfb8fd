"""Intake: from files, folders and zips to checked batches, and from checked batches to the registry.

Two steps, so that a person can look before anything is written:

1. :func:`analyse` reads every file (no writes): recognises its format, parses it, and checks it
   against the registry (known suppliers, already-imported bytes, clashing corporate numbers).
2. :func:`commit` writes what is ready — the whole batch in one transaction (all or nothing) or
   each file in its own — and records every file in the import history, keeping the bytes of
   rejected files (quarantine) with their reasons.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar

import polars as pl
from pydantic import ValidationError

from importers import IMPORTERS, checklist
from importers.base import (
    DeclaredSubcontractor,
    ImportBatch,
    ImportContext,
    Limits,
    Problem,
    RefusedRow,
    SourceFile,
    SourceFileError,
    SupplierContactRow,
    SupplierOwnerRef,
    SupplierRef,
    message_value,
    validation_problems,
)
from importers.container import check_office_zip, decode_text, expand_zip, looks_like_zip
from importers.lists import LIST_SPECS, refused_rows_table
from importers.tabular import EXCEL_SUFFIXES, TEXT_SUFFIXES
from registry import clock
from registry.domain.actor import Actor
from registry.domain.models import BUYER_ID, supplier_name_key
from registry.domain.tables import (
    ANSWER_FIELDS,
    ANSWER_SCHEMA,
    CERTIFICATE_SCHEMA,
    LINK_SCHEMA,
    PLANNED_CONTACT,
    PLANNED_SUPPLIER_SCHEMA,
    PROPOSAL_SCHEMA,
    REQUEST_SCHEMA,
    SUBMISSION_SCHEMA,
    SUPPLIER_SCHEMA,
    YEARLY_CHECK_SCHEMA,
    PlannedWrite,
)
from registry.errors import AccessDenied, MonosashiError
from registry.messages import localise_location, render
from registry.services import exports, flags, yardstick
from registry.services.profiles import mapping_profiles
from registry.store import Store, certificates, submissions, suppliers
from registry.store import flags as stored_flags
from registry.store.reminders import owner_choices
from registry.store.submissions import write_import
from registry.store.validity import policy_for

__all__ = [
    "FORMAT_NAMES",
    "PORTAL_QUOTA",
    "QUESTIONNAIRE_FORMATS",
    "FileReport",
    "Limits",
    "Mode",
    "PlannedWrite",
    "PortalQuota",
    "SourceFile",
    "SourceFileError",
    "Standing",
    "Status",
    "analyse",
    "changes",
    "collect",
    "commit",
    "commit_and_compare",
    "expand",
    "hands_back_refused_rows",
    "localise_location",
    "may_import_again",
    "preview",
    "problems_as_json",
    "problems_said",
    "refused_rows_csv",
    "refused_rows_name",
    "sources_from_uploads",
    "standing",
    "summary_frame",
    "touched",
    "validation_said",
]

Mode = Literal["batch", "per_file"]
_R = TypeVar("_R")
_P = ParamSpec("_P")
Status = Literal["ready", "imported", "duplicate", "rejected"]
# Lists first: suppliers named by a links file or a submission may come in the same batch.
_ORDER = {"supplier_master": 0, "supplier_links": 1}


@dataclass
class FileReport:
    """What happened (or will happen) to one file."""

    name: str
    sha256: str
    size_bytes: int
    status: Status
    data: bytes | None = field(default=None, repr=False)
    format: str | None = None
    batch: ImportBatch | None = field(default=None, repr=False)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    supplier_ids: list[str] = field(default_factory=list)
    planned: PlannedWrite | None = field(default=None, repr=False)
    # imported, but the flags derived after the import failed (a warning says why; derived again later)
    flags_deferred: bool = False
    # rows of a list refused on their own (the other rows go in), each with its line and reasons
    refused: list[RefusedRow] = field(default_factory=list)
    # the person chose to import these bytes again (imported before, for another supplier)
    again: bool = False
    # a duplicate: the suppliers the same bytes went to before
    previous_suppliers: list[str] = field(default_factory=list)

    @property
    def framework(self) -> str | None:
        subs = self.batch.submissions if self.batch else []
        return ", ".join(sorted({s.framework_id for s in subs})) or None

    @property
    def catalogue_version(self) -> str | None:
        subs = self.batch.submissions if self.batch else []
        return ", ".join(sorted({s.catalogue_version for s in subs if s.catalogue_version})) or None

    @property
    def answers(self) -> int:
        return self.batch.answer_count if self.batch else 0

    def reject(self, problems: Iterable[Problem]) -> None:
        self.status = "rejected"
        self.errors.extend(problems)
        self.planned = None
        self.refused = []

    @property
    def rows(self) -> int:
        """Rows of a list this file holds that are good (0 for answer files)."""
        return len(self.batch.item_rows) if self.batch else 0

    def as_json(self, lang: str = "en") -> dict[str, object]:
        """The ``monosashi import --json`` object for this file (documented in docs/cli.md), its
        messages in ``lang``."""
        return {
            "file": self.name,
            "sha256": self.sha256,
            "status": self.status,
            "format": self.format,
            "supplier_id": self.supplier_ids[0] if len(self.supplier_ids) == 1 else (self.supplier_ids or None),
            "framework": self.framework,
            "catalogue_version": self.catalogue_version,
            "answers": self.answers,
            "errors": [e.as_json(lang) for e in self.errors],
            "warnings": [w.as_json(lang) for w in self.warnings],
            "refused_rows": [
                {"location": r.location, "problems": [p.as_json(lang) for p in r.problems]} for r in self.refused
            ],
        }


# -- collecting files -----------------------------------------------------------------------------


def _one_opening(work: Callable[Concatenate[Store, _P], _R]) -> Callable[Concatenate[Store, _P], _R]:
    """Run ``work(store, …)`` with the registry file held open: one opening for all its queries
    (opening the file costs more than most of them)."""

    @functools.wraps(work)
    def held(store: Store, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with store.held_open():
            return work(store, *args, **kwargs)

    return held


def collect(paths: Iterable[Path], limits: Limits) -> list[FileReport | SourceFile]:
    """Files named, files in folders (recursively) and files inside zips, in a stable order.

    Files that cannot even be opened come back as rejected reports; the rest as sources.
    """
    out: list[FileReport | SourceFile] = []
    for path in paths:
        if path.is_dir():
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            files = [path]
        for file in files:
            size = file.stat().st_size
            if size > limits.max_file_bytes:
                out.append(
                    FileReport(
                        name=str(file),
                        sha256=_sha_of_file(file),
                        size_bytes=size,
                        status="rejected",
                        errors=[
                            Problem.of(
                                str(file), "intake.file_too_large", size=f"{size:,}", limit=f"{limits.max_file_bytes:,}"
                            )
                        ],
                    )
                )
                continue
            out.extend(expand(SourceFile(name=str(file), data=file.read_bytes()), limits))
    return out


def _sha_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def expand(source: SourceFile, limits: Limits) -> list[FileReport | SourceFile]:
    """A zip becomes its members (each checked); any other file stays itself."""
    if source.suffix != "zip" and not (looks_like_zip(source.data) and source.suffix not in {"xlsx", "xlsm"}):
        return [source]
    try:
        members, refused = expand_zip(source, limits)
    except SourceFileError as exc:
        return [
            FileReport(
                name=source.name,
                sha256=source.sha256,
                size_bytes=len(source.data),
                status="rejected",
                data=source.data,
                errors=exc.problems,
            )
        ]
    out: list[FileReport | SourceFile] = [
        FileReport(name=kept, sha256="", size_bytes=0, status="rejected", errors=[problem])
        if isinstance(kept, str)
        else FileReport(
            name=kept.name,
            sha256=kept.sha256,
            size_bytes=len(kept.data),
            status="rejected",
            data=kept.data,
            errors=[problem],
        )
        for kept, problem in refused
    ]
    for member in members:
        if member.suffix == "zip":
            out.append(
                FileReport(
                    name=member.name,
                    sha256=member.sha256,
                    size_bytes=len(member.data),
                    status="rejected",
                    data=member.data,
                    errors=[Problem.of(member.name, "intake.zip_in_zip")],
                )
            )
        else:
            out.append(member)
    return out


# -- analysing ------------------------------------------------------------------------------------


def _detect(source: SourceFile, context: ImportContext) -> tuple[str, ImportBatch]:
    # Say what is wrong with the container itself (renamed file, encryption, bomb, encoding)
    # rather than that no format matched.
    if source.suffix in EXCEL_SUFFIXES:
        check_office_zip(source, context.limits)
    elif source.suffix in TEXT_SUFFIXES:
        decode_text(source)
    if context.profile:
        batch = checklist.parse(source, context)
        return batch.format, batch
    # Importers are listed most specific first; a sure match ends the search.
    score, importer = 0.0, IMPORTERS[0]
    for candidate in IMPORTERS:
        candidate_score = candidate.sniff(source, context)
        if candidate_score > score:
            score, importer = candidate_score, candidate
        if score >= 0.9:
            break
    if score <= 0.2:
        raise SourceFileError.at(source.name, source.name, "intake.format_unknown")
    batch = importer.parse(source, context)
    return batch.format, batch


@_one_opening
def analyse(
    store: Store,
    items: Iterable[FileReport | SourceFile],
    *,
    supplier_id: str | None = None,
    profile: str | None = None,
    limits: Limits | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    create_missing_suppliers: bool = False,
    formats: Iterable[str] | None = None,
    wrong_format: str = "intake.answers_only",
    strict_supplier: bool = False,
    today: date | None = None,
    whole_lists: bool = False,
    again: Iterable[str] = (),
) -> list[FileReport]:
    """Read and check every file; nothing is written. Reports come back in a writable order.

    With ``create_missing_suppliers`` a link to an unknown supplier adds a placeholder supplier
    (the caller's explicit confirmation) instead of rejecting the file. ``formats`` refuses any
    other format (saying ``wrong_format``) before the file is checked against the registry.
    With ``today``, answers dated after it are refused (a future date would hide later answers).
    ``strict_supplier`` (the
    supplier portal) refuses a file that names a supplier other than ``supplier_id``.
    A list's bad rows are refused on their own and its good rows kept, unless ``whole_lists``
    (all or nothing): then one bad row refuses the file. Files whose SHA-256 is in ``again`` are
    read even when the same bytes were imported before (the person chose to import them again).
    """
    limits = limits or Limits()
    profiles = mapping_profiles(store)
    context = ImportContext(supplier_id=supplier_id, profile=profile, profiles=profiles, limits=limits)
    items = list(items)
    known_hashes = submissions.imported_hashes(store, [i.sha256 for i in items if i.sha256])
    reports: list[FileReport] = []
    seen_in_batch: set[str] = set()
    again = set(again)
    for index, item in enumerate(items):
        if progress:
            progress(index, len(items), item.name)
        if isinstance(item, FileReport):
            reports.append(item)
            continue
        report = FileReport(
            name=item.name, sha256=item.sha256, size_bytes=len(item.data), status="ready", data=item.data
        )
        reports.append(report)
        before = known_hashes.get(item.sha256)
        if before and item.sha256 in again and item.sha256 not in seen_in_batch:
            report.again = True
            report.warnings.append(
                Problem.of(item.name, "intake.again", day=before[1].isoformat(), suppliers=before[0] or "—")
            )
        elif before or item.sha256 in seen_in_batch:
            report.status = "duplicate"
            report.previous_suppliers = [s for s in (before[0].split(", ") if before else []) if s]
            report.warnings.append(
                Problem.of(item.name, "intake.duplicate_in_upload")
                if before is None
                else Problem.of(item.name, "intake.duplicate_before", day=before[1].isoformat(), suppliers=before[0])
                if before[0]
                else Problem.of(item.name, "intake.duplicate_no_supplier", day=before[1].isoformat())
            )
            continue
        seen_in_batch.add(item.sha256)
        try:
            report.format, report.batch = _detect(item, context)
        except SourceFileError as exc:
            report.reject(exc.problems)
            continue
        except Exception as exc:  # a parser bug must not lose the file: quarantine it with the reason
            report.reject([Problem.of(item.name, "intake.parser_failed", error=type(exc).__name__)])
            continue
        if formats is not None and report.format not in set(formats):
            expected = {"expected_label": f"format.{next(iter(formats))}"} if formats else {}
            report.reject([Problem.of(item.name, wrong_format, format_label=f"format.{report.format}", **expected)])
            continue
        report.warnings.extend(report.batch.warnings)
        if report.batch.refused_rows:
            if whole_lists:
                report.reject([p for row in report.batch.refused_rows for p in row.problems])
                continue
            report.refused = list(report.batch.refused_rows)
    reports.sort(key=lambda r: _ORDER.get(r.format or "", 2))
    if today is not None:
        for report in reports:
            future = _dated_after(report.batch, today) if report.status == "ready" and report.batch else []
            if future:
                report.reject(future)
    _check_against_registry(
        store, reports, create_missing_suppliers, supplier_id if strict_supplier else None, whole_lists
    )
    if progress:
        progress(len(items), len(items), "")
    return reports


def _dated_after(batch: ImportBatch, today: date) -> list[Problem]:
    """Answers dated after ``today``: refused, or they would count as the newest for years."""
    return [
        Problem.of(
            s.supplier.location or batch.source_name,
            "intake.dated_after_today",
            submitted_on=s.submitted_on.isoformat(),
            today=today.isoformat(),
        )
        for s in batch.submissions
        if s.submitted_on is not None and s.submitted_on > today
    ]


def _check_against_registry(
    store: Store,
    reports: list[FileReport],
    create_missing: bool = False,
    only_supplier: str | None = None,
    whole_lists: bool = False,
) -> None:
    """Resolve suppliers and plan rows; a file whose references do not resolve is rejected, and
    with ``only_supplier``, one that names another supplier. A list's row that the registry
    refuses (an unknown supplier, a number of another's) is refused alone unless ``whole_lists``."""
    ready = [r for r in reports if r.status == "ready" and r.batch]
    refs: list[SupplierRef] = []
    for r in ready:
        refs.extend(s.supplier for s in r.batch.submissions)
        refs.extend(s.supplier.file_ref for s in r.batch.submissions if s.supplier.file_ref)
        refs.extend(r.batch.certificate_suppliers)
        refs.extend(r.batch.request_suppliers)
        refs.extend(r.batch.yearly_check_suppliers)
        for sub in r.batch.submissions:
            refs.extend(SupplierRef(corporate_number=d.corporate_number, name=d.name) for d in sub.subcontractors)
        refs.extend(SupplierRef(supplier_id=link.parent_id) for link in r.batch.links)
        refs.extend(SupplierRef(supplier_id=link.child_id) for link in r.batch.links)
        refs.extend(
            SupplierRef(supplier_id=s.supplier_id, corporate_number=s.corporate_number, name=s.name)
            for s in r.batch.suppliers
        )
    known = suppliers.suppliers_matching(
        store,
        ids=[x.supplier_id for x in refs if x.supplier_id],
        corporate_numbers=[x.corporate_number for x in refs if x.corporate_number],
        name_keys=[supplier_name_key(x.name) for x in refs if x.name],
    )
    registry = _SupplierIndex(known)
    existing_certificates = certificates.certificates_by_registration(
        store, [c.registration_no for r in ready for c in r.batch.certificates if c.registration_no]
    )
    star4s = certificates.star4_by_registration(
        store, [y.registration_no for r in ready for y in r.batch.yearly_checks]
    )
    start = policy_for(store).scheme_start
    people = _People(store, ready)
    earlier = _frame([], PLANNED_SUPPLIER_SCHEMA)
    for report in ready:
        problems: list[Problem] = []
        if only_supplier is not None:
            problems.extend(_named_elsewhere(report, registry, only_supplier))
        refusals = _Refusals(report)
        plan = _plan(report, registry, existing_certificates, problems, refusals, people, create_missing)
        plan.yearly_checks = _plan_yearly_checks(report, registry, star4s, refusals)
        problems.extend(refusals.settle(whole_lists))
        if problems:
            report.reject(problems)
        else:
            report.planned = plan
            report.warnings.extend(_before_the_scheme(report, plan, start))
            if not plan.suppliers.is_empty():
                registry.add(plan.suppliers)
                plan.suppliers = _with_earlier(plan.suppliers, earlier)
                earlier = pl.concat([earlier, plan.suppliers]).unique("supplier_id", keep="last", maintain_order=True)


class _People:
    """Who a batch's supplier lists name: the buyer-side accounts that may own suppliers (by user
    ID or e-mail) and the contacts' addresses the registry holds, read once for the batch and
    only when a list names some."""

    def __init__(self, store: Store, ready: Sequence[FileReport]) -> None:
        batches = [r.batch for r in ready if r.batch]
        self.accounts: dict[str, str] = {}
        if any(b.owners for b in batches):
            accounts = owner_choices(store)
            for user_id, email in accounts.select("user_id", "email").iter_rows():
                if email:
                    self.accounts.setdefault(email.casefold(), user_id)
            for user_id in accounts["user_id"]:  # a user ID wins over another account's e-mail
                self.accounts[user_id.casefold()] = user_id
        ids = sorted({c.contact.supplier_id for b in batches for c in b.contacts})
        known = suppliers.contact_addresses(store, ids) if ids else None
        self.addresses: set[tuple[str, str]] = set(known.iter_rows()) if known is not None else set()

    def owner(self, written: str) -> str | None:
        """The enabled buyer-side account a list's owner cell names (its user ID or e-mail)."""
        return self.accounts.get(written.strip().casefold())

    def known(self, contact: SupplierContactRow) -> bool:
        """Whether the supplier has this contact's address already (whatever its case)."""
        return (contact.contact.supplier_id, contact.contact.email.lower()) in self.addresses


def _with_earlier(planned: pl.DataFrame, earlier: pl.DataFrame) -> pl.DataFrame:
    """Planned supplier rows with what earlier files of the same import planned for the same
    suppliers: only a supplier's last planned row is written (registry/store/submissions.py), so
    it carries their contacts too, and their owner where it names none."""
    if earlier.is_empty():
        return planned
    none = pl.lit([], dtype=pl.List(PLANNED_CONTACT))
    return (
        planned.join(
            earlier.select("supplier_id", owner_before="owner_id", contacts_before="contacts"),
            on="supplier_id",
            how="left",
            maintain_order="left",
        )
        .with_columns(
            owner_id=pl.coalesce("owner_id", "owner_before"),
            contacts=pl.concat_list(pl.col("contacts_before").fill_null(none), pl.col("contacts").fill_null(none)),
        )
        .drop("owner_before", "contacts_before")
    )


def _before_the_scheme(report: FileReport, plan: PlannedWrite, start: date) -> list[Problem]:
    """★ certificates issued, and ★ requests due, before SCS ★3/★4 start: kept, with a warning
    that names the start (the validity policy's ``scheme_start``, editable in Settings)."""
    if plan.certificates.is_empty() and plan.requests.is_empty():  # an answer file: nothing to say
        return []
    early = plan.certificates.filter(pl.col("scheme").is_in(["scs_star3", "scs_star4"]) & (pl.col("issued_on") < start))
    due = plan.requests.filter(pl.col("due_on") < start)
    warnings = [
        Problem.of(
            report.name,
            "intake.star_before_scheme",
            supplier_id=r["supplier_id"],
            registration_no=r["registration_no"],
            issued_on=r["issued_on"].isoformat(),
            start=start.isoformat(),
        )
        for r in early.iter_rows(named=True)
    ]
    warnings += [
        Problem.of(
            report.name,
            "intake.request_due_before_scheme",
            supplier_id=r["supplier_id"],
            level=r["requested_level"],
            due_on=r["due_on"].isoformat(),
            start=start.isoformat(),
        )
        for r in due.iter_rows(named=True)
    ]
    return warnings


def _named_elsewhere(report: FileReport, registry: _SupplierIndex, supplier_id: str) -> list[Problem]:
    """Why a file sent for ``supplier_id`` is another supplier's (it names that one itself)."""
    assert report.batch is not None
    problems = []
    for submission in report.batch.submissions:
        named = submission.supplier.file_ref
        if named is None:
            continue
        owner, _ = registry.resolve(named)
        if (named.supplier_id and named.supplier_id != supplier_id) or (owner is not None and owner != supplier_id):
            problems.append(Problem.of(named.location or report.name, "intake.names_another_supplier"))
    return problems


class _SupplierIndex:
    """Suppliers known to the registry plus those earlier files of this batch will add."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.by_id: dict[str, tuple[str, str | None]] = {}
        self.by_number: dict[str, str] = {}
        self.by_name: dict[str, list[str]] = {}
        self.add(frame)

    def add(self, frame: pl.DataFrame) -> None:
        for supplier_id, name, number, key in frame.select(
            "supplier_id", "name", "corporate_number", "name_key"
        ).iter_rows():
            self.by_id[supplier_id] = (name, number)
            if number:
                self.by_number[number] = supplier_id
            self.by_name.setdefault(key, [])
            if supplier_id not in self.by_name[key]:
                self.by_name[key].append(supplier_id)

    def resolve(self, ref: SupplierRef) -> tuple[str | None, Problem | None]:
        """The supplier ID a reference names, or None and the problem (at the reference's place)."""
        where = ref.location or ""
        if ref.supplier_id:
            if ref.supplier_id in self.by_id:
                return ref.supplier_id, None
            return None, Problem.of(where, "intake.supplier_unknown", supplier_id=ref.supplier_id)
        if ref.corporate_number:
            if ref.corporate_number in self.by_number:
                return self.by_number[ref.corporate_number], None
            return None, Problem.of(where, "intake.no_supplier_with_number", number=ref.corporate_number)
        if ref.name:
            matches = self.by_name.get(supplier_name_key(ref.name), [])
            if len(matches) == 1:
                return matches[0], None
            if matches:
                return None, Problem.of(where, "intake.name_matches_several", name=ref.name, matches=matches)
            return None, Problem.of(where, "intake.no_supplier_named", name=ref.name)
        return None, Problem.of(where, "intake.supplier_not_said")


class _Refusals:
    """Rows of a list the registry refuses, by the item's index in the batch's list: refused
    alone, or refusing the whole file (all or nothing, or no row left)."""

    def __init__(self, report: FileReport) -> None:
        self.report = report
        self.found: dict[int, list[Problem]] = {}
        # rows that are no item of their own (a row adding a contact) refused with an item's
        self.rows: dict[int, tuple[str, list[Problem]]] = {}

    def where(self, index: int, fallback: str) -> str:
        """The row of item ``index`` as a person finds it."""
        locations = self.report.batch.item_locations if self.report.batch else []
        return locations[index] if index < len(locations) else fallback

    def refuse(self, index: int, problem: Problem) -> None:
        self.found.setdefault(index, []).append(problem)

    def refuse_row(self, row: int, location: str, problem: Problem) -> None:
        """Refuse a row that is no item (``row`` from 0 in the list's table)."""
        self.rows.setdefault(row, (location, []))[1].append(problem)

    def settle(self, whole_lists: bool) -> list[Problem]:
        """The problems that refuse the file (none when its refused rows go apart)."""
        batch = self.report.batch
        if not self.found or batch is None:
            return []
        rows = [
            RefusedRow(row=batch.item_rows[i], location=self.where(i, batch.source_name), problems=found)
            for i, found in sorted(self.found.items())
            if i < len(batch.item_rows)
        ]
        others = [RefusedRow(row=row, location=at, problems=found) for row, (at, found) in self.rows.items()]
        if whole_lists or len(rows) < len(self.found) or len(self.found) >= len(batch.item_rows):
            earlier = [p for row in self.report.refused for p in row.problems]
            return [
                *earlier,
                *(p for found in self.found.values() for p in found),
                *(p for r in others for p in r.problems),
            ]
        self.report.refused = sorted([*self.report.refused, *rows, *others], key=lambda r: r.row)
        return []


_EMPTY: dict[int, pl.DataFrame] = {}
# The planned submissions and requests carry the time of planning, as their tables do.
_SUBMISSION_PLANNED = {**SUBMISSION_SCHEMA, "imported_at": pl.Datetime("us")}
_REQUEST_PLANNED = {**REQUEST_SCHEMA, "updated_at": pl.Datetime("us")}


def _frame(
    rows: Sequence[Mapping[str, object]] | Mapping[str, Sequence[object]], schema: Mapping[str, Any]
) -> pl.DataFrame:
    """Rows as a frame of ``schema``. Most files fill one or two of a plan's seven tables: an empty
    one is shared (frames are immutable), so that checking 300 files builds 600 frames, not 2,100."""
    if not rows or (isinstance(rows, Mapping) and not any(rows.values())):
        key = id(schema)
        if key not in _EMPTY:
            _EMPTY[key] = pl.DataFrame(schema=schema)
        return _EMPTY[key]
    return pl.DataFrame(rows, schema=schema)


def _plan(
    report: FileReport,
    registry: _SupplierIndex,
    existing_certificates: dict[str, str],
    problems: list[Problem],
    refusals: _Refusals,
    people: _People,
    create_missing: bool = False,
) -> PlannedWrite:
    """The rows one checked file would write, table by table; what cannot be written goes to
    ``problems`` (the file is then refused) or, for a list's row, to ``refusals``, and what the
    buyer should know to its warnings."""
    batch = report.batch
    assert batch is not None
    now = clock.now()
    supplier_rows = _plan_suppliers(report, registry, refusals, people)
    link_rows = _plan_links(report, registry, supplier_rows, refusals, create_missing)
    report.supplier_ids = [s["supplier_id"] for s in supplier_rows]
    certificate_rows = _plan_certificates(report, registry, existing_certificates, refusals)
    request_rows = _plan_requests(report, registry, refusals)
    submission_rows, answer_columns, proposal_rows = _plan_submissions(report, registry, problems)
    report.supplier_ids = sorted(set(report.supplier_ids))
    return PlannedWrite(
        submissions=_frame([{**r, "imported_at": now} for r in submission_rows], _SUBMISSION_PLANNED),
        answers=_frame(answer_columns, ANSWER_SCHEMA),
        suppliers=_frame(supplier_rows, PLANNED_SUPPLIER_SCHEMA),
        links=_frame(link_rows, LINK_SCHEMA).unique(["parent_id", "child_id"], keep="first", maintain_order=True)
        if link_rows
        else _frame([], LINK_SCHEMA),
        certificates=_frame(certificate_rows, CERTIFICATE_SCHEMA),
        requests=_frame([{**r, "updated_at": now} for r in request_rows], _REQUEST_PLANNED),
        proposals=_frame(proposal_rows, PROPOSAL_SCHEMA),
    )


def _plan_suppliers(
    report: FileReport, registry: _SupplierIndex, refusals: _Refusals, people: _People
) -> list[dict[str, object]]:
    """Supplier rows of a supplier list, each with the contacts the list names for it and its
    owner: a corporate number already held by another supplier, or an owner that is no enabled
    buyer-side account, refuses the row, and the rows that add a contact to it with it; a name
    like another supplier's, or an existing ID, is a warning. A contact whose address the
    supplier has already is left as it is (one warning counts them)."""
    batch = report.batch
    assert batch is not None
    owners = {ref.supplier_id: ref for ref in batch.owners}
    contacts: dict[str, list[SupplierContactRow]] = {}
    for contact in batch.contacts:
        contacts.setdefault(contact.contact.supplier_id, []).append(contact)
    rows: list[dict[str, object]] = []
    known = 0
    for index, supplier in enumerate(batch.suppliers):
        where = refusals.where(index, batch.source_name)
        refused = _supplier_refusal(supplier.supplier_id, supplier.corporate_number, where, registry, owners, people)
        if refused is not None:
            refusals.refuse(index, refused)
            own_row = batch.item_rows[index] if index < len(batch.item_rows) else None
            for contact in contacts.get(supplier.supplier_id, []):
                if contact.row != own_row:
                    refusals.refuse_row(
                        contact.row,
                        contact.location,
                        Problem.of(
                            contact.location, "intake.contact_with_refused_supplier", supplier_id=supplier.supplier_id
                        ),
                    )
            continue
        same_name = [s for s in registry.by_name.get(supplier_name_key(supplier.name), []) if s != supplier.supplier_id]
        if same_name:
            report.warnings.append(
                Problem.of(
                    where, "intake.looks_like", supplier_id=supplier.supplier_id, name=supplier.name, others=same_name
                )
            )
        if supplier.supplier_id in registry.by_id:
            report.warnings.append(Problem.of(where, "intake.supplier_updated", supplier_id=supplier.supplier_id))
        named = contacts.get(supplier.supplier_id, [])
        new = [c.contact for c in named if not people.known(c)]
        known += len(named) - len(new)
        owner = owners.get(supplier.supplier_id)
        rows.append(
            {
                **supplier.model_dump(),
                "name_key": supplier_name_key(supplier.name),
                "owner_id": people.owner(owner.owner) if owner else None,
                "contacts": [{"name": c.name, "email": c.email, "language": c.language} for c in new],
            }
        )
    if known:
        report.warnings.append(Problem.of(report.name, "intake.contacts_known", count=known))
    return rows


def _supplier_refusal(
    supplier_id: str,
    corporate_number: str | None,
    where: str,
    registry: _SupplierIndex,
    owners: Mapping[str, SupplierOwnerRef],
    people: _People,
) -> Problem | None:
    """Why the registry refuses a supplier row of a list: its corporate number is another
    supplier's, or its owner (at the owner's cell) is no enabled buyer-side account."""
    number_owner = registry.by_number.get(corporate_number or "")
    if number_owner and number_owner != supplier_id:
        return Problem.of(
            where, "intake.number_taken", supplier_id=supplier_id, number=corporate_number, owner=number_owner
        )
    owner = owners.get(supplier_id)
    if owner is not None and people.owner(owner.owner) is None:
        return Problem.of(owner.location, "intake.owner_unknown", owner=owner.owner, supplier_id=supplier_id)
    return None


def _placeholder_supplier(supplier_id: str) -> dict[str, object]:
    name = f"(仮) {supplier_id}"
    return {
        "supplier_id": supplier_id,
        "name": name,
        "corporate_number": None,
        "industry": None,
        "employees": None,
        "prefecture": None,
        "has_security_staff": None,
        "name_key": supplier_name_key(name),
    }


def _plan_links(
    report: FileReport,
    registry: _SupplierIndex,
    supplier_rows: list[dict[str, object]],
    refusals: _Refusals,
    create_missing: bool,
) -> list[dict[str, object]]:
    """Link rows; an end that is no supplier (in the registry or this file) refuses the link, or
    becomes a placeholder supplier (added to ``supplier_rows``) when asked."""
    batch = report.batch
    assert batch is not None
    pending = _SupplierIndex(
        pl.DataFrame(supplier_rows, schema=SUPPLIER_SCHEMA) if supplier_rows else _empty_suppliers()
    )
    rows: list[dict[str, object]] = []
    for index, link in enumerate(batch.links):
        where = refusals.where(index, batch.source_name)
        missing = [
            end
            for end in (link.parent_id, link.child_id)
            if end != BUYER_ID and end not in registry.by_id and end not in pending.by_id
        ]
        if missing and not create_missing:
            for end in missing:
                refusals.refuse(
                    index,
                    Problem.of(where, "intake.link_end_unknown", parent=link.parent_id, child=link.child_id, end=end),
                )
            continue
        for end in missing:
            row = _placeholder_supplier(end)
            supplier_rows.append(row)
            pending.add(pl.DataFrame([row], schema=SUPPLIER_SCHEMA))
            report.warnings.append(
                Problem.of(where, "intake.placeholder_created", parent=link.parent_id, child=link.child_id, end=end)
            )
        rows.append(link.model_dump())
    return rows


def _plan_certificates(
    report: FileReport, registry: _SupplierIndex, existing_certificates: dict[str, str], refusals: _Refusals
) -> list[dict[str, object]]:
    """Certificate rows of a certificate list, each for a supplier the registry knows; a
    registration number recorded for another supplier refuses the row."""
    batch = report.batch
    assert batch is not None
    rows: list[dict[str, object]] = []
    for index, (certificate, ref) in enumerate(zip(batch.certificates, batch.certificate_suppliers, strict=True)):
        supplier_id, why = registry.resolve(ref)
        if supplier_id is None:
            refusals.refuse(index, _placed(why, batch.source_name))
            continue
        owner = existing_certificates.get(certificate.registration_no or "")
        if owner and owner != supplier_id:
            refusals.refuse(
                index,
                Problem.of(
                    ref.location or batch.source_name,
                    "intake.registration_taken",
                    number=certificate.registration_no,
                    owner=owner,
                ),
            )
            continue
        rows.append({**certificate.model_dump(), "supplier_id": supplier_id})
        report.supplier_ids.append(supplier_id)
    return rows


def _plan_requests(report: FileReport, registry: _SupplierIndex, refusals: _Refusals) -> list[dict[str, object]]:
    """★ request rows of a request list, each for a supplier the registry knows."""
    batch = report.batch
    assert batch is not None
    rows: list[dict[str, object]] = []
    for index, (request, ref) in enumerate(zip(batch.requests, batch.request_suppliers, strict=True)):
        supplier_id, why = registry.resolve(ref)
        if supplier_id is None:
            refusals.refuse(index, _placed(why, batch.source_name))
            continue
        rows.append(
            {**request.model_dump(), "supplier_id": supplier_id, "recommended_level": request.recommended_level}
        )
        report.supplier_ids.append(supplier_id)
    return rows


def _plan_yearly_checks(
    report: FileReport, registry: _SupplierIndex, star4s: dict[str, tuple[str, str, date]], refusals: _Refusals
) -> pl.DataFrame:
    """★4 yearly self-assessments submitted to the evaluation body, each matched to the supplier's
    confirmed ★4 by its registration number; a number that is no ★4 of that supplier, or a date
    in the future or before the ★4's issue, refuses the row."""
    batch = report.batch
    assert batch is not None
    rows: list[dict[str, object]] = []
    for index, (check, ref) in enumerate(zip(batch.yearly_checks, batch.yearly_check_suppliers, strict=True)):
        supplier_id, why = registry.resolve(ref)
        if supplier_id is None:
            refusals.refuse(index, _placed(why, check.location))
            continue
        found = star4s.get(check.registration_no)
        if found is None or found[1] != supplier_id:
            refusals.refuse(
                index,
                Problem.of(check.location, "intake.not_a_star4", number=check.registration_no, supplier_id=supplier_id),
            )
            continue
        certificate_id, _, issued_on = found
        if check.submitted_on > clock.today() or check.submitted_on < issued_on:
            refusals.refuse(
                index,
                Problem.of(
                    check.location,
                    "intake.yearly_date_range",
                    submitted_on=check.submitted_on.isoformat(),
                    issued_on=issued_on.isoformat(),
                    today=clock.today().isoformat(),
                ),
            )
            continue
        rows.append(
            {
                "certificate_id": certificate_id,
                "supplier_id": supplier_id,
                "submitted_on": check.submitted_on,
                "via": "list",
            }
        )
        report.supplier_ids.append(supplier_id)
    report.supplier_ids = sorted(set(report.supplier_ids))
    return _frame(rows, YEARLY_CHECK_SCHEMA)


def _plan_submissions(
    report: FileReport, registry: _SupplierIndex, problems: list[Problem]
) -> tuple[list[dict[str, object]], dict[str, list[object]], list[dict[str, object]]]:
    """Submission rows, their answers as columns (tied by ``local_index``) and the
    subcontractors they declare as proposals."""
    batch = report.batch
    assert batch is not None
    submission_rows: list[dict[str, object]] = []
    answer_columns: dict[str, list[object]] = {c: [] for c in ANSWER_SCHEMA}
    proposal_rows: list[dict[str, object]] = []
    for index, submission in enumerate(batch.submissions):
        supplier_id, why = registry.resolve(submission.supplier)
        if supplier_id is None:
            problems.append(_placed(why, batch.source_name))
            continue
        report.supplier_ids.append(supplier_id)
        submission_rows.append(
            {
                "local_index": index,
                "supplier_id": supplier_id,
                "framework_id": submission.framework_id,
                "framework_version": submission.framework_version,
                "catalogue_version": submission.catalogue_version,
                "submitted_on": submission.submitted_on,
                "source_name": batch.source_name,
                "sha256": batch.sha256,
                "format": report.format,
                "level": submission.level,
                "score": submission.score,
                "band": submission.band,
            }
        )
        answer_columns["local_index"].extend([index] * len(submission.answers))
        for column in ANSWER_FIELDS:
            answer_columns[column].extend([getattr(a, column) for a in submission.answers])
        proposal_rows += _proposals(submission.subcontractors, supplier_id, registry, batch.source_name)
        if submission.subcontractors:
            report.warnings.append(
                Problem.of(batch.source_name, "intake.subcontractors_proposed", count=len(submission.subcontractors))
            )
    return submission_rows, answer_columns, proposal_rows


def _proposals(
    declared: Sequence[DeclaredSubcontractor], supplier_id: str, registry: _SupplierIndex, source_name: str
) -> list[dict[str, object]]:
    """Declared subcontractors as proposals a buyer confirms, merges or rejects: a file never
    writes a shared supplier row or a link for them (docs/security.md). Each is matched to a
    known supplier by corporate number, then by name, where one matches."""
    rows: list[dict[str, object]] = []
    for sub in declared:
        match, _ = (
            registry.resolve(SupplierRef(corporate_number=sub.corporate_number)) if sub.corporate_number else (None, "")
        )
        if match is None:
            match, _ = registry.resolve(SupplierRef(name=sub.name))
        if match == supplier_id:
            continue
        rows.append(
            {
                "proposed_by": supplier_id,
                "name": sub.name,
                "corporate_number": sub.corporate_number,
                "supplied": sub.supplied,
                "critical": bool(sub.critical),
                "source_name": source_name,
                "location": sub.location,
                "child_id": match,
            }
        )
    return rows


def _placed(problem: Problem | None, fallback: str) -> Problem:
    """A resolution problem at its reference's place, or at ``fallback`` when it names none."""
    assert problem is not None
    return problem if problem.location else problem.model_copy(update={"location": fallback})


def _empty_suppliers() -> pl.DataFrame:
    return pl.DataFrame(schema=SUPPLIER_SCHEMA)


# -- committing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PortalQuota:
    """What one portal invitation may leave in the registry (docs/security.md): the rejected files
    kept for the buyer to look at, and the files imported. Beyond the first two, a rejected file is
    recorded with its reasons but its bytes are not kept; beyond the last, a file is refused."""

    kept_rejected_files: int = 20
    kept_rejected_bytes: int = 20_000_000
    imported_bytes: int = 200_000_000


PORTAL_QUOTA = PortalQuota()


def _portal_session(actor: Actor) -> str | None:
    """The key a supplier's uploads are counted under (its portal link, or its account); None
    for the buyer's side, which has no quota."""
    if actor.role != "supplier" or actor.credential is None:
        return None
    return f"{actor.via}:{actor.credential}"


def _limit_imported(store: Store, reports: list[FileReport], session: str | None, quota: PortalQuota) -> None:
    """Refuse the files that would bring a supplier's session over its imported bytes."""
    if session is None:
        return
    _, _, imported = submissions.invitation_usage(store, session)
    for report in reports:
        if report.status != "ready":
            continue
        if imported + report.size_bytes > quota.imported_bytes:
            report.reject([Problem.of(report.name, "intake.portal_quota", mb=quota.imported_bytes // 1_000_000)])
        else:
            imported += report.size_bytes


def _limit_kept(store: Store, rejected: list[FileReport], session: str | None, quota: PortalQuota) -> None:
    """Keep the bytes of a supplier's rejected files only within its quota; beyond it a rejected
    file is recorded with its reasons alone. Called right before rejected files are written."""
    if session is None:
        return
    files, kept_bytes, _ = submissions.invitation_usage(store, session)
    for report in rejected:
        if report.data is None:
            continue
        if files + 1 > quota.kept_rejected_files or kept_bytes + report.size_bytes > quota.kept_rejected_bytes:
            report.data = None
        else:
            files, kept_bytes = files + 1, kept_bytes + report.size_bytes


def commit(
    store: Store,
    reports: list[FileReport],
    *,
    mode: Mode,
    actor: Actor,
    today: date,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[FileReport]:
    """Write the ready files and record every file in the history; returns the final reports.

    ``today`` is the submission date for files that carry none.
    """
    batch_id = uuid.uuid4().hex
    session = _portal_session(actor)
    _limit_imported(store, reports, session, PORTAL_QUOTA)
    ready = [r for r in reports if r.status == "ready"]
    if mode == "batch" and len(ready) != len([r for r in reports if r.status != "duplicate"]):
        for r in ready:
            r.reject([Problem.of(r.name, "intake.held_back")])
        ready = []
    if actor.role == "supplier":  # what a supplier sends is about itself, whatever a file says
        for r in reports:
            if r.status == "rejected":
                r.supplier_ids = [str(actor.supplier_id)]
    if mode == "batch":
        rejected = [r for r in reports if r.status == "rejected"]
        _limit_kept(store, rejected, session, PORTAL_QUOTA)
        try:
            write_import(store, ready, rejected, batch_id=batch_id, actor=actor, today=today)
        except MonosashiError as exc:  # nothing of the batch was written: record why, and every file
            for r in ready:
                r.reject([_refusal(r.name, exc, actor)])
            _limit_kept(store, ready, session, PORTAL_QUOTA)
            write_import(store, [], [*rejected, *ready], batch_id=batch_id, actor=actor, today=today)
        else:
            _written(ready)
    else:
        _write_each(store, reports, batch_id, actor, today, session, progress)
    if progress:
        progress(len(reports), len(reports), "")
    imported = [r for r in reports if r.status == "imported"]
    touched = sorted({s for r in imported for s in r.supplier_ids})
    if touched:  # the imported suppliers' flags follow their new evidence at once
        try:
            # the system derives them, whoever imported (a supplier may not touch flags itself)
            flags.refresh(store, today, suppliers=touched, actor=Actor.system("derive", on_behalf_of=actor))
        except Exception as exc:  # the files are written: a failed derivation must not say otherwise
            _defer_flags(imported, exc)
    return reports


@_one_opening
def commit_and_compare(
    store: Store,
    reports: list[FileReport],
    *,
    mode: Mode,
    actor: Actor,
    today: date,
    lang: str,
    progress: Callable[[int, int, str], None] | None = None,
) -> tuple[list[FileReport], pl.DataFrame]:
    """:func:`commit`, with where the touched suppliers stood before and after (:func:`changes`):
    what the Import page and ``monosashi import`` both show once the files are written."""
    before = standing(store, today, touched(reports))
    done = commit(store, reports, mode=mode, actor=actor, today=today, progress=progress)
    return done, changes(before, standing(store, today, touched(done)), done, lang)


def _refusal(location: str, exc: MonosashiError, actor: Actor) -> Problem:
    """Why a write was refused, as the person who tried may read it (a supplier is not told about
    other suppliers' records)."""
    if actor.role == "supplier" and isinstance(exc, AccessDenied):
        return Problem.of(location, "intake.not_written", reason_key="intake.not_yours")
    params = {name: message_value(value) for name, value in exc.params.items()}
    return Problem.of(location, "intake.not_written", reason_key=exc.key, **params)


def _write_each(
    store: Store,
    reports: list[FileReport],
    batch_id: str,
    actor: Actor,
    today: date,
    session: str | None,
    progress: Callable[[int, int, str], None] | None,
) -> None:
    """Per-file semantics at batch speed: every file was checked before any write, so the files
    that passed go in together (one statement per table); only when the registry refuses that
    write are the files written one at a time, so that one file's refusal never loses another."""
    ready = [r for r in reports if r.status == "ready"]
    rejected = [r for r in reports if r.status == "rejected"]
    if progress:
        progress(0, len(reports), reports[0].name if reports else "")
    _limit_kept(store, rejected, session, PORTAL_QUOTA)
    try:
        write_import(store, ready, rejected, batch_id=batch_id, actor=actor, today=today)
    except MonosashiError:
        pass
    else:
        _written(ready)
        return
    with store.held_open():
        for index, report in enumerate(reports):
            if progress:
                progress(index, len(reports), report.name)
            if report.status == "ready":
                _write_one(store, report, batch_id, actor, today, session)
            elif report.status == "rejected":
                write_import(store, [], [report], batch_id=batch_id, actor=actor, today=today)


def _written(ready: list[FileReport]) -> None:
    """The ready files a write went through are imported (a file another session imported
    meanwhile stays a duplicate)."""
    for report in ready:
        if report.status == "ready":
            report.status = "imported"


def _write_one(store: Store, report: FileReport, batch_id: str, actor: Actor, today: date, session: str | None) -> None:
    """Write one ready file; when the registry refuses it (a registration number of another
    supplier, a write the role may not make), record it as rejected, saying why, and go on."""
    try:
        write_import(store, [report], [], batch_id=batch_id, actor=actor, today=today)
    except MonosashiError as exc:
        report.reject([_refusal(report.name, exc, actor)])
        if actor.role == "supplier":
            report.supplier_ids = [str(actor.supplier_id)]
        _limit_kept(store, [report], session, PORTAL_QUOTA)
        write_import(store, [], [report], batch_id=batch_id, actor=actor, today=today)
    else:
        _written([report])


def _defer_flags(imported: list[FileReport], exc: Exception) -> None:
    """The import is committed but the flags after it failed: say so on every imported file (the
    CLI prints the warning, the Import page shows it) instead of reporting a failed import."""
    warning = Problem.of("flags", "intake.flags_deferred", error=type(exc).__name__)
    for report in imported:
        report.warnings.append(warning)
        report.flags_deferred = True


def sources_from_uploads(uploads: Iterable[tuple[str, bytes]], limits: Limits) -> list[FileReport | SourceFile]:
    """Uploaded files (name, bytes) as sources, zips expanded; over-size files refused unread."""
    out: list[FileReport | SourceFile] = []
    for name, data in uploads:
        if len(data) > limits.max_file_bytes:
            out.append(
                FileReport(
                    name=name,
                    sha256=hashlib.sha256(data).hexdigest(),
                    size_bytes=len(data),
                    status="rejected",
                    errors=[
                        Problem.of(
                            name, "intake.file_too_large", size=f"{len(data):,}", limit=f"{limits.max_file_bytes:,}"
                        )
                    ],
                )
            )
            continue
        out.extend(expand(SourceFile(name=name, data=data), limits))
    return out


def preview(report: FileReport, rows: int = 20) -> pl.DataFrame:
    """The first answers (or list rows) a file holds, for a person to check before importing."""
    if report.batch is None:
        return pl.DataFrame()
    if report.batch.submissions:
        return pl.DataFrame(
            [
                {"item_id": a.item_id, "raw_answer": a.raw_answer, "status": a.status, "location": a.location}
                for s in report.batch.submissions
                for a in s.answers[:rows]
            ]
        ).head(rows)
    if report.batch.suppliers:
        return pl.DataFrame([s.model_dump() for s in report.batch.suppliers[:rows]])
    if report.batch.links:
        return pl.DataFrame([link.model_dump() for link in report.batch.links[:rows]])
    if report.batch.certificates:
        return pl.DataFrame([c.model_dump() for c in report.batch.certificates[:rows]]).drop("supplier_id")
    return pl.DataFrame()


def summary_frame(reports: list[FileReport]) -> pl.DataFrame:
    """One row per file: what was recognised and what will happen (or happened)."""
    return pl.DataFrame(
        {
            "file": [r.name for r in reports],
            "status": [r.status for r in reports],
            "format": [r.format for r in reports],
            "supplier_ids": [", ".join(r.supplier_ids) for r in reports],
            "framework": [r.framework for r in reports],
            "catalogue_version": [r.catalogue_version for r in reports],
            "answers": [r.answers for r in reports],
            # a list's good rows, and those refused on their own
            "rows": [r.rows for r in reports],
            "refused": [len(r.refused) for r in reports],
            # an IPA 自社診断's total (out of 100), shown before the file is written
            "self_check_score": [
                next((s.score for s in r.batch.submissions if s.score is not None), None) if r.batch else None
                for r in reports
            ],
            "warnings": [len(r.warnings) for r in reports],
            "errors": [len(r.errors) for r in reports],
        },
        schema_overrides={
            "format": pl.String,
            "framework": pl.String,
            "catalogue_version": pl.String,
            "self_check_score": pl.Int32,
        },
    )


# -- what an import changed, and what it refused -------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """Readiness and the flags that hold, of the suppliers some files touch, at one moment."""

    readiness: pl.DataFrame  # supplier_id, star3, star4, name
    flags: pl.DataFrame  # flag_id, supplier_id, kind, severity, reason, reason_en


def standing(store: Store, today: date, supplier_ids: Iterable[str]) -> Standing:
    """Where these suppliers stand on ``today``: taken before an import, and again after it."""
    ids = sorted(set(supplier_ids))
    named = suppliers.suppliers_matching(store, ids=ids, corporate_numbers=[], name_keys=[]).select(
        "supplier_id", "name"
    )
    readiness = (
        yardstick.readiness_of(store, today, named["supplier_id"].to_list())
        .select("supplier_id", "star3", "star4")
        .join(named, on="supplier_id")
        if not named.is_empty()
        else pl.DataFrame(
            schema={"supplier_id": pl.String, "star3": pl.Float64, "star4": pl.Float64, "name": pl.String}
        )
    )
    return Standing(readiness=readiness, flags=stored_flags.held_flags_of(store, ids))


def may_import_again(report: FileReport, supplier_id: str | None) -> bool:
    """Whether a person may choose to import a file seen before again: it went to other
    suppliers and this time one was chosen that it did not go to."""
    return (
        report.status == "duplicate"
        and bool(report.previous_suppliers)
        and supplier_id is not None
        and supplier_id not in report.previous_suppliers
    )


def touched(reports: Iterable[FileReport]) -> list[str]:
    """The suppliers the ready (or imported) files write about."""
    return sorted({s for r in reports if r.status in ("ready", "imported") for s in r.supplier_ids})


def changes(before: Standing, after: Standing, reports: Iterable[FileReport], lang: str) -> pl.DataFrame:
    """Per supplier an import touched: its name, ★3 and ★4 readiness before → after, and the
    flags it raised (count and reasons in ``lang``), the suppliers with new flags first."""
    imported = [r for r in reports if r.status == "imported"]
    ids = touched(imported)
    reason = "reason" if lang == "ja" else "reason_en"
    new_flags = (
        after.flags.join(before.flags.select("flag_id"), on="flag_id", how="anti")
        .group_by("supplier_id")
        .agg(new_flags=pl.len().cast(pl.Int64), new_flag_reasons=pl.col(reason).sort())
    )
    frame = (
        pl.DataFrame({"supplier_id": ids}, schema={"supplier_id": pl.String})
        .join(after.readiness.select("supplier_id", "name"), on="supplier_id", how="left")
        .join(
            before.readiness.select("supplier_id", star3_before="star3", star4_before="star4"),
            on="supplier_id",
            how="left",
        )
        .join(
            after.readiness.select("supplier_id", star3_after="star3", star4_after="star4"),
            on="supplier_id",
            how="left",
        )
        .join(new_flags, on="supplier_id", how="left")
        .with_columns(pl.col("new_flags").fill_null(0))
    )
    return frame.sort(["new_flags", "supplier_id"], descending=[True, False])


def hands_back_refused_rows(report: FileReport) -> bool:
    """Whether a list's refused rows can be handed back as a file: there are some, and the
    file's bytes are at hand to read them from."""
    return bool(report.refused) and report.data is not None and (report.format or "") in LIST_SPECS


def refused_rows_name(report: FileReport) -> str:
    """The name the refused rows of ``report`` are handed back under (``取引先-refused.csv``)."""
    return f"{Path(report.name).stem}-refused.csv"


def refused_rows_csv(report: FileReport, lang: str) -> bytes | None:
    """A list's refused rows as they were in the file, with a last column saying why, to correct
    and send again (CSV in UTF-8 with a BOM for Excel, neutralised); None when there are none or
    the file's bytes are not at hand (:func:`hands_back_refused_rows`)."""
    if not hands_back_refused_rows(report):
        return None
    spec = LIST_SPECS[report.format or ""]
    table = refused_rows_table(
        spec, SourceFile(report.name, report.data), ImportContext(), [r.row for r in report.refused]
    )
    header, *rows = table.rows
    width = max([len(header), *(len(row) for row in rows)])
    names: list[str] = []
    for index in range(width):
        name = (header[index] if index < len(header) else None) or f"column {index + 1}"
        while name in names:
            name += "_"
        names.append(name)
    reasons = ["; ".join(p.said(lang) for p in row.problems) for row in sorted(report.refused, key=lambda r: r.row)]
    frame = pl.DataFrame(
        {
            **{name: [row[i] if i < len(row) else None for row in rows] for i, name in enumerate(names)},
            render("intake.refused_reason_header", lang): reasons,
        },
        schema_overrides=dict.fromkeys(names, pl.String),
    )
    return exports.to_csv(frame)


def validation_said(exc: ValidationError, lang: str) -> str:
    """A form's or file's validation errors in ``lang``, each naming its field."""
    return "; ".join(p.said(lang) for p in validation_problems(exc, lambda _field: ""))


def problems_as_json(recorded: str | None, lang: str) -> list[dict[str, object]]:
    """Problems recorded in the import history (JSON) in the ``--json`` shape, said in ``lang``."""
    return [Problem.model_validate(item).as_json(lang) for item in json.loads(recorded or "[]")]


def problems_said(recorded: str | None, lang: str) -> str:
    """Problems recorded in the import history (JSON) as lines ``place: message`` in ``lang``."""
    if not recorded:
        return ""
    return "\n".join(Problem.model_validate(item).text(lang) for item in json.loads(recorded))


# Every format intake reads, by name (the importers in importers/__init__.py, most specific first).
FORMAT_NAMES = tuple(importer.NAME for importer in IMPORTERS)
# What a supplier may send through the portal: its answers, never lists that change other suppliers.
QUESTIONNAIRE_FORMATS = ("monosashi_template", "scs_self_assessment", "ipa_5min", "checklist_profile")
