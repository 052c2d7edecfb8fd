"""Shared by the bench scripts: ``import _support`` makes the tests' builders importable (sample
files and the fuzz harness live in tests/support/, and the benches use the same ones), and
:func:`print_machine` says how busy the machine was when a bench started."""

import os
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))


def print_machine() -> None:
    """Print the load average and the core count, first thing in every bench: a time measured while
    other work shares the cores is longer than on an idle machine, and the reader should know."""
    one, five, fifteen = os.getloadavg()
    cores = os.cpu_count() or 1
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    busy = "  (busy: other work shares the cores; times below are inflated)" if one >= cores / 2 else ""
    print(
        f"machine: load average {one:.2f}, {five:.2f}, {fifteen:.2f} (1, 5, 15 min); "
        f"{cores} cores, {usable} usable by this process; python {sys.version.split()[0]}{busy}",
        flush=True,
    )
