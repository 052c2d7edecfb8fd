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
    Problem,
    SourceFile,
    SourceFileError,
    SubmissionPayload,
    SupplierRef,
)
from registry.domain.models import Answer, Certificate, Supplier, SupplierLink

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


def _odd_node(value: object, text_escapes: bool) -> str | None:
    """What is wrong with this one JSON value on its own: too many keys, or a lone surrogate
    (JSON's ``\\ud800`` escapes decode to one; it is not a character and cannot be stored)."""
    if isinstance(value, dict):
        if len(value) > _MAX_KEYS:
            return f"an object with {len(value):,} keys; an exchange file's objects have a few"
        if text_escapes and any(_SURROGATE.search(key) for key in value):
            return "a key holds an escaped lone surrogate (\\ud800–\\udfff), which is not a character"
    elif text_escapes and isinstance(value, str) and _SURROGATE.search(value):
        return "the text holds an escaped lone surrogate (\\ud800–\\udfff), which is not a character"
    return None


def _odd_json(raw: object, text_escapes: bool) -> tuple[str, str] | None:
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


def parse(source: SourceFile, context: ImportContext) -> ImportBatch:
    if len(source.data) > context.limits.max_file_bytes:
        raise SourceFileError.at(
            source.name,
            source.name,
            f"the file is {len(source.data):,} bytes; the limit is {context.limits.max_file_bytes:,}",
        )
    try:
        raw = json.loads(source.data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f"{source.name} line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else source.name
        raise SourceFileError.at(source.name, where, f"not valid UTF-8 JSON: {exc}") from None
    except RecursionError:
        raise SourceFileError.at(
            source.name, source.name, "the JSON is nested too deeply (hundreds of levels); an exchange file has a few"
        ) from None
    except ValueError:  # Python refuses to convert integers of thousands of digits
        raise SourceFileError.at(
            source.name, source.name, "a number in the JSON has thousands of digits; no field of an exchange file does"
        ) from None
    # Strict UTF-8 decoding let no surrogate through: only a \\uD800–\\uDFFF escape can make one.
    odd = _odd_json(raw, text_escapes=re.search(rb"\\u[dD][89a-fA-F]", source.data) is not None)
    if odd is not None:
        raise SourceFileError.at(source.name, f"{source.name}: {odd[0]}", odd[1])
    try:
        doc = ExchangeDocument.model_validate(raw)
    except ValidationError as exc:
        raise SourceFileError(
            source.name,
            [
                Problem(
                    location=f"{source.name}: {'/'.join(map(str, e['loc'])) or '(document)'}",
                    message=e["msg"].removeprefix("Value error, "),
                )
                for e in exc.errors()[:50]
            ],
        ) from None
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
