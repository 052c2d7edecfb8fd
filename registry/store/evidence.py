"""The yardstick's one evidence query (docs/yardstick.md): certificates, the current submissions'
answers directly or through crosswalks become pieces of evidence, the relationship rules apply, a
window ranks the pieces per supplier and criterion, and ties that disagree are conflicts.

The catalogue's criteria and every crosswalk entry come in as frames (the service builds them);
the statuses, the ranked pieces of one supplier, or counts per supplier and category go out.
Everything takes ``as_of``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from registry.domain.yardstick import Settings
from registry.store.core import Store
from registry.store.validity import expiry_sql, policy_for, stale_sql

__all__ = [
    "Frames",
    "counts",
    "pieces",
    "statuses",
]

_RULE = """CASE x.relationship
    WHEN 'equal' THEN a.status
    WHEN 'superset' THEN CASE a.status WHEN 'met' THEN 'met' WHEN 'partial' THEN 'partial' END
    WHEN 'subset' THEN CASE a.status WHEN 'not_met' THEN 'not_met' ELSE 'partial' END
    WHEN 'intersect' THEN CASE a.status WHEN 'not_met' THEN NULL ELSE 'partial' END
END"""


_EVIDENCE = f"""
WITH certs AS (
    SELECT c.*, {{expiry}} AS valid_until, {{stale}} AS stale FROM certificate_counted c
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


# A certificate's evidence is fresh for as long as the certificate is valid (only valid ones
# become pieces): its validity is its freshness, for ★, ISMS and SECURITY ACTION alike.
_RANKING = """,
ranked AS (
    SELECT p.*,
           (p.kind IN ('certified', 'certificate') OR p.evidence_date > CAST($as_of - to_months($fresh_months) AS DATE)) AS fresh,
           row_number() OVER w_order AS position,
           count(*) OVER w_all AS pieces
    FROM pieces p
    WHERE p.status IS NOT NULL
    WINDOW w_order AS (PARTITION BY supplier_id, criterion_id
                       ORDER BY (p.kind IN ('certified', 'certificate') OR p.evidence_date > CAST($as_of - to_months($fresh_months) AS DATE)) DESC,
                                rank DESC, strength DESC, evidence_date DESC, source_ref, source_item),
           w_all AS (PARTITION BY supplier_id, criterion_id)
),
declared AS (
    -- What the supplier itself declares now (its newest SCS answer), beside what a ★ certifies:
    -- a ★ shows the level at its issue and guarantees nothing after (the scheme's own words).
    SELECT *,
           arg_max(status, evidence_date) FILTER (WHERE kind IN ('self_assessment', 'migrated')) OVER w_all
               AS declared_status,
           max(evidence_date) FILTER (WHERE kind IN ('self_assessment', 'migrated')) OVER w_all AS declared_on
    FROM ranked
    WINDOW w_all AS (PARTITION BY supplier_id, criterion_id)
),
tied AS (
    SELECT *, min(status) OVER w_tie <> max(status) OVER w_tie AS disagrees,
           coalesce(kind = 'certified' AND declared_on > evidence_date AND declared_status <> 'met', false)
               AS declared_against
    FROM declared
    WINDOW w_tie AS (PARTITION BY supplier_id, criterion_id, fresh, rank, strength)
)
"""


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


def _params(as_of: date, version: str, settings: Settings, suppliers: str | Sequence[str] | None) -> dict[str, object]:
    """Query parameters; ``suppliers`` is one supplier ID, several, or None for every supplier."""
    params: dict[str, object] = {
        "as_of": as_of,
        "version": version,
        "min_strength": settings.min_strength,
        "fresh_months": settings.fresh_months,
    }
    if isinstance(suppliers, str):
        params["supplier"] = suppliers
    elif suppliers is not None:
        params["suppliers"] = list(suppliers) or [""]
    return params


def _sql(store: Store, tail: str, suppliers: str | Sequence[str] | None) -> str:
    """The evidence query followed by ``tail``, both filtered to the suppliers asked for."""
    who = {"who_c": _who("c", suppliers), "who_s": _who("s", suppliers)}
    policy = policy_for(store)
    head = _EVIDENCE.format(
        xw="xw_frame", crit="crit_frame", expiry=expiry_sql("c", policy), stale=stale_sql("c", policy), **who
    )
    return head + _RANKING + tail.replace("{who_s}", who["who_s"])


Frames = tuple[pl.DataFrame, pl.DataFrame]  # the catalogue's criteria, every crosswalk entry


def pieces(
    store: Store,
    as_of: date,
    version: str,
    settings: Settings,
    frames: Frames,
    supplier_id: str,
    criterion_id: str | None = None,
) -> pl.DataFrame:
    """Every piece of evidence of one supplier (optionally one criterion), ranked as the rules rank them."""
    criteria, crosswalks = frames
    sql = _sql(
        store,
        """
        SELECT supplier_id, criterion_id, position, kind, rank, strength, status, fresh,
               disagrees OR declared_against AS conflict, declared_against, declared_status, declared_on,
               evidence_date, source_framework, source_ref, source_item, relationship, raw_answer, location, valid_until
        FROM tied WHERE $criterion IS NULL OR criterion_id = $criterion
        ORDER BY criterion_id, position""",
        supplier_id,
    )
    return store.frame_with(
        sql,
        {**_params(as_of, version, settings, supplier_id), "criterion": criterion_id},
        xw_frame=crosswalks,
        crit_frame=criteria,
    )


def statuses(
    store: Store,
    as_of: date,
    version: str,
    settings: Settings,
    frames: Frames,
    suppliers: str | Sequence[str] | None = None,
) -> pl.DataFrame:
    """One row per supplier and criterion: status and the evidence behind it (for one supplier ID,
    a list of them, or every supplier)."""
    criteria, crosswalks = frames
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
               (c.criterion_id IS NOT NULL OR coalesce(w.declared_against, false)) AS conflict,
               coalesce(w.declared_against, false) AS declared_against,
               CAST(w.declared_status AS ENUM('met', 'partial', 'not_met')) AS declared_status,
               w.declared_on,
               w.source_framework, w.source_ref, w.source_item,
               CAST(w.relationship AS ENUM('equal', 'subset', 'superset', 'intersect')) AS relationship, w.raw_answer,
               CAST(coalesce(w.pieces, 0) AS SMALLINT) AS pieces
        FROM supplier s CROSS JOIN crit_frame k
        LEFT JOIN winners w ON w.supplier_id = s.supplier_id AND w.criterion_id = k.criterion_id
        LEFT JOIN conflicts c ON c.supplier_id = s.supplier_id AND c.criterion_id = k.criterion_id
        WHERE {who_s}
        ORDER BY s.supplier_id, k.criterion_id""",
        suppliers,
    )
    return store.frame_with(sql, _params(as_of, version, settings, suppliers), xw_frame=crosswalks, crit_frame=criteria)


# The counts need, per supplier and criterion, only the deciding piece, whether its tie group
# disagrees, and what the supplier declares. One window ranks every piece (7.5 million at 100,000
# suppliers); only a criterion with two pieces or more can hold a conflict (2.7 million pieces
# there), so the tie and declaration checks, the ranking's other three windows, become two
# aggregates over those alone: 3.5× faster than the shared ranking (bench/yardstick_bench.py).
_KEPT = """,
kept AS {materialized} (
    SELECT supplier_id, criterion_id, status, kind, rank, strength, evidence_date, fresh,
           row_number() OVER (PARTITION BY supplier_id, criterion_id
               ORDER BY fresh DESC, rank DESC, strength DESC, evidence_date DESC, source_ref, source_item) AS position{count}
    FROM (
        SELECT p.*,
               (p.kind IN ('certified', 'certificate')
                OR p.evidence_date > CAST($as_of - to_months($fresh_months) AS DATE)) AS fresh
        FROM pieces p WHERE p.status IS NOT NULL
    )
)"""

_PIECES_OF_CRITERION = "           count(*) OVER (PARTITION BY supplier_id, criterion_id) AS n"

# ``tied`` and ``declared`` of the ranking above, for the deciding pieces: the same definitions,
# checked equal by tests/test_yardstick.py.
_DECIDED = """,
multi AS (SELECT * FROM kept WHERE n > 1),
groups AS (
    SELECT supplier_id, criterion_id, fresh, rank, strength, min(status) <> max(status) AS disagrees
    FROM multi GROUP BY ALL
),
declared AS (
    SELECT supplier_id, criterion_id, arg_max(status, evidence_date) AS declared_status,
           max(evidence_date) AS declared_on
    FROM multi WHERE kind IN ('self_assessment', 'migrated') GROUP BY ALL
),
decided AS (
    SELECT supplier_id, criterion_id, status, fresh, false AS disagrees, false AS declared_against
    FROM kept WHERE position = 1 AND n = 1
    UNION ALL
    SELECT w.supplier_id, w.criterion_id, w.status, w.fresh, g.disagrees,
           coalesce(w.kind = 'certified' AND d.declared_on > w.evidence_date AND d.declared_status <> 'met', false)
    FROM multi w JOIN groups g USING (supplier_id, criterion_id, fresh, rank, strength)
    LEFT JOIN declared d USING (supplier_id, criterion_id)
    WHERE w.position = 1
)"""

_COUNTED = """
SELECT t.supplier_id, k.category_no, k.level,
       count(*) FILTER (WHERE t.status = 'met' AND t.fresh) AS met,
       count(*) FILTER (WHERE t.status = 'partial' AND t.fresh) AS partial{conflict_columns}
FROM {decided} t JOIN crit_frame k USING (criterion_id)
GROUP BY ALL"""

_CONFLICT_COLUMNS = """,
       count(*) FILTER (WHERE t.disagrees) AS conflicts,
       list(t.criterion_id ORDER BY t.criterion_id) FILTER (WHERE t.disagrees) AS conflict_criteria,
       count(*) FILTER (WHERE t.declared_against) AS declared_against,
       list(t.criterion_id ORDER BY t.criterion_id) FILTER (WHERE t.declared_against) AS declared_against_criteria"""


def counts(
    store: Store, as_of: date, version: str, settings: Settings, frames: Frames, *, with_conflicts: bool = False
) -> pl.DataFrame:
    """Per supplier, category and ★ level: criteria met and partial by fresh evidence (set-based,
    without materialising the unknown rows); ``with_conflicts`` adds the criteria whose deciding
    evidence is contradicted by a piece of equal weight."""
    criteria, crosswalks = frames
    policy = policy_for(store)
    head = _EVIDENCE.format(
        xw="xw_frame",
        crit="crit_frame",
        expiry=expiry_sql("c", policy),
        stale=stale_sql("c", policy),
        who_c="TRUE",
        who_s="TRUE",
    )
    if with_conflicts:
        kept = _KEPT.format(materialized="MATERIALIZED", count=",\n" + _PIECES_OF_CRITERION)
        sql = head + kept + _DECIDED + _COUNTED.format(conflict_columns=_CONFLICT_COLUMNS, decided="decided")
    else:
        kept = _KEPT.format(materialized="", count="")
        sql = head + kept + _COUNTED.format(conflict_columns="", decided="(SELECT * FROM kept WHERE position = 1)")
    return store.frame_with(sql, _params(as_of, version, settings, None), xw_frame=crosswalks, crit_frame=criteria)
