"""Load the SCS catalogue versions and our requirement and criterion summaries from the data files.

Files are validated on load; a file that fails its schema raises :class:`CatalogueDataError`
naming the file and the failing fields, so the app and the CLI can show one clear message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal, TypeVar

import polars as pl
from pydantic import BaseModel, ValidationError

from questionnaires.schema import (
    CatalogueFile,
    Criterion,
    CriterionSummary,
    Requirement,
    RequirementSummary,
    SummariesFile,
    text_fingerprint,
)

__all__ = [
    "CURRENT_VERSION",
    "DATA_DIR",
    "Catalogue",
    "CatalogueDataError",
    "M",
    "available_versions",
    "load_catalogue",
    "load_criterion_summaries",
    "load_summaries",
    "parse_model",
    "read_model",
]

M = TypeVar("M", bound=BaseModel)

DATA_DIR = Path(__file__).parent / "scs"
CURRENT_VERSION = "2026-03-27"


class CatalogueDataError(Exception):
    """A framework data file is missing or does not match its schema."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def parse_model(text: str, origin: str | Path, model: type[M], what: str) -> M:
    """Validate JSON ``text`` against ``model``; raises CatalogueDataError naming ``origin`` and
    the first problems (``what`` names the schema in the message)."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogueDataError(Path(origin), f"not valid JSON ({exc})") from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(file)'}: {err['msg']}" for err in exc.errors()[:5]
        )
        more = f" (and {exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
        raise CatalogueDataError(Path(origin), f"does not match the {what} schema: {details}{more}") from None


def read_model(path: Path, model: type[M], what: str = "catalogue") -> M:
    """A data file validated against ``model`` (see :func:`parse_model`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogueDataError(path, "file not found") from None
    except UnicodeDecodeError as exc:
        raise CatalogueDataError(path, f"not valid JSON ({exc})") from None
    return parse_model(text, path, model, what)


def available_versions(data_dir: Path | None = None) -> list[str]:
    """Catalogue versions shipped, newest first."""
    data_dir = data_dir or DATA_DIR
    return sorted((p.parent.name for p in data_dir.glob("*/catalogue.json")), reverse=True)


@dataclass(frozen=True)
class Catalogue:
    """One validated catalogue version with lookups and flat polars views for pages and SQL."""

    data: CatalogueFile
    summaries: dict[str, RequirementSummary] = field(default_factory=dict)
    # our criterion summaries; empty for a version they were not written for (the draft)
    criterion_summaries: dict[str, CriterionSummary] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.data.version

    @property
    def requirements(self) -> tuple[Requirement, ...]:
        return self.data.requirements

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return self.data.criteria

    def urn(self, item_id: str) -> str:
        """Stable identifier of a requirement or criterion, e.g. ``scs:2026-03-27:4-5-1-1``."""
        return f"scs:{self.version}:{item_id}"

    def criterion_summary(self, criterion_id: str, lang: Literal["ja", "en"] = "ja") -> str:
        """Our summary of criterion ``criterion_id`` in ``lang``; for a version without criterion
        summaries, the summary of its requirement. Raises KeyError for an unknown criterion."""
        crit = next((c for c in self.criteria if c.id == criterion_id), None)
        if crit is None:
            raise KeyError(f"no criterion {criterion_id!r} in catalogue {self.version}")
        summary = self.criterion_summaries.get(crit.id) or self.summaries[crit.requirement_id]
        return summary.ja if lang == "ja" else summary.en

    def criteria_at(self, level: int) -> tuple[Criterion, ...]:
        """Criteria a supplier must meet for ★``level`` (★4 includes every ★3 criterion)."""
        return tuple(c for c in self.criteria if c.level <= level)

    def requirements_at(self, level: int) -> tuple[Requirement, ...]:
        return tuple(r for r in self.requirements if r.min_level <= level)

    def criteria_frame(self) -> pl.DataFrame:
        """One row per criterion with its requirement, category, summary and citations."""
        requirements = {r.id: r for r in self.requirements}
        subcategories = {s.id: s for s in self.data.subcategories}
        categories = {c.no: c for c in self.data.categories}
        rows = []
        for crit in self.criteria:
            req = requirements[crit.requirement_id]
            sub = subcategories[req.subcategory_id]
            cat = categories[sub.category_no]
            summary = self.summaries.get(req.id)
            cites = crit.citations
            rows.append(
                {
                    "catalogue_version": self.version,
                    "criterion_id": crit.id,
                    "requirement_id": req.id,
                    "subcategory_id": sub.id,
                    "category_no": cat.no,
                    "category_ja": cat.name_ja,
                    "category_en": cat.name_en,
                    "subcategory_ja": sub.name_ja,
                    "subcategory_en": sub.name_en,
                    "requirement_title_ja": req.title_ja,
                    "requirement_min_level": req.min_level,
                    "level": crit.level,
                    "csf_function": crit.csf_function,
                    "summary_ja": summary.ja if summary else None,
                    "summary_en": summary.en if summary else None,
                    "iso27001": list(cites.iso27001),
                    "jama_japia": [f"No.{j.item}" + (f" ({j.level})" if j.level else "") for j in cites.jama_japia],
                    "cyber_essentials": list(cites.cyber_essentials),
                    "cmmc": list(cites.cmmc),
                    "gov_unified": list(cites.gov_unified),
                }
            )
        return pl.DataFrame(rows)

    def requirements_frame(self) -> pl.DataFrame:
        """One row per requirement with its criterion counts by level."""
        crit = self.criteria_frame()
        return crit.group_by(
            "requirement_id",
            "category_no",
            "category_ja",
            "category_en",
            "subcategory_id",
            "requirement_title_ja",
            "requirement_min_level",
            "summary_ja",
            "summary_en",
            maintain_order=True,
        ).agg(
            criteria_star3=(pl.col("level") == 3).sum(),
            criteria_star4=pl.len(),
        )


def load_summaries(data_dir: Path | None = None) -> dict[str, RequirementSummary]:
    """Our requirement summaries, by requirement ID (shared by every catalogue version)."""
    return dict(read_model((data_dir or DATA_DIR) / "summaries.json", SummariesFile).requirements)


def load_criterion_summaries(
    version: str = CURRENT_VERSION, data_dir: Path | None = None
) -> dict[str, CriterionSummary]:
    """Our criterion summaries of catalogue ``version``, by criterion ID; empty when they were
    written for another version (criterion IDs are renumbered between versions)."""
    summaries = read_model((data_dir or DATA_DIR) / "summaries.json", SummariesFile)
    return dict(summaries.criteria) if summaries.criteria_version == version else {}


def _check_criterion_summaries(data: CatalogueFile, summaries: SummariesFile, path: Path) -> None:
    """Every criterion of the version has our summary, no other key is there, and no summary is an
    official criterion sentence (compared by the fingerprints the catalogue keeps)."""
    ids = [c.id for c in data.criteria]
    missing = [i for i in ids if i not in summaries.criteria]
    if missing:
        raise CatalogueDataError(path, f"no summary for criteria {', '.join(missing)}")
    extra = sorted(set(summaries.criteria) - set(ids))
    if extra:
        raise CatalogueDataError(path, f"summaries for criteria not in catalogue {data.version}: {', '.join(extra)}")
    official = {c.text_sha256 for c in data.criteria if c.text_sha256}
    copied = [i for i, s in summaries.criteria.items() if text_fingerprint(s.ja) in official]
    if copied:
        raise CatalogueDataError(path, f"summaries of criteria {', '.join(copied)} are official sentences")


@cache
def _load(version: str, data_dir: Path) -> Catalogue:
    data = read_model(data_dir / version / "catalogue.json", CatalogueFile)
    if data.version != version:
        raise CatalogueDataError(
            data_dir / version / "catalogue.json", f"says version {data.version}, folder says {version}"
        )
    path = data_dir / "summaries.json"
    summaries = read_model(path, SummariesFile)
    missing = [r.id for r in data.requirements if r.id not in summaries.requirements]
    if missing:
        raise CatalogueDataError(path, f"no summary for requirements {', '.join(missing)}")
    if summaries.criteria_version is not None and summaries.criteria_version not in available_versions(data_dir):
        raise CatalogueDataError(path, f"criteria_version {summaries.criteria_version} is not a shipped catalogue")
    criteria = summaries.criteria if summaries.criteria_version == version else {}
    if criteria:
        _check_criterion_summaries(data, summaries, path)
    return Catalogue(data=data, summaries=dict(summaries.requirements), criterion_summaries=dict(criteria))


def load_catalogue(version: str = CURRENT_VERSION, data_dir: Path | None = None) -> Catalogue:
    """The validated catalogue of ``version`` (cached: data files do not change at run time)."""
    data_dir = data_dir or DATA_DIR
    if version not in available_versions(data_dir):
        raise CatalogueDataError(
            data_dir / version, f"no catalogue version {version!r}; shipped: {', '.join(available_versions(data_dir))}"
        )
    return _load(version, data_dir)
