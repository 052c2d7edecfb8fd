"""Import: drop supplier files (or a zip), check what was recognised, then write them; the history
of every file received, with rejected files kept in quarantine."""

import streamlit as st

from dashboards import ui
from dashboards.ui import tr
from registry import clock
from registry.services import intake, neutralise, suppliers
from registry.services import profiles as profile_service

store = ui.store()
limits = intake.Limits()

st.title(tr("import.title"))
st.caption(tr("import.caption", mb=limits.max_file_bytes // (1024 * 1024)))

uploads = st.file_uploader(
    tr("import.files"),
    accept_multiple_files=True,
    type=["xlsx", "xlsm", "csv", "tsv", "txt", "json", "zip"],
    key=f"import_files_{st.session_state.get('import_round', 0)}",
)
options = st.columns(3)
supplier_id = ui.supplier_picker(
    options[0],
    tr("import.supplier"),
    store,
    key="import_supplier",
    optional=True,
    preset=st.query_params.get("supplier"),
)
profiles = profile_service.mapping_profiles(store)
profile = options[1].selectbox(
    tr("import.profile"),
    [None, *profiles],
    format_func=lambda p: tr("import.profile.auto") if p is None else profiles[p].title_ja,
    key="import_profile",
)
mode = ui.radio(
    options[2], tr("import.mode"), ["per_file", "batch"], lambda m: tr(f"import.mode.{m}"), key="import_mode"
)

if uploads:
    files = [(u.name, u.getvalue()) for u in uploads]
    whole = mode == "batch"
    again = tuple(sorted(st.session_state.get("import_again", set())))
    # Reading is free of side effects, so it may run on every rerun; writing waits for the button.
    with st.spinner(tr("import.reading")):
        reports = ui.cached_analysis(store, files, supplier_id, profile, limits, whole_lists=whole, again=again)
    summary = ui.import_labels(intake.summary_frame(reports), profiles)
    st.subheader(tr("import.recognised"))
    ui.table(ui.labelled(summary, status="import.status"))
    for report in reports:
        icon = {"ready": ":material/check_circle:", "duplicate": ":material/sync:", "rejected": ":material/block:"}
        with st.expander(
            ui.plain(report.name),
            expanded=report.status != "ready" or bool(report.refused),
            icon=icon.get(report.status),
        ):
            for problem in report.errors:
                st.error(ui.problem_text(problem))
            for problem in report.warnings:
                st.warning(ui.problem_text(problem))
            if report.again or intake.may_import_again(report, supplier_id):
                # the same bytes went to another supplier: the person decides whether they are this one's too
                wanted = st.checkbox(
                    tr("import.again", supplier=supplier_id),
                    value=report.again,
                    key=f"import_again_{report.sha256[:16]}",
                )
                if wanted != report.again:
                    chosen = st.session_state.setdefault("import_again", set())
                    (chosen.add if wanted else chosen.discard)(report.sha256)
                    st.rerun()
            if report.refused:
                st.markdown(tr("import.refused.title", n=len(report.refused), total=len(report.refused) + report.rows))
                ui.table(ui.refused_rows(report.refused))
                if intake.hands_back_refused_rows(report):  # the file is made on the click, not on every run
                    st.download_button(
                        tr("import.refused.download"),
                        lambda report=report: intake.refused_rows_csv(report, ui.lang()),
                        file_name=neutralise.download_name(intake.refused_rows_name(report)),
                        mime="text/csv",
                        key=f"refused_{report.sha256[:16]}",
                    )
            sample = ui.preview_labelled(intake.preview(report))
            if not sample.is_empty():
                ui.table(sample)
    ready = sum(r.status == "ready" for r in reports)
    rejected = sum(r.status == "rejected" for r in reports)
    # As in the CLI, a rejected file is recorded too (the history and its quarantine): the button
    # writes whatever the upload holds, even when nothing in it can be imported.
    label = tr("import.confirm", n=ready) if ready else tr("import.record_rejected", n=rejected)
    if st.button(label, type="primary", disabled=ready + rejected == 0, key="import_confirm"):
        bar = st.progress(0.0, text=tr("import.writing"))
        checked = ui.fresh_analysis(store, files, supplier_id, profile, limits, whole_lists=whole, again=again)
        done, changed = intake.commit_and_compare(
            store,
            checked,
            mode=mode,
            actor=ui.actor(),
            today=clock.today(),
            lang=ui.lang(),
            progress=lambda i, n, name: bar.progress(
                i / max(n, 1), text=ui.plain(name) if name else tr("import.writing")
            ),
        )
        st.session_state["import_result"] = intake.summary_frame(done).to_dicts()
        st.session_state["import_changes"] = changed
        st.session_state["import_flags_deferred"] = any(r.flags_deferred for r in done)
        st.session_state["import_round"] = st.session_state.get("import_round", 0) + 1
        st.session_state.pop("import_again", None)
        st.rerun()

if st.session_state.get("import_result"):
    result = st.session_state["import_result"]
    imported = sum(r["status"] == "imported" for r in result)
    refused_rows = sum(r["refused"] for r in result if r["status"] == "imported")
    st.success(tr("import.done", imported=imported, total=len(result)))
    if refused_rows:
        st.warning(tr("import.done.refused_rows", n=refused_rows))
    if st.session_state.get("import_flags_deferred"):  # written; only the flags after it failed
        st.warning(tr("import.flags_deferred"))
    changed = st.session_state.get("import_changes")
    if changed is not None and not changed.is_empty():
        st.subheader(tr("import.changes.title"))
        st.caption(tr("import.changes.caption"))
        ui.table(ui.changes_labelled(changed))
        ui.supplier_links(changed["supplier_id"].to_list(), changed["name"].to_list())

with st.expander(tr("import.add_profile")):
    st.caption(tr("import.add_profile.help", folder=str(profile_service.profiles_folder(store))))
    profile_file = st.file_uploader(
        tr("import.add_profile"), type=["yaml", "yml"], key="profile_upload", label_visibility="collapsed"
    )
    if profile_file is not None and st.button(tr("import.add_profile.button"), key="profile_add"):
        try:
            added = profile_service.add_profile_text(
                store, profile_file.getvalue().decode("utf-8"), profile_file.name, actor=ui.actor()
            )
        except (profile_service.ProfileError, UnicodeDecodeError) as exc:
            st.error(ui.error_text(exc))
        else:
            st.success(tr("import.add_profile.done", name=added.name, items=len(added.resolved_items())))

st.subheader(tr("import.history"))
status_filter = ui.radio(
    st,
    tr("import.history.filter"),
    ["all", "imported", "rejected"],
    lambda s: tr(f"import.filter.{s}"),
    key="history_filter",
)
history = suppliers.import_history(store, status=None if status_filter == "all" else status_filter)
if history.is_empty():
    st.info(tr("import.history.empty"))
else:
    shown = history.drop("content_kept")
    ui.table(ui.history_labelled(shown, profiles))
    ui.downloads(shown, "import_history", clock.today())
    kept = history.filter(content_kept=True)
    if not kept.is_empty():
        choice = st.selectbox(
            tr("import.download_original"),
            kept["import_id"].to_list(),
            format_func=lambda i: f"#{i} {kept.filter(import_id=i)['source_name'][0]}",
            key="history_download",
        )
        row = kept.filter(import_id=choice).row(0, named=True)
        content = suppliers.file_content(store, row["sha256"])
        if content is not None:
            st.download_button(
                tr("import.download"),
                content,
                file_name=neutralise.download_name(row["source_name"]),
                key="history_download_button",
            )
