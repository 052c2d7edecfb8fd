"""Lists kept in CSV or Excel: supplier master data, supplier links, SECURITY ACTION declarations,
certificates and ★ level requests.

Each list is recognised by its header (Japanese or English column names, in any order). Every
row is validated; a bad row is reported with its line or cell and the whole file is refused.
Duplicates inside the file are caught here; duplicates against the registry are the registry's
check.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import date

from pydantic import ValidationError

from importers.base import (
    ImportBatch,
    ImportContext,
    Problem,
    SourceFile,
    SourceFileError,
    SupplierRef,
    YearlyCheckRow,
    describe_validation,
    header_key,
)
from importers.normalise import parse_bool, parse_date
from importers.tabular import EXCEL_SUFFIXES, TEXT_SUFFIXES, Table, problems_full, read_tables
from registry.domain.models import BUYER_ID, Certificate, LevelRequest, Supplier, SupplierLink, supplier_name_key

__all__ = [
    "CERTIFICATES",
    "LINKS",
    "REQUESTS",
    "SECURITY_ACTION",
    "SUPPLIERS",
    "YEARLY_CHECKS",
    "ListImporter",
    "ListSpec",
    "certificate_list",
    "level_requests",
    "parse_list",
    "security_action",
    "sniff_list",
    "supplier_links",
    "supplier_master",
    "yearly_check_list",
]


class ListSpec:
    """Which header texts name each field of one kind of list."""

    def __init__(
        self, name: str, fields: dict[str, tuple[str, ...]], required: tuple[str, ...], any_of: tuple[str, ...] = ()
    ):
        self.name, self.fields, self.required, self.any_of = name, fields, required, any_of

    def locate(self, table: Table, scan_rows: int = 15) -> tuple[int, dict[str, int]] | None:
        for row0 in range(min(scan_rows, len(table.rows))):
            keys = {k.casefold(): c for k, c in reversed(table.header_keys(row0).items())}
            columns = {}
            for field, names in self.fields.items():
                for name in names:
                    key = header_key(name).casefold()
                    if key in keys:
                        columns[field] = keys[key]
                        break
            if all(f in columns for f in self.required) and (not self.any_of or any(f in columns for f in self.any_of)):
                return row0, columns
        return None


SUPPLIERS = ListSpec(
    "supplier_master",
    {
        "supplier_id": ("取引先ID", "取引先コード", "supplier_id"),
        "name": ("会社名", "取引先名", "事業者名", "name"),
        "corporate_number": ("法人番号", "corporate_number"),
        "industry": ("業種", "industry"),
        "employees": ("従業員数", "employees"),
        "prefecture": ("都道府県", "所在地", "prefecture"),
        "has_security_staff": ("セキュリティ担当者", "has_security_staff"),
        "far_from_it_support": ("IT支援拠点から遠隔", "遠隔地", "far_from_it_support"),
    },
    required=("supplier_id", "name"),
)
LINKS = ListSpec(
    "supplier_links",
    {
        "parent_id": ("親取引先ID", "発注元ID", "parent_id"),
        "child_id": ("子取引先ID", "取引先ID", "child_id"),
        "supplied": ("供給品目", "供給品目・業務", "supplied"),
        "critical": ("重要", "critical"),
    },
    required=("parent_id", "child_id"),
)
SECURITY_ACTION = ListSpec(
    "security_action",
    {
        "supplier_id": ("取引先ID", "supplier_id"),
        "corporate_number": ("法人番号", "corporate_number"),
        "name": ("事業者名", "会社名", "name"),
        "star": ("宣言", "宣言区分", "段階", "star"),
        "declaration_id": ("自己宣言ID", "宣言ID", "declaration_id"),
        "declared_on": ("宣言日", "declared_on"),
    },
    required=("star", "declaration_id", "declared_on"),
    any_of=("supplier_id", "corporate_number", "name"),
)
CERTIFICATES = ListSpec(
    "certificate_list",
    {
        "supplier_id": ("取引先ID", "supplier_id"),
        "corporate_number": ("法人番号", "corporate_number"),
        "name": ("事業者名", "会社名", "name"),
        "scheme": ("制度", "認証制度", "scheme"),
        "scheme_name": ("制度名", "scheme_name"),
        "registration_no": ("登録番号", "認証番号", "registration_no"),
        "issued_on": ("発行日", "登録日", "認証日", "issued_on"),
        "expires_on": ("有効期限", "expires_on"),
        "issuer": ("発行者", "認証機関", "issuer"),
        "scope": ("適用範囲", "scope"),
        "expert_registration_no": ("確認した専門家の登録番号", "支援士登録番号", "expert_registration_no"),
        "evaluation_body": ("評価機関", "evaluation_body"),
    },
    required=("scheme", "issued_on"),
    any_of=("supplier_id", "corporate_number", "name"),
)
YEARLY_CHECKS = ListSpec(
    "yearly_check_list",
    {
        "supplier_id": ("取引先ID", "supplier_id"),
        "corporate_number": ("法人番号", "corporate_number"),
        "name": ("事業者名", "会社名", "name"),
        "registration_no": ("★4登録番号", "登録番号", "registration_no"),
        "submitted_on": ("評価機関への提出日", "年次自己評価の提出日", "提出日", "submitted_on"),
    },
    required=("registration_no", "submitted_on"),
    any_of=("supplier_id", "corporate_number", "name"),
)
REQUESTS = ListSpec(
    "level_requests",
    {
        "supplier_id": ("取引先ID", "supplier_id"),
        "corporate_number": ("法人番号", "corporate_number"),
        "name": ("事業者名", "会社名", "name"),
        "requested_level": ("要請レベル", "要請する★", "要請★", "requested_level"),
        "requested_on": ("要請日", "requested_on"),
        "due_on": ("期日", "取得期限", "due_on"),
        "holds_confidential_info": ("機密情報を扱う", "holds_confidential_info"),
        "outage_delays_buyer": ("停止で納入が遅れる", "outage_delays_buyer"),
        "reaches_buyer_network": ("社内システムに接続", "reaches_buyer_network"),
        "reason": ("判断理由", "reason"),
        "request_id": ("要請ID", "request_id"),
    },
    required=("requested_level", "requested_on", "due_on"),
    any_of=("supplier_id", "corporate_number", "name"),
)
# How people write scheme names, folded (NFKC, no spaces, case-folded) → our codes.
_SCHEME_WORDS = {
    "scs★3": "scs_star3",
    "★3": "scs_star3",
    "scs3": "scs_star3",
    "scs_star3": "scs_star3",
    "scs★4": "scs_star4",
    "★4": "scs_star4",
    "scs4": "scs_star4",
    "scs_star4": "scs_star4",
    "isms": "iso27001",
    "iso27001": "iso27001",
    "iso/iec27001": "iso27001",
    "pマーク": "pmark",
    "プライバシーマーク": "pmark",
    "privacymark": "pmark",
    "pmark": "pmark",
    "securityaction一つ星": "security_action_star1",
    "一つ星": "security_action_star1",
    "securityaction★1": "security_action_star1",
    "securityaction二つ星": "security_action_star2",
    "二つ星": "security_action_star2",
    "securityaction★2": "security_action_star2",
    "semie187": "semi_e187",
    "e187": "semi_e187",
    "その他": "other",
    "other": "other",
}
# Dates outside this range are typing mistakes, not certificates.
_EARLIEST, _LATEST, _LONGEST_YEARS = date(1990, 1, 1), date(2100, 12, 31), 10

_BUYER_WORDS = {BUYER_ID, "自社", "当社", "buyer", "@buyer", "発注者"}
_STARS = {"一つ星": 1, "★1": 1, "1": 1, "ひとつ星": 1, "二つ星": 2, "★2": 2, "2": 2, "ふたつ星": 2}


def _tables(source: SourceFile, context: ImportContext) -> list[Table]:
    return read_tables(source, context.limits)


def sniff_list(spec: ListSpec, source: SourceFile, context: ImportContext) -> float:
    if source.suffix not in EXCEL_SUFFIXES | TEXT_SUFFIXES:
        return 0.0
    try:
        found = [loc for t in _tables(source, context) if (loc := spec.locate(t))]
    except SourceFileError:
        return 0.0
    # More matching columns, more specific: a declaration list also names suppliers.
    return min(0.79, 0.5 + 0.04 * max(len(cols) for _, cols in found)) if found else 0.0


def _whole_number(text: str, field: str) -> int:
    """A count typed as ``120`` or ``120.0`` (Excel); raises ValueError saying what was expected."""
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if not math.isfinite(number):
        raise ValueError(f"{field}: expected a whole number, found {text!r}")
    return int(number)


def parse_list(spec: ListSpec, source: SourceFile, context: ImportContext) -> ImportBatch:
    tables = _tables(source, context)
    found = next(((t, loc) for t in tables if (loc := spec.locate(t))), None)
    if found is None:
        wanted = ", ".join(spec.fields[f][0] for f in spec.required)
        raise SourceFileError.at(source.name, source.name, f"no header row with the columns {wanted}")
    table, (header_row, columns) = found
    limit = context.limits.max_list_rows
    if len(table.rows) - header_row - 1 > limit:
        raise SourceFileError.at(
            source.name,
            table.where_row(header_row + 1 + limit),
            f"the list has {len(table.rows) - header_row - 1:,} rows under its header; one file may hold at most "
            f"{limit:,}: split it into several files",
        )
    batch = ImportBatch(format=spec.name, source_name=source.name, sha256=source.sha256)
    problems: list[Problem] = []
    filled = 0

    def rows() -> Iterator[tuple[int, dict[str, str | None]]]:
        """The filled rows under the header as field → text, until enough problems are found."""
        nonlocal filled
        for row0 in range(header_row + 1, len(table.rows)):
            row = table.rows[row0]
            if problems_full(problems, table.where_row(row0)):
                return
            if any(v is not None for v in row):
                filled += 1
                yield row0, {f: (row[c] if c < len(row) else None) for f, c in columns.items()}

    handler: dict[str, Callable[..., None]] = {
        "supplier_master": _suppliers,
        "supplier_links": _links,
        "security_action": _declarations,
        "certificate_list": _certificates,
        "level_requests": _requests,
        "yearly_check_list": _yearly_checks,
    }
    handler[spec.name](table, columns, rows(), batch, problems)
    if not filled:
        problems.append(Problem(location=table.where_row(header_row), message="the list has no rows under its header"))
    if problems:
        raise SourceFileError(source.name, problems)
    return batch


def _suppliers(table: Table, columns: dict[str, int], rows, batch: ImportBatch, problems: list[Problem]) -> None:
    by_id: dict[str, int] = {}
    by_number: dict[str, int] = {}
    by_name: dict[str, int] = {}
    for row0, values in rows:
        try:
            if values.get("employees") is not None:
                values["employees"] = _whole_number(values["employees"], "employees (従業員数)")
            for flag in ("has_security_staff", "far_from_it_support"):
                if values.get(flag) is not None:
                    values[flag] = parse_bool(values[flag])
            supplier = Supplier(**values)
        except (ValidationError, ValueError) as exc:
            message = describe_validation(exc) if isinstance(exc, ValidationError) else str(exc)
            problems.append(Problem(location=table.where_row(row0), message=message))
            continue
        if supplier.supplier_id in by_id:
            problems.append(
                Problem(
                    location=table.where(row0, columns["supplier_id"]),
                    message=f"supplier ID {supplier.supplier_id} repeats line/row {by_id[supplier.supplier_id] + 1}",
                )
            )
            continue
        if supplier.corporate_number and supplier.corporate_number in by_number:
            problems.append(
                Problem(
                    location=table.where(row0, columns["corporate_number"]),
                    message=f"corporate number {supplier.corporate_number} repeats row {by_number[supplier.corporate_number] + 1}",
                )
            )
            continue
        key = supplier_name_key(supplier.name)
        if key in by_name:
            batch.warnings.append(
                Problem(
                    location=table.where(row0, columns["name"]),
                    message=f"{supplier.name} looks like the same company as row {by_name[key] + 1}",
                )
            )
        by_id[supplier.supplier_id] = row0
        by_name.setdefault(key, row0)
        if supplier.corporate_number:
            by_number[supplier.corporate_number] = row0
        batch.suppliers.append(supplier)


def _links(table: Table, columns: dict[str, int], rows, batch: ImportBatch, problems: list[Problem]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for row0, values in rows:
        parent = values.get("parent_id") or BUYER_ID
        if parent.casefold() in {w.casefold() for w in _BUYER_WORDS}:
            parent = BUYER_ID
        try:
            critical = parse_bool(values["critical"]) if values.get("critical") is not None else False
            link = SupplierLink(
                parent_id=parent,
                child_id=values.get("child_id") or "",
                supplied=values.get("supplied"),
                source="import",
                critical=critical,
            )
        except (ValidationError, ValueError) as exc:
            message = describe_validation(exc) if isinstance(exc, ValidationError) else str(exc)
            problems.append(Problem(location=table.where_row(row0), message=message))
            continue
        key = (link.parent_id, link.child_id)
        if key in seen:
            batch.warnings.append(
                Problem(
                    location=table.where_row(row0),
                    message=f"link {link.parent_id} → {link.child_id} repeats row {seen[key] + 1}; kept once",
                )
            )
            continue
        seen[key] = row0
        batch.links.append(link)


def _declarations(table: Table, columns: dict[str, int], rows, batch: ImportBatch, problems: list[Problem]) -> None:
    seen: dict[str, int] = {}
    for row0, values in rows:
        star = _STARS.get("".join(str(values.get("star") or "").split()))
        if star is None:
            problems.append(
                Problem(
                    location=table.where(row0, columns["star"]),
                    message=f"expected 一つ星 or 二つ星 (★1/★2), found {values.get('star')!r}",
                )
            )
            continue
        try:
            declared: date = parse_date(values.get("declared_on"))
        except ValueError as exc:
            problems.append(Problem(location=table.where(row0, columns["declared_on"]), message=str(exc)))
            continue
        number = values.get("declaration_id")
        if not number:
            problems.append(
                Problem(
                    location=table.where(row0, columns["declaration_id"]),
                    message="a declaration ID (自己宣言ID) is required",
                )
            )
            continue
        if number in seen:
            problems.append(
                Problem(
                    location=table.where(row0, columns["declaration_id"]),
                    message=f"declaration {number} repeats row {seen[number] + 1}",
                )
            )
            continue
        seen[number] = row0
        ref = SupplierRef(
            supplier_id=values.get("supplier_id"),
            corporate_number=values.get("corporate_number"),
            name=values.get("name"),
            location=table.where_row(row0),
        )
        try:
            certificate = Certificate(
                supplier_id="pending",
                scheme=f"security_action_star{star}",
                registration_no=number,
                issued_on=declared,
                issuer="IPA (SECURITY ACTION self-declaration)",
            )
        except ValidationError as exc:
            problems.append(
                Problem(location=table.where(row0, columns["declaration_id"]), message=describe_validation(exc))
            )
            continue
        batch.certificates.append(certificate)
        batch.certificate_suppliers.append(ref)


class ListImporter:
    """One list kind in the importer shape (NAME, sniff, parse)."""

    def __init__(self, spec: ListSpec) -> None:
        self.spec = spec
        self.NAME = spec.name

    def sniff(self, source: SourceFile, context: ImportContext) -> float:
        return sniff_list(self.spec, source, context)

    def parse(self, source: SourceFile, context: ImportContext) -> ImportBatch:
        return parse_list(self.spec, source, context)


supplier_master = ListImporter(SUPPLIERS)
level_requests = ListImporter(REQUESTS)
certificate_list = ListImporter(CERTIFICATES)
supplier_links = ListImporter(LINKS)
security_action = ListImporter(SECURITY_ACTION)
yearly_check_list = ListImporter(YEARLY_CHECKS)


def _certificates(table: Table, columns: dict[str, int], rows, batch: ImportBatch, problems: list[Problem]) -> None:
    seen: dict[str, int] = {}
    for row0, values in rows:
        word = header_key(values.get("scheme") or "").casefold()
        scheme = _SCHEME_WORDS.get(word)
        if scheme is None:
            problems.append(
                Problem(
                    location=table.where(row0, columns["scheme"]),
                    message=f"unknown scheme {values.get('scheme')!r}: expected SCS★3, SCS★4, ISMS, Pマーク, SECURITY ACTION 一つ星/二つ星, SEMI E187 or その他",
                )
            )
            continue
        try:
            issued = parse_date(values.get("issued_on"))
            expires = parse_date(values["expires_on"]) if values.get("expires_on") else None
        except ValueError as exc:
            problems.append(Problem(location=table.where_row(row0), message=str(exc)))
            continue
        if not _EARLIEST <= issued <= _LATEST or (
            expires and (expires > _LATEST or expires.year - issued.year > _LONGEST_YEARS)
        ):
            problems.append(
                Problem(
                    location=table.where_row(row0),
                    message=f"dates {issued} – {expires} are beyond a sane range for a certificate",
                )
            )
            continue
        number = values.get("registration_no")
        key = f"{scheme}:{number}" if number else ""
        if key and key in seen:
            problems.append(
                Problem(
                    location=table.where(row0, columns["registration_no"]),
                    message=f"registration number {number} repeats row {seen[key] + 1}",
                )
            )
            continue
        if key:
            seen[key] = row0
        ref = SupplierRef(
            supplier_id=values.get("supplier_id"),
            corporate_number=values.get("corporate_number"),
            name=values.get("name"),
            location=table.where_row(row0),
        )
        try:
            certificate = Certificate(
                supplier_id="pending",
                scheme=scheme,
                scheme_name=values.get("scheme_name"),
                registration_no=number,
                issued_on=issued,
                expires_on=expires,
                issuer=values.get("issuer"),
                scope=values.get("scope"),
                expert_registration_no=values.get("expert_registration_no"),
                evaluation_body=values.get("evaluation_body"),
            )
        except ValidationError as exc:
            problems.append(Problem(location=table.where_row(row0), message=describe_validation(exc)))
            continue
        batch.certificates.append(certificate)
        batch.certificate_suppliers.append(ref)


_LEVELS = {"3": 3, "★3": 3, "scs★3": 3, "4": 4, "★4": 4, "scs★4": 4}


def _requests(table: Table, columns: dict[str, int], rows, batch: ImportBatch, problems: list[Problem]) -> None:
    seen: dict[str, int] = {}
    for row0, values in rows:
        level = _LEVELS.get(header_key(str(values.get("requested_level") or "")).casefold())
        if level is None:
            problems.append(
                Problem(
                    location=table.where(row0, columns["requested_level"]),
                    message=f"expected ★3 or ★4, found {values.get('requested_level')!r}",
                )
            )
            continue
        try:
            requested, due = parse_date(values.get("requested_on")), parse_date(values.get("due_on"))
            answers = {
                q: parse_bool(values[q]) if values.get(q) is not None else None
                for q in ("holds_confidential_info", "outage_delays_buyer", "reaches_buyer_network")
            }
        except ValueError as exc:
            problems.append(Problem(location=table.where_row(row0), message=str(exc)))
            continue
        ref = SupplierRef(
            supplier_id=values.get("supplier_id"),
            corporate_number=values.get("corporate_number"),
            name=values.get("name"),
            location=table.where_row(row0),
        )
        request_id = values.get("request_id") or f"REQ-{batch.sha256[:8]}-{row0 + 1}"
        if request_id in seen:
            problems.append(
                Problem(
                    location=table.where_row(row0), message=f"request {request_id} repeats row {seen[request_id] + 1}"
                )
            )
            continue
        seen[request_id] = row0
        try:
            request = LevelRequest(
                request_id=str(request_id),
                supplier_id="pending",
                requested_level=level,
                requested_on=requested,
                due_on=due,
                reason=values.get("reason"),
                **answers,
            )
        except ValidationError as exc:
            problems.append(Problem(location=table.where_row(row0), message=describe_validation(exc)))
            continue
        batch.requests.append(request)
        batch.request_suppliers.append(ref)


def _yearly_checks(table: Table, columns: dict[str, int], rows, batch: ImportBatch, problems: list[Problem]) -> None:
    """★4 yearly self-assessments submitted to the evaluation body: the ★4's registration number
    and the date; the registry finds the certificate (docs/validity.md)."""
    for row0, values in rows:
        number = values.get("registration_no")
        if not number:
            problems.append(
                Problem(
                    location=table.where(row0, columns["registration_no"]),
                    message="the ★4's registration number is empty",
                )
            )
            continue
        try:
            submitted = parse_date(values.get("submitted_on"))
        except ValueError as exc:
            problems.append(Problem(location=table.where(row0, columns["submitted_on"]), message=str(exc)))
            continue
        batch.yearly_checks.append(
            YearlyCheckRow(registration_no=number, submitted_on=submitted, location=table.where_row(row0))
        )
        batch.yearly_check_suppliers.append(
            SupplierRef(
                supplier_id=values.get("supplier_id"),
                corporate_number=values.get("corporate_number"),
                name=values.get("name"),
                location=table.where_row(row0),
            )
        )
