"""Users (admins): accounts and their roles — add, disable or enable, set a password — and how
each person on the buyer side gets reminders (their digest, its language, or none). Suppliers
reach the portal by invitation links (Supplier page) or a supplier account."""

import polars as pl
import streamlit as st

from dashboards import ui
from dashboards.ui import tr
from dashboards.ui.session import reminder_choice_form
from registry import access
from registry.errors import MonosashiError

store = ui.store()

st.title(tr("users.title"))
st.caption(tr("users.caption"))
accounts = access.users(store)
table = ui.labelled(accounts, role="role")
ui.table(table)

st.subheader(tr("users.add"))
role_labels = {r: tr(f"role.{r}") for r in access.ROLES}  # the labels now, in this language
with st.form("users_add"):
    columns = st.columns(3)
    user_id = columns[0].text_input(tr("users.user_id"))
    role = columns[1].selectbox(tr("col.role"), list(access.ROLES), format_func=role_labels.get, index=2)
    supplier_id = columns[2].text_input(tr("users.supplier"), help=tr("users.supplier.help"))
    more = st.columns(3)
    display_name = more[0].text_input(tr("users.display_name"))
    email = more[1].text_input(tr("users.email"), help=tr("users.email.help"))
    password = more[2].text_input(tr("signin.password"), type="password", help=tr("users.password.help"))
    if st.form_submit_button(tr("users.create"), type="primary"):
        try:
            access.add_user(
                store,
                user_id.strip(),
                role,
                ui.actor(),
                password=password or None,
                display_name=display_name or None,
                email=email.strip() or None,
                supplier_id=supplier_id.strip() or None,
            )
        except (MonosashiError, ValueError) as exc:
            st.error(ui.error_text(exc))
        else:
            st.success(tr("users.created", user=user_id))
            st.rerun()

if not accounts.is_empty():
    st.subheader(tr("users.change"))
    columns = st.columns([2, 2, 1])
    chosen = columns[0].selectbox(tr("users.user_id"), accounts["user_id"].to_list(), key="users_chosen")
    new_password = columns[1].text_input(tr("users.new_password"), type="password", key="users_new_password")
    if columns[2].button(tr("users.set_password"), key="users_set_password", disabled=not new_password):
        try:
            access.set_password(store, chosen, new_password, ui.actor())
        except MonosashiError as exc:
            st.error(ui.error_text(exc))
        else:
            st.success(tr("users.password_set", user=chosen))
    disabled = accounts.filter(accounts["user_id"] == chosen)["disabled_at"][0] is not None
    if st.button(tr("users.enable" if disabled else "users.disable"), key="users_toggle"):
        access.set_user_disabled(store, chosen, not disabled, ui.actor())
        st.rerun()

people = accounts.filter(pl.col("role").is_in(["admin", "buyer"]))  # owners of suppliers
if not people.is_empty():
    st.subheader(tr("contacts.digest.title"))
    st.caption(tr("contacts.digest.caption"))
    names = dict(people.select("user_id", pl.col("display_name").fill_null(pl.col("user_id"))).iter_rows())
    labels = {u: u if name == u else f"{name}（{u}）" for u, name in names.items()}
    left, _ = st.columns([1, 1])
    with left:
        whose = st.selectbox(
            tr("contacts.digest.account"),
            list(names),
            format_func=labels.get,
            key="users_reminders_whose",
        )
        reminder_choice_form(store, whose, key="users_reminders")
