"""Support data: how each SCS requirement is usually met (a tool or service, or organisational
work) and the お助け隊 menus for ★ (``questionnaires/support/*.json``), validated on load."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from questionnaires.catalogue import CatalogueDataError, available_versions, load_catalogue, read_model
from questionnaires.schema import Strict

__all__ = [
    "Menu",
    "Menus",
    "Remedies",
    "Theme",
    "load_menus",
    "load_remedies",
]

_DIR = Path(__file__).parent / "support"


class Theme(Strict):
    """A kind of remedy: what solves it and the next step we suggest, in both languages."""

    kind: Literal["tool", "organisational"]
    label_ja: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    next_ja: str = Field(min_length=1)
    next_en: str = Field(min_length=1)


class Remedies(Strict):
    note: str = ""
    themes: dict[str, Theme]
    requirements: dict[str, str]

    @model_validator(mode="after")
    def _themes_known(self) -> Remedies:
        unknown = sorted({t for t in self.requirements.values() if t not in self.themes})
        if unknown:
            raise ValueError(f"requirements name unknown themes: {unknown}")
        return self


class Menu(Strict):
    """One お助け隊 menu for ★."""

    id: str
    label: str
    level: Literal[3, 4]
    onsite: bool
    description_ja: str = Field(min_length=1)
    description_en: str = Field(min_length=1)


class Menus(Strict):
    note: str = ""
    # What the service is today, in the scheme's timeline (shown wherever a menu is recommended).
    status_ja: str = Field(min_length=1)
    status_en: str = Field(min_length=1)
    menus: tuple[Menu, ...]

    @model_validator(mode="after")
    def _one_per_choice(self) -> Menus:
        choices = [(m.level, m.onsite) for m in self.menus]
        if sorted(choices) != [(3, False), (3, True), (4, False), (4, True)]:
            raise ValueError("there must be exactly one menu for each of ★3, ★3 on-site, ★4, ★4 on-site")
        return self

    def for_need(self, level: int, onsite: bool) -> Menu:
        return next(m for m in self.menus if m.level == level and m.onsite == onsite)


@cache
def load_remedies() -> Remedies:
    """Remedy themes; every requirement of every shipped catalogue version must have one."""
    path = _DIR / "remedies.json"
    remedies = read_model(path, Remedies, "support remedies")
    missing = sorted(
        {r.id for v in available_versions() for r in load_catalogue(v).requirements} - set(remedies.requirements)
    )
    if missing:
        raise CatalogueDataError(path, f"requirements without a remedy theme: {missing}")
    return remedies


@cache
def load_menus() -> Menus:
    menus = read_model(_DIR / "menus.json", Menus, "support menus")
    return menus
