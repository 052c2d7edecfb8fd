"""The questionnaires Monosashi reads besides the SCS catalogue: IPA's 5-minute self-check and the
buyer-checklist mapping profiles, plus one uniform view of every framework for templates.

Profiles are YAML files (``questionnaires/profiles/*.yaml`` shipped; users add their own) validated
by :class:`MappingProfile`: where the header is, which columns hold item, question and answer, the
answer vocabulary and what each SCS criterion an item speaks to.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from questionnaires.catalogue import CURRENT_VERSION, CatalogueDataError, load_catalogue
from questionnaires.schema import Strict

__all__ = [
    "HERE",
    "SCS_ANSWERS",
    "AnswerOption",
    "FrameworkDefinition",
    "FrameworkItem",
    "IpaAnswer",
    "IpaBand",
    "IpaPart",
    "IpaQuestion",
    "IpaSelfCheck",
    "MappingProfile",
    "MappingProvenance",
    "ProfileAnswer",
    "ProfileColumns",
    "ProfileError",
    "ProfileItem",
    "ProfileMapping",
    "Relationship",
    "Status",
    "answer_key",
    "framework_definition",
    "load_ipa_5min",
    "load_profile_text",
    "shipped_frameworks",
    "shipped_profiles",
]

HERE = Path(__file__).parent
Status = Literal["met", "partial", "not_met", "unknown", "not_applicable"]
Relationship = Literal["equal", "subset", "superset", "intersect"]


class ProfileError(CatalogueDataError):
    """A mapping profile that does not match its schema or names unknown criteria."""


def answer_key(text: object) -> str:
    """An answer folded for vocabulary lookup: NFKC, trimmed, case-folded, inner spaces removed."""
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split()).casefold()


# -- IPA 5分でできる！情報セキュリティ自社診断 -------------------------------------------------------


class IpaAnswer(Strict):
    label: str
    score: int
    status: Status


class IpaBand(Strict):
    min: int
    max: int
    label_ja: str
    label_en: str


class IpaPart(Strict):
    no: int
    name_ja: str
    name_en: str


class IpaQuestion(Strict):
    no: int = Field(ge=1, le=25)
    part: int = Field(ge=1, le=3)
    summary_ja: str
    summary_en: str


class IpaSelfCheck(Strict):
    """``questionnaires/ipa_5min/questions.json``: 25 questions (our summaries), scores and bands."""

    framework_id: Literal["ipa_5min"]
    version: str
    name_ja: str
    name_en: str
    note: str
    parts: tuple[IpaPart, ...]
    answers: tuple[IpaAnswer, ...]
    bands: tuple[IpaBand, ...]
    questions: tuple[IpaQuestion, ...]

    @model_validator(mode="after")
    def _complete(self) -> IpaSelfCheck:
        if [q.no for q in self.questions] != list(range(1, 26)):
            raise ValueError("the self-check has exactly the questions 1 to 25, in order")
        return self

    def band(self, total: int) -> IpaBand:
        return next(b for b in self.bands if b.min <= total <= b.max)

    def result(self, scores: Iterable[int]) -> tuple[int, str]:
        """The total of the 25 answers' scores and its band (Japanese label)."""
        total = sum(scores)
        return total, self.band(total).label_ja


@cache
def load_ipa_5min() -> IpaSelfCheck:
    path = HERE / "ipa_5min" / "questions.json"
    try:
        return IpaSelfCheck.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValidationError, json.JSONDecodeError) as exc:
        raise CatalogueDataError(path, f"does not match its schema: {exc}") from None


# -- mapping profiles -----------------------------------------------------------------------------


class ProfileAnswer(Strict):
    label: str
    status: Status
    score: int | None = None


class MappingProvenance(Strict):
    """Where a mapping came from (docs/mapping-assistant.md): proposed by the assistant with its
    score and accepted by a person, or chosen by a person; who accepted it and when."""

    proposed_by: Literal["assistant", "person"]
    score: float | None = Field(default=None, ge=0, le=1)
    accepted_by: str = Field(min_length=1)
    accepted_at: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


class ProfileMapping(Strict):
    """An item's link to an SCS criterion (relationship as in NIST OLIR set-theory mapping)."""

    criterion: str = Field(pattern=r"^[1-7]-\d+-\d+-\d+$")
    relationship: Relationship = "intersect"
    strength: float = Field(default=0.5, ge=0, le=1)
    rationale: str | None = None
    rationale_ja: str | None = None  # the rationale for Japanese readers (optional)
    provenance: MappingProvenance | None = None  # a mapping the assistant helped make


class ProfileItem(Strict):
    id: str
    group: str | None = None
    summary_ja: str | None = None
    summary_en: str | None = None
    level: str | None = None
    maps: tuple[ProfileMapping, ...] = ()


class ProfileColumns(Strict):
    """Header texts of the columns (matched after NFKC and without spaces)."""

    item_id: str
    answer: str
    question: str | None = None
    note: str | None = None
    group: str | None = None
    level: str | None = None


class MappingProfile(Strict):
    """How to read one buyer's (or one scheme's) checklist layout."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]{1,63}$")
    title_ja: str
    title_en: str
    framework_id: str = Field(pattern=r"^profile\.[a-z0-9\-]+$")
    version: str
    description: str | None = None
    target_catalogue: str = CURRENT_VERSION
    sheet: str | None = None
    fingerprint: tuple[str, ...] = Field(min_length=2)
    header_scan_rows: int = Field(default=25, ge=1, le=200)
    columns: ProfileColumns
    answers: tuple[ProfileAnswer, ...] = Field(min_length=2)
    blank_is: Status = "unknown"
    supplier_labels: dict[Literal["supplier_id", "corporate_number", "name"], tuple[str, ...]] = Field(
        default_factory=lambda: {
            "supplier_id": ("取引先ID",),
            "corporate_number": ("法人番号",),
            "name": ("会社名", "事業者名", "企業名"),
        }
    )
    date_labels: tuple[str, ...] = ("回答日", "記入日", "提出日")
    item_pattern: str | None = None
    items: tuple[ProfileItem, ...] = ()
    items_from_citations: Literal["jama_japia"] | None = None

    @field_validator("item_pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value)
        return value

    @model_validator(mode="after")
    def _items_or_pattern(self) -> MappingProfile:
        if not self.items and not self.item_pattern and not self.items_from_citations:
            raise ValueError("a profile lists its items, or gives item_pattern or items_from_citations")
        ids = [i.id for i in self.items]
        if len(ids) != len(set(ids)):
            raise ValueError("item IDs repeat")
        keys = [answer_key(a.label) for a in self.answers]
        if len(keys) != len(set(keys)):
            raise ValueError("answer labels repeat")
        return self

    def vocabulary(self) -> dict[str, ProfileAnswer]:
        return {answer_key(a.label): a for a in self.answers}

    def resolved_items(self) -> tuple[ProfileItem, ...]:
        """The items, including those built from the catalogue's official citations."""
        if self.items_from_citations != "jama_japia":
            return self.items
        catalogue = load_catalogue(self.target_catalogue)
        built: dict[int, tuple[str | None, list[ProfileMapping]]] = {}
        for crit in catalogue.criteria:
            for cite in crit.citations.jama_japia:
                _, maps = built.setdefault(cite.item, (cite.level, []))
                maps.append(
                    ProfileMapping(
                        criterion=crit.id,
                        relationship="intersect",
                        strength=0.5,
                        rationale=f"IPA's catalogue cites JAMA/JAPIA v2.3 No.{cite.item} ({cite.level or 'no level'}) for {crit.id}",
                        rationale_ja=f"IPA の評価基準一覧が {crit.id} の参照として自工会/部工会ガイドライン v2.3 の"
                        f" No.{cite.item}（{cite.level or 'レベルなし'}）を引用",
                    )
                )
        listed = {i.id: i for i in self.items}
        out = [
            listed.pop(str(n), ProfileItem(id=str(n), level=lv, maps=tuple(m))) for n, (lv, m) in sorted(built.items())
        ]
        return (*out, *listed.values())


def load_profile_text(text: str, origin: str) -> MappingProfile:
    """Validate a profile from YAML text; ``origin`` names it in error messages."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProfileError(Path(origin), f"not valid YAML: {exc}") from None
    try:
        profile = MappingProfile.model_validate(raw)
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}" for e in exc.errors()[:5])
        raise ProfileError(Path(origin), f"does not match the profile schema: {details}") from None
    known = {c.id for c in load_catalogue(profile.target_catalogue).criteria}
    unknown = sorted({m.criterion for i in profile.items for m in i.maps} - known)
    if unknown:
        raise ProfileError(
            Path(origin), f"maps to criteria not in SCS {profile.target_catalogue}: {', '.join(unknown)}"
        )
    return profile


@cache
def shipped_profiles() -> dict[str, MappingProfile]:
    """The profiles shipped in ``questionnaires/profiles/``, by name."""
    profiles = {}
    for path in sorted((HERE / "profiles").glob("*.yaml")):
        profile = load_profile_text(path.read_text(encoding="utf-8"), str(path))
        profiles[profile.name] = profile
    return profiles


# -- one view of every framework (for templates and labels) ---------------------------------------


@dataclass(frozen=True)
class FrameworkItem:
    id: str
    group: str | None
    text_ja: str
    text_en: str
    level: str | None = None


@dataclass(frozen=True)
class AnswerOption:
    label: str
    status: Status
    score: int | None = None


@dataclass(frozen=True)
class FrameworkDefinition:
    """A framework as a list of items and an answer vocabulary."""

    framework_id: str
    version: str
    name_ja: str
    name_en: str
    items: tuple[FrameworkItem, ...]
    answers: tuple[AnswerOption, ...]
    catalogue_version: str | None = None
    level: int | None = None


SCS_ANSWERS = (
    AnswerOption("○", "met"),
    AnswerOption("△", "partial"),
    AnswerOption("✖", "not_met"),
)


def shipped_frameworks() -> dict[str, str]:
    """Framework IDs a template can be made for, with their Japanese names."""
    out = {"scs": "SCS評価制度 自己評価 (★3/★4)", "ipa_5min": load_ipa_5min().name_ja}
    out.update({p.framework_id: p.title_ja for p in shipped_profiles().values()})
    return out


def framework_definition(
    framework_id: str, *, level: int = 4, profiles: dict[str, MappingProfile] | None = None
) -> FrameworkDefinition:
    """The items and answers of a framework; ``level`` chooses ★3 or ★4 criteria for SCS."""
    if framework_id == "scs":
        catalogue = load_catalogue()
        requirements = {r.id: r for r in catalogue.requirements}
        items = tuple(
            FrameworkItem(
                id=c.id,
                group=requirements[c.requirement_id].title_ja,
                text_ja=catalogue.summaries[c.requirement_id].ja,
                text_en=catalogue.summaries[c.requirement_id].en,
                level=f"★{c.level}",
            )
            for c in catalogue.criteria_at(level)
        )
        return FrameworkDefinition(
            "scs",
            catalogue.version,
            f"SCS評価制度 ★{level} 自己評価",
            f"SCS ★{level} self-assessment",
            items,
            SCS_ANSWERS,
            catalogue_version=catalogue.version,
            level=level,
        )
    if framework_id == "ipa_5min":
        check = load_ipa_5min()
        parts = {p.no: p.name_ja for p in check.parts}
        items = tuple(FrameworkItem(str(q.no), parts[q.part], q.summary_ja, q.summary_en) for q in check.questions)
        answers = tuple(AnswerOption(a.label, a.status, a.score) for a in check.answers)
        return FrameworkDefinition("ipa_5min", check.version, check.name_ja, check.name_en, items, answers)
    for profile in (profiles or shipped_profiles()).values():
        if profile.framework_id == framework_id:
            items = tuple(
                FrameworkItem(i.id, i.group, i.summary_ja or "", i.summary_en or "", i.level)
                for i in profile.resolved_items()
            )
            answers = tuple(AnswerOption(a.label, a.status, a.score) for a in profile.answers)
            return FrameworkDefinition(
                profile.framework_id, profile.version, profile.title_ja, profile.title_en, items, answers
            )
    raise KeyError(f"unknown framework {framework_id!r}; known: {', '.join(shipped_frameworks())}")
