"""Flag derivation at scale: the daily derivation over 100,000 suppliers.

    python bench/flags_bench.py [--suppliers 100000] [--sample 20]

Builds the demo registry (with its self-assessments and certificates), then times:
the first full derivation (every flag new), a second one (every flag reconciled with its stored
row), and the refresh after an import of a few suppliers. The baseline, run in the same process,
derives the same rules one supplier at a time (``--sample`` suppliers, scaled to all of them).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from registry.domain.actor import Actor
from registry.services import flags
from registry.services.demo import generate_demo
from registry.store import Store
from registry.store.content import initialise, replace_demo

AS_OF = date(2026, 11, 23)


def timed(function):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suppliers", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.duckdb")
        initialise(store, Actor.system("demo"))
        replace_demo(store, generate_demo(args.suppliers, 1, AS_OF), Actor.system("demo"), seed=1)
        ids = store.frame("SELECT supplier_id FROM supplier ORDER BY supplier_id")["supplier_id"].to_list()
        print(f"{len(ids):,} suppliers")
        with store.held_open():
            derive_s, derived = timed(lambda: flags.derive(store, AS_OF))
            print(f"derive every rule over every supplier:     {derive_s:7.2f} s  ({derived.height:,} flags)")
            first_s, first = timed(lambda: flags.refresh(store, AS_OF, actor=Actor.system("derive")))
            print(f"first refresh (all new, one transaction):  {first_s:7.2f} s  ({first.raised:,} raised)")
            again_s, again = timed(lambda: flags.refresh(store, AS_OF, actor=Actor.system("derive")))
            print(f"next day's refresh (all reconciled):       {again_s:7.2f} s  ({again.still_holding:,} kept)")
            few = ids[:: max(1, len(ids) // 10)][:10]
            after_import = [
                timed(lambda: flags.refresh(store, AS_OF, few, actor=Actor.system("derive")))[0] for _ in range(3)
            ]
            print(f"refresh after an import of 10 suppliers:   {statistics.median(after_import):7.2f} s")
            sample = ids[:: max(1, len(ids) // args.sample)][: args.sample]
            loop_s, _ = timed(lambda: [flags.derive(store, AS_OF, [s]) for s in sample])
            per_supplier = loop_s / len(sample)
            print(
                f"baseline, one supplier at a time:          {per_supplier * 1000:7.1f} ms/supplier "
                f"→ {per_supplier * len(ids):,.0f} s for all"
            )
            print(f"set-based derivation is {per_supplier * len(ids) / derive_s:,.0f}× the baseline")


if __name__ == "__main__":
    main()
