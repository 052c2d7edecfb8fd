"""Load the SCS catalogue versions and our requirement summaries from the data files.

Files are validated on load; a file that fails its schema raises :class:`CatalogueDataError`
naming the file and the failing fields, so the app and the CLI can show one clear message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TypeVar

import polars as pl
from pydantic import BaseModel, ValidationError

from questionnaires.schema import CatalogueFile, Criterion, Requirement, RequirementSummary, SummariesFile

__all__ = [
    "CURRENT_VERSION",
    "DATA_DIR",
    "Catalogue",
    "CatalogueDataError",
    "M",
    "available_versions",
    "load_catalogue",
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
    return dict(read_model((data_dir or DATA_DIR) / "summaries.json", SummariesFile).requirements)


@cache
def _load(version: str, data_dir: Path) -> Catalogue:
    data = read_model(data_dir / version / "catalogue.json", CatalogueFile)
    if data.version != version:
        raise CatalogueDataError(
            data_dir / version / "catalogue.json", f"says version {data.version}, folder says {version}"
        )
    summaries = load_summaries(data_dir)
    missing = [r.id for r in data.requirements if r.id not in summaries]
    if missing:
        raise CatalogueDataError(data_dir / "summaries.json", f"no summary for requirements {', '.join(missing)}")
    return Catalogue(data=data, summaries=summaries)


def load_catalogue(version: str = CURRENT_VERSION, data_dir: Path | None = None) -> Catalogue:
    """The validated catalogue of ``version`` (cached: data files do not change at run time)."""
    data_dir = data_dir or DATA_DIR
    if version not in available_versions(data_dir):
        raise CatalogueDataError(
            data_dir / version, f"no catalogue version {version!r}; shipped: {', '.join(available_versions(data_dir))}"
        )
    return _load(version, data_dir)
