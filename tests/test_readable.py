"""Pages that read well (issue 17.8–17.10), the pure parts: the network outline, the ranking of
suppliers with evidence, and the figure builders the pages draw with."""

from datetime import date, timedelta

import polars as pl

from dashboards import figures
from registry.domain import readiness as ranking
from registry.domain import supply_chain as rules
from registry.domain.models import BUYER_ID
from registry.services import renewals
from registry.services.supply_chain import outline_rows


def small_tree() -> pl.DataFrame:
    # buyer → A → (C → E, D); buyer → B → F
    return pl.DataFrame(
        {
            "supplier_id": ["A", "B", "C", "D", "E", "F"],
            "parent": [BUYER_ID, BUYER_ID, "A", "A", "C", "B"],
            "name": ["a", "b", "c", "d", "e", "f"],
            "coverage": ["covered", "unknown", "unknown", "covered", "unknown", "unknown"],
        }
    )


def test_an_outline_reads_depth_first_largest_branch_first_with_its_counts():
    outline = rules.tree_outline(small_tree(), BUYER_ID)
    assert outline["supplier_id"].to_list() == ["A", "C", "E", "D", "B", "F"]
    rows = {r["supplier_id"]: r for r in outline.to_dicts()}
    assert (rows["A"]["depth"], rows["A"]["children"], rows["A"]["below"], rows["A"]["below_unknown"]) == (1, 2, 3, 2)
    assert (rows["E"]["depth"], rows["E"]["below"]) == (3, 0)
    assert (rows["B"]["below"], rows["B"]["below_unknown"]) == (1, 1)
    # from another root, only its branch, one level up
    assert rules.tree_outline(small_tree(), "A")["supplier_id"].to_list() == ["C", "E", "D"]
    assert rules.tree_outline(small_tree().clear(), BUYER_ID).is_empty()


def test_a_sub_network_becomes_a_tree_under_one_parent_each():
    edges = pl.DataFrame({"parent_id": ["A", "A", "C", "D"], "child_id": ["C", "D", "E", "E"], "level": [1, 1, 2, 2]})
    coverage = small_tree().select("supplier_id", "name", "coverage")
    nodes = rules.sub_network_nodes("A", edges, coverage)
    tree = rules.sub_network_tree("A", edges, nodes)
    assert dict(tree.select("supplier_id", "parent").iter_rows()) == {"C": "A", "D": "A", "E": "C"}
    assert dict(tree.select("supplier_id", "other_parents").iter_rows())["E"] == 1  # D supplies it too
    assert rules.tree_outline(tree, "A")["supplier_id"].to_list() == ["C", "E", "D"]


def test_the_outline_of_600_suppliers_shows_a_bounded_table():
    # 20 tier-1 suppliers, each with 5 below it, each of those with 5 more: 20 + 100 + 500 = 620
    tier1 = [f"T{i:02d}" for i in range(20)]
    tier2 = [(f"{p}-{j}", p) for p in tier1 for j in range(5)]
    tier3 = [(f"{p}-{k}", p) for p, _ in tier2 for k in range(5)]
    ids = tier1 + [s for s, _ in tier2] + [s for s, _ in tier3]
    parents = [BUYER_ID] * len(tier1) + [p for _, p in tier2] + [p for _, p in tier3]
    tree = pl.DataFrame({"supplier_id": ids, "parent": parents, "name": ids, "coverage": ["unknown"] * len(ids)})
    outline = rules.tree_outline(tree, BUYER_ID)
    assert outline.height == 620 and outline.filter(pl.col("depth") == 1)["below"].to_list() == [30] * 20
    shown = outline_rows(outline, depth=3, limit=100)
    assert shown.height == 100  # bounded, whatever the size of the network
    assert outline_rows(outline, depth=1, limit=100).height == 20  # the tier-1 suppliers, with their counts
    assert shown["supplier_id"].to_list()[:7] == ["T00", "T00-0", "T00-0-0", "T00-0-1", "T00-0-2", "T00-0-3", "T00-0-4"]


def readiness_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "supplier_id": ["NONE1", "NONE2", "STALE", "SA", "LOW", "MID", "HIGH"],
            "held_level": ["none", "none", "none", "security_action", "none", "none", "star3"],
            "target_level": [3, 4, 3, 3, 4, 3, 3],
            "target": [0.0, 0.0, 0.0, 0.0, 0.0, 0.4, 1.0],
            "star3": [0.0, 0.0, 0.0, 0.0, 0.0, 0.4, 1.0],
            "star3_partial": [0.0, 0.0, 0.0, 0.05, 0.0, 0.1, 0.0],
            "star4": [0.0, 0.0, 0.0, 0.0, 0.0, 0.2, 0.5],
            "star4_partial": [0.0, 0.0, 0.0, 0.02, 0.0, 0.1, 0.0],
        }
    )


def test_the_furthest_from_target_are_ranked_among_suppliers_with_evidence():
    # LOW sent a questionnaire that meets nothing: it has evidence, and is the furthest of all
    marked = ranking.with_evidence(readiness_frame(), pl.Series("supplier_id", ["LOW"]))
    assert marked.filter(~pl.col("has_evidence"))["supplier_id"].to_list() == ["NONE1", "NONE2", "STALE"]
    furthest = ranking.furthest_from_target(marked, 3)
    assert furthest["supplier_id"].to_list() == ["LOW", "SA", "MID"]  # at 0 %, the least partly met first
    assert ranking.furthest_from_target(marked, 30).height == 4  # never padded with suppliers without evidence


def test_a_single_readiness_record_is_drawn_on_a_date_axis():
    one = pl.DataFrame({"taken_on": [date(2026, 11, 23)], "star3": [0.4], "star4": [0.1]})
    fig = figures.readiness_history_line(one, {"star3": "★3", "star4": "★4"}, "t", "%")
    axis = fig.layout.xaxis
    assert axis.type == "date" and axis.tickformat == "%Y-%m-%d"
    assert list(axis.tickvals) == ["2026-11-23"]  # one tick, the day; never "23:59:59.999"
    start, end = (date.fromisoformat(d) for d in axis.range)
    assert start < date(2026, 11, 23) < end and (end - start) >= timedelta(days=2)
    assert {trace.mode for trace in fig.data} == {"markers"}
    many = pl.DataFrame(
        {
            "taken_on": [date(2026, 6, 1), date(2026, 9, 1), date(2026, 11, 23)],
            "star3": [0.1, 0.2, 0.4],
            "star4": [0] * 3,
        }
    )
    fig = figures.readiness_history_line(many, {"star3": "★3"}, "t", "%")
    assert fig.layout.xaxis.type == "date" and fig.data[0].mode == "lines+markers"


def test_every_certificate_state_has_its_own_colour():
    assert set(figures.STATE_COLOURS) == set(renewals.STATES)
    assert len(set(figures.STATE_COLOURS.values())) == len(figures.STATE_COLOURS)


def test_the_gauge_leaves_room_for_its_end_labels():
    fig = figures.readiness_gauge(0.25, 0.1, "★3")
    assert fig.layout.margin.l >= 40 and fig.layout.margin.r >= 40
    assert list(fig.data[0].gauge.axis.tickvals) == [0, 25, 50, 75, 100]


def test_the_coverage_heatmap_counts_each_tier_and_escapes_its_labels():
    per_tier = rules.coverage_by_tier(
        pl.DataFrame({"tier": [1, 1, 2, None], "coverage": ["covered", "unknown", "unknown", "unknown"]})
    )
    names = {c: f"<b>{c}</b>" for c in rules.COVERAGE}
    fig = figures.coverage_heatmap(per_tier, {1: "T1", 2: "T2", None: "—"}, names, "t")
    heat = fig.data[0]
    assert list(heat.x) == ["T1", "T2", "—"]
    assert heat.y[0] == "&lt;b&gt;covered&lt;/b&gt;"
    assert heat.text[0][0] == "1<br>(50%)" and heat.text[-1][1] == "1<br>(100%)"


def test_the_category_heatmap_shows_the_share_partly_met_beside_the_share_met():
    scores = pl.DataFrame(
        {"supplier": ["S1 a", "S1 a"], "category_no": [1, 2], "score": [0.0, 0.5], "partial": [0.25, 0.0]}
    )
    fig = figures.category_heatmap(scores, "supplier", {1: "1 Gov", 2: "2 Sup"}, "t")
    assert [list(row) for row in fig.data[0].text] == [["0 (+25)", "50"]]
