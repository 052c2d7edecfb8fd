"""What every page shares: the registry store, the language switch, the as-of date, texts."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from dashboards.i18n import LANGUAGES, t
from importers.container import Limits
from questionnaires.catalogue import Catalogue, CatalogueDataError, load_catalogue
from questionnaires.crosswalks import Crosswalk, load_crosswalk_text
from questionnaires.policy import parse_policy
from registry import access, clock
from registry.config import resolve_db_path
from registry.errors import MonosashiError
from registry.services import flags, intake, neutralise, renewals, supply_chain
from registry.services.maintenance import ensure_ready
from registry.store import Store, certificates, private_files, submissions, suppliers
from registry.store.audit import revision
from registry.store.suppliers import supplier_choices

__all__ = [
    "as_of",
    "catalogue",
    "certificate_history",
    "columns",
    "crosswalk_columns",
    "crosswalk_entries",
    "crosswalk_from_rows",
    "downloads",
    "labelled",
    "lang",
    "language_switch",
    "multiselect",
    "percent",
    "policy_from_rows",
    "radio",
    "refresh_flags",
    "run",
    "store",
    "tr",
    "tr_text",
]


def lang() -> str:
    return st.session_state.get("lang", "ja")


class Markdown(str):
    """A text safe to show in an element that renders Markdown: a UI text whose values were
    escaped (:func:`tr`), or text escaped by :func:`plain`. ``plain`` leaves it as it is, so it is
    never escaped twice."""


def tr(key: str, **values: object) -> str:
    """The UI text of ``key`` in the session's language, for elements that render Markdown (every
    label, title, caption and message box): the values filled in are escaped (:func:`plain`), so
    a supplier's name or a file's text shows as written and never as a link, image or format."""
    if not values:
        return t(key, lang())
    return Markdown(t(key, lang(), **{name: plain(value) for name, value in values.items()}))


def tr_text(key: str, **values: object) -> str:
    """The UI text of ``key`` with its values as they are, for what shows text as text: plotly
    figures (dashboards/figures.py escapes their HTML), selectbox and multiselect options,
    ``st.text``, exception messages. Never for an element that renders Markdown."""
    return t(key, lang(), **values)


def _db_argument() -> str | None:
    """``streamlit run app.py -- --db FILE`` passes the database after ``--``."""
    args = sys.argv[1:]
    if "--db" in args and args.index("--db") + 1 < len(args):
        return args[args.index("--db") + 1]
    return None


@st.cache_resource(show_spinner=False)
def _open_store(path: str, demo_suppliers: int, today: date) -> Store:
    private_files()
    store = Store(Path(path))
    ensure_ready(store, demo_suppliers, today)
    flags.ensure_current(store, today)  # the daily derivation (this resource is cached per day)
    load_catalogue()  # fail here, once, if a catalogue data file is broken
    return store


def store() -> Store:
    """The registry of this app (created, migrated and demo-filled on first start)."""
    path = resolve_db_path(_db_argument())
    demo = int(os.environ.get("MONOSASHI_DEMO_SUPPLIERS", "500"))
    try:
        return _open_store(str(path), demo, clock.today())
    except (MonosashiError, CatalogueDataError) as exc:
        st.error(f"{tr('app.error')}: {plain(str(exc))}")
        st.stop()
        raise  # st.stop() ends the script run; this line is never reached


def catalogue(version: str | None = None) -> Catalogue:
    """The catalogue of ``version`` (default: the one in force), or an error box if its data file is broken."""
    try:
        return load_catalogue(version) if version else load_catalogue()
    except CatalogueDataError as exc:
        st.error(f"{tr('app.error')}: {plain(str(exc))}")
        st.stop()
        raise


def run(pages: list[st.Page]) -> None:
    """Run the chosen page; a registry error (locked file, broken data) becomes an error box."""
    try:
        # One page render is one unit of work: its reads share one open database file.
        with store().held_open():
            st.navigation(pages).run()
    except access.AccessDenied as exc:
        st.error(f"{tr('app.denied')}: {plain(str(exc))}")
    except (MonosashiError, CatalogueDataError) as exc:
        st.error(f"{tr('app.error')}: {plain(str(exc))}")


def language_switch() -> None:
    """The 日本語 / English switch in the sidebar, remembered for the session."""
    st.session_state.setdefault("lang", "ja")
    st.sidebar.radio(
        t("app.language", lang()), options=list(LANGUAGES), format_func=LANGUAGES.get, key="lang", horizontal=True
    )


def as_of() -> date:
    """The as-of date chosen in the sidebar (today by default)."""
    return st.sidebar.date_input(tr("app.as_of"), value=clock.today(), key="as_of", format="YYYY-MM-DD")


def columns(frame: pl.DataFrame, labels: dict[str, str] | None = None) -> dict[str, object]:
    """Column settings for ``st.dataframe``: UI labels (``col.<name>`` texts unless given) and
    dates shown as YYYY-MM-DD."""
    config: dict[str, object] = {}
    for name, dtype in frame.schema.items():
        label = (labels or {}).get(name) or tr(f"col.{name}")
        if dtype == pl.Date:
            config[name] = st.column_config.DateColumn(label, format="YYYY-MM-DD")
        else:
            config[name] = label
    return config


def radio(container: Any, label: str, options: list[Any], format_func: Callable[[Any], str], key: str) -> Any:
    """A radio whose option labels follow the language and whose choice survives a switch.

    Streamlit's browser side forgets a selection when option labels change, so the widget key
    carries the language, the widget's options are the labels themselves, and the chosen value
    lives in its own session key.
    """
    by_label = {format_func(option): option for option in options}
    widget_key = f"{key}.{lang()}"
    if st.session_state.get(widget_key) not in by_label:  # first show in this language
        current = st.session_state.get(key, options[0])
        st.session_state[widget_key] = format_func(current if current in options else options[0])
    chosen = container.radio(label, list(by_label), key=widget_key)
    st.session_state[key] = by_label[chosen]
    return by_label[chosen]


def multiselect(
    container: Any, label: str, options: list[Any], format_func: Callable[[Any], str], key: str
) -> list[Any]:
    """A multiselect with language-following labels; the choice survives a language switch."""
    by_label = {format_func(option): option for option in options}
    widget_key = f"{key}.{lang()}"
    if widget_key not in st.session_state:  # first show in this language
        st.session_state[widget_key] = [format_func(v) for v in st.session_state.get(key, []) if v in options]
    chosen = container.multiselect(label, list(by_label), key=widget_key, placeholder=tr("app.choose"))
    st.session_state[key] = [by_label[c] for c in chosen if c in by_label]
    return st.session_state[key]


def chart(figure: Any, caption_key: str) -> None:
    """A plotly figure across its column, with the caption that says what it counts."""
    st.plotly_chart(figure, width="stretch")
    st.caption(tr(caption_key))


def actor() -> access.Actor:
    """Who is acting: the signed-in person (every write they make is checked against their role)."""
    who = st.session_state.get("principal")
    if who is None and single_user():
        who = access.Actor.person("local", "admin", via="single-user")
    if who is None:  # pages only run for a signed-in person; this is a programming error
        raise access.AccessDenied("nobody is signed in")
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
            st.error(plain(str(exc)))
            if st.session_state.get("principal") is None:
                return None
    if st.session_state.get("principal") is not None:
        try:
            st.session_state["principal"] = access.session_actor(store, st.session_state["principal"])
        except access.AccessDenied as exc:  # the session ends here; the way in is shown again
            ended = st.session_state.pop("principal")
            st.error(plain(str(exc)))
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
            st.error(plain(str(exc)))
            return None
        st.rerun()
    return None


def account_box(who: access.Actor) -> None:
    """Who is signed in, with their role, and the way out."""
    if single_user():
        st.sidebar.caption(tr("signin.single_user"))
        return
    st.sidebar.caption(tr("signin.as", user=who.name, role=tr(f"role.{who.role}")))
    if st.sidebar.button(tr("signin.signout"), key="signout"):
        st.session_state.pop("principal", None)
        if who.via == "oidc":
            st.logout()
        st.rerun()


def allowed(action: str) -> bool:
    """Whether the signed-in person may make this write (to grey out what they cannot do)."""
    return access.allowed(actor(), action)


def supplier_picker(container: Any, label: str, store: Store, *, key: str, optional: bool = False) -> str | None:
    """Pick a supplier by typing part of its ID, name or corporate number (works at 100,000)."""
    search = container.text_input(label, key=f"{key}.search", placeholder=tr("app.supplier_search"))
    choices = supplier_choices(store, search or "", limit=50)
    options = ([None] if optional else []) + choices["supplier_id"].to_list()
    names = dict(choices.iter_rows())
    if not options:
        container.caption(tr("app.no_supplier_found"))
        return None
    return container.selectbox(
        label,
        options,
        format_func=lambda s: tr("import.supplier.auto") if s is None else f"{s} {names.get(s, '')}",
        key=f"{key}.{search}",
        label_visibility="collapsed",
    )


def framework_names(profiles: dict[str, Any]) -> dict[str, str]:
    """Framework IDs a template can be made for, with their names in the session's language."""
    names = {"scs": tr("templates.framework.scs"), "ipa_5min": tr("templates.framework.ipa_5min")}
    names.update({p.framework_id: p.title_ja if lang() == "ja" else p.title_en for p in profiles.values()})
    return names


@st.cache_data(show_spinner=False, max_entries=8, hash_funcs={Store: lambda s: str(s.path)})
def cached_analysis(
    store: Store,
    files: list[tuple[str, bytes]],
    supplier_id: str | None,
    profile: str | None,
    limits: Limits,
    portal: bool = False,
) -> list[Any]:
    """The analysis of an upload (read-only), kept while the same files and options are shown."""
    return fresh_analysis(store, files, supplier_id, profile, limits, portal)


def fresh_analysis(
    store: Store,
    files: list[tuple[str, bytes]],
    supplier_id: str | None,
    profile: str | None,
    limits: Limits,
    portal: bool = False,
) -> list[Any]:
    """Analyse again right before writing, so that the write sees the registry as it is now. In
    the portal only answer files are read, and only the supplier's own."""
    return intake.analyse(
        store,
        intake.sources_from_uploads(files, limits),
        supplier_id=supplier_id,
        profile=profile,
        limits=limits,
        formats=intake.QUESTIONNAIRE_FORMATS if portal else None,
        strict_supplier=portal,
        today=clock.today(),
    )


def category_names(catalogue: Catalogue) -> dict[int, str]:
    """The 7 SCS categories by number, in the session's language."""
    return {c.no: f"{c.no} {c.name_ja if lang() == 'ja' else c.name_en}" for c in catalogue.data.categories}


@st.cache_data(show_spinner=False, max_entries=4, hash_funcs={Store: lambda s: str(s.path)})
def _readiness(store: Store, as_of: date, revision: int) -> Any:
    from registry.services import dashboard

    return dashboard.readiness_board(store, as_of)


def cached_readiness(store: Store, as_of: date) -> Any:
    """Every supplier's readiness and category scores, recomputed only when the registry changed."""
    return _readiness(store, as_of, revision(store))


def crosswalk_entries(crosswalk: Crosswalk) -> pl.DataFrame:
    """A crosswalk's entries as an editable table."""
    return pl.DataFrame(
        [e.model_dump() for e in crosswalk.entries],
        schema={
            "source": pl.String,
            "target": pl.String,
            "relationship": pl.String,
            "strength": pl.Float64,
            "rationale": pl.String,
            "source_level": pl.String,
        },
    )


def crosswalk_columns() -> dict[str, object]:
    return {
        "source": st.column_config.TextColumn(tr("crosswalks.col.source"), required=True),
        "target": st.column_config.TextColumn(tr("crosswalks.col.target"), required=True),
        "relationship": st.column_config.SelectboxColumn(
            tr("crosswalks.col.relationship"), options=["equal", "subset", "superset", "intersect"], required=True
        ),
        "strength": st.column_config.NumberColumn(
            tr("crosswalks.col.strength"), min_value=0.0, max_value=1.0, step=0.05, required=True
        ),
        "rationale": st.column_config.TextColumn(tr("crosswalks.col.rationale"), required=True),
        "source_level": st.column_config.TextColumn(tr("crosswalks.col.source_level")),
    }


def crosswalk_from_rows(crosswalk: Crosswalk, rows: Any, profiles: dict[str, Any]) -> Crosswalk:
    """The crosswalk with the edited rows, validated like a file (raises CrosswalkError)."""
    frame = rows if isinstance(rows, pl.DataFrame) else pl.from_pandas(rows)
    doc = crosswalk.model_dump(mode="json")
    doc["entries"] = [
        {k: v for k, v in r.items() if not (k == "source_level" and v is None)}
        for r in frame.drop_nulls(["source", "target"]).to_dicts()
    ]
    return load_crosswalk_text(json.dumps(doc, ensure_ascii=False), f"crosswalk {crosswalk.id} (edited)", profiles)


def timeline_rows(certificates: pl.DataFrame, due: pl.DataFrame, limit: int = 60) -> pl.DataFrame:
    """The certificates to draw: those needing attention first, then the rest, at most ``limit``
    suppliers (a timeline of thousands of rows helps no one)."""
    suppliers = due["supplier_id"].unique(maintain_order=True).to_list()
    suppliers += [
        s for s in certificates["supplier_id"].unique(maintain_order=True).to_list() if s not in set(suppliers)
    ]
    return certificates.filter(pl.col("supplier_id").is_in(suppliers[:limit]))


def policy_from_rows(policy: Any, rows: Any, windows: str) -> Any:
    """The validity policy with the edited rules and windows, validated (raises CatalogueDataError
    or ValueError saying what is wrong)."""
    frame = rows if isinstance(rows, pl.DataFrame) else pl.from_pandas(rows)
    try:
        days = [int(w) for w in windows.replace("、", ",").split(",") if w.strip()]
    except ValueError:
        raise ValueError(tr_text("settings.windows.bad", value=windows)) from None
    doc = policy.model_dump(mode="json")
    doc["expiring_windows_days"] = days
    for row in frame.to_dicts():
        scheme = row.pop("scheme")
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
        history.select("scheme", "registration_no", "issued_on", "expires_on", "state", "days_left", "issuer", "scope"),
        scheme="scheme",
        state="state",
    )
    st.dataframe(shown, hide_index=True, width="stretch", column_config=columns(shown))
    downloads(history.drop("certificate_id"), f"certificates_{supplier_id}", as_of)
    for row in certificates.certificate_files(store, supplier_id).iter_rows(named=True):
        content = submissions.file_content(store, row["sha256"])
        if content is not None:
            st.download_button(
                tr("certificates.download", file=row["file_name"], certificate=row["certificate_id"]),
                content,
                file_name=neutralise.download_name(row["file_name"]),
                mime=row["media_type"],
                key=f"cert_file_{row['certificate_id']}_{row['sha256'][:12]}",
            )


def claims(store: Store, supplier_id: str) -> None:
    """Certificates the supplier entered that no buyer has confirmed: they count for nothing yet.
    A buyer confirms or rejects them here; the supplier sees that they wait."""
    waiting = certificates.unconfirmed(store, supplier_id)
    if waiting.is_empty():
        return
    st.warning(tr("certificates.claims", n=waiting.height))
    shown = labelled(
        waiting.select("certificate_id", "scheme", "registration_no", "issued_on", "expires_on", "issuer", "added_by"),
        scheme="scheme",
    )
    st.dataframe(shown, hide_index=True, width="stretch", column_config=columns(shown))
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
                done = certificates.confirm(store, chosen, accept, actor())
            except MonosashiError as exc:
                st.error(plain(str(exc)))
            else:
                refresh_flags(store, [supplier_id])
                st.success(tr(f"certificates.claims.{key}ed", n=done))
                st.rerun()


@st.cache_data(show_spinner=False, max_entries=4, hash_funcs={Store: lambda s: str(s.path)})
def _coverage(store: Store, as_of: date, revision: int) -> pl.DataFrame:
    return supply_chain.supplier_coverage(store, as_of)


def cached_coverage(store: Store, as_of: date) -> pl.DataFrame:
    """Every supplier's tier, required ★ and coverage, recomputed only when the registry changed."""
    return _coverage(store, as_of, revision(store))


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


def labelled(frame: pl.DataFrame, **columns: str) -> pl.DataFrame:
    """Replace codes by their UI texts: ``labelled(df, scheme="scheme")`` maps each value v of
    column ``scheme`` to the text of key ``scheme.v``."""
    return frame.with_columns(
        pl.col(col).replace_strict(
            {v: tr(f"{prefix}.{v}") for v in frame[col].unique().to_list()}, return_dtype=pl.String
        )
        for col, prefix in columns.items()
    )


def downloads(frame: pl.DataFrame, name: str, as_of: date) -> None:
    """Excel and CSV (UTF-8 with BOM) downloads of a list, formulas neutralised."""
    from registry.services import exports

    # The files are made when the button is clicked, not on every run of the page.
    buttons = st.columns(2)
    buttons[0].download_button(
        tr("export.excel"),
        lambda: exports.to_excel(frame, name),
        file_name=f"{name}_{as_of}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{name}_xlsx",
    )
    buttons[1].download_button(
        tr("export.csv"),
        lambda: exports.to_csv(frame),
        file_name=f"{name}_{as_of}.csv",
        mime="text/csv",
        key=f"{name}_csv",
    )


def refresh_flags(store: Store, suppliers: list[str] | None = None) -> None:
    """Re-derive the flags after a change the page made (of these suppliers, or all), as of today:
    stored flags always describe the present, whatever date the sidebar shows."""
    from registry.services import flags

    flags.refresh(store, clock.today(), suppliers, actor=actor())


def delta(now: int, before: int) -> str | None:
    """A metric's change as Streamlit shows it (``+3``), or None when nothing changed."""
    return None if now == before else f"{now - before:+,}"


def delta_points(now: float | None, before: float | None) -> str | None:
    """The change of a share, in percentage points."""
    if now is None or before is None or round(100 * now) == round(100 * before):
        return None
    return tr_text("app.points", n=f"{100 * (now - before):+.0f}")  # a number: Streamlit reads its sign


def link(container: Any, page: str, label: str, icon: str, query_params: dict[str, str] | None = None) -> None:
    """A link to another page, shown only to those whose role may open it."""
    if access.page_allowed(actor(), page.rsplit("/", 1)[-1].removesuffix(".py")):
        container.page_link(page, label=label, icon=icon, query_params=query_params)


def links(page: str, targets: list[tuple[str, dict[str, str]]]) -> None:
    """A row of links to ``page`` with query parameters: the list behind a chart."""
    for column, (label, params) in zip(st.columns(max(1, len(targets))), targets, strict=False):
        link(column, page, label, ":material/arrow_forward:", params)


def chart_with_drilldown(figure: Any, caption_key: str, key: str) -> list[Any] | None:
    """A chart whose bars can be clicked: returns the clicked bar's customdata (else None)."""
    event = st.plotly_chart(figure, width="stretch", key=key, on_select="rerun", selection_mode="points")
    st.caption(tr(caption_key))
    points = getattr(getattr(event, "selection", None), "points", None) or []
    data = points[0].get("customdata") if points else None
    return list(data) if data else None


@st.cache_data(show_spinner=False, max_entries=4, hash_funcs={Store: lambda s: str(s.path)})
def _board(store: Store, as_of: date, revision: int) -> Any:
    from registry.services import dashboard

    return dashboard.board(store, as_of)


def cached_board(store: Store, as_of: date) -> Any:
    """The Overview's data, recomputed only when the registry changed (or the date)."""
    return _board(store, as_of, revision(store))


@st.cache_data(show_spinner=False, max_entries=4, hash_funcs={Store: lambda s: str(s.path)})
def _facets(store: Store, revision: int) -> dict[str, list[Any]]:
    return suppliers.facets(store)


def cached_facets(store: Store) -> dict[str, list[Any]]:
    """The values the directory's filters offer (tiers, industries)."""
    return _facets(store, revision(store))


def severity_labels(values: pl.Series) -> pl.Series:
    """Flag severities as UI texts (empty where there is none)."""
    return values.replace_strict({s: tr(f"severity.{s}") for s in ("critical", "warning", "info")}, default=None)


def evidence_kind_labels(values: pl.Series) -> pl.Series:
    """Kinds of deciding evidence as UI texts ('—' where nothing decides)."""
    kinds = ("certified", "self_assessment", "migrated", "crosswalk", "certificate")
    return values.cast(pl.String).replace_strict({k: tr(f"evidence.{k}") for k in kinds}, default="—")


@st.cache_data(show_spinner=False, max_entries=32, hash_funcs={Store: lambda s: str(s.path)})
def _supplier_page(store: Store, as_of: date, supplier_id: str, revision: int) -> Any:
    from registry.services import dashboard

    return dashboard.supplier_page(store, as_of, supplier_id)


def cached_supplier_page(store: Store, as_of: date, supplier_id: str) -> Any:
    """The Supplier page's data, recomputed only when the registry changed (or the date)."""
    return _supplier_page(store, as_of, supplier_id, revision(store))


def import_labels(summary: pl.DataFrame, profiles: dict[str, Any]) -> pl.DataFrame:
    """The import summary with formats and questionnaires named in the session's language."""
    from importers import IMPORTERS

    formats = {i.NAME: tr(f"format.{i.NAME}") for i in IMPORTERS}
    frameworks = framework_names(profiles)
    return summary.with_columns(
        pl.col("format").replace_strict(formats, default=pl.col("format"), return_dtype=pl.String),
        pl.col("framework").replace_strict(frameworks, default=pl.col("framework"), return_dtype=pl.String),
    )


def certificate_form(store: Store, as_of: date, supplier_id: str, *, key: str) -> None:
    """Add a certificate of ``supplier_id`` by hand or from its PDF: the fields are proposed from
    the PDF's text and confirmed by the person, the file is kept unaltered (audited, role-checked)."""
    from pydantic import ValidationError

    from importers.base import SourceFile, SourceFileError
    from importers.certificate_pdf import CertificateProposal
    from importers.certificate_pdf import parse as read_certificate_pdf
    from questionnaires.policy import SCHEMES
    from registry.domain.models import Certificate
    from registry.store import certificates

    if not allowed("add_certificate"):
        st.caption(tr("app.read_only"))
        return
    upload = st.file_uploader(tr("certificates.file"), type=["pdf", "png", "jpg", "jpeg"], key=f"{key}_file")
    proposal = CertificateProposal(source_name="", sha256="")
    if upload is not None and upload.name.lower().endswith(".pdf"):
        try:
            proposal = read_certificate_pdf(SourceFile(upload.name, upload.getvalue()))
        except SourceFileError as exc:
            st.warning(f"{plain(str(exc))} — {tr('certificates.manual')}")
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
            saved = certificates.add_certificate(store, certificate, attached, actor=actor())
        except ValidationError as exc:
            st.error(plain("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())))
        except MonosashiError as exc:
            st.error(plain(str(exc)))
        else:
            st.success(
                tr(
                    "certificates.saved.claim" if actor().role == "supplier" else "certificates.saved",
                    certificate=saved,
                )
            )
            st.rerun()


# Every ASCII punctuation character (CommonMark lets each be escaped): links, images, emphasis,
# headings (``===``), entities (``&#x202E;``), Streamlit's ``:colour[...]`` and ``$`` math.
_MARKDOWN = re.compile(r"([!-/:-@\[-`{-~])")


def plain(text: object) -> str:
    """Text from a file or a person, made safe for elements that render Markdown: every Markdown
    and Streamlit directive character is escaped, so it shows as written and never as a link,
    image, colour or HTML. Text already made safe (:class:`Markdown`, what :func:`tr` returns) is
    returned as it is."""
    if isinstance(text, Markdown):
        return text
    return Markdown(_MARKDOWN.sub(r"\\\1", str(text)))


def portal_link(token: str) -> str:
    """The address a supplier opens: this app's address with the invitation token."""
    base = (st.context.url or "").split("?")[0]
    base = base.rsplit("/", 1)[0] if base.count("/") > 2 else base
    return f"{base.rstrip('/') or 'http://localhost:8501'}/?invite={token}"
