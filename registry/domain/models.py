"""Domain model of the registry: suppliers, their links, answers, certificates and ★ requests.

These pydantic models are the boundary types: importers produce them, the store writes them,
the CLI and JSON exports print them. Text is NFKC-normalised and trimmed on the way in, so
full-width digits and stray spaces from Excel never reach the database; a text that holds a
control character (other than whitespace, which is collapsed) is refused with a message that
names the character and where it is, so that nothing invisible reaches pages and exports.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Literal

import polars as pl
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from questionnaires.policy import SCHEMES

__all__ = [
    "BUYER_ID",
    "Answer",
    "AnswerStatus",
    "Certificate",
    "CertificateScheme",
    "CorporateNumber",
    "EmailAddress",
    "Language",
    "LevelRequest",
    "LinkSource",
    "Model",
    "OptionalText",
    "RequestState",
    "Supplier",
    "SupplierContact",
    "SupplierId",
    "SupplierLink",
    "Text",
    "corporate_number_check_digit",
    "kept_as_is",
    "normalise_corporate_number",
    "normalise_text",
    "refuse_control_characters",
    "registration_key",
    "supplier_name_key",
]

# The buyer is the root of the supply network; it is not a supplier row.
BUYER_ID = "@buyer"

AnswerStatus = Literal["met", "partial", "not_met", "unknown", "not_applicable"]
# The schemes are the validity policy's (one list, in questionnaires/policy.py).
CertificateScheme = Literal[SCHEMES]  # type: ignore[valid-type]
LinkSource = Literal["buyer_list", "declared", "import", "demo"]
# Stored request states; `achieved` and `overdue` follow from the data (registry/requests.py).
RequestState = Literal["draft", "sent", "acknowledged"]


# Invisible characters that only hide or join: dropped (they change nothing a reader sees).
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]")
# Characters that reorder what is shown (a name that reads "exe.xlsx" but is "xlsx.exe"): refused.
_REORDERING = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def normalise_text(value: str) -> str:
    """NFKC (full-width digits and letters to half-width), invisible joiners dropped, trimmed,
    inner whitespace collapsed."""
    if not unicodedata.is_normalized("NFKC", value):
        value = unicodedata.normalize("NFKC", value)
    elif value.isprintable() and "  " not in value and value[:1] != " " and value[-1:] != " ":
        return value  # most cells: no joiner (not printable), nothing to trim or collapse
    return " ".join(_INVISIBLE.sub("", value).split())


def kept_as_is(value: str | None) -> bool:
    """Whether validating ``value`` as a ``Text`` or ``OptionalText`` field would keep it unchanged:
    None, or a non-empty, printable (no control, joining or reordering character), NFKC-normal text
    without spaces at its ends or doubled. A reader may then build its model without validating
    each row (45,900 answers in 300 workbooks), and validate the others."""
    return value is None or (
        value != ""
        and value.isprintable()
        and "  " not in value
        and value[0] != " "
        and value[-1] != " "
        and unicodedata.is_normalized("NFKC", value)
    )


_LEGAL_FORMS = re.compile(r"株式会社|有限会社|合同会社|合資会社|合名会社|\((?:株|有|同)\)")


def registration_key(numbers: pl.Expr) -> pl.Expr:
    """Registration numbers folded for comparison: full-width to half-width, lower case, and only
    letters and digits kept (``ＳＣＳ３‐２４７６９`` and ``scs3-24769.`` are the same number)."""
    return numbers.cast(pl.String).str.normalize("NFKC").str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]", "")


def supplier_name_key(name: str) -> str:
    """A company name folded for duplicate detection: NFKC, legal form (株式会社, (株), ㈱) and spaces removed."""
    return re.sub(r"[\s・]", "", _LEGAL_FORMS.sub("", unicodedata.normalize("NFKC", name))).casefold()


# C0 and C1 control characters; those Python counts as whitespace (tab, line breaks, the
# separators U+001C–U+001F, NEL) are collapsed by normalise_text instead.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def refuse_control_characters(value: object) -> object:
    """Raise ``ValueError`` naming the first control character of a text that is not whitespace
    (``contains a control character (U+0001) at position 4; remove it``), or a character that
    reorders text (bidirectional overrides); other values pass."""
    # A printable text holds neither (both are unprintable): the common case, checked in C.
    if isinstance(value, str) and not value.isprintable():
        reorders = _REORDERING.search(value)
        if reorders:
            raise PydanticCustomError(
                "text.reordering_character",
                "contains a character that reorders text ({code}) at position {position}; remove it",
                {"code": f"U+{ord(reorders.group()):04X}", "position": reorders.start() + 1},
            )
        for found in _CONTROL.finditer(value):
            if not found.group().isspace():
                code = ord(found.group())
                raise PydanticCustomError(
                    "text.control_character",
                    "contains a control character ({code}) at position {position}; remove it",
                    {"code": f"U+{code:04X}", "position": found.start() + 1},
                )
    return value


def _text(value: str) -> str:
    cleaned = normalise_text(value)
    if not cleaned:
        raise PydanticCustomError("text.empty", "must not be empty")
    return cleaned


def _optional_text(value: str | None) -> str | None:
    if value is None:
        return None
    return normalise_text(value) or None


Text = Annotated[str, BeforeValidator(refuse_control_characters), AfterValidator(_text)]
OptionalText = Annotated[str | None, BeforeValidator(refuse_control_characters), AfterValidator(_optional_text)]


def corporate_number_check_digit(base: str) -> int:
    """Check digit of a 法人番号 from its 12-digit base (National Tax Agency rule).

    With P_n the n-th digit counted from the right of the base and Q_n = 1 for odd n, 2 for
    even n: check = 9 - (sum(P_n * Q_n) mod 9).
    """
    if len(base) != 12 or not base.isascii() or not base.isdigit():
        raise ValueError(f"a corporate number base has 12 digits, got {base!r}")
    total = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(base), start=1))
    return 9 - total % 9


def normalise_corporate_number(value: str) -> str:
    """Return the 13-digit 法人番号 or raise ``ValueError`` saying what is wrong.

    Full-width digits, spaces and hyphens are accepted and removed; the first digit must be the
    check digit of the other twelve.
    """
    digits = re.sub(r"[\s\-‐－ー]", "", unicodedata.normalize("NFKC", str(value)))
    if not re.fullmatch(r"\d{13}", digits):
        raise PydanticCustomError(
            "corporate_number.digits", "a corporate number (法人番号) has 13 digits, got {found}", {"found": str(value)}
        )
    expected = corporate_number_check_digit(digits[1:])
    if int(digits[0]) != expected:
        raise PydanticCustomError(
            "corporate_number.check_digit",
            "corporate number {number} fails its check digit (expected {expected}, found {found})",
            {"number": digits, "expected": str(expected), "found": digits[0]},
        )
    return digits


def _corporate_number(value: str | None) -> str | None:
    if value is None or not str(value).strip():
        return None
    return normalise_corporate_number(value)


CorporateNumber = Annotated[str | None, AfterValidator(_corporate_number)]

_EXPERT_NUMBER = re.compile(r"^(?:第)?(\d{6})(?:号)?$")


def _expert_number(value: str | None) -> str | None:
    """A 情報処理安全確保支援士 registration number: six digits (第012345号 and full-width digits
    are accepted and folded to 012345)."""
    if value is None:
        return None
    folded = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", value))
    if not folded:
        return None
    match = _EXPERT_NUMBER.match(folded.removeprefix("登録番号"))
    if match is None:
        raise PydanticCustomError(
            "expert_number.format",
            "{found} is not a 情報処理安全確保支援士 registration number: six digits, like 012345 or 第012345号",
            {"found": value},
        )
    return match.group(1)


SupplierId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _email(value: str) -> str:
    """An e-mail address checked for its form (no lookup: the app works offline), kept in the
    form every mail server takes: an ASCII mailbox, the domain in its ASCII (xn--) form.
    A mailbox in other letters (名前@…) needs SMTPUTF8, which many servers lack: refused."""
    try:
        checked = validate_email(value.strip(), check_deliverability=False, allow_smtputf8=False)
        return checked.ascii_email or checked.normalized
    except EmailNotValidError:
        raise PydanticCustomError("email.invalid", "{found} is not an e-mail address", {"found": value[:80]}) from None


# An address people can write to: one mailbox, no display name, no line break.
EmailAddress = Annotated[str, BeforeValidator(refuse_control_characters), AfterValidator(_email)]
Language = Literal["ja", "en"]


class SupplierContact(Model):
    """A person at a supplier who receives its reminders, in their language."""

    supplier_id: SupplierId
    name: Text
    email: EmailAddress
    language: Language = "ja"
    opted_out: bool = False


class Supplier(Model):
    """A supplier of the buyer, at any tier."""

    supplier_id: SupplierId
    name: Text
    corporate_number: CorporateNumber = None
    industry: OptionalText = None
    employees: int | None = Field(default=None, ge=1, le=1_000_000)
    prefecture: OptionalText = None
    has_security_staff: bool | None = None
    far_from_it_support: bool | None = None  # decides on-site (駆付け) support


class SupplierLink(Model):
    """``parent_id`` supplies to the buyer through ``child_id``'s goods (parent → child)."""

    parent_id: Annotated[str, Field(pattern=r"^(@buyer|[A-Za-z0-9][A-Za-z0-9._\-]{0,63})$")]
    child_id: SupplierId
    supplied: OptionalText = None
    source: LinkSource = "buyer_list"
    critical: bool = False

    @model_validator(mode="after")
    def _not_self(self) -> SupplierLink:
        if self.parent_id == self.child_id:
            raise PydanticCustomError(
                "link.to_itself", "supplier {supplier} cannot be linked to itself", {"supplier": self.child_id}
            )
        return self


class Answer(Model):
    """A supplier's answer to one item, with where it was read from."""

    item_id: Text
    raw_answer: OptionalText = None
    status: AnswerStatus
    reason: OptionalText = None
    evidence: OptionalText = None
    note: OptionalText = None
    location: OptionalText = None


class Certificate(Model):
    """A ★, ISMS, Pマーク, SECURITY ACTION or other certificate a supplier holds."""

    # Made by the registry when the certificate is first saved (CERT-0000001); never taken from
    # a file or a form, so that no input can name, replace or move another supplier's certificate.
    certificate_id: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    supplier_id: SupplierId
    scheme: CertificateScheme
    scheme_name: OptionalText = None
    registration_no: OptionalText = None
    issued_on: date
    expires_on: date | None = None
    issuer: OptionalText = None
    scope: OptionalText = None
    # ★3: the expert who confirmed the self-assessment (情報処理安全確保支援士, registration number);
    # ★4: the evaluation body that evaluated it.
    expert_registration_no: Annotated[
        str | None, BeforeValidator(refuse_control_characters), AfterValidator(_expert_number)
    ] = None
    evaluation_body: OptionalText = None

    @model_validator(mode="after")
    def _dates_and_name(self) -> Certificate:
        if self.expires_on is not None and self.expires_on <= self.issued_on:
            raise PydanticCustomError(
                "certificate.expiry_before_issue",
                "expiry {expires_on} is not after issue {issued_on}",
                {"expires_on": self.expires_on.isoformat(), "issued_on": self.issued_on.isoformat()},
            )
        if self.scheme == "other" and not self.scheme_name:
            raise PydanticCustomError(
                "certificate.other_needs_name", "a certificate of scheme 'other' needs a scheme_name"
            )
        if self.expert_registration_no and self.scheme != "scs_star3":
            raise PydanticCustomError(
                "certificate.expert_only_star3",
                "an expert's registration number belongs to a ★3 (the expert confirms a ★3 self-assessment)",
            )
        if self.evaluation_body and self.scheme != "scs_star4":
            raise PydanticCustomError(
                "certificate.evaluation_body_only_star4",
                "an evaluation body belongs to a ★4 (★4 is evaluated by a third party)",
            )
        return self

    @property
    def star_level(self) -> int | None:
        return {"scs_star3": 3, "scs_star4": 4}.get(self.scheme)


class LevelRequest(Model):
    """The ★ level the buyer asks of a supplier, with the three screening answers."""

    request_id: Annotated[str, Field(min_length=1, max_length=80)]
    supplier_id: SupplierId
    requested_level: Literal[3, 4]
    requested_on: date
    due_on: date
    state: RequestState = "draft"
    holds_confidential_info: bool | None = None
    outage_delays_buyer: bool | None = None
    reaches_buyer_network: bool | None = None
    reason: OptionalText = None
    decided_by: OptionalText = None
    sent_on: date | None = None
    acknowledged_on: date | None = None
    note: OptionalText = None

    @model_validator(mode="after")
    def _due_after_request(self) -> LevelRequest:
        if self.due_on < self.requested_on:
            raise PydanticCustomError(
                "request.due_before_request",
                "due date {due_on} is before the request date {requested_on}",
                {"due_on": self.due_on.isoformat(), "requested_on": self.requested_on.isoformat()},
            )
        recommended = self.recommended_level
        if recommended is not None and self.requested_level != recommended and not self.reason:
            raise PydanticCustomError(
                "request.level_needs_reason",
                "the three questions recommend ★{recommended}; a request for ★{requested} needs a reason",
                {"recommended": recommended, "requested": self.requested_level},
            )
        return self

    @property
    def recommended_level(self) -> int | None:
        """Any yes to the scheme's three questions recommends ★4, all no ★3."""
        answers = (self.holds_confidential_info, self.outage_delays_buyer, self.reaches_buyer_network)
        if any(answers):
            return 4
        if all(a is False for a in answers):
            return 3
        return None
