"""Messages people read, as keys with parameters rendered in their language (Japanese first,
English): what importers, intake, the registry's errors and the evidence chains say. The texts live
in the ``*.toml`` files beside this module, one key in one file; the pages' own texts are in
``dashboards/strings.toml``. The CLI follows ``--lang``, then ``MONOSASHI_LANG``, then ``LANG``."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from string import Formatter

__all__ = [
    "LANGUAGES",
    "MessageCatalogueError",
    "catalogue",
    "language_from_env",
    "localise_location",
    "one_line",
    "placeholders_of",
    "render",
]

LANGUAGES = ("ja", "en")
_FOLDER = Path(__file__).parent
# A parameter named ``*_label`` holds a key: its text in the reader's language is filled in
# (a field's or a scheme's name), so that no internal code word reaches a person. A parameter
# named ``<name>_key`` holds a message key rendered with the same parameters into ``{<name>}``
# (``{field_label}: {detail}``).
_LABEL_SUFFIX = "_label"
_NESTED_SUFFIX = "_key"


class MessageCatalogueError(RuntimeError):
    """The shipped message files are inconsistent (a key twice, a language missing)."""


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every message key with its texts by language, from all message files of this folder."""
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(_FOLDER.glob("*.toml")):
        with path.open("rb") as fh:
            entries = tomllib.load(fh)
        for key, texts in entries.items():
            if key in merged:
                raise MessageCatalogueError(f"message key {key} is defined twice ({path.name})")
            if not isinstance(texts, dict) or set(texts) != set(LANGUAGES):
                raise MessageCatalogueError(f"message key {key} in {path.name} needs exactly ja and en")
            merged[key] = texts
    return merged


def placeholders_of(text: str) -> set[str]:
    """The ``{names}`` a message text fills in."""
    return {name for _, name, _, _ in Formatter().parse(text) if name}


# A line break or other control character inside a value (a file's key, a cell) is shown as its
# escape, so that a message stays one line and says where the odd character is.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def one_line(text: str) -> str:
    """``text`` with control characters (line breaks too) written as escapes (``\\n``, ``\\x07``)."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def _value(name: str, value: object, lang: str) -> object:
    if name.endswith(_LABEL_SUFFIX) and isinstance(value, str):
        entry = catalogue().get(value)
        return entry[lang] if entry else one_line(value)
    if isinstance(value, str):
        return one_line(value)
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(_value(name, v, lang)) for v in value)
    return value


def render(key: str, lang: str, params: Mapping[str, object] | None = None) -> str:
    """The text of ``key`` in ``lang`` (``ja`` or ``en``) with its parameters filled in; a
    parameter named ``*_label`` is itself a key, rendered in the same language."""
    entry = catalogue()[key]
    text = entry.get(lang) or entry["ja"]
    if not params:
        return text
    values = {name: _value(name, value, lang) for name, value in params.items()}
    for name, value in params.items():
        if name.endswith(_NESTED_SUFFIX) and isinstance(value, str):
            rest = {n: v for n, v in params.items() if n != name}
            # a text that is no key (an error from a library) is filled in as written
            nested = render(value, lang, rest) if value in catalogue() else value
            values[name.removesuffix(_NESTED_SUFFIX)] = nested
    return text.format(**values)


def language_from_env(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language a command's messages are printed in: ``explicit`` (``--lang``), else
    ``MONOSASHI_LANG``, else the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``): Japanese when it
    starts with ``ja``, English otherwise."""
    env = os.environ if environ is None else environ
    for value in (explicit, env.get("MONOSASHI_LANG"), env.get("LC_ALL"), env.get("LC_MESSAGES"), env.get("LANG")):
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


# The places intake names are built in English (importers/tabular.py, importers/base.py):
# ``file line 3, column 2`` (text files), ``file: Sheet row 4`` (a sheet's row). Cells in a sheet
# are written ``file: Sheet!B3``, the same in every language.
_LINE_COLUMN = re.compile(r" line (\d+), column (\d+)$")
_LINE = re.compile(r" line (\d+)$")
_ROW = re.compile(r" row (\d+)$")
_POSITION = re.compile(r" position (\d+)$")
# Places that are no cell: said in words.
_WORDS = {"chosen at import": "取り込み時に選択", "(document)": "（ファイル全体）"}


def localise_location(location: str, lang: str) -> str:
    """A place in a file as the reader says it (``a.csv line 3`` → ``a.csv 3 行目``), on one line."""
    location = one_line(location)
    if lang != "ja":
        return location
    for english, japanese in _WORDS.items():
        if location.endswith(english):
            location = location.removesuffix(english) + japanese
    location = _LINE_COLUMN.sub(r" \1 行目 \2 列目", location)
    location = _LINE.sub(r" \1 行目", location)
    location = _POSITION.sub(r" \1 バイト目", location)
    return _ROW.sub(r" \1 行目", location)
