"""Hostile files against every importer: random and mutated inputs; no crash, no hang, only clear rejections.

    python bench/fuzz_importers.py [--cases 20000] [--seed 0] [--time-limit 10] [--workers N]
    python bench/fuzz_importers.py --replay FILE [--name NAME]   # one saved reproducer, in this process
    python bench/fuzz_importers.py --case INDEX [--seed S]        # one generated case, in this process

Every case is made from ``(seed, index)`` alone, so any case can be made again. A case is one
file (name and bytes) of one *kind*: random bytes or text, a mutation of a valid sample from
``tests/support/samples.py`` (bit flips, inserted/deleted bytes, truncation, duplicated chunks,
splices, another name), a damaged zip container, a workbook with hostile XML inside, a CSV of
an odd shape, a JSON exchange document of wrong types or depth, or an upload over the size limit.

Each case runs, in a worker process with a time limit:

- ``sniff`` and ``parse`` of every importer in ``importers.IMPORTERS`` (and the other upload
  entry points: the IPA catalogue Excel, the crosswalk Excel, the certificate PDF). Only a score
  in [0, 1], a batch, or ``SourceFileError`` with clear problems may come out;
- the intake pipeline as the Import page runs it (``intake.sources_from_uploads`` then
  ``intake.analyse`` against a small registry, then ``intake.preview``). Nothing may escape, and
  no file may be rejected through the catch-all for parser bugs (``could not be read (...)``);
- for uploads over the size limit: refused by ``sources_from_uploads`` with no importer called.

A *crash* is any other exception, or a worker that dies (a Rust abort, say); an *unclear*
rejection has an empty message, a traceback, a Python repr or a raw multi-line error dump instead
of a sentence; a *hang* is a case over the time limit. Each finding's file is saved (in a
temporary folder unless ``--findings DIR``) with the command that replays it. The summary gives
cases, accepted, rejected (clearly), crashes, unclear and hangs per kind and per importer.
Exit status 1 if anything was found.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import logging
import multiprocessing
import os
import random
import re
import struct
import sys
import tempfile
import time
import traceback
import warnings
import zipfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from multiprocessing.connection import Connection, wait
from pathlib import Path

from importers import IMPORTERS, certificate_pdf, crosswalk_excel, ipa_catalogue
from importers.base import ImportBatch, ImportContext, Limits, Problem, SourceFile, SourceFileError
from questionnaires.catalogue import available_versions, load_catalogue
from questionnaires.frameworks import shipped_profiles
from registry.domain.actor import Actor
from registry.services import intake
from support import samples

__all__ = [
    "CSV_SHAPES",
    "JSON_SHAPES",
    "KINDS",
    "PDF_ATTACKS",
    "XML_ATTACKS",
    "ZIP_ATTACKS",
    "Case",
    "Outcome",
    "check_importers",
    "check_intake",
    "check_oversize",
    "make_case",
    "run",
    "seeds",
    "unclear",
]

AS_OF = date(2026, 11, 23)
SUFFIXES = ("csv", "tsv", "txt", "xlsx", "xlsm", "json", "zip", "pdf", "bin", "")
OVERSIZE_LIMIT = 4096  # the size limit the oversize cases are checked against

# -- the valid samples every mutation starts from ------------------------------------------------


def _csv_bytes(rows: list[list[object]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def _xlsx_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    """A zip of the members, byte for byte the same every time (fixed dates)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


_TIMESTAMP = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _stable(data: bytes) -> bytes:
    """A sample workbook or zip made reproducible: openpyxl stamps the time in the zip and in
    docProps/core.xml; every case must come out the same from the same seed and index."""
    if data[:4] != b"PK\x03\x04":
        return data
    members = {name: _TIMESTAMP.sub(rb"\g<1>2026-01-01T00:00:00Z\g<2>", content) for name, content in _members(data)}
    return _zip_bytes(members)


SUPPLIER_ROWS = [
    ["取引先ID", "会社名", "法人番号", "業種", "従業員数", "都道府県", "セキュリティ担当者", "IT支援拠点から遠隔"],
    ["Z1", "株式会社ゼット", "7000012050002", "製造", "120", "愛知県", "有", "いいえ"],
    ["Z2", "ゼット工業（株）", "", "", "15", "", "", ""],
]
CERTIFICATE_ROWS = [
    ["取引先ID", "制度", "登録番号", "発行日", "有効期限", "発行者", "適用範囲"],
    ["S000001", "ISMS", "IS 123456", "2025/04/01", "2028/03/31", "認証機関A", "本社"],
    ["S000002", "SCS★3", "SCS-0001", "令和7年4月1日", "", "", ""],
]
REQUEST_ROWS = [
    [
        "取引先ID",
        "要請レベル",
        "要請日",
        "期日",
        "機密情報を扱う",
        "停止で納入が遅れる",
        "社内システムに接続",
        "判断理由",
    ],
    ["S000001", "★3", "2026-04-01", "2026-10-01", "はい", "いいえ", "いいえ", "取引は年1回のみ"],
    ["S000002", "★4", "2026-04-01", "2027-04-01", "はい", "はい", "はい", "重要部品"],
]


@cache
def seeds() -> dict[str, tuple[str, bytes]]:
    """Valid files of every format (name, bytes), built once per process."""
    from registry.services.crosswalks import to_excel
    from registry.services.templates import build_template

    profiles = shipped_profiles()
    towa = profiles["towa-motors-2025"]
    minato = profiles["minato-semiconductor-2026"]
    ipa_answers = ["実施している"] * 15 + ["一部実施している"] * 5 + ["実施していない"] * 3 + ["わからない"] * 2
    out = {
        "scs_xlsx": ("scs.xlsx", samples.scs_self_assessment_workbook(supplier_id="S000001", answered_on="2026/4/1")),
        "scs_star3_draft_xlsm": (
            "scs3.xlsm",
            samples.scs_self_assessment_workbook(supplier_id="S000002", level=3, version="2025-12", seed=3),
        ),
        "template_scs_xlsx": ("template.xlsx", build_template("scs", "S000001", level=3, generated_on=AS_OF)),
        "template_ipa_xlsx": ("template5.xlsx", build_template("ipa_5min", "S000003", generated_on=AS_OF)),
        "ipa_5min_csv": ("ipa.csv", samples.ipa_5min_csv(ipa_answers, supplier_id="S000004")),
        "ipa_5min_cp932_csv": (
            "ipa_sjis.csv",
            samples.ipa_5min_csv(["4"] * 25, supplier_id="S000003", encoding="cp932"),
        ),
        "checklist_towa_xlsx": (
            "towa.xlsx",
            samples.checklist_workbook(
                towa,
                {i.id: ["はい", "一部", "いいえ", None][n % 4] for n, i in enumerate(towa.items)},
                supplier_label_values={"取引先コード": "S000005", "記入日": "2026/9/30"},
            ),
        ),
        "checklist_minato_xlsx": (
            "minato.xlsx",
            samples.checklist_workbook(minato, {"Q1.1": "3", "Q1.2": "1"}, supplier_label_values={"法人番号": "x"}),
        ),
        "supplier_master_csv": (
            "suppliers.csv",
            samples.supplier_master_csv(
                [
                    {"supplier_id": "Z1", "name": "株式会社ゼット", "corporate_number": "7000012050002"},
                    {"supplier_id": "Z2", "name": "ゼット（株）", "employees": 15, "has_security_staff": "有"},
                ]
            ),
        ),
        "supplier_master_xlsx": ("suppliers.xlsx", _xlsx_bytes({"取引先": SUPPLIER_ROWS})),
        "supplier_master_tsv": ("suppliers.tsv", _csv_bytes(SUPPLIER_ROWS, delimiter="\t")),
        "links_csv": (
            "links.csv",
            samples.supplier_links_csv([("自社", "S000001", "部品", True), ("S000001", "S000002", None, False)]),
        ),
        "security_action_csv": (
            "sa.csv",
            samples.security_action_csv(
                [("S000001", "二つ星", "123456789", "R7.4.1"), ("S000002", "★1", "2234", "2025/06/30")]
            ),
        ),
        "certificates_csv": ("certs.csv", _csv_bytes(CERTIFICATE_ROWS, "cp932")),
        "certificates_xlsx": ("certs.xlsx", _xlsx_bytes({"証明書": CERTIFICATE_ROWS})),
        "requests_csv": ("requests.csv", _csv_bytes(REQUEST_ROWS, "utf-8-sig")),
        "exchange_json": (
            "exchange.json",
            samples.exchange_json(
                suppliers=[{"supplier_id": "J1", "name": "株式会社ジェイ"}],
                submissions=[
                    {
                        "supplier_id": "S000001",
                        "framework_id": "scs",
                        "framework_version": "2026-03-27",
                        "catalogue_version": "2026-03-27",
                        "level": 3,
                        "submitted_on": "2026-05-01",
                        "answers": [{"item_id": "1-2-1-1", "status": "met", "raw_answer": "○"}],
                    }
                ],
                certificates=[
                    {
                        "certificate_id": "C-J1",
                        "supplier_id": "S000001",
                        "scheme": "iso27001",
                        "registration_no": "IS 1",
                        "issued_on": "2025-04-01",
                    }
                ],
            ),
        ),
        "crosswalk_xlsx": ("crosswalk.xlsx", to_excel(next(iter(_shipped_crosswalks().values())))),
        "certificate_pdf": (
            "cert.pdf",
            samples.certificate_pdf(["ISMS ISO/IEC 27001", "Registration No: IS 123456", "Issue date: 2025-04-01"]),
        ),
        "minimal_sst_xlsx": ("minimal.xlsx", zip_parts(xlsx_parts([("取引先", SUPPLIER_ROWS)], shared=True))),
    }
    out = {key: (name, _stable(data)) for key, (name, data) in out.items()}
    out["bundle_zip"] = (
        "bundle.zip",
        _zip_bytes({"a/" + out[k][0]: out[k][1] for k in ("supplier_master_csv", "links_csv", "scs_xlsx")}),
    )
    return out


def _shipped_crosswalks():
    from questionnaires.crosswalks import shipped_crosswalks

    return shipped_crosswalks()


# -- cell values people (and attackers) type -----------------------------------------------------

_WORDS = [
    "取引先ID", "会社名", "法人番号", "親取引先ID", "子取引先ID", "宣言", "自己宣言ID", "宣言日", "制度", "発行日",
    "有効期限", "要請レベル", "要請日", "期日", "No.", "回答", "評価基準No.", "自己評価", "_monosashi", "回答日",
    "記入日", "取引先コード", "はい", "いいえ", "○", "△", "✖", "一つ星", "二つ星", "★3", "★4", "ISMS", "Pマーク",
    "実施している", "一部実施している", "実施していない", "わからない", "自社", "S000001", "S000002", "@buyer",
]  # fmt: skip
_NASTY = [
    "", " ", "\u3000", "\x00", "\ufeff", "\u200b", "\ud7ff", "\U0001f600", "\u202e", "\r", "\n", "\r\n", '"', "'", "\\",
    "=cmd|' /C calc'!A0", "=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "<script>", "&amp;", "&#0;",
    "]]>", "NaN", "nan", "inf", "-inf", "1e400", "-0", "1" * 5000, "0x10", "１２３", "Ⅻ", "ｱｲｳ", "㈱", "(株)",
    "9" * 30, "-1", "0", "0.0", "2958466", "1e308", "99999-99-99", "0000-00-00", "2026-02-30", "令和0年1月1日",
    "R99.13.40", "平成31年5月1日", "令和元年4月30日", "昭和64年1月8日", "2026/4/1", "46113", "46113.5", "x" * 40000,
    "a,b", "a\tb", "\"unterminated", "TRUE", "FALSE", "None", "null", "{}", "[]", "7000012050002", "1234567890123",
]  # fmt: skip


def nasty_value(rng: random.Random) -> str:
    """A cell text from the words the importers look for, the values that trip parsers, or noise."""
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(_WORDS)
    if roll < 0.7:
        return rng.choice(_NASTY)
    if roll < 0.85:
        return "".join(chr(rng.randint(0x20, 0x7E)) for _ in range(rng.randint(0, 20)))
    return "".join(
        chr(rng.choice([rng.randint(0x3040, 0x30FF), rng.randint(0x4E00, 0x9FFF), rng.randint(1, 0xFFFF)]))
        for _ in range(rng.randint(0, 12))
    )


FAMILIES: dict[str, list[str]] = {
    "supplier_master": SUPPLIER_ROWS[0],
    "supplier_links": ["親取引先ID", "子取引先ID", "供給品目", "重要"],
    "security_action": ["取引先ID", "宣言", "自己宣言ID", "宣言日"],
    "certificate_list": CERTIFICATE_ROWS[0] + ["制度名"],
    "level_requests": [*REQUEST_ROWS[0], "要請ID"],
    "ipa_5min": ["No.", "設問（要約）", "回答", "取引先ID"],
    "scs": list(samples.OFFICIAL_HEADER),
    "checklist_towa": [],
    "template": ["No.", "項目", "レベル", "要求", "回答", "理由・根拠", "補足"],
    "crosswalk": list(crosswalk_excel.HEADER),
}


def family_header(rng: random.Random, family: str) -> list[str]:
    if family == "checklist_towa":
        profile = rng.choice(list(shipped_profiles().values()))
        header = list(profile.fingerprint) + [c for c in profile.columns.model_dump().values() if c]
        return list(dict.fromkeys(header))
    return list(FAMILIES[family])


def family_rows(rng: random.Random, family: str, n_rows: int | None = None) -> list[list[object]]:
    """A header of one family (sometimes shuffled, widened or under title rows) and rows of odd values."""
    header = family_header(rng, family)
    if rng.random() < 0.3:
        rng.shuffle(header)
    if rng.random() < 0.2:
        header = header + [nasty_value(rng) for _ in range(rng.randint(1, 5))]
    rows: list[list[object]] = [[nasty_value(rng)] for _ in range(rng.choice([0, 0, 1, 3]))]
    rows.append(header)
    if n_rows is None:
        n_rows = rng.choice([0, 1, 2, 5, 25, 30, 200])
    for i in range(n_rows):
        width = len(header) + rng.choice([0, 0, 0, -1, 1, -len(header), 5])
        row: list[object] = []
        for col in range(max(width, 0)):
            if family == "ipa_5min" and col == header.index("No.") and rng.random() < 0.8:
                row.append(str(i + 1))
            elif rng.random() < 0.1:
                row.append(None)
            else:
                row.append(nasty_value(rng))
        rows.append(row)
    return rows


# -- a hand-written workbook whose every part can be made hostile --------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _col(index0: int) -> str:
    letters, n = "", index0 + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def xlsx_parts(sheets: list[tuple[str, list[list[object]]]], *, shared: bool = True) -> dict[str, bytes]:
    """The parts of a minimal .xlsx (content types, relationships, workbook, styles, sheets and shared strings)."""
    strings: dict[str, int] = {}
    sheet_xml = []
    for _, rows in sheets:
        out = []
        for r, row in enumerate(rows, start=1):
            cells = []
            for c, value in enumerate(row):
                ref = f"{_col(c)}{r}"
                if value is None:
                    continue
                if isinstance(value, bool):
                    cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
                elif isinstance(value, int | float):
                    cells.append(f'<c r="{ref}"><v>{value}</v></c>')
                elif shared:
                    index = strings.setdefault(str(value), len(strings))
                    cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
                else:
                    cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{_esc(str(value))}</t></is></c>')
            out.append(f'<row r="{r}">{"".join(cells)}</row>')
        sheet_xml.append(
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
            f"<sheetData>{''.join(out)}</sheetData></worksheet>"
        )
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for i in range(1, len(sheets) + 1)
            )
            + '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            + "".join(
                f'<sheet name="{_esc(name)}" sheetId="{i}" r:id="rId{i}"/>'
                for i, (name, _) in enumerate(sheets, start=1)
            )
            + "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, len(sheets) + 1)
            )
            + f'<Relationship Id="rIdS" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rIdT" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
        ),
        "xl/styles.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{_MAIN}">'
            '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy/mm/dd"/></numFmts>'
            '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders>'
            '<cellStyleXfs count="1"><xf/></cellStyleXfs>'
            '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs>'
            "</styleSheet>"
        ),
        "xl/sharedStrings.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}" count="{len(strings)}" uniqueCount="{len(strings)}">'
            + "".join(f"<si><t>{_esc(s)}</t></si>" for s in strings)
            + "</sst>"
        ),
    }
    for i, xml in enumerate(sheet_xml, start=1):
        parts[f"xl/worksheets/sheet{i}.xml"] = xml
    return {k: v.encode("utf-8", "surrogatepass") for k, v in parts.items()}  # lone surrogates stay, as bad bytes


def build_xlsx(rng: random.Random, family: str, *, shared: bool | None = None) -> bytes:
    rows = family_rows(rng, family)
    name = (
        "_monosashi"
        if family == "template" and rng.random() < 0.5
        else rng.choice(["Sheet1", "自己評価", "回答", "crosswalk"])
    )
    sheets = [(name, rows)]
    if family == "template":
        meta = [
            ["framework_id", rng.choice(["scs", "ipa_5min", "nope", "profile.towa-motors-2025"])],
            ["level", rng.choice(["3", "4", "x", "99"])],
        ]
        sheets = [("回答", rows), ("_monosashi", meta), ("再委託先", family_rows(rng, "supplier_master", 3))]
    return zip_parts(xlsx_parts(sheets, shared=rng.random() < 0.7 if shared is None else shared))


def zip_parts(parts: dict[str, bytes]) -> bytes:
    return _zip_bytes(parts)


# -- a zip writer that lies on request -----------------------------------------------------------


@dataclass
class Entry:
    """One zip member as written: what the headers declare may differ from what the data holds."""

    name: bytes
    payload: bytes  # the stored bytes (compressed already, for method 8)
    method: int = 8
    crc: int = 0
    csize: int | None = None
    usize: int = 0
    flags: int = 0
    local_name: bytes | None = None


def entry(name: str | bytes, data: bytes, method: int = 8, level: int = 6) -> Entry:
    raw = name.encode("utf-8") if isinstance(name, str) else name
    if method == 8:
        co = zlib.compressobj(level, zlib.DEFLATED, -15)
        payload = co.compress(data) + co.flush()
    else:
        payload = data
    flags = 0x800 if any(b > 0x7F for b in raw) else 0
    return Entry(raw, payload, method, zlib.crc32(data), None, len(data), flags)


def raw_zip(entries: list[Entry], *, comment: bytes = b"", offsets: list[int | None] | None = None) -> bytes:
    out = bytearray()
    central = bytearray()
    starts = []
    for e in entries:
        starts.append(len(out))
        local = e.local_name if e.local_name is not None else e.name
        csize = len(e.payload) if e.csize is None else e.csize
        out += struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            20,
            e.flags,
            e.method,
            0,
            0x21,
            e.crc,
            csize & 0xFFFFFFFF,
            e.usize & 0xFFFFFFFF,
            len(local),
            0,
        )
        out += local + e.payload
    for i, e in enumerate(entries):
        csize = len(e.payload) if e.csize is None else e.csize
        offset = starts[i] if offsets is None or offsets[i] is None else offsets[i]
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, e.flags, e.method, 0, 0x21, e.crc, csize & 0xFFFFFFFF,
            e.usize & 0xFFFFFFFF, len(e.name), 0, 0, 0, 0, 0, offset & 0xFFFFFFFF,
        )  # fmt: skip
        central += e.name
    cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), cd_offset, len(comment))
    return bytes(out + comment)


def _members(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(i.filename, zf.read(i)) for i in zf.infolist()]


def _far_rows(rng: random.Random) -> bytes:
    """Sheet XML whose cells reach far: the grid's corner, beyond it, or many rows without numbers."""
    far = rng.choice(
        [
            '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
            '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>',
            '<row r="3"><c r="XFD3"><v>1</v></c></row>',
            '<row r="3"><c r="ZZZZZZZZ3"><v>1</v></c></row>',
            '<row r="3"><c r="A99999999999"><v>1</v></c></row>',
            '<row r="99999999999"><c><v>1</v></c></row>',
            '<row r="0"><c r="A0"><v>1</v></c></row>',
            '<row r="3"><c r="a3"><v>1</v></c></row>',
            '<row r="3"><c r="$A$3"><v>1</v></c></row>',
            '<row r="3"><c r="-1"><v>1</v></c></row>',
            '<row r="3"><c x=">" r="XFD1048576"><v>1</v></c></row>',
            "<row r='3'><c r='XFD1048576'><v>1</v></c></row>",
            '<x:row xmlns:x="' + _MAIN + '" r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>',
            "<row/>" * rng.choice([1000, 200_000]) + '<row><c t="inlineStr"><is><t>x</t></is></c></row>',
            '<row r="5">' + "<c/>" * rng.choice([100, 16_383, 20_000]) + "<c><v>1</v></c></row>",
            '<row r="5">' + '<c r="A5"><v>1</v></c>' * 3 + "</row>",
        ]
    )
    return far.encode()


_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
    + "]>"
)
_XXE = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY web SYSTEM "http://127.0.0.1:9/x">]>'


def _insert_doctype(xml: bytes, doctype: str, entity: str) -> bytes:
    head, sep, rest = xml.partition(b"?>")
    xml = head + sep + doctype.encode() + rest if sep else doctype.encode() + xml
    return xml.replace(b"<t>", f"<t>&{entity};".encode(), 1).replace(b"<v>", f"<v>&{entity};".encode(), 1)


XML_ATTACKS = (
    "far_cells", "unclosed", "truncated_xml", "entities", "xxe", "huge_shared_string", "many_shared_strings",
    "formulas", "dates", "merged", "sst_counts", "sst_index", "styles", "rels", "sheet_names", "encoding",
    "deep_nesting", "dimension", "garbage_cells", "many_sheets", "duplicate_parts",
)  # fmt: skip


def _sheet_xml_attack(rng: random.Random, parts: dict[str, bytes], attack: str | None = None) -> str:
    sheet = "xl/worksheets/sheet1.xml"
    xml = parts[sheet]
    attack = attack or rng.choice(XML_ATTACKS)
    if attack == "far_cells":
        parts[sheet] = xml.replace(b"</sheetData>", _far_rows(rng) + b"</sheetData>")
    elif attack == "unclosed":
        tag = rng.choice([b"</sheetData>", b"</row>", b"</c>", b"</worksheet>", b"</v>", b"</t>"])
        target = rng.choice([sheet, "xl/sharedStrings.xml", "xl/workbook.xml"])
        parts[target] = parts[target].replace(tag, b"", 1)
    elif attack == "truncated_xml":
        target = rng.choice(list(parts))
        parts[target] = parts[target][: rng.randint(0, len(parts[target]))]
    elif attack == "entities":
        target = rng.choice([sheet, "xl/sharedStrings.xml", "xl/workbook.xml"])
        parts[target] = _insert_doctype(parts[target], _LAUGHS, "i")
    elif attack == "xxe":
        target = rng.choice([sheet, "xl/sharedStrings.xml", "[Content_Types].xml"])
        parts[target] = _insert_doctype(parts[target], _XXE, rng.choice(["xxe", "web"]))
    elif attack == "huge_shared_string":
        big = "".join(rng.choice("アイウエオ漢字abc") for _ in range(rng.choice([40_000, 400_000])))
        parts["xl/sharedStrings.xml"] = parts["xl/sharedStrings.xml"].replace(b"<t>", f"<t>{big}".encode(), 1)
    elif attack == "many_shared_strings":
        n = rng.choice([1000, 60_000])
        sst = "".join(f"<si><t>{i}</t></si>" for i in range(n))
        parts["xl/sharedStrings.xml"] = f'<sst xmlns="{_MAIN}" count="{n}" uniqueCount="{n}">{sst}</sst>'.encode()
        cells = "".join(f'<row r="{r}"><c r="A{r}" t="s"><v>{r - 1}</v></c></row>' for r in range(1, min(n, 5000) + 1))
        parts[sheet] = f'<worksheet xmlns="{_MAIN}"><sheetData>{cells}</sheetData></worksheet>'.encode()
    elif attack == "formulas":
        formula = rng.choice(
            ["cmd|' /C calc'!A0", 'HYPERLINK("http://x","y")', "1/0", "A1+A1", 'WEBSERVICE("http://x")']
        )
        cell = f'<c r="B2" t="str"><f>{_esc(formula)}</f><v>={_esc(formula)}</v></c>'
        if rng.random() < 0.3:
            cell = (
                f'<c r="B2"><f t="shared" ref="A1:XFD1048576" si="{rng.choice([0, 4_000_000_000])}">1+1</f><v>2</v></c>'
            )
        parts[sheet] = xml.replace(b"</sheetData>", f'<row r="2">{cell}</row></sheetData>'.encode())
    elif attack == "dates":
        value = rng.choice(
            ["-1", "0", "60", "2958466", "2958465.99999", "1e308", "-1e308", "NaN", "inf", "9" * 400, "", "x"]
        )
        kind = rng.choice(['s="1"', 's="2"', 't="d"', 't="n"', 't="e"', 't="b"', 's="99999"'])
        rows = "".join(f'<row r="{r}"><c r="D{r}" {kind}><v>{value}</v></c></row>' for r in (3, 4))
        parts[sheet] = xml.replace(b"</sheetData>", rows.encode() + b"</sheetData>")
    elif attack == "merged":
        refs = rng.choice(
            [["A1:XFD1048576"], ["A1:B2", "B2:C3", "A1:A1"], ["B2:A1"], ["A0:B0"], ["ZZZZ1:A1"], ["A1:B2"] * 5000]
        )
        merged = (
            f'<mergeCells count="{len(refs)}">' + "".join(f'<mergeCell ref="{r}"/>' for r in refs) + "</mergeCells>"
        )
        parts[sheet] = xml.replace(b"</sheetData>", b"</sheetData>" + merged.encode())
    elif attack == "sst_counts":
        count = rng.choice(["4000000000", "500000000", "-1", "99999999999999999999999", "x", ""])
        attr = rng.choice([b"uniqueCount", b"count"])
        parts["xl/sharedStrings.xml"] = re.sub(
            attr + rb'="\d*"', attr + b'="' + count.encode() + b'"', parts["xl/sharedStrings.xml"], count=1
        )
    elif attack == "sst_index":
        index = rng.choice(["99999999", "-1", "x", "", "1e3", "4294967296"])
        parts[sheet] = re.sub(rb'(t="s"><v>)\d+', rb"\g<1>" + index.encode(), xml, count=1)
    elif attack == "styles":
        parts["xl/styles.xml"] = rng.choice(
            [
                b"<styleSheet/>",
                f'<styleSheet xmlns="{_MAIN}"><numFmts count="4000000000"><numFmt numFmtId="4294967295" formatCode="yyyy"/></numFmts><cellXfs count="4000000000"><xf numFmtId="4294967296"/></cellXfs></styleSheet>'.encode(),
                b"not xml at all \xff\xfe",
            ]
        )
    elif attack == "rels":
        target = rng.choice(
            [
                "../../../../etc/passwd",
                "/xl/worksheets/sheet1.xml",
                "worksheets/nope.xml",
                "sharedStrings.xml",
                "workbook.xml",
                "",
                "C:/x.xml",
                "http://x/y.xml",
            ]
        )
        parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
            b"worksheets/sheet1.xml", _esc(target).encode(), 1
        )
    elif attack == "sheet_names":
        name = rng.choice(["", "x" * 300, "a/b", "[x]", "自己評価", "\x01", "&amp;", "Sheet1"])
        parts["xl/workbook.xml"] = re.sub(
            rb'name="[^"]*"', b'name="' + _esc(name).encode() + b'"', parts["xl/workbook.xml"], count=1
        )
    elif attack == "encoding":
        target = rng.choice([sheet, "xl/sharedStrings.xml", "xl/workbook.xml"])
        choice = rng.random()
        if choice < 0.3:
            parts[target] = b"\xff\xfe" + parts[target].decode("utf-8", "surrogatepass").encode(
                "utf-16-le", "surrogatepass"
            )
        elif choice < 0.6:
            parts[target] = parts[target].replace(b'encoding="UTF-8"', b'encoding="Shift_JIS"')
        else:
            parts[target] = parts[target].replace(b"<t>", b"<t>\xff\xfe\x80", 1).replace(b"<v>", b"<v>\xc3", 1)
    elif attack == "deep_nesting":
        depth = rng.choice([1000, 50_000])
        deep = "<r>" * depth + "<t>x</t>" + "</r>" * depth
        parts[sheet] = xml.replace(
            b"</sheetData>", f'<row r="9"><c r="A9" t="inlineStr"><is>{deep}</is></c></row></sheetData>'.encode()
        )
    elif attack == "dimension":
        ref = rng.choice(["A1:XFD1048576", "ZZZZZZZZ1:A99999999999", "", "A1", "B2:A1"])
        parts[sheet] = xml.replace(b"<sheetData>", f'<dimension ref="{ref}"/><sheetData>'.encode(), 1)
    elif attack == "garbage_cells":
        junk = rng.choice(
            ['<c r="A9" t="zz"><v>1</v></c>', '<c r="A9" t="s"></c>', '<c r="A9" t="inlineStr"></c>', '<c r="A9"><v>abc</v></c>',
             '<c r="A9" t="b"><v>7</v></c>', '<c r="A9"><is><t>x</t></is></c>', "<c><v><![CDATA[x]]></v></c>", "<c r=A9><v>1</v></c>"]
        )  # fmt: skip
        parts[sheet] = xml.replace(b"</sheetData>", f'<row r="9">{junk}</row></sheetData>'.encode())
    elif attack == "many_sheets":
        n = rng.choice([50, 400])
        parts["xl/workbook.xml"] = (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            + "".join(f'<sheet name="S{i}" sheetId="{i}" r:id="rId1"/>' for i in range(1, n + 1))
            + "</sheets></workbook>"
        ).encode()
    elif attack == "duplicate_parts":
        pass  # the zip layer writes a second, hostile sheet1.xml (see _zip_attack)
    return f"xml:{attack}"


def gen_xlsx_xml(rng: random.Random, attack: str | None = None) -> tuple[str, bytes, str]:
    family = rng.choice(list(FAMILIES))
    rows = family_rows(rng, family, rng.choice([0, 2, 10]))
    parts = xlsx_parts([(rng.choice(["Sheet1", "自己評価", "_monosashi", "回答"]), rows)], shared=rng.random() < 0.8)
    attack = _sheet_xml_attack(rng, parts, attack)
    entries = [entry(name, data) for name, data in parts.items()]
    if attack == "xml:duplicate_parts":
        entries.append(
            entry("xl/worksheets/sheet1.xml", b"<worksheet><sheetData>" + _far_rows(rng) + b"</sheetData></worksheet>")
        )
    return rng.choice(["book.xlsx", "book.xlsm"]), raw_zip(entries), f"{family}/{attack}"


def _lying_entry(rng: random.Random, name: str, real: bytes) -> Entry:
    """Headers that declare (and checksum) only the first bytes; the deflate stream holds all of ``real``."""
    e = entry(name, real, level=9)
    declared = rng.choice([0, 10, min(len(real), 400)])
    e.usize, e.crc = declared, zlib.crc32(real[:declared])
    return e


ZIP_ATTACKS = (
    "corrupt_central_directory", "traversal_names", "huge_declared_size", "lying_small_size", "nested_zip",
    "duplicate_names", "many_members", "compression_method", "encrypted_flag", "bad_utf8_name",
    "overlapping_entries", "empty_archive", "eocd_lies", "local_name_differs", "ratio_bomb", "stored_size_lie",
)  # fmt: skip


def gen_zip_container(rng: random.Random, attack: str | None = None) -> tuple[str, bytes, str]:
    base_key = rng.choice(["scs_xlsx", "supplier_master_xlsx", "minimal_sst_xlsx", "bundle_zip", "template_scs_xlsx"])
    name, data = seeds()[base_key]
    members = _members(data)
    entries = [entry(n, d) for n, d in members]
    attack = attack or rng.choice(ZIP_ATTACKS)
    offsets = None
    comment = b""
    if attack == "traversal_names":
        bad = rng.choice(
            [
                "../../evil.csv",
                "/abs.csv",
                "C:/x.csv",
                "..\\..\\x.csv",
                "a/../../x.csv",
                "xl/../../../x.xml",
                "\\\\server\\x.csv",
                "./.hidden.csv",
                "__MACOSX/x.csv",
            ]
        )
        entries.append(entry(bad, seeds()["supplier_master_csv"][1]))
        if rng.random() < 0.5:
            victim = rng.randrange(len(entries))
            entries[victim].name = entries[victim].local_name = bad.encode()
    elif attack == "huge_declared_size":
        victim = rng.choice(entries)
        victim.usize = rng.choice([0xFFFFFFFF, 300 * 1024 * 1024, 21 * 1024 * 1024])
        if rng.random() < 0.5:
            victim.csize = rng.choice([0xFFFFFFFF, 0, 1])
    elif attack == "lying_small_size":
        sheet = (
            f'<worksheet xmlns="{_MAIN}"><sheetData>'.encode()
            + rng.choice([b"<row/>" * 500_000, b"", b"<row/>" * 50_000])
            + _far_rows(rng)
            + b"</sheetData></worksheet>"
        )
        target = next((i for i, e in enumerate(entries) if e.name.endswith(b"sheet1.xml")), None)
        if target is None:
            entries.append(_lying_entry(rng, "inner.csv", b"a,b\n" * 200_000))
        else:
            entries[target] = _lying_entry(rng, "xl/worksheets/sheet1.xml", sheet)
    elif attack == "nested_zip":
        inner = raw_zip(
            [
                entry("inner/suppliers.csv", seeds()["supplier_master_csv"][1]),
                entry("deeper.zip", seeds()["bundle_zip"][1]),
            ]
        )
        entries.append(
            entry(rng.choice(["nested.zip", "xl/embeddings/oleObject1.bin", "book.xlsx", "x.zip.csv"]), inner)
        )
    elif attack == "duplicate_names":
        twin = rng.choice(entries)
        hostile = (
            b"<worksheet><sheetData>" + _far_rows(rng) + b"</sheetData></worksheet>"
            if rng.random() < 0.5
            else b"garbage"
        )
        copy = entry(twin.name, hostile)
        entries.insert(rng.choice([0, len(entries)]), copy)
    elif attack == "many_members":
        n = rng.choice([1999, 2001, 5000])
        entries += [entry(f"m/{i}.txt", b"", method=0) for i in range(n)]
    elif attack == "compression_method":
        victim = rng.choice(entries)
        victim.method = rng.choice([1, 6, 9, 12, 14, 18, 19, 93, 95, 96, 97, 98, 99, 0xFFFF])
    elif attack == "encrypted_flag":
        rng.choice(entries).flags |= 0x1 | (0x40 if rng.random() < 0.3 else 0)
    elif attack == "bad_utf8_name":
        victim = rng.choice(entries)
        victim.name = victim.local_name = rng.choice(
            [b"\xff\xfe.csv", b"a\x80b.csv", b"xl/\xc3(worksheets.xml", b"\x00.csv"]
        )
        victim.flags |= 0x800
    elif attack == "overlapping_entries":
        offsets = [0] * len(entries)
    elif attack == "empty_archive":
        entries = []
    elif attack == "eocd_lies":
        comment = rng.choice([b"", b"x" * 100])
        data = raw_zip(entries, comment=comment)
        eocd = data.rfind(b"PK\x05\x06")
        patched = bytearray(data)
        field_offset, fmt = rng.choice([(8, "<H"), (10, "<H"), (12, "<I"), (16, "<I"), (20, "<H")])
        struct.pack_into(fmt, patched, eocd + field_offset, rng.choice([0, 1, 0xFFFF if fmt == "<H" else 0xFFFFFFFF]))
        return name, bytes(patched), f"{base_key}/zip:{attack}"
    elif attack == "local_name_differs":
        victim = rng.choice(entries)
        victim.local_name = rng.choice([b"../x", b"", b"other.xml" * 10])
    elif attack == "ratio_bomb":
        entries.append(entry("zeros.csv", b"0" * rng.choice([3_000_000, 12_000_000]), level=9))
    elif attack == "stored_size_lie":
        victim = rng.choice(entries)
        victim.method, victim.payload = (
            0,
            zlib.decompress(victim.payload, -15) if victim.method == 8 else victim.payload,
        )
        victim.usize = max(0, len(victim.payload) - rng.randint(1, 50))
    data = raw_zip(entries, comment=comment, offsets=offsets)
    if attack == "corrupt_central_directory":
        cd = data.find(b"PK\x01\x02")
        patched = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            patched[rng.randrange(cd, len(patched))] = rng.randrange(256)
        data = bytes(patched)
    return name, data, f"{base_key}/zip:{attack}"


# -- certificate PDFs that fight back ------------------------------------------------------------


def _pdf(objects: list[bytes], *, trailer: bytes = b"", prev_loop: bool = False) -> bytes:
    """A PDF of numbered objects (1 is the catalogue) with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    prev = b" /Prev %d" % xref if prev_loop else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        prev,
        trailer,
        xref,
    )
    return bytes(out)


def _stream(content: bytes, extra: bytes = b"", *, compress: bool = False) -> bytes:
    if compress:
        content, extra = zlib.compress(content, 9), extra + b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n" % (len(content), extra) + content + b"\nendstream"


@cache
def _flate_bomb(size: int) -> bytes:
    co = zlib.compressobj(9)
    chunk = b"0" * (1 << 20)
    return b"".join(co.compress(chunk) for _ in range(size >> 20)) + co.flush()


PDF_ATTACKS = (
    "flate_bomb", "kids_cycle", "deep_array", "deep_dict", "xref_loop", "huge_count", "bad_length", "many_operators",
    "encrypt", "object_stream", "cmap_ranges", "inline_image", "self_reference", "garbage_tokens",
)  # fmt: skip


def gen_pdf(rng: random.Random, attack: str | None = None) -> tuple[str, bytes, str]:
    text = b"BT /F1 12 Tf 50 780 Td (ISMS ISO/IEC 27001) Tj 0 -16 Td (Registration No: IS 123456) Tj ET"
    catalog = b"<< /Type /Catalog /Pages 2 0 R >>"
    pages = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    objects = [catalog, pages, page, font, _stream(text)]
    trailer, prev_loop = b"", False
    attack = attack or rng.choice(PDF_ATTACKS)
    if attack == "flate_bomb":
        bomb = _flate_bomb(rng.choice([8 << 20, 96 << 20]))
        objects[4] = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(bomb) + bomb + b"\nendstream"
    elif attack == "kids_cycle":
        objects[1] = b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>"
        objects[2] = objects[2].replace(b"/Parent 2 0 R", b"/Parent 3 0 R /Kids [3 0 R]")
    elif attack == "deep_array":
        depth = rng.choice([1000, 100_000])
        objects[3] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /W " + b"[" * depth + b"]" * depth + b" >>"
    elif attack == "deep_dict":
        depth = rng.choice([1000, 20_000])
        objects[3] = b"<< /A " * depth + b"1" + b" >>" * depth
    elif attack == "xref_loop":
        prev_loop = True
    elif attack == "huge_count":
        objects[1] = b"<< /Type /Pages /Kids [3 0 R] /Count 999999999999 >>"
    elif attack == "bad_length":
        length = rng.choice([b"-1", b"99999999999", b"5 0 R", b"6 0 R", b"/Name"])
        objects[4] = b"<< /Length " + length + b" >>\nstream\n" + text + b"\nendstream"
    elif attack == "many_operators":
        ops = b" ".join(b"(x) Tj 0 -1 Td" for _ in range(rng.choice([20_000, 150_000])))
        objects[4] = _stream(b"BT /F1 1 Tf " + ops + b" ET", compress=True)
    elif attack == "encrypt":
        objects.append(
            rng.choice([b"<< /Filter /Standard /V 99 /R 99 /O <00> /U <00> /P -1 >>", b"<< /Filter /Nope >>", b"<< >>"])
        )
        trailer = b"/Encrypt %d 0 R /ID [<00> <00>]" % len(objects)
    elif attack == "object_stream":
        objects.append(_stream(b"1 0 2 5 " + b"<< >> " * 3, b" /Type /ObjStm /N 999999999 /First 99999"))
    elif attack == "cmap_ranges":
        cmap = (
            b"begincmap "
            + b"".join(b"%d beginbfrange <0000> <FFFF> <0000> endbfrange " % 1 for _ in range(rng.choice([10, 200])))
            + b"endcmap"
        )
        objects.append(_stream(cmap))
        objects[3] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode %d 0 R >>" % len(objects)
    elif attack == "inline_image":
        objects[4] = _stream(b"BI /W 99999 /H 99999 /BPC 8 /CS /RGB /F /Fl ID " + rng.randbytes(2000) + b" EI")
    elif attack == "self_reference":
        objects[2] = objects[2].replace(b"/Contents 5 0 R", b"/Contents 3 0 R /Resources 3 0 R")
    elif attack == "garbage_tokens":
        objects[rng.randrange(len(objects))] = bytes(
            rng.choice(b"<>[]()/\\%{} 0123456789RobjTjstream") for _ in range(rng.randint(1, 3000))
        )
    return "cert.pdf", _pdf(objects, trailer=trailer, prev_loop=prev_loop), f"pdf:{attack}"


# -- CSV and JSON of odd shapes ------------------------------------------------------------------


CSV_SHAPES = ("ragged", "quotes", "wide", "long_field", "newlines", "delimiters", "title_rows", "blank", "many_lines")


def gen_csv_shape(rng: random.Random, shape: str | None = None) -> tuple[str, bytes, str]:
    family = rng.choice([f for f in FAMILIES if f not in ("scs", "template", "crosswalk")])
    shape = shape or rng.choice(CSV_SHAPES)
    if shape == "wide":
        width = rng.choice([10_000, 3000])
        header = family_header(rng, family) + [f"c{i}" for i in range(width)]
        rng.shuffle(header)
        rows = [header] + [
            [nasty_value(rng) if rng.random() < 0.01 else "" for _ in range(width)] for _ in range(rng.randint(1, 3))
        ]
    else:
        rows = family_rows(rng, family)
    delimiter = "\t" if rng.random() < 0.2 else ","
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=rng.choice(["\r\n", "\n", "\r"])).writerows(
        [["" if v is None else str(v) for v in row] for row in rows]
    )
    text = out.getvalue()
    if shape == "quotes":
        for _ in range(rng.randint(1, 5)):
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(['"', '""', '"\n', "'", '"a"b"']) + text[at:]
    elif shape == "long_field":
        text += rng.choice(['"' + "x" * 200_000 + '"\n', "y" * 300_000 + "\n"])
    elif shape == "newlines":
        text = text.replace(",", rng.choice([",\n", '"\n"', "\r"]), rng.randint(1, 20))
    elif shape == "delimiters":
        text = text.replace(",", rng.choice(["\t", ";", "，", "、", "|"]), rng.randint(1, 50))
    elif shape == "blank":
        text = rng.choice(["", "\n" * 1000, ",,,,\n" * 50, "\ufeff", " "])
    elif shape == "many_lines":
        text += rng.choice(["\n", ",", "\r\n", "a,\n", '""\n']) * rng.choice([100_000, 400_000])
    encoding = rng.choice(["utf-8", "utf-8-sig", "cp932", "utf-16", "latin-1"])
    data = text.encode(encoding, errors="ignore" if encoding != "utf-16" else "surrogatepass")
    return rng.choice(["list.csv", "list.tsv", "list.txt", "list.CSV"]), data, f"{family}/csv:{shape}/{encoding}"


def _random_json(rng: random.Random, depth: int = 0) -> object:
    roll = rng.random()
    if depth > 4 or roll < 0.45:
        return rng.choice(
            [None, True, False, 0, -1, 1.5, 10**30, -(10**30), 1e308, "", "x", "2026-02-30", "9999-12-31", "0001-01-01",
             "1-2-1-1", "S000001", "met", "scs", 3, 4, 5, "\ud800", "\x00", "a" * 10_000, nasty_value(rng)]
        )  # fmt: skip
    if roll < 0.7:
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = ["supplier_id", "name", "corporate_number", "framework_id", "answers", "status", "item_id", "level",
            "submitted_on", "issued_on", "expires_on", "scheme", "parent_id", "child_id", "certificate_id", "x"]  # fmt: skip
    return {rng.choice(keys): _random_json(rng, depth + 1) for _ in range(rng.randint(0, 6))}


def _replace_somewhere(rng: random.Random, doc: object, value: object) -> object:
    """The document with one node (chosen by a random walk) replaced by ``value``."""
    if not isinstance(doc, dict | list) or not doc or rng.random() < 0.25:
        return value
    if isinstance(doc, dict):
        key = rng.choice(list(doc))
        return {**doc, key: _replace_somewhere(rng, doc[key], value)}
    i = rng.randrange(len(doc))
    return [*doc[:i], _replace_somewhere(rng, doc[i], value), *doc[i + 1 :]]


JSON_SHAPES = (
    "wrong_type", "deep", "huge_number", "special_float", "huge_string", "duplicate_keys", "surrogates", "random",
    "encoding", "top_level", "many_invalid_items", "many_keys",
)  # fmt: skip


def gen_json_doc(rng: random.Random, shape: str | None = None) -> tuple[str, bytes, str]:
    doc = json.loads(seeds()["exchange_json"][1])
    shape = shape or rng.choice(JSON_SHAPES)
    text: str | None = None
    if shape == "wrong_type":
        for _ in range(rng.randint(1, 4)):
            doc = _replace_somewhere(rng, doc, _random_json(rng, 3))
    elif shape == "deep":
        depth = rng.choice([50, 900, 1000, 3000, 100_000])
        opener, closer = rng.choice([("[", "]"), ('{"a":', "}")])
        marker = "__DEEP__"
        doc = _replace_somewhere(rng, doc, marker)
        text = json.dumps(doc, ensure_ascii=False).replace(f'"{marker}"', opener * depth + "1" + closer * depth)
    elif shape == "huge_number":
        marker = "__NUM__"
        doc = _replace_somewhere(rng, doc, marker)
        number = rng.choice(
            ["1" * 5000, "-" + "9" * 4301, "1e999", "-1e999", "1e-999", "0." + "0" * 5000 + "1", "1" * 4300]
        )
        text = json.dumps(doc, ensure_ascii=False).replace(f'"{marker}"', number)
    elif shape == "special_float":
        marker = "__FLOAT__"
        doc = _replace_somewhere(rng, doc, marker)
        text = json.dumps(doc).replace(f'"{marker}"', rng.choice(["NaN", "Infinity", "-Infinity"]))
    elif shape == "huge_string":
        doc = _replace_somewhere(rng, doc, "長" * rng.choice([100_000, 1_000_000]))
    elif shape == "duplicate_keys":
        text = json.dumps(doc, ensure_ascii=False)
        text = text.replace('"format": "monosashi.exchange"', '"format": "monosashi.exchange", "format": "other"', 1)
        text = text.replace('"suppliers":', '"suppliers": 1, "suppliers":', 1)
    elif shape == "surrogates":
        doc = _replace_somewhere(rng, doc, rng.choice(["\ud800", "a\udfffb", "\udc80\udc81"]))
        text = json.dumps(doc)  # ASCII escapes: valid JSON text that decodes to lone surrogates
    elif shape == "random":
        doc = _random_json(rng)
        if isinstance(doc, dict) and rng.random() < 0.7:
            doc = {"format": "monosashi.exchange", "version": rng.choice([1, 1.0, True, "1", 2]), **doc}
    elif shape == "many_invalid_items":
        bad = rng.choice([{}, 1, None, "x", {"supplier_id": 1}])
        n = rng.choice([20_000, 150_000])
        target = rng.choice(["suppliers", "certificates", "links", "submissions", "answers"])
        if target == "answers":
            doc["submissions"][0]["answers"] = [bad] * n
        else:
            doc[target] = [bad] * n
    elif shape == "many_keys":
        doc = _replace_somewhere(rng, doc, {f"k{i}": i for i in range(rng.choice([300, 50_000]))})
    elif shape == "top_level":
        doc = rng.choice([[doc], "monosashi.exchange", None, 1, {"format": "monosashi.exchange"}])
    if text is None:
        text = json.dumps(doc, ensure_ascii=rng.random() < 0.3)
    encoding = rng.choice(["utf-8", "utf-8", "utf-8-sig", "utf-16", "cp932"]) if shape == "encoding" else "utf-8"
    data = text.encode(encoding, errors="surrogatepass" if encoding.startswith("utf") else "ignore")
    return rng.choice(["exchange.json", "exchange.JSON", "export.txt", "data"]), data, f"json:{shape}"


# -- generic mutations of valid samples ----------------------------------------------------------


def _pick_seed(rng: random.Random) -> tuple[str, str, bytes]:
    key = rng.choice(sorted(seeds()))
    name, data = seeds()[key]
    return key, name, data


def _mutate(kind: str, rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    if kind == "bit_flip":
        for _ in range(rng.choice([1, 1, 2, 8, 64])):
            if buf:
                buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
    elif kind == "byte_insert":
        for _ in range(rng.choice([1, 4, 32])):
            at = rng.randrange(len(buf) + 1)
            buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.choice([1, 1, 4, 100])))
    elif kind == "byte_delete":
        for _ in range(rng.choice([1, 4, 32])):
            if buf:
                at = rng.randrange(len(buf))
                del buf[at : at + rng.choice([1, 1, 4, 100])]
    elif kind == "truncate":
        del buf[rng.randrange(len(buf) + 1) :]
    elif kind == "duplicate_chunk" and buf:
        start = rng.randrange(len(buf))
        chunk = buf[start : start + rng.choice([1, 16, 512, 4096])]
        at = rng.randrange(len(buf) + 1)
        buf[at:at] = chunk * rng.choice([1, 2, 50])
    return bytes(buf)


def _mutation(kind: str) -> Callable[[random.Random], tuple[str, bytes, str]]:
    def generate(rng: random.Random) -> tuple[str, bytes, str]:
        key, name, data = _pick_seed(rng)
        return name, _mutate(kind, rng, data), key

    return generate


def gen_part_mutation(rng: random.Random) -> tuple[str, bytes, str]:
    """One part of a workbook (or one member of a zip) mutated, the rest intact, checksums right:
    so that the damage reaches the XML and CSV readers instead of stopping at the zip layer."""
    key = rng.choice([k for k, (name, _) in seeds().items() if name.endswith((".xlsx", ".xlsm", ".zip"))])
    name, data = seeds()[key]
    members = _members(data)
    weights = [3.0 if n.endswith(("sheet1.xml", "sharedStrings.xml", ".csv")) else 1.0 for n, _ in members]
    victim = rng.choices(range(len(members)), weights=weights)[0]
    part, content = members[victim]
    mutation = rng.choice(["bit_flip", "byte_insert", "byte_delete", "truncate", "duplicate_chunk"])
    members[victim] = (part, _mutate(mutation, rng, content))
    return name, raw_zip([entry(n, d) for n, d in members]), f"{key}:{part}/{mutation}"


def gen_splice(rng: random.Random) -> tuple[str, bytes, str]:
    (key_a, name, a), (key_b, _, b) = _pick_seed(rng), _pick_seed(rng)
    return name, a[: rng.randrange(len(a) + 1)] + b[rng.randrange(len(b) + 1) :], f"{key_a}+{key_b}"


def gen_rename(rng: random.Random) -> tuple[str, bytes, str]:
    key, _, data = _pick_seed(rng)
    suffix = rng.choice(SUFFIXES)
    return ("renamed." + suffix if suffix else "renamed"), data, f"{key}->{suffix or '(none)'}"


def gen_random_bytes(rng: random.Random) -> tuple[str, bytes, str]:
    size = rng.choice([0, 1, 3, 16, 200, 4096, 65_536])
    prefix = rng.choice(
        [b"", b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"%PDF-1.4\n", b"\xef\xbb\xbf", b"{"]
    )
    suffix = rng.choice(SUFFIXES)
    return f"random.{suffix}" if suffix else "random", prefix + rng.randbytes(size), f"bytes/{suffix or '(none)'}"


def gen_random_text(rng: random.Random) -> tuple[str, bytes, str]:
    pieces = []
    for _ in range(rng.randint(0, 60)):
        roll = rng.random()
        if roll < 0.4:
            pieces.append(nasty_value(rng))
        elif roll < 0.7:
            pieces.append(rng.choice([",", "\t", "\n", "\r\n", '"', " ", "\x00", "\ufeff"]))
        else:
            pieces.append(
                rng.choice(["x" * 100_000, "、" * 5000, "\x00" * 100, "\n" * 500]) if rng.random() < 0.05 else ""
            )
    text = "".join(pieces)
    encoding = rng.choice(["utf-8", "utf-8-sig", "cp932", "shift_jis", "euc-jp", "utf-16", "utf-16-be", "latin-1"])
    data = (
        text.encode(encoding, errors="ignore")
        if not encoding.startswith("utf-16")
        else text.encode(encoding, "surrogatepass")
    )
    if encoding == "utf-16-be" and rng.random() < 0.5:
        data = b"\xfe\xff" + data
    suffix = rng.choice(["csv", "tsv", "txt", "json", "xlsx", ""])
    return f"text.{suffix}" if suffix else "text", data, f"text/{encoding}"


def gen_oversize(rng: random.Random) -> tuple[str, bytes, str]:
    key, name, data = _pick_seed(rng)
    size = rng.randint(OVERSIZE_LIMIT + 1, 3 * OVERSIZE_LIMIT)
    padded = (data * (size // max(len(data), 1) + 1))[:size] if data else b"\x00" * size
    return name, padded, key


KINDS: dict[str, tuple[float, Callable[[random.Random], tuple[str, bytes, str]]]] = {
    "random_bytes": (1.0, gen_random_bytes),
    "random_text": (1.0, gen_random_text),
    "bit_flip": (1.5, _mutation("bit_flip")),
    "byte_insert": (1.0, _mutation("byte_insert")),
    "byte_delete": (1.0, _mutation("byte_delete")),
    "truncate": (1.0, _mutation("truncate")),
    "duplicate_chunk": (1.0, _mutation("duplicate_chunk")),
    "part_mutation": (2.0, gen_part_mutation),
    "splice": (0.5, gen_splice),
    "rename": (0.5, gen_rename),
    "zip_container": (1.5, gen_zip_container),
    "xlsx_xml": (2.0, gen_xlsx_xml),
    "csv_shape": (1.5, gen_csv_shape),
    "json_doc": (1.5, gen_json_doc),
    "pdf": (0.7, gen_pdf),
    "oversize": (0.3, gen_oversize),
}


@dataclass(frozen=True)
class Case:
    index: int
    kind: str
    base: str  # the sample or family it came from, and the attack
    name: str
    data: bytes = field(repr=False)


def make_case(seed: int, index: int, kind: str | None = None) -> Case:
    """Case ``index`` of run ``seed``: the same file every time."""
    rng = random.Random(f"monosashi-fuzz:{seed}:{index}")
    names = list(KINDS)
    drawn = rng.choices(names, weights=[KINDS[k][0] for k in names])[0]  # drawn always: same stream after
    kind = kind or drawn
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names we write on purpose
        name, data, base = KINDS[kind][1](rng)
    return Case(index, kind, base, name, data)


# -- the oracle ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one case did: per importer, in intake, and anything wrong."""

    importers: dict[str, str] = field(default_factory=dict)  # NAME -> accepted / rejected / crash
    intake: str = ""  # ready / rejected / duplicate / refused-unread (the worst of the reports)
    failures: list[dict[str, str]] = field(default_factory=list)
    long_messages: int = 0

    def fail(self, where: str, problem: str, detail: str, signature: str = "") -> None:
        signature = signature or re.sub(r"[0-9]+", "N", detail.splitlines()[0] if detail else "")[:140]
        self.failures.append({"where": where, "problem": problem, "detail": detail[:4000], "signature": signature})


_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>|^[A-Z]\w*(Error|Exception)\(|^\w*(Error|Exception): ")


def unclear(problem: Problem) -> str | None:
    """Why a rejection's problem is not a clear sentence with a place, or None if it is."""
    location, message = problem.location, problem.message
    if not isinstance(location, str) or not location.strip():
        return "no location"
    if not isinstance(message, str) or not message.strip():
        return "empty message"
    if not any(ch.isalpha() for ch in message):
        return "no words in the message"
    if "Traceback (most recent call last)" in message:
        return "a traceback as the message"
    if _REPR.search(message.strip()):
        return "a Python repr or raw exception as the message"
    if "errors.pydantic.dev" in message or "validation error for" in message:
        return "a raw pydantic error dump as the message"
    if "\n" in message:
        return "a raw multi-line error dump as the message"
    if message.startswith("could not be read ("):
        return "the intake's catch-all for parser bugs"
    return None


def _problems_of(exc: SourceFileError) -> list[Problem]:
    return exc.problems or [Problem(location=exc.source_name or "", message="")]


def _judge_rejection(outcome: Outcome, where: str, problems: list[Problem]) -> None:
    if not problems:
        outcome.fail(where, "unclear", "rejected with no problems")
    for p in problems:
        why = unclear(p)
        if why:
            gist = re.sub(r"'[^']*'|\"[^\"]*\"|[0-9]+", "…", p.message.splitlines()[0] if p.message.strip() else "")
            outcome.fail(where, "unclear", f"{why}: {p.location!r}: {p.message[:1500]!r}", f"{why}: {gist[:100]}")
        if len(p.message) > 2000:
            outcome.long_messages += 1


_OURS = re.compile(r"[\\/](importers|registry|questionnaires)[\\/]")


def _crash(outcome: Outcome, where: str, exc: BaseException) -> None:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if _OURS.search(f.filename)] or frames
    place = f"{Path(ours[-1].filename).parent.name}/{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
    signature = f"{type(exc).__name__} at {place}: {re.sub(r'[0-9]+', 'N', str(exc))[:50]}"
    outcome.fail(where, "crash", "".join(traceback.format_exception(exc))[-3000:], signature)


def check_importers(source: SourceFile, context: ImportContext, outcome: Outcome) -> None:
    """sniff and parse of every importer, and the other upload entry points, directly."""
    for importer in IMPORTERS:
        name = importer.NAME
        try:
            score = importer.sniff(source, context)
            if not isinstance(score, float | int) or not 0.0 <= score <= 1.0:
                outcome.fail(f"{name}.sniff", "crash", f"score {score!r} is not in [0, 1]")
        except SourceFileError as exc:
            _judge_rejection(outcome, f"{name}.sniff", _problems_of(exc))
        except Exception as exc:
            _crash(outcome, f"{name}.sniff", exc)
        try:
            batch = importer.parse(source, context)
            if not isinstance(batch, ImportBatch):
                outcome.fail(f"{name}.parse", "crash", f"returned {type(batch).__name__}, not an ImportBatch")
            outcome.importers[name] = "accepted"
        except SourceFileError as exc:
            outcome.importers[name] = "rejected"
            _judge_rejection(outcome, f"{name}.parse", _problems_of(exc))
        except Exception as exc:
            outcome.importers[name] = "crash"
            _crash(outcome, f"{name}.parse", exc)
    others: list[tuple[str, Callable[[], object]]] = [
        ("ipa_catalogue.sniff", lambda: ipa_catalogue.sniff(source.name, source.data)),
        ("ipa_catalogue.parse", lambda: ipa_catalogue.parse(source.name, source.data, _catalogues())),
        (
            "crosswalk_excel.parse",
            lambda: crosswalk_excel.parse(SourceFile(source.name, source.data), dict(context.profiles)),
        ),
        ("certificate_pdf.parse", lambda: certificate_pdf.parse(SourceFile(source.name, source.data))),
    ]
    for where, call in others:
        key = where.removesuffix(".parse")
        try:
            call()
            if where.endswith(".parse"):
                outcome.importers[key] = "accepted"
        except SourceFileError as exc:
            outcome.importers[key] = "rejected"
            _judge_rejection(outcome, where, _problems_of(exc))
        except Exception as exc:
            outcome.importers[key] = "crash"
            _crash(outcome, where, exc)


@cache
def _catalogues():
    return [load_catalogue(v) for v in available_versions()]


_STATUS_ORDER = {"ready": 0, "duplicate": 1, "rejected": 2}


def check_intake(store, name: str, data: bytes, outcome: Outcome, limits: Limits | None = None) -> None:
    """The Import page's path: uploads → sources (zips expanded) → analyse → preview."""
    limits = limits or Limits()
    try:
        items = intake.sources_from_uploads([(name, data)], limits)
        reports = intake.analyse(store, items, limits=limits)
        for report in reports:
            if report.status == "rejected":
                _judge_rejection(outcome, "intake.analyse", report.errors)
            elif report.status == "ready":
                intake.preview(report)
        if reports:
            intake.summary_frame(reports)
        outcome.intake = max((r.status for r in reports), key=_STATUS_ORDER.__getitem__, default="(nothing)")
    except SourceFileError as exc:  # analyse should turn these into rejected reports itself
        outcome.intake = "crash"
        outcome.fail("intake", "crash", f"SourceFileError escaped the pipeline: {exc}")
    except Exception as exc:
        outcome.intake = "crash"
        _crash(outcome, "intake", exc)


def check_oversize(store, name: str, data: bytes, outcome: Outcome, limit: int = OVERSIZE_LIMIT) -> None:
    """An upload over the size limit is refused by sources_from_uploads: no zip opened, no importer called."""
    limits = Limits(max_file_bytes=limit)
    touched: list[str] = []

    def forbidden(what: str):
        def call(*args, **kwargs):
            touched.append(what)
            raise AssertionError(f"{what} was called for an upload over the size limit")

        return call

    patched = [(intake, "expand", vars(intake)["expand"]), (intake, "_detect", vars(intake)["_detect"])]
    patched += [(i, attr, vars(i).get(attr)) for i in IMPORTERS for attr in ("sniff", "parse")]
    for target, attr, _ in patched:  # a module's own function, or a method the object's class holds (None)
        setattr(target, attr, forbidden(f"{getattr(target, 'NAME', 'intake')}.{attr}"))
    try:
        reports = intake.analyse(store, intake.sources_from_uploads([(name, data)], limits), limits=limits)
    except Exception as exc:
        _crash(outcome, "oversize", exc)
        reports = []
    finally:
        for target, attr, own in patched:
            if own is None:
                delattr(target, attr)
            else:
                setattr(target, attr, own)
    if touched:
        outcome.fail("oversize", "read", f"an upload over the limit reached {', '.join(sorted(set(touched)))}")
    if len(reports) != 1 or reports[0].status != "rejected" or reports[0].data is not None:
        outcome.fail("oversize", "read", f"expected one rejected report without its bytes, got {reports!r}"[:500])
    elif "not read" not in reports[0].errors[0].message:
        outcome.fail("oversize", "unclear", reports[0].errors[0].message)
    outcome.intake = "refused-unread"


def check_case(case: Case, store, context: ImportContext) -> Outcome:
    outcome = Outcome()
    if case.kind == "oversize":
        check_oversize(store, case.name, case.data, outcome)
        return outcome
    check_importers(SourceFile(case.name, case.data), context, outcome)
    check_intake(store, case.name, case.data, outcome)
    return outcome


# -- workers: one process each, killed and replaced on a hang or a death --------------------------


def make_registry(folder: Path):
    """A small registry: the demo's first suppliers (S000001 …), so references in samples resolve."""
    from registry.services.demo import generate_demo
    from registry.store import Store
    from registry.store.content import initialise, replace_demo

    store = Store(folder / "fuzz.duckdb", lock_timeout=5.0)
    initialise(store, Actor.system("demo"))
    replace_demo(store, generate_demo(20, 2, AS_OF), Actor.system("demo"), seed=2)
    return store


def _limit_memory(gib: float) -> None:
    try:
        import resource

        cap = int(gib * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not every platform has it
        pass


def _worker(conn: Connection, seed: int, memory_gib: float, stderr_path: str) -> None:
    os.environ.setdefault("MONOSASHI_DUCKDB_MEMORY", "512MB")
    warnings.simplefilter("ignore")
    # Library chatter (pypdf's warnings, calamine's notes) and a Rust abort's report go to a file
    # that the parent reads when the worker dies.
    os.dup2(os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="monosashi-fuzz-worker-") as folder:
        store = make_registry(Path(folder))
        context = ImportContext(profiles=shipped_profiles())
        seeds()
        _limit_memory(memory_gib)
        with store.held_open():  # one open file for all cases, as a batch import holds it
            conn.send(("ready", None))
            _serve(conn, seed, store, context)


def _harness_error(index: int, kind: str, detail: str) -> dict:
    failure = {"where": "harness", "problem": "harness", "detail": detail, "signature": detail.strip().splitlines()[-1]}
    return {"index": index, "kind": kind, "base": "", "name": "", "intake": "harness", "failures": [failure]}


def _serve(conn: Connection, seed: int, store, context: ImportContext) -> None:
    while (message := conn.recv()) is not None:
        index, kind = message
        started = time.perf_counter()
        try:
            case = make_case(seed, index, kind)
        except Exception:  # a bug of this harness, not of the importers: say so and go on
            conn.send(("done", _harness_error(index, kind or "?", traceback.format_exc())))
            continue
        made = time.perf_counter()
        outcome = check_case(case, store, context)
        result = {
            "index": index,
            "kind": case.kind,
            "base": case.base,
            "name": case.name,
            "size": len(case.data),
            "seconds": time.perf_counter() - made,
            "make_seconds": made - started,
            "importers": outcome.importers,
            "intake": outcome.intake,
            "failures": outcome.failures,
            "long_messages": outcome.long_messages,
        }
        conn.send(("done", result))


class _Worker:
    def __init__(self, ctx, seed: int, memory_gib: float) -> None:
        self.conn, child = ctx.Pipe()
        handle, self.stderr_path = tempfile.mkstemp(prefix="monosashi-fuzz-stderr-", suffix=".txt")
        os.close(handle)
        self.process = ctx.Process(target=_worker, args=(child, seed, memory_gib, self.stderr_path), daemon=True)
        self.process.start()
        child.close()
        self.job: tuple[int, str | None] | None = None
        self.started = 0.0
        self.ready = False

    def send(self, job: tuple[int, str | None]) -> None:
        self.job, self.started = job, time.perf_counter()
        self.conn.send(job)

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()

    def stderr_tail(self) -> str:
        try:
            text = Path(self.stderr_path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        lines = [line for line in text.splitlines() if line.strip()]
        key = [line for line in lines if re.search(r"memory allocation|panicked|Fatal Python error|Segmentation", line)]
        return "\n".join([*key[-3:], "...", *lines[-6:]])

    def discard(self) -> None:
        Path(self.stderr_path).unlink(missing_ok=True)


@dataclass
class Summary:
    seed: int
    cases: int = 0
    seconds: float = 0.0
    by_kind: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    by_importer: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    findings: list[dict] = field(default_factory=list)
    slowest: list[tuple[float, int, str, str]] = field(default_factory=list)
    long_messages: int = 0
    saved_to: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.findings

    def record(self, result: dict) -> None:
        self.cases += 1
        kind = result["kind"]
        counts = self.by_kind[kind]
        counts["cases"] += 1
        status = result["intake"]
        problems = {f["problem"] for f in result["failures"]}
        if "harness" in problems:
            counts["harness error"] += 1
        elif "hang" in problems:
            counts["hang"] += 1
        elif "died" in problems or "crash" in problems or "read" in problems:
            counts["crash"] += 1
        elif "unclear" in problems:
            counts["unclear"] += 1
        elif status == "ready":
            counts["accepted"] += 1
        else:
            counts["rejected"] += 1
        for name, verdict in result.get("importers", {}).items():
            self.by_importer[name][verdict] += 1
            self.by_importer[name]["cases"] += 1
        self.long_messages += result.get("long_messages", 0)
        seconds = result.get("seconds", 0.0)
        self.slowest = sorted([*self.slowest, (seconds, result["index"], kind, result.get("base", ""))], reverse=True)[
            :5
        ]
        for failure in result["failures"]:
            self.findings.append({**failure, "index": result["index"], "kind": kind, "base": result.get("base", "")})


def _signature(finding: dict) -> str:
    return f"{finding['problem']} | {finding.get('signature') or finding['detail'][:120]}"


def _save(summary: Summary, folder: Path, seed: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    seen: Counter = Counter()
    for finding in summary.findings:
        signature = _signature(finding)
        seen[signature] += 1
        if seen[signature] > 3:  # a few reproducers per distinct finding are enough
            continue
        if finding["problem"] == "harness":
            continue
        case = make_case(seed, finding["index"], finding["kind"])
        stem = f"{finding['kind']}-{finding['index']}"
        (folder / f"{stem}.bin").write_bytes(case.data)
        (folder / f"{stem}.txt").write_text(
            f"case {finding['index']} of seed {seed}: {finding['kind']} {finding['base']} named {case.name!r}\n"
            f"replay: python bench/fuzz_importers.py --replay {folder / (stem + '.bin')} --name {case.name!r}\n"
            f"    or: python bench/fuzz_importers.py --seed {seed} --case {finding['index']}\n"
            f"{finding['where']}: {finding['problem']}\n{finding['detail']}\n",
            encoding="utf-8",
        )
    summary.saved_to = folder


def run(
    cases: int,
    seed: int = 0,
    *,
    time_limit: float = 10.0,
    workers: int | None = None,
    wall_limit: float | None = None,
    kinds: list[str] | None = None,
    findings_dir: Path | None = None,
    memory_gib: float = 6.0,
    progress: bool = False,
) -> Summary:
    """Run cases 0 … cases-1 of ``seed`` in worker processes; a case over ``time_limit`` seconds is a hang."""
    with _spawn_without_parent_main():
        return _run(cases, seed, time_limit, workers, wall_limit, kinds, findings_dir, memory_gib, progress)


@contextlib.contextmanager
def _spawn_without_parent_main() -> Iterator[None]:
    """Spawned workers run the parent's ``__main__`` script again before their target (the spawn
    rule). In a test session that has run the app (AppTest makes app.py ``__main__``) that would
    start the app in every worker, so the parent's main is hidden while workers start."""
    main = sys.modules.get("__main__")
    own = Path(getattr(main, "__file__", "") or "").resolve() == Path(__file__).resolve()
    if main is None or own:
        yield
        return
    saved = {name: main.__dict__[name] for name in ("__file__", "__spec__") if name in main.__dict__}
    main.__dict__.pop("__file__", None)
    main.__dict__["__spec__"] = None
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


def _run(
    cases: int,
    seed: int,
    time_limit: float,
    workers: int | None,
    wall_limit: float | None,
    kinds: list[str] | None,
    findings_dir: Path | None,
    memory_gib: float,
    progress: bool,
) -> Summary:
    ctx = multiprocessing.get_context("spawn")
    summary = Summary(seed)
    workers = max(1, workers or os.cpu_count() or 1)
    started = time.perf_counter()
    jobs = [(i, kinds[i % len(kinds)] if kinds else None) for i in range(cases)]
    jobs.reverse()
    pool = [_Worker(ctx, seed, memory_gib) for _ in range(workers)]
    boot_deadline = time.perf_counter() + 120
    try:
        while pool:
            if wall_limit is not None and time.perf_counter() - started > wall_limit:
                jobs.clear()
            for w in list(pool):
                if w.ready and w.job is None:
                    if jobs:
                        w.send(jobs.pop())
                    else:
                        w.stop()
                        w.discard()
                        pool.remove(w)
            if not pool:
                break
            ready = wait([w.conn for w in pool], timeout=0.25)
            now = time.perf_counter()
            for w in list(pool):
                if w.conn in ready:
                    try:
                        tag, payload = w.conn.recv()
                    except (EOFError, OSError):
                        tag, payload = "died", None
                    if tag == "ready":
                        w.ready = True
                        continue
                    if tag == "done":
                        w.job = None
                        summary.record(payload)
                        if progress and summary.cases % 500 == 0:
                            print(
                                f"  {summary.cases:,} cases, {len(summary.findings)} findings, {now - started:.0f} s",
                                flush=True,
                            )
                        continue
                if not w.ready:
                    if now > boot_deadline or not w.process.is_alive() or w.conn in ready:
                        raise RuntimeError(f"a fuzz worker did not start (exit code {w.process.exitcode})")
                    continue
                lost = None
                if w.job is not None and now - w.started > time_limit:
                    lost = ("hang", f"over the time limit of {time_limit:g} s")
                elif not w.process.is_alive() or w.conn in ready:
                    w.process.join(1)
                    lost = ("died", f"the worker process died (exit code {w.process.exitcode})")
                if lost is None:
                    continue
                job = w.job
                w.stop(kill=True)
                pool.remove(w)
                tail = w.stderr_tail()
                w.discard()
                if lost[0] == "died":
                    first = next(
                        (line for line in tail.splitlines() if "memory allocation" in line or "panicked" in line), ""
                    )
                    lost = ("died", f"{lost[1]}\n{tail}", re.sub(r"[0-9]+", "N", first or lost[1])[:120])
                else:
                    lost = (*lost, lost[1])
                if job is not None:
                    summary.record(_lost_case(seed, job, lost, time_limit))
                if jobs:
                    pool.append(_Worker(ctx, seed, memory_gib))
    finally:
        for w in pool:
            w.stop(kill=True)
            w.discard()
    summary.seconds = time.perf_counter() - started
    if summary.findings:
        _save(summary, findings_dir or Path(tempfile.mkdtemp(prefix="monosashi-fuzz-findings-")), seed)
    return summary


def _lost_case(seed: int, job: tuple[int, str | None], lost: tuple[str, str, str], time_limit: float) -> dict:
    """The record of a case whose worker hung or died."""
    try:
        case = make_case(seed, *job)
    except Exception:
        return _harness_error(job[0], job[1] or "?", traceback.format_exc())
    return {
        "index": case.index,
        "kind": case.kind,
        "base": case.base,
        "name": case.name,
        "seconds": time_limit if lost[0] == "hang" else 0.0,
        "intake": lost[0],
        "failures": [{"where": "worker", "problem": lost[0], "detail": lost[1], "signature": lost[2]}],
    }


def report(summary: Summary) -> str:
    columns = ("cases", "accepted", "rejected", "crash", "unclear", "hang")
    lines = [f"fuzz run, seed {summary.seed}: {summary.cases:,} cases in {summary.seconds:.1f} s", ""]
    lines.append(f"{'kind':<18}" + "".join(f"{c:>10}" for c in columns))
    total: Counter = Counter()
    for kind in sorted(summary.by_kind):
        counts = summary.by_kind[kind]
        total.update(counts)
        lines.append(f"{kind:<18}" + "".join(f"{counts[c]:>10,}" for c in columns))
    lines.append(f"{'total':<18}" + "".join(f"{total[c]:>10,}" for c in columns))
    lines += ["", "accepted/rejected = what the intake pipeline made of the file (the Import page's verdict)", ""]
    lines.append(f"{'importer (parse)':<24}" + "".join(f"{c:>10}" for c in ("cases", "accepted", "rejected", "crash")))
    for name in sorted(summary.by_importer):
        counts = summary.by_importer[name]
        lines.append(f"{name:<24}" + "".join(f"{counts[c]:>10,}" for c in ("cases", "accepted", "rejected", "crash")))
    lines += ["", "slowest cases (s, index, kind, base):"]
    lines += [f"  {s:7.2f}  {i:>6}  {k}  {b}" for s, i, k, b in summary.slowest]
    if summary.long_messages:
        lines.append(f"rejection messages over 2,000 characters (echoing a huge cell): {summary.long_messages:,}")
    if summary.findings:
        groups: dict[str, list[dict]] = defaultdict(list)
        for f in summary.findings:
            groups[_signature(f)].append(f)
        lines += [
            "",
            f"FINDINGS: {len(summary.findings)} in {len(groups)} distinct kinds (reproducers: {summary.saved_to})",
        ]
        for signature, found in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            first = found[0]
            wheres = sorted({f["where"] for f in found})
            cases = len({f["index"] for f in found})
            lines.append(f"- {signature}")
            lines.append(f"    {cases} cases; in {', '.join(wheres[:6])}{' …' if len(wheres) > 6 else ''}")
            lines.append(f"    first: case {first['index']} ({first['kind']}, {first['base']})")
    else:
        lines += ["", "no crash, no hang, no unclear rejection"]
    return "\n".join(lines)


def _replay(path: Path, name: str | None) -> int:
    warnings.simplefilter("ignore")
    data = path.read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        store = make_registry(Path(folder))
        outcome = Outcome()
        started = time.perf_counter()
        check_importers(SourceFile(name or path.name, data), ImportContext(profiles=shipped_profiles()), outcome)
        check_intake(store, name or path.name, data, outcome)
        print(f"{time.perf_counter() - started:.2f} s; importers: {outcome.importers}; intake: {outcome.intake}")
        for f in outcome.failures:
            print(f"{f['where']}: {f['problem']}\n{f['detail']}\n")
        return 1 if outcome.failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds one case may take (default 10)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: one per CPU)")
    parser.add_argument("--wall-limit", type=float, default=None, help="stop handing out cases after this many seconds")
    parser.add_argument("--kinds", default=None, help=f"comma-separated kinds to run only: {', '.join(KINDS)}")
    parser.add_argument("--findings", type=Path, default=None, help="folder for reproducers (default: a temp folder)")
    parser.add_argument("--replay", type=Path, default=None, help="check one saved file in this process")
    parser.add_argument("--name", default=None, help="the file name to replay it under (its suffix matters)")
    parser.add_argument("--case", type=int, default=None, help="check one generated case in this process")
    args = parser.parse_args(argv)
    if args.replay:
        return _replay(args.replay, args.name)
    if args.case is not None:
        case = make_case(args.seed, args.case)
        print(f"case {case.index}: {case.kind} {case.base} named {case.name!r}, {len(case.data):,} bytes")
        with tempfile.NamedTemporaryFile(suffix=".bin", delete=False) as fh:
            fh.write(case.data)
        if case.kind == "oversize":
            with tempfile.TemporaryDirectory() as folder:
                outcome = Outcome()
                check_oversize(make_registry(Path(folder)), case.name, case.data, outcome)
                print(outcome.failures or "refused unread")
                return 1 if outcome.failures else 0
        return _replay(Path(fh.name), case.name)
    kinds = args.kinds.split(",") if args.kinds else None
    print(f"fuzzing {args.cases:,} cases (seed {args.seed}, time limit {args.time_limit:g} s per case)", flush=True)
    summary = run(
        args.cases,
        args.seed,
        time_limit=args.time_limit,
        workers=args.workers,
        wall_limit=args.wall_limit,
        kinds=kinds,
        findings_dir=args.findings,
        progress=True,
    )
    print(report(summary))
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
