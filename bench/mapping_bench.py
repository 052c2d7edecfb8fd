"""The mapping assistant's speed: proposals for a 200-question checklist, and the analyser loaded
once per process.

    python bench/mapping_bench.py [--questions 200] [--repeat 5]

In a fresh process each (so that nothing is loaded before), it measures:

- the floor: reading the checklist workbook and finding its questions (what any mapping pays);
- the first proposals of the process: SudachiPy and its dictionary loaded, the criteria indexed,
  then every question analysed and ranked;
- the same proposals again in the same process (``--repeat`` times, the median): the analyser and
  the index are kept, so only the questions' own work remains.

It prints each time, the ratios to the floor, and how long the analyser itself took to load; the
issue's target is proposals for 200 questions in under 2 s. The questions are the evaluation set's
(tests/data/mapping/evaluation.csv), repeated as needed, Japanese and English mixed.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _support
from support import samples

from importers.base import SourceFile
from registry.domain.actor import Actor
from registry.store import Store
from registry.store.content import initialise

HERE = Path(__file__).resolve().parent
EVALUATION = HERE.parent / "tests" / "data" / "mapping" / "evaluation.csv"


def _questions(n: int) -> list[str]:
    """``n`` questions of the evaluation set; past its end, again with a site number added."""
    with EVALUATION.open(encoding="utf-8") as fh:
        found = [row["question"] for row in csv.DictReader(fh)]
    return [found[i % len(found)] + (f"（拠点{i // len(found) + 1}）" if i >= len(found) else "") for i in range(n)]


def _child(workbook: Path, db: Path, repeat: int) -> None:
    """One measured process: read, first proposals, then the same proposals again."""
    from registry.services import mapping
    from registry.store import Store

    store = Store(db)
    data = workbook.read_bytes()
    start = time.perf_counter()
    _, layout = mapping.read_checklist(SourceFile(workbook.name, data))
    questions = mapping.questions_of(layout)
    read = time.perf_counter() - start
    start = time.perf_counter()
    mapping.features("読み込み")  # the analyser alone
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    first = mapping.propose(store, questions)
    first_time = time.perf_counter() - start
    again = []
    for _ in range(repeat):
        start = time.perf_counter()
        mapping.propose(store, questions)
        again.append(time.perf_counter() - start)
    print(
        json.dumps(
            {
                "questions": questions.height,
                "proposed": int(first["criterion"].is_not_null().sum()),
                "read": read,
                "analyser_load": loaded,
                "first": first_time,
                "again": statistics.median(again),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(Path(args.child[0]), Path(args.child[1]), args.repeat)
        return
    _support.print_machine()

    with tempfile.TemporaryDirectory() as tmp:
        workbook = Path(tmp) / "checklist.xlsx"
        workbook.write_bytes(samples.unknown_checklist_workbook(_questions(args.questions)))
        db = Path(tmp) / "bench.duckdb"
        initialise(Store(db), Actor.system("migrate"))
        wall = time.perf_counter()
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(workbook), str(db), "--repeat", str(args.repeat)],
            check=True,
            capture_output=True,
            text=True,
        )
        process = time.perf_counter() - wall
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    floor = figures["read"]
    print(f"checklist: {figures['questions']} questions, {figures['proposed']} with a proposal")
    print(f"floor (read the workbook, find the questions): {floor:.3f} s")
    print(f"analyser load (SudachiPy + core dictionary), once per process: {figures['analyser_load']:.3f} s")
    print(
        f"first proposals in the process (analyser and index included): {figures['first']:.3f} s  ({figures['first'] / floor:.1f}× the floor)"
    )
    print(
        f"proposals again, median of {args.repeat}: {figures['again']:.3f} s  ({figures['again'] / floor:.1f}× the floor)"
    )
    print(f"whole process (Python start-up and imports included): {process:.2f} s")
    target = "met" if figures["first"] < 2.0 else "missed"
    print(f"target: proposals for {args.questions} questions under 2 s — {target}")


if __name__ == "__main__":
    main()
