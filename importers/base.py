"""What every importer shares: the problem type that names file, sheet and cell, and helpers."""

from __future__ import annotations

import hashlib
import unicodedata

from pydantic import BaseModel, ConfigDict

__all__ = ["Problem", "SourceFileError", "cell_name", "column_letter", "header_key", "sha256_hex"]


class Problem(BaseModel):
    """One thing wrong with an input, at a place a person can find (``file: sheet!C12``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    location: str
    message: str


class SourceFileError(Exception):
    """The file cannot be imported; ``problems`` say where and why. Nothing was written."""

    def __init__(self, source_name: str, problems: list[Problem]) -> None:
        self.source_name = source_name
        self.problems = problems
        first = problems[0] if problems else Problem(location=source_name, message="rejected")
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(f"{first.location}: {first.message}{more}")


def column_letter(index0: int) -> str:
    """Excel column letters for a 0-based index (0 → A, 26 → AA)."""
    letters = ""
    n = index0 + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_name(source_name: str, sheet: str, row0: int, col0: int) -> str:
    """``file: sheet!B3`` for 0-based row and column indexes."""
    return f"{source_name}: {sheet}!{column_letter(col0)}{row0 + 1}"


def header_key(text: object) -> str:
    """A header cell folded for matching: NFKC, no whitespace or line breaks."""
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split())


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
