"""Requests: decide which ★ to ask of each supplier with the scheme's three questions, follow each
request from draft to achieved, and print the request letters."""

from datetime import timedelta
from functools import partial

import streamlit as st

from dashboards import ui
from dashboards.ui import tr
from registry.errors import MonosashiError
from registry.services import documents, exports, flags, requests, suppliers
from registry.services.requests import LevelRequest
from registry.services.settings import scheme_start

# A choice offers at most this many requests or suppliers (the list's first, by due date): at
# 100,000 suppliers a list of every one is too heavy to send and too long to look through. The
# filters above narrow it, and the step can be applied to every request ready for it at once.
OFFERED = 1000

store = ui.store()
as_of = ui.as_of()

st.title(tr("requests.title"))
st.caption(tr("requests.caption", as_of=as_of.isoformat()))

current = requests.current_requests(store, as_of)
counts = st.columns(len(requests.EFFECTIVE_STATES))
for column, state in zip(counts, requests.EFFECTIVE_STATES, strict=True):
    column.metric(tr(f"request_state.{state}"), f"{current.filter(current['state'] == state).height:,}")

with st.expander(tr("requests.new"), expanded=current.is_empty()):
    supplier_id = ui.supplier_picker(st, tr("requests.supplier"), store, key="request_supplier")
    answers = {
        question: ui.radio(
            st, tr(f"requests.q.{question}"), ["no", "yes"], lambda a: tr(f"answer.{a}"), key=f"rq_{question}"
        )
        == "yes"
        for question in ("holds_confidential_info", "outage_delays_buyer", "reaches_buyer_network")
    }
    recommended = requests.recommend(**answers)
    st.info(tr("requests.recommended", level=recommended))
    st.caption(tr("requests.questions.source"))
    form = st.columns(3)
    level = int(
        form[0].radio(tr("col.requested_level"), ["3", "4"], index=recommended - 3, key="rq_level", horizontal=True)
    )
    requested_on = form[1].date_input(tr("col.requested_on"), value=as_of, key="rq_requested_on", format="YYYY-MM-DD")
    due_on = form[2].date_input(
        tr("col.due_on"), value=as_of + timedelta(days=365), key="rq_due_on", format="YYYY-MM-DD"
    )
    start = scheme_start(store)
    if due_on < start:
        st.warning(tr("requests.before_scheme", start=start.isoformat()))
    reason = st.text_input(tr("requests.reason"), key="rq_reason", help=tr("requests.reason.help"))
    if st.button(
        tr("requests.save"), type="primary", key="rq_save", disabled=not supplier_id or not ui.allowed("add_request")
    ):
        try:
            request = LevelRequest(
                request_id=requests.new_request_id(supplier_id, requested_on),
                supplier_id=supplier_id,
                requested_level=level,
                requested_on=requested_on,
                due_on=due_on,
                reason=reason or None,
                decided_by=ui.actor().name,
                **answers,
            )
            requests.save_request(store, request, ui.actor())
        except (ValueError, MonosashiError) as exc:
            st.error(ui.error_text(exc))
        else:
            ui.refresh_flags(store, [supplier_id])
            st.success(tr("requests.saved", supplier=supplier_id, level=level))
            current = requests.current_requests(store, as_of)

if current.is_empty():
    st.info(tr("requests.empty"))
    st.stop()

filters = st.columns(3)
states = ui.multiselect(
    filters[0], tr("col.state"), list(requests.EFFECTIVE_STATES), lambda s: tr(f"request_state.{s}"), key="rq_states"
)
tiers = ui.multiselect(
    filters[1],
    tr("col.tier"),
    sorted(t for t in current["tier"].unique() if t is not None),
    lambda t: tr("tier.label", tier=t),
    key="rq_tiers",
)
search = filters[2].text_input(tr("requests.search"), key="rq_search", placeholder=tr("app.supplier_search"))
shown = current
if states:
    shown = shown.filter(shown["state"].is_in(states))
if tiers:
    shown = shown.filter(shown["tier"].is_in(tiers))
shown = suppliers.about_suppliers_named(shown, search)
columns = [
    "request_id",
    "supplier_id",
    "name",
    "tier",
    "requested_level",
    "recommended_level",
    "requested_on",
    "due_on",
    "days_to_due",
    "state",
    "held_level",
    "sent_on",
    "acknowledged_on",
    "reason",
    "decided_by",
]
table = ui.held_levels_labelled(
    ui.labelled(flags.with_check_overdue(store, shown.select(columns)), state="request_state")
)
ui.table(table)
ui.downloads(shown.select(columns), "requests", as_of)

st.subheader(tr("requests.progress"))
step = ui.radio(st, tr("requests.step"), ["sent", "acknowledged"], lambda s: tr(f"request_state.{s}"), key="rq_step")
ready = shown.filter(shown["stored_state"] == ("draft" if step == "sent" else "sent"))
offered = ready.head(OFFERED)
labels = dict(zip(offered["request_id"], offered["supplier_id"] + " " + offered["name"], strict=True))
every_ready = st.checkbox(
    tr("requests.all_ready", n=ready.height), key=f"rq_progress_all_{step}", disabled=ready.is_empty()
)
if every_ready:
    chosen = ready["request_id"].to_list()
else:
    chosen = st.multiselect(
        tr("requests.choose", n=ready.height),
        list(labels),
        format_func=lambda r: f"{r} — {labels[r]}",
        key=f"rq_progress_{step}",
        placeholder=tr("app.choose"),
    )
    if ready.height > OFFERED:
        st.caption(tr("requests.offered", limit=OFFERED, n=ready.height))
on = st.date_input(tr("requests.on"), value=as_of, key="rq_on", format="YYYY-MM-DD")
if st.button(tr("requests.mark", state=tr(f"request_state.{step}"), n=len(chosen)), key="rq_mark", disabled=not chosen):
    try:
        changed = requests.set_request_state(store, chosen, step, on, ui.actor())
    except MonosashiError as exc:
        st.error(ui.error_text(exc))
    else:
        ui.refresh_flags(store, ready.filter(ready["request_id"].is_in(chosen))["supplier_id"].to_list())
        st.success(tr("requests.marked", n=changed, state=tr(f"request_state.{step}")))

st.subheader(tr("requests.letters"))
st.caption(tr("requests.letters.caption"))
buyer = store.setting("buyer.name") or tr("requests.buyer.default")
contact = store.setting("buyer.contact") or ""
addressees = shown.head(OFFERED)
names = dict(zip(addressees["supplier_id"], addressees["name"], strict=True))
recipients = st.multiselect(
    tr("requests.letters.for"),
    list(names),
    format_func=lambda s: f"{s} {names.get(s, '')}",
    key="rq_letters",
    placeholder=tr("app.choose"),
    max_selections=200,
)
if shown.height > OFFERED:
    st.caption(tr("requests.offered", limit=OFFERED, n=shown.height))
# The letters are written when the button is clicked, not on every run of the page.
if len(recipients) == 1:
    st.download_button(
        tr("requests.letter.download"),
        partial(documents.request_letter_xlsx, store, as_of, recipients[0], buyer_name=buyer, contact=contact),
        file_name=f"request-{recipients[0]}.xlsx",
        key="rq_letter_one",
    )
elif recipients:
    st.download_button(
        tr("requests.letters.download", n=len(recipients)),
        partial(documents.request_letters_zip, store, as_of, recipients, buyer_name=buyer, contact=contact),
        file_name=f"requests-{as_of}.zip",
        mime="application/zip",
        key="rq_letter_zip",
    )

st.subheader(tr("requests.bulk"))
st.caption(tr("requests.bulk.caption"))
st.download_button(
    tr("requests.bulk.template"),
    partial(exports.to_csv, requests.request_list_example(current.head(3))),
    file_name="request-list.csv",
    mime="text/csv",
    key="rq_template",
)
ui.link(st, "dashboards/pages/imports.py", tr("requests.bulk.import"), ":material/upload_file:")
