"""Exports people open in Excel or their calendar: CSV (UTF-8 with BOM), Excel and iCalendar.

Every text goes through the one neutraliser (registry/neutralise.py): control characters are
shown as pictures, a text that starts with = + - @ (or a tab/CR) gets a leading apostrophe, and
Excel's ``_xHHHH_`` escapes are written so that they show literally. So a supplier's text can
never run as a formula in the buyer's spreadsheet, nor break the file.
"""

from __future__ import annotations

import io
from datetime import date, datetime

import polars as pl
from icalendar import Calendar, Event
from openpyxl.styles import Font

from registry.services.neutralise import NeutralWorkbook, neutralise, neutralise_frame, workbook

__all__ = ["JAPANESE_FONT", "japanese_workbook", "neutralise", "renewals_ics", "to_csv", "to_excel"]


def to_csv(frame: pl.DataFrame) -> bytes:
    """CSV in UTF-8 with a BOM, so that Excel in Japan opens it with the right encoding; text
    neutralised."""
    buffer = io.BytesIO()
    neutralise_frame(frame).write_csv(buffer)
    return b"\xef\xbb\xbf" + buffer.getvalue()


# Japanese Excel's own default font (charset 128: Shift_JIS glyphs), so Japanese text renders
# in Excel as people expect; other programs substitute their CJK font.
JAPANESE_FONT = "游ゴシック"


def japanese_workbook() -> NeutralWorkbook:
    """A new workbook whose default font (every cell not styled otherwise) is Japanese, and whose
    sheets neutralise every value written to them."""
    wb = workbook()
    wb._fonts[0] = Font(name=JAPANESE_FONT, size=11, family=3, charset=128)  # the default font: openpyxl's index 0
    return wb


def to_excel(frame: pl.DataFrame, sheet: str) -> bytes:
    """One sheet with a bold header; dates stay dates; text neutralised; a Japanese font."""
    wb = japanese_workbook()
    ws = wb.active
    ws.title = sheet[:31]
    ws.append(frame.columns)
    for cell in ws[1]:
        cell.font = Font(name=JAPANESE_FONT, bold=True, charset=128)
    for row in frame.iter_rows():  # the sheet neutralises every value
        ws.append([", ".join(v) if isinstance(v, list) else v for v in row])
    for column in ws.columns:
        ws.column_dimensions[column[0].column_letter].width = 18
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def renewals_ics(frame: pl.DataFrame, generated: datetime) -> bytes:
    """An iCalendar file: one all-day event per expiry and per ★4 self-assessment due date."""
    calendar = Calendar()
    calendar.add("prodid", "-//Monosashi//renewals//JA")
    calendar.add("version", "2.0")
    for row in frame.iter_rows(named=True):
        dates: list[tuple[str, date, str]] = []
        if row.get("expires_on"):
            dates.append(
                (
                    "expiry",
                    row["expires_on"],
                    f"{row['name']}: {row['scheme']} {row.get('registration_no') or ''} 有効期限",
                )
            )
        if row.get("check_due_on"):
            check = "ISMS 維持審査" if row.get("scheme") == "iso27001" else "★4 年次自己評価（評価機関への提出）"
            dates.append(("check", row["check_due_on"], f"{row['name']}: {check}の期限"))
        for kind, day, summary in dates:
            event = Event()
            event.add("uid", f"{row['certificate_id']}-{kind}-{day.isoformat()}@monosashi")
            event.add("dtstamp", generated)
            event.add("dtstart", day)
            event.add("summary", neutralise(summary.strip()))
            event.add("description", neutralise(f"supplier {row['supplier_id']}, state {row['state']}"))
            calendar.add_component(event)
    return calendar.to_ical()
