"""One home per fact, checked: the figures two places show agree on the demo registry at ten
as-of dates drawn at random (with a fixed seed, so a failure can be replayed).

- The Overview's "expiring" key figure is the number of rows the Renewals page lists as expiring
  in the validity policy's widest window.
- Readiness is the same for every supplier on the Overview and Readiness board, the Supplier
  page, the directory and ``monosashi status --json``.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from registry.cli import main
from registry.domain.directory import DirectoryQuery
from registry.services import dashboard, directory, renewals
from registry.store import Store
from tests.conftest import AS_OF, make_store

_DEMO_SEED = 11
_rng = random.Random(20261123)
# Ten dates from 18 months before the demo's day to a year after it: before most evidence, in
# the thick of it, and after most certificates have lapsed.
DATES = sorted(AS_OF + timedelta(days=_rng.randint(-540, 365)) for _ in range(10))
APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return make_store(tmp_path_factory.mktemp("agreement") / "demo.duckdb", suppliers=120, seed=_DEMO_SEED)


def _renewals_page_expiring(store: Store, on: date, window: int) -> int:
    """What the Renewals page lists as expiring within ``window`` days (no filters)."""
    states = renewals.with_supplier_facts(store, on, renewals.certificate_states(store, on))
    listed = renewals.needs_action(renewals.filtered(states), window)
    return listed.filter(pl.col("state") == "expiring").height


@pytest.mark.parametrize("on", DATES, ids=str)
def test_overview_expiring_figure_equals_the_renewals_list(demo: Store, on: date) -> None:
    window = renewals.expiring_window(demo)
    board = dashboard.board(demo, on)
    assert board.now.window == window
    assert board.now.expiring == _renewals_page_expiring(demo, on, window)
    # The comparison figure 30 days before follows the same definition.
    before = on - timedelta(days=dashboard.COMPARE_DAYS)
    assert board.before.expiring == _renewals_page_expiring(demo, before, window)


def test_the_dates_reach_certificates_that_expire(demo: Store) -> None:
    """The agreement above would be empty if no date saw an expiring certificate."""
    window = renewals.expiring_window(demo)
    assert sum(_renewals_page_expiring(demo, on, window) for on in DATES) > 0


def _status_json(db: Path, on: date) -> dict[str, dict[str, float]]:
    result = CliRunner().invoke(main, ["status", "--json", "--as-of", on.isoformat(), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return {r["supplier_id"]: r["readiness"] for r in json.loads(result.output)}


@pytest.mark.parametrize("on", DATES, ids=str)
def test_readiness_agrees_on_every_page_and_in_the_cli(demo: Store, on: date) -> None:
    board = dashboard.board(demo, on).readiness.readiness.select("supplier_id", "star3", "star4")
    readiness_page = dashboard.readiness_board(demo, on).readiness.select("supplier_id", "star3", "star4")
    assert board.sort("supplier_id").equals(readiness_page.sort("supplier_id"))
    on_board = {r["supplier_id"]: (r["star3"], r["star4"]) for r in board.to_dicts()}

    listed = directory.directory(demo, on, DirectoryQuery(page_size=500, sort="supplier_id"))
    assert listed.total == len(on_board)
    for row in listed.rows.to_dicts():
        target = on_board[row["supplier_id"]][1 if row["requested_level"] == 4 else 0]
        assert row["readiness"] == pytest.approx(target), row["supplier_id"]

    status = _status_json(demo.path, on)
    assert set(status) == set(on_board)
    # The Supplier page reads one supplier at a time; a sample keeps the test quick.
    sample = sorted(on_board)[:: max(1, len(on_board) // 12)]
    for supplier_id in sample:
        page = dashboard.supplier_page(demo, on, supplier_id)
        assert page is not None
        star3, star4 = on_board[supplier_id]
        assert page.view.readiness["star3"] == pytest.approx(star3), supplier_id
        assert page.view.readiness["star4"] == pytest.approx(star4), supplier_id
        assert page.history.row(-1, named=True)["star4"] == pytest.approx(star4)
    for supplier_id, (star3, star4) in on_board.items():
        assert (status[supplier_id]["star3"] or 0.0) == pytest.approx(star3), supplier_id
        assert (status[supplier_id]["star4"] or 0.0) == pytest.approx(star4), supplier_id


def test_the_dates_see_readiness_change(demo: Store) -> None:
    """Readiness differs between the dates: the agreement is not between constant zeros."""
    means = {dashboard.readiness_board(demo, on).readiness["star3"].mean() for on in DATES}
    assert len(means) > 1 and max(means) > 0


def test_the_two_pages_show_the_same_expiring_figure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """In the app itself: the Overview's metric and the Renewals page's metric for the policy's
    widest window show the same number."""
    db = tmp_path / "pages.duckdb"
    store = make_store(db, suppliers=120, seed=_DEMO_SEED)
    on = DATES[len(DATES) // 2]
    window = renewals.expiring_window(store)
    expected = f"{_renewals_page_expiring(store, on, window):,}"
    monkeypatch.setenv("MONOSASHI_DB", str(db))
    monkeypatch.setenv("MONOSASHI_DEMO_SUPPLIERS", "0")
    monkeypatch.setenv("MONOSASHI_SINGLE_USER", "1")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.sidebar.date_input(key="as_of").set_value(on).run()
    assert not at.exception, at.exception
    shown = {"overview": {m.label: m.value for m in at.metric}}
    at.switch_page("dashboards/pages/renewals.py").run()
    assert not at.exception, at.exception
    shown["renewals"] = {m.label: m.value for m in at.metric}
    overview = [v for k, v in shown["overview"].items() if str(window) in k]
    listed = [v for k, v in shown["renewals"].items() if str(window) in k]
    assert overview == [expected] and listed == [expected], shown
