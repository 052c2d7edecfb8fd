"""The yardstick as the pages and the CLI use it: every supplier's evidence read onto the SCS
criteria (docs/yardstick.md), as of a date.

The store's evidence query (registry/store/evidence.py) does the reading; the rules that turn its
statuses into readiness, category and requirement scores are registry/domain/yardstick.py. This
module brings them together, and is the one home of readiness: the Overview, the Readiness and
Supplier pages and ``monosashi status`` all read it through :func:`readiness_of`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import polars as pl

from questionnaires.catalogue import CURRENT_VERSION, Catalogue, load_catalogue
from questionnaires.crosswalks import crosswalk_frame
from registry.domain.yardstick import (
    HISTORY_COLUMNS,
    STATUS_ORDER,
    Settings,
    SupplierView,
    category_scores,
    counts_of,
    evidence_chain,
    portfolio_readiness,
    readiness,
    readiness_snapshot,
    requirement_status,
)
from registry.services.crosswalks import effective_crosswalks
from registry.services.kept import is_kept, per_evidence_revision
from registry.services.profiles import mapping_profiles
from registry.store import Store, evidence
from registry.store.settings import user_crosswalk_texts, yardstick_settings

__all__ = [
    "HISTORY_COLUMNS",
    "STATUS_ORDER",
    "Settings",
    "SupplierView",
    "catalogue_in_force",
    "category_scores",
    "counts_of",
    "derive",
    "evidence_chain",
    "evidence_pieces",
    "explain",
    "portfolio_counts",
    "portfolio_readiness",
    "readiness",
    "readiness_of",
    "readiness_snapshot",
    "requirement_status",
    "settings_from_store",
    "supplier_view",
]


def settings_from_store(store: Store) -> Settings:
    """The yardstick's thresholds in this registry (Settings page), else the defaults."""
    return yardstick_settings(store)


def catalogue_in_force(store: Store) -> Catalogue:
    """The SCS catalogue version the registry reads suppliers on."""
    return load_catalogue(store.setting("catalogue_version") or CURRENT_VERSION)


_FRAME_CACHE: dict[tuple[object, ...], tuple[pl.DataFrame, pl.DataFrame]] = {}


def _frames(store: Store, catalogue: Catalogue) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The criteria and every crosswalk entry as frames; rebuilt only when a profile changes."""
    profiles = mapping_profiles(store)
    saved = tuple(user_crosswalk_texts(store))
    key = (catalogue.version, saved, *sorted((name, p.model_dump_json()) for name, p in profiles.items()))
    if key not in _FRAME_CACHE:
        if len(_FRAME_CACHE) > 16:
            _FRAME_CACHE.clear()
        criteria = catalogue.criteria_frame().select("criterion_id", "requirement_id", "category_no", "level")
        _FRAME_CACHE[key] = (criteria, crosswalk_frame(effective_crosswalks(store, profiles)))
    return _FRAME_CACHE[key]


def _inputs(store: Store, settings: Settings | None) -> tuple[str, Settings, tuple[pl.DataFrame, pl.DataFrame]]:
    catalogue = catalogue_in_force(store)
    return catalogue.version, settings or settings_from_store(store), _frames(store, catalogue)


def evidence_pieces(
    store: Store, as_of: date, supplier_id: str, criterion_id: str | None = None, settings: Settings | None = None
) -> pl.DataFrame:
    """Every piece of evidence of one supplier (optionally one criterion), ranked as the rules rank them."""
    with store.held_open():
        version, settings, frames = _inputs(store, settings)
        return evidence.pieces(store, as_of, version, settings, frames, supplier_id, criterion_id)


def derive(
    store: Store, as_of: date, supplier_id: str | Sequence[str] | None = None, settings: Settings | None = None
) -> pl.DataFrame:
    """One row per supplier and criterion of the catalogue in force: status and the evidence behind it
    (for one supplier ID, a list of them, or every supplier)."""
    with store.held_open():
        version, settings, frames = _inputs(store, settings)
        return evidence.statuses(store, as_of, version, settings, frames, supplier_id)


def portfolio_counts(
    store: Store, as_of: date, settings: Settings | None = None, *, with_conflicts: bool = False
) -> pl.DataFrame:
    """Per supplier, category and ★ level: criteria met and partial by fresh evidence, for every
    supplier at once; ``with_conflicts`` adds the contradicted criteria. Kept until the evidence
    changes (registry/services/kept.py): counts with conflicts also answer a call without."""
    with store.held_open():
        version, settings, frames = _inputs(store, settings)
        key = _kept_key("counts", as_of, version, settings, frames)

        def counted(conflicts: bool) -> Callable[[], pl.DataFrame]:
            return lambda: evidence.counts(store, as_of, version, settings, frames, with_conflicts=conflicts)

        if not with_conflicts and is_kept(store, (*key, True)):
            return per_evidence_revision(store, (*key, True), counted(True), alive=frames).select(_BASE_COUNT_COLUMNS)
        return per_evidence_revision(store, (*key, with_conflicts), counted(with_conflicts), alive=frames)


_BASE_COUNT_COLUMNS = ["supplier_id", "category_no", "level", "met", "partial"]


def _kept_key(
    name: str, as_of: date, version: str, settings: Settings, frames: tuple[pl.DataFrame, pl.DataFrame]
) -> tuple[object, ...]:
    """What a whole-registry figure depends on besides the evidence: the date, the catalogue, the
    thresholds, and the criteria and crosswalk frames (rebuilt, so a new ``id``, when a profile
    changes; kept alive with the figure)."""
    return (name, as_of, version, repr(settings), id(frames))


def explain(
    store: Store, as_of: date, supplier_id: str, criterion_id: str, lang: str = "en"
) -> list[dict[str, object]]:
    """The evidence chain of one supplier's criterion in ``lang``, the deciding piece first."""
    pieces = evidence_pieces(store, as_of, supplier_id, criterion_id)
    return [{**row, "chain": evidence_chain(row, lang), "decides": row["position"] == 1} for row in pieces.to_dicts()]


def readiness_of(store: Store, as_of: date, supplier_ids: Sequence[str] | None = None) -> pl.DataFrame:
    """Readiness on ``as_of`` of the given suppliers (or all): one row each with the
    :data:`HISTORY_COLUMNS` (★3 and ★4 readiness and partial shares, and the seven category
    scores). The one definition every page and the CLI read."""
    catalogue = catalogue_in_force(store)
    if supplier_ids is not None and len(supplier_ids) <= 256:
        counts = counts_of(derive(store, as_of, list(supplier_ids)))
        return readiness_snapshot(counts, pl.Series("supplier_id", list(supplier_ids), dtype=pl.String), catalogue)
    if supplier_ids is not None:
        ids = pl.Series("supplier_id", list(supplier_ids), dtype=pl.String)
        counts = portfolio_counts(store, as_of)
        return readiness_snapshot(counts.filter(pl.col("supplier_id").is_in(ids.implode())), ids, catalogue)
    with store.held_open():  # every supplier's: kept with the counts it comes from
        version, settings, frames = _inputs(store, None)

        def everyone() -> pl.DataFrame:
            counts = portfolio_counts(store, as_of)
            return readiness_snapshot(counts, counts["supplier_id"].unique(), catalogue)

        return per_evidence_revision(
            store, _kept_key("readiness", as_of, version, settings, frames), everyone, alive=frames
        )


def supplier_view(store: Store, as_of: date, supplier_id: str) -> SupplierView:
    """One supplier read on the yardstick: statuses with their evidence, and readiness (the same
    arithmetic as :func:`readiness_of`)."""
    with store.held_open():
        statuses = derive(store, as_of, supplier_id)
        catalogue = catalogue_in_force(store)
    snapshot = readiness_snapshot(counts_of(statuses), pl.Series("supplier_id", [supplier_id]), catalogue)
    row = snapshot.row(0, named=True)
    return SupplierView(
        catalogue=catalogue,
        statuses=statuses,
        readiness={k: row[k] for k in ("star3", "star3_partial", "star4", "star4_partial")},
    )
