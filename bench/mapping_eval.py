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

import tempfile
from pathlib import Path

import _support
from support import mapping_eval

from registry.domain.actor import Actor
from registry.domain.matching import AUTO_ACCEPT
from registry.services import mapping
from registry.store import Store
from registry.store.content import initialise


def main() -> None:
    _support.print_machine()
    rows = mapping_eval.evaluation_rows()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "eval.duckdb")
        initialise(store, Actor.system("migrate"))
        proposals = mapping.propose_texts(store, [r["question"] for r in rows])
    tally = mapping_eval.tally(
        rows,
        proposals,
        lambda row: (
            (row["source"], row["lang"]),
            ("all labelled", "") if mapping_eval.gold(row) else ("all negative", ""),
        ),
    )
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
