"""End-to-end import of SCS self-assessment workbooks, against a naive baseline in the same run.

    python bench/import_bench.py [--files 1000] [--baseline-files 100]

Generates N workbooks of 153 criteria in IPA's official layout (one per demo supplier), then:

- Monosashi, all-or-nothing: ``intake.analyse`` (recognise, parse, validate, resolve suppliers)
  and ``intake.commit(mode="batch")`` — one transaction for the whole batch;
- Monosashi, per file: the same with one transaction per file;
- baseline: openpyxl ``read_only`` parsing and row-by-row INSERTs, one transaction per file.

Prints ms per file and the ratio baseline / Monosashi. Generation is not timed.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import tempfile
import time
from datetime import date
from pathlib import Path

import _support  # noqa: F401  (tests/support on the path)
import openpyxl
from support import samples

from importers.base import SourceFile
from registry.domain.actor import Actor
from registry.services import intake
from registry.services.demo import generate_demo
from registry.store import Store
from registry.store.content import initialise, replace_demo

AS_OF = date(2026, 11, 23)
MARKS = {"○": "met", "△": "partial", "✖": "not_met", None: "unknown"}


def fresh_store(folder: Path, name: str, suppliers: int) -> Store:
    store = Store(folder / f"{name}.duckdb")
    initialise(store, Actor.system("demo"))
    replace_demo(store, generate_demo(suppliers, 1, AS_OF), Actor.system("demo"), seed=1)
    return store


def sources(workbooks: list[tuple[str, bytes]]) -> list[SourceFile]:
    """Fresh sources for each variant, made inside its timing: a ``SourceFile`` hashes its bytes and
    caches its parsed sheets, so reusing one would let a later variant skip the parse."""
    return [SourceFile(name, data) for name, data in workbooks]


def baseline_import(store: Store, name: str, data: bytes) -> int:
    """What a first version would do: openpyxl read-only, then one INSERT per row."""
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = []
    header = None
    supplier_id = None
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            if header is None:
                if "取引先ID" in row:
                    supplier_id = row[row.index("取引先ID") + 1]
                if "評価基準No." in row and "自己評価" in row:
                    header = (row.index("評価基準No."), row.index("自己評価"))
                continue
            if row[header[0]]:
                rows.append((row[header[0]], row[header[1]]))
        if header:
            break
    wb.close()
    with store.transaction(Actor.system("demo")) as tx:
        submission_id = tx.execute("SELECT nextval('submission_seq')")[0][0]
        tx.execute(
            "INSERT INTO submission (submission_id, supplier_id, framework_id, framework_version, catalogue_version, "
            "submitted_on, source_name, sha256, imported_by) VALUES (?, ?, 'scs', '2026-03-27', '2026-03-27', ?, ?, ?, 'baseline')",
            [submission_id, supplier_id, AS_OF, name, hashlib.sha256(data).hexdigest()],
        )
        for criterion, mark in rows:
            tx.execute(
                "INSERT INTO answer (submission_id, item_id, raw_answer, status) VALUES (?, ?, ?, ?)",
                [submission_id, criterion, mark, MARKS.get(mark, "unknown")],
            )
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--baseline-files", type=int, default=100)
    args = parser.parse_args()

    started = time.perf_counter()
    workbooks = [
        (
            f"S{i + 1:06d}_scs.xlsx",
            samples.scs_self_assessment_workbook(supplier_id=f"S{i + 1:06d}", answered_on="2026-10-01", seed=i),
        )
        for i in range(args.files)
    ]
    print(
        f"generated {len(workbooks)} workbooks of 153 criteria in {time.perf_counter() - started:.1f} s (not timed below)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results: dict[str, tuple[int, float]] = {}

        store = fresh_store(folder, "batch", args.files)
        t0 = time.perf_counter()
        reports = intake.analyse(store, sources(workbooks))
        t1 = time.perf_counter()
        intake.commit(store, reports, mode="batch", actor=Actor.person("bench", "buyer"), today=AS_OF)
        t2 = time.perf_counter()
        results["monosashi, all-or-nothing"] = (len(workbooks), t2 - t0)
        answers = store.scalar("SELECT count(*) FROM answer")
        imported = sum(r.status == "imported" for r in reports)

        store = fresh_store(folder, "per_file", args.files)
        t3 = time.perf_counter()
        intake.commit(
            store,
            intake.analyse(store, sources(workbooks)),
            mode="per_file",
            actor=Actor.person("bench", "buyer"),
            today=AS_OF,
        )
        results["monosashi, per file"] = (len(workbooks), time.perf_counter() - t3)

        store = fresh_store(folder, "baseline", args.files)
        sample = workbooks[: args.baseline_files]
        t4 = time.perf_counter()
        with store.held_open():  # as the per-file variant: measure parsing and inserting, not checkpoints
            baseline_rows = sum(baseline_import(store, name, data) for name, data in sample)
        results["baseline (openpyxl + row INSERTs)"] = (len(sample), time.perf_counter() - t4)

    base_ms = 1000 * results["baseline (openpyxl + row INSERTs)"][1] / len(sample)
    print(f"{'variant':38} {'files':>6} {'total s':>8} {'ms/file':>8} {'speed-up':>9}")
    for variant, (count, seconds) in results.items():
        ms = 1000 * seconds / count
        print(f"{variant:38} {count:6} {seconds:8.2f} {ms:8.2f} {base_ms / ms:8.1f}x")
    print(
        f"all-or-nothing breakdown: analyse (read, parse, validate, resolve) {1000 * (t1 - t0) / len(workbooks):.2f} ms/file, "
        f"commit (write) {1000 * (t2 - t1) / len(workbooks):.2f} ms/file"
    )
    print(
        f"check: {imported}/{len(workbooks)} imported, {answers:,} answer rows (expected {153 * len(workbooks):,}); baseline wrote {baseline_rows:,}"
    )
    print("targets: at least 5x the baseline and under 10 ms per file")


if __name__ == "__main__":
    main()
