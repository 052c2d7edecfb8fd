"""Bounded work after an import (issue 14): a supplier list of N rows, imported, then its flags derived.

    python bench/bounded_bench.py [--suppliers 1000000] [--baseline-suppliers 20000]

Writes a plain supplier list of N rows (取引先ID, 会社名: the attack review's scenario) as CSV and
runs each step in a process of its own, so that each peak RSS is that step's:

- (a) the import: ``intake.analyse`` + ``intake.commit``, whose flag refresh covers the N suppliers
  it touched;
- (a') that refresh alone, run again: ``flags.refresh`` for the N supplier IDs;
- (a'') the refresh after an import of a tenth of them (the scope joined as a frame, reads narrowed);
- (b) the daily derivation: ``flags.refresh`` over everything (``monosashi flags``).

The baseline, in its own process in the same run, is the step the former refresh path took for many
suppliers: their yardstick statuses read by ID (``yardstick.derive`` on a list: every criterion of
each supplier materialised, then ``counts_of``) for ``--baseline-suppliers`` of them (default
20,000), its time and memory growth scaled linearly to N. It is that one step, not a whole refresh,
so the ratio printed against (a') (a whole refresh: flags derived, reconciled and written) favours
the baseline. Target: every step's peak ≤ 2 GB at 1,000,000 suppliers (default ``--suppliers``).
No step asserts a time; the figures are printed.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import _support

AS_OF = date(2026, 11, 23)
TARGET_MB = 2048


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def supplier_list(n: int) -> bytes:
    """N rows of 取引先ID and 会社名: the smallest supplier list there is."""
    rows = "".join(f"S{i:07d},株式会社{i}\r\n" for i in range(1, n + 1))
    return ("取引先ID,会社名\r\n" + rows).encode("utf-8-sig")


def step(name: str, db: str, arg: str) -> None:
    """One measured step in this (child) process; prints one JSON line."""
    from importers.base import Limits, SourceFile
    from registry.domain.actor import Actor
    from registry.services import flags, intake, yardstick
    from registry.store import Store

    store = Store(db)
    started_mb = peak_mb()
    started = time.perf_counter()
    result: dict = {}
    if name == "import":
        data = Path(arg).read_bytes()
        rows = data.count(b"\n") - 1
        limits = Limits()
        limits = Limits(  # beyond the defaults on purpose: the bench measures what a larger limit would cost
            max_file_bytes=max(limits.max_file_bytes, len(data)),
            max_cells=max(limits.max_cells, 2 * (rows + 1)),
            max_list_rows=max(limits.max_list_rows, rows),
        )
        reports = intake.analyse(store, [SourceFile(name="suppliers.csv", data=data)], limits=limits)
        analysed = time.perf_counter() - started
        analysed_mb = peak_mb()
        done = intake.commit(store, reports, mode="per_file", actor=Actor.person("bench", "buyer"), today=AS_OF)
        result = {
            "status": [r.status for r in done],
            "warnings": [w.message for r in done for w in r.warnings],
            "analyse_s": analysed,
            "analyse_mb": analysed_mb,
        }
    else:
        ids = store.frame("SELECT supplier_id FROM supplier ORDER BY supplier_id")["supplier_id"]
        if name == "refresh_all":
            done = flags.refresh(store, AS_OF, actor=Actor.system("derive"))
        elif name == "refresh_ids":
            done = flags.refresh(store, AS_OF, ids.to_list(), actor=Actor.system("derive"))
        elif name == "refresh_tenth":
            done = flags.refresh(store, AS_OF, ids.gather_every(10).to_list(), actor=Actor.system("derive"))
        elif name == "baseline":
            sample = ids.head(int(arg)).to_list()
            started_mb = peak_mb()
            started = time.perf_counter()
            counts = yardstick.counts_of(yardstick.derive(store, AS_OF, sample))
            done = None
            result = {"sample": len(sample), "rows": counts.height}
        else:
            raise SystemExit(f"unknown step {name}")
        if done is not None:
            result = {"raised": done.raised, "holding": done.holding}
        result["readiness_rows"] = store.scalar("SELECT count(*) FROM readiness_history")
    result.update(seconds=time.perf_counter() - started, peak_mb=peak_mb(), started_mb=started_mb)
    print(json.dumps(result))


def run(name: str, db: Path, arg: str = "") -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--step", name, str(db), arg], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suppliers", type=int, default=1_000_000)
    parser.add_argument("--baseline-suppliers", type=int, default=20_000)
    parser.add_argument("--step", nargs=3, metavar=("NAME", "DB", "ARG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        step(*args.step)
        return
    _support.print_machine()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    from registry.domain.actor import Actor
    from registry.store import Store
    from registry.store.content import initialise

    n = args.suppliers
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        initialise(Store(db), Actor.system("demo"))
        csv = Path(tmp) / "suppliers.csv"
        csv.write_bytes(supplier_list(n))
        print(f"supplier list: {n:,} rows × 2 columns, {csv.stat().st_size / 1e6:.1f} MB of CSV")

        def show(label: str, r: dict[str, object]) -> None:
            mark = "ok" if r["peak_mb"] <= TARGET_MB else "OVER the 2 GB target"
            print(f"{label:44} {r['seconds']:7.2f} s  peak {r['peak_mb']:7,.0f} MB  ({mark})")

        imported = run("import", db, str(csv))
        show("(a) import + refresh of its suppliers", imported)
        print(
            f"    of which analyse (read and check, no writes): {imported['analyse_s']:.2f} s, "
            f"peak {imported['analyse_mb']:,.0f} MB; files {imported['status']}"
        )
        for warning in imported["warnings"]:
            print(f"    warning: {warning}")
        again = run("refresh_ids", db)
        show(f"(a') refresh for the {n:,} IDs, alone", again)
        tenth = run("refresh_tenth", db)
        show(f"(a'') refresh for {n // 10:,} of them (a tenth)", tenth)
        full = run("refresh_all", db)
        show("(b) refresh over everything (monosashi flags)", full)
        print(f"    readiness_history rows: {full['readiness_rows']:,}")

        k = min(args.baseline_suppliers, n)
        base = run("baseline", db, str(k))
        grown = base["peak_mb"] - base["started_mb"]
        scaled_mb = base["started_mb"] + grown * n / k
        scaled_s = base["seconds"] * n / k
        print(
            f"baseline, the former path (statuses by ID) for {k:,}: {base['seconds']:.2f} s, "
            f"+{grown:,.0f} MB → scaled to {n:,}: {scaled_s:,.0f} s, {scaled_mb:,.0f} MB"
        )
        step_a = again["peak_mb"]
        print(
            f"(a') a whole refresh vs the baseline's one step, scaled: memory {scaled_mb / step_a:.1f}× less, "
            f"time {scaled_s / again['seconds']:.1f}× less"
        )


if __name__ == "__main__":
    main()
