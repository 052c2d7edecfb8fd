"""Hostile files: property-based tests and a bounded fuzz run over every importer.

What must hold for any bytes under any name: each importer's ``sniff`` gives a score in [0, 1]
and its ``parse`` a batch, or either raises ``SourceFileError`` whose problems name a place and
say in a sentence what was expected (no traceback, no repr, no raw error dump); the intake
pipeline (``sources_from_uploads`` → ``analyse`` → ``preview``) never raises and never falls
back on its catch-all for parser bugs; no case runs past the time limit; an upload over the size
limit is refused before anything reads it.

The generators and the oracle are ``tests/support/fuzz.py`` (its long run is the same cases,
many more of them). Everything here is deterministic: Hypothesis is derandomized and the fuzz
cases come from a fixed seed. ``pytest -s tests/test_fuzz.py`` prints how many cases ran.
"""

from __future__ import annotations

import io
import json
import random
import tempfile
import zipfile
from collections import Counter
from datetime import timedelta

import pytest
from conftest import make_store
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from pydantic import ValidationError
from support import fuzz

from importers import IMPORTERS, container, ipa_catalogue, json_exchange, lists, tabular
from importers.base import ImportContext, Limits, SourceFile, SourceFileError
from questionnaires.frameworks import shipped_profiles
from registry.services import intake

# Hypothesis keeps caches in .hypothesis/ beside the tests; keep the working tree clean.
set_hypothesis_home_dir(tempfile.mkdtemp(prefix="monosashi-hypothesis-"))

CONTEXT = ImportContext(profiles=shipped_profiles())
# The fuzz run in the suite: cases of every kind from seed 0, in two worker processes.
FUZZ_CASES = 1_000
TIME_LIMIT = 10.0  # seconds: a case over it is a hang (files here are under 1 MB)
COUNTS: Counter = Counter()

HYPOTHESIS = settings(
    derandomize=True,
    database=None,  # nothing written to the working tree
    deadline=timedelta(seconds=TIME_LIMIT),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
    print_blob=True,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A registry with the demo's first suppliers (S000001 …), held open for the whole module."""
    store = make_store(tmp_path_factory.mktemp("fuzz") / "r.duckdb", suppliers=20, seed=2)
    with store.held_open():
        yield store


@pytest.fixture(scope="module", autouse=True)
def count_report():
    yield
    total = sum(COUNTS.values())
    print(
        f"\ntests/test_fuzz.py ran {total:,} hostile inputs: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(COUNTS.items()))
    )


def assert_importers_behave(name: str, data: bytes, tally: str) -> None:
    COUNTS[tally] += 1
    outcome = fuzz.Outcome()
    fuzz.check_importers(SourceFile(name, data), CONTEXT, outcome)
    assert not outcome.failures, _explain(outcome)


def assert_pipeline_behaves(store, name: str, data: bytes, tally: str) -> None:
    COUNTS[tally] += 1
    outcome = fuzz.Outcome()
    fuzz.check_importers(SourceFile(name, data), CONTEXT, outcome)
    fuzz.check_intake(store, name, data, outcome)
    assert not outcome.failures, _explain(outcome)


def _explain(outcome) -> str:
    return "\n\n".join(f"{f['where']}: {f['problem']}\n{f['detail']}" for f in outcome.failures)


# -- properties ----------------------------------------------------------------------------------

NAMES = st.sampled_from([f"upload.{s}" if s else "upload" for s in fuzz.SUFFIXES] + ["UPLOAD.XLSX", "a.b.csv"])


@settings(HYPOTHESIS, max_examples=250)
@given(name=NAMES, data=st.binary(max_size=2048))
@example(name="x.csv", data=b"\xef\xbb\xbf\xff\xfe")  # a UTF-8 BOM, then no UTF-8: decode_text crashed
@example(name="x.xlsx", data=b"PK\x03\x04" + b"\x00" * 40)
@example(name="x.json", data=b"[" * 100_000)  # json.loads: RecursionError
def test_random_bytes_under_any_name_are_rejected_clearly(name, data):
    assert_importers_behave(name, data, "random bytes")


TEXT = st.lists(
    st.text(max_size=12)
    | st.sampled_from(
        ["\x00", "\ufeff", ",", "\t", "\n", "\r\n", '"', "取引先ID", "会社名", "No.", "回答", "宣言", "㈱"]
    ),
    max_size=60,
).map("".join)


@settings(HYPOTHESIS, max_examples=200)
@given(
    text=TEXT,
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp932", "utf-16", "euc-jp", "latin-1"]),
    name=st.sampled_from(["t.csv", "t.tsv", "t.txt", "t.json"]),
    huge_line=st.booleans(),
)
def test_text_in_any_encoding_is_read_or_rejected_clearly(text, encoding, name, huge_line):
    if huge_line:
        text += "x" * 200_000  # beyond csv's field limit
    assert_importers_behave(name, text.encode(encoding, errors="ignore"), "random text")


@settings(HYPOTHESIS, max_examples=250)
@given(
    key=st.sampled_from(sorted(fuzz.seeds())),
    kind=st.sampled_from(["bit_flip", "byte_insert", "byte_delete", "truncate", "duplicate_chunk"]),
    rng=st.randoms(use_true_random=False),
)
def test_mutated_samples_of_every_format(store, key, kind, rng):
    name, data = fuzz.seeds()[key]
    assert_pipeline_behaves(store, name, fuzz._mutate(kind, rng, data), f"mutated {kind}")


@settings(HYPOTHESIS, max_examples=120)
@given(rng=st.randoms(use_true_random=False))
def test_workbooks_with_one_damaged_part(store, rng):
    name, data, _ = fuzz.gen_part_mutation(rng)
    assert_pipeline_behaves(store, name, data, "damaged workbook part")


CELL = st.one_of(st.none(), st.sampled_from(fuzz._NASTY + fuzz._WORDS), st.text(max_size=12))


@settings(HYPOTHESIS, max_examples=150)
@given(
    family=st.sampled_from(sorted(fuzz.FAMILIES)),
    rows=st.lists(st.lists(CELL, max_size=14), max_size=30),
    delimiter=st.sampled_from([",", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp932"]),
    rng=st.randoms(use_true_random=False),
)
def test_lists_of_any_shape(store, family, rows, delimiter, encoding, rng):
    header = fuzz.family_header(rng, family)
    out = io.StringIO()
    fuzz.csv.writer(out, delimiter=delimiter).writerows([header, *[["" if v is None else v for v in r] for r in rows]])
    data = out.getvalue().encode(encoding, errors="ignore")
    assert_pipeline_behaves(store, "list.csv" if delimiter == "," else "list.tsv", data, "csv list")


@settings(HYPOTHESIS, max_examples=20)
@given(
    width=st.sampled_from([10_000, 2_000]), family=st.sampled_from(["supplier_master", "ipa_5min", "security_action"])
)
def test_csv_with_thousands_of_columns(store, width, family):
    header = fuzz.FAMILIES[family] + [f"列{i}" for i in range(width)]
    data = (",".join(header) + "\n" + ",".join(["S000001"] * (width + 3)) + "\n").encode()
    assert_pipeline_behaves(store, "wide.csv", data, "csv list")


JSON_KEYS = st.sampled_from(
    ["supplier_id", "name", "corporate_number", "suppliers", "submissions", "certificates", "links", "answers",
     "item_id", "status", "level", "submitted_on", "issued_on", "framework_id", "framework_version", "scheme"]
)  # fmt: skip
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["2026-02-30", "S000001", "met", "scs", "1-2-1-1", "\ud800"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(JSON_KEYS | st.text(max_size=5), inner, max_size=5),
    max_leaves=25,
)


@settings(HYPOTHESIS, max_examples=200)
@given(body=JSON, version=st.sampled_from([1, 1.0, True, "1", 2, None]), wrap=st.booleans())
@example(body={"suppliers": [{"supplier_id": "J1", "name": "\ud800"}]}, version=1, wrap=True)  # polars crashed
@example(body={"\n": None}, version=1, wrap=True)  # a key with a line break named the place over two lines
def test_exchange_documents_of_any_shape(store, body, version, wrap):
    doc = {"format": "monosashi.exchange", "version": version, **body} if wrap and isinstance(body, dict) else body
    assert_pipeline_behaves(store, "x.json", json.dumps(doc).encode(), "json document")


@pytest.mark.parametrize("shape", fuzz.JSON_SHAPES)
@pytest.mark.parametrize("seed", range(3))
def test_every_json_attack(store, shape, seed):
    name, data, _ = fuzz.gen_json_doc(random.Random(f"json:{shape}:{seed}"), shape)
    assert_pipeline_behaves(store, name, data, "json document")


@pytest.mark.parametrize("shape", fuzz.CSV_SHAPES)
@pytest.mark.parametrize("seed", range(3))
def test_every_csv_shape(store, shape, seed):
    name, data, _ = fuzz.gen_csv_shape(random.Random(f"csv:{shape}:{seed}"), shape)
    assert_pipeline_behaves(store, name, data, "csv list")


@pytest.mark.parametrize("attack", fuzz.XML_ATTACKS)
@pytest.mark.parametrize("seed", range(3))
def test_every_workbook_xml_attack(store, attack, seed):
    name, data, _ = fuzz.gen_xlsx_xml(random.Random(f"xml:{attack}:{seed}"), attack)
    assert_pipeline_behaves(store, name, data, "workbook xml attack")


@pytest.mark.parametrize("attack", fuzz.ZIP_ATTACKS)
@pytest.mark.parametrize("seed", range(3))
def test_every_zip_container_attack(store, attack, seed):
    name, data, _ = fuzz.gen_zip_container(random.Random(f"zip:{attack}:{seed}"), attack)
    assert_pipeline_behaves(store, name, data, "zip container attack")
    assert_pipeline_behaves(store, "upload.zip", data, "zip container attack")  # the same bytes as a zip upload


@pytest.mark.parametrize("attack", fuzz.PDF_ATTACKS)
def test_every_certificate_pdf_attack(attack):
    name, data, _ = fuzz.gen_pdf(random.Random(f"pdf:{attack}"), attack)
    assert_importers_behave(name, data, "pdf attack")


MEMBER_NAMES = st.sampled_from(
    ["a.csv", "dir/b.csv", "../up.csv", "/abs.csv", "C:/x.csv", "..\\x.csv", "", "inner.zip", "book.xlsx", "x.json",
     ".hidden.csv", "__MACOSX/a.csv", "a.csv"]
)  # fmt: skip


@settings(HYPOTHESIS, max_examples=80)
@given(
    members=st.lists(
        st.tuples(
            MEMBER_NAMES | st.text(max_size=8),
            st.sampled_from(sorted(fuzz.seeds())) | st.binary(max_size=64),
            st.sampled_from([0, 8]),
        ),
        max_size=5,
    ),
    corrupt=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=3),
)
def test_zip_uploads_of_any_members(store, members, corrupt):
    entries = [
        fuzz.entry(name, fuzz.seeds()[content][1] if isinstance(content, str) else content, method)
        for name, content, method in members
    ]
    data = bytearray(fuzz.raw_zip(entries))
    for position, value in corrupt:
        data[position % len(data)] = value
    assert_pipeline_behaves(store, "upload.zip", bytes(data), "zip upload")


# -- the findings of the fuzz run, each kept as a regression test --------------------------------


def _sheet(rows: str, *, unique: int | None = None) -> bytes:
    """The supplier list as a workbook with ``rows`` added to its sheet (and a false uniqueCount)."""
    parts = fuzz.xlsx_parts([("Sheet1", fuzz.SUPPLIER_ROWS)], shared=True)
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(b"</sheetData>", rows.encode() + b"</sheetData>")
    if unique is not None:
        sst = parts["xl/sharedStrings.xml"]
        parts["xl/sharedStrings.xml"] = sst.replace(b'uniqueCount="', f'uniqueCount="{unique}" x="'.encode())
    return fuzz.zip_parts(parts)


def _lying_workbook() -> bytes:
    """sheet1.xml declares (and checksums) 400 bytes; its deflate stream holds a cell at XFD1048576."""
    parts = fuzz.xlsx_parts([("Sheet1", fuzz.SUPPLIER_ROWS)], shared=True)
    hidden = parts["xl/worksheets/sheet1.xml"].replace(
        b"</sheetData>", b"<row/>" * 5000 + b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    )
    entries = [fuzz.entry(n, d) for n, d in parts.items() if n != "xl/worksheets/sheet1.xml"]
    lying = fuzz.entry("xl/worksheets/sheet1.xml", hidden)
    lying.usize, lying.crc = 400, fuzz.zlib.crc32(hidden[:400])
    return fuzz.raw_zip([*entries, lying])


FINDINGS = {
    # A far cell made the Excel reader (calamine) allocate rows × columns cells: 512 GB, abort.
    "cell_at_the_grid_corner": ("x.xlsx", lambda: _sheet('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'), "the sheet spans 17,179,869,184 cells"),
    "cell_beyond_the_grid": ("x.xlsx", lambda: _sheet('<row r="3"><c r="ZZZZZZZZ3"><v>1</v></c></row>'), "is not a cell (like B12)"),
    "row_beyond_the_grid": ("x.xlsx", lambda: _sheet('<row r="99999999999"><c><v>1</v></c></row>'), "outside Excel's grid"),
    "rows_without_numbers": ("x.xlsx", lambda: _sheet("<row/>" * 8_000 + '<row><c r="ZZ1"><v>1</v></c><c><v>1</v></c></row>'), "spans"),
    "hidden_r_after_a_quoted_gt": ("x.xlsx", lambda: _sheet('<row r="3"><c x=">" r="XFD1048576"><v>1</v></c></row>'), "spans"),
    # The reader reserved room for uniqueCount strings: 96 GB, abort.
    "shared_strings_count": ("x.xlsx", lambda: _sheet("", unique=4_000_000_000), "declares 4,000,000,000 strings"),
    # The reader unpacks a member's whole stream, whatever its header declares.
    "stream_longer_than_declared": ("x.xlsx", _lying_workbook, "holds more than the 400 bytes its header declares"),
    # A date serial out of range panicked in the reader (pyo3 PanicException, a BaseException).
    "date_out_of_range": ("x.xlsx", lambda: _sheet('<row r="4"><c r="D4" s="1"><v>-1e308</v></c></row>'), "such as a date far out of range"),
    # json.loads raised RecursionError and ValueError, which escaped parse.
    "json_nested_deeply": ("x.json", lambda: b'{"format": "monosashi.exchange", "suppliers": ' + b"[" * 50_000, "nested too deeply"),
    "json_huge_integer": ("x.json", lambda: b'{"format": "monosashi.exchange", "version": ' + b"9" * 5000 + b"}", "thousands of digits"),
    # An escaped lone surrogate passed validation and crashed polars in analyse (outside its catch-all).
    "json_lone_surrogate": ("x.json", lambda: b'{"format": "monosashi.exchange", "version": 1, "suppliers": [{"supplier_id": "J1", "name": "\\ud800"}]}', "lone surrogate"),
    # A BOM followed by bytes that are not UTF-8: UnicodeDecodeError from decode_text.
    "bom_then_not_utf8": ("x.csv", lambda: b"\xef\xbb\xbf\xe5\x8f\x96,\xff\xfe\n", "byte order mark"),
    # int(float("1e400")): OverflowError in the supplier list and the 自社診断 reader.
    "employees_infinite": ("s.csv", lambda: "取引先ID,会社名,従業員数\nZ1,株式会社ゼット,1e400\n".encode(), "expected a whole number"),
    "question_number_infinite": ("q.csv", lambda: "No.,回答\n1e400,実施している\n".encode() + "".join(f"{i},実施している\n" for i in range(2, 20)).encode(), "expected a question number"),
    # zipfile raised UnicodeDecodeError (a name flagged UTF-8 that is not), IndexError (a name
    # starting with NUL) and zlib.error (a corrupt member) outside the errors expand_zip caught.
    "member_name_not_utf8": ("u.zip", lambda: fuzz.raw_zip([_flagged(fuzz.entry(b"\xff\xfe.csv", b"a,b\n"))]), "not valid UTF-8"),
    "member_name_nul": ("u.zip", lambda: fuzz.raw_zip([fuzz.entry(b"\x00.csv", b"a,b\n")]), "no name"),
    "member_data_corrupt": ("u.zip", lambda: fuzz.raw_zip([_corrupt(fuzz.entry("a.csv", b"abc" * 1000))]), "cannot be read"),
    "workbook_name_not_utf8": ("x.xlsx", lambda: fuzz.raw_zip([_flagged(fuzz.entry(b"xl/\xc3(.xml", b"<x/>")), fuzz.entry("[Content_Types].xml", b"<x/>")]), "not valid UTF-8"),
}  # fmt: skip


def _flagged(e):
    e.flags |= 0x800
    return e


def _corrupt(e):
    e.payload = b"\xff" * len(e.payload)
    return e


@pytest.mark.parametrize("case", sorted(FINDINGS))
def test_findings_of_the_fuzz_run_are_clear_rejections(store, case):
    name, build, expected = FINDINGS[case]
    data = build()
    assert_pipeline_behaves(store, name, data, "regression")
    reports = intake.analyse(store, intake.sources_from_uploads([(name, data)], Limits()))
    messages = [p.message for r in reports for p in r.errors]
    for importer in IMPORTERS:  # the importer that met the problem says it, not just the pipeline
        try:
            importer.parse(SourceFile(name, data), CONTEXT)
        except SourceFileError as exc:
            messages += [p.message for p in exc.problems]
    assert any(expected in m for m in messages), messages


def test_a_panic_of_the_excel_reader_is_a_rejection(monkeypatch):
    class PanicException(BaseException):  # what pyo3 raises when Rust code panics
        pass

    def panic(*args, **kwargs):
        raise PanicException("TimeDelta::milliseconds out of bounds")

    monkeypatch.setattr(tabular.fastexcel, "read_excel", panic)
    data = fuzz.seeds()["scs_xlsx"][1]
    with pytest.raises(SourceFileError, match="not a readable Excel workbook"):
        tabular.read_tables(SourceFile("p.xlsx", data), Limits())
    with pytest.raises(SourceFileError, match="not a readable Excel workbook"):
        ipa_catalogue.parse("p.xlsx", data, [])
    monkeypatch.setattr(tabular.fastexcel, "read_excel", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):  # only the reader's own failures become rejections
        tabular.read_tables(SourceFile("q.xlsx", data), Limits())


def test_many_sheets_naming_one_part_stop_at_the_cell_limit():
    parts = fuzz.xlsx_parts([("Sheet1", fuzz.SUPPLIER_ROWS)], shared=True)
    parts["xl/workbook.xml"] = (
        f'<workbook xmlns="{fuzz._MAIN}" xmlns:r="{fuzz._REL}"><sheets>'
        + "".join(f'<sheet name="S{i}" sheetId="{i}" r:id="rId1"/>' for i in range(1, 40))
        + "</sheets></workbook>"
    ).encode()
    with pytest.raises(SourceFileError, match="more than the limit of 100 cells"):
        tabular.read_tables(SourceFile("m.xlsx", fuzz.zip_parts(parts)), Limits(max_cells=100))


def test_the_cell_limit_leaves_real_lists_alone():
    rows = [fuzz.SUPPLIER_ROWS[0]] + [
        [f"S{i:06d}", f"株式会社テスト{i}", "", "製造", i % 500 + 1] for i in range(20_000)
    ]
    data = fuzz.zip_parts(fuzz.xlsx_parts([("取引先", rows)], shared=True))
    batch = lists.supplier_master.parse(SourceFile("big.xlsx", data), CONTEXT)
    assert len(batch.suppliers) == 20_000


def test_styled_empty_cells_far_away_do_not_count():
    """Excel writes a formatted blank cell as <c r="…" s="1"/>; the reader keeps no such cell."""
    data = _sheet('<row r="1048576"><c r="XFD1048576" s="0"/></row>')
    assert container.check_office_zip(SourceFile("s.xlsx", data), Limits()) is None


def test_certificate_pdf_limits_are_rejections():
    for attack in ("flate_bomb", "encrypt", "cmap_ranges", "many_operators"):
        name, data, _ = fuzz.gen_pdf(random.Random(f"pdf:{attack}:9"), attack)
        outcome = fuzz.Outcome()
        fuzz.check_importers(SourceFile(name, data), CONTEXT, outcome)
        assert not outcome.failures, _explain(outcome)


def test_json_lists_stop_at_their_first_bad_item():
    """20 MB of {} in a list made pydantic build 12 million errors (85 s, 13 GB); now it stops at one."""
    doc = {"format": "monosashi.exchange", "version": 1, "suppliers": [{}] * 1000, "certificates": [1] * 1000}
    with pytest.raises(ValidationError) as err:
        json_exchange.ExchangeDocument.model_validate(doc)
    assert err.value.error_count() <= 3


def test_json_object_with_thousands_of_keys_is_refused_before_validation():
    keys = ", ".join(f'"k{i}": 0' for i in range(1000))
    data = f'{{"format": "monosashi.exchange", "version": 1, "suppliers": [{{{keys}}}]}}'.encode()
    with pytest.raises(SourceFileError) as err:
        json_exchange.parse(SourceFile("k.json", data), CONTEXT)
    assert (err.value.problems[0].location, err.value.problems[0].message) == (
        "k.json: suppliers/0",
        "an object with 1,000 keys; an exchange file's objects have a few",
    )


def test_csv_cells_are_bounded_and_a_refusal_is_read_once(monkeypatch):
    """20 MB of line breaks were 20 million rows (10 s, 1.8 GB), read again by every importer's sniff."""
    calls = []
    real = tabular._read_tables
    monkeypatch.setattr(tabular, "_read_tables", lambda *a: calls.append(1) or real(*a))
    source = SourceFile("n.csv", b"\n" * 2000)
    for _ in range(3):
        with pytest.raises(SourceFileError, match="more than 1,000 cells"):
            tabular.read_tables(source, Limits(max_cells=1000))
    assert len(calls) == 1


def test_a_file_of_a_million_bad_rows_lists_the_first_problems_only():
    """4.9 million bad rows of a 10 MB list built 4.9 million problems (37 s, 5.6 GB)."""
    data = "取引先ID,宣言,自己宣言ID,宣言日\n".encode() + b"S000001,x,1,2025-04-01\n" * 5000
    with pytest.raises(SourceFileError) as err:
        lists.security_action.parse(SourceFile("sa.csv", data), CONTEXT)
    problems = err.value.problems
    assert len(problems) == tabular.MAX_PROBLEMS + 1
    assert (problems[-1].location, problems[-1].message) == (
        "sa.csv line 102",
        "more than 100 problems; the rest of the file was not checked",
    )


def test_questionnaire_rows_stop_at_the_problem_limit():
    def refuse(text: str) -> str:
        raise ValueError(f"not an item: {text!r}")

    table = tabular.Table("q.csv", None, [["No.", "回答"], *[[f"bad{i}", "x"] for i in range(5000)]])
    found: list = []
    assert list(tabular.item_rows(table, 0, 0, found, normalise=refuse)) == []
    assert len(found) == tabular.MAX_PROBLEMS + 1 and found[-1].location == "q.csv line 102"


def test_json_lone_surrogate_is_located():
    data = b'{"format": "monosashi.exchange", "version": 1, "suppliers": [{"supplier_id": "J1", "name": "a\\udfffb"}]}'
    with pytest.raises(SourceFileError) as err:
        json_exchange.parse(SourceFile("x.json", data), CONTEXT)
    assert err.value.problems[0].location == "x.json: suppliers/0/name"


# -- uploads over the size limit are refused before anything reads them ---------------------------


@pytest.fixture
def nothing_may_read(monkeypatch):
    """Every reader fails the test if called: importers, zip expansion, decoding, workbook checks."""
    calls: list[str] = []

    def forbidden(what):
        def call(*args, **kwargs):
            calls.append(what)
            raise AssertionError(f"{what} read an upload over the size limit")

        return call

    for importer in IMPORTERS:
        monkeypatch.setattr(importer, "parse", forbidden(f"{importer.NAME}.parse"))
        monkeypatch.setattr(importer, "sniff", forbidden(f"{importer.NAME}.sniff"))
    for module, attr in [
        (intake, "expand"),
        (intake, "expand_zip"),
        (intake, "decode_text"),
        (intake, "check_office_zip"),
        (intake, "_detect"),
        (container, "expand_zip"),
        (tabular, "read_tables"),
    ]:
        monkeypatch.setattr(module, attr, forbidden(f"{module.__name__}.{attr}"))
    return calls


@pytest.mark.parametrize(
    "name", ["big.xlsx", "big.xlsm", "big.csv", "big.zip", "big.json", "big.pdf", "big", "big.tsv"]
)
def test_an_upload_over_the_size_limit_is_refused_unread(store, nothing_may_read, name):
    limits = Limits(max_file_bytes=10_000)
    seed = fuzz.seeds()["bundle_zip" if name.endswith(".zip") else "scs_xlsx"][1]
    data = (seed * 2)[:10_001]
    items = intake.sources_from_uploads([(name, data)], limits)
    assert len(items) == 1 and isinstance(items[0], intake.FileReport)
    reports = intake.analyse(store, items, limits=limits)
    assert [r.status for r in reports] == ["rejected"]
    assert reports[0].data is None  # not even kept: it was never read into the registry
    assert reports[0].errors[0].message == "the file is 10,001 bytes; the limit is 10,000; not read"
    assert nothing_may_read == []
    COUNTS["oversize upload"] += 1


@settings(HYPOTHESIS, max_examples=40)
@given(over=st.integers(1, 5_000), limit=st.integers(1, 50_000), key=st.sampled_from(sorted(fuzz.seeds())))
def test_any_upload_over_any_limit_is_refused_unread(store, nothing_may_read, over, limit, key):
    name, seed = fuzz.seeds()[key]
    data = (seed * (limit // max(len(seed), 1) + 2))[: limit + over]
    reports = intake.analyse(
        store,
        intake.sources_from_uploads([(name, data)], Limits(max_file_bytes=limit)),
        limits=Limits(max_file_bytes=limit),
    )
    assert [(r.status, r.data) for r in reports] == [("rejected", None)]
    assert nothing_may_read == []
    COUNTS["oversize upload"] += 1


def test_a_zip_member_over_the_size_limit_is_refused_unread(store):
    big = fuzz.entry("big.csv", b"a" * 20_000)
    data = fuzz.raw_zip([big, fuzz.entry("ok.csv", fuzz.seeds()["supplier_master_csv"][1])])
    reports = intake.analyse(store, intake.sources_from_uploads([("u.zip", data)], Limits(max_file_bytes=10_000)))
    by_name = {r.name: r for r in reports}
    assert by_name["u.zip/big.csv"].status == "rejected" and by_name["u.zip/big.csv"].data is None
    assert "the limit is 10,000" in by_name["u.zip/big.csv"].errors[0].message
    assert by_name["u.zip/ok.csv"].status == "ready"


def test_a_file_over_the_size_limit_is_refused_unread_from_disk(store, nothing_may_read, tmp_path):
    path = tmp_path / "big.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 20_000)
    reports = intake.analyse(store, intake.collect([path], Limits(max_file_bytes=10_000)))
    assert [(r.status, r.data) for r in reports] == [("rejected", None)]
    assert "not read" in reports[0].errors[0].message and nothing_may_read == []


# -- the bounded fuzz run ------------------------------------------------------------------------


def test_bounded_fuzz_run_over_every_importer():
    """FUZZ_CASES cases of every kind (seed 0) in worker processes with a per-case time limit:
    no crash, no hang, no worker death, only clear rejections."""
    summary = fuzz.run(FUZZ_CASES, seed=0, time_limit=TIME_LIMIT, workers=2)
    print("\n" + fuzz.report(summary))
    COUNTS["fuzz run"] += summary.cases
    assert summary.cases == FUZZ_CASES
    assert set(summary.by_kind) == set(fuzz.KINDS)  # every kind of case ran
    assert summary.ok, fuzz.report(summary)


def test_the_samples_every_mutation_starts_from_are_valid(store):
    """Mutations start from real files: each sample is read by its importer without a problem."""
    expected_rejections = {"checklist_minato_xlsx"}  # names its supplier by a corporate number no one has
    uploads = [(name, data) for key, (name, data) in fuzz.seeds().items() if key not in expected_rejections]
    reports = intake.analyse(store, intake.sources_from_uploads(uploads, Limits()))
    problems = {r.name: [p.message for p in r.errors] for r in reports if r.status == "rejected"}
    others = {"crosswalk.xlsx", "cert.pdf"}  # read by their own pages, not by the import pipeline
    assert set(problems) <= others, problems
    assert {r.name for r in reports} >= {"bundle.zip/a/scs.xlsx", "exchange.json", "template.xlsx"}
    assert zipfile.is_zipfile(io.BytesIO(fuzz.seeds()["bundle_zip"][1]))
