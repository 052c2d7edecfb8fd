"""The IPA 自社診断 score and band are shown where a buyer looks: the import preview, the Supplier
page, ``status --json`` and the gap report."""

from __future__ import annotations

import io
import json

from click.testing import CliRunner
from conftest import ADMIN, AS_OF, make_store
from openpyxl import load_workbook

from importers.base import Limits, SourceFile
from registry.cli import main
from registry.services import documents, intake, support
from tests.support import samples

# 15 実施している (4 points), 5 一部実施している (2), 5 実施していない (0): 70 points
ANSWERS = ["実施している"] * 15 + ["一部実施している"] * 5 + ["実施していない"] * 5


def _imported(tmp_path):
    store = make_store(tmp_path / "r.duckdb", suppliers=3)
    reports = intake.analyse(
        store,
        [SourceFile("ipa.csv", samples.ipa_5min_csv(ANSWERS, supplier_id="S000001"))],
        supplier_id=None,
        profile=None,
        limits=Limits(),
        today=AS_OF,
    )
    assert intake.summary_frame(reports)["self_check_score"].to_list() == [70]  # the preview shows it
    intake.commit(store, reports, mode="per_file", actor=ADMIN, today=AS_OF)
    return store


def test_status_json_gives_the_score_and_band(tmp_path):
    store = _imported(tmp_path)
    out = CliRunner().invoke(
        main, ["status", "--supplier", "S000001", "--json", "--as-of", AS_OF.isoformat(), "--db", str(store.path)]
    )
    doc = json.loads(out.output)[0]
    assert doc["self_check"]["score"] == 70 and doc["self_check"]["band"].startswith("70")


def test_the_gap_report_names_the_score(tmp_path):
    store = _imported(tmp_path)
    report = support.gap(store, AS_OF, "S000001", 3)
    assert report.self_check is not None and report.self_check["score"] == 70
    book = load_workbook(io.BytesIO(documents.gap_report_xlsx(report, "ja")))
    cells = [str(c.value) for row in book.worksheets[0].iter_rows() for c in row if c.value is not None]
    assert "IPA 5分でできる！自社診断" in cells and any(c.startswith("70点") for c in cells)


def test_the_supplier_page_shows_the_score(monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    store = _imported(tmp_path)
    monkeypatch.setenv("MONOSASHI_DB", str(store.path))
    monkeypatch.setenv("MONOSASHI_DEMO_SUPPLIERS", "0")
    monkeypatch.setenv("MONOSASHI_SINGLE_USER", "1")
    from pathlib import Path

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60)
    at.run()
    at.query_params["id"] = "S000001"
    at.switch_page("dashboards/pages/supplier.py").run()
    assert not at.exception
    assert any("70点" in i.value and "70〜99点" in i.value for i in at.info), [i.value for i in at.info]
