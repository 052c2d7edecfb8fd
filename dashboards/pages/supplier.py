"""Supplier: everything about one supplier. Above the tabs its profile and the gap report; then one
tab each for readiness and its history (with who receives its reminders: its contacts and its
owner), the criteria with their evidence, certificates, requests and flags with their workflow,
its subcontractors (tier by tier), and the files it sent."""

import polars as pl
import streamlit as st

from dashboards import figures, ui
from dashboards.ui import tr
from dashboards.ui.forms import contacts_editor
from registry import access
from registry.errors import MonosashiError
from registry.services import (
    contacts,
    documents,
    flags,
    neutralise,
    reminders,
    suppliers,
    supply_chain,
    support,
    yardstick,
)
from registry.services import profiles as profile_service

store = ui.store()
as_of = ui.as_of()
lang = ui.lang()

st.title(tr("supplier.title"))
wanted = st.query_params.get("id")
if wanted and st.session_state.get("supplier_page.linked") != wanted:  # opened from a link: show that supplier
    st.session_state["supplier_page.linked"] = wanted
    st.session_state["supplier_page.search"] = wanted
supplier_id = ui.supplier_picker(st, tr("supplier.choose"), store, key="supplier_page")
if not supplier_id:
    st.info(tr("supplier.none"))
    st.stop()

data = ui.cached_supplier_page(store, as_of, supplier_id)
if data is None:
    st.info(tr("supplier.none"))
    st.stop()
profile, view = data.profile, data.view
st.subheader(ui.plain(f"{profile['name']}（{supplier_id}）"))
ui.link(
    st, "dashboards/pages/imports.py", tr("supplier.go_import"), ":material/upload_file:", {"supplier": supplier_id}
)
facts = st.columns(4)
facts[0].metric(tr("supplier.tier"), tr("tier.label", tier=profile["tier"]) if profile["tier"] else tr("tier.unlinked"))
facts[1].metric(
    tr("supplier.held"),
    ui.held_label(profile["held_level"], data.certificates),
)
facts[2].metric(tr("supplier.requested"), f"★{profile['requested_level']}" if profile["requested_level"] else "—")
facts[3].metric(tr("col.employees"), f"{profile['employees']:,}" if profile["employees"] else "—")
st.caption(
    tr(
        "supplier.profile",
        number=profile["corporate_number"] or "—",
        industry=profile["industry"] or "—",
        prefecture=profile["prefecture"] or "—",
        staff=tr(f"supplier.staff.{profile['has_security_staff']}"),
        far=tr(f"supplier.far.{profile['far_from_it_support']}"),
    )
)
st.download_button(
    tr("supplier.gap_report"),
    lambda: documents.gap_report_xlsx(support.gap(store, as_of, supplier_id, lang=lang), lang),
    file_name=f"gap-{supplier_id}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="supplier_gap_report",
    type="primary",
)

summary_tab, criteria_tab, certificates_tab, requests_tab, network_tab, files_tab = st.tabs(
    [
        tr("supplier.tab.summary"),
        tr("supplier.tab.criteria"),
        tr("supplier.tab.certificates"),
        tr("supplier.tab.requests_flags"),
        tr("supplier.tab.network"),
        tr("supplier.tab.files"),
    ]
)

with summary_tab:
    gauges = st.columns(3)
    for column, level in zip(gauges[:2], (3, 4), strict=True):
        column.plotly_chart(
            figures.readiness_gauge(
                view.readiness[f"star{level}"],
                view.readiness[f"star{level}_partial"],
                ui.tr_text("supplier.readiness", level=level),
            ),
            width="stretch",
        )
    with gauges[2]:
        ui.chart(
            figures.readiness_history_line(
                data.history,
                {
                    "star3": ui.tr_text("supplier.readiness", level=3),
                    "star4": ui.tr_text("supplier.readiness", level=4),
                },
                tr("supplier.history"),
                tr("readiness.axis.readiness"),
            ),
            "supplier.history.caption",
        )
    st.caption(tr("supplier.readiness.caption"))
    if data.self_check:
        st.info(
            tr(
                "supplier.self_check",
                score=data.self_check["score"],
                band=suppliers.self_check_band(int(data.self_check["score"]), lang),
                on=data.self_check["submitted_on"].isoformat(),
            )
        )
    if view.declared_against:
        st.warning(tr("supplier.declared_against", n=view.declared_against))
    st.caption(tr("supplier.star_meaning"))

    st.subheader(tr("contacts.title"))
    st.caption(tr("contacts.caption"))
    contacts_editor(store, supplier_id, key=f"supplier_contacts.{supplier_id}")
    if st.button(
        tr("contacts.portal_link"),
        key="supplier_portal_mail",
        help=tr("contacts.portal_link.help"),
        icon=":material/forward_to_inbox:",
        disabled=not ui.allowed("queue_reminder"),
    ):
        try:
            queued = reminders.queue_portal_link(store, supplier_id, as_of, ui.actor())
        except MonosashiError as exc:
            st.error(ui.error_text(exc))
        else:
            st.success(tr("contacts.portal_link.queued", n=queued))
    owners = contacts.owner_choices(store)
    owner = contacts.owner_of(store, supplier_id)
    if owners.is_empty() and owner is None:
        st.caption(tr("contacts.owner.no_accounts"))
    else:
        owner_names = dict(owners.select("user_id", pl.col("display_name").fill_null(pl.col("user_id"))).iter_rows())
        if owner is not None and owner not in owner_names:  # a disabled account still owns it
            owner_names[owner] = owner
        owner_labels = {u: u if name == u else f"{name}（{u}）" for u, name in owner_names.items()}
        owner_labels[None] = ui.tr_text("contacts.owner.none")
        choices = [None, *owner_names]
        pick = st.columns([3, 1], vertical_alignment="bottom")
        chosen = pick[0].selectbox(
            tr("contacts.owner"),
            choices,
            index=choices.index(owner),
            format_func=owner_labels.get,
            help=tr("contacts.owner.help"),
            key=f"supplier_owner.{supplier_id}.{lang}",  # the "no owner" label is in the language
        )
        if pick[1].button(
            tr("contacts.owner.save"),
            key="supplier_owner_save",
            disabled=not ui.allowed("set_owner") or chosen == owner,
        ):
            try:
                contacts.set_owner(store, [supplier_id], chosen, ui.actor())
            except MonosashiError as exc:
                st.error(ui.error_text(exc))
            else:
                said = tr("contacts.owner.saved", owner=owner_names[chosen]) if chosen else tr("contacts.owner.cleared")
                st.success(said)

with criteria_tab:
    st.subheader(tr("supplier.criteria"))
    level = int(
        ui.radio(st, tr("catalogue.level"), ["3", "4"], lambda lv: tr(f"catalogue.level.{lv}"), key="supplier_level")
    )
    category_names = ui.category_names(view.catalogue)
    status_names = {s: tr(f"status.{s}") for s in yardstick.STATUS_ORDER}
    ui.chart(
        figures.requirement_matrix(
            view.requirements(level), category_names, status_names, ui.tr_text("supplier.matrix", level=level)
        ),
        "supplier.matrix.caption",
    )
    criteria = view.criteria(level, lang)
    table = ui.labelled(criteria, status="status", declared_status="status").with_columns(
        ui.evidence_kind_labels(criteria["kind"]).alias("kind")
    )
    ui.table(table, key="supplier_criteria_table")
    ui.downloads(criteria, f"criteria_{supplier_id}", as_of)
    criterion = st.selectbox(tr("supplier.explain"), criteria["criterion_id"].to_list(), key="supplier_criterion")
    pieces = yardstick.explain(store, as_of, supplier_id, criterion, lang)
    if not pieces:
        st.write(tr("supplier.no_evidence"))
    for piece in pieces:
        marks = tr("supplier.decides") if piece["decides"] else ""
        marks += tr("supplier.stale") if not piece["fresh"] else ""
        marks += tr("supplier.conflict") if piece["conflict"] else ""
        st.text(f"{marks}{piece['chain']}")

with certificates_tab:
    ui.certificate_history(store, as_of, supplier_id, data.certificates)

with requests_tab:
    st.subheader(tr("supplier.requests"))
    requested = data.requests
    if requested.is_empty():
        st.write(tr("supplier.requests.none"))
    else:
        shown = ui.labelled(
            requested.select(
                "requested_level", "recommended_level", "requested_on", "due_on", "state", "reason", "decided_by"
            ),
            state="request_state",
        )
        ui.table(shown)
        ui.downloads(requested, f"requests_{supplier_id}", as_of)
    ui.link(st, "dashboards/pages/requests.py", tr("supplier.requests.go"), ":material/outgoing_mail:")

    st.subheader(tr("supplier.flags"))
    own = data.flags
    if own.is_empty():
        st.write(tr("supplier.flags.none"))
    else:
        shown = ui.labelled(
            own.with_columns(reason=own["reason" if lang == "ja" else "reason_en"]).select(
                "flag_id", "severity", pl.col("kind").alias("flag_kind"), "reason", "state", "first_held_on"
            ),
            severity="severity",
            flag_kind="flag_kind",
            state="flag_state",
        )
        ui.table(shown)
        ui.downloads(own, f"flags_{supplier_id}", as_of)
        act = st.columns([3, 2, 3])
        chosen = act[0].multiselect(
            tr("flags.choose"), own["flag_id"].to_list(), key="supplier_flags", placeholder=tr("app.choose")
        )
        action = ui.radio(
            act[1],
            tr("flags.action"),
            ["acknowledged", "resolved", "dismissed"],
            lambda s: tr(f"flag_action.{s}"),
            key="supplier_flag_action",
        )
        note = act[2].text_input(tr("flags.note"), key="supplier_flag_note")
        # the button on its own row: its label ("Apply to 3 flags") is never cut off
        if st.button(tr("flags.apply", n=len(chosen)), key="supplier_flag_apply", disabled=not chosen):
            try:
                flags.set_flag_state(store, chosen, action, ui.actor(), note or None)
            except MonosashiError as exc:
                st.error(ui.error_text(exc))
            else:
                st.success(tr("flags.applied", n=len(chosen), state=tr(f"flag_state.{action}")))

with network_tab:
    st.subheader(tr("chain.sub_network"))
    coverage = ui.cached_coverage(store, as_of)
    outline = supply_chain.sub_network_outline(store, supplier_id, coverage)
    if outline.is_empty():
        st.write(tr("supplier.no_subcontractors"))
    else:
        ui.sub_network_caption(outline)
        names = {c: tr(f"coverage.{c}") for c in supply_chain.COVERAGE}
        per_depth = supply_chain.coverage_by_tier(outline.select(tier="depth", coverage="coverage"))
        depth_label = {d: tr("chain.depth.label", depth=d) for d in per_depth["tier"].to_list()}
        left, _ = st.columns([2, 1])
        with left:
            ui.chart(
                figures.coverage_bar(
                    per_depth,
                    depth_label,
                    names,
                    ui.tr_text("chain.sub_network.by_depth", supplier=supplier_id),
                    tr("overview.axis.suppliers"),
                ),
                "chain.sub_network.by_depth.caption",
            )
        ui.network_outline(outline, key="supplier_outline", as_of=as_of, default_depth=2)
        st.caption(tr("chain.outline.note"))

    proposed = suppliers.proposals(store, supplier_id, state="open")
    if not proposed.is_empty():
        st.subheader(tr("proposals.title", n=proposed.height))
        st.caption(tr("proposals.caption"))
        shown = proposed.select(
            "name", "corporate_number", "supplied", "critical", "child_id", "child_name", "source_name"
        )
        ui.table(
            shown,
            {"name": tr("proposals.col.name"), "child_name": tr("proposals.col.match")},
        )
        labels = {r["proposal_id"]: f"{r['name']} ({r['source_name']})" for r in proposed.iter_rows(named=True)}
        chosen = st.multiselect(
            tr("proposals.which"),
            list(labels),
            format_func=labels.get,
            key="proposals_which",
            placeholder=tr("app.choose"),
        )
        may = bool(chosen) and ui.allowed("resolve_proposal")
        act = st.columns(3)
        into = ui.supplier_picker(act[1], tr("proposals.into"), store, key="proposals_into")
        decision = None
        if act[0].button(tr("proposals.confirm"), key="proposals_confirm", disabled=not may, type="primary"):
            decision = "confirm"
        if act[1].button(tr("proposals.merge"), key="proposals_merge", disabled=not may or not into):
            decision = "merge"
        if act[2].button(tr("proposals.reject"), key="proposals_reject", disabled=not may):
            decision = "reject"
        if decision:
            try:
                done = suppliers.resolve_proposals(store, chosen, decision, ui.actor(), into=into)
            except MonosashiError as exc:
                st.error(ui.error_text(exc))
            else:
                ui.refresh_flags(store, [supplier_id])
                st.success(tr(f"proposals.done.{decision}", n=done))
                st.rerun()

with files_tab:
    st.subheader(tr("supplier.raw", n=data.submissions.height))
    if data.submissions.is_empty():
        st.write(tr("supplier.raw.none"))
    questionnaires = (
        ui.framework_names(profile_service.mapping_profiles(store)) if not data.submissions.is_empty() else {}
    )
    for row in data.submissions.iter_rows(named=True):
        content = suppliers.file_content(store, row["sha256"])
        label = tr(
            "supplier.raw.file",
            file=row["source_name"],
            framework=questionnaires.get(row["framework_id"], row["framework_id"]),
            on=row["submitted_on"].isoformat(),
            current=tr("supplier.raw.current") if row["current"] else "",
        )
        if content is None:
            st.caption(tr("supplier.raw.not_kept", label=label))
        else:
            st.download_button(
                label,
                content,
                file_name=neutralise.download_name(row["source_name"]),
                key=f"raw_{row['submission_id']}",
            )

    st.subheader(tr("portal.invitations"))
    st.caption(tr("portal.invitations.caption"))
    invite = st.columns([1, 2])
    days = invite[0].number_input(tr("portal.days"), 1, 365, 30, key="portal_days")
    if invite[1].button(tr("portal.create"), key="portal_create", disabled=not ui.allowed("invite_created")):
        try:
            made = access.create_invitation(store, supplier_id, ui.actor(), int(days))
        except MonosashiError as exc:
            st.error(ui.error_text(exc))
        else:
            st.success(tr("portal.created", until=f"{made.expires_at:%Y-%m-%d}"))
            st.code(ui.portal_link(made.token), language=None)
    links = access.invitations(store, supplier_id)
    if not links.is_empty():
        ui.table(links)
        open_links = links.filter(pl.col("revoked_at").is_null())["invitation"].to_list()
        if open_links:
            revoke = st.columns([2, 1])
            chosen_link = revoke[0].selectbox(tr("portal.revoke.which"), open_links, key="portal_revoke_which")
            if revoke[1].button(tr("portal.revoke"), key="portal_revoke", disabled=not ui.allowed("invite_revoked")):
                access.revoke_invitation(store, chosen_link, ui.actor())
                st.rerun()
