"""The session: the registry this app works on, who is signed in (and the way in), the language and
the as-of date every page shares."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import streamlit as st

from dashboards.i18n import LANGUAGES, t
from dashboards.ui.text import error_text, lang, tr, tr_text
from registry import access, clock
from registry.config import resolve_db_path
from registry.errors import MonosashiError
from registry.services import contacts, flags
from registry.services.catalogue import Catalogue, CatalogueDataError, load_catalogue
from registry.services.maintenance import Store, open_registry

__all__ = [
    "account_box",
    "actor",
    "allowed",
    "as_of",
    "catalogue",
    "language_switch",
    "refresh_flags",
    "reminder_choice_form",
    "run",
    "sign_in",
    "single_user",
    "store",
]


def _db_argument() -> str | None:
    """``streamlit run app.py -- --db FILE`` passes the database after ``--``."""
    args = sys.argv[1:]
    if "--db" in args and args.index("--db") + 1 < len(args):
        return args[args.index("--db") + 1]
    return None


@st.cache_resource(show_spinner=False)
def _open_store(path: str, demo_suppliers: int, today: date) -> Store:
    return open_registry(Path(path), demo_suppliers, today)  # cached per day: the daily derivation


def store() -> Store:
    """The registry of this app (created, migrated and demo-filled on first start)."""
    path = resolve_db_path(_db_argument())
    demo = int(os.environ.get("MONOSASHI_DEMO_SUPPLIERS", "500"))
    try:
        return _open_store(str(path), demo, clock.today())
    except (MonosashiError, CatalogueDataError) as exc:
        st.error(f"{tr('app.error')}: {error_text(exc)}")
        st.stop()
        raise  # st.stop() ends the script run; this line is never reached


def catalogue(version: str | None = None) -> Catalogue:
    """The catalogue of ``version`` (default: the one in force), or an error box if its data file is broken."""
    try:
        return load_catalogue(version) if version else load_catalogue()
    except CatalogueDataError as exc:
        st.error(f"{tr('app.error')}: {error_text(exc)}")
        st.stop()
        raise


def run(pages: dict[str, list[st.Page]]) -> None:
    """Run the chosen page (the navigation in sections, every page shown); a registry error
    (locked file, broken data) becomes an error box."""
    try:
        # One page render is one unit of work: its reads share one open database file.
        with store().held_open():
            st.navigation(pages, expanded=True).run()
    except access.AccessDenied as exc:
        st.error(f"{tr('app.denied')}: {error_text(exc)}")
    except (MonosashiError, CatalogueDataError) as exc:
        st.error(f"{tr('app.error')}: {error_text(exc)}")


def language_switch() -> None:
    """The 日本語 / English switch in the sidebar, remembered for the session."""
    st.session_state.setdefault("lang", "ja")
    st.sidebar.radio(
        t("app.language", lang()), options=list(LANGUAGES), format_func=LANGUAGES.get, key="lang", horizontal=True
    )


def as_of() -> date:
    """The as-of date chosen in the sidebar (today by default); the choice follows the user from
    page to page (a widget's own state is dropped when another page is shown)."""
    if "as_of" not in st.session_state:
        st.session_state["as_of"] = st.session_state.get("as_of.chosen", clock.today())
    chosen = st.sidebar.date_input(tr("app.as_of"), key="as_of", format="YYYY-MM-DD")
    st.session_state["as_of.chosen"] = chosen
    return chosen


def actor() -> access.Actor:
    """Who is acting: the signed-in person (every write they make is checked against their role)."""
    who = st.session_state.get("principal")
    if who is None and single_user():
        who = access.Actor.person("local", "admin", via="single-user")
    if who is None:  # pages only run for a signed-in person; this is a programming error
        raise access.AccessDenied("access.not_signed_in")
    return who


_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def single_user() -> bool:
    """Whether the app runs in the documented single-user local mode (no sign-in). The mode is
    refused when the server was told to listen on an address others can reach, and to anyone who
    connects from another machine (whatever address the server listens on)."""
    if os.environ.get("MONOSASHI_SINGLE_USER") != "1":
        return False
    address = st.get_option("server.address")
    client = _client()
    if (address and address not in _LOOPBACK) or (client is not None and client not in _LOOPBACK):
        st.error(tr("signin.single_user.exposed", address=address or client or "?"))
        st.stop()
    return True


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, st.errors.StreamlitAPIException, KeyError):
        return False


def _client() -> str | None:
    """The address the person connects from (for sign-in throttling), when Streamlit knows it."""
    try:
        address = getattr(st.context, "ip_address", None)
    except (AttributeError, RuntimeError):
        return None
    return address if isinstance(address, str) else None


def sign_in(store: Store) -> access.Actor | None:
    """The person using the app, signed in by a portal link, the identity provider or a local
    account; None after showing the way in (the caller stops the run). A session already signed
    in is checked again on every run: a disabled account or a revoked link ends it here."""
    if single_user():
        return actor()
    token = st.query_params.get("invite")
    if token:
        del st.query_params["invite"]  # the token leaves the address bar once used
        try:
            st.session_state["principal"] = access.redeem_invitation(store, token, client=_client())
        except access.AccessDenied as exc:  # a bad link changes nothing for whoever is signed in
            st.error(error_text(exc))
            if st.session_state.get("principal") is None:
                return None
    if st.session_state.get("principal") is not None:
        try:
            st.session_state["principal"] = access.session_actor(store, st.session_state["principal"])
        except access.AccessDenied as exc:  # the session ends here; the way in is shown again
            ended = st.session_state.pop("principal")
            st.error(error_text(exc))
            if ended.via == "invitation":
                return None
        else:
            return st.session_state["principal"]
    st.title(tr("signin.title"))
    if _oidc_configured():
        if st.user.get("is_logged_in"):
            found = access.principal_for_email(store, st.user.get("email"), verified=st.user.get("email_verified"))
            if found is None:
                st.error(tr("signin.oidc.unknown", email=st.user.get("email") or "?"))
                st.button(tr("signin.signout"), on_click=st.logout, key="signin_oidc_out")
                return None
            st.session_state["principal"] = found
            st.rerun()
        st.button(tr("signin.oidc"), on_click=st.login, type="primary", key="signin_oidc")
    if access.users(store).is_empty():
        st.info(tr("signin.no_accounts"))
        return None
    with st.form("signin_form"):
        user = st.text_input(tr("signin.user"), key="signin_user")
        password = st.text_input(tr("signin.password"), type="password", key="signin_password")
        submitted = st.form_submit_button(tr("signin.submit"), type="primary")
    if submitted:
        try:
            st.session_state["principal"] = access.authenticate(store, user.strip(), password, client=_client())
        except access.AccessDenied as exc:
            st.error(error_text(exc))
            return None
        st.rerun()
    return None


def account_box(who: access.Actor) -> None:
    """Who is signed in, with their role, and the way out; for a person on the buyer side with an
    account, how they get their reminders ("My reminders")."""
    if single_user():
        st.sidebar.caption(tr("signin.single_user"))
        return
    st.sidebar.caption(tr("signin.as", user=who.name, role=tr(f"role.{who.role}")))
    if who.role in ("admin", "buyer") and who.credential:  # owners of suppliers get digests
        with st.sidebar.popover(tr("contacts.digest.mine"), icon=":material/mail:"):
            st.caption(tr("contacts.digest.mine.caption"))
            reminder_choice_form(store(), who.credential, key="my_reminders")
    if st.sidebar.button(tr("signin.signout"), key="signout"):
        st.session_state.pop("principal", None)
        if who.via == "oidc":
            st.logout()
        st.rerun()


_DIGESTS = ("daily", "weekly")


def reminder_choice_form(store: Store, user_id: str, *, key: str) -> None:
    """How an account gets its reminders: the digest of its suppliers' flags daily or weekly, the
    language of its e-mails, or none at all. Each person changes their own (the account box), an
    admin anyone's (Users page); the store refuses anyone else."""
    choice = contacts.reminder_choice(store, user_id)
    if choice is None:
        return
    done = st.session_state.pop(f"{key}.saved", None)
    if done is not None:  # said after the rerun that follows a save
        st.success(tr("contacts.digest.saved", user=done))
    opted = choice["reminders_opted_out_at"] is not None
    # The stored choice is part of the keys: a choice changed elsewhere (the Users page, the
    # account box) shows as it now is, not as this form last had it; and so is the language,
    # whose labels the options carry.
    keyed = f"{key}.{user_id}.{choice['digest']}.{choice['language']}.{int(opted)}.{lang()}"
    digests = {d: tr_text(f"contacts.digest.{d}") for d in _DIGESTS}  # the labels now, in this language
    with st.form(keyed, border=False):
        digest = st.selectbox(
            tr("contacts.digest.frequency"),
            _DIGESTS,
            index=_DIGESTS.index(choice["digest"]) if choice["digest"] in _DIGESTS else 1,
            format_func=digests.get,
            key=f"{keyed}.digest",
        )
        language = st.selectbox(
            tr("contacts.digest.language"),
            list(LANGUAGES),
            index=list(LANGUAGES).index(choice["language"]) if choice["language"] in LANGUAGES else 0,
            format_func=LANGUAGES.get,
            key=f"{keyed}.language",
        )
        opted_out = st.checkbox(tr("contacts.digest.opted_out"), value=opted, key=f"{keyed}.opted_out")
        if not choice["email"]:
            st.caption(tr("contacts.digest.no_email"))
        saved = st.form_submit_button(tr("contacts.digest.save"), key=f"{key}.{user_id}.save")
    if saved:
        try:
            contacts.set_reminder_choice(
                store, user_id, digest=digest, language=language, opted_out=opted_out, actor=actor()
            )
        except MonosashiError as exc:
            st.error(error_text(exc))
        else:
            st.session_state[f"{key}.saved"] = choice["display_name"] or user_id
            st.rerun()  # the form again, keyed by what is now stored


def allowed(action: str) -> bool:
    """Whether the signed-in person may make this write (to grey out what they cannot do)."""
    return access.allowed(actor(), action)


def refresh_flags(store: Store, suppliers: list[str] | None = None) -> None:
    """Re-derive the flags after a change the page made (of these suppliers, or all), as of today:
    stored flags always describe the present, whatever date the sidebar shows."""

    flags.refresh(store, clock.today(), suppliers, actor=actor())
