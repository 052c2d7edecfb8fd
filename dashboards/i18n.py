"""UI texts in Japanese and English, kept in ``strings.toml`` (no UI string lives in a page), with
the registry's messages (registry/messages: what importers, intake and errors say) beside them."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from registry.messages import catalogue

__all__ = ["LANGUAGES", "strings", "t"]

LANGUAGES = {"ja": "日本語", "en": "English"}
_FILE = Path(__file__).with_name("strings.toml")


@cache
def strings() -> dict[str, dict[str, str]]:
    """Every key with its texts by language: the pages' own and the registry's messages (a key
    lives in one of them only; tests/test_messages.py checks)."""
    with _FILE.open("rb") as fh:
        own = tomllib.load(fh)
    return {**catalogue(), **own}


def t(key: str, lang: str, **values: object) -> str:
    """The text of ``key`` in ``lang`` with ``{placeholders}`` filled; unknown keys fail loudly."""
    entry = strings()[key]
    text = entry.get(lang) or entry["ja"]
    return text.format(**values) if values else text
