"""Pages that read well (issue 17.8–17.10), under AppTest: the Supplier page in tabs, the network
as a bounded outline, readiness ranked among suppliers with evidence, and no "None" or internal
code in a table, in either language."""

import pytest
from conftest import ADMIN, AS_OF, make_store
from test_pages import open_app

from registry import access
from registry.domain.supply_chain import COVERAGE
from registry.services import dashboard, renewals, requests, supply_chain
from registry.services.suppliers import HELD_LEVELS

# Codes that must never reach a table as they are: held ★, coverage, request, flag and certificate
# states, severities, roles.
CODES = (
    set(HELD_LEVELS)
    | set(COVERAGE)
    | set(requests.EFFECTIVE_STATES)
    | set(renewals.STATES)
    | {"open", "acknowledged", "resolved", "dismissed", "critical", "warning", "info"}
    | {"admin", "buyer", "viewer", "supplier"}
)


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A demo of 150 suppliers and three accounts with gaps (no e-mail, disabled, a supplier's)."""
    store = make_store(tmp_path_factory.mktemp("readable") / "r.duckdb", suppliers=150, seed=3, as_of=AS_OF)
    access.add_user(store, "buyer.tanaka", "buyer", ADMIN, password="Kumo-no-ue-de-odoru-2026", display_name="田中")
    access.add_user(store, "s1portal", "supplier", ADMIN, email="s1@example.com", supplier_id="S000001")
    access.add_user(store, "viewer2", "viewer", ADMIN, password="Hoshi-zora-ni-aruku-99")
    access.set_user_disabled(store, "viewer2", True, ADMIN)
    return store


def shown_tables(at):
    """The read-only tables a page shows, as pandas frames."""
    return [table.value for table in at.dataframe if not table.proto.editing_mode]


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize(
    "page", ["overview", "requests", "renewals", "users", "supply_chain", "readiness", "supplier", "outbox"]
)
def test_tables_show_words_and_dashes_never_none_or_codes(monkeypatch, registry, page, lang):
    at = open_app(monkeypatch, registry.path)
    at.sidebar.radio(key="lang").set_value(lang).run()
    if page == "supplier":
        at.query_params["id"] = "S000001"
    at.switch_page(f"dashboards/pages/{page}.py").run()
    assert not at.exception, at.exception
    tables = shown_tables(at)
    assert tables, page
    for frame in tables:
        shown = frame.select_dtypes(exclude="float")  # a missing share may stay empty
        assert not shown.isna().any().any(), (page, lang, [c for c in shown if shown[c].isna().any()])
        codes = {str(v) for column in shown for v in shown[column].unique()} & (CODES | {"None", "null", "nan"})
        assert not codes, (page, lang, codes)


def test_the_supplier_page_is_in_tabs_and_its_network_is_a_bounded_outline(monkeypatch, registry):
    at = open_app(monkeypatch, registry.path)
    at.query_params["id"] = "S000001"
    at.switch_page("dashboards/pages/supplier.py").run()
    assert not at.exception
    assert [tab.label for tab in at.tabs] == [
        "概要",
        "評価基準",
        "認証",
        "要請・フラグ",
        "取引ネットワーク",
        "ファイル",
    ]
    assert "ギャップレポート (Excel)" in [b.label for b in at.get("download_button")]  # above the tabs
    network = at.tabs[4]
    outline = supply_chain.sub_network_outline(registry, "S000001", supply_chain.supplier_coverage(registry, AS_OF))
    assert outline.height > 0
    table = next(t.value for t in network.dataframe if "outline" in t.value.columns)
    assert table.shape[0] == min(100, outline.filter(outline["depth"] <= 2).height)
    assert not network.get("plotly_chart") or all(
        "sunburst" not in str(c.proto.spec) for c in network.get("plotly_chart")
    )
    at.sidebar.radio(key="lang").set_value("en").run()
    assert [tab.label for tab in at.tabs][4] == "Subcontractors"


def test_the_network_outline_opens_level_by_level_and_shows_more_on_demand(monkeypatch, tmp_path):
    store = make_store(tmp_path / "r.duckdb", suppliers=600, seed=1, as_of=AS_OF)
    at = open_app(monkeypatch, store.path)
    at.switch_page("dashboards/pages/supply_chain.py").run()
    assert not at.exception
    outline = supply_chain.network_outline(store, supply_chain.supplier_coverage(store, AS_OF))
    tier1 = outline.filter(outline["depth"] == 1).height

    def rows() -> int:
        return next(t.value for t in at.dataframe if "outline" in t.value.columns).shape[0]

    assert rows() == min(100, tier1)  # tier 1 with the counts below each
    at.radio(key="chain_outline.depth.ja").set_value("3階層目まで").run()
    assert rows() == 100 < outline.height  # bounded at 600 suppliers
    at.button(key="chain_outline.more").click().run()
    assert rows() == 200
    for chart in at.get("plotly_chart"):
        assert "sunburst" not in str(chart.proto.spec)


def test_readiness_ranks_suppliers_with_evidence_and_counts_the_others(monkeypatch, registry):
    at = open_app(monkeypatch, registry.path)
    at.switch_page("dashboards/pages/readiness.py").run()
    assert not at.exception
    board = dashboard.readiness_board(registry, AS_OF)
    without = board.without_evidence()
    shown = {m.label: m.value for m in at.metric}
    assert shown["有効な根拠のない取引先"] == f"{without.height:,}"
    ranked = next(t.value for t in at.dataframe if "star4" in t.value.columns)
    assert not set(ranked["supplier_id"]) & set(without["supplier_id"])
    assert list(ranked["supplier_id"]) == board.furthest(30)["supplier_id"].to_list()
    listed = next(t.value for t in at.dataframe if "industry" in t.value.columns)
    assert sorted(listed["supplier_id"]) == without["supplier_id"].to_list()
