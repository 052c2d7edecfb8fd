"""Tiers and coverage at scale: 100,000 suppliers and 300,000 links by default.

    python bench/supply_chain_bench.py [--suppliers 100000] [--links 300000]

Builds the demo registry of ``--suppliers`` and adds links (extra parents one tier up, plus about
1 % going back up the chain: cycles) until there are ``--links`` of them (not timed). Then, with
the registry held open, times the median of 5 runs of tiers + coverage of every supplier
(``supply_chain.supplier_coverage``, target < 5 s) and of each query of the Supply-chain page on
that coverage (target < 500 ms each). For reference only, not as a baseline of the same work: a
Python breadth-first search of the tiers alone (no coverage), timed once; its tiers must equal
the SQL ones, else the script exits non-zero.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict, deque
from datetime import date
from pathlib import Path

import _support
import polars as pl

from registry.domain.actor import Actor
from registry.domain.models import BUYER_ID
from registry.services import supply_chain
from registry.services.demo import generate_demo
from registry.store import Store
from registry.store.content import RegistryData, initialise, replace_demo

AS_OF = date(2026, 11, 23)


def median_ms(function, runs: int = 5) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def python_tiers(links: pl.DataFrame) -> dict[str, int]:
    """The baseline: breadth-first search over a dict of children."""
    children = defaultdict(list)
    for parent, child in links.select("parent_id", "child_id").iter_rows():
        children[parent].append(child)
    tiers: dict[str, int] = {}
    queue = deque((c, 1) for c in children[BUYER_ID])
    while queue:
        node, tier = queue.popleft()
        if node in tiers:
            continue
        tiers[node] = tier
        queue.extend((c, tier + 1) for c in children[node] if c not in tiers)
    return tiers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suppliers", type=int, default=100_000)
    parser.add_argument("--links", type=int, default=300_000)
    args = parser.parse_args()
    _support.print_machine()
    data = generate_demo(args.suppliers, 1, AS_OF)
    rng = random.Random(7)
    ids = data.suppliers["supplier_id"].to_list()
    n1, n2 = round(len(ids) * 0.1), round(len(ids) * 0.3)
    extra = set()
    existing = set(data.links.select("parent_id", "child_id").iter_rows())
    while len(existing) + len(extra) < args.links:
        if rng.random() < 0.01:  # a few links back up the chain: cycles
            parent, child = ids[n1 + rng.randrange(len(ids) - n1)], ids[rng.randrange(n1)]
        elif rng.random() < 0.4:
            parent, child = ids[rng.randrange(n1)], ids[n1 + rng.randrange(n2)]
        else:
            parent, child = ids[n1 + rng.randrange(n2)], ids[n1 + n2 + rng.randrange(len(ids) - n1 - n2)]
        if (parent, child) not in existing:
            extra.add((parent, child))
    links = pl.concat(
        [
            data.links,
            pl.DataFrame(
                {
                    "parent_id": [p for p, _ in extra],
                    "child_id": [c for _, c in extra],
                    "supplied": [None] * len(extra),
                    "source": ["bench"] * len(extra),
                    "critical": [False] * len(extra),
                },
                schema=data.links.schema,
            ),
        ]
    )
    data = RegistryData(**{**data.__dict__, "links": links})
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.duckdb")
        initialise(store, Actor.system("demo"))
        replace_demo(store, data, Actor.system("demo"), seed=1)
        print(f"{len(ids):,} suppliers, {links.height:,} links")
        with store.held_open():
            coverage = supply_chain.supplier_coverage(store, AS_OF)
            full = median_ms(lambda: supply_chain.supplier_coverage(store, AS_OF))
            print(f"tiers + coverage (supplier_coverage): {full:8.0f} ms (target < 5,000 ms)")
            for name, function in (
                ("coverage per tier", lambda: supply_chain.coverage_by_tier(coverage)),
                ("concentration (fan-in)", lambda: supply_chain.concentration(store, coverage)),
                ("uncovered critical paths", lambda: supply_chain.uncovered_critical_paths(store, coverage)),
                ("network outline (by tier)", lambda: supply_chain.network_outline(store, coverage)),
                ("one supplier's outline", lambda: supply_chain.sub_network_outline(store, "S000001", coverage)),
            ):
                print(f"  page query, {name:28} {median_ms(function):8.0f} ms (target < 500 ms)")
        started = time.perf_counter()
        tiers = python_tiers(links)
        loop = time.perf_counter() - started
        sql_tiers = dict(coverage.filter(pl.col("tier").is_not_null()).select("supplier_id", "tier").iter_rows())
        print(f"python BFS of the tiers alone (reference, less work than supplier_coverage): {1000 * loop:.0f} ms")
        if tiers != sql_tiers:
            differ = sum(tiers.get(k) != sql_tiers.get(k) for k in tiers.keys() | sql_tiers.keys())
            sys.exit(f"supply_chain_bench: WRONG RESULT: the BFS and SQL tiers differ for {differ:,} suppliers")
        print(f"check: the BFS and SQL give the same tier for all {len(sql_tiers):,} suppliers with one")


if __name__ == "__main__":
    main()
