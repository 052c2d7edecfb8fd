"""Normalising what people type into spreadsheets: dates in any of the usual Japanese forms,
answer marks, yes/no words."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

from pydantic_core import PydanticCustomError

from registry.domain.models import AnswerStatus

__all__ = ["SCS_MARKS", "parse_bool", "parse_date", "scs_mark_status"]

# Japanese eras: (kanji, romaji initial, first day). A date before an era's first day is refused.
_ERAS = (
    ("令和", "R", date(2019, 5, 1)),
    ("平成", "H", date(1989, 1, 8)),
    ("昭和", "S", date(1926, 12, 25)),
)
_EXCEL_EPOCH = date(1899, 12, 30)
_ERA_DATE = re.compile(
    r"^(令和|平成|昭和|[RHS])\s*(元|\d{1,2})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?$", re.IGNORECASE
)
_WESTERN = re.compile(
    r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)


def parse_date(value: object) -> date:
    """A date from ISO text, ``2026/4/1``, ``2026年4月1日``, an Excel serial number, or a Japanese
    era date (``令和7年4月1日``, ``R7.4.1``, ``平成31年4月30日``, ``令和元年5月1日``).

    Raises ``ValueError`` saying what was expected: a ``PydanticCustomError`` whose ``type`` is a
    message key (registry/messages/importers.toml) and whose ``context`` holds its parameters.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_serial(float(value))
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    if not text:
        raise PydanticCustomError("date.required", "a date is required")
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _from_serial(float(text))
    match = _WESTERN.match(text)
    if match:
        return _make(int(match.group(1)), int(match.group(2)), int(match.group(3)), text)
    match = _ERA_DATE.match(text)
    if match:
        era, year_text, month, day = match.groups()
        start = next(s for kanji, initial, s in _ERAS if era.upper() in (kanji, initial))
        era_year = 1 if year_text == "元" else int(year_text)
        result = _make(start.year + era_year - 1, int(month), int(day), text)
        if result < start:
            raise PydanticCustomError(
                "date.before_era",
                "'{found}' is before the start of that era ({era_start})",
                {"found": text, "era_start": start.isoformat()},
            )
        return result
    raise PydanticCustomError(
        "date.format",
        "expected a date such as 2026-04-01, 2026/4/1, 令和8年4月1日 or R8.4.1; found '{found}'",
        {"found": text},
    )


def _from_serial(serial: float) -> date:
    # Excel serials for 1990–2100; anything else is more likely a number than a date.
    if not 32874 <= serial <= 73415:
        raise PydanticCustomError(
            "date.serial",
            "{found} is not a plausible Excel date serial (a date between 1990 and 2100)",
            {"found": f"{serial:g}"},
        )
    return _EXCEL_EPOCH + timedelta(days=int(serial))


def _make(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise PydanticCustomError("date.not_real", "'{found}' is not a real calendar date", {"found": text}) from None


# Marks used in SCS self-assessments and their variants (NFKC-folded before lookup).
SCS_MARKS: dict[str, AnswerStatus] = {
    "○": "met",
    "◯": "met",
    "〇": "met",
    "o": "met",
    "済": "met",
    "実施済": "met",
    "はい": "met",
    "yes": "met",
    "△": "partial",
    "▲": "partial",
    "一部": "partial",
    "×": "not_met",
    "✕": "not_met",
    "✖": "not_met",
    "x": "not_met",
    "未": "not_met",
    "未実施": "not_met",
    "いいえ": "not_met",
    "no": "not_met",
    # An explicit "don't know" (our vocabulary): unlike a blank, the question was asked and answered.
    "わからない": "unknown",
    "分からない": "unknown",
    "不明": "unknown",
    "?": "unknown",
}


def scs_mark_status(raw: object) -> AnswerStatus | None:
    """met / partial / not_met / unknown (blank) for a self-assessment mark; None if not a known mark."""
    text = unicodedata.normalize("NFKC", str(raw or "")).strip().casefold()
    if not text:
        return "unknown"
    return SCS_MARKS.get(text)


_TRUE = {"はい", "yes", "y", "true", "1", "有", "あり", "○", "◯", "〇", "重要"}
_FALSE = {"いいえ", "no", "n", "false", "0", "無", "なし", "×", "-", ""}


def parse_bool(raw: object) -> bool:
    """はい/いいえ, 有/無, yes/no, 1/0, ○/× → bool; raises ValueError (a keyed
    ``PydanticCustomError``, like :func:`parse_date`) otherwise."""
    text = unicodedata.normalize("NFKC", str(raw or "")).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise PydanticCustomError("yes_no.format", "expected はい/いいえ (yes/no), found '{found}'", {"found": str(raw)})
