"""UI texts in Japanese and English, kept in ``strings.toml`` and ``strings_<area>.toml`` (no UI
string lives in a page; a key lives in one file), with the registry's messages (registry/messages: what importers, intake and errors say) beside them."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from registry.messages import catalogue

__all__ = ["LANGUAGES", "page_texts", "strings", "t"]

LANGUAGES = {"ja": "日本語", "en": "English"}
_FOLDER = Path(__file__).parent


def page_texts() -> dict[str, dict[str, str]]:
    """The pages' own texts from every strings file; a key defined twice is an error."""
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(_FOLDER.glob("strings*.toml")):
        with path.open("rb") as fh:
            entries = tomllib.load(fh)
        twice = set(entries) & set(merged)
        if twice:
            raise ValueError(f"{path.name} defines again: {sorted(twice)[:5]}")
        merged.update(entries)
    return merged


@cache
def strings() -> dict[str, dict[str, str]]:
    """Every key with its texts by language: the pages' own and the registry's messages (a key
    lives in one of them only; tests/test_messages.py checks)."""
    return {**catalogue(), **page_texts()}


def t(key: str, lang: str, **values: object) -> str:
    """The text of ``key`` in ``lang`` with ``{placeholders}`` filled; unknown keys fail loudly."""
    entry = strings()[key]
    text = entry.get(lang) or entry["ja"]
    return text.format(**values) if values else text
