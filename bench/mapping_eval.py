"""The mapping assistant's quality on the evaluation set (tests/data/mapping/evaluation.csv):
top-1 and top-3 accuracy, the "no proposal" rate, and how many first proposals at or above the
auto-accept confidence were wrong — overall and by where the labels come from.

    python bench/mapping_eval.py

Labels come from the 自社診断 (IPA 5-minute) crosswalk, the two shipped buyer profiles, our own
paraphrases of SCS criteria in Japanese and English, and questions about other things that
should get no proposal (``negative``); none come from the assistant. The suite holds the
targets (tests/test_mapping.py); this prints the figures docs/mapping-assistant.md quotes.
"""

from __future__ import annotations

import csv
import tempfile
from collections import Counter
from pathlib import Path

import _support

from registry.domain.actor import Actor
from registry.domain.matching import AUTO_ACCEPT
from registry.services import mapping
from registry.store import Store
from registry.store.content import initialise

EVALUATION = Path(__file__).resolve().parents[1] / "tests" / "data" / "mapping" / "evaluation.csv"


def main() -> None:
    _support.print_machine()
    with EVALUATION.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "eval.duckdb")
        initialise(store, Actor.system("migrate"))
        proposals = mapping.propose_texts(store, [r["question"] for r in rows])
    tally: dict[tuple[str, str], Counter[str]] = {}
    for row, found in zip(rows, proposals, strict=True):
        gold = set(filter(None, row["criteria"].split(";")))
        overall = ("all labelled", "") if gold else ("all negative", "")
        for key in ((row["source"], row["lang"]), overall):
            t = tally.setdefault(key, Counter())
            t["n"] += 1
            t["none"] += not found
            t["top1"] += bool(found) and found[0].criterion_id in gold
            t["top3"] += any(p.criterion_id in gold for p in found)
            if found and found[0].confidence >= AUTO_ACCEPT:
                t["auto"] += 1
                t["wrong"] += found[0].criterion_id not in gold
    print(f"auto-accept at confidence ≥ {AUTO_ACCEPT}")
    print(f"{'source':<14}{'lang':<6}{'n':>5}{'top-1':>8}{'top-3':>8}{'none':>8}{'auto':>7}{'wrong':>7}")
    for (source, lang), t in sorted(tally.items(), key=lambda item: (item[0][0].startswith("all"), item[0])):
        n = t["n"]
        print(
            f"{source:<14}{lang:<6}{n:>5}{t['top1'] / n:>8.0%}{t['top3'] / n:>8.0%}{t['none'] / n:>8.0%}"
            f"{t['auto']:>7}{t['wrong']:>7}"
        )


if __name__ == "__main__":
    main()
