"""JSON Schemas published in ``docs/schema/``: the exchange document and mapping profiles."""

from __future__ import annotations

from typing import Any

from importers.json_exchange import ExchangeDocument
from questionnaires.frameworks import MappingProfile

__all__ = ["exchange_schema", "profile_schema"]


def exchange_schema() -> dict[str, Any]:
    return ExchangeDocument.model_json_schema()


def profile_schema() -> dict[str, Any]:
    return MappingProfile.model_json_schema()
