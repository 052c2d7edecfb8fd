"""A supply network as an indented table, tier by tier, readable at any size: how deep to show is
chosen, rows come a page at a time, and every row says how many suppliers hang below it."""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from dashboards.ui.text import labelled, tr
from dashboards.ui.widgets import downloads, radio, table
from registry.services.supply_chain import outline_rows

__all__ = ["network_outline", "outline_labelled", "sub_network_caption"]

_PAGE = 100


def outline_labelled(outline: pl.DataFrame) -> pl.DataFrame:
    """An outline (:func:`registry.services.supply_chain.network_outline`) as people read it: each
    supplier indented under its parent, coverage and held ★ in words, the required ★ as ★n."""
    indent = pl.lit("　").repeat_by(pl.col("depth") - 1).list.join("")
    branch = pl.when(pl.col("depth") > 1).then(pl.lit("└ ")).otherwise(pl.lit(""))
    extra = [c for c in ("other_parents",) if c in outline.columns]
    shown = outline.select(
        pl.concat_str(indent, branch, "supplier_id", pl.lit(" "), pl.col("name").fill_null("")).alias("outline"),
        pl.col("coverage").fill_null("unknown"),
        "below",
        "below_unknown",
        "children",
        pl.col("held_level").fill_null("none"),
        pl.format("★{}", "required").alias("required"),
        *extra,
    )
    return labelled(shown, coverage="coverage", held_level="level.held")


def sub_network_caption(outline: pl.DataFrame) -> None:
    """One line over a supplier's sub-network: how many below it, how many direct, how many unknown."""
    st.caption(
        tr(
            "chain.sub_network.summary",
            n=f"{outline.height:,}",
            direct=f"{outline.filter(pl.col('depth') == 1).height:,}",
            unknown=f"{(outline['coverage'] == 'unknown').sum():,}",
        )
    )


def _more(key: str) -> None:
    st.session_state[f"{key}.rows"] = st.session_state.get(f"{key}.rows", _PAGE) + _PAGE


def network_outline(outline: pl.DataFrame, key: str, as_of: date, default_depth: int = 1) -> None:
    """The outline as an indented table: the levels to show (``default_depth`` at first), the
    first rows in reading order with a button for more, and downloads of every row."""
    if outline.is_empty():
        return
    deepest = int(outline["depth"].max() or 1)
    st.session_state.setdefault(f"{key}.depth", min(default_depth, deepest))
    depth = radio(
        st,
        tr("outline.depth"),
        list(range(1, deepest + 1)),
        lambda n: tr("outline.depth.option", n=n),
        key=f"{key}.depth",
    )
    limit = st.session_state.get(f"{key}.rows", _PAGE)
    rows = outline_rows(outline, depth, limit)
    total = outline.filter(pl.col("depth") <= depth).height
    wide = {"outline": st.column_config.TextColumn(tr("col.outline"), width=320)}
    table(outline_labelled(rows), config=wide, key=f"{key}.table")
    st.caption(tr("outline.showing", shown=f"{rows.height:,}", total=f"{total:,}", all=f"{outline.height:,}"))
    if rows.height < total:
        st.button(tr("outline.more", n=_PAGE), key=f"{key}.more", on_click=_more, args=(key,))
    downloads(outline_labelled(outline), f"{key}_network", as_of)
