"""Certificate states on fixed dates, including leap days and month ends (docs/validity.md)."""

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from conftest import ADMIN, BUYER, SYSTEM, make_store

from registry.domain.models import Supplier
from registry.services.renewals import certificate_states, renewals
from registry.store.suppliers import add_supplier


@pytest.fixture
def store(tmp_path: Path):
    store = make_store(tmp_path / "r.duckdb")
    add_supplier(store, Supplier(supplier_id="A", name="株式会社A"), BUYER)
    return store


def certify(store, scheme: str, issued: date, expires: date | None = None, cid: str | None = None, number: str = "N-1"):
    with store.transaction(SYSTEM) as tx:
        tx.insert_frame(
            "certificate",
            pl.DataFrame(
                {
                    "certificate_id": [cid or f"{scheme}-{issued}"],
                    "supplier_id": ["A"],
                    "scheme": [scheme],
                    "registration_no": [number],
                    "issued_on": [issued],
                    "expires_on": [expires],
                },
                schema_overrides={"expires_on": pl.Date},
            ),
        )


def self_assess(store, on: date):
    """Supplier A's ★4 yearly self-assessment submitted to the evaluation body on ``on``."""
    with store.transaction(SYSTEM) as tx:
        tx.execute(
            "INSERT INTO yearly_check (certificate_id, supplier_id, submitted_on, via, recorded_by, recorded_at) "
            "SELECT certificate_id, supplier_id, ?, 'hand', 'test', TIMESTAMP '2026-11-23 12:00:00' "
            "FROM certificate WHERE supplier_id = 'A' AND scheme = 'scs_star4'",
            [on],
        )


def state(store, as_of: date, cid: str) -> dict:
    return certificate_states(store, as_of).filter(certificate_id=cid).row(0, named=True)


def test_star3_on_a_leap_day_is_valid_through_28_february(store):
    certify(store, "scs_star3", date(2028, 2, 29), cid="L")
    assert state(store, date(2029, 2, 28), "L")["state"] == "expiring"
    assert state(store, date(2029, 2, 28), "L")["days_left"] == 0
    assert state(store, date(2029, 3, 1), "L")["state"] == "expired"
    assert state(store, date(2028, 2, 28), "L")["state"] == "not_yet_valid"
    assert state(store, date(2028, 2, 29), "L")["expires_on"] == date(2029, 2, 28)


def test_month_end_and_expiring_windows(store):
    certify(store, "scs_star3", date(2026, 1, 31), cid="M")  # valid through 2027-01-30
    assert state(store, date(2026, 10, 1), "M")["state"] == "valid"
    row = state(store, date(2026, 11, 1), "M")
    assert (row["state"], row["window"], row["days_left"]) == ("expiring", 90, 90)
    assert state(store, date(2026, 12, 1), "M")["window"] == 60
    assert state(store, date(2027, 1, 1), "M")["window"] == 30
    assert state(store, date(2027, 1, 31), "M")["state"] == "expired"


def test_superseded_by_a_newer_certificate_of_the_same_scheme(store):
    certify(store, "scs_star3", date(2025, 4, 1), cid="OLD")
    certify(store, "scs_star3", date(2026, 3, 20), cid="NEW", number="N-2")
    assert state(store, date(2026, 3, 1), "OLD")["state"] == "expiring"  # the new one is not issued yet
    assert state(store, date(2026, 3, 25), "OLD")["state"] == "superseded"
    assert state(store, date(2026, 3, 25), "NEW")["state"] == "valid"


def test_printed_expiry_wins_and_a_mismatch_is_reported(store):
    certify(store, "pmark", date(2025, 6, 15), expires=date(2027, 6, 30), cid="P")
    row = state(store, date(2026, 1, 1), "P")
    assert (row["expires_on"], row["computed_expiry"], row["expiry_mismatch"]) == (
        date(2027, 6, 30),
        date(2027, 6, 14),
        True,
    )


def test_security_action_goes_stale(store):
    certify(store, "security_action_star2", date(2024, 1, 10), cid="SA")
    assert state(store, date(2026, 1, 9), "SA")["state"] == "valid"
    assert state(store, date(2026, 1, 10), "SA")["state"] == "stale"


def test_isms_three_years_with_yearly_surveillance(store):
    certify(store, "iso27001", date(2025, 1, 10), cid="I")
    assert state(store, date(2025, 6, 1), "I")["state"] == "valid"
    assert state(store, date(2025, 12, 20), "I")["state"] == "surveillance_due"  # first audit due 2026-01-10
    row = state(store, date(2026, 4, 1), "I")
    assert (row["state"], row["check_due_on"]) == ("surveillance_overdue", date(2026, 1, 10))  # past the 60-day grace

    def audit_report(on: date) -> None:  # attaching the audit report records the audit
        with store.transaction(SYSTEM) as tx:
            tx.execute(
                "INSERT INTO certificate_file VALUES ('I', ?, 'audit.pdf', 'application/pdf', ?, 'test')",
                [f"h{on}", on],
            )

    audit_report(date(2025, 12, 15))
    assert state(store, date(2026, 4, 1), "I")["state"] == "valid"
    audit_report(date(2027, 1, 5))
    assert state(store, date(2028, 1, 9), "I")["state"] == "expiring"
    assert state(store, date(2028, 1, 10), "I")["state"] == "expired"


def test_star4_yearly_self_assessment_due_then_overdue(store):
    certify(store, "scs_star4", date(2026, 4, 1), cid="F")
    assert state(store, date(2026, 12, 1), "F")["state"] == "valid"
    due = state(store, date(2027, 3, 10), "F")
    assert (due["state"], due["check_due_on"]) == ("self_assessment_due", date(2027, 4, 1))
    assert state(store, date(2027, 4, 15), "F")["state"] == "self_assessment_due"  # within the 30-day grace
    overdue = state(store, date(2027, 5, 10), "F")
    assert (overdue["state"], overdue["check_due_on"]) == ("self_assessment_overdue", date(2027, 4, 1))
    self_assess(store, date(2027, 3, 20))
    assert state(store, date(2027, 5, 10), "F")["state"] == "valid"
    assert state(store, date(2028, 3, 15), "F")["state"] == "self_assessment_due"  # the second year's
    assert state(store, date(2029, 4, 1), "F")["state"] == "expired"


def test_renewals_lists_what_needs_attention(store):
    certify(store, "scs_star3", date(2026, 1, 31), cid="M")  # expires 2027-01-30
    certify(store, "pmark", date(2023, 1, 1), cid="OLDP", number="P-1")  # expired 2024-12-31
    certify(store, "semi_e187", date(2026, 6, 1), cid="FAR", number="E-1")  # no expiry: never listed
    listed = renewals(store, date(2027, 1, 1), 30)
    assert sorted(listed["certificate_id"]) == ["M", "OLDP"]
    assert renewals(store, date(2027, 1, 1), 30, include_expired=False)["certificate_id"].to_list() == ["M"]
    assert renewals(store, date(2026, 10, 1), 30, include_expired=False).is_empty()


def test_cli_renewals_json(store):
    import json

    from click.testing import CliRunner

    from registry.cli import main

    certify(store, "scs_star3", date(2026, 1, 31), cid="M", number="SCS3-1")
    out = CliRunner().invoke(
        main, ["renewals", "--within", "60", "--as-of", "2026-12-15", "--json", "--db", str(store.path)]
    )
    rows = json.loads(out.output)
    assert rows == [
        {
            "supplier_id": "A",
            "name": "株式会社A",
            "scheme": "scs_star3",
            "level": 3,
            "registration_no": "SCS3-1",
            "issued_on": "2026-01-31",
            "expires_on": "2027-01-30",
            "state": "expiring",
            "days_left": 46,
            "window": 60,
            "check_due_on": None,
            "expiry_mismatch": False,
        }
    ]


def test_certificate_lists_import_with_clear_rejections(store, tmp_path):
    import json

    from click.testing import CliRunner

    from registry.cli import main

    good = tmp_path / "certs.csv"
    good.write_text(
        "取引先ID,制度,登録番号,発行日,有効期限,発行者,適用範囲\n"
        "A,SCS★4,SCS4-777,2026-04-01,,一般社団法人 みらい評価機構,\n"
        "A,ISMS,IS 555,R7.1.10,2028-01-09,架空認証機構,本社\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["certificates", "import", str(good), "--json", "--db", str(store.path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["status"] == "imported"
    held = certificate_states(store, date(2026, 5, 1))
    assert sorted(held["scheme"]) == ["iso27001", "scs_star4"]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "取引先ID,制度,登録番号,発行日,有効期限\n"
        "A,Gマーク,X-1,2026-01-01,\n"
        "A,Pマーク,P-9,2026-05-01,2026-04-01\n"
        "A,Pマーク,P-8,2026-05-01,2099-04-01\n",
        encoding="utf-8",
    )
    rejected = CliRunner().invoke(main, ["certificates", "import", str(bad), "--json", "--db", str(store.path)])
    messages = [e["message"] for e in json.loads(rejected.stdout)[0]["errors"]]
    assert rejected.exit_code == 1
    assert messages[0].startswith("unknown scheme Gマーク")
    assert "expiry 2026-04-01 is not after issue 2026-05-01" in messages[1]
    assert "beyond a sane range" in messages[2]
    other = tmp_path / "other.csv"
    other.write_text("取引先ID,会社名\nZ,株式会社Z\n", encoding="utf-8")
    refused = CliRunner().invoke(main, ["certificates", "import", str(other), "--json", "--db", str(store.path)])
    assert refused.exit_code == 1 and "not a Certificate list" in refused.stdout


def test_duplicate_registration_number_for_another_supplier(store, tmp_path):
    from click.testing import CliRunner

    from registry.cli import main

    add_supplier(store, Supplier(supplier_id="B", name="株式会社B"), BUYER)
    certify(store, "iso27001", date(2025, 1, 10), number="IS 1")
    dup = tmp_path / "dup.csv"
    dup.write_text("取引先ID,制度,登録番号,発行日\nB,ISMS,IS 1,2025-02-01\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["certificates", "import", str(dup), "--db", str(store.path)])
    assert result.exit_code == 1 and "registration number IS 1 is already recorded for supplier A" in result.output


def test_exports_open_right_and_never_run_formulas(store):
    import io
    from datetime import datetime

    import icalendar
    import openpyxl

    from registry.services import exports

    certify(store, "scs_star4", date(2026, 4, 1), cid="F", number='=HYPERLINK("http://x")')
    frame = certificate_states(store, date(2027, 3, 10))
    csv_bytes = exports.to_csv(frame)
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    assert "'=HYPERLINK" in csv_bytes.decode("utf-8-sig")
    sheet = openpyxl.load_workbook(io.BytesIO(exports.to_excel(frame, "renewals")))["renewals"]
    values = [c.value for c in sheet[2]]
    assert '\'=HYPERLINK("http://x")' in values and all(not str(v).startswith("=") for v in values if v)
    calendar = icalendar.Calendar.from_ical(exports.renewals_ics(frame, datetime(2027, 3, 10, 9, 0)))
    events = {str(e["summary"]): e.decoded("dtstart") for e in calendar.walk("VEVENT")}
    assert date(2029, 3, 31) in events.values()  # the expiry
    assert date(2027, 4, 1) in events.values()  # the ★4 self-assessment due date
    assert any("年次自己評価" in s for s in events)


def test_renewals_page_on_the_demo_and_empty(monkeypatch, tmp_path):
    from test_pages import open_app

    at = open_app(monkeypatch, tmp_path / "demo.duckdb", demo_suppliers=120)
    at.switch_page("dashboards/pages/renewals.py").run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1 and len(at.get("download_button")) == 3
    before = at.dataframe[0].value.shape[0]
    at.radio(key="renewals_within.ja").set_value("30日以内").run()
    assert not at.exception and at.dataframe[0].value.shape[0] <= before
    empty = open_app(monkeypatch, tmp_path / "empty.duckdb", demo_suppliers=0)
    empty.switch_page("dashboards/pages/renewals.py").run()
    assert not empty.exception and empty.info


ISO_PDF_LINES = [
    "Certificate of Registration",
    "ISO/IEC 27001:2022",
    "Certificate No: JQA-IM1234",
    "Organization: Kaku Seiko Co., Ltd.",
    "Issue date: 2025-01-10",
    "Expiry date: 2028-01-09",
    "Certification body: Fictional Cert Ltd.",
]


def test_certificate_pdf_fields_are_proposed():
    from support import samples

    from importers.base import SourceFile
    from importers.certificate_pdf import parse

    proposal = parse(SourceFile("c.pdf", samples.certificate_pdf(ISO_PDF_LINES)))
    assert (proposal.scheme, proposal.registration_no, proposal.issued_on, proposal.expires_on) == (
        "iso27001",
        "JQA-IM1234",
        date(2025, 1, 10),
        date(2028, 1, 9),
    )
    assert (proposal.holder, proposal.issuer) == ("Kaku Seiko Co., Ltd.", "Fictional Cert Ltd.")
    blank = parse(SourceFile("scan.pdf", samples.certificate_pdf([])))
    assert blank.image_only and blank.scheme is None


def test_encrypted_broken_and_foreign_pdfs_are_refused():
    import io

    from pypdf import PdfWriter
    from support import samples

    from importers.base import SourceFile, SourceFileError
    from importers.certificate_pdf import parse

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("secret")
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(SourceFileError, match="encrypted"):
        parse(SourceFile("locked.pdf", buf.getvalue()))
    with pytest.raises(SourceFileError, match="damaged"):
        parse(SourceFile("cut.pdf", samples.certificate_pdf(ISO_PDF_LINES)[:120]))
    with pytest.raises(SourceFileError, match="not a PDF"):
        parse(SourceFile("x.pdf", b"PK\x03\x04 zip"))


def test_add_certificate_keeps_its_file_and_refuses_another_suppliers_number(store):
    from support import samples

    from registry.domain.models import Certificate
    from registry.store import certificates, submissions
    from registry.store.certificates import CertificateConflictError, add_certificate

    pdf = samples.certificate_pdf(ISO_PDF_LINES)
    cert = Certificate(
        supplier_id="A",
        scheme="iso27001",
        registration_no="JQA-IM1234",
        issued_on=date(2025, 1, 10),
    )
    made = add_certificate(store, cert, [("jqa.pdf", pdf, "application/pdf")], actor=BUYER)
    assert made.startswith("CERT-")  # the registry makes the ID, never a file or a form
    files = certificates.certificate_files(store, "A")
    assert files.select("certificate_id", "file_name").rows() == [(made, "jqa.pdf")]
    assert submissions.file_content(store, files["sha256"][0]) == pdf
    add_supplier(store, Supplier(supplier_id="B", name="株式会社B"), BUYER)
    other = cert.model_copy(update={"supplier_id": "B"})
    with pytest.raises(CertificateConflictError, match="already recorded for supplier A"):
        add_certificate(store, other, [], actor=BUYER)


def test_certificates_page_adds_one_from_a_pdf(monkeypatch, tmp_path):
    from conftest import make_store
    from support import samples
    from test_pages import open_app

    store = make_store(tmp_path / "r.duckdb", suppliers=10, seed=3)
    at = open_app(monkeypatch, store.path)
    at.switch_page("dashboards/pages/certificates.py").run()
    at.text_input(key="certificates_supplier.search").set_value("S000002").run()
    at.file_uploader(key="certificate_file").upload(
        "jqa.pdf", samples.certificate_pdf(ISO_PDF_LINES), "application/pdf"
    ).run()
    assert not at.exception
    assert at.text_input[1].value == "JQA-IM1234" or any(t.value == "JQA-IM1234" for t in at.text_input)
    at.get("form_submit_button")[0].click().run()
    assert not at.exception
    row = store.frame(
        "SELECT supplier_id, scheme, registration_no, issued_on FROM certificate WHERE registration_no = 'JQA-IM1234'"
    ).row(0)
    assert row == ("S000002", "iso27001", "JQA-IM1234", date(2025, 1, 10))
    assert any("jqa.pdf" in b.label.replace("\\", "") for b in at.get("download_button"))  # labels are escaped Markdown


def test_settings_page_changes_the_validity_rules(monkeypatch, tmp_path):
    from conftest import make_store
    from test_pages import open_app

    from registry.store.validity import policy_for

    store = make_store(tmp_path / "r.duckdb", suppliers=10, seed=3)
    with store.transaction(SYSTEM) as tx:
        tx.execute(
            "INSERT INTO certificate (certificate_id, supplier_id, scheme, issued_on, created_at) VALUES ('P', 'S000001', 'pmark', DATE '2025-06-15', TIMESTAMP '2026-11-23 12:00:00')"
        )
    assert certificate_states(store, date(2027, 7, 1)).filter(certificate_id="P")["state"][0] == "expired"
    at = open_app(monkeypatch, store.path)
    at.switch_page("dashboards/pages/settings.py").run()
    assert not at.exception
    editor = at.get("data_editor")
    assert editor
    at.text_input(key="settings_windows").set_value("120, 60, 30").run()
    at.button(key="settings_save").click().run()
    assert not at.exception and at.success
    assert policy_for(store).expiring_windows_days == (120, 60, 30)
    at.text_input(key="settings_windows").set_value("30, 60").run()
    at.button(key="settings_save").click().run()
    assert at.error and "decreasing order" in at.error[0].value
    at.button(key="settings_reset").click().run()
    assert policy_for(store).expiring_windows_days == (90, 60, 30)


def test_a_registry_policy_changes_expiry_everywhere(store):
    import json as _json

    from questionnaires.policy import default_policy
    from registry.store.settings import save_settings
    from registry.store.suppliers import supplier_status

    certify(store, "scs_star3", date(2026, 4, 1), cid="S3")
    assert state(store, date(2027, 4, 15), "S3")["state"] == "expired"
    doc = default_policy().model_dump(mode="json")
    doc["schemes"]["scs_star3"]["validity_years"] = 2
    save_settings(store, {"validity_policy": _json.dumps(doc)}, actor=ADMIN)
    assert state(store, date(2027, 4, 15), "S3")["state"] == "valid"
    assert supplier_status(store, date(2027, 4, 15)).filter(supplier_id="A")["held_level"][0] == "star3"
