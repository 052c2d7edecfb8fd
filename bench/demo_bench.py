"""Demo registry at scale: generate and write N suppliers, against a row-by-row baseline.

    python bench/demo_bench.py [--suppliers 100000] [--baseline-rows 5000]

The baseline writes the same supplier rows one INSERT at a time (executemany), the way a naive
loader would; its time per row is compared with the set-based write of the whole registry.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from registry.domain.actor import Actor
from registry.services.demo import generate_demo
from registry.store import Store
from registry.store.content import initialise, replace_demo


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suppliers", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=5_000)
    args = parser.parse_args()
    as_of = date(2026, 11, 23)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.duckdb")
        initialise(store, Actor.system("demo"))

        started = time.perf_counter()
        data = generate_demo(args.suppliers, seed=1, as_of=as_of)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        replace_demo(store, data, Actor.system("demo"), seed=1)
        written = time.perf_counter() - started

        # Same rows both ways: the first N suppliers, row by row and then set-wise.
        rows = data.suppliers.head(args.baseline_rows)
        columns = [
            "supplier_id",
            "name",
            "name_key",
            "corporate_number",
            "industry",
            "employees",
            "prefecture",
            "has_security_staff",
        ]
        started = time.perf_counter()
        with store.transaction(Actor.system("demo")) as tx:
            tx.execute("DELETE FROM supplier")
            tx.con.executemany(
                f"INSERT INTO supplier ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                rows.select(columns).rows(),
            )
        baseline = time.perf_counter() - started
        started = time.perf_counter()
        with store.transaction(Actor.system("demo")) as tx:
            tx.execute("DELETE FROM supplier")
            tx.insert_frame("supplier", rows.select(columns))
        set_based = time.perf_counter() - started

    answers = data.answers.height if data.answers is not None else 0
    print(
        f"suppliers {data.suppliers.height:,}  links {data.links.height:,}  certificates {data.certificates.height:,}  "
        f"requests {data.requests.height:,}  answers {answers:,}"
    )
    print(f"generate            {generated:8.2f} s")
    print(f"write all (one transaction, set-based) {written:8.2f} s")
    print(f"generate + write    {generated + written:8.2f} s  (target < 60 s)")
    print(
        f"{rows.height:,} supplier rows: executemany {1000 * baseline:.0f} ms, set-based {1000 * set_based:.0f} ms "
        f"-> ratio {baseline / set_based:.0f}x"
    )


if __name__ == "__main__":
    main()
