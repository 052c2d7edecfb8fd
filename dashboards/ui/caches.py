"""Results kept between runs of a page: recomputed only when the registry changed (its revision), the
date or the arguments did; and the analysis of an upload, kept while the same files are shown."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import polars as pl
import streamlit as st

from registry import clock
from registry.services import dashboard, intake, supply_chain
from registry.services.audit import revision
from registry.services.intake import Limits
from registry.services.maintenance import Store
from registry.services.suppliers import facets

__all__ = [
    "T",
    "cached_analysis",
    "cached_board",
    "cached_coverage",
    "cached_facets",
    "cached_network_outline",
    "cached_readiness",
    "cached_supplier_page",
    "fresh_analysis",
    "revision_cached",
]

T = TypeVar("T")


def _registry_file(store: Store) -> str:
    return str(store.path)


def revision_cached(max_entries: int = 4) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Keep ``compute(store, *args)`` between runs until the registry changes: the registry's
    revision is part of the key, so a write anywhere (this session's or another's) recomputes."""

    def wrap(compute: Callable[..., T]) -> Callable[..., T]:
        def kept(store: Store, registry_revision: int, *args: Any) -> T:
            return compute(store, *args)

        # Streamlit tells caches apart by qualified name (and source): each wrapped function gets its own.
        kept.__qualname__ = f"revision_cached.{compute.__qualname__}"
        memo = st.cache_data(show_spinner=False, max_entries=max_entries, hash_funcs={Store: _registry_file})(kept)

        @functools.wraps(compute)
        def read(store: Store, *args: Any) -> T:
            return memo(store, revision(store), *args)

        return read

    return wrap


@revision_cached()
def cached_board(store: Store, as_of: date) -> dashboard.Board:
    """The Overview's data."""
    return dashboard.board(store, as_of)


@revision_cached()
def cached_readiness(store: Store, as_of: date) -> dashboard.ReadinessBoard:
    """Every supplier's readiness and category scores."""
    return dashboard.readiness_board(store, as_of)


@revision_cached(max_entries=32)
def cached_supplier_page(store: Store, as_of: date, supplier_id: str) -> dashboard.SupplierPage | None:
    """The Supplier page's data."""
    return dashboard.supplier_page(store, as_of, supplier_id)


@revision_cached()
def cached_coverage(store: Store, as_of: date) -> pl.DataFrame:
    """Every supplier's tier, required ★ and coverage."""
    return supply_chain.supplier_coverage(store, as_of)


@revision_cached()
def cached_network_outline(store: Store, as_of: date) -> pl.DataFrame:
    """The whole network below the buyer as an outline (tier by tier, with counts)."""
    return supply_chain.network_outline(store, cached_coverage(store, as_of))


@revision_cached()
def cached_facets(store: Store) -> dict[str, list[Any]]:
    """The values the directory's filters offer (tiers, industries)."""
    return facets(store)


@st.cache_data(show_spinner=False, max_entries=8, hash_funcs={Store: _registry_file})
def cached_analysis(
    store: Store,
    files: list[tuple[str, bytes]],
    supplier_id: str | None,
    profile: str | None,
    limits: Limits,
    portal: bool = False,
    whole_lists: bool = False,
    again: tuple[str, ...] = (),
) -> list[Any]:
    """The analysis of an upload (read-only), kept while the same files and options are shown."""
    return fresh_analysis(store, files, supplier_id, profile, limits, portal, whole_lists, again)


def fresh_analysis(
    store: Store,
    files: list[tuple[str, bytes]],
    supplier_id: str | None,
    profile: str | None,
    limits: Limits,
    portal: bool = False,
    whole_lists: bool = False,
    again: tuple[str, ...] = (),
) -> list[Any]:
    """Analyse again right before writing, so that the write sees the registry as it is now. In
    the portal only answer files are read, and only the supplier's own. ``whole_lists``: a list
    with a bad row is refused whole; ``again``: files (SHA-256) to import again though seen before."""
    return intake.analyse(
        store,
        intake.sources_from_uploads(files, limits),
        supplier_id=supplier_id,
        profile=profile,
        limits=limits,
        formats=intake.QUESTIONNAIRE_FORMATS if portal else None,
        strict_supplier=portal,
        today=clock.today(),
        whole_lists=whole_lists,
        again=again,
    )
