"""Ranking suppliers by their readiness for the ★ asked of them (pure, over frames).

A supplier without current evidence (nothing known, or only stale evidence, which the yardstick
reads as unknown) reads 0 % on every criterion; ranking it among the others only fills a "furthest
from target" list with zeros that say nothing new. Such suppliers are counted apart, and the
ranking reads those with current evidence.
"""

from __future__ import annotations

import polars as pl

__all__ = ["furthest_from_target", "with_evidence"]

_SHARES = ("star3", "star3_partial", "star4", "star4_partial")


def with_evidence(readiness: pl.DataFrame, evidenced: pl.Series) -> pl.DataFrame:
    """``readiness`` (supplier_id, held_level and the ★3/★4 shares) with ``has_evidence``: the
    supplier holds a valid ★ or SECURITY ACTION, is one of ``evidenced`` (a questionnaire answered
    within the freshness limit, a valid ISMS), or meets any criterion at least partly."""
    shares = [pl.col(c).fill_null(0) > 0 for c in _SHARES if c in readiness.columns]
    return readiness.with_columns(
        has_evidence=pl.any_horizontal(
            pl.col("held_level").fill_null("none") != "none",
            pl.col("supplier_id").is_in(evidenced.implode()),
            *shares,
        )
    )


def furthest_from_target(readiness: pl.DataFrame, n: int) -> pl.DataFrame:
    """The ``n`` suppliers with evidence (:func:`with_evidence`) furthest from their target ★ (the
    requested one, ★3 when nothing was asked): lowest readiness for it first, then the lowest
    share partly met, then by ID."""
    partial = pl.when(pl.col("target_level") == 4).then(pl.col("star4_partial")).otherwise(pl.col("star3_partial"))
    return (
        readiness.filter(pl.col("has_evidence"))
        .with_columns(_partial=partial.fill_null(0))
        .sort(["target", "_partial", "supplier_id"])
        .head(n)
        .drop("_partial")
    )
