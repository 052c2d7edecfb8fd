"""The supply network below the buyer as the pages and the CLI read it: the ★ each supplier must
hold, how far down valid ★ coverage reaches per tier, the subcontractors many tier-1 suppliers
depend on, uncovered critical paths and links that point back up the chain. The rules are
registry/domain/supply_chain.py; the links and paths come from registry/store/network.py.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from registry.domain import supply_chain as rules
from registry.domain.models import BUYER_ID
from registry.domain.supply_chain import COVERAGE, coverage_by_tier
from registry.store import Store, network
from registry.store.suppliers import supplier_status

__all__ = [
    "COVERAGE",
    "back_links",
    "concentration",
    "coverage_by_tier",
    "network_outline",
    "network_tree",
    "outline_rows",
    "sub_network",
    "sub_network_outline",
    "supplier_coverage",
    "uncovered_critical_paths",
]

_OUTLINE_FACTS = ("supplier_id", "tier", "held_level", "required")


def supplier_coverage(store: Store, as_of: date, default_level: int = 3) -> pl.DataFrame:
    """Every supplier with its tier, held ★, required ★ and coverage class on ``as_of``."""
    with store.held_open():
        status = supplier_status(store, as_of)
        links = network.links_between_suppliers(store)
        with_submission = network.suppliers_with_submissions(store, as_of)
        with_isms = network.suppliers_with_valid_isms(store, as_of)
    required = rules.required_levels(status, links, default_level)
    return rules.classify(status, required, with_submission, default_level, with_isms)


def concentration(store: Store, coverage: pl.DataFrame, limit: int = 50) -> pl.DataFrame:
    """Subcontractors reached through the most tier-1 suppliers, weakest coverage first among equals."""
    return rules.concentration(network.links_between_suppliers(store), coverage, limit)


def uncovered_critical_paths(store: Store, coverage: pl.DataFrame) -> pl.DataFrame:
    """Paths buyer → … → a supplier with no valid evidence, where the part is critical."""
    with store.held_open():
        paths, critical = network.shortest_paths(store), network.critical_into(store)
    return rules.uncovered_critical_paths(paths, critical, coverage)


def network_tree(store: Store, coverage: pl.DataFrame, limit: int = 3000) -> pl.DataFrame:
    """The network as a tree for a sunburst, largest tier-1 branches first, at most ``limit`` suppliers."""
    return rules.network_tree(network.shortest_paths(store), coverage, limit)


def network_outline(store: Store, coverage: pl.DataFrame) -> pl.DataFrame:
    """The whole network below the buyer as an outline (:func:`rules.tree_outline`): each supplier
    under the parent on its shortest path, with its tier, held and required ★ and coverage, and
    how many suppliers its branch holds."""
    paths = network.shortest_paths(store)
    tree = rules.network_tree(paths, coverage, limit=max(1, paths.height))
    return rules.tree_outline(tree, BUYER_ID).join(
        coverage.select(_OUTLINE_FACTS), on="supplier_id", how="left", maintain_order="left"
    )


def sub_network_outline(store: Store, supplier_id: str, coverage: pl.DataFrame, depth: int = 3) -> pl.DataFrame:
    """A supplier's subcontractors down to ``depth`` levels as an outline: each under one parent one
    level up, with ``other_parents`` (its further parents in the sub-network)."""
    nodes, edges = sub_network(store, supplier_id, coverage, depth)
    tree = rules.sub_network_tree(supplier_id, edges, nodes)
    return rules.tree_outline(tree, supplier_id).join(
        coverage.select(_OUTLINE_FACTS), on="supplier_id", how="left", maintain_order="left"
    )


def outline_rows(outline: pl.DataFrame, depth: int, limit: int) -> pl.DataFrame:
    """The rows of an outline to show: down to ``depth`` levels, the first ``limit`` in reading
    order (a table of thousands of rows helps no one; the rest opens on demand)."""
    return outline.filter(pl.col("depth") <= depth).head(limit)


def sub_network(
    store: Store, supplier_id: str, coverage: pl.DataFrame, depth: int = 3
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A supplier's subcontractors down to ``depth`` levels: (nodes with level and coverage, edges)."""
    edges = network.sub_network_edges(store, supplier_id, depth)
    return rules.sub_network_nodes(supplier_id, edges, coverage), edges.select("parent_id", "child_id")


def back_links(store: Store, coverage: pl.DataFrame) -> pl.DataFrame:
    """Links from a supplier to one at the same tier or above it (every cycle has one)."""
    return rules.back_links(network.links_between_suppliers(store), coverage)
