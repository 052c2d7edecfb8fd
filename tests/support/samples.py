"""Synthetic supplier files in every format Monosashi reads, for the demo, tests and benchmarks.

Texts are placeholders or our own summaries (never IPA's official sentences); companies are the
fictional ones of the demo.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Sequence
from datetime import date

from openpyxl import Workbook

from questionnaires.catalogue import CURRENT_VERSION, load_catalogue
from questionnaires.frameworks import MappingProfile, load_ipa_5min
from registry.services.demo import certificate_pdf  # the demo makes the same synthetic PDFs

__all__ = [
    "OFFICIAL_HEADER",
    "certificate_pdf",
    "checklist_workbook",
    "ipa_5min_csv",
    "random_marks",
    "scs_self_assessment_workbook",
    "security_action_csv",
    "supplier_links_csv",
    "supplier_master_csv",
    "unknown_checklist_csv",
    "unknown_checklist_workbook",
]

OFFICIAL_HEADER = (
    "大分類No.",
    "大分類",
    "中分類No.",
    "中分類",
    "要求事項No.",
    "★3",
    "★4",
    "要求事項名",
    "要求事項",
    "★3/★4",
    "評価基準No.",
    "評価基準",
    "NIST CSFにおける機能",
    "参照文献",
    "自己評価",
    "理由",
    "根拠および実施する事",
    "補足情報",
)


def random_marks(n: int, rng: random.Random, weights: Sequence[float] = (0.6, 0.2, 0.15, 0.05)) -> list[str | None]:
    """○ / △ / ✖ / blank marks in the given proportions."""
    return rng.choices(["○", "△", "✖", None], weights=weights, k=n)


def _save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def scs_self_assessment_workbook(
    *,
    supplier_id: str | None = None,
    corporate_number: str | None = None,
    answered_on: str | None = None,
    version: str = CURRENT_VERSION,
    level: int = 4,
    marks: Sequence[str | None] | None = None,
    seed: int = 0,
    merge: bool = True,
) -> bytes:
    """A self-assessment in IPA's layout: a title row, the header on row 2, requirement cells merged,
    answer columns 自己評価 / 理由 / 根拠および実施する事 / 補足情報. Supplier and date, when given,
    are written above the header as label/value pairs."""
    catalogue = load_catalogue(version)
    criteria = catalogue.criteria_at(level)
    rng = random.Random(seed)
    marks = list(marks) if marks is not None else random_marks(len(criteria), rng)
    requirements = {r.id: r for r in catalogue.requirements}
    subcategories = {s.id: s for s in catalogue.data.subcategories}
    categories = {c.no: c for c in catalogue.data.categories}
    wb = Workbook()
    ws = wb.active
    ws.title = "自己評価"
    ws["A1"] = "SCS評価制度 自己評価シート"
    if supplier_id:
        ws["M1"], ws["N1"] = "取引先ID", supplier_id
    if corporate_number:
        ws["O1"], ws["P1"] = "法人番号", corporate_number
    if answered_on:
        ws["Q1"], ws["R1"] = "回答日", answered_on
    ws.append(list(OFFICIAL_HEADER))
    previous = None
    block_start = 3
    for offset, (crit, mark) in enumerate(zip(criteria, marks, strict=True)):
        row = 3 + offset
        req = requirements[crit.requirement_id]
        sub = subcategories[req.subcategory_id]
        first = crit.requirement_id != previous
        if first and previous is not None and merge and row - 1 > block_start:
            for col in "ABCDEHI":
                ws.merge_cells(f"{col}{block_start}:{col}{row - 1}")
        if first:
            block_start = row
            values = [
                sub.category_no,
                categories[sub.category_no].name_ja,
                sub.id,
                sub.name_ja,
                req.id,
                "○" if req.min_level == 3 else None,
                "○",
                req.title_ja,
                f"(要求事項 {req.id} の文)",
            ]
        else:
            values = (
                [None] * 9 if merge else [sub.category_no, None, sub.id, None, req.id, None, None, req.title_ja, None]
            )
        values += [
            f"★{crit.level}",
            crit.id,
            f"(評価基準 {crit.id} の文)",
            crit.csf_function,
            None,
            mark,
            "社内規程に定めている" if mark == "○" else None,
            "規程集 第3版" if mark == "○" else None,
            None,
        ]
        for col, value in enumerate(values, start=1):
            if value is not None:
                ws.cell(row, col, value)
        previous = crit.requirement_id
    wb.create_sheet("参考").append(["この シートは 取り込み時に 無視されます"])
    return _save(wb)


def ipa_5min_csv(answers: Sequence[str], *, supplier_id: str | None = None, encoding: str = "utf-8") -> bytes:
    """IPA 自社診断 answers as CSV (No., 設問, 回答; optional 取引先ID column)."""
    check = load_ipa_5min()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["No.", "設問（要約）", "回答", *(["取引先ID"] if supplier_id else [])])
    for q, answer in zip(check.questions, answers, strict=True):
        writer.writerow([q.no, q.summary_ja, answer, *([supplier_id] if supplier_id else [])])
    return out.getvalue().encode(encoding)


def checklist_workbook(
    profile: MappingProfile,
    answers: dict[str, str | None],
    *,
    supplier_label_values: dict[str, str] | None = None,
    title_rows: int = 3,
) -> bytes:
    """A buyer checklist in the layout a profile reads: title block, header, one row per item,
    the group column merged per group."""
    wb = Workbook()
    ws = wb.active
    ws.title = profile.sheet or "Sheet1"
    ws["A1"] = profile.title_ja
    for row, (label, value) in enumerate((supplier_label_values or {}).items(), start=2):
        ws.cell(row, 1, label)
        ws.cell(row, 2, value)
    header_row = title_rows + 1 + max(0, len(supplier_label_values or {}) - title_rows + 1)
    cols = [
        c
        for c in (
            profile.columns.group,
            profile.columns.item_id,
            profile.columns.level,
            profile.columns.question,
            profile.columns.answer,
            profile.columns.note,
        )
        if c
    ]
    for col, text in enumerate(cols, start=1):
        ws.cell(header_row, col, text)
    items = {i.id: i for i in profile.resolved_items()}
    row = header_row
    group_start, group = None, object()
    for item_id, answer in answers.items():
        row += 1
        item = items.get(item_id)
        values = {
            profile.columns.group: item.group if item else None,
            profile.columns.item_id: item_id,
            profile.columns.level: item.level if item else None,
            profile.columns.question: (item.summary_ja if item else None) or f"項目 {item_id}",
            profile.columns.answer: answer,
            profile.columns.note: None,
        }
        for col, text in enumerate(cols, start=1):
            value = values[text]
            if text == profile.columns.group:
                if value == group:
                    continue
                if group_start is not None and row - 1 > group_start:
                    ws.merge_cells(start_row=group_start, start_column=col, end_row=row - 1, end_column=col)
                group, group_start = value, row
            if value is not None:
                ws.cell(row, col, int(value) if text == profile.columns.answer and str(value).isdigit() else value)
    return _save(wb)


def supplier_master_csv(rows: Sequence[dict[str, object]], *, encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    fields = [
        "取引先ID",
        "会社名",
        "法人番号",
        "業種",
        "従業員数",
        "都道府県",
        "セキュリティ担当者",
        "IT支援拠点から遠隔",
    ]
    keys = [
        "supplier_id",
        "name",
        "corporate_number",
        "industry",
        "employees",
        "prefecture",
        "has_security_staff",
        "far_from_it_support",
    ]
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(fields)
    for r in rows:
        writer.writerow(["" if r.get(k) is None else r[k] for k in keys])
    return out.getvalue().encode(encoding)


def supplier_links_csv(rows: Sequence[tuple[str, str, str | None, bool]], *, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["親取引先ID", "子取引先ID", "供給品目", "重要"])
    for parent, child, supplied, critical in rows:
        writer.writerow([parent, child, supplied or "", "はい" if critical else "いいえ"])
    return out.getvalue().encode(encoding)


def security_action_csv(rows: Sequence[tuple[str, str, str, str]], *, encoding: str = "cp932") -> bytes:
    """(supplier_id, 一つ星/二つ星, declaration id, date text) rows, Shift_JIS by default."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["取引先ID", "宣言", "自己宣言ID", "宣言日"])
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode(encoding)


def exchange_json(
    suppliers: list[dict], submissions: list[dict] | None = None, certificates: list[dict] | None = None
) -> bytes:
    doc = {
        "format": "monosashi.exchange",
        "version": 1,
        "suppliers": suppliers,
        "submissions": submissions or [],
        "certificates": certificates or [],
    }
    return json.dumps(
        doc, ensure_ascii=False, default=lambda d: d.isoformat() if isinstance(d, date) else str(d)
    ).encode()


def unknown_checklist_workbook(
    questions: Sequence[str],
    *,
    answers: Sequence[str | None] | None = None,
    title: str = "みなみ精機 取引先セキュリティ確認シート（架空）",
    sheet: str = "確認シート",
    supplier: tuple[str, str] | None = None,
    headers: tuple[str, str, str, str] = ("No.", "確認項目", "回答", "備考"),
) -> bytes:
    """A buyer checklist no profile knows (a fictional company's): a title and an optional supplier
    line above the header, then one question per row with an ID like Q-001 and an answer."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws["A1"] = title
    if supplier:
        ws["A2"], ws["B2"] = supplier
    header_row = 4
    for col, text in enumerate(headers, start=1):
        ws.cell(header_row, col, text)
    for n, question in enumerate(questions, start=1):
        ws.cell(header_row + n, 1, f"Q-{n:03d}")
        ws.cell(header_row + n, 2, question)
        answer = answers[n - 1] if answers is not None else None
        if answer is not None:
            ws.cell(header_row + n, 3, answer)
    return _save(wb)


def unknown_checklist_csv(
    questions: Sequence[str], *, answers: Sequence[str | None] | None = None, encoding: str = "cp932"
) -> bytes:
    """The same checklist as CSV (Shift_JIS by default, as Excel in Japan saves it)."""
    lines = ["番号,質問,回答"]
    for n, question in enumerate(questions, start=1):
        answer = (answers[n - 1] if answers is not None else None) or ""
        lines.append(f"{n},{question.replace(',', '、')},{answer}")
    return ("\r\n".join(lines) + "\r\n").encode(encoding, errors="replace")
