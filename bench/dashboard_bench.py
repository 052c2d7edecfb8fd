"""Dashboards at scale: the data of the Overview, a Supplier page and the Suppliers directory, at
100,000 suppliers by default, each beside a naive way to the same result where there is one.

    python bench/dashboard_bench.py [--suppliers 100000] [--runs 15] [--pages 30]

Builds the demo registry of ``--suppliers`` (default 100,000) and runs the daily flag derivation
once (not timed against anything; its time is printed). Then times, server side, in one process
with the registry held open, the data functions the pages call (median and p95):

- ``dashboard.board``, the Overview's data, over ``--runs`` runs (default 15; target < 1 s);
- the Overview's readiness of every supplier, as ``dashboard.board`` gets it
  (``yardstick.readiness_of``: met and partial counted set-wise by ``portfolio_counts``), over
  ``--runs`` runs, against the naive way to the same frame: every supplier × criterion status
  materialised (``yardstick.derive``) and counted (``counts_of``), then the same
  ``readiness_snapshot``, over max(1, runs // 5) runs. The two frames must be equal, else the script
  exits non-zero;
- ``dashboard.supplier_page`` for ``--pages`` suppliers spread over the registry (default 30),
  once each (target < 300 ms);
- one supplier's status row: ``supplier_status_of`` (walking up from the supplier) against every
  supplier's ``supplier_status`` filtered to it, for 5 suppliers, median of 3; the rows must be
  equal, else the script exits non-zero;
- ``directory.directory`` for four queries, 5 runs each (target < 1 s);
- ``supply_chain.supplier_coverage`` (the sub-network colours; the page caches it per registry
  revision, the bench does not), 3 runs, and its median added to the Supplier page's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import _support
import polars as pl

from registry.domain.actor import Actor
from registry.services import dashboard, directory, flags, kept, supply_chain, yardstick
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
    _support.print_machine()
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
            report(
                "Overview data (dashboard.board), readiness kept",
                times(lambda: dashboard.board(store, AS_OF), args.runs),
                1000,
            )
            report(
                "Overview data (dashboard.board), computed",
                times(lambda: kept.forget() or dashboard.board(store, AS_OF), max(1, args.runs // 3)),
                1000,
            )

            catalogue = yardstick.catalogue_in_force(store)
            everyone = suppliers.supplier_status(store, AS_OF)["supplier_id"]

            def set_based() -> pl.DataFrame:
                kept.forget()  # the computation itself: the pages read it kept until the evidence changes
                return yardstick.readiness_of(store, AS_OF, everyone.to_list())

            def materialised() -> pl.DataFrame:
                statuses = yardstick.derive(store, AS_OF)
                return yardstick.readiness_snapshot(yardstick.counts_of(statuses), everyone, catalogue)

            fast = report("Overview readiness, set-based (readiness_of)", times(set_based, args.runs))
            slow = report(
                "baseline: the same from every status (derive + counts_of)",
                times(materialised, max(1, args.runs // 5)),
            )
            a, b = set_based().sort("supplier_id"), materialised().sort("supplier_id")
            if not a.equals(b):
                sys.exit(
                    f"dashboard_bench: WRONG RESULT: the two readiness frames differ ({a.height:,} and {b.height:,} rows)"
                )
            print(f"  → set-based is {slow / fast:,.1f}× faster; both give the same {a.height:,} rows")
            yardstick.readiness_of(store, AS_OF)
            report(
                "Overview readiness, kept (the pages' read until the evidence changes)",
                times(lambda: yardstick.readiness_of(store, AS_OF), args.runs),
            )

            pages: list[float] = []
            for supplier_id in sample:
                pages += times(lambda s=supplier_id: dashboard.supplier_page(store, AS_OF, s), 1)
            page = report(f"Supplier page data ({len(sample)} suppliers)", pages, 300)

            five = sample[:5]

            def every_status() -> list[dict[str, object]]:
                return [suppliers.supplier_status(store, AS_OF).filter(supplier_id=s).row(0, named=True) for s in five]

            def walking_up() -> list[dict[str, object]]:
                return [suppliers.supplier_status_of(store, AS_OF, s) for s in five]

            if every_status() != walking_up():
                sys.exit("dashboard_bench: WRONG RESULT: supplier_status_of and supplier_status disagree")
            per_old = statistics.median(times(every_status, 3)) / len(five)
            per_new = statistics.median(times(walking_up, 3)) / len(five)
            print(
                f"one supplier's status row: from every supplier's {1000 * per_old:.0f} ms; walking up from it "
                f"{1000 * per_new:.0f} ms ({per_old / per_new:,.1f}× faster; same rows for {len(five)} suppliers)"
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
                "sub-network colours (supplier_coverage, uncached)",
                times(lambda: supply_chain.supplier_coverage(store, AS_OF), 3),
            )
            print(f"first Supplier page after a change, coverage included: about {1000 * (page + coverage):.0f} ms")


if __name__ == "__main__":
    main()
