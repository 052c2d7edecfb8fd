"""Reminders as e-mail (docs/reminders.md): what goes out on a date, the messages themselves
(Jinja2 templates in the recipient's language, the request letter and gap report attached), and
the run that sends each reminder once — planned as a row, marked ``sending`` before the server
gets it, ``sent`` after — with failures kept pending and retried with back-off.
"""

from __future__ import annotations

import functools
import json
import tomllib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2 import Template as JinjaTemplate
from jinja2.filters import FILTERS as DEFAULT_FILTERS
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from questionnaires.policy import default_policy
from questionnaires.reminders import ReminderPolicy, default_reminder_policy, parse_reminder_policy
from registry import clock
from registry.domain import reminders as rules
from registry.domain.actor import Actor, action_allowed
from registry.errors import AccessDenied, MonosashiError
from registry.messages import render
from registry.services import documents, support
from registry.services.flags import rule_titles
from registry.services.mail import Mailer, SendFailure, smtp_settings
from registry.services.renewals import certificate_states
from registry.store import Store
from registry.store import reminders as stored
from registry.store.requests import current_requests
from registry.store.suppliers import supplier_details

__all__ = [
    "KINDS",
    "PortalLink",
    "RunReport",
    "Template",
    "cancel",
    "check_template",
    "mail_templates",
    "outbox",
    "outgoing",
    "parse_reminder_policy",
    "preview",
    "queue_portal_link",
    "reason_parts",
    "reason_text",
    "reminder_policy",
    "resend",
    "run",
]

KINDS = rules.KINDS
_TEMPLATES = Path(__file__).parents[1] / "messages" / "mail" / "templates.toml"
_XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
_REQUEST_KINDS = ("request_sent", "request_due_soon", "request_overdue")
# A portal link maker: (supplier_id) → (the link, the day it stops working). The pages and the
# CLI hand one in (links are made by registry/access, which services do not import).
PortalLink = Callable[[str], tuple[str, date]]
_MASK = "…"


@dataclass(frozen=True)
class Template:
    """A reminder's subject and body, as Jinja2 text."""

    subject: str
    body: str


@dataclass
class RunReport:
    """What a run did (or, dry, would do): the reminders, by kind and outcome."""

    as_of: date
    dry_run: bool
    # reminder_key, kind, supplier_id, recipient, language, subject, outcome, reason (see reason_parts)
    messages: pl.DataFrame
    planned: int = 0
    stopped: str | None = None  # why the run stopped early (the server out of reach), as a kept reason
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def reminder_policy(store: Store) -> ReminderPolicy:
    """The registry's reminder policy (its ``reminder_policy`` setting), else the shipped one."""
    text = store.setting("reminder_policy")
    return parse_reminder_policy(text, "setting reminder_policy") if text else default_reminder_policy()


@cache
def _default_templates() -> dict[str, dict[str, dict[str, str]]]:
    with _TEMPLATES.open("rb") as fh:
        return tomllib.load(fh)


def mail_templates(store: Store) -> dict[tuple[str, str], Template]:
    """Every (kind, language)'s template: the registry's own (Settings), else the shipped one;
    ("footer", language) ends every message."""
    found: dict[tuple[str, str], Template] = {}
    for kind, languages in _default_templates().items():
        for lang, texts in languages.items():
            own = store.setting(f"mail_template.{kind}.{lang}")
            chosen = json.loads(own) if own else texts
            found[(kind, lang)] = Template(chosen.get("subject", ""), chosen["body"])
    return found


class _MailSandbox(SandboxedEnvironment):
    """Jinja2's sandbox, bounded: templates are edited in Settings and rendered for every message,
    so none may run long or grow large. Multiplication, powers and ``%`` formatting are checked;
    every filter's text result is capped; macros, includes and imports are refused, and loops
    nest two deep at most (docs/reminders.md)."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            raise SecurityError("powers are not allowed in an e-mail template")
        if operator == "*" and any(isinstance(x, str | list | tuple) for x in (left, right)):
            count = right if isinstance(right, int) else left
            if not isinstance(count, int) or count > _MAX_TEXT:
                raise SecurityError("a repeated text is too long")
        result = super().call_binop(context, operator, left, right)
        if isinstance(result, str | list | tuple) and len(result) > _MAX_TEXT:
            raise SecurityError("a text in the template grew too long")
        return result


_MAX_TEXT = 20_000  # characters any one value of a template may reach
_MAX_OUTPUT = 60_000  # characters a rendered template may reach
_MAX_LOOP_DEPTH = 2
_SAFE_FILTERS = (
    "abs",
    "capitalize",
    "count",
    "d",
    "default",
    "first",
    "float",
    "int",
    "join",
    "last",
    "length",
    "list",
    "lower",
    "max",
    "min",
    "replace",
    "reverse",
    "round",
    "sort",
    "string",
    "sum",
    "title",
    "trim",
    "truncate",
    "unique",
    "upper",
)


def _capped(function: Any) -> Any:
    @functools.wraps(function)  # keeps Jinja's markers (pass_context …) on the wrapper
    def capped(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        if isinstance(result, str) and len(result) > _MAX_TEXT:
            raise SecurityError("a filter's result is too long")
        return result

    return capped


_ENV = _MailSandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
_ENV.filters = {name: _capped(DEFAULT_FILTERS[name]) for name in _SAFE_FILTERS}
_ENV.globals = {}  # no range(), lipsum(), cycler(): a loop runs over the reminder's own lists only
_REFUSED_NODES = (nodes.Macro, nodes.CallBlock, nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)


def _loops_deeper_than(node: nodes.Node, limit: int, depth: int = 0) -> bool:
    for child in node.iter_child_nodes():
        inner = depth + isinstance(child, nodes.For)
        if inner > limit or _loops_deeper_than(child, limit, inner):
            return True
    return False


@functools.lru_cache(maxsize=256)
def _compiled(text: str) -> JinjaTemplate:
    tree = _ENV.parse(text)
    if any(True for _ in tree.find_all(_REFUSED_NODES)):
        raise SecurityError("macros, includes and imports are not allowed in an e-mail template")
    if _loops_deeper_than(tree, _MAX_LOOP_DEPTH):
        raise SecurityError("loops may nest two deep at most in an e-mail template")
    return _ENV.from_string(text)


# What an edited template can raise while it renders: Jinja's own errors (syntax, an unknown
# value, something the sandbox refuses) and the arithmetic, lookups and recursion inside it.
_TEMPLATE_ERRORS = (
    TemplateError,
    ArithmeticError,
    LookupError,
    TypeError,
    ValueError,
    AttributeError,
    RecursionError,
    MemoryError,
)


def _render(text: str, context: dict[str, Any]) -> str:
    out: list[str] = []
    size = 0
    for chunk in _compiled(text).generate(context):
        size += len(chunk)
        if size > _MAX_OUTPUT:
            raise SecurityError("the rendered e-mail is too long")
        out.append(chunk)
    return "".join(out)


def check_template(subject: str, body: str, context: dict[str, Any]) -> tuple[str, str]:
    """Render an edited template on a real supplier's facts; refuses (with the error's line) a
    template that does not parse or uses a value the reminder does not have."""
    try:
        return rules.single_line(_render(subject, context), 300), _render(body, context)
    except _TEMPLATE_ERRORS as exc:
        raise MonosashiError(
            "mail.template_invalid", line=getattr(exc, "lineno", None) or "—", error=str(exc)[:200]
        ) from None


# -- what is due -----------------------------------------------------------------------------------
def _owned_flags(store: Store) -> pl.DataFrame:
    flags = stored.owned_flags(store)
    ja, en = rule_titles(store, "ja"), rule_titles(store, "en")
    return flags.with_columns(
        pl.col("rule_id").replace_strict(ja, default=pl.col("rule_id")).alias("title_ja"),
        pl.col("rule_id").replace_strict(en, default=pl.col("rule_id")).alias("title_en"),
    )


def _planned(store: Store, as_of: date) -> pl.DataFrame:
    """Every reminder due on ``as_of`` by the rules, sent before or not."""
    with store.held_open():
        return rules.plan(
            as_of=as_of,
            policy=reminder_policy(store),
            certificates=certificate_states(store, as_of),
            requests=current_requests(store, as_of),
            contacts=stored.contact_recipients(store),
            owners=stored.owner_recipients(store),
            owned_flags=_owned_flags(store),
        )


def _new_rows(planned: pl.DataFrame, store: Store) -> pl.DataFrame:
    known = stored.known_keys(store, planned["reminder_key"].to_list())
    return planned.filter(~pl.col("reminder_key").is_in(list(known)))


# Kinds whose pending reminder must still be due by today's facts when it goes out (a renewal
# recorded, a request met, a later window reached: it is cancelled). A portal link a person asked
# for and an owner's digest of a past day go out as they were planned.
_FACT_KINDS = tuple(k for k in rules.CONTACT_KINDS if k != "portal_link")


def _why_not(store: Store, rows: pl.DataFrame, planned: pl.DataFrame) -> pl.Series:
    """For each row, why it must not go out now (a message key), or null: its recipient opted out
    since it was planned, or what it is about is no longer due today."""
    if rows.is_empty():
        return pl.Series("why_not", [], dtype=pl.String)
    contacts = stored.contact_recipients(store).select(
        pl.col("supplier_id"), pl.col("email").str.to_lowercase().alias("_to"), pl.lit(True).alias("_contact")
    )
    owners = stored.owner_recipients(store).select(
        pl.col("user_id").alias("subject_id"),
        pl.col("email").str.to_lowercase().alias("_to"),
        pl.lit(True).alias("_owner"),
    )
    due_today = planned.select("reminder_key", pl.lit(True).alias("_due"))
    marked = (
        rows.with_columns(pl.col("recipient").str.to_lowercase().alias("_to"))
        .join(contacts, on=["supplier_id", "_to"], how="left", maintain_order="left")
        .join(owners, on=["subject_id", "_to"], how="left", maintain_order="left")
        .join(due_today, on="reminder_key", how="left", maintain_order="left")
    )
    wanted = pl.when(pl.col("kind") == "owner_digest").then(pl.col("_owner")).otherwise(pl.col("_contact"))
    return marked.select(
        pl.when(wanted.is_null())
        .then(pl.lit("mail.opted_out"))
        .when(pl.col("kind").is_in(_FACT_KINDS) & pl.col("_due").is_null())
        .then(pl.lit("mail.no_longer_due"))
        .alias("why_not")
    )["why_not"]


def outgoing(store: Store, as_of: date) -> pl.DataFrame:
    """What a run on ``as_of`` sends now: the reminders newly due and those pending from before
    whose back-off has passed (to recipients who still want them, about what is still due), with
    their subjects."""
    planned = _planned(store, as_of)
    new = _new_rows(planned, store).with_columns(pl.lit(True).alias("new"), pl.lit(0).alias("tries"))
    pending = stored.due_reminders(store, as_of, clock.now())
    pending = pending.select(*rules.PLAN_SCHEMA, "tries").with_columns(pl.lit(False).alias("new"))
    rows = pl.concat([pending, new.select(pending.columns)]).sort("send_on", "kind", "reminder_key")  # as a run goes
    rows = rows.filter(_why_not(store, rows, planned).is_null())
    templates = mail_templates(store)
    context = _common_context(store)
    subjects = [_subject(templates, context, row) for row in rows.iter_rows(named=True)]
    return rows.with_columns(pl.Series("subject", subjects, dtype=pl.String))


# -- the messages ----------------------------------------------------------------------------------
def _common_context(store: Store) -> dict[str, Any]:
    labels = {s: (r.label_ja, r.label_en) for s, r in default_policy().schemes.items()}
    return {
        "buyer_name": store.setting("buyer.name") or "",
        "buyer_contact": store.setting("buyer.contact") or "",
        "_labels": labels,
    }


def _context(common: dict[str, Any], row: dict[str, Any], portal_link: str = "", **extra: Any) -> dict[str, Any]:
    facts = json.loads(row["facts"]) if row["facts"] else {}
    lang = row["language"]
    labels = common["_labels"].get(facts.get("scheme"), ("", ""))
    return {
        **{k: v for k, v in common.items() if not k.startswith("_")},
        **facts,
        "recipient_name": row["recipient_name"] or "",
        "scheme_label": labels[0] if lang == "ja" else labels[1],
        "portal_link": portal_link,
        "link_expires_on": "",
        "omitted": [],
        **extra,
    }


def _subject(templates: dict[tuple[str, str], Template], common: dict[str, Any], row: dict[str, Any]) -> str:
    template = templates[(row["kind"], row["language"])]
    try:
        return rules.single_line(_render(template.subject, _context(common, row, portal_link="…")), 300)
    except _TEMPLATE_ERRORS as exc:  # the list still shows the reminder, saying why it has no subject
        return render("mail.template_invalid", row["language"], {"line": "—", "error": str(exc)[:200]})


@dataclass
class _Composed:
    message: EmailMessage
    subject_kept: str  # the subject and body as recorded: rendered again with the portal link
    body_kept: str  # masked, so that no transformation in a template can keep its token
    attachments: list[str]


def _attachments(store: Store, row: dict[str, Any], as_of: date, policy: ReminderPolicy) -> list[tuple[str, bytes]]:
    if row["kind"] not in _REQUEST_KINDS:
        return []
    facts = json.loads(row["facts"])
    found: list[tuple[str, bytes]] = []
    if row["kind"] == "request_sent":
        letter = documents.request_letter_xlsx(
            store,
            as_of,
            row["supplier_id"],
            buyer_name=store.setting("buyer.name") or "",
            contact=store.setting("buyer.contact") or "",
        )
        found.append((f"★取得のお願い_{facts['request_id']}.xlsx", letter))
    if policy.attach_gap_report:
        report = support.gap(store, as_of, row["supplier_id"], int(facts["requested_level"]), row["language"])
        name = "ギャップレポート" if row["language"] == "ja" else "gap-report"
        found.append((f"{name}_{row['supplier_id']}.xlsx", documents.gap_report_xlsx(report, row["language"])))
    return found


def _compose(
    store: Store,
    row: dict[str, Any],
    as_of: date,
    *,
    sender: str,
    templates: dict[tuple[str, str], Template],
    common: dict[str, Any],
    policy: ReminderPolicy,
    portal_link: PortalLink | None,
) -> _Composed:
    """The message of one reminder, and what of it is recorded."""
    files = _attachments(store, row, as_of, policy)
    limit = policy.max_attachment_kb * 1024
    attached = [(n, b) for n, b in files if len(b) <= limit]
    omitted = [n for n, b in files if len(b) > limit]
    link, expires = "", ""
    if portal_link is not None and row["supplier_id"] and (row["kind"] == "portal_link" or omitted):
        made, until = portal_link(row["supplier_id"])
        link, expires = made, until.isoformat()
    elif row["kind"] == "portal_link":
        raise SendFailure("mail.no_portal_link")
    template = templates[(row["kind"], row["language"])]
    footer = templates[("footer", row["language"])]

    def rendered(with_link: str) -> tuple[str, str]:
        context = _context(common, row, with_link, link_expires_on=expires, omitted=omitted)
        subject = rules.single_line(_render(template.subject, context), 300)
        body = _render(template.body, context).rstrip() + "\n" + _render(footer.body, context).rstrip() + "\n"
        return subject, body

    subject, body = rendered(link)
    kept_subject, kept_body = rendered(link.split("invite=")[0] + "invite=" + _MASK) if link else (subject, body)
    message = EmailMessage(policy=SMTP)
    message["Subject"] = subject
    message["From"] = Address(display_name=rules.display_name(common["buyer_name"] or "Monosashi"), addr_spec=sender)
    message["To"] = Address(display_name=rules.display_name(row["recipient_name"] or ""), addr_spec=row["recipient"])
    message["Date"] = format_datetime(clock.now().astimezone())
    message["Message-ID"] = row["message_id"]
    message["Auto-Submitted"] = "auto-generated"
    message["List-Unsubscribe"] = f"<mailto:{sender}?subject=unsubscribe>"
    message["X-Monosashi-Reminder"] = row["kind"]
    message.set_content(body, charset="utf-8")
    for name, content in attached:
        message.add_attachment(content, maintype=_XLSX[0], subtype=_XLSX[1], filename=name)
    return _Composed(message, kept_subject, kept_body, [n for n, _ in attached])


# -- the run ---------------------------------------------------------------------------------------
def _rows_to_insert(new: pl.DataFrame, actor: Actor, domain: str) -> pl.DataFrame:
    return new.select(*rules.PLAN_SCHEMA).with_columns(
        pl.col("reminder_key")
        .map_elements(lambda k: rules.message_id(k, domain), return_dtype=pl.String)
        .alias("message_id"),
        pl.lit("pending").alias("state"),
        pl.lit(0, pl.Int32).alias("tries"),
        pl.lit(actor.name).alias("created_by"),
    )


def _report(as_of: date, dry_run: bool, rows: list[dict[str, Any]], planned: int, stopped: str | None) -> RunReport:
    frame = pl.DataFrame(
        rows,
        schema={
            "reminder_key": pl.String,
            "kind": pl.String,
            "supplier_id": pl.String,
            "recipient": pl.String,
            "language": pl.String,
            "subject": pl.String,
            "outcome": pl.String,
            "reason": pl.String,
        },
    )
    counts: dict[str, dict[str, int]] = {}
    for (kind, outcome), n in Counter(zip(frame["kind"], frame["outcome"], strict=True)).items():
        counts.setdefault(kind, {})[outcome] = n
    return RunReport(as_of=as_of, dry_run=dry_run, messages=frame, planned=planned, stopped=stopped, counts=counts)


def _reason(exc: MonosashiError) -> str:
    """Why a reminder was not sent, as kept: its message key and parameters (JSON)."""
    return json.dumps({"key": exc.key, "params": {k: str(v) for k, v in exc.params.items()}}, ensure_ascii=False)


def reason_parts(reason: str | None) -> tuple[str, dict[str, str]] | None:
    """A kept reason (:func:`run`'s and the Outbox's) as its message key and parameters."""
    if not reason:
        return None
    found = json.loads(reason)
    return str(found["key"]), dict(found.get("params") or {})


def reason_text(reason: str | None, lang: str) -> str | None:
    """A kept reason as people read it, in ``lang`` (the CLI and the Outbox both show it)."""
    parts = reason_parts(reason)
    return MonosashiError(parts[0], **parts[1]).text(lang) if parts else None


def run(
    store: Store,
    as_of: date,
    *,
    actor: Actor,
    dry_run: bool = False,
    mailer: Mailer | None = None,
    portal_link: PortalLink | None = None,
) -> RunReport:
    """Send what is due on ``as_of``: plan the new reminders as rows, then send every pending one
    whose time has come, each at most once. ``dry_run`` lists exactly that and writes nothing.
    Without ``mailer`` the registry's SMTP settings are used; none set: nothing is sent."""
    if dry_run:
        going = outgoing(store, as_of)
        rows = [
            {
                **{k: r[k] for k in ("reminder_key", "kind", "supplier_id", "recipient", "language", "subject")},
                "outcome": "would_send",
                "reason": None,
            }
            for r in going.iter_rows(named=True)
        ]
        return _report(as_of, True, rows, int(going["new"].sum()), None)
    if not action_allowed(actor, "run_reminders"):  # before anything is sent, not after
        raise AccessDenied(
            "access.action_denied",
            actor=actor.name,
            role_label=f"role.{actor.role}",
            action_label="audit.action.run_reminders",
        )
    if as_of > clock.today():  # what is sent is recorded as done: a day ahead would be lost on its day
        raise MonosashiError("mail.as_of_future", as_of=as_of.isoformat(), today=clock.today().isoformat())
    settings = smtp_settings(store)
    if mailer is None:
        if settings is None:
            raise MonosashiError("mail.not_configured")
        mailer = Mailer(settings)
    sender = mailer.settings.sender
    system = Actor.system("remind", on_behalf_of=None if actor.is_system else actor)
    due_today = _planned(store, as_of)
    new = _new_rows(due_today, store)
    planned = stored.insert_reminders(store, _rows_to_insert(new, system, sender.rsplit("@", 1)[-1]), system)
    due = stored.due_reminders(store, as_of, clock.now())
    why_not = _why_not(store, due, due_today)
    policy = reminder_policy(store)
    templates = mail_templates(store)
    common = _common_context(store)
    outcomes: list[dict[str, Any]] = []
    stopped: str | None = None
    # The file is not held open across the loop: the server's waits must not lock the app out.
    with mailer:
        for row, not_now in zip(due.iter_rows(named=True), why_not, strict=True):
            shown = {k: row[k] for k in ("reminder_key", "kind", "supplier_id", "recipient", "language")}
            if not_now is not None:
                reason = _reason(MonosashiError(not_now))
                stored.set_reminder_state(
                    store,
                    row["reminder_key"],
                    system,
                    expect=("pending",),
                    fields={"state": "cancelled", "last_error": reason},
                )
                outcomes.append({**shown, "subject": row["subject"], "outcome": "cancelled", "reason": reason})
                continue
            # Taken before anything else (a portal link made, the server asked): only from the
            # state and try count this run read, so two runs at once never both take it.
            tries = int(row["tries"]) + 1
            if not stored.set_reminder_state(
                store,
                row["reminder_key"],
                system,
                expect=("pending",),
                tries_before=int(row["tries"]),
                fields={"state": "sending", "tries": tries},
            ):
                continue  # another run took it
            try:
                with store.held_open():
                    composed = _compose(
                        store,
                        row,
                        as_of,
                        sender=sender,
                        templates=templates,
                        common=common,
                        policy=policy,
                        portal_link=portal_link,
                    )
            except (MonosashiError, *_TEMPLATE_ERRORS) as exc:
                failure = exc if isinstance(exc, MonosashiError) else _template_failure(exc)
                _failed(store, row, tries, policy, failure, system, expect=("sending",))
                outcomes.append({**shown, "subject": None, "outcome": "failed", "reason": _reason(failure)})
                continue
            try:
                mailer.send(composed.message)
            except SendFailure as exc:
                if exc.ambiguous:  # the server may have it: left `sending`, for a person to check
                    stored.set_reminder_state(
                        store, row["reminder_key"], system, expect=("sending",), fields={"last_error": _reason(exc)}
                    )
                else:
                    _failed(store, row, tries - exc.temporary, policy, exc, system, expect=("sending",))
                outcomes.append(
                    {**shown, "subject": composed.subject_kept, "outcome": "failed", "reason": _reason(exc)}
                )
                if exc.whole_run:
                    stopped = _reason(exc)
                    break
                continue
            # It went out: recorded as sent whatever a person did to the row meanwhile.
            stored.set_reminder_state(
                store,
                row["reminder_key"],
                system,
                expect=("sending", "pending", "cancelled"),
                fields={
                    "state": "sent",
                    "sent_at": clock.now(),
                    "subject": composed.subject_kept,
                    "body": composed.body_kept,
                    "attachments": ", ".join(composed.attachments) or None,
                    "last_error": None,
                    "next_try_at": None,
                },
            )
            outcomes.append({**shown, "subject": composed.subject_kept, "outcome": "sent", "reason": None})
    report = _report(as_of, False, outcomes, planned, stopped)
    if outcomes or planned:
        stored.record_run(
            store,
            actor if not actor.is_system else system,
            as_of,
            {"planned": planned, "counts": report.counts, "stopped": stopped},
        )
    return report


def _template_failure(exc: BaseException) -> MonosashiError:
    return MonosashiError("mail.template_invalid", line=getattr(exc, "lineno", None) or "—", error=str(exc)[:200])


def _failed(
    store: Store,
    row: dict[str, Any],
    tries: int,
    policy: ReminderPolicy,
    exc: MonosashiError,
    system: Actor,
    expect: Sequence[str] = ("pending",),
) -> None:
    """Keep a reminder the server did not take pending, with the reason and when to try again;
    after the policy's last try, failed."""
    gives_up = tries >= policy.max_tries
    stored.set_reminder_state(
        store,
        row["reminder_key"],
        system,
        expect=expect,
        fields={
            "state": "failed" if gives_up else "pending",
            "tries": tries,
            "last_error": _reason(exc),
            "next_try_at": None if gives_up else rules.next_try(clock.now(), tries),
        },
    )


# -- what people do on the Outbox page ---------------------------------------------------------------
def queue_portal_link(store: Store, supplier_id: str, as_of: date, actor: Actor, domain: str = "") -> int:
    """Queue a fresh portal link to each of the supplier's contacts (sent by the next run, or at once
    from the Outbox); the link itself is made when the message is sent."""
    contacts = stored.contact_recipients(store).filter(pl.col("supplier_id") == supplier_id)
    if contacts.is_empty():
        raise MonosashiError("contact.none", supplier_id=supplier_id)
    stamp = clock.now().strftime("%Y%m%dT%H%M%S%f")
    settings = smtp_settings(store)
    domain = domain or (settings.sender.rsplit("@", 1)[-1] if settings else "")
    rows = contacts.select(
        pl.concat_str(
            [pl.lit("portal_link"), pl.col("supplier_id"), pl.lit(stamp), pl.col("email").str.to_lowercase()],
            separator="|",
        ).alias("reminder_key"),
        pl.lit("portal_link").alias("kind"),
        "supplier_id",
        pl.col("supplier_id").alias("subject_id"),
        pl.col("email").alias("recipient"),
        pl.col("contact_name").alias("recipient_name"),
        "language",
        pl.lit(as_of).alias("due_on"),
        pl.lit(as_of).alias("send_on"),
        pl.struct(
            pl.lit(supplier_details(store, supplier_id).get("name")).alias("supplier_name"),
            pl.col("contact_name"),
        )
        .struct.json_encode()
        .alias("facts"),
    )
    return stored.insert_reminders(store, _rows_to_insert(rows, actor, domain), actor, action="queue_reminder")


def cancel(store: Store, keys: Sequence[str], actor: Actor) -> int:
    """Cancel pending reminders (audited one by one)."""
    return stored.reminders_changed_by_person(store, keys, "cancelled", actor, "reminder_cancelled")


def resend(store: Store, keys: Sequence[str], actor: Actor) -> int:
    """Send again: a failed or unconfirmed reminder keeps its Message-ID; a sent one gets a new one."""
    return stored.reminders_changed_by_person(store, keys, "pending", actor, "reminder_resent")


def outbox(store: Store, as_of: date) -> dict[str, pl.DataFrame]:
    """The Outbox's three lists: what goes out today, what was sent, what failed and why (pending
    after a failure, given up, or unconfirmed: a run stopped while sending it)."""
    failed = stored.reminders(store, ["pending", "failed", "sending"]).filter(
        (pl.col("state") != "pending") | pl.col("last_error").is_not_null()
    )
    return {
        "today": outgoing(store, as_of),
        "sent": stored.reminders(store, ["sent"]),
        "failed": failed,
        "cancelled": stored.reminders(store, ["cancelled"]),
    }


def preview(
    store: Store, kind: str, lang: str, supplier_id: str, as_of: date, template: Template | None = None
) -> tuple[str, str]:
    """A template rendered on a real supplier (its reminder of that kind on ``as_of`` if it has
    one, else its own facts), as Settings shows it before saving. The footer is shown under a
    renewal reminder."""
    footer = template if kind == "footer" and template else mail_templates(store)[("footer", lang)]
    if kind == "footer":
        kind, template = "certificate_expiring", None
    planned = _planned(store, as_of).filter(pl.col("kind") == kind)
    if kind == "owner_digest":
        row = planned.row(0, named=True) if planned.height else None
    else:
        mine = planned.filter(pl.col("supplier_id") == supplier_id)
        row = mine.row(0, named=True) if mine.height else None
    if row is None:
        row = _sample_row(store, kind, supplier_id, as_of)
    row = {**row, "language": lang}
    chosen = template or mail_templates(store)[(kind, lang)]
    context = _context(
        _common_context(store), row, "https://monosashi.example/?invite=" + _MASK, link_expires_on=as_of.isoformat()
    )
    subject, body = check_template(chosen.subject, chosen.body, context)
    _, end = check_template("", footer.body, context)
    return subject, body.rstrip() + "\n" + end.rstrip() + "\n"


def _sample_row(store: Store, kind: str, supplier_id: str, as_of: date) -> dict[str, Any]:
    """Facts for a preview when the supplier has no such reminder today: its own name, first
    certificate and current request, with placeholders where it has none."""
    name = supplier_details(store, supplier_id).get("name") or supplier_id
    states = certificate_states(store, as_of, supplier_id)
    cert = states.row(0, named=True) if states.height else {}
    requests = current_requests(store, as_of, [supplier_id])
    request = requests.row(0, named=True) if requests.height else {}
    facts = {
        "supplier_name": name,
        "contact_name": "",
        "scheme": cert.get("scheme", "scs_star3"),
        "level": cert.get("level"),
        "registration_no": cert.get("registration_no") or "",
        "expires_on": str(cert.get("expires_on") or as_of),
        "days_left": cert.get("days_left") or 0,
        "check_due_on": str(cert.get("check_due_on") or as_of),
        "request_id": request.get("request_id", "R-…"),
        "requested_level": request.get("requested_level", 3),
        "requested_on": str(request.get("requested_on") or as_of),
        "due_on": str(request.get("due_on") or as_of),
        "sent_on": str(request.get("sent_on") or as_of),
        "owner_name": "",
        "period_from": as_of.isoformat(),
        "period_to": as_of.isoformat(),
        "new_count": 0,
        "overdue_count": 0,
        "overdue_days": 14,
        "new": [],
        "overdue": [],
    }
    return {"kind": kind, "supplier_id": supplier_id, "recipient_name": "", "facts": json.dumps(facts, default=str)}
