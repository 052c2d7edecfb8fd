"""The yardstick engine: every supplier's evidence read onto the SCS criteria (docs/yardstick.md).

One set-based DuckDB query gathers every piece of evidence (certificates, current submissions'
answers directly or through crosswalks), applies the relationship rules, ranks the pieces and
keeps the first per supplier and criterion, with its provenance and conflicts. Readiness and
category scores are polars aggregations of that result. Everything takes ``as_of``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from questionnaires.catalogue import CURRENT_VERSION, Catalogue, load_catalogue
from questionnaires.crosswalks import crosswalk_frame
from registry.domain.validity import expiry_sql, policy_for, stale_sql
from registry.services.crosswalk_store import effective_crosswalks, user_crosswalk_texts
from registry.store import Store

__all__ = [
    "Settings",
    "SupplierView",
    "catalogue_in_force",
    "category_scores",
    "counts_of",
    "derive",
    "evidence",
    "evidence_chain",
    "explain",
    "portfolio_counts",
    "portfolio_readiness",
    "readiness",
    "readiness_snapshot",
    "requirement_status",
    "settings_from_store",
    "supplier_view",
]

STATUS_ORDER = ("met", "partial", "not_met", "unknown")


@dataclass(frozen=True)
class Settings:
    """Thresholds of the rules (kept in the registry's settings table)."""

    min_strength: float = 0.3
    fresh_months: int = 12


def settings_from_store(store: Store) -> Settings:
    return Settings(
        min_strength=float(store.setting("yardstick.min_strength", "0.3") or 0.3),
        fresh_months=int(store.setting("yardstick.fresh_months", "12") or 12),
    )


_RULE = """CASE x.relationship
    WHEN 'equal' THEN a.status
    WHEN 'superset' THEN CASE a.status WHEN 'met' THEN 'met' WHEN 'partial' THEN 'partial' END
    WHEN 'subset' THEN CASE a.status WHEN 'not_met' THEN 'not_met' ELSE 'partial' END
    WHEN 'intersect' THEN CASE a.status WHEN 'not_met' THEN NULL ELSE 'partial' END
END"""

_EVIDENCE = f"""
WITH certs AS (
    SELECT c.*, {{expiry}} AS valid_until, {{stale}} AS stale FROM certificate c
    WHERE {{who_c}}
),
valid_certs AS (
    SELECT * FROM certs
    WHERE issued_on <= $as_of AND (valid_until IS NULL OR valid_until >= $as_of) AND NOT stale
),
subs AS (
    SELECT * FROM (
        SELECT s.*, row_number() OVER (
            PARTITION BY supplier_id, framework_id ORDER BY submitted_on DESC, imported_at DESC, submission_id DESC
        ) AS newest
        FROM submission s
        WHERE s.submitted_on <= $as_of AND {{who_s}}
    ) WHERE newest = 1
),
ans AS (
    SELECT s.supplier_id, s.submission_id, s.framework_id, s.catalogue_version, s.submitted_on, s.source_name,
           a.item_id, a.status, a.raw_answer, a.location
    FROM subs s JOIN answer a USING (submission_id)
    WHERE a.status IN ('met', 'partial', 'not_met')
),
xw AS (SELECT * FROM {{xw}} WHERE target_version = $version AND strength >= $min_strength),
pieces AS (
    SELECT c.supplier_id, k.criterion_id, 'certified' AS kind, 3 AS rank, 1.0 AS strength, c.issued_on AS evidence_date,
           'met' AS status, c.scheme AS source_framework, c.certificate_id AS source_ref, c.registration_no AS source_item,
           NULL AS relationship, NULL AS raw_answer, NULL AS location, c.valid_until
    FROM valid_certs c JOIN {{crit}} k ON k.level <= CASE c.scheme WHEN 'scs_star4' THEN 4 ELSE 3 END
    WHERE c.scheme IN ('scs_star3', 'scs_star4')
    UNION ALL
    SELECT a.supplier_id, a.item_id, 'self_assessment', 2, 1.0, a.submitted_on, a.status, 'scs',
           a.source_name, a.item_id, 'equal', a.raw_answer, a.location, NULL
    FROM ans a JOIN {{crit}} k ON k.criterion_id = a.item_id
    WHERE a.framework_id = 'scs' AND a.catalogue_version = $version
    UNION ALL
    SELECT a.supplier_id, x.criterion_id,
           CASE WHEN a.framework_id = 'scs' THEN 'migrated' ELSE 'crosswalk' END,
           CASE WHEN a.framework_id = 'scs' THEN 2 ELSE 1 END,
           x.strength, a.submitted_on, {_RULE}, a.framework_id, a.source_name, a.item_id, x.relationship,
           a.raw_answer, a.location, NULL
    FROM ans a JOIN xw x ON x.source_framework = a.framework_id AND x.source_item = a.item_id
        AND (a.framework_id <> 'scs' OR x.source_version = a.catalogue_version)
    WHERE NOT (a.framework_id = 'scs' AND a.catalogue_version = $version)
    UNION ALL
    SELECT c.supplier_id, x.criterion_id, 'certificate', 1, x.strength, c.issued_on,
           CASE x.relationship WHEN 'equal' THEN 'met' WHEN 'superset' THEN 'met' ELSE 'partial' END,
           c.scheme, c.certificate_id, x.source_item, x.relationship, c.registration_no, NULL, c.valid_until
    FROM valid_certs c JOIN xw x
      ON (c.scheme = 'iso27001' AND x.source_framework = 'iso27001')
      OR (c.scheme LIKE 'security_action_star%' AND x.source_framework = 'security_action'
          AND x.source_item = replace(c.scheme, 'security_action_', ''))
)
"""
_RANKING = """,
ranked AS (
    SELECT p.*,
           (p.kind = 'certified' OR p.evidence_date > CAST($as_of - to_months($fresh_months) AS DATE)) AS fresh,
           row_number() OVER w_order AS position,
           count(*) OVER w_all AS pieces
    FROM pieces p
    WHERE p.status IS NOT NULL
    WINDOW w_order AS (PARTITION BY supplier_id, criterion_id
                       ORDER BY (p.kind = 'certified' OR p.evidence_date > CAST($as_of - to_months($fresh_months) AS DATE)) DESC,
                                rank DESC, strength DESC, evidence_date DESC, source_ref, source_item),
           w_all AS (PARTITION BY supplier_id, criterion_id)
),
tied AS (
    SELECT *, min(status) OVER w_tie <> max(status) OVER w_tie AS disagrees
    FROM ranked
    WINDOW w_tie AS (PARTITION BY supplier_id, criterion_id, fresh, rank, strength)
)
"""


def catalogue_in_force(store: Store) -> Catalogue:
    """The SCS catalogue version the registry reads suppliers on."""
    return load_catalogue(store.setting("catalogue_version") or CURRENT_VERSION)


def _held_open(function):  # type: ignore[no-untyped-def]
    """Run with the database held open: the function's several reads then share one open file."""

    @functools.wraps(function)
    def wrapper(store: Store, *args, **kwargs):  # type: ignore[no-untyped-def]
        with store.held_open():
            return function(store, *args, **kwargs)

    return wrapper


_FRAME_CACHE: dict[tuple[object, ...], tuple[pl.DataFrame, pl.DataFrame]] = {}


def _frames(store: Store, catalogue: Catalogue) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The criteria and every crosswalk entry as frames; rebuilt only when a profile changes."""
    from registry.services.intake import (
        mapping_profiles,  # intake imports the store layer; import here to keep layers one-way
    )

    profiles = mapping_profiles(store)
    saved = tuple(user_crosswalk_texts(store))
    key = (catalogue.version, saved, *sorted((name, p.model_dump_json()) for name, p in profiles.items()))
    if key not in _FRAME_CACHE:
        if len(_FRAME_CACHE) > 16:
            _FRAME_CACHE.clear()
        criteria = catalogue.criteria_frame().select("criterion_id", "requirement_id", "category_no", "level")
        _FRAME_CACHE[key] = (criteria, crosswalk_frame(effective_crosswalks(store, profiles)))
    return _FRAME_CACHE[key]


def _params(
    as_of: date, catalogue: Catalogue, settings: Settings, suppliers: str | Sequence[str] | None
) -> dict[str, object]:
    """Query parameters; ``suppliers`` is one supplier ID, several, or None for every supplier."""
    params: dict[str, object] = {
        "as_of": as_of,
        "version": catalogue.version,
        "min_strength": settings.min_strength,
        "fresh_months": settings.fresh_months,
    }
    if isinstance(suppliers, str):
        params["supplier"] = suppliers
    elif suppliers is not None:
        params["suppliers"] = list(suppliers) or [""]
    return params


_FEW = 256


def _who(alias: str, suppliers: str | Sequence[str] | None) -> str:
    """The supplier filter: an equality for one supplier (DuckDB then prunes the answer table; a
    semi-join would read all of it), a list as a semi-join, or nothing."""
    if isinstance(suppliers, str):
        return f"{alias}.supplier_id = $supplier"
    if suppliers is not None and len(suppliers) <= _FEW:
        # a filter on the scan: 50× faster than the semi-join for a handful (measured at 100,000)
        return f"list_contains($suppliers, {alias}.supplier_id)"
    if suppliers is not None:
        return f"{alias}.supplier_id IN (SELECT unnest($suppliers))"
    return "TRUE"


def _sql(store: Store, tail: str, suppliers: str | Sequence[str] | None) -> str:
    """The evidence query followed by ``tail``, both filtered to the suppliers asked for."""
    who = {"who_c": _who("c", suppliers), "who_s": _who("s", suppliers)}
    policy = policy_for(store)
    head = _EVIDENCE.format(
        xw="xw_frame", crit="crit_frame", expiry=expiry_sql("c", policy), stale=stale_sql("c", policy), **who
    )
    return head + _RANKING + tail.replace("{who_s}", who["who_s"])


@_held_open
def evidence(
    store: Store, as_of: date, supplier_id: str, criterion_id: str | None = None, settings: Settings | None = None
) -> pl.DataFrame:
    """Every piece of evidence of one supplier (optionally one criterion), ranked as the rules rank them."""
    catalogue = catalogue_in_force(store)
    settings = settings or settings_from_store(store)
    criteria, crosswalks = _frames(store, catalogue)
    sql = _sql(
        store,
        """
        SELECT supplier_id, criterion_id, position, kind, rank, strength, status, fresh, disagrees AS conflict,
               evidence_date, source_framework, source_ref, source_item, relationship, raw_answer, location, valid_until
        FROM tied WHERE $criterion IS NULL OR criterion_id = $criterion
        ORDER BY criterion_id, position""",
        supplier_id,
    )
    return store.frame_with(
        sql,
        {**_params(as_of, catalogue, settings, supplier_id), "criterion": criterion_id},
        xw_frame=crosswalks,
        crit_frame=criteria,
    )


@_held_open
def derive(
    store: Store, as_of: date, supplier_id: str | Sequence[str] | None = None, settings: Settings | None = None
) -> pl.DataFrame:
    """One row per supplier and criterion of the catalogue in force: status and the evidence behind it
    (for one supplier ID, a list of them, or every supplier)."""
    catalogue = catalogue_in_force(store)
    settings = settings or settings_from_store(store)
    criteria, crosswalks = _frames(store, catalogue)
    sql = _sql(
        store,
        """
        , winners AS (SELECT * FROM tied WHERE position = 1)
        , conflicts AS (
            SELECT supplier_id, criterion_id FROM tied t
            WHERE disagrees AND EXISTS (
                SELECT 1 FROM winners w WHERE w.supplier_id = t.supplier_id AND w.criterion_id = t.criterion_id
                  AND w.fresh = t.fresh AND w.rank = t.rank AND w.strength = t.strength)
            GROUP BY ALL
        )
        SELECT s.supplier_id, k.criterion_id, k.requirement_id, CAST(k.category_no AS TINYINT) AS category_no,
               CAST(k.level AS TINYINT) AS level,
               -- Enumerations travel as dictionaries: 15 million rows stay small in memory.
               CAST(coalesce(w.status, 'unknown') AS ENUM('met', 'partial', 'not_met', 'unknown')) AS status,
               CAST(w.kind AS ENUM('certified', 'self_assessment', 'migrated', 'crosswalk', 'certificate')) AS kind,
               CAST(w.strength AS FLOAT) AS strength, w.evidence_date, coalesce(NOT w.fresh, false) AS stale,
               (c.criterion_id IS NOT NULL) AS conflict,
               w.source_framework, w.source_ref, w.source_item,
               CAST(w.relationship AS ENUM('equal', 'subset', 'superset', 'intersect')) AS relationship, w.raw_answer,
               CAST(coalesce(w.pieces, 0) AS SMALLINT) AS pieces
        FROM supplier s CROSS JOIN crit_frame k
        LEFT JOIN winners w ON w.supplier_id = s.supplier_id AND w.criterion_id = k.criterion_id
        LEFT JOIN conflicts c ON c.supplier_id = s.supplier_id AND c.criterion_id = k.criterion_id
        WHERE {who_s}
        ORDER BY s.supplier_id, k.criterion_id""",
        supplier_id,
    )
    return store.frame_with(
        sql, _params(as_of, catalogue, settings, supplier_id), xw_frame=crosswalks, crit_frame=criteria
    )


def readiness(statuses: pl.DataFrame) -> pl.DataFrame:
    """Per supplier: share of ★3 and ★4 criteria met (fresh), and partial, from :func:`derive`."""
    counted = statuses.with_columns(
        met=(pl.col("status") == "met") & ~pl.col("stale"),
        partial=(pl.col("status") == "partial") & ~pl.col("stale"),
    )
    star3 = pl.col("level") == 3
    return counted.group_by("supplier_id", maintain_order=True).agg(
        star3=pl.col("met").filter(star3).mean(),
        star3_partial=pl.col("partial").filter(star3).mean(),
        star4=pl.col("met").mean(),
        star4_partial=pl.col("partial").mean(),
        conflicts=pl.col("conflict").sum(),
        stale=pl.col("stale").sum(),
    )


def category_scores(statuses: pl.DataFrame, level: int = 4) -> pl.DataFrame:
    """Per supplier and category (1–7): share of the ★``level`` criteria met and fresh."""
    return (
        statuses.filter(pl.col("level") <= level)
        .group_by("supplier_id", "category_no", maintain_order=True)
        .agg(score=((pl.col("status") == "met") & ~pl.col("stale")).mean())
        .sort("supplier_id", "category_no")
    )


def requirement_status(statuses: pl.DataFrame, level: int = 4) -> pl.DataFrame:
    """Per supplier and requirement at ★``level``: met, not_met, unknown or partial (docs/yardstick.md §4)."""
    known = pl.col("status").is_in(["met", "partial", "not_met"]) & ~pl.col("stale")
    return (
        statuses.filter(pl.col("level") <= level)
        .group_by("supplier_id", "requirement_id", "category_no", maintain_order=True)
        .agg(
            all_met=((pl.col("status") == "met") & ~pl.col("stale")).all(),
            any_not_met=((pl.col("status") == "not_met") & ~pl.col("stale")).any(),
            any_known=known.any(),
        )
        .with_columns(
            status=pl.when("all_met")
            .then(pl.lit("met"))
            .when("any_not_met")
            .then(pl.lit("not_met"))
            .when(~pl.col("any_known"))
            .then(pl.lit("unknown"))
            .otherwise(pl.lit("partial"))
        )
        .drop("all_met", "any_not_met", "any_known")
    )


_SCHEME_NAMES = {
    "scs_star3": "SCS ★3 certificate",
    "scs_star4": "SCS ★4 certificate",
    "iso27001": "ISO/IEC 27001 certificate",
    "security_action_star1": "SECURITY ACTION ★1 declaration",
    "security_action_star2": "SECURITY ACTION ★2 declaration",
}


def evidence_chain(piece: dict[str, object]) -> str:
    """One piece of evidence as a readable chain, e.g.
    ``ISO/IEC 27001 certificate JQA-1234 (valid to 2027-05-31) → A.5.17 → intersect → 4-1-6-2: partial``."""
    target = f"{piece['criterion_id']}: {piece['status']}"
    valid = f" (valid to {piece['valid_until']})" if piece.get("valid_until") else ""
    if piece["kind"] == "certified":
        return f"{_SCHEME_NAMES.get(str(piece['source_framework']), piece['source_framework'])} {piece['source_item']}{valid} → {target}"
    if piece["kind"] == "certificate":
        name = _SCHEME_NAMES.get(str(piece["source_framework"]), piece["source_framework"])
        return f"{name} {piece['raw_answer']}{valid} → {piece['source_item']} → {piece['relationship']} {piece['strength']:.1f} → {target}"
    answer = f"{piece['source_ref']} ({piece['evidence_date']}), {piece['location']} {piece['raw_answer']!r}"
    if piece["kind"] == "self_assessment":
        return f"SCS self-assessment {answer} → {target}"
    return f"{piece['source_framework']} {answer} → item {piece['source_item']} → {piece['relationship']} {piece['strength']:.1f} → {target}"


def explain(store: Store, as_of: date, supplier_id: str, criterion_id: str) -> list[dict[str, object]]:
    """The evidence chain of one supplier's criterion, the deciding piece first."""
    pieces = evidence(store, as_of, supplier_id, criterion_id)
    return [
        {
            **row,
            "chain": evidence_chain(row),
            "decides": row["position"] == 1,
        }
        for row in pieces.to_dicts()
    ]


@_held_open
def portfolio_counts(
    store: Store, as_of: date, settings: Settings | None = None, *, with_conflicts: bool = False
) -> pl.DataFrame:
    """Per supplier, category and ★ level: criteria met and partial by fresh evidence (set-based,
    without materialising the unknown rows); ``with_conflicts`` adds the criteria whose deciding
    evidence is contradicted by a piece of equal weight (the conflicts :func:`derive` reports),
    which doubles the cost."""
    catalogue = catalogue_in_force(store)
    settings = settings or settings_from_store(store)
    criteria, crosswalks = _frames(store, catalogue)
    conflicts = (
        """,
               count(*) FILTER (WHERE t.disagrees) AS conflicts,
               list(t.criterion_id ORDER BY t.criterion_id) FILTER (WHERE t.disagrees) AS conflict_criteria"""
        if with_conflicts
        else ""
    )
    sql = _sql(
        store,
        f"""
        SELECT t.supplier_id, k.category_no, k.level,
               count(*) FILTER (WHERE t.status = 'met' AND t.fresh) AS met,
               count(*) FILTER (WHERE t.status = 'partial' AND t.fresh) AS partial{conflicts}
        FROM tied t JOIN crit_frame k USING (criterion_id)
        WHERE t.position = 1
        GROUP BY ALL""",
        None,
    )
    return store.frame_with(sql, _params(as_of, catalogue, settings, None), xw_frame=crosswalks, crit_frame=criteria)


def counts_of(statuses: pl.DataFrame) -> pl.DataFrame:
    """The :func:`portfolio_counts` shape (with conflicts) from :func:`derive`'s statuses, for a few
    suppliers."""
    fresh = ~pl.col("stale")
    return (
        statuses.filter(pl.col("status").is_in(["met", "partial", "not_met"]) | pl.col("conflict"))
        .group_by("supplier_id", "category_no", "level")
        .agg(
            met=((pl.col("status") == "met") & fresh).sum(),
            partial=((pl.col("status") == "partial") & fresh).sum(),
            conflicts=pl.col("conflict").sum(),
            conflict_criteria=pl.col("criterion_id").filter(pl.col("conflict")).sort(),
        )
    )


def portfolio_readiness(counts: pl.DataFrame, suppliers: pl.DataFrame, catalogue: Catalogue) -> pl.DataFrame:
    """Readiness for ★3 and ★4 of every supplier in ``suppliers`` (those without evidence: 0)."""
    star3_total = len(catalogue.criteria_at(3))
    star4_total = len(catalogue.criteria)
    per = counts.group_by("supplier_id").agg(
        met3=pl.col("met").filter(pl.col("level") == 3).sum(),
        partial3=pl.col("partial").filter(pl.col("level") == 3).sum(),
        met4=pl.col("met").sum(),
        partial4=pl.col("partial").sum(),
    )
    return (
        suppliers.join(per, on="supplier_id", how="left")
        .with_columns(pl.col("met3", "partial3", "met4", "partial4").fill_null(0))
        .with_columns(
            star3=pl.col("met3") / star3_total,
            star3_partial=pl.col("partial3") / star3_total,
            star4=pl.col("met4") / star4_total,
            star4_partial=pl.col("partial4") / star4_total,
        )
        .drop("met3", "partial3", "met4", "partial4")
    )


HISTORY_COLUMNS = (
    "star3",
    "star3_partial",
    "star4",
    "star4_partial",
    *(f"cat{n}" for n in range(1, 8)),
)


def readiness_snapshot(counts: pl.DataFrame, supplier_ids: pl.Series, catalogue: Catalogue) -> pl.DataFrame:
    """One row per supplier: readiness for ★3 and ★4 and the share of each category's ★4 criteria
    met (``cat1`` … ``cat7``), the shape of the ``readiness_history`` table."""
    suppliers = pl.DataFrame({"supplier_id": supplier_ids})
    ready = portfolio_readiness(counts, suppliers, catalogue)
    totals = catalogue.criteria_frame().group_by("category_no").agg(total=pl.len())
    per_category = (
        counts.group_by("supplier_id", "category_no")
        .agg(met=pl.col("met").sum())
        .join(totals, on="category_no")
        .with_columns(share=pl.col("met") / pl.col("total"), category=pl.format("cat{}", pl.col("category_no")))
        .pivot("category", index="supplier_id", values="share")
    )
    for n in range(1, 8):
        if f"cat{n}" not in per_category.columns:
            per_category = per_category.with_columns(pl.lit(None, pl.Float64).alias(f"cat{n}"))
    return (
        ready.join(per_category, on="supplier_id", how="left")
        .select("supplier_id", *HISTORY_COLUMNS)
        .with_columns(pl.col(*HISTORY_COLUMNS).cast(pl.Float64).fill_null(0.0))
    )


@dataclass(frozen=True)
class SupplierView:
    """One supplier read on the yardstick: criterion statuses with titles, and readiness."""

    catalogue: Catalogue
    statuses: pl.DataFrame
    readiness: dict[str, float | None]

    def requirements(self, level: int) -> pl.DataFrame:
        titles = {r.id: r.title_ja for r in self.catalogue.requirements}
        return requirement_status(self.statuses, level).with_columns(
            title=pl.col("requirement_id").replace_strict(titles, return_dtype=pl.String)
        )

    def criteria(self, level: int, lang: str) -> pl.DataFrame:
        """The criteria of ★``level`` with status and deciding evidence, for a table."""
        summaries = {
            r.id: (self.catalogue.summaries[r.id].ja if lang == "ja" else self.catalogue.summaries[r.id].en)
            for r in self.catalogue.requirements
        }
        return self.statuses.filter(pl.col("level") <= level).select(
            "criterion_id",
            "level",
            "status",
            "kind",
            "stale",
            "conflict",
            "evidence_date",
            pl.col("requirement_id").replace_strict(summaries, return_dtype=pl.String).alias("summary"),
        )


def supplier_view(store: Store, as_of: date, supplier_id: str) -> SupplierView:
    statuses = derive(store, as_of, supplier_id)
    ready = readiness(statuses)
    row = ready.row(0, named=True) if ready.height else {}
    return SupplierView(
        catalogue=catalogue_in_force(store),
        statuses=statuses,
        readiness={k: row.get(k) for k in ("star3", "star3_partial", "star4", "star4_partial")},
    )
