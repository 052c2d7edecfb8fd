"""JSON from other systems: one document with suppliers, links, certificates and submissions.

The schema is the pydantic model :class:`ExchangeDocument`; ``monosashi schema`` prints it as
JSON Schema and ``docs/schema/exchange.schema.json`` publishes it.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from importers.base import (
    ImportBatch,
    ImportContext,
    MessageValue,
    Problem,
    SourceFile,
    SourceFileError,
    SubmissionPayload,
    SupplierRef,
)
from importers.container import too_large
from importers.tabular import problems_at
from registry.domain.models import Answer, Certificate, Supplier, SupplierLink
from registry.messages import catalogue

__all__ = ["NAME", "ExchangeDocument", "ExchangeSubmission", "parse", "sniff"]

NAME = "json_exchange"


class ExchangeSubmission(BaseModel):
    """A questionnaire answered by one supplier, as another system sends it."""

    model_config = ConfigDict(extra="forbid")

    supplier_id: str
    framework_id: str = Field(description="scs, ipa_5min or profile.<name>")
    framework_version: str
    catalogue_version: str | None = Field(
        default=None, description="SCS catalogue version the answers are given against"
    )
    level: Literal[3, 4] | None = None
    submitted_on: date
    # fail_fast: a list's first bad item is reported, not millions of them (a 20 MB file of {}).
    answers: list[Answer] = Field(fail_fast=True)


class ExchangeDocument(BaseModel):
    """A Monosashi exchange file (``format: monosashi.exchange``, ``version: 1``)."""

    model_config = ConfigDict(extra="forbid", title="Monosashi exchange document")

    format: Literal["monosashi.exchange"]
    version: Literal[1]
    suppliers: list[Supplier] = Field(default_factory=list, fail_fast=True)
    links: list[SupplierLink] = Field(default_factory=list, fail_fast=True)
    certificates: list[Certificate] = Field(default_factory=list, fail_fast=True)
    submissions: list[ExchangeSubmission] = Field(default_factory=list, fail_fast=True)


def sniff(source: SourceFile, context: ImportContext) -> float:
    if source.suffix != "json" and source.data.lstrip()[:1] != b"{":
        return 0.0
    return 0.95 if b'"monosashi.exchange"' in source.data[:4096] else 0.1


# An exchange file's objects have a few keys each; pydantic reports every extra key of an object
# as its own problem, so an object of a million keys is refused before validation.
_MAX_KEYS = 200
_SURROGATE = re.compile("[\ud800-\udfff]")


_Said = tuple[str, dict[str, MessageValue]]


def _odd_node(value: object, text_escapes: bool) -> _Said | None:
    """What is wrong with this one JSON value on its own (a message key and its parameters): too
    many keys, or a lone surrogate (JSON's ``\\ud800`` escapes decode to one; it is not a
    character and cannot be stored)."""
    if isinstance(value, dict):
        if len(value) > _MAX_KEYS:
            return "json.too_many_keys", {"count": f"{len(value):,}"}
        if text_escapes and any(_SURROGATE.search(key) for key in value):
            return "json.surrogate_in_key", {}
    elif text_escapes and isinstance(value, str) and _SURROGATE.search(value):
        return "json.surrogate_in_text", {}
    return None


def _odd_json(raw: object, text_escapes: bool) -> tuple[str, _Said] | None:
    """The path and problem of the first odd value (see :func:`_odd_node`), or None. Walked without
    recursion (the document may be deep) and without paths until something is found (it may be big)."""
    stack = [raw]
    while stack:
        value = stack.pop()
        if _odd_node(value, text_escapes):
            break
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    else:
        return None
    paths: list[tuple[str, object]] = [("", raw)]  # found: walk again, this time keeping the way there
    while paths:
        path, value = paths.pop()
        problem = _odd_node(value, text_escapes)
        if problem:
            return path or "(document)", problem
        if isinstance(value, dict):
            paths.extend((f"{path}/{key}".lstrip("/"), item) for key, item in value.items())
        elif isinstance(value, list):
            paths.extend((f"{path}/{i}".lstrip("/"), item) for i, item in enumerate(value))
    return None  # pragma: no cover - the first walk found it


# What Python's JSON parser says is wrong (its only error type carries English text), as keys.
_SYNTAX = (
    ("Expecting value", "json.reason.value"),
    ("delimiter", "json.reason.delimiter"),
    ("Unterminated string", "json.reason.unterminated"),
    ("Extra data", "json.reason.extra"),
    ("Expecting property name", "json.reason.property_name"),
    ("Invalid control character", "json.reason.control_character"),
    ("Invalid \\", "json.reason.escape"),
)
# Fields of the document itself, which no record has (the others are named by field.<name>).
_DOCUMENT_FIELDS = {
    name: f"json.field.{name}" for name in ("format", "version", "suppliers", "links", "certificates", "submissions")
}


def _syntax_reason(exc: json.JSONDecodeError) -> str:
    return next((key for text, key in _SYNTAX if text in exc.msg), "json.reason.other")


def _field_label(loc: tuple[int | str, ...]) -> str:
    """The field an error is about, as a message key (``field.<name>``, the document's own
    fields, a whole record); a key the file made up is named as the file wrote it."""
    if len(loc) == 1 and loc[0] in _DOCUMENT_FIELDS:
        return _DOCUMENT_FIELDS[str(loc[0])]
    if not loc:
        return "json.field.document"
    if isinstance(loc[-1], int):  # the record itself (a check of several fields, a wrong type)
        return "json.field.record"
    field = str(loc[-1])
    return f"field.{field}" if f"field.{field}" in catalogue() else field


def _schema_problems(source: SourceFile, exc: ValidationError) -> list[Problem]:
    """The document's validation errors (the first 50), each at its path (``file: suppliers/0/name``)
    and naming its field in the reader's language."""

    def place(loc: tuple[int | str, ...]) -> tuple[str, str]:
        return f"{source.name}: {'/'.join(map(str, loc)) or '(document)'}", _field_label(loc)

    return problems_at(exc, place, limit=50)


def parse(source: SourceFile, context: ImportContext) -> ImportBatch:
    if len(source.data) > context.limits.max_file_bytes:
        raise too_large(source, context.limits)
    try:
        raw = json.loads(source.data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise SourceFileError.at(source.name, source.name, "json.not_utf8", position=exc.start + 1) from None
    except json.JSONDecodeError as exc:
        raise SourceFileError.at(
            source.name,
            f"{source.name} line {exc.lineno}",
            "json.syntax",
            reason_key=_syntax_reason(exc),
            column=exc.colno,
        ) from None
    except RecursionError:
        raise SourceFileError.at(source.name, source.name, "json.too_deep") from None
    except ValueError:  # Python refuses to convert integers of thousands of digits
        raise SourceFileError.at(source.name, source.name, "json.huge_number") from None
    # Strict UTF-8 decoding let no surrogate through: only a \\uD800–\\uDFFF escape can make one.
    odd = _odd_json(raw, text_escapes=re.search(rb"\\u[dD][89a-fA-F]", source.data) is not None)
    if odd is not None:
        path, (key, params) = odd
        raise SourceFileError.at(source.name, f"{source.name}: {path}", key, **params)
    try:
        doc = ExchangeDocument.model_validate(raw)
    except ValidationError as exc:
        raise SourceFileError(source.name, _schema_problems(source, exc)) from None
    return ImportBatch(
        format=NAME,
        source_name=source.name,
        sha256=source.sha256,
        suppliers=doc.suppliers,
        links=doc.links,
        certificates=doc.certificates,
        certificate_suppliers=[
            SupplierRef(supplier_id=c.supplier_id, location=f"{source.name}: certificates/{i}")
            for i, c in enumerate(doc.certificates)
        ],
        submissions=[
            SubmissionPayload(
                supplier=SupplierRef(supplier_id=s.supplier_id, location=f"{source.name}: submissions/{i}"),
                framework_id=s.framework_id,
                framework_version=s.framework_version,
                catalogue_version=s.catalogue_version,
                level=s.level,
                submitted_on=s.submitted_on,
                answers=s.answers,
            )
            for i, s in enumerate(doc.submissions)
        ],
    )
