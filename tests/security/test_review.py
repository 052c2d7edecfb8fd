"""What the attack review of the first fixes found (issue 14, second round): each a test that failed
on that version. The portal told a supplier about other suppliers' records and took another
supplier's file as its own; held-back files escaped the quota, and so did supplier accounts; one
stray file sank a submission unrecorded; a backup was written before the role was checked;
bidirectional overrides passed; a junk link signed out whoever was signed in; ``monosashi flags``
failed for viewers; answers dated in the future hid later ones."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ADMIN, AS_OF
from security_support import (
    BOB,
    PASSWORDS,
    VERA,
    open_app,
    portal_actor,
    registry_with_accounts,
    sign_in,
    template_declaring,
)
from support import samples

from importers.base import SourceFile
from registry import access
from registry.access.portal import REFUSED_LINKS_PER_CLIENT
from registry.cli import main
from registry.domain.models import Certificate, Supplier
from registry.errors import AccessDenied
from registry.services import intake, neutralise
from registry.services.intake import PORTAL_QUOTA
from registry.store import Store, backup


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return registry_with_accounts(tmp_path / "r.duckdb")


def portal_analyse(store: Store, files: list[SourceFile], supplier_id: str = "S000005") -> list:
    return intake.analyse(
        store, files, supplier_id=supplier_id, formats=intake.QUESTIONNAIRE_FORMATS, strict_supplier=True, today=AS_OF
    )


def test_the_portal_reads_no_list_and_names_no_other_supplier(store):
    lists = [
        SourceFile("master.csv", samples.supplier_master_csv([{"supplier_id": "S000006", "name": "株式会社乗っ取り"}])),
        SourceFile("certs.csv", "取引先ID,制度,登録番号,発行日\nS000002,ISMS,X-1,2025-02-01\n".encode()),
        SourceFile("links.csv", samples.supplier_links_csv([("S000005", "S000041", None, True)])),
    ]
    reports = portal_analyse(store, lists)
    assert [r.status for r in reports] == ["rejected"] * 3
    said = " ".join(p.message + p.location for r in reports for p in r.errors)
    assert "answer files only" in said
    assert not any(f"S{n:06d}" in said for n in range(1, 50) if n != 5)


def test_the_portal_refuses_another_suppliers_filled_template(store):
    theirs = template_declaring("S000001", [])
    [report] = portal_analyse(store, [SourceFile("theirs.xlsx", theirs)])
    assert report.status == "rejected" and "names another supplier" in report.errors[0].message
    ours = template_declaring("S000005", [])
    [report] = portal_analyse(store, [SourceFile("ours.xlsx", ours)])
    assert report.status == "ready"


def test_a_stray_file_is_recorded_and_refused_without_naming_others(store):
    supplier = portal_actor(store, "S000005")
    ours = SourceFile("ours.xlsx", template_declaring("S000005", []))
    stray = SourceFile("junk.xlsx", os.urandom(3000))
    done = intake.commit(store, portal_analyse(store, [ours, stray]), mode="batch", actor=supplier, today=AS_OF)
    assert {r.name: r.status for r in done} == {"ours.xlsx": "rejected", "junk.xlsx": "rejected"}  # all or nothing
    recorded = store.frame("SELECT source_name, supplier_ids FROM import_file WHERE imported_by = ?", [supplier.name])
    assert sorted(recorded["source_name"]) == ["junk.xlsx", "ours.xlsx"]
    assert all(ids == ["S000005"] for ids in recorded["supplier_ids"].to_list())


def test_held_back_files_count_against_the_kept_quota(store):
    supplier = portal_actor(store, "S000005")
    for round_ in range(2):
        files = [
            SourceFile(
                f"t{round_}-{n}.xlsx",
                samples.scs_self_assessment_workbook(answered_on="2026-11-01", seed=100 * round_ + n),
            )
            for n in range(15)
        ]
        files.append(SourceFile(f"junk{round_}.xlsx", os.urandom(2000)))
        intake.commit(store, portal_analyse(store, files), mode="batch", actor=supplier, today=AS_OF)
    kept = store.scalar(
        "SELECT count(*) FROM import_file WHERE via_invitation = ? AND content_kept",
        [f"invitation:{supplier.credential}"],
    )
    assert kept == PORTAL_QUOTA.kept_rejected_files


def test_a_supplier_account_has_the_portal_quota_too(store):
    sam = access.authenticate(store, "sam", PASSWORDS["sam"])
    for n in range(PORTAL_QUOTA.kept_rejected_files + 5):
        reports = portal_analyse(store, [SourceFile(f"junk{n}.xlsx", os.urandom(1000))])
        intake.commit(store, reports, mode="per_file", actor=sam, today=AS_OF)
    assert (
        store.scalar("SELECT count(*) FROM import_file WHERE content_kept AND imported_by = 'sam'")
        == PORTAL_QUOTA.kept_rejected_files
    )


def test_answers_dated_in_the_future_are_refused(store):
    late = samples.scs_self_assessment_workbook(supplier_id="S000003", answered_on="2099-12-31", seed=3)
    [report] = intake.analyse(store, [SourceFile("late.xlsx", late)], today=AS_OF)
    assert report.status == "rejected" and "after today" in report.errors[0].message


def test_a_viewers_backup_writes_nothing(store, tmp_path):
    target = tmp_path / "copy.duckdb"
    with pytest.raises(AccessDenied):
        backup.backup(store, target, actor=VERA)
    assert not target.exists() and not list(tmp_path.glob(".copy.duckdb.*"))


@pytest.mark.parametrize("reordering", ["\u202e", "\u2066", "\u200f"])
def test_text_that_reorders_itself_is_refused(reordering):
    with pytest.raises(ValueError, match="reorders text"):
        Certificate(supplier_id="S1", scheme="iso27001", registration_no=f"IS-2{reordering}", issued_on=AS_OF)
    with pytest.raises(ValueError, match="reorders text"):
        Supplier(supplier_id="S1", name=f"株式会社{reordering}テスト")
    assert Supplier(supplier_id="S1", name="株式会社\u200bテスト").name == "株式会社テスト"  # joiners dropped


def test_download_names_lose_folders_and_reordering():
    assert neutralise.download_name("回答\u202exslx.exe") == "回答xslx.exe"
    assert neutralise.download_name("../../etc/passwd") == "passwd"
    assert neutralise.download_name("...") == "file"


def test_a_junk_link_leaves_whoever_is_signed_in_signed_in(monkeypatch, store):
    at = sign_in(open_app(monkeypatch, store), "bob")
    at.query_params["invite"] = "garbage"
    at.run()
    assert any("このポータルリンクは使えません" in e.value for e in at.error)
    assert at.session_state["principal"].name == "bob"


def test_refused_links_from_one_client_are_throttled(store):
    for n in range(REFUSED_LINKS_PER_CLIENT):
        with pytest.raises(AccessDenied, match="not valid"):
            access.redeem_invitation(store, f"junk-{n}", client="203.0.113.9")
    with pytest.raises(AccessDenied, match="Too many portal links"):
        access.redeem_invitation(store, "junk-more", client="203.0.113.9")
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'invite_refused'") == REFUSED_LINKS_PER_CLIENT


def test_single_user_mode_refuses_a_client_on_another_machine(monkeypatch, store):
    from dashboards.ui import session

    monkeypatch.setattr(session, "_client", lambda: "192.0.2.44")
    monkeypatch.setenv("MONOSASHI_SINGLE_USER", "1")
    monkeypatch.setenv("MONOSASHI_DB", str(store.path))
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60)
    at.run()
    assert any("127.0.0.1" in e.value for e in at.error) and not at.metric


def test_monosashi_flags_works_for_a_viewer(store):
    runner = CliRunner(env={"MONOSASHI_USER": "vera", "MONOSASHI_PASSWORD": PASSWORDS["vera"]})
    result = runner.invoke(main, ["flags", "--json", "--db", str(store.path)])
    assert result.exit_code == 0, result.output
    assert BOB.role == "buyer" and ADMIN.role == "admin"
