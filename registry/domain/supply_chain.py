"""The supply network's rules (pure, over frames):

- Required ★: a supplier's own (newest) request; otherwise, for tier 1 the default, and deeper
  down the strongest requirement any parent passes down, capped at the default (★3 unless
  configured) — never above the parent's.
- Coverage of a supplier: ``covered`` (a valid ★ at or above the required one), ``below_required``
  (a valid ★ below it), ``other_evidence`` (no valid ★, but a valid ISMS certificate, which is
  current evidence for its whole validity), ``questionnaire_only`` (only a submission), ``unknown``.
- Concentration: the subcontractors reached through the most tier-1 suppliers.
- Back links: links to a supplier at the same tier or above (every cycle has one).
- Outline: a network as an indented tree, each supplier under one parent, largest branches first,
  with how many suppliers hang below it and how many of those nothing is known about.
"""

from __future__ import annotations

import polars as pl

from registry.domain.models import BUYER_ID

__all__ = [
    "COVERAGE",
    "back_links",
    "classify",
    "concentration",
    "coverage_by_tier",
    "network_tree",
    "required_levels",
    "sub_network_nodes",
    "sub_network_tree",
    "tree_outline",
    "uncovered_critical_paths",
]

COVERAGE = ("covered", "below_required", "other_evidence", "questionnaire_only", "unknown")
_HELD_STAR = {"star4": 4, "star3": 3}


def required_levels(status: pl.DataFrame, links: pl.DataFrame, default_level: int) -> pl.DataFrame:
    """Required ★ per supplier, passed down tier by tier (set-wise per tier)."""
    required = status.select(
        "supplier_id",
        "tier",
        required=pl.when(pl.col("requested_level").is_not_null())
        .then(pl.col("requested_level"))
        .when(pl.col("tier") == 1)
        .then(pl.lit(default_level))
        .otherwise(pl.lit(None))
        .cast(pl.Int32),
    )
    max_tier = int(status["tier"].max() or 1)
    for tier in range(2, max_tier + 1):
        known = required.filter(pl.col("required").is_not_null()).select(
            parent_id="supplier_id", parent_required="required"
        )
        passed = (
            links.join(known, on="parent_id")
            .group_by("child_id")
            .agg(passed=pl.col("parent_required").max())
            .with_columns(pl.min_horizontal("passed", pl.lit(default_level)).cast(pl.Int32))
        )
        required = (
            required.join(passed, left_on="supplier_id", right_on="child_id", how="left")
            .with_columns(
                required=pl.when(pl.col("required").is_null() & (pl.col("tier") == tier))
                .then(pl.col("passed"))
                .otherwise(pl.col("required"))
            )
            .drop("passed")
        )
    return required.select("supplier_id", "required")


def classify(
    status: pl.DataFrame,
    required: pl.DataFrame,
    with_submission: pl.Series,
    default_level: int,
    with_isms: pl.Series | None = None,
) -> pl.DataFrame:
    """Every supplier of ``status`` with its required ★ and coverage class."""
    isms = with_isms if with_isms is not None else pl.Series("supplier_id", [], dtype=pl.String)
    held = pl.col("held_level").replace_strict(_HELD_STAR, default=0, return_dtype=pl.Int32)
    return status.join(required, on="supplier_id", how="left").with_columns(
        required=pl.col("required").fill_null(default_level),
        coverage=pl.when(held >= pl.col("required").fill_null(default_level))
        .then(pl.lit("covered"))
        .when(held > 0)
        .then(pl.lit("below_required"))
        .when(pl.col("supplier_id").is_in(isms.implode()))
        .then(pl.lit("other_evidence"))
        .when(pl.col("supplier_id").is_in(with_submission.implode()))
        .then(pl.lit("questionnaire_only"))
        .otherwise(pl.lit("unknown")),
    )


def coverage_by_tier(coverage: pl.DataFrame) -> pl.DataFrame:
    """Per tier (null: not linked to the buyer): suppliers and how many fall in each coverage class."""
    return (
        coverage.group_by("tier")
        .agg(
            suppliers=pl.len(),
            **{name: (pl.col("coverage") == name).sum() for name in COVERAGE},
        )
        .sort("tier", nulls_last=True)
    )


def concentration(links: pl.DataFrame, coverage: pl.DataFrame, limit: int = 50) -> pl.DataFrame:
    """Subcontractors reached through the most tier-1 suppliers (fan-in), weakest coverage first
    among equals: the hidden single points of failure.

    Tier-1 ancestors are passed down the links that go one tier deeper (the shortest-path DAG),
    a tier at a time, so cycles and back links add nothing and the work stays linear in the links.
    """
    tiers = coverage.filter(pl.col("tier").is_not_null()).select("supplier_id", "tier")
    downward = (
        links.select("parent_id", "child_id")
        .unique()
        .join(tiers.rename({"supplier_id": "parent_id", "tier": "parent_tier"}), on="parent_id")
        .join(tiers.rename({"supplier_id": "child_id", "tier": "child_tier"}), on="child_id")
        .filter(pl.col("child_tier") == pl.col("parent_tier") + 1)
    )
    roots = tiers.filter(pl.col("tier") == 1).select("supplier_id", root="supplier_id")
    reached = [roots]
    for tier in range(2, int(tiers["tier"].max() or 1) + 1):
        step = (
            downward.filter(pl.col("child_tier") == tier)
            .join(reached[-1], left_on="parent_id", right_on="supplier_id")
            .select(supplier_id="child_id", root="root")
            .unique()
        )
        if step.is_empty():
            break
        reached.append(step)
    fan_in = pl.concat(reached[1:]) if len(reached) > 1 else roots.clear()
    weakness = {"unknown": 0, "questionnaire_only": 1, "other_evidence": 2, "below_required": 3, "covered": 4}
    return (
        fan_in.group_by("supplier_id")
        .agg(tier1_through=pl.col("root").n_unique())
        .join(coverage.select("supplier_id", "name", "tier", "held_level", "required", "coverage"), on="supplier_id")
        .with_columns(weakness=pl.col("coverage").replace_strict(weakness, return_dtype=pl.Int32))
        .sort(["tier1_through", "weakness", "supplier_id"], descending=[True, False, False])
        .drop("weakness")
        .head(limit)
    )


def uncovered_critical_paths(paths: pl.DataFrame, critical_in: pl.DataFrame, coverage: pl.DataFrame) -> pl.DataFrame:
    """Paths buyer → … → a supplier with no valid evidence at all, where the part is critical:
    the supplier must hold ★4, or a link into it is marked critical."""
    return (
        paths.join(critical_in, on="supplier_id", how="left")
        .join(coverage.select("supplier_id", "name", "tier", "required", "coverage"), on="supplier_id")
        .filter((pl.col("coverage") == "unknown") & ((pl.col("required") == 4) | pl.col("critical").fill_null(False)))
        .with_columns(
            ids=pl.col("path"),
            path=pl.lit("発注者 → ") + pl.col("path").list.join(" → "),
            path_en=pl.lit("Buyer → ") + pl.col("path").list.join(" → "),
        )
        .sort("tier", "supplier_id")
    )


def network_tree(paths: pl.DataFrame, coverage: pl.DataFrame, limit: int = 3000) -> pl.DataFrame:
    """The network as a tree (each supplier under the parent on its shortest path) for a sunburst,
    largest tier-1 branches first, at most ``limit`` suppliers."""
    paths = paths.with_columns(
        parent=pl.col("path").list.get(-2, null_on_oob=True).fill_null(BUYER_ID),
        branch=pl.col("path").list.first(),
    )
    sizes = paths.group_by("branch").agg(size=pl.len())
    return (
        paths.join(sizes, on="branch")
        .join(coverage.select("supplier_id", "name", "coverage"), on="supplier_id")
        .sort(["size", "branch", "supplier_id"], descending=[True, False, False])
        .head(limit)
        .select("supplier_id", "parent", "name", "coverage")
    )


def sub_network_nodes(supplier_id: str, edges: pl.DataFrame, coverage: pl.DataFrame) -> pl.DataFrame:
    """The nodes of a supplier's sub-network (``edges`` with their level), each at its first level."""
    levels = (
        pl.concat(
            [
                pl.DataFrame(
                    {"supplier_id": [supplier_id], "level": [0]}, schema={"supplier_id": pl.String, "level": pl.Int32}
                ),
                edges.group_by("child_id")
                .agg(level=pl.col("level").min().cast(pl.Int32))
                .rename({"child_id": "supplier_id"}),
            ]
        )
        .group_by("supplier_id")
        .agg(pl.col("level").min())
    )
    return levels.join(coverage.select("supplier_id", "name", "coverage"), on="supplier_id", how="left").sort(
        "level", "supplier_id"
    )


def back_links(links: pl.DataFrame, coverage: pl.DataFrame) -> pl.DataFrame:
    """Links from a supplier to one at the same tier or above it: every cycle in the network has one.
    They are reported, never followed twice (tiers are shortest distances)."""
    tiers = coverage.select("supplier_id", "tier")
    return (
        links.select("parent_id", "child_id", "source")
        .join(tiers.rename({"supplier_id": "parent_id", "tier": "parent_tier"}), on="parent_id")
        .join(tiers.rename({"supplier_id": "child_id", "tier": "child_tier"}), on="child_id")
        .filter(pl.col("child_tier") <= pl.col("parent_tier"))
        .sort("parent_id", "child_id")
    )


def sub_network_tree(supplier_id: str, edges: pl.DataFrame, nodes: pl.DataFrame) -> pl.DataFrame:
    """A supplier's sub-network as a tree for :func:`tree_outline`: each node (``nodes``, from
    :func:`sub_network_nodes`) under one parent one level up (the smallest ID when several), with
    ``other_parents``, how many more parents in the sub-network it has."""
    level = nodes.select("supplier_id", "level")
    candidates = (
        edges.select("parent_id", "child_id")
        .unique()
        .join(level.rename({"supplier_id": "parent_id", "level": "parent_level"}), on="parent_id")
        .join(level.rename({"supplier_id": "child_id", "level": "child_level"}), on="child_id")
        .filter(pl.col("child_level") == pl.col("parent_level") + 1)
        .group_by("child_id")
        .agg(parent=pl.col("parent_id").min(), other_parents=(pl.len() - 1).cast(pl.Int32))
    )
    return (
        nodes.filter(pl.col("supplier_id") != supplier_id)
        .join(candidates, left_on="supplier_id", right_on="child_id")
        .select("supplier_id", "parent", "name", "coverage", "other_parents")
    )


def tree_outline(tree: pl.DataFrame, root: str) -> pl.DataFrame:
    """A tree (``supplier_id``, ``parent``, and any other columns; each supplier once) read from
    ``root`` down as an outline, in reading order: each row with its ``depth`` (1 under the root),
    ``children``, ``below`` (every supplier in its branch) and ``below_unknown`` (those of them
    with coverage ``unknown``); siblings largest branch first, then by ID.

    Set-wise, one step per depth; suppliers not reached from ``root`` are left out, and a supplier
    is placed once even if the frame loops."""
    tree = tree.filter(pl.col("supplier_id") != root)
    steps: list[pl.DataFrame] = []
    placed = pl.DataFrame({"supplier_id": [root]}, schema={"supplier_id": pl.String})
    frontier = placed
    while not frontier.is_empty():
        step = (
            tree.join(frontier.rename({"supplier_id": "parent"}), on="parent", how="semi")
            .join(placed, on="supplier_id", how="anti")
            .unique("supplier_id", keep="first", maintain_order=True)
            .with_columns(depth=pl.lit(len(steps) + 1, pl.Int32))
        )
        if step.is_empty():
            break
        steps.append(step)
        placed = pl.concat([placed, step.select("supplier_id")])
        frontier = step.select("supplier_id")
    if not steps:
        return tree.clear().with_columns(
            depth=pl.lit(None, pl.Int32),
            children=pl.lit(None, pl.Int32),
            below=pl.lit(None, pl.Int32),
            below_unknown=pl.lit(None, pl.Int32),
        )
    zero = pl.DataFrame(
        schema={"supplier_id": pl.String, "children": pl.Int32, "below": pl.Int32, "below_unknown": pl.Int32}
    )
    counted: list[pl.DataFrame] = []
    under = zero
    for step in reversed(steps):  # the deepest first: each parent adds up its children's branches
        step = step.join(under, on="supplier_id", how="left").with_columns(
            pl.col("children", "below", "below_unknown").fill_null(0)
        )
        counted.append(step)
        unknown = (pl.col("coverage") == "unknown").cast(pl.Int32) if "coverage" in step.columns else pl.lit(0)
        under = (
            step.group_by("parent")
            .agg(
                children=pl.len().cast(pl.Int32),
                below=(pl.col("below") + 1).sum().cast(pl.Int32),
                below_unknown=(pl.col("below_unknown") + unknown).sum().cast(pl.Int32),
            )
            .rename({"parent": "supplier_id"})
        )
    keyed: list[pl.DataFrame] = []
    keys = pl.DataFrame({"parent": [root], "parent_key": [""]})
    for step in reversed(counted):  # the shallowest first: each row's key extends its parent's
        step = (
            step.join(keys, on="parent")
            .sort(["parent_key", "below", "supplier_id"], descending=[False, True, False])
            .with_columns(key=pl.col("parent_key") + pl.int_range(pl.len()).over("parent").cast(pl.String).str.zfill(7))
            .drop("parent_key")
        )
        keyed.append(step)
        keys = step.select(parent="supplier_id", parent_key="key")
    return pl.concat(keyed, how="diagonal_relaxed").sort("key").drop("key")
