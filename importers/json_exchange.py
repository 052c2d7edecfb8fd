"""JSON from other systems: one document with suppliers, links, certificates and submissions.

The schema is the pydantic model :class:`ExchangeDocument`; ``monosashi schema`` prints it as
JSON Schema and ``docs/schema/exchange.schema.json`` publishes it.
"""

from __future__ import annotations

import json
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
from registry.models import Answer, Certificate, Supplier, SupplierLink

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
    answers: list[Answer]


class ExchangeDocument(BaseModel):
    """A Monosashi exchange file (``format: monosashi.exchange``, ``version: 1``)."""

    model_config = ConfigDict(extra="forbid", title="Monosashi exchange document")

    format: Literal["monosashi.exchange"]
    version: Literal[1]
    suppliers: list[Supplier] = Field(default_factory=list)
    links: list[SupplierLink] = Field(default_factory=list)
    certificates: list[Certificate] = Field(default_factory=list)
    submissions: list[ExchangeSubmission] = Field(default_factory=list)


def sniff(source: SourceFile, context: ImportContext) -> float:
    if source.suffix != "json" and source.data.lstrip()[:1] != b"{":
        return 0.0
    return 0.95 if b'"monosashi.exchange"' in source.data[:4096] else 0.1


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
