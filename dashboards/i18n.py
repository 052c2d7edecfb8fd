"""UI texts in Japanese and English, kept in ``strings.toml`` (no UI string lives in a page)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

__all__ = ["LANGUAGES", "strings", "t"]

LANGUAGES = {"ja": "日本語", "en": "English"}
_FILE = Path(__file__).with_name("strings.toml")


@cache
def strings() -> dict[str, dict[str, str]]:
    """Every key with its texts by language."""
    with _FILE.open("rb") as fh:
        return tomllib.load(fh)


def t(key: str, lang: str, **values: object) -> str:
    """The text of ``key`` in ``lang`` with ``{placeholders}`` filled; unknown keys fail loudly."""
    entry = strings()[key]
    text = entry.get(lang) or entry["ja"]
    return text.format(**values) if values else text
