"""Crosswalks: versioned mappings from another framework's items onto SCS criteria.

Each entry relates one source item to one target criterion with a relationship in the sense of
NIST OLIR set-theory mapping — ``equal``, ``subset`` (the source item covers less than the
criterion), ``superset`` (it covers more), ``intersect`` (they overlap) — a strength (0–1) and a
short rationale, in English (``rationale``) and for Japanese readers (``rationale_ja``, optional:
without it the English one is shown). Files live in ``questionnaires/crosswalks/*.json``; profiles carry their own.
Loading checks that every ID exists on both sides.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import Field, ValidationError, model_validator

from questionnaires.catalogue import CatalogueDataError, available_versions, load_catalogue
from questionnaires.frameworks import MappingProfile, load_ipa_5min, shipped_profiles
from questionnaires.schema import Strict

__all__ = [
    "HERE",
    "ISO27001_IDS",
    "SECURITY_ACTION_ITEMS",
    "Crosswalk",
    "CrosswalkEntry",
    "CrosswalkError",
    "FrameworkRef",
    "Relationship",
    "all_crosswalks",
    "crosswalk_frame",
    "load_crosswalk_text",
    "profile_crosswalk",
    "shipped_crosswalks",
    "source_items",
]

HERE = Path(__file__).parent / "crosswalks"
Relationship = Literal["equal", "subset", "superset", "intersect"]

# ISO/IEC 27001:2022: the requirement clauses 4–10 and the 93 Annex A controls.
_CLAUSES = [
    "4.1",
    "4.2",
    "4.3",
    "4.4",
    "5.1",
    "5.2",
    "5.3",
    "6.1",
    "6.1.1",
    "6.1.2",
    "6.1.3",
    "6.2",
    "6.3",
    "7.1",
    "7.2",
    "7.3",
    "7.4",
    "7.5",
    "7.5.1",
    "7.5.2",
    "7.5.3",
    "8.1",
    "8.2",
    "8.3",
    "9.1",
    "9.2",
    "9.2.1",
    "9.2.2",
    "9.3",
    "9.3.1",
    "9.3.2",
    "9.3.3",
    "10.1",
    "10.2",
]
_ANNEX_A = [f"A.5.{n}" for n in range(1, 38)] + [f"A.6.{n}" for n in range(1, 9)]
_ANNEX_A += [f"A.7.{n}" for n in range(1, 15)] + [f"A.8.{n}" for n in range(1, 35)]
ISO27001_IDS = frozenset(_CLAUSES + _ANNEX_A)
# SECURITY ACTION is a declaration by level, not a questionnaire: its "items" are the two stars.
SECURITY_ACTION_ITEMS = frozenset({"star1", "star2"})


class CrosswalkError(CatalogueDataError):
    """A crosswalk file that fails its schema or names IDs missing on either side."""


class FrameworkRef(Strict):
    framework: str
    version: str


class CrosswalkEntry(Strict):
    source: str
    target: str = Field(pattern=r"^[1-7]-\d+-\d+-\d+$")
    relationship: Relationship
    strength: float = Field(ge=0, le=1)
    rationale: str = Field(min_length=3)
    rationale_ja: str | None = None  # the rationale for Japanese readers (the UI's first language)
    source_level: str | None = Field(default=None, description="level the citation gives (JAMA/JAPIA Lv1–Lv3)")


class Crosswalk(Strict):
    """Mapping of one framework version onto one SCS catalogue version."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]+$")
    title_ja: str
    title_en: str
    source: FrameworkRef
    target: FrameworkRef
    method: Literal["official_citations", "authored", "version_migration", "profile"]
    description: str
    description_ja: str | None = None  # the description for Japanese readers (the UI's first language)
    entries: tuple[CrosswalkEntry, ...]

    @model_validator(mode="after")
    def _unique_pairs(self) -> Crosswalk:
        pairs = Counter((e.source, e.target) for e in self.entries)
        repeated = [f"{s} → {t}" for (s, t), n in pairs.items() if n > 1]
        if repeated:
            raise ValueError(f"pairs repeat: {', '.join(repeated[:5])}")
        if self.target.framework != "scs":
            raise ValueError("crosswalks map onto the SCS catalogue (target framework 'scs')")
        return self


def source_items(ref: FrameworkRef, profiles: dict[str, MappingProfile] | None = None) -> frozenset[str] | None:
    """The item IDs a source framework has (None when any ID is allowed by a pattern)."""
    if ref.framework == "scs":
        return frozenset(c.id for c in load_catalogue(ref.version).criteria)
    if ref.framework == "ipa_5min":
        return frozenset(str(q.no) for q in load_ipa_5min().questions)
    if ref.framework == "security_action":
        return SECURITY_ACTION_ITEMS
    if ref.framework == "iso27001":
        return ISO27001_IDS
    if ref.framework == "jama_japia":
        return frozenset(str(n) for n in range(1, 200))
    for profile in (profiles or shipped_profiles()).values():
        if profile.framework_id == ref.framework:
            return None if profile.item_pattern else frozenset(i.id for i in profile.resolved_items())
    raise KeyError(ref.framework)


def _check_ids(crosswalk: Crosswalk, origin: str, profiles: dict[str, MappingProfile] | None) -> Crosswalk:
    if crosswalk.target.version not in available_versions():
        raise CrosswalkError(Path(origin), f"target SCS version {crosswalk.target.version} is not shipped")
    targets = {c.id for c in load_catalogue(crosswalk.target.version).criteria}
    try:
        sources = source_items(crosswalk.source, profiles)
    except KeyError:
        raise CrosswalkError(Path(origin), f"unknown source framework {crosswalk.source.framework!r}") from None
    bad_targets = sorted({e.target for e in crosswalk.entries} - targets)
    bad_sources = sorted({e.source for e in crosswalk.entries} - sources) if sources is not None else []
    problems = []
    if bad_sources:
        problems.append(
            f"source IDs not in {crosswalk.source.framework} {crosswalk.source.version}: {', '.join(bad_sources[:8])}"
        )
    if bad_targets:
        problems.append(f"target IDs not in SCS {crosswalk.target.version}: {', '.join(bad_targets[:8])}")
    if problems:
        raise CrosswalkError(Path(origin), "; ".join(problems))
    return crosswalk


def load_crosswalk_text(text: str, origin: str, profiles: dict[str, MappingProfile] | None = None) -> Crosswalk:
    """Validate a crosswalk from JSON text; ``origin`` names it in messages."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CrosswalkError(Path(origin), f"not valid JSON: {exc}") from None
    try:
        crosswalk = Crosswalk.model_validate(raw)
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(file)'}: {e['msg']}" for e in exc.errors()[:5])
        raise CrosswalkError(Path(origin), f"does not match the crosswalk schema: {details}") from None
    return _check_ids(crosswalk, origin, profiles)


@cache
def shipped_crosswalks() -> dict[str, Crosswalk]:
    """The crosswalk files in ``questionnaires/crosswalks/``, by ID."""
    out = {}
    for path in sorted(HERE.glob("*.json")):
        crosswalk = load_crosswalk_text(path.read_text(encoding="utf-8"), str(path))
        out[crosswalk.id] = crosswalk
    return out


def profile_crosswalk(profile: MappingProfile) -> Crosswalk:
    """The crosswalk a mapping profile carries in its items' ``maps``."""
    entries = tuple(
        CrosswalkEntry(
            source=item.id,
            target=m.criterion,
            relationship=m.relationship,
            strength=m.strength,
            rationale=m.rationale or "mapped in the profile",
            rationale_ja=m.rationale_ja or (None if m.rationale else "プロファイルでの対応付け"),
            source_level=item.level,
        )
        for item in profile.resolved_items()
        for m in item.maps
    )
    return Crosswalk(
        id=f"profile.{profile.name}",
        title_ja=profile.title_ja,
        title_en=profile.title_en,
        source=FrameworkRef(framework=profile.framework_id, version=profile.version),
        target=FrameworkRef(framework="scs", version=profile.target_catalogue),
        method="profile",
        description=profile.description or f"carried by mapping profile {profile.name}",
        entries=entries,
    )


def all_crosswalks(profiles: dict[str, MappingProfile] | None = None) -> dict[str, Crosswalk]:
    """Shipped crosswalks plus those of every mapping profile."""
    out = dict(shipped_crosswalks())
    for profile in (profiles or shipped_profiles()).values():
        crosswalk = profile_crosswalk(profile)
        out[crosswalk.id] = crosswalk
    return out


def crosswalk_frame(crosswalks: dict[str, Crosswalk]) -> pl.DataFrame:
    """Every entry of every crosswalk as rows, for SQL and pages."""
    rows = [
        {
            "crosswalk_id": cw.id,
            "source_framework": cw.source.framework,
            "source_version": cw.source.version,
            "target_version": cw.target.version,
            "source_item": e.source,
            "criterion_id": e.target,
            "relationship": e.relationship,
            "strength": e.strength,
            "rationale": e.rationale,
            "source_level": e.source_level,
        }
        for cw in crosswalks.values()
        for e in cw.entries
    ]
    schema = {
        "crosswalk_id": pl.String,
        "source_framework": pl.String,
        "source_version": pl.String,
        "target_version": pl.String,
        "source_item": pl.String,
        "criterion_id": pl.String,
        "relationship": pl.String,
        "strength": pl.Float64,
        "rationale": pl.String,
        "source_level": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)
