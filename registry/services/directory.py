"""The supplier directory: every supplier with what a buyer scans for (tier, industry, ★ requested
and held, readiness, open flags, next expiry), filtered, sorted and paged in the database so that
it stays fast at 100,000 suppliers. Filters arrive from the page, from links under the Overview's
charts (URL query parameters) and from the CLI as one validated :class:`DirectoryQuery`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl
from pydantic import ValidationError

from registry.domain.directory import COLUMNS, SORTABLE, DirectoryQuery
from registry.services import yardstick
from registry.store import Store
from registry.store import directory as stored

__all__ = [
    "COLUMNS",
    "SORTABLE",
    "DirectoryPage",
    "DirectoryQuery",
    "directory",
    "export_all",
    "query_from_params",
]


@dataclass(frozen=True)
class DirectoryPage:
    rows: pl.DataFrame
    total: int
    query: DirectoryQuery

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.page_size))


_LISTS = {"tiers": int, "industries": str, "held": str, "requested": int, "severities": str}


def query_from_params(params: Mapping[str, str | list[str]]) -> tuple[DirectoryQuery, list[str]]:
    """A query from URL parameters (``?tier=1&tier=2&held=none&below_request=1``); parameters
    that do not make sense are dropped and named, never fatal."""
    names = {"tier": "tiers", "industry": "industries", "severity": "severities"}
    values: dict[str, object] = {}
    for key, raw in params.items():
        field = names.get(key, key)
        if field not in DirectoryQuery.model_fields:
            continue
        items = raw if isinstance(raw, list) else [raw]
        if field in _LISTS:
            values[field] = [x for item in items for x in str(item).split(",") if x]
        elif field in ("below_request", "descending"):
            values[field] = str(items[-1]).lower() in {"1", "true", "yes"}
        else:
            values[field] = items[-1]
    problems: list[str] = []
    while True:
        try:
            return DirectoryQuery.model_validate(values), problems
        except ValidationError as exc:
            bad = {str(e["loc"][0]) for e in exc.errors()}
            problems.extend(sorted(bad))
            for field in bad:
                values.pop(field, None)


def directory(store: Store, as_of: date, query: DirectoryQuery) -> DirectoryPage:
    """One page of the directory and the number of suppliers matching the query (a page past the
    end shows the last page)."""
    rows, total, shown = stored.page(store, as_of, query, yardstick.readiness_of(store, as_of))
    return DirectoryPage(rows=rows, total=total, query=query.model_copy(update={"page": shown}))


def export_all(store: Store, as_of: date, query: DirectoryQuery, limit: int = 100_000) -> pl.DataFrame:
    """Every supplier the query matches (at most ``limit``), not just one page, for an export."""
    return stored.matching(store, as_of, query, yardstick.readiness_of(store, as_of), limit)
