"""``monosashi map``: the mapping assistant on the command line (docs/mapping-assistant.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import polars as pl

from registry.cli.app import _actor, _echo_json, _existing_store, counted, db_option
from registry.cli.shapes import MapDoc
from registry.domain.matching import AUTO_ACCEPT
from registry.errors import MonosashiError
from registry.services import mapping
from registry.services.intake import SourceFile

__all__ = ["map_checklist"]


@click.command("map")
@click.argument("checklist", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sheet", default=None, help="The sheet of the questions (default: guessed).")
@click.option("--question-column", default=None, help="The header of the question column (default: guessed).")
@click.option("--id-column", default=None, help="The header of the question ID column (default: guessed).")
@click.option("--answer-column", default=None, help="The header of the answer column (default: guessed).")
@click.option(
    "--save",
    "save_as",
    default=None,
    help="Save the proposals whose confidence reaches --accept-above as a mapping profile of this name.",
)
@click.option("--title", default=None, help="The saved profile's title (default: the file's name).")
@click.option(
    "--accept-above",
    type=click.FloatRange(0, 1),
    default=AUTO_ACCEPT,
    show_default=True,
    help="With --save: accept first proposals of at least this confidence.",
)
@click.option("--json", "as_json", is_flag=True)
@db_option
def map_checklist(
    checklist: Path,
    sheet: str | None,
    question_column: str | None,
    id_column: str | None,
    answer_column: str | None,
    save_as: str | None,
    title: str | None,
    accept_above: float,
    as_json: bool,
    db: Path | None,
) -> None:
    """Propose SCS criteria for each question of an unknown checklist (Excel or CSV): up to three
    per question with score, matched words and relationship; --save keeps the confident ones as a
    mapping profile."""
    store = _existing_store(db)
    tables, layout = mapping.read_checklist(SourceFile(checklist.name, checklist.read_bytes()))
    layout = mapping.relayout(
        tables, layout, sheet=sheet, question=question_column, item_id=id_column, answer=answer_column
    )
    questions = mapping.questions_of(layout)
    review = mapping.propose(store, questions)
    saved = None
    if save_as:
        accepted = mapping.accept_above(review, accept_above)
        if accepted.filter(pl.col("decision") == "accepted").is_empty():
            raise MonosashiError("mapping.nothing_accepted", score=accept_above)
        reviewed = mapping.Reviewed(layout, accepted, mapping.answer_statuses(questions["answer"].to_list()))
        saved = mapping.save_profile(store, reviewed, name=save_as, title=title or checklist.stem, actor=_actor()).name
    doc = _document(layout, review, saved)
    if as_json:
        _echo_json(doc, MapDoc)
        return
    _print(doc)


def _document(layout: mapping.ChecklistLayout, review: pl.DataFrame, saved: str | None) -> dict[str, Any]:
    headers = layout.headers

    def header(col: int | None) -> str | None:
        return headers[col] if col is not None else None

    return {
        "file": layout.table.source_name,
        "sheet": layout.table.sheet,
        "header_row": layout.header_row + layout.table.origin[0] + 1,
        "headers": {
            "question": header(layout.question),
            "item_id": header(layout.item_id),
            "answer": header(layout.answer),
        },
        "questions": [
            {
                "row": r["row"],
                "item_id": r["item_id"],
                "question": r["question"],
                "confidence": r["confidence"],
                "proposals": r["options"],
            }
            for r in review.iter_rows(named=True)
        ],
        "no_proposal": review.filter(pl.col("criterion").is_null()).height,
        "saved_profile": saved,
    }


def _print(doc: dict[str, Any]) -> None:
    columns = doc["headers"]
    click.echo(
        f"{doc['file']}{' / ' + doc['sheet'] if doc['sheet'] else ''}: header row {doc['header_row']}, "
        f"question {columns['question']!r}, ID {columns['item_id']!r}, answer {columns['answer']!r}",
        err=True,
    )
    for q in doc["questions"]:
        proposals = "  ".join(
            f"{p['criterion']} {p['score']:.2f}{'*' if p['learned'] else ''} {p['relationship']}"
            for p in q["proposals"]
        )
        click.echo(f"{q['row']:>5} {q['item_id'] or '—':10} {proposals or '(no proposal)':60} {q['question'][:60]}")
    click.echo(
        counted(len(doc["questions"]), "question")
        + f", {doc['no_proposal']} without a proposal"
        + (f"; saved as profile {doc['saved_profile']}" if doc["saved_profile"] else ""),
        err=True,
    )
