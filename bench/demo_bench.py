"""Demo registry at scale: the whole ``monosashi demo`` command, its parts, and the same supplier rows
written row by row against set-wise, in one run.

    python bench/demo_bench.py [--suppliers 100000] [--baseline-rows 5000]

First the command people run, ``monosashi demo --suppliers N`` (generate, write, and the flag and
readiness history of six months and today), as a fresh process on a new file: its wall time and
its peak memory (the child's maximum resident set; issue 18's targets: under 30 s and at most
1.5 GB at 100,000 suppliers), and that the registry it leaves holds N suppliers, seven days of
readiness and flags.

Times, in one process on a fresh registry: ``generate_demo`` of ``--suppliers`` (default 100,000)
and ``replace_demo`` writing all of it in one transaction (target: both together < 60 s). Then the
first ``--baseline-rows`` supplier rows (default 5,000), written into the emptied supplier table
twice, each in its own transaction: row by row (one INSERT per row through ``executemany``, the
naive loader) and set-wise (``insert_frame``); each must leave exactly those rows (else the script
exits non-zero), and the ratio of the two times is printed.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import _support
import polars as pl

from registry.domain.actor import Actor
from registry.services.demo import generate_demo
from registry.store import Store
from registry.store.content import initialise, replace_demo


def check(store: Store, rows: pl.DataFrame, how: str) -> None:
    """The supplier table holds exactly ``rows``' supplier IDs."""
    written = store.frame("SELECT supplier_id FROM supplier ORDER BY supplier_id")["supplier_id"].to_list()
    if written != sorted(rows["supplier_id"].to_list()):
        sys.exit(
            f"demo_bench: WRONG RESULT: written {how}, the supplier table holds {len(written):,} rows, not {rows.height:,}"
        )


def whole_command(suppliers: int) -> None:
    """``monosashi demo`` as people run it, in a fresh process: wall time, peak memory, result."""
    import duckdb

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.duckdb"
        command = [sys.executable, "-m", "registry", "demo", "--db", str(db), "--suppliers", str(suppliers)]
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        seconds = time.perf_counter() - started
        peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
        with duckdb.connect(str(db), read_only=True) as con:
            held = con.execute(
                "SELECT (SELECT count(*) FROM supplier), (SELECT count(DISTINCT taken_on) FROM readiness_history), "
                "(SELECT count(*) FROM flag), (SELECT count(*) FROM audit_log WHERE action = 'derive_flags')"
            ).fetchone()
    assert held is not None
    if held[0] != suppliers or held[1] < 2 or held[3] != 7:
        sys.exit(f"monosashi demo left {held[0]:,} suppliers, {held[1]} days of readiness, {held[3]} derivations")
    print(
        f"monosashi demo --suppliers {suppliers:,}: {seconds:.1f} s, peak {peak_gb:.2f} GB "
        f"(targets: < 30 s, <= 1.5 GB); {held[2]:,} flags, readiness kept on {held[1]} days, 7 derivations"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suppliers", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=5_000)
    args = parser.parse_args()
    _support.print_machine()
    whole_command(args.suppliers)
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
            "created_at",  # required: the store sets no default time (registry/clock.py is the one clock)
        ]
        started = time.perf_counter()
        with store.transaction(Actor.system("demo")) as tx:
            tx.execute("DELETE FROM supplier")
            tx.con.executemany(
                f"INSERT INTO supplier ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                rows.select(columns).rows(),
            )
        baseline = time.perf_counter() - started
        check(store, rows, "row by row")
        started = time.perf_counter()
        with store.transaction(Actor.system("demo")) as tx:
            tx.execute("DELETE FROM supplier")
            tx.insert_frame("supplier", rows.select(columns))
        set_based = time.perf_counter() - started
        check(store, rows, "set-wise")

    answers = data.answers.height if data.answers is not None else 0
    print(
        f"suppliers {data.suppliers.height:,}  links {data.links.height:,}  certificates {data.certificates.height:,}  "
        f"requests {data.requests.height:,}  answers {answers:,}"
    )
    print(f"generate            {generated:8.2f} s")
    print(f"write all (one transaction, set-based) {written:8.2f} s")
    print(f"generate + write    {generated + written:8.2f} s  (target < 60 s)")
    print(
        f"the same {rows.height:,} supplier rows: row by row (executemany) {1000 * baseline:.0f} ms, "
        f"set-wise (insert_frame) {1000 * set_based:.0f} ms -> set-wise is {baseline / set_based:.1f}x faster"
    )


if __name__ == "__main__":
    main()
