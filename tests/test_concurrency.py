"""Several browser sessions and a CLI import writing one registry at once: no write lost, and no
reader ever sees half an import."""

from __future__ import annotations

import io
import random
import subprocess
import sys
import threading
import time
import zipfile
from datetime import date
from pathlib import Path

from conftest import make_store
from support import samples

from importers.base import SourceFile
from registry.domain.actor import Actor
from registry.services import intake
from registry.store import Store

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 23)
ANSWERS = 153  # criteria in an SCS ★4 self-assessment of the final catalogue


def workbook_variants(supplier_ids: list[str], seed: int = 1) -> dict[str, bytes]:
    """One SCS ★4 self-assessment per supplier, fast: the workbook is made once by openpyxl and
    only the supplier ID cell is rewritten in its sheet XML (every file has its own SHA-256)."""
    template_id = "S999999"
    template = samples.scs_self_assessment_workbook(supplier_id=template_id, seed=seed)
    with zipfile.ZipFile(io.BytesIO(template)) as source:
        members = [(info, source.read(info.filename)) for info in source.infolist()]
    out = {}
    for supplier_id in supplier_ids:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
            for info, data in members:
                if info.filename == "xl/worksheets/sheet1.xml":
                    assert data.count(f">{template_id}<".encode()) == 1
                    data = data.replace(f">{template_id}<".encode(), f">{supplier_id}<".encode())
                target.writestr(info, data)
        out[supplier_id] = buffer.getvalue()
    return out


# One statement, so one snapshot: what a page would show at that instant.
INVARIANTS = f"""
WITH per_submission AS (SELECT submission_id, count(*) AS answers FROM answer GROUP BY submission_id),
imported AS (SELECT * FROM submission WHERE format <> 'demo')
SELECT
    (SELECT count(*) FROM imported) AS submissions,
    (SELECT count(*) FROM imported s LEFT JOIN per_submission a USING (submission_id)
        WHERE coalesce(a.answers, 0) <> {ANSWERS}) AS partial_submissions,
    (SELECT count(*) FROM import_file f WHERE f.status = 'imported'
        AND NOT EXISTS (SELECT 1 FROM submission s WHERE s.import_id = f.import_id)) AS files_without_submission,
    (SELECT count(*) FROM imported s
        WHERE NOT EXISTS (SELECT 1 FROM import_file f WHERE f.import_id = s.import_id)) AS submissions_without_file,
    (SELECT count(*) FROM import_file WHERE status = 'imported') AS imported_files,
    (SELECT count(*) FROM audit_log WHERE action = 'import_file') AS audited_files
"""


def check_invariants(row: dict[str, int]) -> list[str]:
    """What is wrong with one snapshot (empty when it is consistent)."""
    problems = [
        f"{row[k]} {k.replace('_', ' ')}"
        for k in ("partial_submissions", "files_without_submission", "submissions_without_file")
        if row[k]
    ]
    if not row["submissions"] == row["imported_files"] == row["audited_files"]:
        problems.append(
            f"{row['submissions']} submissions, {row['imported_files']} imported files, {row['audited_files']} audit lines"
        )
    return problems


def test_sessions_and_a_cli_import_at_once_lose_nothing_and_show_no_half_import(tmp_path: Path):
    path = tmp_path / "r.duckdb"
    make_store(path, suppliers=40, seed=4)
    store = Store(path, lock_timeout=30)  # the sessions wait for the CLI process as long as it needs
    sessions, per_session = 4, 5
    session_ids = [[f"S{1 + s * per_session + k:06d}" for k in range(per_session)] for s in range(sessions)]
    cli_ids = [f"S{31 + k:06d}" for k in range(6)]
    files = workbook_variants([i for ids in session_ids for i in ids] + cli_ids)
    cli_dir = tmp_path / "cli"
    cli_dir.mkdir()
    for supplier_id in cli_ids:
        (cli_dir / f"{supplier_id}.xlsx").write_bytes(files[supplier_id])

    errors: list[str] = []
    snapshots: list[dict[str, int]] = []
    done = threading.Event()

    def session(number: int) -> None:
        rng = random.Random(number)
        try:
            ids = session_ids[number]
            for start in range(0, len(ids), 2):  # a person drops one or two files at a time
                chunk = ids[start : start + 2]
                reports = intake.analyse(store, [SourceFile(f"{i}.xlsx", files[i]) for i in chunk])
                mode = "batch" if number % 2 else "per_file"
                reports = intake.commit(
                    store, reports, mode=mode, actor=Actor.person(f"session{number}", "buyer"), today=TODAY
                )
                if [r.status for r in reports] != ["imported"] * len(chunk):
                    errors.append(f"session {number}: {[(r.name, r.status, r.errors) for r in reports]}")
                time.sleep(rng.uniform(0, 0.05))
        except Exception as exc:
            errors.append(f"session {number}: {type(exc).__name__}: {exc}")

    def reader() -> None:
        try:
            while not done.is_set():
                row = store.frame(INVARIANTS).row(0, named=True)
                snapshots.append(row)
                if problems := check_invariants(row):
                    errors.append(f"reader saw {', '.join(problems)}")
                time.sleep(0.01)
        except Exception as exc:
            errors.append(f"reader: {type(exc).__name__}: {exc}")

    started = time.monotonic()
    cli = subprocess.Popen(
        [sys.executable, "-m", "registry", "import", str(cli_dir), "--db", str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    threads = [threading.Thread(target=session, args=(n,)) for n in range(sessions)]
    watcher = threading.Thread(target=reader)
    for thread in [watcher, *threads]:
        thread.start()
    try:
        for thread in threads:
            thread.join(timeout=60)
        cli_output, _ = cli.communicate(timeout=60)
    finally:
        done.set()
        watcher.join(timeout=30)
        if cli.poll() is None:
            cli.kill()
    elapsed = time.monotonic() - started

    assert cli.returncode == 0, cli_output
    assert not errors, errors[:5]
    expected = {i: files[i] for ids in session_ids for i in ids} | {i: files[i] for i in cli_ids}
    final = store.frame(INVARIANTS).row(0, named=True)
    assert check_invariants(final) == []
    assert final["submissions"] == len(expected)  # no write lost
    landed = store.frame("SELECT supplier_id, sha256, imported_by FROM submission WHERE format <> 'demo'")
    assert sorted(landed["supplier_id"].to_list()) == sorted(expected)
    import hashlib

    assert {r["supplier_id"]: r["sha256"] for r in landed.to_dicts()} == {
        i: hashlib.sha256(data).hexdigest() for i, data in expected.items()
    }
    by = landed.group_by("imported_by").len()
    assert by.filter(by["imported_by"].str.starts_with("cli")).height == 1  # the CLI process wrote its files
    assert len(snapshots) >= 10, "the reader hardly ran"
    seen = {s["submissions"] for s in snapshots}
    assert len(seen) > 2, f"the reader saw only {sorted(seen)}: the writes did not overlap it"
    assert elapsed < 60


def test_another_process_gets_a_turn_while_sessions_keep_importing(tmp_path: Path):
    """Liveness, not safety: the README promises that the app and the CLI share the file. With four
    sessions importing back to back, a command waiting 3 s for the file should get in."""
    path = tmp_path / "r.duckdb"
    make_store(path, suppliers=40, seed=4)
    store = Store(path, lock_timeout=30)
    ids = [f"S{i:06d}" for i in range(1, 41)]
    files = workbook_variants(ids)
    stop = threading.Event()

    def session(number: int) -> None:
        for supplier_id in ids[number::4]:
            if stop.is_set():
                return
            reports = intake.analyse(store, [SourceFile(f"{supplier_id}.xlsx", files[supplier_id])])
            intake.commit(store, reports, mode="per_file", actor=Actor.person(f"session{number}", "buyer"), today=TODAY)

    threads = [threading.Thread(target=session, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        other = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from registry.store import Store; Store(sys.argv[1], lock_timeout=3).scalar('SELECT 1')",
                str(path),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert other.returncode == 0, other.stderr.strip().splitlines()[-1]
