"""Crosswalks: how each questionnaire maps onto the SCS criteria, what it can speak to at all,
editing a crosswalk here or in Excel; and mapping a checklist no profile knows with the mapping
assistant: its layout read and corrected, up to three criteria proposed per question, reviewed a
page at a time, saved as a profile (a crosswalk in the list above) with its answers imported."""

from typing import Any

import polars as pl
import streamlit as st

from dashboards import figures, ui
from dashboards.ui import tr, tr_text
from registry import clock
from registry.errors import MonosashiError
from registry.services import crosswalks, intake, mapping, yardstick
from registry.services import profiles as profile_service
from registry.services.intake import SourceFile, SourceFileError

store = ui.store()
profiles = profile_service.mapping_profiles(store)
known = crosswalks.effective_crosswalks(store, profiles)
catalogue = yardstick.catalogue_in_force(store)
thresholds = yardstick.settings_from_store(store)

st.title(tr("crosswalks.title"))
st.caption(tr("crosswalks.caption", n=len(known), version=catalogue.version))

titles = {c: known[c].title_ja if ui.lang() == "ja" else known[c].title_en for c in known}
coverage = crosswalks.coverage(known, catalogue, thresholds.min_strength).with_columns(
    questionnaire=pl.col("crosswalk_id").replace_strict(titles, return_dtype=pl.String)
)
ui.chart(
    figures.category_heatmap(coverage, "questionnaire", ui.category_names(catalogue), tr("crosswalks.coverage")),
    "crosswalks.coverage.caption",
)

shown_next = st.session_state.pop("mapping.show", None)  # a profile the assistant just saved
if shown_next in known:
    st.session_state["crosswalk_choice"] = shown_next
chosen = st.selectbox(
    tr("crosswalks.choose"),
    list(known),
    format_func=titles.get,
    key="crosswalk_choice",
)
crosswalk = known[chosen]
st.markdown(
    ui.plain((crosswalk.description_ja or crosswalk.description) if ui.lang() == "ja" else crosswalk.description)
)
entries = ui.crosswalk_entries(crosswalk)  # the rationale in the reader's language
edited = st.data_editor(
    entries,
    hide_index=True,
    width="stretch",
    num_rows="dynamic",
    placeholder="—",
    key=f"crosswalk_editor.{chosen}.{ui.lang()}",
    column_config=ui.crosswalk_columns(),
)
actions = st.columns(3)
if actions[0].button(tr("crosswalks.save"), key="crosswalk_save"):
    try:
        saved = ui.crosswalk_from_rows(crosswalk, edited, profiles)
    except crosswalks.CrosswalkError as exc:
        st.error(ui.error_text(exc))
    else:
        crosswalks.save_user_crosswalk(store, saved, actor=ui.actor())
        st.success(tr("crosswalks.saved", id=saved.id, n=len(saved.entries)))
actions[1].download_button(
    tr("crosswalks.export"),
    crosswalks.to_excel(crosswalk),
    file_name=f"{crosswalk.id}.xlsx",
    key="crosswalk_export",
)
with actions[2].popover(tr("crosswalks.import")):
    upload = st.file_uploader(
        tr("crosswalks.import"), type=["xlsx"], key="crosswalk_upload", label_visibility="collapsed"
    )
    if upload is not None and st.button(tr("crosswalks.import.button"), key="crosswalk_import"):
        try:
            imported = crosswalks.parse_crosswalk_excel(SourceFile(upload.name, upload.getvalue()), profiles)
        except SourceFileError as exc:
            for problem in exc.problems:
                st.error(ui.problem_text(problem))
        else:
            crosswalks.save_user_crosswalk(store, imported, actor=ui.actor())
            st.success(tr("crosswalks.saved", id=imported.id, n=len(imported.entries)))


# -- Map an unknown checklist (the mapping assistant) ---------------------------------------------
def reading(source: SourceFile, digest: str) -> tuple[list, mapping.ChecklistLayout] | None:
    """The checklist's tables and guessed layout, read once per file (or its refusal shown)."""
    kept = st.session_state.get("mapping.read")
    if kept is not None and kept[0] == digest:
        return kept[1], kept[2]
    try:
        with st.spinner(tr("crosswalks.map.reading")):
            tables, guessed = mapping.read_checklist(source)
    except SourceFileError as exc:
        for problem in exc.problems:
            st.error(ui.problem_text(problem))
        return None
    st.session_state["mapping.read"] = (digest, tables, guessed)
    return tables, guessed


def column_choice(
    container: Any, role: str, headers: list[str], guess: int | None, keyed: str, *, optional: bool = False
) -> int:
    """The column (0-based) a person says holds ``role``, by its header; -1 for none."""
    choices = ([-1] if optional else []) + list(range(len(headers)))
    current = guess if guess is not None and guess < len(headers) else choices[0]
    return container.selectbox(
        tr(f"crosswalks.map.{role}"),
        choices,
        index=choices.index(current),
        format_func=lambda c: tr_text("crosswalks.map.no_column") if c < 0 else headers[c],
        key=f"mapping_{role}.{keyed}",
    )


def corrected_layout(tables: list, guessed: mapping.ChecklistLayout, digest: str) -> mapping.ChecklistLayout | None:
    """The guessed layout with the person's corrections: the sheet, then the header row (as people
    count), then the columns, each choice keyed by the ones before it (another sheet starts from
    its own guess)."""
    st.subheader(tr("crosswalks.map.layout"))
    st.caption(tr("crosswalks.map.layout.caption"))
    fields = st.columns(5)
    sheets = [t.sheet for t in tables if t.sheet]
    try:
        layout = guessed
        if sheets:
            sheet = fields[0].selectbox(
                tr("crosswalks.map.sheet"),
                sheets,
                index=sheets.index(guessed.table.sheet),
                key=f"mapping_sheet.{digest}",
            )
            layout = mapping.relayout(tables, guessed, sheet=sheet)
        table = layout.table
        header_row = fields[1].number_input(
            tr("crosswalks.map.header_row"),
            min_value=table.origin[0] + 1,
            max_value=table.origin[0] + len(table.rows),
            value=table.origin[0] + layout.header_row + 1,
            step=1,
            key=f"mapping_header.{digest}.{table.sheet}",
        )
        layout = mapping.relayout(tables, layout, header_row=int(header_row))
        headers = layout.headers
        keyed = f"{digest}.{table.sheet}.{header_row}"
        question = column_choice(fields[2], "question", headers, layout.question, keyed)
        item_id = column_choice(fields[3], "item_id", headers, layout.item_id, keyed, optional=True)
        answer = column_choice(fields[4], "answer", headers, layout.answer, keyed, optional=True)
        return mapping.relayout(tables, layout, question=question, item_id=item_id, answer=answer)
    except SourceFileError as exc:
        for problem in exc.problems:
            st.error(ui.problem_text(problem))
        return None


def proposed(digest: str, layout: mapping.ChecklistLayout, questions: pl.DataFrame) -> pl.DataFrame | None:
    """The review of this file's questions, proposed on the button and kept for the session (its
    IDs and answers follow the columns chosen since; another sheet, header row or question column
    needs new proposals)."""
    basis = (layout.table.sheet, layout.header_row, layout.question)
    kept = st.session_state.get(f"mapping.{digest}.review")
    if st.button(tr("crosswalks.map.propose"), type="primary" if kept is None else "secondary", key="mapping_propose"):
        with st.spinner(tr("crosswalks.map.proposing")):
            kept = (basis, mapping.propose(store, questions))
        st.session_state[f"mapping.{digest}.review"] = kept
        st.session_state[f"mapping.{digest}.round"] = st.session_state.get(f"mapping.{digest}.round", 0) + 1
    if kept is None:
        return None
    if kept[0] != basis:
        st.info(tr("crosswalks.map.stale"))
        return None
    review = ui.mapping.refreshed(kept[1], questions)
    st.session_state[f"mapping.{digest}.review"] = (basis, review)
    return review


def keep(digest: str, review: pl.DataFrame, note: int | None = None) -> None:
    """Keep the review and show it afresh: the editor starts again from what is kept."""
    basis = st.session_state[f"mapping.{digest}.review"][0]
    st.session_state[f"mapping.{digest}.review"] = (basis, review)
    st.session_state[f"mapping.{digest}.round"] = st.session_state.get(f"mapping.{digest}.round", 0) + 1
    if note is not None:
        st.session_state["mapping.accepted"] = note
    st.rerun()


def reviewed(digest: str, review: pl.DataFrame) -> pl.DataFrame:
    """The review table: counts, bulk accept, filters and paging, and the editor of one page,
    whose edits are merged into the whole review by row."""
    st.subheader(tr("crosswalks.map.review"))
    counts = ui.mapping.review_counts(review, mapping.AUTO_ACCEPT)
    for column, (name, value) in zip(st.columns(len(counts)), counts.items(), strict=True):
        column.metric(tr(f"crosswalks.map.metric.{name}", score=f"{mapping.AUTO_ACCEPT:.2f}"), f"{value:,}")
    st.caption(tr("crosswalks.map.review.caption"))
    accepted = st.session_state.pop("mapping.accepted", None)
    if accepted is not None:
        st.success(tr("crosswalks.map.accepted", n=accepted))
    bulk = st.columns([1, 3], vertical_alignment="bottom")
    score = bulk[0].number_input(
        tr("crosswalks.map.accept_score"),
        min_value=0.0,
        max_value=1.0,
        value=mapping.AUTO_ACCEPT,
        step=0.01,
        format="%.2f",
        key=f"mapping_score.{digest}",
    )
    if bulk[1].button(tr("crosswalks.map.accept"), key="mapping_accept"):
        after = mapping.accept_above(review, score)
        newly = int((after["decision"] == "accepted").sum() - (review["decision"] == "accepted").sum())
        keep(digest, after, note=newly)

    filters = st.columns([1, 2, 1], vertical_alignment="bottom")
    unreviewed_only = filters[0].checkbox(tr("crosswalks.map.unreviewed_only"), key="mapping_unreviewed")
    low_only = filters[1].checkbox(tr("crosswalks.map.low_only", score=f"{mapping.AUTO_ACCEPT:.2f}"), key="mapping_low")
    shown = ui.mapping.filtered(review, unreviewed_only=unreviewed_only, low_only=low_only, below=mapping.AUTO_ACCEPT)
    pages = ui.mapping.page_count(shown.height)
    page_key = f"mapping_page.{digest}.{int(unreviewed_only)}{int(low_only)}"
    if st.session_state.get(page_key, 1) > pages:  # rows left the filter: the last page there is
        st.session_state[page_key] = pages
    page = int(filters[2].number_input(tr("crosswalks.map.page"), min_value=1, max_value=pages, step=1, key=page_key))
    rows = ui.mapping.page_rows(shown, page)
    if rows.is_empty():
        st.info(tr("crosswalks.map.page.empty"))
        return review
    first = (page - 1) * ui.mapping.PAGE_ROWS + 1
    st.caption(
        tr(
            "crosswalks.map.page.caption",
            page=page,
            pages=pages,
            total=f"{shown.height:,}",
            first=first,
            last=first + rows.height - 1,
        )
    )
    japanese = ui.lang() == "ja"

    def criterion_said(criterion_id: str) -> str:
        summary = catalogue.criterion_summary(criterion_id, "ja" if japanese else "en")
        return f"{criterion_id} {summary[:40]}{'…' if len(summary) > 40 else ''}"

    round_ = st.session_state.get(f"mapping.{digest}.round", 0)
    edited = st.data_editor(
        rows,
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * rows.height, 600),
        placeholder="—",
        column_config=ui.mapping.review_columns([c.id for c in catalogue.criteria], criterion_said),
        key=f"mapping_editor.{digest}.{round_}.{int(unreviewed_only)}{int(low_only)}.{page}.{ui.lang()}",
    )
    after = ui.mapping.merged(review, edited)
    if not after.equals(review):
        keep(digest, after)
    return review


def answer_meanings(digest: str, layout: mapping.ChecklistLayout, questions: pl.DataFrame) -> dict[str, str]:
    """Each answer label the checklist uses, with the status the person confirms it means (kept
    for the session, so that a language switch keeps what was confirmed)."""
    st.subheader(tr("crosswalks.map.answers"))
    st.caption(tr("crosswalks.map.answers.caption"))
    kept = f"mapping.{digest}.answers.{layout.table.sheet}.{layout.answer}"
    statuses = st.session_state.get(kept) or mapping.answer_statuses(questions["answer"].to_list())
    edited = st.data_editor(
        ui.mapping.answers_frame(statuses),
        hide_index=True,
        placeholder="—",
        column_config=ui.mapping.answer_columns(),
        key=f"mapping_answers.{digest}.{layout.table.sheet}.{layout.answer}.{ui.lang()}",
    )
    st.session_state[kept] = ui.mapping.answers_chosen(edited)
    return st.session_state[kept]


def save_and_import(source: SourceFile, digest: str, reviewed_checklist: mapping.Reviewed) -> None:
    """Save the reviewed checklist as a profile, then import its answers with it (buyers and
    admins); what happened is shown after the page is drawn again, the new profile in the list."""
    st.subheader(tr("crosswalks.map.save"))
    fields = st.columns(3)
    name = fields[0].text_input(
        tr("crosswalks.map.name"),
        value=mapping.suggested_name(source.name, clock.today()),
        help=tr("crosswalks.map.name.help"),
        key=f"mapping_name.{digest}",
    )
    title = fields[1].text_input(
        tr("crosswalks.map.profile_title"), value=source.name.rsplit(".", 1)[0], key=f"mapping_title.{digest}"
    )
    supplier_id = ui.supplier_picker(
        fields[2], tr("crosswalks.map.supplier"), store, key="mapping_supplier", optional=True
    )
    may_save = ui.allowed("add_profile")
    if not may_save:
        st.caption(tr("crosswalks.map.save.viewer"))
    if not st.button(tr("crosswalks.map.save.button"), type="primary", disabled=not may_save, key="mapping_save"):
        return
    if not reviewed_checklist.review["decision"].is_in(["accepted", "changed"]).any():
        st.error(tr("crosswalks.map.nothing_taken"))
        return
    try:
        profile = mapping.save_profile(
            store,
            reviewed_checklist,
            name=mapping.check_profile_name(name.strip()),
            title=title.strip() or name.strip(),
            actor=ui.actor(),
        )
    except (MonosashiError, profile_service.ProfileError) as exc:
        st.error(ui.error_text(exc))
        return
    result: dict[str, object] = {"digest": digest, "profile": profile}
    try:
        with st.spinner(tr("import.writing")):
            result["reports"], result["changes"] = mapping.import_answers(
                store,
                source,
                profile=profile.name,
                supplier_id=supplier_id,
                actor=ui.actor(),
                today=clock.today(),
                lang=ui.lang(),
            )
    except MonosashiError as exc:
        result["failed"] = ui.error_text(exc)
    st.session_state["mapping.result"] = result
    st.session_state["mapping.show"] = f"profile.{profile.name}"  # the crosswalk list shows it
    st.rerun()


def saved_result(digest: str) -> None:
    """What the last save did: the profile, and the import of the answers file by file."""
    result = st.session_state.get("mapping.result")
    if not result or result["digest"] != digest:
        return
    profile = result["profile"]
    mapped = sum(len(item.maps) for item in profile.items)
    st.success(tr("crosswalks.map.saved", name=profile.name, mapped=mapped, title=profile.title_ja))
    if "failed" in result:
        st.error(tr("crosswalks.map.import_failed", reason=result["failed"]))
        return
    reports, changes = result["reports"], result["changes"]
    st.subheader(tr("crosswalks.map.result"))
    imported = sum(r.status == "imported" for r in reports)
    (st.success if imported else st.warning)(tr("import.done", imported=imported, total=len(reports)))
    summary = intake.summary_frame(reports).with_columns(pl.col("format").str.split(":").list.first())
    ui.table(ui.labelled(ui.import_labels(summary, profiles), status="import.status"))
    for report in reports:
        for problem in report.errors:
            st.error(ui.problem_text(problem))
        for problem in report.warnings:
            st.warning(ui.problem_text(problem))
    if not changes.is_empty():
        st.caption(tr("import.changes.caption"))
        ui.table(ui.changes_labelled(changes))
        ui.supplier_links(changes["supplier_id"].to_list(), changes["name"].to_list())


def learned_phrases() -> None:
    """The phrases people accepted, kept as data: how many, and a CSV download."""
    st.subheader(tr("crosswalks.map.learned"))
    count = mapping.learned_phrases(store).height
    st.caption(tr("crosswalks.map.learned.caption", n=f"{count:,}"))
    st.download_button(
        tr("crosswalks.map.learned.download"),
        lambda: mapping.learned_phrases_csv(store),
        file_name=f"learned_phrases_{clock.today()}.csv",
        mime="text/csv",
        disabled=count == 0,
        key="mapping_learned_csv",
    )


st.divider()
st.header(tr("crosswalks.map.title"))
st.caption(tr("crosswalks.map.caption"))
upload = st.file_uploader(tr("crosswalks.map.file"), type=["xlsx", "xlsm", "csv", "tsv", "txt"], key="mapping_file")
if upload is not None:
    checklist = SourceFile(upload.name, upload.getvalue())
    file_digest = checklist.sha256[:16]
    read = reading(checklist, file_digest)
    layout = corrected_layout(*read, file_digest) if read else None
    if layout is not None:
        questions = mapping.questions_of(layout)
        if questions.is_empty():
            st.warning(tr("crosswalks.map.no_questions"))
        else:
            st.caption(tr("crosswalks.map.count", n=f"{questions.height:,}", shown=min(questions.height, 10)))
            ui.table(
                questions.head(10).select("row", "item_id", "question", "answer"),
                labels={c: tr(f"crosswalks.map.col.{c}") for c in ("row", "item_id", "question", "answer")},
            )
            review = proposed(file_digest, layout, questions)
            if review is not None:
                review = reviewed(file_digest, review)
                answers = answer_meanings(file_digest, layout, questions)
                save_and_import(checklist, file_digest, mapping.Reviewed(layout, review, answers))
                saved_result(file_digest)
learned_phrases()
