"""The mapping assistant's review on the Crosswalks page (issue 20): the questions a person reviews,
a page at a time, in an editor whose codes read as words; the edits merged back into the whole
review by row; and what each answer label of the checklist means."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl
import streamlit as st

from dashboards.ui.text import tr, tr_text
from registry.services import mapping

__all__ = [
    "EDITABLE",
    "PAGE_ROWS",
    "RELATIONSHIPS",
    "STATUSES",
    "answer_columns",
    "answers_chosen",
    "answers_frame",
    "filtered",
    "merged",
    "page_count",
    "page_rows",
    "refreshed",
    "review_columns",
    "review_counts",
]

PAGE_ROWS = 200  # questions in the editor at once: a 5,000-row checklist is 25 pages
EDITABLE = ("criterion", "relationship", "decision")
RELATIONSHIPS = ("equal", "subset", "superset", "intersect")
STATUSES = ("met", "partial", "not_met", "not_applicable", "unknown")
# what the person decides right after the question; the proposals and the answer after them
_SHOWN = ("row", "item_id", "question", "confidence", *EDITABLE, "proposals", "answer")
_TAKEN = ("accepted", "changed")


def _polars(frame: Any) -> pl.DataFrame:
    """What an editor hands back (polars, or pandas in some versions) as polars."""
    return frame if isinstance(frame, pl.DataFrame) else pl.from_pandas(frame)


def review_counts(review: pl.DataFrame, score: float) -> dict[str, int]:
    """How many questions there are, with and without a proposal, at or above ``score``, taken
    (accepted or changed) and still unreviewed."""
    proposed = review["options"].list.len() > 0
    return {
        "questions": review.height,
        "proposed": int(proposed.sum()),
        "none": int((~proposed).sum()),
        "above": int((proposed & (review["confidence"] >= score)).sum()),
        "taken": int(review["decision"].is_in(_TAKEN).sum()),
        "unreviewed": int((review["decision"] == "unreviewed").sum()),
    }


def filtered(review: pl.DataFrame, *, unreviewed_only: bool, low_only: bool, below: float) -> pl.DataFrame:
    """The questions the filters leave: unreviewed only, and/or those whose confidence is below
    ``below`` (the auto-accept)."""
    kept = review
    if unreviewed_only:
        kept = kept.filter(pl.col("decision") == "unreviewed")
    if low_only:
        kept = kept.filter(pl.col("confidence") < below)
    return kept


def page_count(rows: int, size: int = PAGE_ROWS) -> int:
    return max(1, math.ceil(rows / size))


def page_rows(frame: pl.DataFrame, page: int, size: int = PAGE_ROWS) -> pl.DataFrame:
    """Page ``page`` (from 1) of the questions, with the columns the editor shows."""
    return frame.slice((page - 1) * size, size).select(_SHOWN)


def review_columns(criteria: Sequence[str], summary: Callable[[str], str]) -> dict[str, object]:
    """The editor's columns: the question and the proposals read-only, the confidence as a bar,
    the criterion chosen among the catalogue's (each with our short summary), the relationship
    and the decision in words."""
    config = st.column_config
    return {
        "row": config.NumberColumn(tr("crosswalks.map.col.row"), format="%d", disabled=True),
        "item_id": config.TextColumn(tr("crosswalks.map.col.item_id"), disabled=True),
        "question": config.TextColumn(tr("crosswalks.map.col.question"), width="large", disabled=True),
        "answer": config.TextColumn(tr("crosswalks.map.col.answer"), disabled=True),
        "proposals": config.TextColumn(tr("crosswalks.map.col.proposals"), width="medium", disabled=True),
        "confidence": config.ProgressColumn(
            tr("crosswalks.map.col.confidence"),
            help=tr("crosswalks.map.col.confidence.help"),
            format="%.2f",
            min_value=0.0,
            max_value=1.0,
        ),
        "criterion": config.SelectboxColumn(
            tr("crosswalks.map.col.criterion"), options=list(criteria), format_func=summary, width="medium"
        ),
        "relationship": config.SelectboxColumn(
            tr("crosswalks.map.col.relationship"),
            options=list(RELATIONSHIPS),
            format_func=lambda kind: tr_text(f"relationship.{kind}"),  # as the crosswalk editor says them
        ),
        "decision": config.SelectboxColumn(
            tr("crosswalks.map.col.decision"),
            options=list(mapping.DECISIONS),
            format_func=lambda decision: tr_text(f"crosswalks.map.decision.{decision}"),
            required=True,
        ),
    }


def merged(review: pl.DataFrame, edited: Any) -> pl.DataFrame:
    """The whole review with one page's edits merged in by ``row``. A criterion other than the
    first proposal is a person's choice: an unreviewed or accepted decision becomes "changed". A
    criterion changed to another of the proposals takes that proposal's relationship, unless the
    relationship was edited too."""
    page = _polars(edited)
    if page.is_empty():
        return review
    rows = page["row"].cast(pl.Int64).to_list()
    before = {
        r["row"]: r
        for r in review.filter(pl.col("row").is_in(rows)).select("row", "options", *EDITABLE).iter_rows(named=True)
    }
    updates = []
    for row in page.select(pl.col("row").cast(pl.Int64), *(pl.col(c).cast(pl.String) for c in EDITABLE)).iter_rows(
        named=True
    ):
        old = before.get(row["row"])
        if old is None:
            continue
        new = {c: (row[c] or "").strip() or None for c in EDITABLE}  # an emptied cell is no value
        if new == {c: old[c] for c in EDITABLE}:
            continue
        options = old["options"] or []
        if new["criterion"] != old["criterion"] and new["relationship"] == old["relationship"]:
            suggested = next((o["relationship"] for o in options if o["criterion"] == new["criterion"]), None)
            new["relationship"] = suggested or new["relationship"]
        first = options[0]["criterion"] if options else None
        if new["criterion"] != first and new["decision"] in ("unreviewed", "accepted"):
            new["decision"] = "changed"
        updates.append({"row": row["row"], **new})
    if not updates:
        return review
    changes = pl.DataFrame(updates, schema={"row": pl.Int64, **dict.fromkeys(EDITABLE, pl.String)})
    return review.update(changes, on="row", include_nulls=True)


def refreshed(review: pl.DataFrame, questions: pl.DataFrame) -> pl.DataFrame:
    """The review with each question's ID and answer as the layout now reads them (the person may
    pick the ID or answer column after proposing: the decisions stay)."""
    now = questions.select("row", "item_id", "answer")
    if review.select("row", "item_id", "answer").equals(now):
        return review
    return review.drop("item_id", "answer").join(now, on="row", how="left").select(review.columns)


def answers_frame(statuses: dict[str, str]) -> pl.DataFrame:
    """The answer labels with the status each most likely means, for the person to confirm."""
    return pl.DataFrame(
        {"label": list(statuses), "status": list(statuses.values())}, schema={"label": pl.String, "status": pl.String}
    )


def answer_columns() -> dict[str, object]:
    config = st.column_config
    return {
        "label": config.TextColumn(tr("crosswalks.map.col.label"), disabled=True),
        "status": config.SelectboxColumn(
            tr("crosswalks.map.col.status"),
            options=list(STATUSES),
            format_func=lambda status: tr_text(f"status.{status}"),
            required=True,
        ),
    }


def answers_chosen(edited: Any) -> dict[str, str]:
    """Each answer label with the status the person confirmed (an emptied one: unknown)."""
    frame = _polars(edited)
    return {label: status or "unknown" for label, status in frame.select("label", "status").iter_rows()}
