"""Holes 4, 9 and part of 10: text from outside broke pages and exports, showed as Markdown or
HTML, and ran as formulas (issue 14).

A registry whose every shown text column holds a hostile string is pushed through every page and
every export. Text is refused at the boundary when it holds a control character; whatever sits
in the registry anyway is escaped on the way out: no element that renders Markdown, and no plotly
figure, shows it as a link, image or markup; every workbook, CSV and calendar shows it literally
and never runs it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import icalendar
import openpyxl
import polars as pl
import pytest
from conftest import ADMIN, AS_OF, BUYER, SYSTEM, make_store
from pydantic import ValidationError
from security_support import APP, ROOT
from streamlit.testing.v1 import AppTest

from importers.base import ImportContext, Limits, SourceFile, SourceFileError
from importers.lists import supplier_master
from importers.tabular import read_tables
from registry import access
from registry.domain.models import Certificate, Supplier
from registry.services import (
    crosswalks,
    dashboard,
    directory,
    documents,
    exports,
    flags,
    intake,
    renewals,
    requests,
    support,
)
from registry.services import profiles as profile_service
from registry.services.templates import build_template
from registry.store import Store, audit, settings

NAME_ESCAPE = "_x0001_"  # Excel reads _xHHHH_ as the character U+HHHH
NAME_HTML = '<a href="http://evil.example">x</a>'
NAME_FORMULA = '=HYPERLINK("http://evil.example","x")'
LINK = "[click](http://evil.example)"
IMAGE = "![x](http://evil.example/p.png)"
CONTROL = "CTL\x01X-4"
CONTROL_SHOWN = "CTL\u2401X-4"  # the control picture of U+0001
AT_FORMULA = "@SUM(1)"
PLUS_FORMULA = "+1+2"
MINUS_FORMULA = "-2+3"
FILE_NAME = f"{LINK}.pdf"
PROFILE = "profile.hostile-2026"

# What must never reach an element that renders Markdown unescaped: a link, an image, HTML (a
# tag whose "<" is not escaped), and underscores that would turn the rest of a line italic.
MARKDOWN_HOLES = re.compile(r"\[click\]\(|!\[x\]\(|(?<!\\)<a href|" + re.escape(NAME_ESCAPE))
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[-+]?\d+(\.\d+)?([eE][-+]?\d+)?")  # a number in a CSV: not text, never a formula
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


# -- the registry --------------------------------------------------------------------------------


def hostile_registry(path: Path) -> Store:
    """A small demo whose shown text columns hold hostile strings, written by the system (the
    boundary would refuse the control character)."""
    store = make_store(path, suppliers=30)
    with store.transaction(SYSTEM) as tx:
        for supplier_id, name in (("S000001", NAME_ESCAPE), ("S000002", NAME_HTML), ("S000003", NAME_FORMULA)):
            tx.execute("UPDATE supplier SET name = ? WHERE supplier_id = ?", [name, supplier_id])
        tx.execute(
            "UPDATE supplier SET industry = ?, prefecture = ? WHERE supplier_id <= 'S000010'",
            [LINK, IMAGE],
        )
        tx.execute("UPDATE level_request SET reason = ?, note = ?", [AT_FORMULA, PLUS_FORMULA])
        tx.execute("UPDATE submission SET source_name = ? WHERE supplier_id = 'S000003'", [f"{LINK}.xlsx"])
        issued = AS_OF - timedelta(days=3 * 365 - 20)  # ISMS: 3 years; lapses within 30 days
        tx.insert_frame(
            "certificate",
            pl.DataFrame(
                {
                    # the formula-named supplier holds a certificate of its own, so that its name
                    # leads a calendar entry whatever the demo gave it
                    "certificate_id": ["CERT-9000001", "CERT-9000002"],
                    "supplier_id": ["S000001", "S000003"],
                    "scheme": ["iso27001", "pmark"],
                    "registration_no": [CONTROL, "PM-1"],
                    "issued_on": [issued, AS_OF - timedelta(days=400)],
                    "issuer": [NAME_FORMULA, None],
                    "scope": [MINUS_FORMULA, None],
                }
            ),
        )
        tx.insert_frame("file_blob", pl.DataFrame({"sha256": ["0" * 64], "size_bytes": [3], "data": [b"pdf"]}))
        tx.insert_frame(
            "certificate_file",
            pl.DataFrame(
                {
                    "certificate_id": ["CERT-9000001"],
                    "sha256": ["0" * 64],
                    "file_name": [FILE_NAME],
                    "media_type": ["application/pdf"],
                    "attached_at": [AS_OF],
                    "attached_by": [NAME_HTML],
                },
                schema_overrides={"attached_at": pl.Datetime("us")},
            ),
        )
        tx.audit("set_setting", entity="setting", entity_id=NAME_ESCAPE, detail={"name": NAME_HTML, "why": LINK})
    flags.refresh(store, AS_OF, actor=SYSTEM)
    with store.transaction(SYSTEM) as tx:
        tx.execute("UPDATE flag SET note = ?", [AT_FORMULA])
    settings.save_settings(store, {"buyer.name": NAME_FORMULA, "buyer.contact": AT_FORMULA}, actor=ADMIN)
    towa = (ROOT / "questionnaires" / "profiles" / "towa-motors-2025.yaml").read_text(encoding="utf-8")
    hostile = (
        towa.replace("name: towa-motors-2025", "name: hostile-2026")
        .replace("framework_id: profile.towa-motors-2025", f"framework_id: {PROFILE}")
        .replace("title_ja: 東和自動車", f"title_ja: '{LINK}'  # ", 1)
        .replace("summary_ja: 情報セキュリティ基本方針がある", f"summary_ja: '{NAME_FORMULA}'", 1)
        .replace("group: 組織", f"group: '{NAME_ESCAPE}'", 1)
    )
    profile_service.add_profile_text(store, hostile, "hostile.yaml", actor=ADMIN)
    profiles = profile_service.mapping_profiles(store)
    first = next(iter(crosswalks.effective_crosswalks(store, profiles).values()))
    crosswalks.save_user_crosswalk(
        store,
        first.model_copy(
            update={
                "description": f"{LINK} {IMAGE} {NAME_HTML}",
                "entries": tuple(
                    e.model_copy(update={"rationale": [NAME_FORMULA, AT_FORMULA, CONTROL][i % 3]})
                    for i, e in enumerate(first.entries)
                ),
            }
        ),
        actor=ADMIN,
    )
    return store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return hostile_registry(tmp_path / "hostile.duckdb")


# -- the pages -----------------------------------------------------------------------------------

# Fields that show text as text (options of selectbox and multiselect, st.text, st.code, st.json,
# a text input's value); every other string an element carries may be rendered as Markdown.
_PLAIN_FIELDS = {
    "selectbox": {"options", "default", "raw_value"},
    "multiselect": {"options", "default", "raw_values"},
    "text": {"body"},
    "code": {"code_text", "body"},
    "json": {"body"},
    "text_input": {"value", "default"},
    "page_link": {"query_string", "page"},
}


def _strings(value: object, skip: set[str] = frozenset()) -> Iterator[str]:
    """Every string a protobuf message holds, its fields named in ``skip`` left out."""
    if isinstance(value, str):
        yield value
    elif hasattr(value, "ListFields"):
        for field, item in value.ListFields():
            if field.name not in skip:
                yield from _strings(item)
    elif not isinstance(value, bytes | int | float | bool) and hasattr(value, "__iter__"):
        for item in value:
            yield from _strings(item)


def _figure_strings(spec: object) -> Iterator[str]:
    if isinstance(spec, str):
        yield spec
    elif isinstance(spec, dict):
        for value in spec.values():
            yield from _figure_strings(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from _figure_strings(value)


def holes(at: AppTest) -> list[str]:
    """Every place the page would render a hostile string as Markdown or HTML."""
    found = []
    for node in at._tree:
        proto = getattr(node, "proto", None)
        if proto is None or not hasattr(proto, "ListFields"):
            continue
        kind = getattr(node, "type", "?")
        if kind == "plotly_chart":
            texts = _figure_strings(json.loads(proto.spec)) if proto.spec else iter(())
            found += [f"plotly: {s!r}" for s in texts if "<a href" in s or "<a " in s]
            continue
        if kind in ("arrow_data_frame", "arrow_table", "dataframe"):
            continue  # cells are text; st.table is checked through its own Markdown cells below
        for text in _strings(proto, _PLAIN_FIELDS.get(kind, set())):
            found += [f"{kind}: {text!r}"] if MARKDOWN_HOLES.search(text) else []
    return found


PAGES = [
    "overview",
    "suppliers",
    "readiness",
    "supplier",
    "requests",
    "flags",
    "support",
    "supply_chain",
    "renewals",
    "certificates",
    "imports",
    "templates",
    "crosswalks",
    "catalogue",
    "settings",
    "users",
    "audit",
]


def open_app(monkeypatch, store: Store) -> AppTest:
    monkeypatch.setenv("MONOSASHI_DB", str(store.path))
    monkeypatch.setenv("MONOSASHI_DEMO_SUPPLIERS", "0")
    monkeypatch.setenv("MONOSASHI_SINGLE_USER", "1")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def shown(at: AppTest, where: str) -> None:
    assert not at.exception, f"{where}: {at.exception}"
    assert not holes(at), f"{where}: {holes(at)}"


def test_every_page_shows_hostile_text_as_text(monkeypatch, store):
    at = open_app(monkeypatch, store)
    shown(at, "overview")
    at.radio(key="overview_group.ja").set_value("業種").run()  # the industries become links to lists
    shown(at, "overview by industry")
    for page in PAGES:
        at.switch_page(f"dashboards/pages/{page}.py").run()
        shown(at, page)
    for supplier_id, name in (("S000001", r"\_x0001\_"), ("S000002", r"\<a href"), ("S000003", r"\=HYPERLINK\(")):
        at.query_params["id"] = supplier_id
        at.switch_page("dashboards/pages/supplier.py").run()
        shown(at, f"supplier {supplier_id}")
        assert name in at.subheader[0].value  # escaped: shown as written
        assert r"\[click\]\(http\:\/\/evil\.example\)" in at.caption[0].value and r"\!\[x\]" in at.caption[0].value
    for page, picker in (("certificates", "certificates_supplier"), ("supply_chain", "chain_supplier")):
        at.switch_page(f"dashboards/pages/{page}.py").run()
        at.text_input(key=f"{picker}.search").set_value("S000001").run()
        shown(at, f"{page} of S000001")
    at.switch_page("dashboards/pages/readiness.py").run()
    at.radio(key="readiness_group.ja").set_value("業種").run()
    shown(at, "readiness by industry")

    # The supplier's own portal, reached by its invitation link.
    from security_support import open_app as open_signed_in

    portal = open_signed_in(monkeypatch, store, invite=access.create_invitation(store, "S000001", BUYER).token)
    assert portal.title[0].value == "サプライヤーポータル"
    shown(portal, "portal")


# -- the exports ---------------------------------------------------------------------------------


def excel_cells(data: bytes) -> list[str]:
    """Every text cell of a workbook as Excel shows it (read by calamine, which decodes Excel's
    ``_xHHHH_`` escapes as Excel does), after checking with openpyxl that no cell is a formula,
    starts like one or holds a control character."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_START), (sheet.title, cell.coordinate, cell.value)
                    assert not CONTROL_CHARACTERS.search(cell.value), (sheet.title, cell.coordinate, cell.value)
    tables = read_tables(SourceFile("export.xlsx", data), Limits())
    return [v for t in tables for row in t.rows for v in row if isinstance(v, str)]


def csv_cells(data: bytes) -> list[str]:
    assert data.startswith(b"\xef\xbb\xbf")
    cells = [v for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for v in row]
    for value in cells:
        assert not value.startswith(FORMULA_START) or NUMBER.fullmatch(value), value
        assert not CONTROL_CHARACTERS.search(value), value
    return cells


def both(frame: pl.DataFrame, sheet: str) -> set[str]:
    """The frame through a page's two downloads (Excel and CSV): the texts both show."""
    return set(csv_cells(exports.to_csv(frame))) & set(excel_cells(exports.to_excel(frame, sheet)))


def test_every_list_export_shows_hostile_text_literally(store):
    query = directory.DirectoryQuery()
    suppliers = both(directory.export_all(store, AS_OF, query), "suppliers")
    assert {NAME_ESCAPE, NAME_HTML, "'" + NAME_FORMULA, LINK} <= suppliers

    readiness = both(dashboard.readiness_board(store, AS_OF).lowest(30), "readiness_lowest")
    assert NAME_ESCAPE in readiness and "'" + NAME_FORMULA in readiness

    audited = both(audit.audit_entries(store, since=AS_OF - timedelta(days=1), until=AS_OF), "audit")
    assert NAME_ESCAPE in audited and any(LINK in v for v in audited)

    states = renewals.with_supplier_facts(store, AS_OF, renewals.certificate_states(store, AS_OF))
    renewal = both(states, "renewals")
    assert CONTROL_SHOWN in renewal and "'" + MINUS_FORMULA in renewal and "'" + NAME_FORMULA in renewal

    asked = both(requests.current_requests(store, AS_OF), "requests")
    assert "'" + AT_FORMULA in asked
    raised = both(flags.flags(store), "flags")
    assert "'" + AT_FORMULA in raised
    both(requests.request_list_example(requests.current_requests(store, AS_OF).head(3)), "request-list")


def test_one_neutraliser_for_cells_and_for_frames():
    """The set-wise neutraliser (CSV) and the per-value one (workbooks, calendars) agree, may be
    applied twice, and a workbook shows every text as it was written (read back as Excel reads)."""
    import random
    import unicodedata

    from registry.services.neutralise import neutralise, neutralise_frame, workbook

    rng = random.Random(14)
    alphabet = "=+-@\t\r\n_x0015F a'\x00\x01\x1b\x7f\x85\x9f"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9))) for _ in range(2000)]
    framed = neutralise_frame(pl.DataFrame({"text": texts}))["text"].to_list()
    assert framed == [neutralise(t) for t in texts]
    assert [neutralise(t) for t in framed] == framed
    book = workbook()
    for text in texts:
        book.active.append([f"<{text}>"])  # kept whole: no trimming, no formula at its start
    buffer = io.BytesIO()
    book.save(buffer)
    read = [row[0] for t in read_tables(SourceFile("n.xlsx", buffer.getvalue()), Limits()) for row in t.rows]
    assert read == [unicodedata.normalize("NFKC", neutralise(f"<{t}>")) for t in texts]


def test_the_calendar_keeps_the_hostile_text_inert(store):
    states = renewals.with_supplier_facts(store, AS_OF, renewals.certificate_states(store, AS_OF))
    calendar = icalendar.Calendar.from_ical(exports.renewals_ics(states, AS_OF))
    texts = [str(e[field]) for e in calendar.walk("VEVENT") for field in ("summary", "description")]
    for text in texts:
        assert not text.startswith(FORMULA_START) and not CONTROL_CHARACTERS.search(text), text
    assert any(CONTROL_SHOWN in t for t in texts)
    assert any(t.startswith("'" + NAME_FORMULA) for t in texts)  # the supplier's name comes first


def test_documents_crosswalks_and_templates_show_hostile_text_literally(store):
    gap = excel_cells(documents.gap_report_xlsx(support.gap(store, AS_OF, "S000001"), "ja"))
    assert any(v.startswith(NAME_ESCAPE) for v in gap)  # the supplier's name, as written
    for supplier_id in ("S000001", "S000003"):
        letter = excel_cells(
            documents.request_letter_xlsx(store, AS_OF, supplier_id, buyer_name=NAME_FORMULA, contact=AT_FORMULA)
        )
        assert "'" + NAME_FORMULA in letter and "'" + AT_FORMULA in letter
    assert any(
        v.startswith(NAME_ESCAPE)
        for v in excel_cells(documents.request_letter_xlsx(store, AS_OF, "S000001", buyer_name="b", contact="c"))
    )
    archive = zipfile.ZipFile(io.BytesIO(documents.gap_reports_zip(store, AS_OF, ["S000001", "S000002", "S000003"])))
    for name in archive.namelist():
        excel_cells(archive.read(name))

    profiles = profile_service.mapping_profiles(store)
    crosswalk = next(iter(crosswalks.effective_crosswalks(store, profiles).values()))
    exported = crosswalks.to_excel(crosswalk)
    cells = excel_cells(exported)
    assert {"'" + NAME_FORMULA, "'" + AT_FORMULA, CONTROL_SHOWN} <= set(cells)
    from importers.crosswalk_excel import parse as parse_crosswalk

    back = parse_crosswalk(SourceFile("crosswalk.xlsx", exported), profiles)  # and back: the words kept
    assert [e.rationale for e in back.entries][:2] == [NAME_FORMULA, AT_FORMULA]

    template = excel_cells(build_template(PROFILE, "S000001", profiles=profiles, generated_on=AS_OF))
    assert any(v.startswith("'" + NAME_FORMULA) for v in template) and NAME_ESCAPE in template


# -- the boundary --------------------------------------------------------------------------------


def test_a_control_character_is_refused_where_it_was_typed():
    with pytest.raises(ValidationError, match=r"registration_no\n.*control character \(U\+0001\) at position 4"):
        Certificate(supplier_id="S1", scheme="iso27001", registration_no=CONTROL, issued_on=date(2026, 4, 1))
    with pytest.raises(ValidationError, match=r"control character \(U\+007F\) at position 3"):
        Supplier(supplier_id="S1", name="ab\x7f")
    # Text that merely looks like an escape is text: it is kept as typed and shown literally.
    assert Supplier(supplier_id="S1", name=NAME_ESCAPE, industry=LINK).name == NAME_ESCAPE

    listed = "取引先ID,会社名,業種\nS1,株式会社ア,製造\x01業\nS2,株式会社イ,_x0001_\n".encode()
    batch = supplier_master.parse(SourceFile("s.csv", listed), ImportContext())
    # the row is refused alone, at the cell typed; the other row (literal text) is kept
    assert [(p.location, p.message) for row in batch.refused_rows for p in row.problems] == [
        ("s.csv line 2, column 3", "Industry: contains a control character (U+0001) at position 3; remove it")
    ]
    assert [s.supplier_id for s in batch.suppliers] == ["S2"]
    only_bad = "取引先ID,会社名,業種\nS1,株式会社ア,製造\x01業\n".encode()
    with pytest.raises(SourceFileError):
        supplier_master.parse(SourceFile("s.csv", only_bad), ImportContext())


def test_a_control_character_in_a_returned_template_names_its_cell(store):
    book = openpyxl.load_workbook(io.BytesIO(build_template("scs", "S000004", level=3, generated_on=AS_OF)))
    for row in range(6, 6 + 81):
        book["回答"].cell(row, 5, "○")
    book["回答"]["F7"] = "理由_x0007_です"  # a file whose cell holds U+0007 (Excel's escape of it)
    book["再委託先"]["A2"], book["再委託先"]["C2"] = "有限会社_x001B_テスト", "加工"
    buffer = io.BytesIO()
    book.save(buffer)
    (report,) = intake.analyse(store, [SourceFile("t.xlsx", buffer.getvalue())])
    assert report.status == "rejected"
    assert {(p.location, p.message) for p in report.errors} == {
        ("t.xlsx: 回答!F7", "Reason: contains a control character (U+0007) at position 3; remove it"),
        ("t.xlsx: 再委託先!A2", "Name: contains a control character (U+001B) at position 5; remove it"),
    }
