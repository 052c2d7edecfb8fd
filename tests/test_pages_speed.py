"""Pages that stay light at 100,000 suppliers (issue 18), checked by what they do rather than by
the clock: the Renewals files are made on the click, the Requests choices offer a bounded list (the
whole filtered set stays one tick away), and the timeline's suppliers are picked set-wise."""

import csv
import io
from datetime import date

import icalendar
import openpyxl
import polars as pl
import pytest
from conftest import make_store
from test_pages import open_app

from dashboards.ui.widgets import timeline_rows
from registry.services import exports


@pytest.fixture
def deferred(monkeypatch):
    """The download callables a run registers, by file name (the test calls them, as a click would)."""
    registered: dict[str, object] = {}

    def record(self, data, mimetype, coordinates, file_name=None, **kwargs):
        registered[file_name] = data
        return f"deferred-{len(registered)}"

    monkeypatch.setattr("streamlit.runtime.media_file_manager.MediaFileManager.add_deferred", record)
    return registered


def test_renewals_page_makes_its_files_only_when_a_button_is_clicked(monkeypatch, tmp_path, deferred):
    made: list[str] = []
    for name in ("to_excel", "to_csv", "renewals_ics"):
        original = getattr(exports, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            made.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(exports, name, counted)
    store = make_store(tmp_path / "r.duckdb", suppliers=120, seed=3, as_of=date.today())
    at = open_app(monkeypatch, store.path)
    at.switch_page("dashboards/pages/renewals.py").run()
    assert not at.exception
    assert made == []  # the run drew the page and made no file
    as_of = date.today().isoformat()
    names = {f"renewals_{as_of}.{kind}" for kind in ("xlsx", "csv", "ics")}
    assert names <= set(deferred)

    workbook = openpyxl.load_workbook(io.BytesIO(deferred[f"renewals_{as_of}.xlsx"]()))
    rows = list(workbook["renewals"].iter_rows(values_only=True))
    text = deferred[f"renewals_{as_of}.csv"]()
    lines = list(csv.reader(io.StringIO(text.decode("utf-8-sig") if isinstance(text, bytes) else text)))
    calendar = icalendar.Calendar.from_ical(deferred[f"renewals_{as_of}.ics"]())
    assert sorted(made) == ["renewals_ics", "to_csv", "to_excel"]
    assert len(rows) == len(lines) > 1  # the same list in both, a header and at least one certificate
    assert rows[0] == tuple(lines[0])
    assert calendar.walk("VEVENT")


def test_requests_page_offers_a_bounded_choice_and_can_take_every_ready_request(monkeypatch, tmp_path):
    from registry.services.requests import current_requests

    store = make_store(tmp_path / "r.duckdb", suppliers=120, seed=3, as_of=date.today())
    current = current_requests(store, date.today())
    drafts = current.filter(pl.col("stored_state") == "draft")
    assert drafts.height > 1, "the demo should hold several draft requests"
    at = open_app(monkeypatch, store.path)
    at.switch_page("dashboards/pages/requests.py").run()
    assert not at.exception
    letters = at.multiselect(key="rq_letters")
    assert letters.options and len(letters.options) <= current.height
    first = current.row(0, named=True)
    assert letters.options[0] == f"{first['supplier_id']} {first['name']}"

    # Narrowed to one supplier: the table, the letters' choice and the step's choice follow.
    at.text_input(key="rq_search").set_value(first["supplier_id"]).run()
    assert at.dataframe[0].value.shape[0] == 1
    assert at.multiselect(key="rq_letters").options == [letters.options[0]]
    at.text_input(key="rq_search").set_value("").run()

    # Every request ready for the step at once, without choosing them one by one.
    at.checkbox(key="rq_progress_all_sent").check().run()
    at.button(key="rq_mark").click().run()
    assert not at.exception and at.success
    after = current_requests(store, date.today(), drafts["supplier_id"].to_list())
    assert set(after["stored_state"]) == {"sent"}


def test_the_timeline_draws_the_suppliers_needing_attention_first():
    certificates = pl.DataFrame(
        {"supplier_id": ["S5", "S1", "S5", "S2", "S3", "S4", "S1"], "scheme": list("abcdefg")},
    )
    due = certificates.filter(pl.col("supplier_id").is_in(["S4", "S2"])).reverse()
    drawn = timeline_rows(certificates, due, limit=3)
    # S4 and S2 need attention; the one place left goes to the first other supplier listed (S5).
    assert drawn["supplier_id"].to_list() == ["S5", "S5", "S2", "S4"]
    assert timeline_rows(certificates, due.clear(), limit=2)["supplier_id"].to_list() == ["S5", "S1", "S5", "S1"]
    assert timeline_rows(certificates.clear(), due.clear()).is_empty()
