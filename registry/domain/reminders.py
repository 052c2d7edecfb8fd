"""Which reminders are due on a date, for whom (pure: frames in, frames out; docs/reminders.md).

A reminder is one e-mail about one thing to one person: a certificate entering an expiry window,
a ★4 yearly self-assessment due or overdue, a ★ request just sent, due soon or overdue, a portal
link a buyer chose to send, or an owner's digest of flags. Its key names all of that, so that the
same reminder planned again on a later run is recognised and never sent twice.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta
from typing import Literal, get_args

import polars as pl

from questionnaires.reminders import ReminderPolicy

__all__ = [
    "CONTACT_KINDS",
    "KINDS",
    "PLAN_SCHEMA",
    "ReminderKind",
    "digest_period",
    "display_name",
    "message_id",
    "next_try",
    "plan",
    "reminder_key",
    "single_line",
]

ReminderKind = Literal[
    "certificate_expiring",
    "yearly_check_due",
    "yearly_check_overdue",
    "request_sent",
    "request_due_soon",
    "request_overdue",
    "portal_link",
    "owner_digest",
]
KINDS: tuple[str, ...] = get_args(ReminderKind)
CONTACT_KINDS = KINDS[:-1]

PLAN_SCHEMA: dict[str, pl.DataType] = {
    "reminder_key": pl.String(),
    "kind": pl.String(),
    "supplier_id": pl.String(),
    "subject_id": pl.String(),
    "recipient": pl.String(),
    "recipient_name": pl.String(),
    "language": pl.String(),
    "due_on": pl.Date(),
    "send_on": pl.Date(),
    "facts": pl.String(),
}

# Lines a digest lists of each kind before it says "and N more".
_DIGEST_LINES = 100


def reminder_key(kind: str, subject_id: str, marker: str, recipient: str) -> str:
    """The one key of a reminder: what kind, about what, which window or date, to whom."""
    return f"{kind}|{subject_id}|{marker}|{recipient.lower()}"


def message_id(key: str, domain: str, attempt: int = 0) -> str:
    """The Message-ID a reminder keeps from the day it is planned (a resend by a person gets the
    next ``attempt``): a message re-sent after a crash carries the same ID, so it can be told."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}.{attempt}@{domain or 'monosashi.invalid'}>"


def single_line(text: object, limit: int = 200) -> str:
    """A value for a header: every line break and control character becomes a space, so that
    nothing from the data can start a header of its own."""
    cleaned = "".join(" " if (ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029") else c for c in str(text))
    return " ".join(cleaned.split())[:limit]


# Characters that mean something inside an address header: a display name never carries them,
# nor a literal encoded word (=?…?=), so that no name can show or add another address.
_ADDRESS_SPECIALS = re.compile(r'[<>,;:"@\\()\[\]]|=\?|\?=')


def display_name(text: object, limit: int = 60) -> str:
    """A person's or company's name as an address header shows it: one line, no character that
    could start another address, at most ``limit`` characters."""
    return " ".join(_ADDRESS_SPECIALS.sub(" ", single_line(text, limit * 2)).split())[:limit]


def next_try(now: datetime, tries: int) -> datetime:
    """When a failed send may be tried again: 15 minutes after the first failure, four times as
    long after each next one, at most a day."""
    return now + min(timedelta(minutes=15) * 4 ** max(tries - 1, 0), timedelta(days=1))


def digest_period(as_of: date, frequency: str, weekday: int) -> tuple[date, date] | None:
    """The (first day, last day) of flags a digest sent on ``as_of`` lists, or None when none is
    due that day: a daily digest lists the day's new flags; a weekly one, on the chosen weekday,
    the seven days up to it."""
    if frequency == "daily":
        return as_of, as_of
    if as_of.isoweekday() != weekday:
        return None
    return as_of - timedelta(days=6), as_of


def _json(frame: pl.DataFrame, columns: list[str]) -> pl.Expr:
    """The facts a template reads, as JSON (dates as YYYY-MM-DD)."""
    return (
        pl.struct(
            [pl.col(c).cast(pl.String) if frame.schema[c] in (pl.Date, pl.Datetime) else pl.col(c) for c in columns]
        )
        .struct.json_encode()
        .alias("facts")
    )


def _to_contacts(
    frame: pl.DataFrame, contacts: pl.DataFrame, kind: str, marker: pl.Expr, facts: list[str]
) -> pl.DataFrame:
    """One reminder of ``kind`` per row of ``frame`` and contact of its supplier."""
    if frame.is_empty() or contacts.is_empty():
        return pl.DataFrame(schema=PLAN_SCHEMA)
    joined = frame.join(contacts, on="supplier_id", how="inner")
    if joined.is_empty():
        return pl.DataFrame(schema=PLAN_SCHEMA)
    return joined.select(
        pl.concat_str(
            [pl.lit(kind), pl.col("subject_id"), marker, pl.col("email").str.to_lowercase()], separator="|"
        ).alias("reminder_key"),
        pl.lit(kind).alias("kind"),
        "supplier_id",
        "subject_id",
        pl.col("email").alias("recipient"),
        pl.col("contact_name").alias("recipient_name"),
        "language",
        pl.col("due_on").cast(pl.Date),
        pl.col("send_on").cast(pl.Date),
        _json(joined, [*facts, "contact_name"]),
    )


def _expiring(certificates: pl.DataFrame, as_of: date, policy: ReminderPolicy) -> pl.DataFrame:
    windows = sorted(policy.expiry_windows_days)
    window = pl.lit(None, pl.Int64)
    for w in reversed(windows):
        window = pl.when(pl.col("days_left") <= w).then(pl.lit(w)).otherwise(window)
    counted = (
        "expiring",
        "valid",
        "self_assessment_due",
        "self_assessment_overdue",
        "surveillance_due",
        "surveillance_overdue",
    )
    return (
        certificates.filter(
            pl.col("scheme").is_in(policy.expiry_schemes)
            & pl.col("state").is_in(counted)
            & pl.col("expires_on").is_not_null()
            & pl.col("days_left").is_between(0, windows[-1])
        )
        .with_columns(window.alias("window"))
        .with_columns(
            pl.col("certificate_id").alias("subject_id"),
            pl.col("expires_on").alias("due_on"),
            (pl.col("expires_on") - pl.duration(days=pl.col("window"))).clip(upper_bound=as_of).alias("send_on"),
        )
    )


def _yearly(certificates: pl.DataFrame, state: str, as_of: date) -> pl.DataFrame:
    """★4s whose yearly check is in ``state``: reminded from the first day it is."""
    return certificates.filter(
        (pl.col("scheme") == "scs_star4") & (pl.col("state") == state) & pl.col("check_due_on").is_not_null()
    ).with_columns(
        pl.col("certificate_id").alias("subject_id"),
        pl.col("check_due_on").alias("due_on"),
        pl.lit(as_of).alias("send_on"),
    )


def plan(
    *,
    as_of: date,
    policy: ReminderPolicy,
    certificates: pl.DataFrame,
    requests: pl.DataFrame,
    contacts: pl.DataFrame,
    owners: pl.DataFrame,
    owned_flags: pl.DataFrame,
) -> pl.DataFrame:
    """Every reminder due on ``as_of`` (schema :data:`PLAN_SCHEMA`), whether or not sent before:
    the caller keeps those whose key is new.

    ``certificates``: certificate states on ``as_of``; ``requests``: each supplier's current
    request; ``contacts``: supplier_id, contact_name, email, language of contacts not opted out;
    ``owners``: user_id, display_name, email, language, digest of accounts not opted out;
    ``owned_flags``: open and acknowledged flags with their supplier's owner_id.
    """
    certificate_facts = ["supplier_name", "scheme", "level", "registration_no", "expires_on", "days_left"]
    certificates = certificates.rename({"name": "supplier_name"})
    expiring = _expiring(certificates, as_of, policy)
    parts = [
        _to_contacts(expiring, contacts, "certificate_expiring", pl.col("window").cast(pl.String), certificate_facts),
        _to_contacts(
            _yearly(certificates, "self_assessment_due", as_of),
            contacts,
            "yearly_check_due",
            pl.col("due_on").cast(pl.String),
            [*certificate_facts, "check_due_on"],
        ),
        _to_contacts(
            _yearly(certificates, "self_assessment_overdue", as_of),
            contacts,
            "yearly_check_overdue",
            pl.col("due_on").cast(pl.String),
            [*certificate_facts, "check_due_on"],
        ),
    ]
    requests = requests.rename({"name": "supplier_name"}).with_columns(pl.col("request_id").alias("subject_id"))
    request_facts = ["supplier_name", "request_id", "requested_level", "requested_on", "due_on", "sent_on"]
    waiting = pl.col("state").is_in(["sent", "acknowledged"])
    sent = requests.filter(
        pl.col("sent_on").is_not_null()
        & pl.col("sent_on").is_between(as_of - timedelta(days=policy.request_sent_within_days), as_of)
        & pl.col("state").is_in(["sent", "acknowledged", "overdue"])
    ).with_columns(pl.col("sent_on").alias("send_on"))
    due_soon = requests.filter(
        waiting & pl.col("days_to_due").is_between(0, policy.request_due_soon_days)
    ).with_columns(
        pl.max_horizontal(pl.col("due_on") - pl.duration(days=policy.request_due_soon_days), pl.col("sent_on")).alias(
            "send_on"
        )
    )
    overdue = requests.filter(pl.col("state") == "overdue").with_columns(
        (pl.col("due_on") + pl.duration(days=1)).alias("send_on")
    )
    parts += [
        _to_contacts(sent, contacts, "request_sent", pl.lit("sent"), request_facts),
        _to_contacts(due_soon, contacts, "request_due_soon", pl.col("due_on").cast(pl.String), request_facts),
        _to_contacts(overdue, contacts, "request_overdue", pl.col("due_on").cast(pl.String), request_facts),
        _digests(as_of, policy, owners, owned_flags),
    ]
    return pl.concat([p.select(list(PLAN_SCHEMA)).cast(PLAN_SCHEMA) for p in parts]).sort("kind", "reminder_key")


def _digests(as_of: date, policy: ReminderPolicy, owners: pl.DataFrame, owned_flags: pl.DataFrame) -> pl.DataFrame:
    """One digest per owner whose digest is due on ``as_of`` and who has new or overdue flags."""
    if owners.is_empty() or owned_flags.is_empty():
        return pl.DataFrame(schema=PLAN_SCHEMA)
    rows = []
    overdue_before = as_of - timedelta(days=policy.flag_overdue_days)
    flags = owned_flags.with_columns(pl.col("first_held_on").cast(pl.String).alias("raised_on"))
    listed = ["supplier_id", "supplier_name", "title_ja", "title_en", "severity", "raised_on", "reason", "reason_en"]
    by_owner = flags.partition_by("owner_id", as_dict=True)
    for owner in owners.iter_rows(named=True):
        period = digest_period(as_of, owner["digest"] or "weekly", policy.digest_weekday)
        mine = by_owner.get((owner["user_id"],))
        if period is None or mine is None:
            continue
        first, last = period
        new = mine.filter(pl.col("first_held_on").is_between(first, last))
        late = mine.filter((pl.col("state") == "open") & (pl.col("first_held_on") < overdue_before))
        if new.is_empty() and late.is_empty():
            continue
        facts = pl.DataFrame(
            {
                "owner_name": [owner["display_name"]],
                "period_from": [first.isoformat()],
                "period_to": [last.isoformat()],
                "new_count": [new.height],
                "overdue_count": [late.height],
                "overdue_days": [policy.flag_overdue_days],
            }
        ).with_columns(
            pl.lit(new.head(_DIGEST_LINES).select(listed).to_struct().implode()).alias("new"),
            pl.lit(late.head(_DIGEST_LINES).select(listed).to_struct().implode()).alias("overdue"),
        )
        rows.append(
            {
                "reminder_key": reminder_key("owner_digest", owner["user_id"], last.isoformat(), owner["email"]),
                "kind": "owner_digest",
                "supplier_id": None,
                "subject_id": owner["user_id"],
                "recipient": owner["email"],
                "recipient_name": owner["display_name"],
                "language": owner["language"] or "ja",
                "due_on": last,
                "send_on": last,
                "facts": facts.select(pl.struct(pl.all()).struct.json_encode())[0, 0],
            }
        )
    return pl.DataFrame(rows, schema=PLAN_SCHEMA)
