"""The history a run of daily derivations leaves, computed set-wise from what held on each day.

Given the flags derived on each of several days (oldest first) and the readiness on each, this
says what the stored flags are after the last day and which workflow steps led there, exactly as
reconciling day by day would have (docs/flags.md): a flag opens on the first day it holds, the
rule closes it on the first day it no longer holds, and reopens it ("再び該当") when it holds
again; its wording is the latest day's. Readiness is kept on the days it changes. Pure polars:
the store writes the result in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from registry.domain.flag_rules import FLAG_COLUMNS
from registry.domain.yardstick import HISTORY_COLUMNS

__all__ = ["FlagHistory", "flag_history", "readiness_changes"]

_REOPENED_NOTE = "再び該当"  # the note reconciliation writes on a flag the rule had closed


@dataclass(frozen=True)
class FlagHistory:
    """The flags after the last day, and the steps (raised, closed, reopened) day by day."""

    flags: pl.DataFrame  # FLAG_COLUMNS, state, closed_by_rule, note, first_held_on, last_held_on
    steps: pl.DataFrame  # flag_key, supplier_id, rule_id, day (index into the days), action


def flag_history(held: pl.DataFrame, days: list[date], closing: pl.DataFrame) -> FlagHistory:
    """``held``: the derived flags of every day (FLAG_COLUMNS and ``day``, the index of its date in
    ``days``); ``closing``: rule_id and closed_ja, the note a rule's close leaves."""
    last = len(days) - 1
    rows = (
        held.with_row_index("seen")  # the days in order, each in its derivation's order
        .sort("flag_key", "day")
        .with_columns(previous=pl.col("day").shift(1).over("flag_key"))
    )
    gap = pl.col("day") - pl.col("previous") > 1
    spans = rows.group_by("flag_key").agg(
        first=pl.col("day").min(),
        final=pl.col("day").max(),
        reopened=pl.col("day").filter(gap).max(),
        seen=pl.col("seen").min(),
    )
    steps = pl.concat(
        [
            rows.filter(pl.col("previous").is_null()).select("flag_key", "day", action=pl.lit("flag_raised")),
            rows.filter(gap).select("flag_key", day=pl.col("previous") + 1, action=pl.lit("flag_closed")),
            rows.filter(gap).select("flag_key", "day", action=pl.lit("flag_reopened")),
            spans.filter(pl.col("final") < last).select(
                "flag_key", day=pl.col("final") + 1, action=pl.lit("flag_closed")
            ),
        ]
    )
    latest = rows.unique("flag_key", keep="last", maintain_order=True).select(*FLAG_COLUMNS)  # the last day's
    on = dict(enumerate(days))

    def dated(index: pl.Expr) -> pl.Expr:
        return index.replace_strict(on, default=None, return_dtype=pl.Date)

    holds = pl.col("final") == last
    flags = (
        latest.join(spans, on="flag_key")
        .join(closing.select("rule_id", "closed_ja"), on="rule_id", how="left")
        .with_columns(
            first_held_on=dated(pl.col("first")),
            last_held_on=dated(pl.col("final")),
            reopened_on=dated(pl.col("reopened")),
            closed_on=dated(pl.col("final") + 1),
        )
        .with_columns(
            state=pl.when(holds).then(pl.lit("open")).otherwise(pl.lit("resolved")),
            closed_by_rule=~holds,
            note=pl.when(holds)
            .then(pl.col("reopened_on").dt.to_string("%Y-%m-%d") + pl.lit(f": {_REOPENED_NOTE}"))
            .otherwise(pl.col("closed_on").dt.to_string("%Y-%m-%d") + pl.lit(": ") + pl.col("closed_ja")),
        )
        .sort("seen")  # raised (and numbered) in the order daily derivation would raise them
        .select(*FLAG_COLUMNS, "state", "closed_by_rule", "note", "first_held_on", "last_held_on")
    )
    who = latest.select("flag_key", "supplier_id", "rule_id")
    steps = (
        steps.with_columns(pl.col("day").cast(pl.Int64))
        .join(who, on="flag_key")
        .select("flag_key", "supplier_id", "rule_id", "day", "action")
    )
    return FlagHistory(flags=flags, steps=steps)


def readiness_changes(snapshots: pl.DataFrame) -> pl.DataFrame:
    """The readiness rows to keep from snapshots of several days (``taken_on``): each supplier's
    first, then those that differ from the supplier's previous day (as the daily derivation keeps
    only changes)."""
    ordered = snapshots.sort("supplier_id", "taken_on")
    changed = pl.any_horizontal(
        (pl.col(c) - pl.col(c).shift(1).over("supplier_id")).abs() > 1e-9 for c in HISTORY_COLUMNS
    )
    first = pl.col("taken_on").shift(1).over("supplier_id").is_null()
    return ordered.filter(first | changed).select("supplier_id", "taken_on", *HISTORY_COLUMNS)
