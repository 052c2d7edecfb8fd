"""Coverage per tier and concentration on small hand-made networks."""

import json
from datetime import date
from pathlib import Path

from click.testing import CliRunner
from conftest import AS_OF, SYSTEM, registry_data, store_with

from registry.cli import main
from registry.services import supply_chain


def network(tmp_path: Path):
    # buyer → A (★4 requested, holds ★4), B (holds ★3, ★4 requested); A → C, B → C (diamond); C → D → C (cycle)
    data = registry_data(
        ["A", "B", "C", "D", "E"],
        [("@buyer", "A"), ("@buyer", "B"), ("A", "C"), ("B", "C"), ("C", "D"), ("D", "C")],
        certificates=[
            ("A", "scs_star4", date(2026, 1, 10), None),
            ("B", "scs_star3", date(2026, 2, 1), None),
            ("D", "iso27001", date(2025, 1, 10), None),  # an ISMS-only holder, valid until 2028-01-09
        ],
        requests=[("A", 4, date(2025, 10, 1)), ("B", 4, date(2025, 10, 1))],
    )
    return store_with(tmp_path / "r.duckdb", data)


def test_required_level_passes_down_capped_at_the_default(tmp_path):
    store = network(tmp_path)
    cov = {r["supplier_id"]: r for r in supply_chain.supplier_coverage(store, AS_OF).to_dicts()}
    assert {k: (v["tier"], v["required"]) for k, v in cov.items()} == {
        "A": (1, 4),
        "B": (1, 4),
        "C": (2, 3),
        "D": (3, 3),
        "E": (None, 3),
    }
    strict = {
        r["supplier_id"]: r["required"]
        for r in supply_chain.supplier_coverage(store, AS_OF, default_level=4).to_dicts()
    }
    assert (strict["C"], strict["D"]) == (4, 4)


def test_coverage_classes_and_per_tier_counts(tmp_path):
    store = network(tmp_path)
    with store.transaction(SYSTEM) as tx:
        tx.execute(
            "INSERT INTO submission (supplier_id, framework_id, framework_version, submitted_on, source_name, sha256, imported_by, imported_at) VALUES ('C', 'ipa_5min', '2019', DATE '2026-06-01', 'ipa.csv', 'x', 'test', TIMESTAMP '2026-11-23 12:00:00')"
        )
    cov = dict(supply_chain.supplier_coverage(store, AS_OF).select("supplier_id", "coverage").iter_rows())
    assert cov == {
        "A": "covered",
        "B": "below_required",
        "C": "questionnaire_only",
        "D": "other_evidence",  # a valid ISMS is current evidence, if not a ★
        "E": "unknown",
    }
    expired = dict(
        supply_chain.supplier_coverage(store, date(2028, 1, 10)).select("supplier_id", "coverage").iter_rows()
    )
    assert expired["D"] == "unknown"
    per_tier = supply_chain.coverage_by_tier(supply_chain.supplier_coverage(store, AS_OF)).to_dicts()
    assert per_tier[0] == {
        "tier": 1,
        "suppliers": 2,
        "covered": 1,
        "below_required": 1,
        "other_evidence": 0,
        "questionnaire_only": 0,
        "unknown": 0,
    }
    assert per_tier[-1]["tier"] is None


def test_concentration_counts_tier1_suppliers_through_a_subcontractor_and_survives_cycles(tmp_path):
    store = network(tmp_path)
    top = supply_chain.concentration(store, supply_chain.supplier_coverage(store, AS_OF))
    assert dict(top.select("supplier_id", "tier1_through").iter_rows()) == {"C": 2, "D": 2}


def test_cli_coverage_json(tmp_path):
    store = network(tmp_path)
    out = CliRunner().invoke(main, ["coverage", "--as-of", "2026-11-23", "--json", "--db", str(store.path)])
    rows = json.loads(out.output)
    assert set(rows[0]) == {
        "tier",
        "suppliers",
        "covered",
        "below_required",
        "other_evidence",
        "questionnaire_only",
        "unknown",
    }
    assert [r["tier"] for r in rows] == [1, 2, 3, None]


def test_uncovered_critical_paths_and_sub_network(tmp_path):
    store = network(tmp_path)
    with store.transaction(SYSTEM) as tx:
        tx.execute("UPDATE supplier_link SET critical = true WHERE parent_id = 'A' AND child_id = 'C'")
    cov = supply_chain.supplier_coverage(store, AS_OF)
    paths = supply_chain.uncovered_critical_paths(store, cov)
    listed = dict(paths.select("supplier_id", "path").iter_rows())
    assert list(listed) == ["C"]  # its link from A is critical; D's own link is not
    assert listed["C"] in ("発注者 → A → C", "発注者 → B → C")  # a shortest path
    nodes, edges = supply_chain.sub_network(store, "A", cov)
    assert dict(nodes.select("supplier_id", "level").iter_rows()) == {"A": 0, "C": 1, "D": 2}
    assert sorted(edges.rows()) == [("A", "C"), ("C", "D"), ("D", "C")]


def test_supply_chain_page_on_the_demo_and_empty(monkeypatch, tmp_path):
    from test_pages import open_app

    at = open_app(monkeypatch, tmp_path / "demo.duckdb", demo_suppliers=120)
    at.switch_page("dashboards/pages/supply_chain.py").run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2  # coverage per tier, as bars and as tier × coverage counts
    assert len(at.dataframe) >= 3  # the network outline, concentration, uncovered paths (+ one supplier's outline)
    empty = open_app(monkeypatch, tmp_path / "empty.duckdb", demo_suppliers=0)
    empty.switch_page("dashboards/pages/supply_chain.py").run()
    assert not empty.exception and empty.info


def test_back_links_report_cycles(tmp_path):
    store = network(tmp_path)
    back = supply_chain.back_links(store, supply_chain.supplier_coverage(store, AS_OF))
    assert back.select("parent_id", "child_id").rows() == [("D", "C")]


def test_cli_links_import_reports_cycles_and_unknown_suppliers(tmp_path):
    store = network(tmp_path)
    good = tmp_path / "links.csv"
    good.write_text("親取引先ID,子取引先ID,供給品目,重要\n自社,E,梱包,いいえ\nE,A,部品,いいえ\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["links", "import", str(good), "--db", str(store.path)])
    assert result.exit_code == 0, result.output
    assert "cycle or back link: D → C" in result.stderr and "E → A" in result.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("親取引先ID,子取引先ID\nA,GHOST\nA,A\n", encoding="utf-8")
    refused = CliRunner().invoke(main, ["links", "import", str(bad), "--db", str(store.path)])
    assert refused.exit_code == 1 and "cannot be linked to itself" in refused.output


def test_links_to_unknown_suppliers_become_placeholders_when_asked(tmp_path):
    store = network(tmp_path)
    links = tmp_path / "links.csv"
    links.write_text("親取引先ID,子取引先ID\nA,NEW-1\n", encoding="utf-8")
    refused = CliRunner().invoke(main, ["links", "import", str(links), "--db", str(store.path)])
    assert refused.exit_code == 1 and "supplier NEW-1 does not exist" in refused.output
    created = CliRunner().invoke(main, ["links", "import", str(links), "--create-missing", "--db", str(store.path)])
    assert created.exit_code == 0 and "placeholder supplier NEW-1 created" in created.output
    assert store.scalar("SELECT name FROM supplier WHERE supplier_id = 'NEW-1'") == "(仮) NEW-1"
    tiers = dict(supply_chain.supplier_coverage(store, AS_OF).select("supplier_id", "tier").iter_rows())
    assert tiers["NEW-1"] == 2
