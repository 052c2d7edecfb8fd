"""The codebase stays ruff clean (lint and format), including the import boundary rules."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(
    shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists(),
    reason="ruff is not installed (pip install -e '.[test]')",
)
@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]])
def test_ruff(args):
    ruff = str(Path(sys.executable).parent / "ruff") if (Path(sys.executable).parent / "ruff").exists() else "ruff"
    result = subprocess.run([ruff, *args], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_streamlit_is_imported_only_by_the_ui():
    for package in ("registry", "importers", "questionnaires"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert "import streamlit" not in text and "from streamlit" not in text, path


def test_nothing_reads_the_shared_folder():
    shared = "/".join(("..", "shared"))  # spelled so that this file does not name it either
    for package in ("registry", "importers", "questionnaires", "dashboards", "tests", "bench"):
        for path in (ROOT / package).rglob("*.py"):
            assert shared not in path.read_text(encoding="utf-8"), path


def test_one_clock():
    """Only registry/clock.py reads the wall clock; no SQL asks DuckDB for the time (its clock is
    not the one tests set), so the program has one "today" and tests decide what it is."""
    import re

    reads = re.compile(r"date\.today\(\)|datetime\.(now|utcnow|today)\(|time\.time\(\)")
    asks_duckdb = re.compile(r"current_(timestamp|date|time)|\bnow\(\)|\btoday\(\)|get_current_time", re.IGNORECASE)
    for package in ("registry", "importers", "questionnaires", "dashboards"):
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "registry" / "clock.py":
                continue
            text = path.read_text(encoding="utf-8")
            assert not reads.search(text), f"{path} reads the wall clock; use registry.clock"
            assert not asks_duckdb.search(text.replace("clock.today()", "").replace("clock.now()", "")), path
    for path in (ROOT / "registry" / "migrations").glob("*.sql"):
        if int(path.name[:4]) >= 8:  # earlier migrations are history; 0008 dropped their clock defaults
            assert "current_timestamp" not in re.sub(r"--.*", "", path.read_text(encoding="utf-8")), path
