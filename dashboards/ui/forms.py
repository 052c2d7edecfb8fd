"""Forms and editors that write: certificates (by hand, from a PDF, claims awaiting confirmation),
crosswalk and validity-policy editors, a supplier's contacts (Supplier page and portal)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import polars as pl
import streamlit as st
from pydantic import ValidationError

from dashboards.i18n import LANGUAGES, t
from dashboards.ui.session import actor, allowed, refresh_flags
from dashboards.ui.text import error_text, labelled, lang, tr, tr_text
from dashboards.ui.widgets import downloads, table
from registry import clock
from registry.errors import MonosashiError
from registry.services import neutralise, renewals
from registry.services.certificates import (
    SCHEMES,
    Certificate,
    CertificateProposal,
    add_certificate,
    certificate_files,
    confirm,
    read_certificate_pdf,
    record_yearly_check,
    unconfirmed,
    yearly_checks,
)
from registry.services.contacts import SupplierContact, contacts, replace_contacts
from registry.services.crosswalks import Crosswalk, load_crosswalk_text
from registry.services.intake import SourceFile, SourceFileError, validation_said
from registry.services.maintenance import Store
from registry.services.settings import parse_policy, scheme_start
from registry.services.suppliers import file_content

__all__ = [
    "certificate_form",
    "certificate_history",
    "claims",
    "contacts_editor",
    "contacts_from_rows",
    "crosswalk_columns",
    "crosswalk_entries",
    "crosswalk_from_rows",
    "policy_from_rows",
    "yearly_check_form",
]


# The editor shows one rationale, in the reader's language; these hidden columns keep both stored
# texts as they were, so that saving changes only the one the reader edited.
_STORED = ("stored_rationale", "stored_rationale_ja")


def crosswalk_entries(crosswalk: Crosswalk, language: str | None = None) -> pl.DataFrame:
    """A crosswalk's entries as an editable table, the rationale in the reader's language: in
    Japanese an entry's ``rationale_ja`` (its English one where it has none), in English its
    ``rationale``. The stored texts ride along in hidden columns (:func:`crosswalk_from_rows`)."""
    japanese = (language or lang()) == "ja"
    return pl.DataFrame(
        [
            {
                "source": e.source,
                "target": e.target,
                "relationship": e.relationship,
                "strength": e.strength,
                "rationale": (e.rationale_ja or e.rationale) if japanese else e.rationale,
                "source_level": e.source_level,
                "stored_rationale": e.rationale,
                "stored_rationale_ja": e.rationale_ja,
            }
            for e in crosswalk.entries
        ],
        schema={
            "source": pl.String,
            "target": pl.String,
            "relationship": pl.String,
            "strength": pl.Float64,
            "rationale": pl.String,
            "source_level": pl.String,
            "stored_rationale": pl.String,
            "stored_rationale_ja": pl.String,
        },
    )


def crosswalk_columns() -> dict[str, object]:
    return {
        "source": st.column_config.TextColumn(tr("crosswalks.col.source"), required=True),
        "target": st.column_config.TextColumn(tr("crosswalks.col.target"), required=True),
        "relationship": st.column_config.SelectboxColumn(
            tr("crosswalks.col.relationship"),
            options=["equal", "subset", "superset", "intersect"],
            format_func=lambda kind: tr(f"relationship.{kind}"),
            required=True,
        ),
        "strength": st.column_config.NumberColumn(
            tr("crosswalks.col.strength"), min_value=0.0, max_value=1.0, step=0.05, required=True
        ),
        "rationale": st.column_config.TextColumn(tr("crosswalks.col.rationale"), required=True),
        "source_level": st.column_config.TextColumn(tr("crosswalks.col.source_level")),
        **dict.fromkeys(_STORED),  # hidden: the stored texts, for saving
    }


def crosswalk_from_rows(
    crosswalk: Crosswalk, rows: Any, profiles: dict[str, Any], language: str | None = None
) -> Crosswalk:
    """The crosswalk with the edited rows, validated like a file (raises CrosswalkError).

    The rationale column holds the reader's language (:func:`crosswalk_entries`): an edit made in
    Japanese goes to ``rationale_ja`` and keeps the English ``rationale``, one made in English the
    reverse; a rationale shown but not edited leaves both as they were. A new row typed in Japanese
    gets its text as the English rationale too, since every entry needs one."""
    japanese = (language or lang()) == "ja"
    frame = rows if isinstance(rows, pl.DataFrame) else pl.from_pandas(rows)
    doc = crosswalk.model_dump(mode="json")
    entries = []
    for row in frame.drop_nulls(["source", "target"]).to_dicts():
        shown = row.pop("rationale", None) or None  # an emptied cell is no text
        english, japanese_text = (row.pop(name, None) for name in _STORED)
        if not japanese:
            english = shown
        elif shown != (japanese_text or english):  # edited, or a new row
            japanese_text = shown
            english = english or shown
        row |= {"rationale": english, "rationale_ja": japanese_text}
        entries.append({k: v for k, v in row.items() if not (k in ("source_level", "rationale_ja") and v is None)})
    doc["entries"] = entries
    return load_crosswalk_text(json.dumps(doc, ensure_ascii=False), f"crosswalk {crosswalk.id} (edited)", profiles)


def policy_from_rows(policy: Any, rows: Any, windows: str, scheme_start: date | None = None) -> Any:
    """The validity policy with the edited rules, windows and scheme start, validated (raises
    CatalogueDataError or ValueError saying what is wrong)."""
    frame = rows if isinstance(rows, pl.DataFrame) else pl.from_pandas(rows)
    try:
        days = [int(w) for w in windows.replace("、", ",").split(",") if w.strip()]
    except ValueError:
        raise ValueError(tr_text("settings.windows.bad", value=windows)) from None
    doc = policy.model_dump(mode="json")
    doc["expiring_windows_days"] = days
    if scheme_start is not None:
        doc["scheme_start"] = scheme_start.isoformat()
    for row in frame.to_dicts():
        scheme = row.pop("scheme")
        row.pop("label", None)  # shown only
        # pandas gives NaN for emptied cells and floats for integers
        doc["schemes"][scheme].update(
            {k: None if v != v else (int(v) if isinstance(v, float) else v) for k, v in row.items()}
        )
    return parse_policy(json.dumps(doc, ensure_ascii=False), "settings page")


def certificate_history(store: Store, as_of: date, supplier_id: str, history: pl.DataFrame | None = None) -> None:
    """A supplier's certificates with their state on the date, and its evidence files to download."""
    st.subheader(tr("certificates.history"))
    claims(store, supplier_id)
    history = renewals.certificate_states(store, as_of, supplier_id) if history is None else history
    if history.is_empty():
        st.write(tr("certificates.none"))
        return
    shown = labelled(
        history.select(
            "scheme",
            "registration_no",
            "issued_on",
            "expires_on",
            "state",
            "pre_scheme",
            "days_left",
            "issuer",
            "expert_registration_no",
            "evaluation_body",
            "scope",
        ),
        scheme="scheme",
        state="state",
    )
    table(shown)
    downloads(history.drop("certificate_id"), f"certificates_{supplier_id}", as_of)
    yearly_check_form(store, supplier_id, history)
    for row in certificate_files(store, supplier_id).iter_rows(named=True):
        content = file_content(store, row["sha256"])
        if content is not None:
            st.download_button(
                tr("certificates.download", file=row["file_name"], certificate=row["certificate_id"]),
                content,
                file_name=neutralise.download_name(row["file_name"]),
                mime=row["media_type"],
                key=f"cert_file_{row['certificate_id']}_{row['sha256'][:12]}",
            )


def yearly_check_form(store: Store, supplier_id: str, history: pl.DataFrame) -> None:
    """The ★4 yearly self-assessment goes to the evaluation body, not to the buyer: record the date
    it was submitted (with the receipt, if any), from the portal or by hand; list what is recorded."""
    stars = history.filter(
        (pl.col("scheme") == "scs_star4") & ~pl.col("state").is_in(["expired", "superseded", "not_yet_valid"])
    )
    recorded = yearly_checks(store, supplier_id)
    if stars.is_empty() and recorded.is_empty():
        return
    st.markdown(f"**{tr('yearly.title')}**")
    st.caption(tr("yearly.caption"))
    if not recorded.is_empty():
        table = recorded.select("registration_no", "submitted_on", "receipt_name", "via", "recorded_by")
        table = labelled(table, via="yearly.via")
        table(table)
    if stars.is_empty() or not allowed("record_yearly_check"):
        return
    with st.form(f"yearly_{supplier_id}"):
        numbers = dict(stars.select("certificate_id", "registration_no").iter_rows())
        cols = st.columns(3)
        chosen = cols[0].selectbox(
            tr("col.registration_no"), list(numbers), format_func=lambda c: str(numbers.get(c) or c)
        )
        submitted_on = cols[1].date_input(tr("yearly.submitted_on"), value=clock.today(), format="YYYY-MM-DD")
        receipt = cols[2].file_uploader(tr("yearly.receipt"), type=["pdf", "png", "jpg", "jpeg"])
        saved = st.form_submit_button(tr("yearly.save"), type="primary")
    if saved:
        attached = (receipt.name, receipt.getvalue(), receipt.type or "application/octet-stream") if receipt else None
        via = "portal" if actor().role == "supplier" else "hand"
        try:
            record_yearly_check(store, chosen, submitted_on, attached, via=via, actor=actor())
        except MonosashiError as exc:
            st.error(error_text(exc))
        else:
            refresh_flags(store, [supplier_id])
            st.success(tr("yearly.saved", on=submitted_on.isoformat()))


def claims(store: Store, supplier_id: str) -> None:
    """Certificates the supplier entered that no buyer has confirmed: they count for nothing yet.
    A buyer confirms or rejects them here; the supplier sees that they wait."""
    waiting = unconfirmed(store, supplier_id)
    if waiting.is_empty():
        return
    st.warning(tr("certificates.claims", n=waiting.height))
    shown = labelled(
        waiting.select("certificate_id", "scheme", "registration_no", "issued_on", "expires_on", "issuer", "added_by"),
        scheme="scheme",
    )
    table(shown)
    if not allowed("confirm_certificate"):
        return
    chosen = st.multiselect(
        tr("certificates.claims.which"),
        waiting["certificate_id"].to_list(),
        key=f"claims_{supplier_id}",
        placeholder=tr("app.choose"),
    )
    act = st.columns(2)
    for column, accept, key in ((act[0], True, "confirm"), (act[1], False, "reject")):
        if column.button(tr(f"certificates.claims.{key}"), key=f"claims_{key}_{supplier_id}", disabled=not chosen):
            try:
                done = confirm(store, chosen, accept, actor())
            except MonosashiError as exc:
                st.error(error_text(exc))
            else:
                refresh_flags(store, [supplier_id])
                st.success(tr(f"certificates.claims.{key}ed", n=done))
                st.rerun()


def certificate_form(store: Store, as_of: date, supplier_id: str, *, key: str) -> None:
    """Add a certificate of ``supplier_id`` by hand or from its PDF: the fields are proposed from
    the PDF's text and confirmed by the person, the file is kept unaltered (audited, role-checked)."""

    if not allowed("add_certificate"):
        st.caption(tr("app.read_only"))
        return
    if "certificate_pre_scheme" in st.session_state:  # said after the rerun that follows a save
        st.warning(tr("certificates.pre_scheme", start=st.session_state.pop("certificate_pre_scheme")))
    upload = st.file_uploader(tr("certificates.file"), type=["pdf", "png", "jpg", "jpeg"], key=f"{key}_file")
    proposal = CertificateProposal(source_name="", sha256="")
    if upload is not None and upload.name.lower().endswith(".pdf"):
        try:
            proposal = read_certificate_pdf(SourceFile(upload.name, upload.getvalue()))
        except SourceFileError as exc:
            st.warning(f"{error_text(exc)} — {tr('certificates.manual')}")
        else:
            st.info(tr("certificates.image_only") if proposal.image_only else tr("certificates.proposed"))
    with st.form(f"{key}_form"):
        columns = st.columns(3)
        scheme = columns[0].selectbox(
            tr("col.scheme"),
            SCHEMES,
            index=SCHEMES.index(proposal.scheme) if proposal.scheme else 0,
            format_func=lambda s: tr(f"scheme.{s}"),
        )
        scheme_name = columns[1].text_input(tr("certificates.scheme_name"))
        number = columns[2].text_input(tr("col.registration_no"), value=proposal.registration_no or "")
        dates = st.columns(3)
        issued = dates[0].date_input(tr("col.issued_on"), value=proposal.issued_on or as_of, format="YYYY-MM-DD")
        expires = dates[1].date_input(tr("certificates.expires"), value=proposal.expires_on, format="YYYY-MM-DD")
        issuer = dates[2].text_input(tr("certificates.issuer"), value=proposal.issuer or "")
        scope = st.text_input(tr("certificates.scope"))
        submitted = st.form_submit_button(tr("certificates.save"), type="primary")
    if submitted:
        attached = (
            [(upload.name, upload.getvalue(), upload.type or "application/octet-stream")] if upload is not None else []
        )
        try:
            certificate = Certificate(
                supplier_id=supplier_id,
                scheme=scheme,
                scheme_name=scheme_name or None,
                registration_no=number or None,
                issued_on=issued,
                expires_on=expires,
                issuer=issuer or None,
                scope=scope or None,
            )
            saved = add_certificate(store, certificate, attached, actor=actor())
            start = scheme_start(store)
            if certificate.star_level and certificate.issued_on < start:
                st.session_state["certificate_pre_scheme"] = start.isoformat()
        except ValidationError as exc:
            st.error(error_text(exc))
        except MonosashiError as exc:
            st.error(error_text(exc))
        else:
            st.success(
                tr(
                    "certificates.saved.claim" if actor().role == "supplier" else "certificates.saved",
                    certificate=saved,
                )
            )
            st.rerun()


def _cell(value: Any) -> str:
    """An editor cell as text: a cell left empty (None, or pandas' NaN) is ``""``."""
    return "" if value is None or value != value else str(value).strip()


def _ticked(value: Any) -> bool:
    """An editor checkbox: a cell left empty is not ticked."""
    return value is not None and value == value and bool(value)


def _contact_said(exc: ValidationError) -> str:
    """What is wrong with a contact, in the reader's language; the name is a person's (氏名), not
    a company's as a supplier's name is."""
    company, person = t("field.name", lang()), tr_text("contacts.col.name")
    parts = validation_said(exc, lang()).split("; ")
    return "; ".join(person + part.removeprefix(company) if part.startswith(f"{company}:") else part for part in parts)


def contacts_from_rows(supplier_id: str, rows: Any) -> tuple[list[SupplierContact], list[str]]:
    """The contacts of the edited rows, and what is wrong with the others — each problem naming its
    row (as counted from the top of the list) and what was typed. A row left wholly empty is none."""
    frame = rows if isinstance(rows, pl.DataFrame) else pl.from_pandas(rows)
    wanted: list[SupplierContact] = []
    problems: list[str] = []
    for number, row in enumerate(frame.to_dicts(), 1):
        name, email = _cell(row.get("name")), _cell(row.get("email"))
        if not name and not email:
            continue
        if not email:
            problems.append(tr("contacts.row_problem", row=number, problem=tr_text("contacts.email_missing")))
            continue
        try:
            contact = SupplierContact(
                supplier_id=supplier_id,
                name=name,
                email=email,
                language=_cell(row.get("language")) or "ja",
                opted_out=_ticked(row.get("opted_out")),
            )
        except ValidationError as exc:
            problems.append(tr("contacts.row_problem", row=number, problem=_contact_said(exc)))
        else:
            wanted.append(contact)
    return wanted, problems


def contacts_editor(store: Store, supplier_id: str, *, key: str) -> None:
    """A supplier's contacts as an editable list — name, e-mail, the language of their e-mails,
    opted out — with rows to add and remove, saved as a whole. Each row is checked as it is typed:
    one that is no contact (an e-mail that is no address) is named with what is wrong, and nothing
    is saved until every row is right. Read only for a role that may not change contacts."""
    saved = st.session_state.pop(f"{key}.saved", None)
    if saved is not None:  # said after the rerun that follows a save
        st.success(tr("contacts.saved", n=saved))
    may = allowed("change_contacts")
    rows = contacts(store, supplier_id).select(
        "name", "email", "language", pl.col("opted_out_at").is_not_null().alias("opted_out")
    )
    if rows.is_empty():
        st.caption(tr("contacts.none"))
    round_ = st.session_state.get(f"{key}.round", 0)  # a new editor after each save: its edits are in
    edited = st.data_editor(
        rows,
        key=f"{key}.{round_}",
        num_rows="dynamic" if may else "fixed",
        disabled=not may,
        hide_index=True,
        width="stretch",
        placeholder="—",
        column_config={
            "name": st.column_config.TextColumn(tr("contacts.col.name"), required=True, max_chars=200),
            "email": st.column_config.TextColumn(tr("contacts.col.email"), required=True, max_chars=320),
            "language": st.column_config.SelectboxColumn(
                tr("contacts.col.language"),
                options=list(LANGUAGES),
                format_func=LANGUAGES.get,
                default="ja",
                required=True,
            ),
            "opted_out": st.column_config.CheckboxColumn(
                tr("contacts.col.opted_out"), help=tr("contacts.col.opted_out.help"), default=False
            ),
        },
    )
    wanted, problems = contacts_from_rows(supplier_id, edited) if may else ([], [])
    for problem in problems:
        st.error(problem)
    if problems:
        st.caption(tr("contacts.fix_first"))
    elif not may:
        st.caption(tr("app.read_only"))
    if st.button(tr("contacts.save"), key=f"{key}.save", type="primary", disabled=not may or bool(problems)):
        try:
            done = replace_contacts(store, supplier_id, wanted, actor())
        except (MonosashiError, ValidationError) as exc:
            st.error(error_text(exc))
        else:
            st.session_state[f"{key}.saved"] = done
            st.session_state[f"{key}.round"] = round_ + 1
            st.rerun()
