"""Flags: everything that needs the buyer's attention, each with its reason, severity and
workflow — filter, acknowledge, resolve or dismiss (one or many), export."""

import polars as pl
import streamlit as st

from dashboards import ui
from dashboards.ui import tr
from registry.errors import MonosashiError
from registry.services import flags, suppliers

OFFERED = 300  # flags each choice offers

store = ui.store()
as_of = ui.as_of()
lang = ui.lang()

st.title(tr("flags.title"))
derived_on = store.setting("flags.derived_as_of")
st.caption(tr("flags.caption", derived=derived_on or "—"))
if st.button(
    tr("flags.derive"), key="flags_derive", help=tr("flags.derive.help"), disabled=not ui.allowed("derive_flags")
):
    result = flags.refresh(store, as_of, actor=ui.actor())
    st.success(
        tr("flags.derived", as_of=result.as_of, raised=result.raised, kept=result.still_holding, closed=result.closed)
    )

everything = flags.flags(store)
if everything.is_empty():
    st.info(tr("flags.empty"))
    st.stop()

open_flags = everything.filter(pl.col("state").is_in(["open", "acknowledged"]))
counts = st.columns(4)
for column, severity in zip(counts, flags.SEVERITIES, strict=False):
    column.metric(tr(f"severity.{severity}"), f"{open_flags.filter(pl.col('severity') == severity).height:,}")
counts[3].metric(tr("flags.closed"), f"{everything.height - open_flags.height:,}")

filters = st.columns(4)
st.session_state.setdefault("flag_states", ["open", "acknowledged"])
states = ui.multiselect(
    filters[0], tr("col.state"), list(flags.STATES), lambda s: tr(f"flag_state.{s}"), key="flag_states"
)
kinds = ui.multiselect(filters[1], tr("col.kind"), list(flags.KINDS), lambda k: tr(f"flag_kind.{k}"), key="flag_kinds")
severities = ui.multiselect(
    filters[2], tr("col.severity"), list(flags.SEVERITIES), lambda s: tr(f"severity.{s}"), key="flag_severities"
)
search = filters[3].text_input(tr("flags.search"), key="flag_search", placeholder=tr("app.supplier_search"))
shown = flags.flags(store, states=states, kinds=kinds, severities=severities)
shown = suppliers.about_suppliers_named(shown, search)
columns = [
    "flag_id",
    "severity",
    "kind",
    "supplier_id",
    "name",
    "reason",
    "state",
    "first_held_on",
    "last_held_on",
    "note",
]
table = ui.labelled(
    shown.with_columns(reason=pl.col("reason" if lang == "ja" else "reason_en"))
    .select(columns)
    .rename({"kind": "flag_kind"}),
    severity="severity",
    flag_kind="flag_kind",
    state="flag_state",
)
st.caption(tr("flags.count", n=shown.height))
ui.table(table.head(2000))
ui.downloads(
    shown.select([*columns, "rule_id", "subject", "reason_en", "state_changed_by", "state_changed_at"]), "flags", as_of
)

st.subheader(tr("flags.act"))
action = ui.radio(
    st,
    tr("flags.action"),
    ["acknowledged", "resolved", "dismissed", "open"],
    lambda s: tr(f"flag_action.{s}"),
    key="flag_action",
)
kind_names = {k: tr(f"flag_kind.{k}") for k in flags.KINDS}
# Each choice offers the first flags shown: thousands of options took the browser a second to draw.
labels = {
    row["flag_id"]: f"#{row['flag_id']} {row['supplier_id']} {row['name']} — {kind_names[row['kind']]}"
    for row in shown.head(OFFERED).iter_rows(named=True)
}
if shown.height > OFFERED:
    st.caption(tr("app.options_first", limit=f"{OFFERED:,}", n=f"{shown.height:,}"))
everything_shown = st.checkbox(tr("flags.all_shown", n=shown.height), key="flag_all_shown")
chosen = (
    shown["flag_id"].to_list()
    if everything_shown
    else st.multiselect(
        tr("flags.choose"), list(labels), format_func=labels.get, key="flag_chosen", placeholder=tr("app.choose")
    )
)
note = st.text_input(tr("flags.note"), key="flag_note", help=tr("flags.note.help"))
if st.button(
    tr("flags.apply", n=len(chosen)),
    type="primary",
    key="flag_apply",
    disabled=not chosen or not ui.allowed("flag_acknowledged"),
):
    try:
        changed = flags.set_flag_state(store, chosen, action, ui.actor(), note or None)
    except MonosashiError as exc:
        st.error(ui.error_text(exc))
    else:
        st.success(tr("flags.applied", n=changed, state=tr(f"flag_state.{action}")))

st.subheader(tr("flags.detail"))
if labels:
    picked = st.selectbox(tr("flags.pick"), list(labels), format_func=labels.get, key="flag_detail")
    row = shown.filter(pl.col("flag_id") == picked).row(0, named=True)
    st.markdown(ui.plain(row["reason" if lang == "ja" else "reason_en"]))  # the facts, in words
    history = flags.flag_history(store, picked)
    ui.table(ui.audit_labelled(history, flags.rule_titles(store, lang)))
