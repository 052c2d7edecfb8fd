"""The security synonym list of the mapping assistant (``questionnaires/mapping/synonyms.json``):
groups of terms buyer checklists use for one SCS topic, in Japanese and English — data with a
schema, reviewed like any other data file (docs/mapping-assistant.md)."""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

from pydantic import Field, model_validator

from questionnaires.catalogue import read_model
from questionnaires.schema import Strict

__all__ = ["SynonymGroup", "SynonymList", "fold_term", "synonym_list"]

_FILE = Path(__file__).parent / "mapping" / "synonyms.json"


def fold_term(text: str) -> str:
    """A term as compared: NFKC, lower case, no spaces (全角 and half-width, ＭＦＡ and mfa alike)."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


class SynonymGroup(Strict):
    """Terms that name one topic."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    terms: tuple[str, ...] = Field(min_length=2)


class SynonymList(Strict):
    """Every group; a term belongs to one group only."""

    note: str = ""
    groups: tuple[SynonymGroup, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_group_per_term(self) -> SynonymList:
        seen: dict[str, str] = {}
        ids: set[str] = set()
        for group in self.groups:
            if group.id in ids:
                raise ValueError(f"group {group.id} is there twice")
            ids.add(group.id)
            for term in group.terms:
                folded = fold_term(term)
                if len(folded) < 2:
                    raise ValueError(f"term {term!r} of {group.id} is too short to match safely")
                if folded in seen and seen[folded] != group.id:
                    raise ValueError(f"term {term!r} is in both {seen[folded]} and {group.id}")
                seen[folded] = group.id
        return self


@cache
def synonym_list() -> SynonymList:
    """The shipped synonym list."""
    return read_model(_FILE, SynonymList)
