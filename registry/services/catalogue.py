"""The SCS catalogue as people and programs see it: JSON for the CLI, a filtered table for the
Catalogue page, and the differences between two catalogue versions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from importers import ipa_catalogue
from importers.ipa_catalogue import OfficialTextBatch
from questionnaires.catalogue import CURRENT_VERSION, Catalogue, CatalogueDataError, available_versions, load_catalogue
from registry.domain.actor import Actor
from registry.store import Store
from registry.store.settings import load_official_texts, official_texts

__all__ = [
    "CURRENT_VERSION",
    "Catalogue",
    "CatalogueDataError",
    "VersionDifferences",
    "available_versions",
    "catalogue_json",
    "catalogue_table",
    "import_official_texts",
    "load_catalogue",
    "official_texts",
    "version_differences",
]


def catalogue_json(cat: Catalogue) -> dict[str, Any]:
    """The ``monosashi catalogue --json`` document (shape documented in docs/cli.md)."""
    data = cat.data
    criteria_by_requirement: dict[str, list[str]] = {}
    for crit in cat.criteria:
        criteria_by_requirement.setdefault(crit.requirement_id, []).append(crit.id)
    subcategory_category = {s.id: s.category_no for s in data.subcategories}
    return {
        "framework": data.framework,
        "version": data.version,
        "status": data.status,
        "published": data.published.isoformat(),
        "counts": {
            "categories": len(data.categories),
            "requirements": len(cat.requirements),
            "requirements_star3": len(cat.requirements_at(3)),
            "criteria": len(cat.criteria),
            "criteria_star3": len(cat.criteria_at(3)),
        },
        "reference_documents": data.reference_documents.model_dump(),
        "categories": [c.model_dump() for c in data.categories],
        "subcategories": [s.model_dump() for s in data.subcategories],
        "requirements": [
            {
                "id": r.id,
                "urn": cat.urn(r.id),
                "category_no": subcategory_category[r.subcategory_id],
                "subcategory_id": r.subcategory_id,
                "title_ja": r.title_ja,
                "min_level": r.min_level,
                "summary_ja": cat.summaries[r.id].ja,
                "summary_en": cat.summaries[r.id].en,
                "criteria": criteria_by_requirement.get(r.id, []),
            }
            for r in cat.requirements
        ],
        "criteria": [
            {
                "id": c.id,
                "urn": cat.urn(c.id),
                "requirement_id": c.requirement_id,
                "level": c.level,
                "csf_function": c.csf_function,
                "citations": c.citations.model_dump(),
            }
            for c in cat.criteria
        ],
    }


def catalogue_table(
    cat: Catalogue,
    *,
    level: int | None = None,
    categories: list[int] | None = None,
    official_texts: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Criteria of the catalogue, filtered to ★``level`` (★3: only ★3 criteria; ★4: all) and
    categories, with the official texts joined in when the user imported them."""
    frame = cat.criteria_frame()
    if level is not None:
        frame = frame.filter(pl.col("level") <= level)
    if categories:
        frame = frame.filter(pl.col("category_no").is_in(categories))
    if official_texts is not None and not official_texts.is_empty():
        texts = official_texts.filter(pl.col("item_kind") == "criterion").select(
            criterion_id="item_id", official_text="text_ja"
        )
        frame = frame.join(texts, on="criterion_id", how="left")
    else:
        frame = frame.with_columns(official_text=pl.lit(None, dtype=pl.String))
    return frame


@dataclass(frozen=True)
class VersionDifferences:
    """What changed between two catalogue versions, by ID."""

    removed_requirements: list[str]
    added_requirements: list[str]
    renamed_requirements: dict[str, tuple[str, str]]
    removed_criteria: list[str]
    added_criteria: list[str]
    level_changes: dict[str, tuple[int, int]]


def version_differences(old: Catalogue, new: Catalogue) -> VersionDifferences:
    old_req = {r.id: r for r in old.requirements}
    new_req = {r.id: r for r in new.requirements}
    old_crit = {c.id: c for c in old.criteria}
    new_crit = {c.id: c for c in new.criteria}
    return VersionDifferences(
        removed_requirements=sorted(old_req.keys() - new_req.keys()),
        added_requirements=sorted(new_req.keys() - old_req.keys()),
        renamed_requirements={
            rid: (old_req[rid].title_ja, new_req[rid].title_ja)
            for rid in sorted(old_req.keys() & new_req.keys())
            if old_req[rid].title_ja != new_req[rid].title_ja
        },
        removed_criteria=sorted(old_crit.keys() - new_crit.keys()),
        added_criteria=sorted(new_crit.keys() - old_crit.keys()),
        level_changes={
            cid: (old_crit[cid].level, new_crit[cid].level)
            for cid in sorted(old_crit.keys() & new_crit.keys())
            if old_crit[cid].level != new_crit[cid].level
        },
    )


def import_official_texts(store: Store, source_name: str, data: bytes, actor: Actor) -> OfficialTextBatch:
    """Parse IPA's official Excel and store its texts; raises SourceFileError, writing nothing."""
    batch = ipa_catalogue.parse(source_name, data, [load_catalogue(v) for v in available_versions()])
    load_official_texts(store, batch, actor)
    return batch
