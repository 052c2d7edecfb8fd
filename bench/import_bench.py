"""``monosashi import`` of SCS self-assessment workbooks, each mode in a fresh process, against two
parse-only floors, in one run.

    python bench/import_bench.py [--files 300] [--suppliers 500]

Not timed: N workbooks (``--files``, default 300) of 153 criteria in IPA's official layout
(``tests/support/samples.scs_self_assessment_workbook``, suppliers S000001 … answered on
2026-10-01) written to a temporary folder, and one registry made by ``monosashi demo`` with
``--suppliers`` (default 500, raised to N if smaller), so that every supplier ID exists.

Timed, each as a fresh process (``python -m registry --lang en import --db COPY … FOLDER``) on its
own fresh copy of that registry, so that no in-process cache is shared; the time is the process's
wall time, interpreter start-up and imports included:

- ``--dry-run``: read, parse, check and resolve every file; write nothing;
- ``--all-or-nothing``: the whole batch in one transaction;
- default (per file): a refused file never stops another (the files that passed go in one
  transaction, one at a time only if the registry refuses it).

Each must exit 0; afterwards the dry run's copy must hold the base registry's answer rows and the
writing modes' copies 153 × N more, and N more submissions (counted with duckdb). A wrong result
exits non-zero with a message.

Floors, each in a fresh process over the same N files, timed inside the process once the library
is imported (interpreter start-up excluded; reading each file's bytes included):

- fastexcel: ``fastexcel.read_excel(bytes)`` and ``load_sheet`` of every sheet (eager, into Arrow,
  with the importer's arguments ``header_row=None, dtypes="string"``);
- openpyxl: ``load_workbook(read_only=True, data_only=True)`` and every row of every sheet.

The start-up of an interpreter that imports ``registry.cli`` (the part of each import variant that
does not depend on N) is timed separately, median of 3. Prints one table (variant, files, total s,
ms/file, and ms/file as a multiple of each floor's), then issue 18's targets and whether each is met:
default ≤ 5 ms/file and ≥ 4× faster than openpyxl parse-only; all-or-nothing ≤ 4 ms/file; the app
writes 50 files within 1 s of the click (in a fresh process, the Import page's button: the upload
analysed again, written and compared, timed from the click). A missed target is reported, not an
error.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _support

CRITERIA = 153  # criteria of the ★4 catalogue, one answer row each
TARGET_DEFAULT_MS = 5.0
TARGET_DEFAULT_VS_OPENPYXL = 4.0
TARGET_BATCH_MS = 4.0


def fail(message: str) -> None:
    sys.exit(f"import_bench: WRONG RESULT: {message}")


def floor(parser: str, folder: Path) -> None:
    """Parse every workbook of ``folder`` with ``parser`` only, in this (child) process; one JSON line."""
    paths = sorted(folder.glob("*.xlsx"))
    if parser == "fastexcel":
        import fastexcel

        started = time.perf_counter()
        cells = 0
        for path in paths:
            reader = fastexcel.read_excel(path.read_bytes())
            for name in reader.sheet_names:
                sheet = reader.load_sheet(name, header_row=None, dtypes="string")
                cells += sheet.height * sheet.width
    elif parser == "openpyxl":
        import io

        import openpyxl

        started = time.perf_counter()
        cells = 0
        for path in paths:
            workbook = openpyxl.load_workbook(io.BytesIO(path.read_bytes()), read_only=True, data_only=True)
            for worksheet in workbook.worksheets:
                for row in worksheet.iter_rows(values_only=True):
                    cells += len(row)
            workbook.close()
    else:
        raise SystemExit(f"unknown parser {parser}")
    print(json.dumps({"files": len(paths), "cells": cells, "seconds": time.perf_counter() - started}))


def run_floor(parser: str, folder: Path, files: int) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--floor", parser, str(folder)], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        fail(f"the {parser} floor exited {out.returncode}: {out.stderr.strip()[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["files"] != files or result["cells"] <= 0:
        fail(f"the {parser} floor read {result['files']} files, {result['cells']} cells (expected {files} files)")
    return float(result["seconds"])


APP_FILES = 50  # issue 18: the app writes 50 files within 1 s of the click


def app_click(db: Path, folder: Path) -> None:
    """In a fresh process: what the Import page does on its button for 50 uploaded workbooks, timed
    from the click (the app's process is running: start-up and imports are not part of it). The
    page analyses the upload again, so that the write sees the registry as it is, then writes and
    compares (``dashboards/pages/imports.py``)."""
    from datetime import date

    from registry.domain.actor import Actor
    from registry.services import intake
    from registry.store import Store

    uploads = [(path.name, path.read_bytes()) for path in sorted(folder.iterdir())[:APP_FILES]]
    store = Store(db)
    limits = intake.Limits()
    started = time.perf_counter()
    checked = intake.analyse(
        store, intake.sources_from_uploads(uploads, limits), limits=limits, today=date(2026, 11, 30)
    )
    done, _ = intake.commit_and_compare(
        store, checked, mode="per_file", actor=Actor.person("bench", "buyer"), today=date(2026, 11, 30), lang="ja"
    )
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "imported": sum(r.status == "imported" for r in done)}))


def run_app_click(base: Path, folder: Path, work: Path) -> float:
    """The app's click on a fresh copy of ``base``, in a fresh process: seconds from the click."""
    copy = work / "app.duckdb"
    shutil.copyfile(base, copy)
    out = subprocess.run(
        [sys.executable, __file__, "--app-click", str(copy), str(folder)], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        fail(f"the app's click exited {out.returncode}:\n{out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["imported"] != APP_FILES:
        fail(f"the app's click imported {result['imported']} of {APP_FILES} files")
    return float(result["seconds"])


def startup_seconds(cwd: Path) -> float:
    """Wall time of a fresh interpreter that imports the command line and exits: median of 3."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import registry.cli"], cwd=cwd, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def counts(db: Path) -> tuple[int, int]:
    """Answer rows and submissions in a registry file."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        answers = con.execute("SELECT count(*) FROM answer").fetchone()
        submissions = con.execute("SELECT count(*) FROM submission").fetchone()
    assert answers is not None and submissions is not None
    return int(answers[0]), int(submissions[0])


def run_import(label: str, flags: list[str], base: Path, folder: Path, work: Path) -> tuple[float, Path]:
    """``monosashi import`` with ``flags`` on a fresh copy of ``base``, as a fresh process: wall time."""
    copy = work / f"{label}.duckdb"
    shutil.copyfile(base, copy)
    command = [sys.executable, "-m", "registry", "--lang", "en", "import", "--db", str(copy), *flags, str(folder)]
    started = time.perf_counter()
    out = subprocess.run(command, cwd=work, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if out.returncode != 0:
        fail(f"{' '.join(command[1:])} exited {out.returncode}:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return seconds, copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300, help="workbooks to import (default 300)")
    parser.add_argument("--suppliers", type=int, default=500, help="suppliers in the base registry (default 500)")
    parser.add_argument("--floor", nargs=2, metavar=("PARSER", "FOLDER"), help=argparse.SUPPRESS)
    parser.add_argument("--app-click", nargs=2, metavar=("DB", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        floor(args.floor[0], Path(args.floor[1]))
        return
    if args.app_click:
        app_click(Path(args.app_click[0]), Path(args.app_click[1]))
        return
    _support.print_machine()
    from support import samples

    n = args.files
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = work / "workbooks"
        folder.mkdir()
        started = time.perf_counter()
        for i in range(n):
            supplier_id = f"S{i + 1:06d}"
            data = samples.scs_self_assessment_workbook(supplier_id=supplier_id, answered_on="2026-10-01", seed=i)
            (folder / f"{supplier_id}_scs.xlsx").write_bytes(data)
        size = sum(p.stat().st_size for p in folder.iterdir())
        print(
            f"generated {n:,} workbooks of {CRITERIA} criteria ({size / n / 1024:.0f} KB each) "
            f"in {time.perf_counter() - started:.1f} s (not timed)"
        )
        base = work / "base.duckdb"
        suppliers = max(args.suppliers, n)
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "registry",
                "--lang",
                "en",
                "demo",
                "--db",
                str(base),
                "--suppliers",
                str(suppliers),
            ],
            cwd=work,
            check=True,
            capture_output=True,
        )
        base_answers, base_submissions = counts(base)
        print(
            f"base registry: monosashi demo --suppliers {suppliers:,} ({base_answers:,} answer rows) "
            f"in {time.perf_counter() - started:.1f} s (not timed)"
        )

        startup = startup_seconds(work)
        floors = {name: run_floor(name, folder, n) for name in ("fastexcel", "openpyxl")}
        variants: dict[str, float] = {}
        for label, flags, writes in (
            ("dry-run", ["--dry-run"], False),
            ("all-or-nothing", ["--all-or-nothing"], True),
            ("default (per file)", [], True),
        ):
            seconds, copy = run_import(label.split()[0], flags, base, folder, work)
            answers, submissions = counts(copy)
            expected = (
                (base_answers + CRITERIA * n, base_submissions + n) if writes else (base_answers, base_submissions)
            )
            if (answers, submissions) != expected:
                fail(
                    f"after import {label}: {answers:,} answer rows and {submissions:,} submissions, expected "
                    f"{expected[0]:,} and {expected[1]:,} ({'153 × N more' if writes else 'unchanged'})"
                )
            variants[f"import {label}"] = seconds
        click = run_app_click(base, folder, work) if n >= APP_FILES else None

    ms = {name: 1000 * s / n for name, s in variants.items()}
    floor_ms = {name: 1000 * s / n for name, s in floors.items()}
    rows = [
        *((name, s, ms[name]) for name, s in variants.items()),
        *((f"{name} parse only (floor)", floors[name], floor_ms[name]) for name in floors),
    ]
    print()
    print(f"{'variant':34} {'files':>6} {'total s':>8} {'ms/file':>8} {'× openpyxl':>11} {'× fastexcel':>12}")
    for name, seconds, per_file in rows:
        print(
            f"{name:34} {n:6,} {seconds:8.2f} {per_file:8.2f} "
            f"{per_file / floor_ms['openpyxl']:10.2f}x {per_file / floor_ms['fastexcel']:11.2f}x"
        )
    print(
        "(imports: the process's wall time, start-up included; floors: timed inside the process, start-up excluded; "
        "× floor = ms/file ÷ the floor's ms/file)"
    )
    per_file_startup = 1000 * startup / n
    print(
        f"start-up of an interpreter importing registry.cli: {1000 * startup:.0f} ms per process "
        f"(= {per_file_startup:.2f} ms/file at {n:,} files; "
        + ", ".join(f"{name} {ms[name] - per_file_startup:.2f}" for name in ms)
        + " ms/file without it)"
    )

    default_ms = ms["import default (per file)"]
    batch_ms = ms["import all-or-nothing"]
    faster = floor_ms["openpyxl"] / default_ms
    if click is not None:
        print(
            f"the app: {APP_FILES} files analysed again, written and compared in {click:.2f} s from the click "
            f"({1000 * click / APP_FILES:.1f} ms/file; in a running app, so no start-up)"
        )
    print()
    print("issue 18's targets (on the wall times above, start-up included):")
    for text, met in (
        (f"default ≤ {TARGET_DEFAULT_MS:g} ms/file: {default_ms:.2f} ms/file", default_ms <= TARGET_DEFAULT_MS),
        (
            f"default ≥ {TARGET_DEFAULT_VS_OPENPYXL:g}× faster than openpyxl parse-only: openpyxl "
            f"{floor_ms['openpyxl']:.2f} ms/file ÷ default {default_ms:.2f} ms/file = {faster:.2f}×",
            faster >= TARGET_DEFAULT_VS_OPENPYXL,
        ),
        (f"all-or-nothing ≤ {TARGET_BATCH_MS:g} ms/file: {batch_ms:.2f} ms/file", batch_ms <= TARGET_BATCH_MS),
        *(
            [(f"the app writes {APP_FILES} files within 1 s of the click: {click:.2f} s", click <= 1.0)]
            if click is not None
            else []
        ),
    ):
        print(f"  {'met    ' if met else 'MISSED '} {text}")
    print(f"results checked: every import exited 0; the writing modes added {CRITERIA * n:,} answer rows each")


if __name__ == "__main__":
    main()
