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

from registry.demo import generate_demo
from registry.records import initialise, replace_demo
from registry.store import Store


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suppliers", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=5_000)
    args = parser.parse_args()
    as_of = date(2026, 11, 23)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.duckdb")
        initialise(store, "bench")

        started = time.perf_counter()
        data = generate_demo(args.suppliers, seed=1, as_of=as_of)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        replace_demo(store, data, "bench", seed=1)
        written = time.perf_counter() - started

        rows = data.suppliers.head(args.baseline_rows)
        started = time.perf_counter()
        with store.transaction("bench") as tx:
            tx.execute("DELETE FROM supplier")
            tx.con.executemany(
                "INSERT INTO supplier (supplier_id, name, name_key, corporate_number, industry, employees, prefecture, has_security_staff) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows.select(
                    "supplier_id",
                    "name",
                    "name_key",
                    "corporate_number",
                    "industry",
                    "employees",
                    "prefecture",
                    "has_security_staff",
                ).rows(),
            )
        baseline = time.perf_counter() - started

    total_rows = data.suppliers.height + data.links.height + data.certificates.height + data.requests.height
    per_row_set = written / total_rows
    per_row_baseline = baseline / rows.height
    print(
        f"suppliers {data.suppliers.height:,}  links {data.links.height:,}  certificates {data.certificates.height:,}  requests {data.requests.height:,}"
    )
    print(f"generate            {generated:8.2f} s")
    print(f"write (set-based)   {written:8.2f} s  ({per_row_set * 1e6:.1f} µs/row over {total_rows:,} rows)")
    print(
        f"baseline executemany {baseline:7.2f} s  ({per_row_baseline * 1e6:.1f} µs/row over {rows.height:,} supplier rows)"
    )
    print(f"generate + write    {generated + written:8.2f} s  (target < 60 s)")
    print(f"ratio baseline/set per row: {per_row_baseline / per_row_set:.0f}x")


if __name__ == "__main__":
    main()
