"""Documents a buyer sends or files: the gap report of a supplier and the ★ request letter, as
formatted Excel workbooks (Japanese first), singly or many in a zip. The workbooks' sheets
neutralise every value written to them (registry/neutralise.py), so that a supplier's words can
never run as a formula nor break the file."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from datetime import date

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from registry.errors import NotFoundError
from registry.services.exports import JAPANESE_FONT, japanese_workbook
from registry.services.requests import request_history
from registry.services.support import GapReport, gap
from registry.store import Store
from registry.store.validity import policy_for

__all__ = ["gap_report_xlsx", "gap_reports_zip", "request_letter_xlsx", "request_letters_zip"]

_TITLE = Font(name=JAPANESE_FONT, size=14, bold=True, charset=128)
_BOLD = Font(name=JAPANESE_FONT, bold=True, charset=128)
_PLAIN = Font(name=JAPANESE_FONT, charset=128)
_HEAD_FILL = PatternFill("solid", fgColor="DDE4EE")
_STATUS_FILL = {
    "not_met": PatternFill("solid", fgColor="F8D7DA"),
    "unknown": PatternFill("solid", fgColor="EEEEEE"),
    "partial": PatternFill("solid", fgColor="FFF3CD"),
    "stale": PatternFill("solid", fgColor="E2E3F3"),
}
_THIN = Side(style="thin", color="999999")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")

_WORDS = {
    "ja": {
        "sheets": ("概要", "未充足項目", "支援の進め方"),
        "title": "SCS ★ ギャップレポート",
        "supplier": "取引先",
        "corporate_number": "法人番号",
        "as_of": "基準日",
        "target": "目標の★",
        "readiness": "準備度（充足）",
        "partial": "一部充足",
        "gaps": "未充足・不明の基準",
        "request": "要請",
        "request_text": "★{level}（期日 {due}、状態 {state}）",
        "none": "なし",
        "menu": "推奨するお助け隊メニュー",
        "menu_reason": "推奨の理由",
        "self_check": "IPA 5分でできる！自社診断",
        "self_check_text": "{score}点（{band}、{submitted_on}回答）",
        "catalogue": "SCS 基準の版",
        "note": "この報告書は登録されている回答・証明書から自動で作成しました。「不明」は根拠がない基準です。",
        "columns": (
            "基準ID",
            "★",
            "状態",
            "要求事項",
            "概要（当社作成）",
            "対策の種類",
            "対策",
            "保有している根拠",
            "次にすること",
        ),
        "theme_columns": ("種類", "対策", "基準数", "基準ID", "次にすること"),
        "kind": {"tool": "ツール・サービス", "organisational": "組織的な取組"},
        "status": {"not_met": "未充足", "unknown": "不明", "partial": "一部充足", "stale": "根拠が古い"},
    },
    "en": {
        "sheets": ("Summary", "Gaps", "Support plan"),
        "title": "SCS ★ gap report",
        "supplier": "Supplier",
        "corporate_number": "Corporate number",
        "as_of": "As of",
        "target": "Target ★",
        "readiness": "Readiness (met)",
        "partial": "Partly met",
        "gaps": "Criteria unmet or unknown",
        "request": "Request",
        "request_text": "★{level} (due {due}, state {state})",
        "none": "none",
        "menu": "Recommended お助け隊 menu",
        "menu_reason": "Why",
        "self_check": "IPA 5-minute self-check",
        "self_check_text": "{score} points ({band}, answered {submitted_on})",
        "catalogue": "SCS catalogue version",
        "note": "Generated from the answers and certificates on record. 'Unknown' means no evidence covers the criterion.",
        "columns": (
            "Criterion",
            "★",
            "Status",
            "Requirement",
            "Summary (ours)",
            "Remedy kind",
            "Remedy",
            "Evidence held",
            "Next step",
        ),
        "theme_columns": ("Kind", "Remedy", "Criteria", "Criterion IDs", "Next step"),
        "kind": {"tool": "Tool or service", "organisational": "Organisational work"},
        "status": {"not_met": "not met", "unknown": "unknown", "partial": "partial", "stale": "stale evidence"},
    },
}


def _cell(ws: Worksheet, row: int, column: int, value: object, font: Font = _PLAIN) -> None:
    cell = ws.cell(row, column, value)  # the sheet neutralises the value
    cell.font = font
    cell.alignment = _WRAP


def _table(
    ws: Worksheet, top: int, header: Sequence[str], rows: Iterable[Sequence[object]], widths: Sequence[int]
) -> int:
    for c, text in enumerate(header, start=1):
        _cell(ws, top, c, text, _BOLD)
        ws.cell(top, c).fill = _HEAD_FILL
        ws.cell(top, c).border = _BOX
    r = top
    for r, values in enumerate(rows, start=top + 1):
        for c, value in enumerate(values, start=1):
            _cell(ws, r, c, value)
            ws.cell(r, c).border = _BOX
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = ws.cell(top + 1, 1)
    ws.auto_filter.ref = f"A{top}:{get_column_letter(len(header))}{max(r, top)}"
    return r


def _print_setup(ws: Worksheet, landscape: bool) -> None:
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def gap_report_xlsx(report: GapReport, lang: str = "ja") -> bytes:
    """The gap report as a workbook: a summary, every gap with its evidence and next step, and the
    support plan grouped by remedy."""
    w = _WORDS[lang]
    wb = japanese_workbook()
    summary = wb.active
    summary.title = w["sheets"][0]
    _cell(summary, 1, 1, w["title"], _TITLE)
    request = report.request
    facts = [
        (w["supplier"], f"{report.supplier['name']}（{report.supplier['supplier_id']}）"),
        (w["corporate_number"], report.supplier.get("corporate_number") or "—"),
        (w["as_of"], report.as_of.isoformat()),
        (w["target"], f"★{report.target_level}"),
        (w["readiness"], f"{report.readiness:.0%}"),
        (w["partial"], f"{report.readiness_partial:.0%}"),
        (w["gaps"], report.gaps.height),
        (
            w["self_check"],
            w["self_check_text"].format(**report.self_check) if report.self_check else w["none"],
        ),
        (
            w["request"],
            w["request_text"].format(level=request["requested_level"], due=request["due_on"], state=request["state"])
            if request
            else w["none"],
        ),
        (w["menu"], f"{report.menu} — {report.menu_description}"),
        (w["menu_reason"], report.menu_reason),
        (w["catalogue"], report.catalogue.version),
    ]
    for r, (label, value) in enumerate(facts, start=3):
        _cell(summary, r, 1, label, _BOLD)
        _cell(summary, r, 2, value)
    _cell(summary, len(facts) + 4, 1, w["note"])
    summary.column_dimensions["A"].width = 26
    summary.column_dimensions["B"].width = 90
    _print_setup(summary, landscape=False)

    gaps = wb.create_sheet(w["sheets"][1])
    rows = [
        (
            g["criterion_id"],
            f"★{g['level']}",
            w["status"].get(g["status"], g["status"]),
            f"{g['requirement_id']} {g['requirement_title']}",
            g["summary"],
            w["kind"][g["remedy_kind"]],
            g["remedy"],
            g["evidence"] or "—",
            g["next_step"],
        )
        for g in report.gaps.iter_rows(named=True)
    ]
    last = _table(gaps, 1, w["columns"], rows, (11, 5, 11, 28, 40, 16, 18, 50, 50))
    for r, g in enumerate(report.gaps.iter_rows(named=True), start=2):
        gaps.cell(r, 3).fill = _STATUS_FILL.get(g["status"], _STATUS_FILL["unknown"])
    del last
    _print_setup(gaps, landscape=True)

    plan = wb.create_sheet(w["sheets"][2])
    _table(
        plan,
        1,
        w["theme_columns"],
        [
            (w["kind"][t["remedy_kind"]], t["remedy"], t["criteria"], t["criterion_ids"], t["next_step"])
            for t in report.by_theme.iter_rows(named=True)
        ],
        (18, 22, 8, 40, 70),
    )
    _print_setup(plan, landscape=True)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _zip(files: Iterable[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return buffer.getvalue()


def gap_reports_zip(
    store: Store,
    as_of: date,
    supplier_ids: Sequence[str],
    lang: str = "ja",
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """Gap reports of many suppliers in one zip (``gap-<supplier>.xlsx`` each)."""

    def reports() -> Iterable[tuple[str, bytes]]:
        with store.held_open():
            for n, supplier_id in enumerate(supplier_ids):
                if progress:
                    progress(n, len(supplier_ids))
                yield f"gap-{supplier_id}.xlsx", gap_report_xlsx(gap(store, as_of, supplier_id, lang=lang), lang)

    return _zip(reports())


# -- the request letter ------------------------------------------------------------------------------

_LETTER_BODY = (
    "拝啓　時下ますますご清栄のこととお慶び申し上げます。平素は格別のご高配を賜り、厚く御礼申し上げます。",
    "さて、弊社ではサプライチェーン全体のサイバーセキュリティを高めるため、経済産業省が創設した"
    "「サプライチェーン強化に向けたセキュリティ対策評価制度」（SCS評価制度）を活用しております。"
    "つきましては、貴社に下記のとおり★の取得をお願い申し上げます。",
    "ご多忙のところ誠に恐縮ですが、ご検討のほどよろしくお願い申し上げます。　敬具",
)


def _letter_notes(contact: str, issued_on: date, scheme_start: date) -> list[str]:
    """The letter's notes: the buyer's active commitment to price talks (with its contact), the
    fair-trade rules, what a ★ is in the scheme's own words, support, and — before the scheme
    starts — that it is planned."""
    notes = [
        "★の取得・維持に要する費用（対策の導入・運用、評価の費用等）について、弊社から積極的に価格協議の場を設けます。"
        f"費用の見込みを下記窓口（{contact}）までお知らせください。協議は貴社のお申し出を待たずに行い、合意した内容は書面に記録します。",
        "本要請は取引条件の一方的な変更を求めるものではなく、中小受託取引適正化法（旧下請法）及び独占禁止法（優越的地位の濫用の禁止）の"
        "考え方に沿って行うものです。期日や進め方は貴社のご事情を伺ったうえで決めますので、取得が難しい場合はご相談ください。",
        "SCS評価制度の★は、いわゆる「格付け」ではなく、取得又は更新の時点において定められた水準を満たしていることを示すもので、"
        "完全なセキュリティの確保等を保証するものではありません（制度の説明より）。",
        "★の取得に向けた支援策のご案内も可能です（サイバーセキュリティお助け隊サービスの新類型は、制度開始にあわせて提供が予定されている"
        "サービスで、現在は実証段階です）。",
    ]
    if issued_on < scheme_start:
        notes.insert(
            0,
            f"SCS評価制度の★3・★4は{_wareki(scheme_start)}頃に開始される予定です（令和8年度末頃、経済産業省の資料より）。"
            "本要請は制度開始後の取得をお願いするものです。",
        )
    return notes


_QUESTIONS = (
    ("holds_confidential_info", "弊社の重要な機密情報を貴社の情報システムで取り扱っている"),
    (
        "outage_delays_buyer",
        "貴社のシステム停止により弊社の事業に許容できない遅延が生じる（代替調達・在庫確保が難しい）",
    ),
    ("reaches_buyer_network", "貴社の環境から弊社の社内システムに接続できる"),
)


def _wareki(day: date) -> str:
    """A date in the Japanese era, as letters are dated (令和 from 2019-05-01)."""
    if day >= date(2019, 5, 1):
        year = day.year - 2018
        return f"令和{'元' if year == 1 else year}年{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


def request_letter_xlsx(
    store: Store, as_of: date, supplier_id: str, *, buyer_name: str, contact: str, issued_on: date | None = None
) -> bytes:
    """The request letter for a supplier's current ★ request, ready to print and send."""
    history = request_history(store, as_of, supplier_id)
    if history.is_empty():
        raise NotFoundError("request.none_on", supplier_id=supplier_id, as_of=as_of.isoformat())
    request = history.row(0, named=True)
    wb = japanese_workbook()
    ws = wb.active
    ws.title = "★取得のお願い"
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 70
    row = 1

    def line(a: object = None, b: object = None, font: Font = _PLAIN, align: str | None = None) -> None:
        nonlocal row
        if a is not None:
            _cell(ws, row, 1, a, font)
        if b is not None:
            _cell(ws, row, 2, b, font)
        if align:
            ws.cell(row, 2 if b is not None else 1).alignment = Alignment(horizontal=align, wrap_text=True)
        row += 1

    line(b=_wareki(issued_on or as_of), align="right")
    line(f"{request['name']}　御中", font=_BOLD)
    line(b=buyer_name, align="right")
    line(b=contact, align="right")
    row += 1
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
    line("SCS評価制度に基づく★取得のお願い", font=_TITLE)
    ws.cell(row - 1, 1).alignment = Alignment(horizontal="center")
    row += 1
    for paragraph in _LETTER_BODY:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        ws.row_dimensions[row].height = 48
        line(paragraph)
    row += 1
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
    line("記", font=_BOLD)
    ws.cell(row - 1, 1).alignment = Alignment(horizontal="center")
    answers = "、".join(
        ("はい" if request[key] else "いいえ") + f"（{text}）" for key, text in _QUESTIONS if request[key] is not None
    )
    facts = [
        ("要請する★", f"★{request['requested_level']}"),
        ("取得の期日", _wareki(request["due_on"])),
        ("要請日", _wareki(request["requested_on"])),
        ("要請の理由", answers or "—"),
        (
            "弊社の判断",
            request["reason"]
            or f"制度の考え方に基づく推奨（★{request['recommended_level'] or request['requested_level']}）のとおり",
        ),
        ("要請番号", request["request_id"]),
    ]
    for label, value in facts:
        _cell(ws, row, 1, label, _BOLD)
        _cell(ws, row, 2, value)
        ws.cell(row, 1).border = ws.cell(row, 2).border = _BOX
        ws.cell(row, 1).fill = _HEAD_FILL
        row += 1
    row += 1
    line("留意事項", font=_BOLD)
    notes = _letter_notes(contact, issued_on or as_of, policy_for(store).scheme_start)
    for n, note in enumerate(notes, start=1):
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        ws.row_dimensions[row].height = 48
        line(f"{n}. {note}")
    row += 1
    line(b="以上", align="right")
    _print_setup(ws, landscape=False)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def request_letters_zip(
    store: Store, as_of: date, supplier_ids: Sequence[str], *, buyer_name: str, contact: str
) -> bytes:
    """Request letters of many suppliers in one zip (``request-<supplier>.xlsx`` each)."""
    with store.held_open():
        return _zip(
            (f"request-{s}.xlsx", request_letter_xlsx(store, as_of, s, buyer_name=buyer_name, contact=contact))
            for s in supplier_ids
        )
