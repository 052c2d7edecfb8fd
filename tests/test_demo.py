from datetime import date

import polars as pl
from conftest import AS_OF

from registry.domain.models import BUYER_ID, normalise_corporate_number
from registry.domain.validity import effective_expiry
from registry.services.demo import INDUSTRIES, generate_demo
from registry.store.suppliers import supplier_status


def test_same_seed_same_registry_other_seed_other_registry():
    a, b, c = generate_demo(300, 11, AS_OF), generate_demo(300, 11, AS_OF), generate_demo(300, 12, AS_OF)
    for name in ("suppliers", "links", "certificates", "requests"):
        assert getattr(a, name).equals(getattr(b, name))
    assert not a.suppliers.equals(c.suppliers)


def test_demo_suppliers_look_real_and_are_valid():
    demo = generate_demo(2000, 3, AS_OF)
    suppliers = demo.suppliers
    assert suppliers["supplier_id"].n_unique() == 2000
    assert suppliers["name_key"].n_unique() == 2000
    assert all(any(form in n for form in ("株式会社", "有限会社", "合同会社")) for n in suppliers["name"])
    assert all(normalise_corporate_number(n) == n for n in suppliers["corporate_number"])
    assert suppliers["corporate_number"].n_unique() == 2000
    assert set(suppliers["industry"]) <= {v[0] for v in INDUSTRIES.values()} and suppliers["industry"].n_unique() >= 6
    assert suppliers["employees"].min() >= 3 and suppliers["employees"].max() <= 3000
    assert suppliers["employees"].max() > 1000 and suppliers["employees"].min() < 10


def test_demo_network_has_three_tiers_and_shared_subcontractors(tmp_path):
    from conftest import make_store

    store = make_store(tmp_path / "r.duckdb", suppliers=1000, seed=4)
    status = supplier_status(store, AS_OF)
    assert set(status["tier"].to_list()) == {1, 2, 3}
    demo = generate_demo(1000, 4, AS_OF)
    fan_in = demo.links.filter(pl.col("parent_id") != BUYER_ID).group_by("child_id").len()
    assert fan_in["len"].max() >= 8  # a hub behind many suppliers
    assert (fan_in["len"] > 1).sum() > 50


def test_demo_certificates_are_spread_over_states():
    demo = generate_demo(3000, 9, AS_OF)
    certs = demo.certificates
    assert set(certs["scheme"]) >= {
        "scs_star3",
        "scs_star4",
        "iso27001",
        "pmark",
        "security_action_star1",
        "security_action_star2",
    }
    expiries = [effective_expiry(s, i, None) for s, i in certs.select("scheme", "issued_on").iter_rows()]
    days = [(e - AS_OF).days for e in expiries if e is not None]
    assert any(d < 0 for d in days), "some have lapsed"
    assert any(0 <= d <= 90 for d in days), "some expire soon"
    assert any(d > 90 for d in days), "some are safely valid"
    assert demo.requests["requested_level"].n_unique() == 2


def test_demo_scales_to_100k_suppliers():
    demo = generate_demo(100_000, 1, date(2026, 11, 23))
    assert demo.suppliers.height == 100_000
    assert demo.links.height > 100_000
    assert demo.suppliers["name_key"].n_unique() == 100_000
