"""Dashboards at scale: the Overview's data and a Supplier page's data at 100,000 suppliers.

    python bench/dashboard_bench.py [--suppliers 100000] [--runs 15] [--pages 30]

Builds the demo registry, derives the flags once (which records readiness, as the daily
derivation does), then times, server side, the data functions the pages call:
``dashboard.board`` (Overview), ``dashboard.supplier_page`` (Supplier page, for ``--pages``
different suppliers) and ``directory.directory`` (Suppliers list), median and p95 over the runs. Baselines in the same process: the Overview
with readiness derived live instead of read from its record, and the supplier's status read from
every supplier's status, as the pages did before. Targets: Overview data under 1 s, a supplier
page under 300 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from registry.domain.actor import Actor
from registry.services import dashboard, directory, flags, supply_chain, yardstick
from registry.services.demo import generate_demo
from registry.store import Store, suppliers
from registry.store.content import initialise, replace_demo

AS_OF = date(2026, 11, 23)


def times(function, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        out.append(time.perf_counter() - started)
    return out


def report(name: str, seconds: list[float], target_ms: float | None = None) -> float:
    ordered = sorted(seconds)
    median = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    target = f"  (target < {target_ms:,.0f} ms)" if target_ms else ""
    print(f"{name:58} median {1000 * median:7.0f} ms   p95 {1000 * p95:7.0f} ms{target}")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suppliers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--pages", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.duckdb")
        initialise(store, Actor.system("demo"))
        replace_demo(store, generate_demo(args.suppliers, 1, AS_OF), Actor.system("demo"), seed=1)
        started = time.perf_counter()
        flags.refresh(store, AS_OF, actor=Actor.system("derive"))
        print(f"{args.suppliers:,} suppliers; the daily derivation took {time.perf_counter() - started:.1f} s")
        ids = store.frame("SELECT supplier_id FROM supplier ORDER BY supplier_id")["supplier_id"].to_list()
        sample = ids[:: max(1, len(ids) // args.pages)][: args.pages]
        with store.held_open():
            dashboard.board(store, AS_OF)  # warm the catalogue and crosswalk frames
            overview = report(
                "Overview data (dashboard.board)", times(lambda: dashboard.board(store, AS_OF), args.runs), 1000
            )

            def live_board() -> None:
                status = suppliers.supplier_status(store, AS_OF)
                counts = yardstick.portfolio_counts(store, AS_OF)
                yardstick.readiness_snapshot(counts, status["supplier_id"], yardstick.catalogue_in_force(store))
                dashboard.board(store, AS_OF)

            live = report("baseline: the same with readiness derived live", times(live_board, max(3, args.runs // 5)))
            print(f"  → reading readiness from its record: {live / overview:,.1f}× the baseline")

            pages = [0.0] * 0
            for supplier_id in sample:
                pages += times(lambda s=supplier_id: dashboard.supplier_page(store, AS_OF, s), 1)
            page = report(f"Supplier page data ({len(sample)} suppliers)", pages, 300)

            def old_status() -> None:
                for supplier_id in sample[:5]:
                    suppliers.supplier_status(store, AS_OF).filter(supplier_id=supplier_id)

            per_old = statistics.median(times(old_status, 3)) / 5
            per_new = (
                statistics.median(times(lambda: [suppliers.supplier_status_of(store, AS_OF, s) for s in sample[:5]], 3))
                / 5
            )
            print(
                f"baseline: one supplier's status from every supplier's: {1000 * per_old:.0f} ms; walking up from it: "
                f"{1000 * per_new:.0f} ms ({per_old / per_new:,.0f}×)"
            )
            for name, query in (
                ("Suppliers directory, first page", directory.DirectoryQuery()),
                ("  searching a name, sorted by readiness", directory.DirectoryQuery(search="精工", sort="readiness")),
                (
                    "  tier 1–2 below their request, critical flags",
                    directory.DirectoryQuery(tiers=[1, 2], below_request=True, severities=["critical"]),
                ),
                ("  page 1,000 of 2,000", directory.DirectoryQuery(page=1000, page_size=50)),
            ):
                report(name, times(lambda q=query: directory.directory(store, AS_OF, q), 5), 1000)
            coverage = report(
                "sub-network colours (coverage of all, cached per revision)",
                times(lambda: supply_chain.supplier_coverage(store, AS_OF), 3),
            )
            print(f"first Supplier page after a change, coverage included: about {1000 * (page + coverage):.0f} ms")


if __name__ == "__main__":
    main()
