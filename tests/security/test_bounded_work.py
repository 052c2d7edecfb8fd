"""Hole 5: work without bounds (issue 14).

A supplier list inside the size limits was written, then the flag refresh after it passed every
touched supplier ID as a list into SQL and read each supplier's every criterion: out of memory,
and the Import page said the import had failed although it was written. The refresh for many
suppliers is set-wise now (the scope is a frame joined in SQL; bench/bounded_bench.py measures it
at 1,000,000 suppliers), and a derivation that fails after a committed import leaves the files
imported, with a warning that the flags will be derived again."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner
from conftest import AS_OF, BUYER, SYSTEM, make_store
from support import samples

from importers.base import Limits, SourceFile
from registry.cli import main
from registry.domain.models import Supplier
from registry.services import derivation, flags, intake
from registry.store import Store, Transaction, submissions
from registry.store.suppliers import add_supplier

MANY = 3_000  # well above the few read by ID (derivation._FEW, 256): the set-wise path
FEW = 256


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo registry with evidence, requests and flags, built once and copied per test."""
    path = tmp_path_factory.mktemp("bounded") / "demo.duckdb"
    make_store(path, suppliers=300, seed=7)
    return path


@pytest.fixture
def store(demo_path: Path, tmp_path: Path) -> Store:
    copy = tmp_path / "r.duckdb"
    copy.write_bytes(demo_path.read_bytes())
    return Store(copy, lock_timeout=2.0)


def supplier_list(store: Store, new: int) -> bytes:
    """Every known supplier, now with 10 employees and no security staff (their master data is
    updated), and ``new`` suppliers more: 取引先ID, 会社名, 従業員数, セキュリティ担当者."""
    known = store.frame("SELECT supplier_id, name FROM supplier ORDER BY supplier_id")
    rows = [(s, n, "10", "なし") for s, n in known.iter_rows()]
    rows += [(f"N{i:06d}", f"株式会社新規{i}", "", "") for i in range(new)]
    text = "取引先ID,会社名,従業員数,セキュリティ担当者\r\n" + "".join(",".join(r) + "\r\n" for r in rows)
    return text.encode("utf-8-sig")


def import_list(store: Store, data: bytes, name: str = "suppliers.csv") -> list[intake.FileReport]:
    reports = intake.analyse(store, [SourceFile(name, data)])
    assert [r.status for r in reports] == ["ready"], reports[0].errors
    return intake.commit(store, reports, mode="per_file", actor=BUYER, today=AS_OF)


def stored_flags(store: Store) -> pl.DataFrame:
    return store.frame(
        """SELECT flag_key, supplier_id, rule_id, subject, severity, reason, reason_en, facts, state,
                  closed_by_rule, first_held_on, last_held_on, note
           FROM flag ORDER BY flag_key"""
    )


def readiness_rows(store: Store) -> pl.DataFrame:
    return store.frame("SELECT * FROM readiness_history ORDER BY supplier_id, taken_on")


def long_lists(params: object) -> list[int]:
    """The lengths of list parameters of more than a few hundred values."""
    values = params.values() if isinstance(params, Mapping) else params or []
    return [len(v) for v in values if isinstance(v, list | tuple) and len(v) > FEW]


@pytest.fixture
def sql_spy(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every list parameter of more than ``FEW`` values that reaches SQL during a flag
    refresh, as (SQL, length)."""
    seen: list[tuple[str, int]] = []
    inside = [False]

    def watch(method):  # type: ignore[no-untyped-def]
        def wrapper(self, sql: str, params: object = None, *args, **kwargs):  # type: ignore[no-untyped-def]
            if inside[0]:
                seen.extend((sql, n) for n in long_lists(params))
            return method(self, sql, params, *args, **kwargs)

        return wrapper

    for cls, name in ((Store, "frame"), (Store, "frame_with"), (Store, "scalar"), (Transaction, "_run")):
        monkeypatch.setattr(cls, name, watch(getattr(cls, name)))
    refresh = flags.refresh

    def watched_refresh(*args, **kwargs):  # type: ignore[no-untyped-def]
        inside[0] = True
        try:
            return refresh(*args, **kwargs)
        finally:
            inside[0] = False

    monkeypatch.setattr(flags, "refresh", watched_refresh)
    return seen


def test_the_refresh_after_a_large_import_passes_no_list_of_ids_into_sql(store, sql_spy):
    """Before: the 3,300 touched IDs went into ``IN (SELECT unnest($ids))`` and the yardstick's
    ``$suppliers`` (each supplier's every criterion read: 5 GB at 100,000)."""
    done = import_list(store, supplier_list(store, MANY))
    assert sql_spy == []
    assert [r.status for r in done] == ["imported"]
    assert not [w for w in done[0].warnings if w.location == "flags"]  # the derivation did not fail
    # and the refresh did run for the new suppliers: their readiness is on record as of the import
    recorded = store.scalar(
        "SELECT count(*) FROM readiness_history WHERE supplier_id LIKE 'N%' AND taken_on = ?", [AS_OF]
    )
    assert recorded == MANY


@pytest.mark.parametrize(
    ("few", "most"),
    [(10**9, 0.5), (FEW, 0.5), (FEW, 2.0)],
    ids=["read by ID", "set-wise, reading everything", "set-wise, reads joined with the scope"],
)
def test_flags_after_importing_thousands_of_suppliers_equal_a_full_refresh(store, monkeypatch, few, most):
    monkeypatch.setattr(derivation, "_FEW", few, raising=False)
    monkeypatch.setattr(derivation, "_MOST", most, raising=False)
    done = import_list(store, supplier_list(store, MANY))
    assert [r.status for r in done] == ["imported"]
    after_import, readiness = stored_flags(store), readiness_rows(store)
    # the list took the security staff of every supplier: flags were raised for it
    assert after_import.filter(rule_id="needs_support.no_security_staff", state="open").height > 0
    again = flags.refresh(store, AS_OF, actor=SYSTEM)  # the daily derivation over everything
    assert (again.raised, again.closed, again.reopened) == (0, 0, 0)
    assert stored_flags(store).equals(after_import)
    assert readiness_rows(store).equals(readiness)


def test_a_scope_derives_what_the_whole_registry_derives_for_it(store, monkeypatch):
    """Scoped derivation (by ID, set-wise with narrowed reads, set-wise reading everything) gives
    the rows of a derivation over every supplier, for the suppliers in scope."""
    ids = store.frame("SELECT supplier_id FROM supplier ORDER BY supplier_id")["supplier_id"]
    scope = ids.gather_every(3).to_list()
    everything, readiness = derivation._derive(store, AS_OF, derivation._Scope(), flags.rules_in_force(store))
    expected = everything.filter(pl.col("supplier_id").is_in(scope)).sort("flag_key")
    expected_readiness = readiness.filter(pl.col("supplier_id").is_in(scope)).sort("supplier_id")
    assert expected.height > 0
    paths = {"by ID": (10**9, 0.5, True, False), "joined": (10, 2.0, False, False), "all read": (10, 0.1, False, True)}
    for few, most, by_id, reads_all in paths.values():
        monkeypatch.setattr(derivation, "_FEW", few)
        monkeypatch.setattr(derivation, "_MOST", most)
        chosen = derivation._scope_of(store, scope)
        assert (chosen.by_id, chosen.reads_all) == (by_id, reads_all)
        derived, snapshot = derivation._derive(store, AS_OF, chosen, flags.rules_in_force(store))
        assert derived.sort("flag_key").equals(expected)
        assert snapshot.sort("supplier_id").equals(expected_readiness)


def failing_derivation(monkeypatch: pytest.MonkeyPatch) -> None:
    def out_of_memory(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate data of size 2.0 GiB")

    monkeypatch.setattr(derivation, "_derive", out_of_memory)


def test_a_failed_derivation_after_an_import_leaves_the_files_imported_with_a_warning(store, monkeypatch):
    """Before: ``commit`` raised the derivation's error after the files were committed, so the
    Import page and the CLI reported a failed import."""
    failing_derivation(monkeypatch)
    before = store.scalar("SELECT count(*) FROM supplier")
    done = import_list(store, supplier_list(store, 50))
    assert [r.status for r in done] == ["imported"]
    assert done[0].flags_deferred
    warning = [w for w in done[0].warnings if w.location == "flags"]
    assert len(warning) == 1
    assert "was imported" in warning[0].message and "OutOfMemoryException" in warning[0].message
    assert "the next daily derivation derives them again" in warning[0].message  # no CLI words on a page
    assert store.scalar("SELECT count(*) FROM supplier") == before + 50
    assert submissions.import_history(store)["status"].to_list()[:1] == ["imported"]
    monkeypatch.undo()  # the next derivation derives the new suppliers' flags and readiness
    assert flags.refresh(store, AS_OF, actor=SYSTEM).raised > 0


def test_the_cli_prints_the_deferred_flags_and_counts_the_file_imported(store, monkeypatch, tmp_path):
    failing_derivation(monkeypatch)
    source = tmp_path / "suppliers.csv"
    source.write_bytes(supplier_list(store, 10))
    result = CliRunner().invoke(main, ["import", str(source), "--json", "--db", str(store.path)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc[0]["status"] == "imported"
    assert any(w["location"] == "flags" and "derives them again" in w["message"] for w in doc[0]["warnings"])
    result = CliRunner().invoke(main, ["import", str(source), "--db", str(store.path)])
    assert "duplicate" in result.output  # written once, the first time


def test_a_set_wise_refresh_leaves_the_flags_of_suppliers_out_of_scope_alone(store, monkeypatch):
    monkeypatch.setattr(derivation, "_FEW", 0, raising=False)
    monkeypatch.setattr(derivation, "_MOST", 2.0, raising=False)
    untouched = stored_flags(store).filter(~pl.col("supplier_id").is_in(["S000001", "S000002"]))
    with store.transaction(SYSTEM) as tx:  # every other flag's facts go stale: a full refresh would rewrite them
        tx.execute("UPDATE flag SET reason = 'old' WHERE supplier_id NOT IN ('S000001', 'S000002')")
    flags.refresh(store, AS_OF, ["S000001", "S000002"], actor=SYSTEM)
    kept = stored_flags(store).filter(~pl.col("supplier_id").is_in(["S000001", "S000002"]))
    assert kept.height == untouched.height and set(kept["reason"]) <= {"old"}


def test_readiness_history_rewrites_only_what_changed(tmp_path, monkeypatch):
    """A second derivation on the same day rewrote every supplier's row (1,000,000 rows deleted and
    inserted again: 25 s); now it writes only the rows whose value changes, with the same result."""
    written: list[int] = []
    run = Transaction._run

    def counting(self, sql, params=None):  # type: ignore[no-untyped-def]
        rows = run(self, sql, params)
        if "readiness_history" in sql and ("DELETE" in sql or "INSERT" in sql):
            written.append(rows[0][0])
        return rows

    monkeypatch.setattr(Transaction, "_run", counting)
    store = make_store(tmp_path / "h.duckdb")
    for supplier in ("A", "B"):
        add_supplier(store, Supplier(supplier_id=supplier, name=f"株式会社{supplier}"), BUYER)
    flags.refresh(store, AS_OF - timedelta(days=30), actor=SYSTEM)
    flags.refresh(store, AS_OF, actor=SYSTEM)  # nothing changed: nothing recorded on AS_OF
    assert store.scalar("SELECT count(*) FROM readiness_history WHERE taken_on = ?", [AS_OF]) == 0
    workbook = samples.scs_self_assessment_workbook(
        supplier_id="A", answered_on=(AS_OF - timedelta(days=1)).isoformat()
    )
    intake.commit(
        store, intake.analyse(store, [SourceFile("a.xlsx", workbook)]), mode="per_file", actor=BUYER, today=AS_OF
    )
    flags.refresh(store, AS_OF, actor=SYSTEM)
    rows = store.frame("SELECT * FROM readiness_history ORDER BY supplier_id, taken_on")
    assert rows.filter(taken_on=AS_OF)["supplier_id"].to_list() == ["A"]
    assert rows.filter(taken_on=AS_OF)["star3"][0] > 0
    written.clear()
    flags.refresh(store, AS_OF, actor=SYSTEM)  # the same day again: the same rows, none rewritten
    assert written == [0, 0]
    assert store.frame("SELECT * FROM readiness_history ORDER BY supplier_id, taken_on").equals(rows)
    with store.transaction(SYSTEM) as tx:  # A's answers gone: back to its earlier readiness
        tx.execute(
            "DELETE FROM answer WHERE submission_id IN (SELECT submission_id FROM submission WHERE supplier_id = 'A')"
        )
    written.clear()
    flags.refresh(store, AS_OF, actor=SYSTEM)
    assert written == [1, 0]
    assert store.scalar("SELECT count(*) FROM readiness_history WHERE taken_on = ?", [AS_OF]) == 0
    assert store.scalar("SELECT count(*) FROM readiness_history") == 2


def test_a_list_longer_than_the_limit_is_refused_before_anything_is_written(store):
    """Reading a list keeps a checked record per row: a file of more rows than the documented
    limit (Limits.max_list_rows, 200,000 by default) is refused, saying where to cut it."""
    rows = [{"supplier_id": f"L{n:05d}", "name": f"株式会社エル{n}"} for n in range(12)]
    data = samples.supplier_master_csv(rows)
    before = store.scalar("SELECT count(*) FROM supplier")
    reports = intake.analyse(store, [SourceFile("long.csv", data)], limits=Limits(max_list_rows=10))
    assert reports[0].status == "rejected"
    message = reports[0].errors[0]
    assert "12 rows" in message.message and "at most 10" in message.message and "line 12" in message.location
    intake.commit(store, reports, mode="per_file", actor=BUYER, today=AS_OF)
    assert store.scalar("SELECT count(*) FROM supplier") == before
    assert Limits().max_list_rows == 200_000
