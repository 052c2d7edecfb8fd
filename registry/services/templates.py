"""Blank supplier workbooks: the template a supplier downloads, fills in and sends back.

Sheets: 記入方法 (instructions, Japanese then English), 回答 (one row per item with a dropdown
of the allowed answers; question cells locked), 再委託先 (the supplier's own subcontractors:
the tier-2 list), and a hidden ``_monosashi`` sheet (framework, catalogue version, supplier ID,
template version) so that the filled workbook imports with no question asked. The sheets come
from ``japanese_workbook()``, which neutralises every value written to them (a profile's texts
included: registry/neutralise.py).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date

from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation

from questionnaires.frameworks import FrameworkDefinition, MappingProfile, framework_definition
from registry.services.exports import japanese_workbook
from registry.services.neutralise import CONTROL_CHARACTERS

__all__ = [
    "ANSWER_HEADER",
    "ANSWER_SHEET",
    "HEADER_ROW",
    "INSTRUCTION_SHEET",
    "META_SHEET",
    "SUBCONTRACTOR_HEADER",
    "SUBCONTRACTOR_ROWS",
    "SUBCONTRACTOR_SHEET",
    "TEMPLATE_VERSION",
    "build_template",
]

TEMPLATE_VERSION = "1"
ANSWER_SHEET = "回答"
SUBCONTRACTOR_SHEET = "再委託先"
META_SHEET = "_monosashi"
INSTRUCTION_SHEET = "記入方法"
ANSWER_HEADER = ("No.", "分類", "レベル", "項目（要約）", "回答", "理由・根拠", "補足")
SUBCONTRACTOR_HEADER = ("会社名", "法人番号", "供給品目・業務", "重要(はい/いいえ)")
HEADER_ROW = 5
SUBCONTRACTOR_ROWS = 200
_FONT = "Noto Sans JP"
_HEAD = PatternFill("solid", fgColor="1F4E79")
_INPUT = PatternFill("solid", fgColor="FFF8E1")
_THIN = Border(*(Side(style="thin", color="BFBFBF"),) * 4)
_UNLOCKED = Protection(locked=False)


def _instructions(definition: FrameworkDefinition, supplier_id: str) -> list[str]:
    allowed = " / ".join(a.label for a in definition.answers)
    return [
        f"{definition.name_ja}　回答用ワークブック",
        "",
        "【記入方法】",
        f"1. 「{ANSWER_SHEET}」シートの「回答」列で、各項目に当てはまるものを一覧から選んでください（{allowed}）。",
        "2. 「理由・根拠」列には、そう判断した理由や根拠となる規程・記録の名前を書いてください。",
        f"3. 「{SUBCONTRACTOR_SHEET}」シートに、当社向けの業務に関わる貴社の再委託先（二次取引先）を記入してください。",
        "4. 回答日を記入し、このファイルを保存してそのまま返送してください。シート名や列の順序は変えないでください。",
        f"取引先ID: {supplier_id}",
        "",
        "How to fill in (English)",
        f"1. On sheet {ANSWER_SHEET}, choose an answer for every item from the list ({allowed}).",
        "2. In 理由・根拠 (reason/evidence), say why, and name the rule or record that shows it.",
        f"3. On sheet {SUBCONTRACTOR_SHEET}, list your own subcontractors involved in work for us (tier 2).",
        "4. Enter the answer date, save and send this file back as it is. Do not rename sheets or move columns.",
        "",
        "※ 取引先への要請は、下請法・独占禁止法に配慮し、双方の合意のもとで行います。",
    ]


def _list_formula(labels: Iterable[str]) -> str:
    """A dropdown's list of allowed answers as Excel's list formula: ``"○,△,✖"``. A quote inside a
    label is doubled and control characters are dropped, so a profile's label stays one item of
    the list and never becomes part of a formula."""
    return '"' + ",".join(CONTROL_CHARACTERS.sub("", label).replace('"', '""') for label in labels) + '"'


def build_template(
    framework_id: str,
    supplier_id: str,
    *,
    level: int = 4,
    profiles: dict[str, MappingProfile] | None = None,
    generated_on: date,
) -> bytes:
    """The blank workbook for one supplier and framework, as .xlsx bytes."""
    definition = framework_definition(framework_id, level=level, profiles=profiles)
    wb = japanese_workbook()
    guide = wb.active
    guide.title = INSTRUCTION_SHEET
    for row, text in enumerate(_instructions(definition, supplier_id), start=1):
        guide.cell(row, 1, text).font = Font(name=_FONT, bold=row in (1, 3, 10), size=13 if row == 1 else 11)
    guide.column_dimensions["A"].width = 120
    guide.protection.sheet = True

    ws = wb.create_sheet(ANSWER_SHEET)
    ws["A1"] = definition.name_ja
    ws["A1"].font = Font(name=_FONT, bold=True, size=13)
    ws["A2"], ws["B2"] = "取引先ID", supplier_id
    ws["A3"], ws["B3"] = "回答日", None
    ws["B3"].protection = _UNLOCKED
    ws["B3"].fill = _INPUT
    ws["B3"].number_format = "yyyy-mm-dd"
    ws["B3"].comment = Comment("例 / e.g. 2026-04-01, 令和8年4月1日", "Monosashi")
    for col, text in enumerate(ANSWER_HEADER, start=1):
        cell = ws.cell(HEADER_ROW, col, text)
        cell.font = Font(name=_FONT, bold=True, color="FFFFFF")
        cell.fill = _HEAD
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    dropdown = DataValidation(
        type="list",
        formula1=_list_formula(a.label for a in definition.answers),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="回答",
        error="一覧から選んでください / choose from the list",
    )
    ws.add_data_validation(dropdown)
    for offset, item in enumerate(definition.items):
        row = HEADER_ROW + 1 + offset
        values = (item.id, item.group, item.level, f"{item.text_ja}\n{item.text_en}".strip(), None, None, None)
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row, col, value)
            cell.font = Font(name=_FONT)
            cell.border = _THIN
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        for col in (5, 6, 7):
            ws.cell(row, col).protection = _UNLOCKED
            ws.cell(row, col).fill = _INPUT
        dropdown.add(ws.cell(row, 5))
    for letter, width in zip("ABCDEFG", (11, 24, 7, 60, 12, 40, 30), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 1)
    ws.protection.sheet = True
    ws.protection.formatColumns = False

    subs = wb.create_sheet(SUBCONTRACTOR_SHEET)
    for col, text in enumerate(SUBCONTRACTOR_HEADER, start=1):
        cell = subs.cell(1, col, text)
        cell.font = Font(name=_FONT, bold=True, color="FFFFFF")
        cell.fill = _HEAD
    yes_no = DataValidation(type="list", formula1='"はい,いいえ"', allow_blank=True)
    subs.add_data_validation(yes_no)
    for row in range(2, SUBCONTRACTOR_ROWS + 2):
        for col in range(1, 5):
            subs.cell(row, col).protection = _UNLOCKED
        subs.cell(row, 2).number_format = "@"  # keep leading zeros of corporate numbers
        yes_no.add(subs.cell(row, 4))
    for letter, width in zip("ABCD", (36, 18, 30, 16), strict=True):
        subs.column_dimensions[letter].width = width
    subs.protection.sheet = True

    meta = wb.create_sheet(META_SHEET)
    for row, (key, value) in enumerate(
        (
            ("template_version", TEMPLATE_VERSION),
            ("framework_id", definition.framework_id),
            ("framework_version", definition.version),
            ("catalogue_version", definition.catalogue_version or ""),
            ("level", str(definition.level or "")),
            ("supplier_id", supplier_id),
            ("generated_on", generated_on.isoformat()),
        ),
        start=1,
    ):
        meta.cell(row, 1, key)
        meta.cell(row, 2, value).number_format = "@"
    meta.sheet_state = "hidden"
    meta.protection.sheet = True
    wb.active = 1
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
