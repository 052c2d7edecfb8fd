import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from registry.cli import main


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_python_dash_m_registry_shows_help():
    out = subprocess.run(
        [sys.executable, "-m", "registry", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("init", "demo", "catalogue", "suppliers", "serve"):
        assert command in out


def test_init_twice_is_a_no_op(tmp_path: Path):
    db = str(tmp_path / "r.duckdb")
    first = run("init", "--db", db)
    assert first.exit_code == 0 and "applied migrations 1" in first.output
    second = run("init", "--db", db)
    assert second.exit_code == 0 and "up to date" in second.output


def test_db_comes_from_the_environment(tmp_path: Path):
    db = tmp_path / "env.duckdb"
    assert run("init", env={"MONOSASHI_DB": str(db)}).exit_code == 0
    assert db.exists()


def test_catalogue_json_prints_43_requirements_and_153_criteria():
    result = run("catalogue", "--json")
    doc = json.loads(result.output)
    assert (doc["version"], len(doc["requirements"]), len(doc["criteria"])) == ("2026-03-27", 43, 153)
    draft = json.loads(run("catalogue", "--version", "2025-12", "--json").output)
    assert (len(draft["requirements"]), len(draft["criteria"])) == (44, 157)


def test_demo_then_list_as_json(tmp_path: Path):
    db = str(tmp_path / "r.duckdb")
    result = run("demo", "--db", db, "--suppliers", "40", "--seed", "2", "--as-of", "2026-11-23")
    assert result.exit_code == 0 and "40 suppliers" in result.output
    rows = json.loads(run("suppliers", "list", "--db", db, "--json", "--as-of", "2026-11-23").output)
    assert len(rows) == 40
    assert set(rows[0]) == {
        "supplier_id",
        "name",
        "corporate_number",
        "industry",
        "employees",
        "prefecture",
        "tier",
        "held_level",
        "requested_level",
    }
    again = json.loads(run("suppliers", "list", "--db", db, "--json", "--as-of", "2026-11-23").output)
    assert rows == again


def test_suppliers_add_and_list(tmp_path: Path):
    db = str(tmp_path / "r.duckdb")
    added = run(
        "suppliers",
        "add",
        "--db",
        db,
        "--id",
        "T-001",
        "--name",
        "㈱テスト精工",
        "--corporate-number",
        "７００００１２０５０００２",
    )
    assert added.exit_code == 0, added.output
    rows = json.loads(run("suppliers", "list", "--db", db, "--json").output)
    assert rows == [
        {
            "supplier_id": "T-001",
            "name": "(株)テスト精工",
            "corporate_number": "7000012050002",
            "industry": None,
            "employees": None,
            "prefecture": None,
            "tier": None,
            "held_level": "none",
            "requested_level": None,
        }
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--id", "T1", "--name", "x", "--corporate-number", "8000012050002"], "fails its check digit"),
        (["--id", "bad id", "--name", "x"], "Supplier ID"),
    ],
)
def test_bad_supplier_input_is_one_clear_line(tmp_path: Path, args, message):
    result = run("suppliers", "add", "--db", str(tmp_path / "r.duckdb"), *args)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_demo_refuses_to_overwrite_real_suppliers(tmp_path: Path):
    db = str(tmp_path / "r.duckdb")
    run("suppliers", "add", "--db", db, "--id", "T1", "--name", "株式会社本物")
    refused = run("demo", "--db", db, "--suppliers", "10")
    assert refused.exit_code == 1 and "not made by the demo" in refused.output
    assert run("demo", "--db", db, "--suppliers", "10", "--force").exit_code == 0


def test_errors_on_bad_databases_exit_1_without_traceback(tmp_path: Path):
    missing = run("suppliers", "list", "--db", str(tmp_path / "none.duckdb"))
    assert missing.exit_code == 1 and "monosashi init" in missing.output
    assert not (tmp_path / "none.duckdb").exists()
    corrupt = tmp_path / "corrupt.duckdb"
    corrupt.write_bytes(b"\x00garbage" * 100)
    result = run("init", "--db", str(corrupt))
    assert result.exit_code == 1 and "not a DuckDB database file" in result.output


def test_a_broken_catalogue_file_exits_1(tmp_path: Path, monkeypatch):
    import shutil

    from questionnaires import catalogue

    target = tmp_path / "scs"
    shutil.copytree(catalogue.DATA_DIR, target)
    (target / "2026-03-27" / "catalogue.json").write_text("{not json", encoding="utf-8")
    monkeypatch.setattr(catalogue, "DATA_DIR", target)
    catalogue._load.cache_clear()
    try:
        result = run("catalogue", "--json")
    finally:
        catalogue._load.cache_clear()
    assert result.exit_code == 1 and "catalogue.json: not valid JSON" in result.output


def test_usage_errors_exit_2():
    assert run("demo", "--suppliers", "0").exit_code == 2
    assert run("no-such-command").exit_code == 2


def test_import_official_texts_from_the_cli(tmp_path: Path):
    from test_ipa_catalogue_importer import official_workbook

    workbook = tmp_path / "ipa.xlsx"
    workbook.write_bytes(official_workbook())
    result = run("catalogue", "--db", str(tmp_path / "r.duckdb"), "import-texts", str(workbook))
    assert result.exit_code == 0 and "43 requirement and 153 criterion texts" in result.output
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    failed = run("catalogue", "--db", str(tmp_path / "r.duckdb"), "import-texts", str(bad))
    assert failed.exit_code == 1 and "bad.xlsx" in failed.output


def test_cli_wording_counts_defaults_and_hints(tmp_path, monkeypatch):
    """One file is "1 file"; an empty renewals list says why; gap-report picks a file name."""
    from conftest import make_store

    store = make_store(tmp_path / "r.duckdb", suppliers=3)
    runner = CliRunner()
    data = tmp_path / "list.csv"
    data.write_text("取引先ID,会社名\nS900001,株式会社テスト\n", encoding="utf-8")
    out = runner.invoke(main, ["import", str(data), "--db", str(store.path)])
    assert "1 file: 1 imported" in out.output and "1 files" not in out.output
    out = runner.invoke(
        main, ["renewals", "--within", "1", "--no-expired", "--json", "--as-of", "2020-01-01", "--db", str(store.path)]
    )
    assert out.stdout.strip() == "[]" and "no certificate needs attention within 1 days as of 2020-01-01" in out.stderr
    monkeypatch.chdir(tmp_path)
    out = runner.invoke(main, ["gap-report", "S000001", "--as-of", "2026-11-23", "--db", str(store.path)])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "gap-S000001-2026-11-23.xlsx").stat().st_size > 1000
