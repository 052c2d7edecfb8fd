"""Figure builders: pure functions from polars frames (and label texts) to plotly figures."""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go
import polars as pl

__all__ = ["held_levels_bar", "requested_vs_held_bar", "tier_bar"]

LEVEL_COLOURS = {"none": "#c9c9c9", "security_action": "#f2b950", "star3": "#5b9bd5", "star4": "#1f4e79"}
_FONT = "Noto Sans JP, Hiragino Sans, Yu Gothic, Meiryo, sans-serif"


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(
        title=title,
        xaxis_title=x_title,
        yaxis_title=y_title,
        font_family=_FONT,
        margin={"l": 40, "r": 10, "t": 50, "b": 40},
        height=340,
        legend_title_text="",
    )
    return fig


def tier_bar(
    by_tier: pl.DataFrame, tier_label: Mapping[int | None, str], title: str, x_title: str, y_title: str
) -> go.Figure:
    """Suppliers per tier; ``by_tier`` has columns tier (null: not linked) and suppliers."""
    fig = go.Figure(
        go.Bar(
            x=[tier_label[t] for t in by_tier["tier"].to_list()],
            y=by_tier["suppliers"].to_list(),
            marker_color="#1f4e79",
            text=by_tier["suppliers"].to_list(),
            textposition="auto",
        )
    )
    return _layout(fig, title, x_title, y_title)


def held_levels_bar(
    held: pl.DataFrame, level_label: Mapping[str, str], title: str, x_title: str, y_title: str
) -> go.Figure:
    """Suppliers by highest valid ★; ``held`` has columns held_level and suppliers."""
    levels = held["held_level"].to_list()
    fig = go.Figure(
        go.Bar(
            x=[level_label[lv] for lv in levels],
            y=held["suppliers"].to_list(),
            marker_color=[LEVEL_COLOURS[lv] for lv in levels],
            text=held["suppliers"].to_list(),
            textposition="auto",
        )
    )
    return _layout(fig, title, x_title, y_title)


def requested_vs_held_bar(
    frame: pl.DataFrame,
    requested_label: Mapping[int, str],
    level_label: Mapping[str, str],
    title: str,
    y_title: str,
) -> go.Figure:
    """Stacked bars: per requested ★, the suppliers by the ★ they hold."""
    fig = go.Figure()
    requested = sorted(frame["requested_level"].unique().to_list())
    for level in LEVEL_COLOURS:
        part = frame.filter(pl.col("held_level") == level)
        counts = dict(zip(part["requested_level"].to_list(), part["suppliers"].to_list(), strict=True))
        fig.add_trace(
            go.Bar(
                name=level_label[level],
                x=[requested_label[r] for r in requested],
                y=[counts.get(r, 0) for r in requested],
                marker_color=LEVEL_COLOURS[level],
            )
        )
    fig.update_layout(barmode="stack")
    return _layout(fig, title, "", y_title)
