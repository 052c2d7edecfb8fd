"""Lists kept in CSV or Excel: supplier master data (with the suppliers' contacts and owners),
supplier links, SECURITY ACTION declarations, certificates and ★ level requests.

Each list is recognised by its header (Japanese or English column names, in any order). Every
row is validated; a bad row is refused with its line or cell and reasons, and the good rows are
kept (intake imports them, or refuses the file whole when the person asked for all or nothing).
Duplicates inside the file are caught here; duplicates against the registry are the registry's
check.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from datetime import date

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from importers.base import (
    ImportBatch,
    ImportContext,
    Problem,
    RefusedRow,
    SourceFile,
    SourceFileError,
    SupplierContactRow,
    SupplierOwnerRef,
    SupplierRef,
    YearlyCheckRow,
    header_key,
    message_value,
    problem_from,
    validation_problems,
)
from importers.normalise import parse_bool, parse_date
from importers.tabular import EXCEL_SUFFIXES, TEXT_SUFFIXES, Table, problems_full, read_tables
from registry.domain.models import (
    BUYER_ID,
    Certificate,
    LevelRequest,
    Supplier,
    SupplierContact,
    SupplierLink,
    supplier_name_key,
)

__all__ = [
    "CERTIFICATES",
    "LINKS",
    "LIST_SPECS",
    "REQUESTS",
    "SECURITY_ACTION",
    "SUPPLIERS",
    "YEARLY_CHECKS",
    "ListImporter",
    "ListSpec",
    "certificate_list",
    "level_requests",
    "parse_list",
    "refused_rows_table",
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
        # one contact per row (a supplier with several contacts has several rows), and its owner
        "contact_name": ("担当者名", "連絡先氏名", "連絡先担当者", "contact_name"),
        "contact_email": ("メールアドレス", "メール", "連絡先メール", "email", "e-mail", "contact_email"),
        "contact_language": ("言語", "連絡先言語", "language", "contact_language"),
        "owner": ("社内担当", "社内担当者", "owner", "owner_id"),
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
    """A count typed as ``120`` or ``120.0`` (Excel); raises a keyed ValueError saying what was expected."""
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if not math.isfinite(number):
        raise PydanticCustomError(
            "validation.in_field",
            "{field_label}: expected a whole number, found {found}",
            {"field_label": f"field.{field}", "detail_key": "validation.int_parsing", "found": text},
        )
    return int(number)


def _where_field(table: Table, row0: int, columns: dict[str, int]) -> Callable[[str | None], str]:
    """Where a field's error is: its cell when the list has a column for it, else the row."""

    def where(field: str | None) -> str:
        column = columns.get(field) if field else None
        return table.where_row(row0) if column is None else table.where(row0, column)

    return where


def _line(table: Table, row0: int) -> int:
    """The row number a person sees (the sheet's own row; a text file's line)."""
    return row0 + table.origin[0] + 1


def parse_list(spec: ListSpec, source: SourceFile, context: ImportContext) -> ImportBatch:
    """Read a list: every row checked; a bad row is refused on its own (``refused_rows``, with
    its line and reasons) and the others are kept. The file is refused as a whole when it has no
    list, no good row, or so many problems that checking stopped."""
    tables = _tables(source, context)
    found = next(((t, loc) for t in tables if (loc := spec.locate(t))), None)
    if found is None:
        raise SourceFileError.at(
            source.name, source.name, "list.no_header", columns=[spec.fields[f][0] for f in spec.required]
        )
    table, (header_row, columns) = found
    limit = context.limits.max_list_rows
    if len(table.rows) - header_row - 1 > limit:
        raise SourceFileError.at(
            source.name,
            table.where_row(header_row + 1 + limit),
            "list.too_many_rows",
            rows=len(table.rows) - header_row - 1,
            limit=limit,
        )
    batch = ImportBatch(format=spec.name, source_name=source.name, sha256=source.sha256)
    problems: list[Problem] = []
    by_row: dict[int, list[Problem]] = {}
    stopped = False
    filled = 0

    def items() -> int:
        return (
            len(batch.suppliers)
            + len(batch.links)
            + len(batch.certificates)
            + len(batch.requests)
            + len(batch.yearly_checks)
        )

    def rows() -> Iterator[tuple[int, dict[str, str | None]]]:
        """The filled rows under the header as field → text, until enough problems are found;
        what the handler made of each row (an item, or problems) is noted against the row."""
        nonlocal filled, stopped
        for row0 in range(header_row + 1, len(table.rows)):
            row = table.rows[row0]
            if problems_full(problems, table.where_row(row0)):
                stopped = True
                return
            if any(v is not None for v in row):
                filled += 1
                seen_problems, seen_items = len(problems), items()
                yield row0, {f: (row[c] if c < len(row) else None) for f, c in columns.items()}
                if len(problems) > seen_problems:
                    by_row[row0] = problems[seen_problems:]
                if items() > seen_items:
                    batch.item_rows.append(row0)
                    batch.item_locations.append(table.where_row(row0))

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
        problems.append(Problem.of(table.where_row(header_row), "list.no_rows"))
    if stopped or not batch.item_rows or len(problems) > sum(len(p) for p in by_row.values()):
        # nothing good to keep, checking stopped early, or a problem with the list as a whole
        raise SourceFileError(source.name, problems)
    batch.refused_rows = [
        RefusedRow(row=row0, location=table.where_row(row0), problems=found) for row0, found in by_row.items()
    ]
    return batch


def refused_rows_table(spec: ListSpec, source: SourceFile, context: ImportContext, rows: Iterable[int]) -> Table:
    """The list's header and the given rows (from 0, as :class:`RefusedRow` counts them) as they
    are in the file, for a person to correct and send again."""
    table = next(t for t in _tables(source, context) if spec.locate(t))
    located = spec.locate(table)
    assert located is not None
    header_row, _ = located
    wanted = sorted(set(rows))
    return Table(
        source_name=table.source_name,
        sheet=table.sheet,
        rows=[table.rows[header_row], *(table.rows[r] for r in wanted)],
    )


# The supplier list's columns that describe the supplier itself, and those of its contact
# (each a field of SupplierContact, which the messages name by the list's own column).
_SUPPLIER_FIELDS = tuple(Supplier.model_fields)
_CONTACT_COLUMNS = {"name": "contact_name", "email": "contact_email", "language": "contact_language"}
# How people write a contact's language, folded (NFKC, no spaces, case-folded); empty is Japanese.
_LANGUAGE_WORDS = {
    "日本語": "ja",
    "ja": "ja",
    "jp": "ja",
    "japanese": "ja",
    "英語": "en",
    "en": "en",
    "english": "en",
}


def _suppliers(table: Table, columns: dict[str, int], rows, batch: ImportBatch, problems: list[Problem]) -> None:
    """Suppliers, each row with at most one contact (name, e-mail, language) and the supplier's
    owner on the buyer side.

    A supplier ID is one supplier. A row that repeats an ID is refused (``list.supplier_id_repeats``)
    unless it only adds a contact: it names one, and every supplier column it fills — the owner
    too — says what the supplier's first row says (columns it leaves empty are the first row's),
    so that a supplier with three contacts is three rows. Such a row adds a contact, not a
    supplier (nor an item: it is no row of ``batch.suppliers``); when it disagrees with the first
    row it is refused, naming the cell. A row whose contact is incomplete or wrong is refused
    whole, its supplier too, so that the corrected row brings both. An address named twice for
    one supplier is refused the second time."""
    firsts: dict[str, tuple[int, Supplier, str | None]] = {}  # ID → the first row, its supplier and owner
    by_number: dict[str, int] = {}
    by_name: dict[str, int] = {}
    addresses: dict[tuple[str, str], int] = {}  # (supplier ID, folded address) → the row naming it
    for row0, values in rows:
        where = _where_field(table, row0, columns)
        owner = values.get("owner")
        first = firsts.get((values.get("supplier_id") or "").strip())
        adds_contact = any(values.get(column) is not None for column in _CONTACT_COLUMNS.values())
        try:
            supplier = _supplier(values, first[1] if first and adds_contact else None)
        except ValidationError as exc:
            problems.extend(validation_problems(exc, where))
            continue
        except ValueError as exc:
            problems.append(problem_from(exc, table.where_row(row0)))
            continue
        if first is not None:
            if not adds_contact:
                problems.append(
                    Problem.of(
                        where("supplier_id"),
                        "list.supplier_id_repeats",
                        supplier_id=supplier.supplier_id,
                        first=_line(table, first[0]),
                    )
                )
                continue
            differs = _differs(supplier, owner, first, table, where)
            if differs is not None:
                problems.append(differs)
                continue
        elif supplier.corporate_number and supplier.corporate_number in by_number:
            problems.append(
                Problem.of(
                    where("corporate_number"),
                    "list.corporate_number_repeats",
                    number=supplier.corporate_number,
                    first=_line(table, by_number[supplier.corporate_number]),
                )
            )
            continue
        contact = _contact(supplier.supplier_id, values, where, problems) if adds_contact else None
        if adds_contact and contact is None:
            continue
        if contact is not None:
            address = (supplier.supplier_id, contact.email.casefold())
            if address in addresses:
                problems.append(
                    Problem.of(
                        where("contact_email"),
                        "list.contact_repeats",
                        email=contact.email,
                        supplier_id=supplier.supplier_id,
                        first=_line(table, addresses[address]),
                    )
                )
                continue
        if first is None and owner is not None:
            try:
                owner_ref = SupplierOwnerRef(supplier_id=supplier.supplier_id, owner=owner, location=where("owner"))
            except ValidationError as exc:
                problems.extend(validation_problems(exc, where))
                continue
            batch.owners.append(owner_ref)
        if contact is not None:
            addresses[(supplier.supplier_id, contact.email.casefold())] = row0
            batch.contacts.append(SupplierContactRow(contact=contact, row=row0, location=table.where_row(row0)))
        if first is not None:
            continue  # the row adds a contact to a supplier of an earlier row
        key = supplier_name_key(supplier.name)
        if key in by_name:
            batch.warnings.append(
                Problem.of(
                    where("name"),
                    "list.same_name_as_row",
                    name=supplier.name,
                    first=_line(table, by_name[key]),
                )
            )
        firsts[supplier.supplier_id] = (row0, supplier, owner)
        by_name.setdefault(key, row0)
        if supplier.corporate_number:
            by_number[supplier.corporate_number] = row0
        batch.suppliers.append(supplier)


def _supplier(values: dict[str, str | None], first: Supplier | None) -> Supplier:
    """The supplier a row describes; with ``first`` (a row adding a contact to a supplier of an
    earlier row), the columns the row leaves empty are taken from that row."""
    fields: dict[str, object] = {f: values[f] for f in _SUPPLIER_FIELDS if f in values}
    if fields.get("employees") is not None:
        fields["employees"] = _whole_number(str(fields["employees"]), "employees")
    for flag in ("has_security_staff", "far_from_it_support"):
        if fields.get(flag) is not None:
            fields[flag] = parse_bool(fields[flag])
    if first is not None:
        fields = {**first.model_dump(), **{f: v for f, v in fields.items() if v is not None}}
    return Supplier(**fields)


def _differs(
    supplier: Supplier,
    owner: str | None,
    first: tuple[int, Supplier, str | None],
    table: Table,
    where: Callable[[str | None], str],
) -> Problem | None:
    """Why a row that adds a contact to the supplier of an earlier row cannot: the first column
    (the owner included) where it says otherwise than that row, at its cell; None when it agrees."""
    row0, earlier, earlier_owner = first
    said = [(f, getattr(earlier, f), getattr(supplier, f)) for f in _SUPPLIER_FIELDS]
    if owner is not None:
        said.append(("owner", earlier_owner, owner))
    for field, expected, found in said:
        if field == "owner" and (expected or "").strip().casefold() == found.strip().casefold():
            continue
        if expected != found:
            return Problem.of(
                where(field),
                "list.contact_row_differs",
                supplier_id=supplier.supplier_id,
                first=_line(table, row0),
                field_label=f"field.{field}",
                expected=message_value(expected),
                found=message_value(found),
            )
    return None


def _contact(
    supplier_id: str, values: dict[str, str | None], where: Callable[[str | None], str], problems: list[Problem]
) -> SupplierContact | None:
    """The contact a row names: a name and an e-mail, and a language (日本語 when empty); None,
    with the problems at their cells, when it is incomplete or wrong."""
    name, email, language = (values.get(column) for column in _CONTACT_COLUMNS.values())
    if name is None and email is None:
        problems.append(Problem.of(where("contact_language"), "list.contact_language_alone", found=language))
        return None
    if email is None:
        problems.append(Problem.of(where("contact_email"), "list.contact_email_missing", name=name))
        return None
    if name is None:
        problems.append(Problem.of(where("contact_name"), "list.contact_name_missing", email=email))
        return None
    code = _LANGUAGE_WORDS.get(header_key(language).casefold()) if language is not None else "ja"
    if code is None:
        problems.append(Problem.of(where("contact_language"), "list.contact_language", found=language))
        return None
    try:
        return SupplierContact(supplier_id=supplier_id, name=name, email=email, language=code)
    except ValidationError as exc:
        problems.extend(_contact_problems(exc, where))
        return None


def _contact_problems(exc: ValidationError, where: Callable[[str | None], str]) -> list[Problem]:
    """A contact's validation errors at the cells of the list's contact columns, naming those
    columns (the contact's ``name`` is 担当者名 here, not the supplier's 会社名)."""
    found = []
    for problem in validation_problems(exc, lambda field: where(_CONTACT_COLUMNS.get(field or "", field))):
        label = str(problem.params.get("field_label") or "").removeprefix("field.")
        if label in _CONTACT_COLUMNS:
            problem = problem.model_copy(
                update={"params": {**problem.params, "field_label": f"field.{_CONTACT_COLUMNS[label]}"}}
            )
        found.append(problem)
    return found


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
        except ValidationError as exc:
            problems.extend(validation_problems(exc, _where_field(table, row0, columns)))
            continue
        except ValueError as exc:
            problems.append(problem_from(exc, table.where_row(row0)))
            continue
        key = (link.parent_id, link.child_id)
        if key in seen:
            batch.warnings.append(
                Problem.of(
                    table.where_row(row0),
                    "list.link_repeats",
                    parent=link.parent_id,
                    child=link.child_id,
                    first=_line(table, seen[key]),
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
                Problem.of(table.where(row0, columns["star"]), "list.security_action_star", found=values.get("star"))
            )
            continue
        try:
            declared: date = parse_date(values.get("declared_on"))
        except ValueError as exc:
            problems.append(problem_from(exc, table.where(row0, columns["declared_on"])))
            continue
        number = values.get("declaration_id")
        if not number:
            problems.append(Problem.of(table.where(row0, columns["declaration_id"]), "list.declaration_id_missing"))
            continue
        if number in seen:
            problems.append(
                Problem.of(
                    table.where(row0, columns["declaration_id"]),
                    "list.declaration_repeats",
                    declaration=number,
                    first=_line(table, seen[number]),
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
            at = table.where(row0, columns["declaration_id"])
            problems.extend(validation_problems(exc, lambda _field, at=at: at))
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


# Every kind of list by its format name (intake hands refused rows back through it).
LIST_SPECS = {spec.name: spec for spec in (SUPPLIERS, LINKS, SECURITY_ACTION, CERTIFICATES, YEARLY_CHECKS, REQUESTS)}

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
                Problem.of(table.where(row0, columns["scheme"]), "list.unknown_scheme", found=values.get("scheme"))
            )
            continue
        try:
            issued = parse_date(values.get("issued_on"))
            expires = parse_date(values["expires_on"]) if values.get("expires_on") else None
        except ValueError as exc:
            problems.append(problem_from(exc, table.where_row(row0)))
            continue
        if not _EARLIEST <= issued <= _LATEST or (
            expires and (expires > _LATEST or expires.year - issued.year > _LONGEST_YEARS)
        ):
            problems.append(
                Problem.of(
                    table.where_row(row0),
                    "list.certificate_dates_out_of_range",
                    issued_on=issued.isoformat(),
                    expires_on=expires.isoformat() if expires else None,
                )
            )
            continue
        number = values.get("registration_no")
        key = f"{scheme}:{number}" if number else ""
        if key and key in seen:
            problems.append(
                Problem.of(
                    table.where(row0, columns["registration_no"]),
                    "list.registration_repeats",
                    number=number,
                    first=_line(table, seen[key]),
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
            problems.extend(validation_problems(exc, _where_field(table, row0, columns)))
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
                Problem.of(
                    table.where(row0, columns["requested_level"]),
                    "list.requested_level",
                    found=values.get("requested_level"),
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
            problems.append(problem_from(exc, table.where_row(row0)))
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
                Problem.of(
                    table.where_row(row0),
                    "list.request_repeats",
                    request_id=str(request_id),
                    first=_line(table, seen[request_id]),
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
            problems.extend(validation_problems(exc, _where_field(table, row0, columns)))
            continue
        batch.requests.append(request)
        batch.request_suppliers.append(ref)


def _yearly_checks(table: Table, columns: dict[str, int], rows, batch: ImportBatch, problems: list[Problem]) -> None:
    """★4 yearly self-assessments submitted to the evaluation body: the ★4's registration number
    and the date; the registry finds the certificate (docs/validity.md)."""
    for row0, values in rows:
        number = values.get("registration_no")
        if not number:
            problems.append(Problem.of(table.where(row0, columns["registration_no"]), "list.star4_number_missing"))
            continue
        try:
            submitted = parse_date(values.get("submitted_on"))
        except ValueError as exc:
            problems.append(problem_from(exc, table.where(row0, columns["submitted_on"])))
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
