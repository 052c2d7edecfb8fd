from datetime import date
from pathlib import Path

from conftest import AS_OF, registry_data, store_with

from registry.services import dashboard, renewals
from registry.store.suppliers import supplier_status


def _status(store, as_of=AS_OF):
    frame = supplier_status(store, as_of)
    return {r["supplier_id"]: r for r in frame.to_dicts()}


def test_tiers_in_a_diamond_take_the_shortest_path(tmp_path: Path):
    # buyer → A → C → D, buyer → B → D: D is tier 2 through B, C tier 2, E unlinked
    data = registry_data(
        ["A", "B", "C", "D", "E"], [("@buyer", "A"), ("@buyer", "B"), ("A", "C"), ("C", "D"), ("B", "D")]
    )
    status = _status(store_with(tmp_path / "r.duckdb", data))
    assert {k: v["tier"] for k, v in status.items()} == {"A": 1, "B": 1, "C": 2, "D": 2, "E": None}


def test_a_cycle_ends_and_a_deep_chain_is_counted(tmp_path: Path):
    ids = [f"N{i}" for i in range(12)]
    links = [("@buyer", "N0")] + [(ids[i], ids[i + 1]) for i in range(11)] + [("N11", "N0"), ("N5", "N2")]
    status = _status(store_with(tmp_path / "r.duckdb", registry_data(ids, links)))
    assert [status[i]["tier"] for i in ids] == list(range(1, 13))


def test_held_level_is_the_highest_valid_scs_level_as_of_the_date(tmp_path: Path):
    data = registry_data(
        ["A", "B", "C", "D"],
        [("@buyer", x) for x in "ABCD"],
        certificates=[
            ("A", "scs_star3", date(2026, 4, 1), None),  # valid through 2027-03-31
            ("A", "scs_star4", date(2023, 4, 1), None),  # valid through 2026-03-31
            ("B", "security_action_star2", date(2025, 1, 10), None),
            ("C", "security_action_star1", date(2024, 1, 10), None),  # stale after two years
            ("D", "iso27001", date(2025, 1, 1), None),
        ],
        requests=[("A", 4, date(2026, 1, 1)), ("A", 3, date(2026, 6, 1)), ("B", 3, date(2027, 1, 1))],
    )
    store = store_with(tmp_path / "r.duckdb", data)
    status = _status(store)
    assert {k: v["held_level"] for k, v in status.items()} == {
        "A": "star3",
        "B": "security_action",
        "C": "none",
        "D": "none",
    }
    assert status["A"]["requested_level"] == 3  # the newest request counts
    assert status["B"]["requested_level"] is None  # requested after the as-of date
    assert _status(store, date(2026, 3, 31))["A"]["held_level"] == "star4"
    assert _status(store, date(2027, 4, 1))["A"]["held_level"] == "none"


def test_expiring_certificates_and_overview_figures(tmp_path: Path):
    data = registry_data(
        ["A", "B", "C"],
        [("@buyer", "A"), ("A", "B")],
        certificates=[
            ("A", "scs_star3", date(2026, 1, 1), None),  # valid through 2026-12-31: 38 days left
            ("B", "scs_star4", date(2024, 1, 1), date(2027, 6, 30)),  # printed expiry, outside 90 days
            ("C", "pmark", date(2024, 12, 1), None),  # through 2026-11-30: 7 days left
        ],
        requests=[("A", 4, date(2026, 6, 1)), ("B", 3, date(2026, 6, 1))],
    )
    store = store_with(tmp_path / "r.duckdb", data)
    expiring = renewals.expiring(renewals.certificate_states(store, AS_OF), 90)
    assert expiring.select("supplier_id", "days_left").sort("days_left").rows() == [("C", 7), ("A", 38)]
    board = dashboard.board(store, AS_OF)
    assert board.now.suppliers == 3 and board.before.suppliers == 0  # all registered today
    assert sorted(board.held_by_tier.rows(), key=str) == sorted(
        [(1, "star3", 1), (2, "star4", 1), (None, "none", 1)], key=str
    )
    assert (board.now.with_request, board.now.meeting_request, board.now.share_meeting_request) == (2, 1, 0.5)
    assert board.requested_by_tier.select("requested_level", "held_level").rows() == [(4, "star3"), (3, "star4")]
    assert board.now.expiring == 2 and board.catalogue_version == "2026-03-27"
    assert board.quarter == (date(2026, 10, 1), date(2026, 12, 31))
    assert set(board.renewals["supplier_id"]) == {"A", "C"}  # both fall due in this quarter
    assert board.readiness.readiness.height == 3
