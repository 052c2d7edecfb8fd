"""Figure builders: pure functions from polars frames (and label texts) to plotly figures.

Plotly reads a subset of HTML in every text it draws (titles, axis and tick labels, legend names,
hover text, sunburst labels: ``<a href>``, ``<b>``, ``<br>``…). Every text a figure shows passes
through :func:`_html`, so a supplier's name shows as written and never as a link or markup; the
only tags in a figure are the ``<br>`` the builders put there themselves.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

import plotly.graph_objects as go
import polars as pl

__all__ = [
    "COVERAGE_COLOURS",
    "LEVEL_COLOURS",
    "STATE_COLOURS",
    "STATUS_COLOURS",
    "category_heatmap",
    "certificate_timeline",
    "coverage_bar",
    "coverage_heatmap",
    "held_by_tier_bar",
    "held_levels_bar",
    "readiness_gauge",
    "readiness_histogram",
    "readiness_history_line",
    "requested_vs_held_bar",
    "requirement_matrix",
    "tier_bar",
]

LEVEL_COLOURS = {"none": "#c9c9c9", "security_action": "#f2b950", "star3": "#5b9bd5", "star4": "#1f4e79"}
# Japanese first: Debian's fonts-noto-cjk, then the usual Windows and macOS fonts.
_FONT = "Noto Sans CJK JP, Noto Sans JP, Hiragino Sans, Yu Gothic, Meiryo, sans-serif"


def _html(text: object) -> str:
    """A text escaped for plotly: ``&``, ``<`` and ``>`` as entities, which plotly shows as the
    characters."""
    return html.escape(str(text), quote=False)


def _all_html(texts: Iterable[object]) -> list[str]:
    return [_html(t) for t in texts]


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(
        title=_html(title),
        xaxis_title=_html(x_title),
        yaxis_title=_html(y_title),
        font_family=_FONT,
        margin={"l": 40, "r": 10, "t": 50, "b": 40},
        height=340,
        legend_title_text="",
    )
    return fig


def _legend_below(fig: go.Figure) -> go.Figure:
    """The legend under the plot, in rows: long labels (in either language) then take no width
    from the bars of a half-width chart."""
    fig.update_layout(
        legend={"orientation": "h", "yanchor": "top", "y": -0.28, "x": 0, "xanchor": "left"},
        height=420,
        margin={"l": 40, "r": 10, "t": 50, "b": 40},
    )
    return fig


def tier_bar(
    by_tier: pl.DataFrame, tier_label: Mapping[int | None, str], title: str, x_title: str, y_title: str
) -> go.Figure:
    """Suppliers per tier; ``by_tier`` has columns tier (null: not linked) and suppliers."""
    fig = go.Figure(
        go.Bar(
            x=_all_html(tier_label[t] for t in by_tier["tier"].to_list()),
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
            x=_all_html(level_label[lv] for lv in levels),
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
                name=_html(level_label[level]),
                x=_all_html(requested_label[r] for r in requested),
                y=[counts.get(r, 0) for r in requested],
                marker_color=LEVEL_COLOURS[level],
            )
        )
    fig.update_layout(barmode="stack")
    return _legend_below(_layout(fig, title, "", y_title))


STATUS_COLOURS = {"met": "#2e7d32", "partial": "#f9a825", "not_met": "#c62828", "unknown": "#bdbdbd"}
_STATUS_VALUE = {"unknown": 0, "not_met": 1, "partial": 2, "met": 3}


def readiness_gauge(met: float | None, partial: float | None, title: str) -> go.Figure:
    """A gauge of the share of criteria met (0–100 %), with the partial share as a band beyond it."""
    met_pct = 100 * (met or 0)
    partial_pct = 100 * (partial or 0)
    fig = go.Figure(
        go.Indicator(
            mode="gauge+number",
            value=met_pct,
            number={"suffix": " %", "valueformat": ".0f"},
            title={"text": _html(title)},
            gauge={
                "axis": {"range": [0, 100], "ticksuffix": "%", "tickvals": [0, 25, 50, 75, 100]},
                "bar": {"color": STATUS_COLOURS["met"]},
                "steps": [{"range": [met_pct, min(100, met_pct + partial_pct)], "color": "#fde9a9"}],
            },
        )
    )
    # The end labels (0 %, 100 %) sit beside the arc, outside the gauge's own box: the side
    # margins leave them room.
    fig.update_layout(font_family=_FONT, height=240, margin={"l": 45, "r": 45, "t": 60, "b": 10})
    return fig


def requirement_matrix(
    requirements: pl.DataFrame, category_names: Mapping[int, str], status_names: Mapping[str, str], title: str
) -> go.Figure:
    """Categories (rows) × their requirements (columns) coloured by requirement status.

    ``requirements`` has requirement_id, category_no, status and title columns.
    """
    frame = requirements.sort("requirement_id").with_columns(
        position=pl.col("requirement_id").cum_count().over("category_no") - 1
    )
    width = int(frame["position"].max() or 0) + 1
    categories = sorted(category_names)
    z = [[None] * width for _ in categories]
    text = [[""] * width for _ in categories]
    hover = [[""] * width for _ in categories]
    for row in frame.iter_rows(named=True):
        y = categories.index(row["category_no"])
        z[y][row["position"]] = _STATUS_VALUE[row["status"]]
        text[y][row["position"]] = _html(row["requirement_id"])
        hover[y][row["position"]] = (
            f"{_html(row['requirement_id'])} {_html(row['title'])}<br>{_html(status_names[row['status']])}"
        )
    scale = [
        [0.0, STATUS_COLOURS["unknown"]],
        [0.33, STATUS_COLOURS["not_met"]],
        [0.66, STATUS_COLOURS["partial"]],
        [1.0, STATUS_COLOURS["met"]],
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(range(1, width + 1)),
            y=_all_html(category_names[c] for c in categories),
            text=text,
            texttemplate="%{text}",
            hovertext=hover,
            hoverinfo="text",
            colorscale=scale,
            zmin=0,
            zmax=3,
            showscale=False,
            xgap=3,
            ygap=3,
        )
    )
    fig.update_layout(
        title=_html(title),
        font_family=_FONT,
        height=380,
        margin={"l": 10, "r": 10, "t": 50, "b": 20},
        yaxis={"autorange": "reversed"},
        xaxis={"visible": False},
    )
    return fig


def readiness_histogram(readiness: pl.DataFrame, column: str, title: str, x_title: str, y_title: str) -> go.Figure:
    """How many suppliers have each readiness (share of criteria met), in 10 % bins (100 % in the
    last). Counted here: the browser gets ten bars, not 100,000 values to bin (a second to draw)."""
    bins = (readiness[column].fill_null(0) * 10).floor().clip(0, 9).cast(pl.Int64)
    counts = dict(bins.value_counts().iter_rows())
    fig = go.Figure(
        go.Bar(
            x=[10 * b + 5 for b in range(10)],
            y=[counts.get(b, 0) for b in range(10)],
            width=10,
            customdata=[f"{10 * b}–{10 * b + 10}%" for b in range(10)],
            hovertemplate="%{customdata}: %{y}<extra></extra>",
            marker_color="#1f4e79",
            marker_line_width=1,
            marker_line_color="white",
        )
    )
    fig.update_xaxes(range=[0, 100], ticksuffix="%")
    return _layout(fig, title, x_title, y_title)


def category_heatmap(scores: pl.DataFrame, row_label: str, category_names: Mapping[int, str], title: str) -> go.Figure:
    """Rows (suppliers or groups) × the 7 categories, coloured by the share of criteria met. With a
    ``partial`` column (share partly met), each cell also reads "(+n)" where some are partly met."""
    rows = scores[row_label].unique(maintain_order=True).to_list()
    categories = sorted(category_names)
    lookup = {(r, c): s for r, c, s in scores.select(row_label, "category_no", "score").iter_rows()}
    z = [[None if lookup.get((r, c)) is None else round(100 * lookup[(r, c)]) for c in categories] for r in rows]
    partial = (
        {(r, c): p for r, c, p in scores.select(row_label, "category_no", "partial").iter_rows()}
        if "partial" in scores.columns
        else {}
    )
    text = [
        [
            "" if value is None else f"{value} (+{round(100 * partial[(r, c)])})" if partial.get((r, c)) else str(value)
            for c, value in zip(categories, row, strict=True)
        ]
        for r, row in zip(rows, z, strict=True)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=_all_html(category_names[c] for c in categories),
            y=_all_html(rows),
            colorscale="RdYlGn",
            zmin=0,
            zmax=100,
            colorbar={"ticksuffix": "%"},
            text=text,
            texttemplate="%{text}",
            xgap=1,
            ygap=1,
        )
    )
    fig.update_layout(
        title=_html(title),
        font_family=_FONT,
        height=max(300, 24 * len(rows) + 120),
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        yaxis={"autorange": "reversed"},
    )
    return fig


# One colour per certificate state (the timeline's legend tells them apart): the ★4 yearly
# self-assessment in oranges and reds, ISMS surveillance in purples, lapsed ones in greys.
STATE_COLOURS = {
    "valid": "#2e7d32",
    "expiring": "#f9a825",
    "self_assessment_due": "#ef6c00",
    "self_assessment_overdue": "#c62828",
    "surveillance_due": "#ba68c8",
    "surveillance_overdue": "#6a1b9a",
    "expired": "#616161",
    "stale": "#bdbdbd",
    "superseded": "#d7ccc8",
    "not_yet_valid": "#90caf9",
}


def certificate_timeline(
    certificates: pl.DataFrame, as_of: date, state_names: Mapping[str, str], title: str, x_title: str
) -> go.Figure:
    """One bar per certificate from issue to expiry, by supplier, coloured by state; a line marks the as-of date.

    Certificates without an expiry are drawn for two years from issue.
    """
    fig = go.Figure()
    frame = certificates.with_columns(
        end=pl.coalesce(pl.col("expires_on"), pl.col("issued_on").dt.offset_by("2y")),
        label=pl.concat_str(pl.col("supplier_id"), pl.lit(" "), pl.col("name")),
    )
    for state, colour in STATE_COLOURS.items():
        part = frame.filter(pl.col("state") == state)
        if part.is_empty():
            continue
        fig.add_trace(
            go.Bar(
                name=_html(state_names.get(state, state)),
                y=_all_html(part["label"].to_list()),
                base=[d.isoformat() for d in part["issued_on"].to_list()],
                x=[
                    (e - s).days * 86_400_000
                    for s, e in zip(part["issued_on"].to_list(), part["end"].to_list(), strict=True)
                ],
                orientation="h",
                marker_color=colour,
                hovertext=[
                    _html(f"{sc} {n or ''} → {e}")
                    for sc, n, e in part.select("scheme", "registration_no", "end").iter_rows()
                ],
                hoverinfo="text",
            )
        )
    fig.add_vline(x=as_of.isoformat(), line_dash="dash", line_color="#1f4e79")
    fig.update_layout(barmode="overlay", xaxis={"type": "date"}, yaxis={"autorange": "reversed"})
    _layout(fig, title, x_title, "")
    fig.update_layout(height=max(320, 22 * frame["label"].n_unique() + 140))  # one row per supplier, readable
    return fig


COVERAGE_COLOURS = {
    "covered": "#2e7d32",
    "below_required": "#f9a825",
    "other_evidence": "#80cbc4",
    "questionnaire_only": "#90caf9",
    "unknown": "#bdbdbd",
}


def coverage_bar(
    per_tier: pl.DataFrame, tier_label: Mapping[int | None, str], names: Mapping[str, str], title: str, y_title: str
) -> go.Figure:
    """Stacked bars per tier: suppliers by coverage class."""
    fig = go.Figure()
    x = _all_html(tier_label[t] for t in per_tier["tier"].to_list())
    for name, colour in COVERAGE_COLOURS.items():
        fig.add_trace(go.Bar(name=_html(names[name]), x=x, y=per_tier[name].to_list(), marker_color=colour))
    fig.update_layout(barmode="stack")
    return _legend_below(_layout(fig, title, "", y_title))


def coverage_heatmap(
    per_tier: pl.DataFrame, tier_label: Mapping[int | None, str], names: Mapping[str, str], title: str
) -> go.Figure:
    """Coverage classes (rows) × tiers (columns): each cell the suppliers of that tier in that
    class, and their share of the tier (the colour). Readable at any number of suppliers."""
    tiers = per_tier["tier"].to_list()
    totals = per_tier["suppliers"].to_list()
    classes = list(COVERAGE_COLOURS)
    counts = [per_tier[c].to_list() for c in classes]
    shares = [[round(100 * n / t) if t else 0 for n, t in zip(row, totals, strict=True)] for row in counts]
    fig = go.Figure(
        go.Heatmap(
            z=shares,
            x=_all_html(tier_label[t] for t in tiers),
            y=_all_html(names[c] for c in classes),
            text=[
                [f"{n:,}<br>({p}%)" for n, p in zip(row, pct, strict=True)]
                for row, pct in zip(counts, shares, strict=True)
            ],
            texttemplate="%{text}",
            hoverinfo="text",
            colorscale="Blues",
            zmin=0,
            zmax=100,
            colorbar={"ticksuffix": "%"},
            xgap=2,
            ygap=2,
        )
    )
    fig.update_layout(
        title=_html(title),
        font_family=_FONT,
        height=max(300, 48 * len(classes) + 110),
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        yaxis={"autorange": "reversed"},
    )
    return fig


def held_by_tier_bar(
    frame: pl.DataFrame,
    tier_label: Mapping[int | None, str],
    level_label: Mapping[str, str],
    title: str,
    x_title: str,
    y_title: str,
) -> go.Figure:
    """Stacked bars: per tier, the suppliers by the ★ they hold (``frame``: tier, held_level,
    suppliers). Each bar carries its tier and level as customdata, for click-through."""
    tiers = frame["tier"].unique(maintain_order=True).to_list()
    fig = go.Figure()
    for level in LEVEL_COLOURS:
        part = frame.filter(pl.col("held_level") == level)
        counts = dict(zip(part["tier"].to_list(), part["suppliers"].to_list(), strict=True))
        fig.add_trace(
            go.Bar(
                name=_html(level_label[level]),
                x=_all_html(tier_label[t] for t in tiers),
                y=[counts.get(t, 0) for t in tiers],
                customdata=[[0 if t is None else t, level] for t in tiers],
                marker_color=LEVEL_COLOURS[level],
                hovertemplate="%{x}: %{y}<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_layout(barmode="stack", clickmode="event+select")
    return _legend_below(_layout(fig, title, x_title, y_title))


def readiness_history_line(history: pl.DataFrame, labels: Mapping[str, str], title: str, y_title: str) -> go.Figure:
    """Readiness over time (``history``: taken_on and the share columns named in ``labels``), as
    steps: a value holds until the next record. The x axis is a date axis with day ticks; a single
    record is drawn as points on its date (a line needs two)."""
    days = history["taken_on"].to_list()
    single = len(set(days)) <= 1
    fig = go.Figure()
    for column, label in labels.items():
        fig.add_trace(
            go.Scatter(
                x=[d.isoformat() for d in days],
                y=[100 * (v or 0) for v in history[column].to_list()],
                mode="markers" if single else "lines+markers",
                line_shape="hv",
                marker={"size": 9 if single else 6},
                name=_html(label),
            )
        )
    fig.update_yaxes(range=[0, 100], ticksuffix="%")
    _layout(fig, title, "", y_title)
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0})
    fig.update_xaxes(type="date", tickformat="%Y-%m-%d", tickangle=0, nticks=3)
    if days:
        first, last = min(days), max(days)
        pad = max(timedelta(days=3), (last - first) / 20)
        fig.update_xaxes(range=[(first - pad).isoformat(), (last + pad).isoformat()])
        if single:
            fig.update_xaxes(tickvals=[first.isoformat()])
    return fig
