"""Widgets the pages share: choices whose labels follow the language, the supplier picker, charts
with captions and drill-downs, links that respect roles, and downloads of lists."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import polars as pl
import streamlit as st

from dashboards.ui.session import actor
from dashboards.ui.text import lang, plain, tr
from registry import access
from registry.services import exports
from registry.services.maintenance import Store
from registry.services.suppliers import supplier_choices

__all__ = [
    "chart",
    "chart_with_drilldown",
    "columns",
    "downloads",
    "link",
    "links",
    "multiselect",
    "portal_link",
    "radio",
    "supplier_links",
    "supplier_picker",
    "table",
    "timeline_rows",
]


def columns(frame: pl.DataFrame, labels: dict[str, str] | None = None) -> dict[str, object]:
    """Column settings for ``st.dataframe``: UI labels (``col.<name>`` texts unless given), dates
    shown as YYYY-MM-DD and times as YYYY-MM-DD HH:MM."""
    config: dict[str, object] = {}
    for name, dtype in frame.schema.items():
        label = (labels or {}).get(name) or tr(f"col.{name}")
        if dtype == pl.Date:
            config[name] = st.column_config.DateColumn(label, format="YYYY-MM-DD")
        elif isinstance(dtype, pl.Datetime):
            config[name] = st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm")
        else:
            config[name] = label
    return config


def radio(container: Any, label: str, options: list[Any], format_func: Callable[[Any], str], key: str) -> Any:
    """A radio whose option labels follow the language and whose choice survives a switch.

    Streamlit's browser side forgets a selection when option labels change, so the widget key
    carries the language, the widget's options are the labels themselves, and the chosen value
    lives in its own session key.
    """
    by_label = {format_func(option): option for option in options}
    widget_key = f"{key}.{lang()}"
    if st.session_state.get(widget_key) not in by_label:  # first show in this language
        current = st.session_state.get(key, options[0])
        st.session_state[widget_key] = format_func(current if current in options else options[0])
    chosen = container.radio(label, list(by_label), key=widget_key)
    st.session_state[key] = by_label[chosen]
    return by_label[chosen]


def multiselect(
    container: Any, label: str, options: list[Any], format_func: Callable[[Any], str], key: str
) -> list[Any]:
    """A multiselect with language-following labels; the choice survives a language switch."""
    by_label = {format_func(option): option for option in options}
    widget_key = f"{key}.{lang()}"
    if widget_key not in st.session_state:  # first show in this language
        st.session_state[widget_key] = [format_func(v) for v in st.session_state.get(key, []) if v in options]
    chosen = container.multiselect(label, list(by_label), key=widget_key, placeholder=tr("app.choose"))
    st.session_state[key] = [by_label[c] for c in chosen if c in by_label]
    return st.session_state[key]


def chart(figure: Any, caption_key: str) -> None:
    """A plotly figure across its column, with the caption that says what it counts."""
    st.plotly_chart(figure, width="stretch")
    st.caption(tr(caption_key))


def supplier_picker(
    container: Any, label: str, store: Store, *, key: str, optional: bool = False, preset: str | None = None
) -> str | None:
    """Pick a supplier by typing part of its ID, name or corporate number (works at 100,000). What
    was typed chooses: the best match is selected at once (Enter is enough), the rest stay offered."""
    if preset and f"{key}.search" not in st.session_state:  # arrived from a link naming the supplier
        st.session_state[f"{key}.search"] = preset
    search = container.text_input(label, key=f"{key}.search", placeholder=tr("app.supplier_search"))
    choices = supplier_choices(store, search or "", limit=50)
    found = choices["supplier_id"].to_list()
    optional_first = [None] if optional else []
    options = found + optional_first if (search or "").strip() and found else optional_first + found
    names = dict(choices.iter_rows())
    if not options:
        container.caption(tr("app.no_supplier_found"))
        return None
    return container.selectbox(
        label,
        options,
        format_func=lambda s: tr("import.supplier.auto") if s is None else f"{s} {names.get(s, '')}",
        key=f"{key}.{search}",
        label_visibility="collapsed",
    )


def link(container: Any, page: str, label: str, icon: str, query_params: dict[str, str] | None = None) -> None:
    """A link to another page, shown only to those whose role may open it."""
    if access.page_allowed(actor(), page.rsplit("/", 1)[-1].removesuffix(".py")):
        container.page_link(page, label=label, icon=icon, query_params=query_params)


def links(page: str, targets: list[tuple[str, dict[str, str]]], per_row: int | None = None) -> None:
    """Links to ``page`` with query parameters (the list behind a chart), in one row or in rows of
    ``per_row`` (so that long labels are not cut off in a narrow column)."""
    width = max(1, per_row or len(targets))
    for start in range(0, max(1, len(targets)), width):
        for column, (label, params) in zip(st.columns(width), targets[start : start + width], strict=False):
            link(column, page, label, ":material/arrow_forward:", params)


def supplier_links(supplier_ids: list[str], names: list[str | None], limit: int = 12) -> None:
    """Links to the Supplier page of the first ``limit`` suppliers (the others are in the table above)."""
    shown = list(zip(supplier_ids[:limit], names[:limit], strict=True))
    for row_start in range(0, len(shown), 3):  # three to a row: a long company name still shows whole
        cells = st.columns(3)
        for cell, (supplier_id, name) in zip(cells, shown[row_start : row_start + 3], strict=False):
            label = plain(f"{name or supplier_id}（{supplier_id}）")
            link(cell, "dashboards/pages/supplier.py", label, ":material/arrow_forward:", {"id": supplier_id})


def chart_with_drilldown(figure: Any, caption_key: str, key: str) -> list[Any] | None:
    """A chart whose bars can be clicked: returns the clicked bar's customdata (else None)."""
    event = st.plotly_chart(figure, width="stretch", key=key, on_select="rerun", selection_mode="points")
    st.caption(tr(caption_key))
    points = getattr(getattr(event, "selection", None), "points", None) or []
    data = points[0].get("customdata") if points else None
    return list(data) if data else None


def downloads(frame: pl.DataFrame, name: str, as_of: date) -> None:
    """Excel and CSV (UTF-8 with BOM) downloads of a list, formulas neutralised."""

    # The files are made when the button is clicked, not on every run of the page.
    buttons = st.columns(2)
    buttons[0].download_button(
        tr("export.excel"),
        lambda: exports.to_excel(frame, name),
        file_name=f"{name}_{as_of}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{name}_xlsx",
    )
    buttons[1].download_button(
        tr("export.csv"),
        lambda: exports.to_csv(frame),
        file_name=f"{name}_{as_of}.csv",
        mime="text/csv",
        key=f"{name}_csv",
    )


def timeline_rows(certificates: pl.DataFrame, due: pl.DataFrame, limit: int = 60) -> pl.DataFrame:
    """The certificates to draw: those needing attention first, then the rest, at most ``limit``
    suppliers (a timeline of thousands of rows helps no one)."""
    suppliers = pl.concat([due["supplier_id"], certificates["supplier_id"]]).unique(maintain_order=True)
    return certificates.filter(pl.col("supplier_id").is_in(suppliers.head(limit).implode()))


def portal_link(token: str) -> str:
    """The address a supplier opens: this app's address with the invitation token."""
    base = (st.context.url or "").split("?")[0]
    base = base.rsplit("/", 1)[0] if base.count("/") > 2 else base
    return access.portal_address(base, token)


# Rows a table sends to the browser: at 100,000 suppliers a list of tens of thousands took a
# second to send and draw (bench/pages_bench.py), and nobody reads it by scrolling.
_TABLE_ROWS = 500


def table(
    frame: pl.DataFrame,
    labels: dict[str, str] | None = None,
    config: dict[str, Any] | None = None,
    limit: int = _TABLE_ROWS,
    **options: Any,
) -> Any:
    """A list as a table: labelled columns (``config`` overrides some), dates as YYYY-MM-DD, and
    "—" where a text is missing (never "None"); the first ``limit`` rows, saying so when there
    are more."""
    total = frame.height
    frame = frame.head(limit)
    # A missing date, time or count reads "—" too (Streamlit would print "None"): such a column
    # is shown as text, dates as YYYY-MM-DD and times as YYYY-MM-DD HH:MM.
    gaps = [
        n for n, t in frame.schema.items() if (t == pl.Date or t.is_integer() or t.is_float()) and frame[n].null_count()
    ]
    times = [n for n, t in frame.schema.items() if isinstance(t, pl.Datetime) and frame[n].null_count()]
    # A yes/no with gaps reads in words (a checkbox cannot show "not known").
    answers = [n for n, t in frame.schema.items() if t == pl.Boolean and frame[n].null_count()]
    yes_no = {True: tr("app.yes"), False: tr("app.no")}
    shown = frame.with_columns(
        pl.col(gaps).cast(pl.String),
        pl.col(times).dt.strftime("%Y-%m-%d %H:%M"),
        *(pl.col(n).replace_strict(yes_no, default=None, return_dtype=pl.String) for n in answers),
    ).with_columns(pl.col(pl.String).fill_null("—"))
    settings = {**columns(shown, labels), **(config or {})}
    drawn = st.dataframe(shown, hide_index=True, width="stretch", column_config=settings, placeholder="—", **options)
    if total > frame.height:
        st.caption(tr("app.table_first", shown=f"{frame.height:,}", n=f"{total:,}"))
    return drawn
