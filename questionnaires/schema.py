"""Schemas of the framework data files kept in ``questionnaires/``.

Every file is validated on load (``extra="forbid"``): a misspelt key or a dangling ID is an
error with the file and the place in it, never a silently ignored field.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "CatalogueFile",
    "Category",
    "Citations",
    "Criterion",
    "CriterionSummary",
    "CsfFunction",
    "JamaCitation",
    "JamaLevel",
    "ReferenceDocuments",
    "Requirement",
    "RequirementSummary",
    "StarLevel",
    "Strict",
    "Subcategory",
    "SummariesFile",
    "fold_criterion_text",
    "text_fingerprint",
]

CsfFunction = Literal["GV", "ID", "PR", "DE", "RS", "RC"]
StarLevel = Literal[3, 4]
JamaLevel = Literal["Lv1", "Lv2", "Lv3"]

_REQUIREMENT_ID = re.compile(r"^[1-7]-\d+-\d+$")
_CRITERION_ID = re.compile(r"^[1-7]-\d+-\d+-\d+$")
_REFERENCE = re.compile(r"No\.\s*\d+(?:-\d+){1,3}")
_SPACE = re.compile(r"\s+")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def fold_criterion_text(text: str) -> str:
    """An official criterion text as compared between versions: NFKC, white space removed, and
    references to other criteria (``No.4-1-4-1``) masked, since renumbering changes them and not
    the meaning."""
    return _REFERENCE.sub("No.#", _SPACE.sub("", unicodedata.normalize("NFKC", text)))


def text_fingerprint(text: str) -> str:
    """A short fingerprint of a folded criterion text, so that two catalogue versions can be
    compared without shipping IPA's sentences."""
    return hashlib.sha256(fold_criterion_text(text).encode("utf-8")).hexdigest()[:16]


class Strict(BaseModel):
    """Base of every data-file model: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class JamaCitation(Strict):
    """One cited item of the JAMA/JAPIA guideline v2.3, with the level the citation gives."""

    item: int = Field(ge=1, le=200)
    level: JamaLevel | None = None


class Citations(Strict):
    """Reference documents a criterion cites (columns O–S of IPA's official sheet)."""

    cyber_essentials: tuple[str, ...] = ()
    cmmc: tuple[str, ...] = ()
    iso27001: tuple[str, ...] = ()
    gov_unified: tuple[str, ...] = ()
    jama_japia: tuple[JamaCitation, ...] = ()


class Category(Strict):
    no: int = Field(ge=1, le=7)
    name_ja: str
    name_en: str
    csf_function: CsfFunction


class Subcategory(Strict):
    id: str = Field(pattern=r"^[1-7]-\d+$")
    category_no: int
    name_ja: str
    name_en: str


class Requirement(Strict):
    """A requirement (要求事項); ``min_level`` is 3 when it has any ★3 criterion."""

    id: str
    subcategory_id: str
    title_ja: str = Field(min_length=1, description="official short title (要求事項名)")
    min_level: StarLevel

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _REQUIREMENT_ID.match(value):
            raise ValueError(f"requirement ID {value!r} is not of the form 4-1-2")
        return value


class Criterion(Strict):
    """An evaluation criterion (評価基準); its level says whether ★3 already asks for it."""

    id: str
    requirement_id: str
    level: StarLevel
    csf_function: CsfFunction
    citations: Citations = Citations()
    # text_fingerprint() of the official text: the draft → final crosswalk is checked against it
    text_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{16}$")

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _CRITERION_ID.match(value):
            raise ValueError(f"criterion ID {value!r} is not of the form 4-1-2-3")
        return value


class ReferenceDocuments(Strict):
    """Names and editions of the documents cited, as the catalogue version states them."""

    cyber_essentials: str
    cmmc: str
    iso27001: str
    gov_unified: str
    jama_japia: str


class CatalogueFile(Strict):
    """One version of the SCS catalogue (``questionnaires/scs/<version>/catalogue.json``)."""

    framework: Literal["scs"]
    version: str = Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$")
    status: Literal["final", "draft"]
    published: date
    title_ja: str
    title_en: str
    source: str
    reference_documents: ReferenceDocuments
    categories: tuple[Category, ...]
    subcategories: tuple[Subcategory, ...]
    requirements: tuple[Requirement, ...]
    criteria: tuple[Criterion, ...]

    @model_validator(mode="after")
    def _references_resolve(self) -> CatalogueFile:
        problems: list[str] = []
        for kind, ids in (
            ("category", [c.no for c in self.categories]),
            ("subcategory", [s.id for s in self.subcategories]),
            ("requirement", [r.id for r in self.requirements]),
            ("criterion", [c.id for c in self.criteria]),
        ):
            dupes = sorted(str(k) for k, n in Counter(ids).items() if n > 1)
            if dupes:
                problems.append(f"duplicated {kind} IDs: {', '.join(dupes)}")
        category_nos = {c.no for c in self.categories}
        subcategory_ids = {s.id for s in self.subcategories}
        requirements = {r.id: r for r in self.requirements}
        for sub in self.subcategories:
            if sub.category_no not in category_nos or not sub.id.startswith(f"{sub.category_no}-"):
                problems.append(f"subcategory {sub.id} names unknown category {sub.category_no}")
        for req in self.requirements:
            if req.subcategory_id not in subcategory_ids or not req.id.startswith(req.subcategory_id + "-"):
                problems.append(f"requirement {req.id} names unknown subcategory {req.subcategory_id}")
        star3_requirements = set()
        for crit in self.criteria:
            if crit.requirement_id not in requirements or not crit.id.startswith(crit.requirement_id + "-"):
                problems.append(f"criterion {crit.id} names unknown requirement {crit.requirement_id}")
            elif crit.level == 3:
                star3_requirements.add(crit.requirement_id)
        for req in self.requirements:
            expected = 3 if req.id in star3_requirements else 4
            if req.min_level != expected:
                problems.append(f"requirement {req.id} has min_level {req.min_level}, its criteria say {expected}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class RequirementSummary(Strict):
    """Our own one-line summary of a requirement (not the official sentence)."""

    ja: str = Field(min_length=4, max_length=120)
    en: str = Field(min_length=4, max_length=200)


class CriterionSummary(Strict):
    """Our own one-sentence summary of an evaluation criterion, never IPA's sentence: short
    enough that a copied criterion does not fit, Japanese in Japanese and English in ASCII."""

    ja: str = Field(min_length=15, max_length=80)
    en: str = Field(min_length=30, max_length=220)

    @field_validator("ja")
    @classmethod
    def _ja_is_japanese(cls, value: str) -> str:
        if value != value.strip() or not _JAPANESE.search(value):
            raise ValueError("the Japanese summary must be Japanese text without surrounding spaces")
        if value.startswith("・"):
            raise ValueError("the Japanese summary starts with IPA's bullet '・': write our own sentence")
        return value

    @field_validator("en")
    @classmethod
    def _en_is_ascii(cls, value: str) -> str:
        if value != value.strip() or not value.isascii():
            raise ValueError("the English summary must be plain ASCII text without surrounding spaces")
        return value


class SummariesFile(Strict):
    """``questionnaires/scs/summaries.json``: summaries written by the Monosashi team, one per
    requirement and one per criterion of the catalogue version ``criteria_version``."""

    framework: Literal["scs"]
    note: str
    requirements: dict[str, RequirementSummary]
    criteria_version: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}(-\d{2})?$")
    criteria: dict[str, CriterionSummary] = Field(default_factory=dict)

    @field_validator("requirements")
    @classmethod
    def _keys_are_requirement_ids(cls, value: dict[str, RequirementSummary]) -> dict[str, RequirementSummary]:
        bad = [k for k in value if not _REQUIREMENT_ID.match(k)]
        if bad:
            raise ValueError(f"keys are not requirement IDs: {', '.join(bad)}")
        return value

    @field_validator("criteria")
    @classmethod
    def _keys_are_criterion_ids(cls, value: dict[str, CriterionSummary]) -> dict[str, CriterionSummary]:
        bad = [k for k in value if not _CRITERION_ID.match(k)]
        if bad:
            raise ValueError(f"keys are not criterion IDs: {', '.join(bad)}")
        return value

    @model_validator(mode="after")
    def _criteria_name_their_version(self) -> SummariesFile:
        if bool(self.criteria) != (self.criteria_version is not None):
            raise ValueError("criteria and criteria_version go together: give both or neither")
        return self
