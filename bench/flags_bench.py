"""Flag derivation at scale: the daily derivation, at 100,000 suppliers by default, against one
supplier at a time.

    python bench/flags_bench.py [--suppliers 100000] [--sample 20]

Builds the demo registry of ``--suppliers`` (default 100,000; with its self-assessments and
certificates; not timed), then times, in one process with the registry held open:

- ``flags.derive`` over every supplier (every rule evaluated, nothing written);
- the first ``flags.refresh`` (every flag new, one transaction);
- a second ``flags.refresh`` on the same date (every flag reconciled with its stored row);
- ``flags.refresh`` for 10 suppliers spread over the registry, as after an import (median of 3).

The baseline, in the same process, is ``flags.derive`` one supplier at a time for ``--sample``
suppliers (default 20) spread over the registry; its flags must equal the set-based derivation's
for those suppliers (else the script exits non-zero), and its time per supplier is scaled to all
of them and compared with the set-based ``flags.derive`` above.
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
    _support.print_machine()
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
            print(f"second refresh, same date (all reconciled): {again_s:6.2f} s  ({again.still_holding:,} kept)")
            few = ids[:: max(1, len(ids) // 10)][:10]
            after_import = [
                timed(lambda: flags.refresh(store, AS_OF, few, actor=Actor.system("derive")))[0] for _ in range(3)
            ]
            print(f"refresh after an import of 10 suppliers:   {statistics.median(after_import):7.2f} s")
            sample = ids[:: max(1, len(ids) // args.sample)][: args.sample]
            loop_s, one_by_one = timed(lambda: [flags.derive(store, AS_OF, [s]) for s in sample])
            per_supplier = loop_s / len(sample)
            looped = pl.concat(one_by_one)
            expected = derived.filter(pl.col("supplier_id").is_in(sample))
            if not looped.sort(looped.columns).equals(expected.sort(expected.columns)):
                sys.exit(
                    f"flags_bench: WRONG RESULT: one supplier at a time gives {looped.height:,} flags for the sample, "
                    f"the set-based derivation {expected.height:,} (or different rows)"
                )
            print(
                f"baseline, one supplier at a time:          {per_supplier * 1000:7.1f} ms/supplier "
                f"→ {per_supplier * len(ids):,.0f} s for all"
            )
            print(f"check: both give the same {expected.height:,} flags for the {len(sample)} sampled suppliers")
            print(
                f"set-based flags.derive is {per_supplier * len(ids) / derive_s:,.0f}× faster than the scaled baseline"
            )


if __name__ == "__main__":
    main()
