"""The mapping assistant's evaluation set (tests/data/mapping/evaluation.csv) and how proposals
score on it: one tally that the suite's quality test and bench/mapping_eval.py both read."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from pathlib import Path

from registry.domain.matching import AUTO_ACCEPT, Proposal

__all__ = ["EVALUATION", "evaluation_rows", "gold", "tally"]

EVALUATION = Path(__file__).resolve().parents[1] / "data" / "mapping" / "evaluation.csv"


def evaluation_rows() -> list[dict[str, str]]:
    """The labelled questions: question, lang, criteria (``;``-separated, empty: none expected), source."""
    with EVALUATION.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def gold(row: dict[str, str]) -> set[str]:
    """The criteria a row's question is right to be proposed (none for a question about something else)."""
    return set(filter(None, row["criteria"].split(";")))


def tally(
    rows: Sequence[dict[str, str]],
    proposals: Sequence[Sequence[Proposal]],
    groups: Callable[[dict[str, str]], Iterable[Hashable]],
) -> dict[Hashable, Counter[str]]:
    """Per group of rows: how many (``n``), with no proposal (``none``), right first (``top1``), right
    among the proposals (``top3``), first proposal at or above the auto-accept confidence
    (``auto``), and of those wrong (``wrong``)."""
    counted: dict[Hashable, Counter[str]] = {}
    for row, found in zip(rows, proposals, strict=True):
        right = gold(row)
        for group in groups(row):
            t = counted.setdefault(group, Counter())
            t["n"] += 1
            t["none"] += not found
            t["top1"] += bool(found) and found[0].criterion_id in right
            t["top3"] += any(p.criterion_id in right for p in found)
            if found and found[0].confidence >= AUTO_ACCEPT:
                t["auto"] += 1
                t["wrong"] += found[0].criterion_id not in right
    return counted
