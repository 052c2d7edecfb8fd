"""Intake against a real registry: transactions, duplicates, superseding, quarantine, history, CLI."""

import io
import json
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner
from conftest import ADMIN, BUYER, make_store
from support import samples

from importers.base import SourceFile
from registry.cli import main
from registry.services import intake
from registry.services import profiles as profile_service
from registry.services.templates import build_template
from registry.store import accounts, reminders, submissions, suppliers

TODAY = date(2026, 11, 23)


@pytest.fixture
def store(tmp_path: Path):
    return make_store(tmp_path / "r.duckdb", suppliers=30, seed=3)


def run_import(store, files: list[tuple[str, bytes]], mode="per_file", **options) -> list[intake.FileReport]:
    reports = intake.analyse(store, [SourceFile(n, d) for n, d in files], **options)
    return intake.commit(store, reports, mode=mode, actor=BUYER, today=TODAY)


def counts(store) -> tuple[int, int, int]:
    """Submissions, answers and imported files added by imports (the demo's own are left out)."""
    return (
        store.scalar("SELECT count(*) FROM submission WHERE format <> 'demo'"),
        store.scalar("SELECT count(*) FROM answer JOIN submission USING (submission_id) WHERE format <> 'demo'"),
        store.scalar("SELECT count(*) FROM import_file WHERE status = 'imported'"),
    )


def test_per_file_mode_imports_the_good_and_quarantines_the_bad(store):
    good = samples.scs_self_assessment_workbook(supplier_id="S000001", answered_on="2026-10-01")
    bad = b"not a workbook"
    reports = run_import(store, [("good.xlsx", good), ("bad.xlsx", bad)])
    assert {r.name: r.status for r in reports} == {"good.xlsx": "imported", "bad.xlsx": "rejected"}
    assert counts(store) == (1, 153, 1)
    history = submissions.import_history(store)
    assert set(history["status"]) == {"imported", "rejected"}
    rejected = history.filter(status="rejected").row(0, named=True)
    assert "not an Excel workbook" in intake.problems_said(rejected["errors"], "en")
    assert submissions.file_content(store, rejected["sha256"]) == bad  # quarantined, unaltered


def test_per_file_mode_writes_the_files_that_passed_in_one_transaction(store, monkeypatch):
    """Every file is checked before any write, so the good ones go in together, with the
    rejected ones' history, and the flags are derived once for all the suppliers touched."""
    writes, derivations = [], []
    real_write, real_refresh = intake.write_import, intake.flags.refresh
    monkeypatch.setattr(intake, "write_import", lambda *a, **k: writes.append(len(a[1])) or real_write(*a, **k))
    monkeypatch.setattr(
        intake.flags, "refresh", lambda *a, **k: derivations.append(k["suppliers"]) or real_refresh(*a, **k)
    )
    files = [
        (f"s{i}.xlsx", samples.scs_self_assessment_workbook(supplier_id=f"S00000{i}", seed=i)) for i in range(1, 5)
    ]
    reports = run_import(store, [*files, ("bad.xlsx", b"not a workbook")])
    assert [r.status for r in reports] == ["imported"] * 4 + ["rejected"]
    assert writes == [4]
    assert derivations == [["S000001", "S000002", "S000003", "S000004"]]
    assert counts(store) == (4, 4 * 153, 4)


def test_per_file_mode_falls_back_to_one_file_at_a_time_when_the_registry_refuses_one(store, monkeypatch):
    """A refusal at write time (here: the registry refuses whatever names S000002) rolls the joint
    write back; the files are then written one by one, and only the refused one is lost."""
    from registry.errors import MonosashiError

    real_write = intake.write_import

    def refusing(store_, ready, rejected, **options):
        if any("S000002" in r.supplier_ids for r in ready):
            with store_.transaction(BUYER) as tx:  # a write begun, then refused: rolled back whole
                tx.execute("DELETE FROM import_file")
                raise MonosashiError("database.commit_conflict")
        return real_write(store_, ready, rejected, **options)

    monkeypatch.setattr(intake, "write_import", refusing)
    files = [
        (f"s{i}.xlsx", samples.scs_self_assessment_workbook(supplier_id=f"S00000{i}", seed=i)) for i in range(1, 4)
    ]
    reports = run_import(store, files)
    assert [r.status for r in reports] == ["imported", "rejected", "imported"]
    refusal = reports[1].errors[0]
    assert (refusal.key, refusal.params["reason_key"]) == ("intake.not_written", "database.commit_conflict")
    assert counts(store) == (2, 2 * 153, 2)
    history = submissions.import_history(store)
    assert sorted(history["source_name"]) == ["s1.xlsx", "s2.xlsx", "s3.xlsx"]
    assert history.filter(source_name="s2.xlsx")["status"].to_list() == ["rejected"]


def test_all_or_nothing_writes_nothing_when_one_file_is_bad(store):
    good = samples.scs_self_assessment_workbook(supplier_id="S000001")
    reports = run_import(store, [("good.xlsx", good), ("bad.csv", b"\xff\xfe\xfa")], mode="batch")
    assert [r.status for r in reports] == ["rejected", "rejected"]
    assert "held back" in reports[0].errors[0].message or "held back" in reports[1].errors[0].message
    assert counts(store) == (0, 0, 0)
    assert store.scalar("SELECT count(*) FROM import_file WHERE status = 'rejected'") == 2


def test_all_or_nothing_writes_every_file_in_one_transaction(store):
    files = [
        (f"s{i}.xlsx", samples.scs_self_assessment_workbook(supplier_id=f"S00000{i}", seed=i)) for i in range(1, 4)
    ]
    reports = run_import(store, files, mode="batch")
    assert [r.status for r in reports] == ["imported"] * 3
    assert counts(store) == (3, 3 * 153, 3)


def test_a_failing_write_leaves_the_registry_as_it_was(store, monkeypatch):

    before = counts(store), store.scalar("SELECT count(*) FROM audit_log")
    blobs = store.scalar("SELECT count(*) FROM file_blob")  # the demo's own audit report

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(submissions, "_write_plans", broken)
    with pytest.raises(RuntimeError):
        run_import(store, [("s.xlsx", samples.scs_self_assessment_workbook(supplier_id="S000001"))])
    assert (counts(store), store.scalar("SELECT count(*) FROM audit_log")) == before
    assert store.scalar("SELECT count(*) FROM file_blob") == blobs


def test_reimporting_the_same_file_is_a_duplicate_no_op(store):
    data = samples.scs_self_assessment_workbook(supplier_id="S000001")
    run_import(store, [("a.xlsx", data)])
    again = run_import(store, [("a-copy.xlsx", data), ("a-copy2.xlsx", data)])
    assert [r.status for r in again] == ["duplicate", "duplicate"]
    assert counts(store) == (1, 153, 1)


def test_a_newer_submission_supersedes_the_older_one(store):
    old = samples.scs_self_assessment_workbook(supplier_id="S000001", answered_on="2026-04-01", seed=1)
    new = samples.scs_self_assessment_workbook(supplier_id="S000001", answered_on="2026-10-01", seed=2)
    run_import(store, [("new.xlsx", new)])
    run_import(store, [("old.xlsx", old)])  # arrives later but answered earlier
    subs = submissions.submissions(store, "S000001").filter(framework_id="scs")
    subs = subs.filter(subs["source_name"].is_in(["new.xlsx", "old.xlsx"]))
    assert subs.select("submitted_on", "current").rows() == [(date(2026, 10, 1), True), (date(2026, 4, 1), False)]


def test_template_round_trip_into_the_registry_with_declared_subcontractors(store):
    wb = openpyxl.load_workbook(io.BytesIO(build_template("scs", "S000002", level=3, generated_on=TODAY)))
    for row in range(6, 6 + 81):
        wb["回答"].cell(row, 5, "○")
    subs = wb["再委託先"]
    existing = store.frame("SELECT name, corporate_number FROM supplier WHERE supplier_id = 'S000003'").row(0)
    subs.append([existing[0], existing[1], "部品輸送", "いいえ"])  # a supplier we know already
    subs["A2"], subs["B2"], subs["C2"], subs["D2"] = "有限会社新顔精機", None, "研磨", "はい"
    buf = io.BytesIO()
    wb.save(buf)
    suppliers_before = store.scalar("SELECT count(*) FROM supplier")
    reports = run_import(store, [("filled.xlsx", buf.getvalue())])
    assert reports[0].status == "imported", reports[0].errors
    assert any("proposals" in w.message for w in reports[0].warnings)
    # the file writes no supplier row and no link: the declared subcontractors wait for a buyer
    assert store.scalar("SELECT count(*) FROM supplier") == suppliers_before
    assert not store.scalar("SELECT count(*) FROM supplier_link WHERE parent_id = 'S000002' AND source = 'declared'")
    proposals = suppliers.proposals(store, "S000002")
    assert set(proposals.select("name", "child_id", "state").rows()) == {
        (existing[0], "S000003", "open"),  # matched to the supplier we know
        ("有限会社新顔精機", None, "open"),
    }
    suppliers.resolve_proposals(store, proposals["proposal_id"].to_list(), "confirm", BUYER)
    links = store.frame(
        "SELECT parent_id, child_id, source, critical FROM supplier_link WHERE parent_id = 'S000002' AND source = 'declared' ORDER BY critical"
    )
    assert links["child_id"].to_list()[0] == "S000003"
    new_child = links.filter(critical=True)["child_id"][0]
    assert new_child.startswith("D-")
    assert store.scalar("SELECT name FROM supplier WHERE supplier_id = ?", [new_child]) == "有限会社新顔精機"
    assert suppliers.proposals(store, "S000002")["state"].to_list() == ["confirmed", "confirmed"]


def test_lists_in_one_batch_resolve_each_other(store):
    master = samples.supplier_master_csv(
        [{"supplier_id": "N1", "name": "株式会社エヌワン"}, {"supplier_id": "N2", "name": "株式会社エヌツー"}]
    )
    links = samples.supplier_links_csv([("自社", "N1", None, True), ("N1", "N2", "部品", False)])
    ipa = samples.ipa_5min_csv(["実施している"] * 25, supplier_id="N2")
    reports = run_import(store, [("ipa.csv", ipa), ("links.csv", links), ("suppliers.csv", master)], mode="batch")
    assert [r.status for r in reports] == ["imported"] * 3
    status = suppliers.supplier_status(store, TODAY)
    tiers = dict(status.filter(status["supplier_id"].is_in(["N1", "N2"])).select("supplier_id", "tier").rows())
    assert tiers == {"N1": 1, "N2": 2}


def test_security_action_declarations_become_certificates(store):
    run_import(store, [("sa.csv", samples.security_action_csv([("S000005", "二つ星", "987654321", "R8.1.15")]))])
    row = store.frame(
        "SELECT supplier_id, scheme, registration_no, issued_on FROM certificate WHERE registration_no = '987654321'"
    ).row(0)
    assert row == ("S000005", "security_action_star2", "987654321", date(2026, 1, 15))


def test_user_profile_added_from_the_cli_reads_a_new_layout(store, tmp_path):
    profile = tmp_path / "acme.yaml"
    profile.write_text(
        "name: acme-2026\ntitle_ja: ACME調査\ntitle_en: ACME survey\nframework_id: profile.acme-2026\nversion: '1'\n"
        "fingerprint: [質問番号, 回答欄]\ncolumns: {item_id: 質問番号, answer: 回答欄}\n"
        "answers: [{label: OK, status: met}, {label: NG, status: not_met}]\n"
        "items: [{id: '1', maps: [{criterion: 4-4-5-1, relationship: intersect, strength: 0.6}]}, {id: '2'}]\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["profiles", "add", str(profile), "--db", str(store.path)])
    assert result.exit_code == 0, result.output
    csv_data = "質問番号,回答欄\n1,OK\n2,NG\n".encode()
    reports = run_import(store, [("acme.csv", csv_data)], supplier_id="S000004")
    assert (reports[0].status, reports[0].format, reports[0].framework) == (
        "imported",
        "checklist_profile:acme-2026",
        "profile.acme-2026",
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: Bad Name\n", encoding="utf-8")
    refused = CliRunner().invoke(main, ["profiles", "add", str(bad), "--db", str(store.path)])
    assert refused.exit_code == 1 and "does not match the profile schema" in refused.output


def test_cli_import_exit_codes_json_and_dry_run(store, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.xlsx").write_bytes(samples.scs_self_assessment_workbook(supplier_id="S000001"))
    db = ["--db", str(store.path)]
    dry = CliRunner().invoke(main, ["import", str(folder), "--dry-run", "--json", *db])
    assert dry.exit_code == 0 and json.loads(dry.stdout)[0]["status"] == "ready"
    assert counts(store) == (0, 0, 0)
    ok = CliRunner().invoke(main, ["import", str(folder), "--json", *db])
    doc = json.loads(ok.stdout)
    assert ok.exit_code == 0
    assert set(doc[0]) >= {
        "file",
        "sha256",
        "status",
        "format",
        "supplier_id",
        "framework",
        "catalogue_version",
        "answers",
        "errors",
    }
    assert (doc[0]["status"], doc[0]["supplier_id"], doc[0]["answers"], doc[0]["catalogue_version"]) == (
        "imported",
        "S000001",
        153,
        "2026-03-27",
    )
    (folder / "b.csv").write_bytes(b"\xff\xfe\xfa")
    mixed = CliRunner().invoke(main, ["import", str(folder), "--json", *db])
    statuses = {Path(d["file"]).name: d["status"] for d in json.loads(mixed.stdout)}
    assert mixed.exit_code == 1 and statuses == {"a.xlsx": "duplicate", "b.csv": "rejected"}
    assert CliRunner().invoke(main, ["import", *db]).exit_code == 2
    assert CliRunner().invoke(main, ["import", str(tmp_path / "missing"), *db]).exit_code == 2


def test_cli_template_and_history(store, tmp_path):
    out = tmp_path / "t.xlsx"
    made = CliRunner().invoke(
        main, ["template", "ipa_5min", "--supplier", "S000001", "-o", str(out), "--db", str(store.path)]
    )
    assert made.exit_code == 0 and out.exists()
    unknown = CliRunner().invoke(
        main, ["template", "scs", "--supplier", "NOPE", "-o", str(out), "--db", str(store.path)]
    )
    assert unknown.exit_code == 1 and "does not exist" in unknown.output
    bad_framework = CliRunner().invoke(
        main, ["template", "iso", "--supplier", "S000001", "-o", str(out), "--db", str(store.path)]
    )
    assert bad_framework.exit_code == 2
    run_import(store, [("a.csv", b"\xff")])
    history = json.loads(CliRunner().invoke(main, ["history", "--json", "--db", str(store.path)]).output)
    assert history[0]["status"] == "rejected" and history[0]["errors"][0]["message"].startswith("unknown text encoding")


def test_published_schemas_match_the_models():
    from registry.services.schemas import exchange_schema, profile_schema

    root = Path(__file__).resolve().parent.parent / "docs" / "schema"
    assert json.loads((root / "exchange.schema.json").read_text(encoding="utf-8")) == exchange_schema()
    assert json.loads((root / "profile.schema.json").read_text(encoding="utf-8")) == profile_schema()


def test_profiles_in_the_folder_beside_the_database_are_used(store):
    folder = profile_service.profiles_folder(store)
    folder.mkdir()
    (folder / "kita.yaml").write_text(
        "name: kita-2026\ntitle_ja: 北調査\ntitle_en: Kita survey\nframework_id: profile.kita-2026\nversion: '1'\n"
        "fingerprint: [項番, 可否]\ncolumns: {item_id: 項番, answer: 可否}\n"
        "answers: [{label: 可, status: met}, {label: 否, status: not_met}]\nitem_pattern: '^K\\d+$'\n",
        encoding="utf-8",
    )
    assert "kita-2026" in profile_service.mapping_profiles(store)
    reports = run_import(store, [("kita.csv", "項番,可否\nK1,可\nK2,否\n".encode())], supplier_id="S000006")
    assert (reports[0].status, reports[0].answers) == ("imported", 2)


def test_adding_a_profile_in_the_app(monkeypatch, store):
    from test_pages import open_app

    at = open_app(monkeypatch, store.path)
    at.switch_page("dashboards/pages/imports.py").run()
    yaml_text = (
        "name: app-2026\ntitle_ja: アプリ調査\ntitle_en: App survey\nframework_id: profile.app-2026\nversion: '1'\n"
        "fingerprint: [番号, 答え]\ncolumns: {item_id: 番号, answer: 答え}\n"
        "answers: [{label: Y, status: met}, {label: N, status: not_met}]\nitem_pattern: '.+'\n"
    )
    uploader = next(u for u in at.file_uploader if u.key == "profile_upload")
    uploader.upload("app.yaml", yaml_text.encode(), "application/x-yaml").run()
    at.button(key="profile_add").click().run()
    assert not at.exception
    assert any("app-2026" in s.value.replace("\\", "") for s in at.success)  # values are escaped for Markdown
    assert "app-2026" in profile_service.mapping_profiles(store)


# -- supplier lists with contacts and owners (issue 19) --------------------------------------------

CONTACT_HEADER = "取引先ID,会社名,担当者名,メールアドレス,言語,社内担当\n"


def contact_list(*rows: str) -> bytes:
    """A supplier list with contact and owner columns, a row per line given."""
    return (CONTACT_HEADER + "".join(f"{row}\n" for row in rows)).encode("utf-8")


@pytest.fixture
def owners(store):
    """A buyer-side account to own suppliers, a disabled one and a supplier's own account."""
    for user_id, role, email, supplier in (
        ("hanako", "buyer", "hanako@buyer.example.jp", None),
        ("gone", "buyer", "gone@buyer.example.jp", None),
        ("s1", "supplier", "s1@supplier.example.jp", "S000001"),
    ):
        accounts.add_account(
            store,
            ADMIN,
            user_id=user_id,
            role=role,
            password_hash=None,
            display_name=user_id,
            email=email,
            supplier_id=supplier,
        )
    accounts.set_disabled(store, "gone", True, ADMIN)
    return store


def contacts_of(store, *supplier_ids: str) -> list[tuple[str, str, str, str]]:
    rows = reminders.contacts(store).filter(pl.col("supplier_id").is_in(supplier_ids))
    return sorted(rows.select("supplier_id", "name", "email", "language").rows())


def test_a_supplier_list_writes_contacts_and_owners_with_its_suppliers(owners, monkeypatch):
    writes = []
    real_write = intake.write_import
    monkeypatch.setattr(intake, "write_import", lambda *a, **k: writes.append(len(a[1])) or real_write(*a, **k))
    name, contacts_before = store_name(owners, "S000001"), contacts_of(owners, "S000001")
    data = contact_list(
        "K1,株式会社ケイワン,田中 一郎,tanaka@k1.example.jp,,hanako",
        "K1,株式会社ケイワン,Jane Smith,jane@k1.example.com,English,",
        "K1,,伊藤,ito@k1.example.jp,en,HANAKO",
        f"S000001,{name},,,,hanako@buyer.example.jp",
        "K2,株式会社ケイツー,,,,",
    )
    reports = run_import(owners, [("contacts.csv", data)])
    assert reports[0].status == "imported", reports[0].errors
    assert not reports[0].refused
    assert writes == [1]  # suppliers, contacts and owners in the import's one transaction
    assert contacts_of(owners, "S000001") == contacts_before
    assert contacts_of(owners, "K1", "K2") == [
        ("K1", "Jane Smith", "jane@k1.example.com", "en"),
        ("K1", "伊藤", "ito@k1.example.jp", "en"),
        ("K1", "田中 一郎", "tanaka@k1.example.jp", "ja"),
    ]
    assert reminders.contacts(owners, "K1")["created_by"].unique().to_list() == [BUYER.name]
    assert {s: reminders.owner_of(owners, s) for s in ("K1", "K2", "S000001")} == {
        "K1": "hanako",
        "K2": None,
        "S000001": "hanako",  # named by the account's e-mail
    }


def store_name(store, supplier_id: str) -> str:
    return store.scalar("SELECT name FROM supplier WHERE supplier_id = ?", [supplier_id])


def test_a_list_without_an_owner_keeps_the_owner_the_registry_has(owners):
    run_import(owners, [("a.csv", contact_list("K1,株式会社ケイワン,,,,hanako"))])
    run_import(owners, [("b.csv", contact_list("K1,株式会社ケイワン,田中,tanaka@k1.example.jp,,"))])
    assert reminders.owner_of(owners, "K1") == "hanako"
    assert contacts_of(owners, "K1") == [("K1", "田中", "tanaka@k1.example.jp", "ja")]


def test_a_bad_email_is_refused_at_its_cell_and_nothing_of_its_row_is_written(owners):
    data = contact_list(
        "K1,株式会社ケイワン,田中,tanaka@k1.example.jp,,hanako",
        "K2,株式会社ケイツー,佐藤,sato(at)k2.example.jp,,hanako",
    )
    contacts_before = owners.scalar("SELECT count(*) FROM supplier_contact")
    reports = run_import(owners, [("contacts.csv", data)], whole_lists=True)
    assert reports[0].status == "rejected"
    (error,) = reports[0].errors
    assert (error.location, error.key, error.params["found"]) == (
        "contacts.csv line 3, column 4",
        "email.invalid",
        "sato(at)k2.example.jp",
    )
    assert "contacts.csv 3 行目 4 列目" in error.text("ja")
    assert not owners.scalar("SELECT count(*) FROM supplier WHERE supplier_id IN ('K1', 'K2')")
    assert owners.scalar("SELECT count(*) FROM supplier_contact") == contacts_before
    # row by row, the bad row alone is refused: its supplier and contact are not written either
    reports = run_import(owners, [("contacts.csv", data)])
    assert reports[0].status == "imported"
    assert [r.location for r in reports[0].refused] == ["contacts.csv line 3"]
    assert not owners.scalar("SELECT count(*) FROM supplier WHERE supplier_id = 'K2'")
    assert contacts_of(owners, "K1", "K2") == [("K1", "田中", "tanaka@k1.example.jp", "ja")]


@pytest.mark.parametrize("owner", ["nobody", "gone", "s1", "s1@supplier.example.jp"])
def test_an_owner_that_is_no_enabled_buyer_account_is_refused_at_its_cell(owners, owner):
    data = contact_list(
        f"K1,株式会社ケイワン,田中,tanaka@k1.example.jp,,{owner}",
        "K1,株式会社ケイワン,Jane,jane@k1.example.com,en,",
        "K2,株式会社ケイツー,佐藤,sato@k2.example.jp,,hanako",
    )
    reports = run_import(owners, [("contacts.csv", data)])
    assert reports[0].status == "imported"
    refused = {r.location: [(p.location, p.key) for p in r.problems] for r in reports[0].refused}
    assert refused == {
        "contacts.csv line 2": [("contacts.csv line 2, column 6", "intake.owner_unknown")],
        # the row adding a contact to the refused supplier goes with it, saying why
        "contacts.csv line 3": [("contacts.csv line 3", "intake.contact_with_refused_supplier")],
    }
    assert owner in reports[0].refused[0].problems[0].said("ja")
    assert not owners.scalar("SELECT count(*) FROM supplier WHERE supplier_id = 'K1'")
    assert contacts_of(owners, "K1", "K2") == [("K2", "佐藤", "sato@k2.example.jp", "ja")]
    assert reminders.owner_of(owners, "K2") == "hanako"
    whole = run_import(owners, [("again.csv", data + b"\n")], whole_lists=True)
    assert whole[0].status == "rejected" and whole[0].errors[0].key == "intake.owner_unknown"


def test_importing_the_same_contacts_again_adds_none_twice(owners):
    first = contact_list("K1,株式会社ケイワン,田中,tanaka@k1.example.jp,,", "K1,,Jane,jane@k1.example.com,en,")
    run_import(owners, [("contacts.csv", first)])
    # the same bytes chosen again, and another file naming the same addresses (one in capitals)
    again = intake.analyse(owners, [SourceFile("contacts.csv", first)], again=[SourceFile("x", first).sha256])
    intake.commit(owners, again, mode="per_file", actor=BUYER, today=TODAY)
    second = contact_list("K1,株式会社ケイワン,田中,TANAKA@k1.example.jp,,", "K1,,Ken,ken@k1.example.jp,en,")
    reports = run_import(owners, [("contacts-2.csv", second)])
    assert [w.key for w in reports[0].warnings if w.key == "intake.contacts_known"] == ["intake.contacts_known"]
    assert contacts_of(owners, "K1") == [
        ("K1", "Jane", "jane@k1.example.com", "en"),
        ("K1", "Ken", "ken@k1.example.jp", "en"),
        ("K1", "田中", "tanaka@k1.example.jp", "ja"),
    ]


def test_two_lists_in_one_import_naming_the_same_supplier_add_both_contacts(owners):
    a = contact_list("K1,株式会社ケイワン,田中,tanaka@k1.example.jp,,hanako")
    b = contact_list("K1,株式会社ケイワン,Jane,jane@k1.example.com,en,")
    reports = run_import(owners, [("a.csv", a), ("b.csv", b)], mode="batch")
    assert [r.status for r in reports] == ["imported", "imported"]
    assert [c[2] for c in contacts_of(owners, "K1")] == ["jane@k1.example.com", "tanaka@k1.example.jp"]
    assert reminders.owner_of(owners, "K1") == "hanako"
