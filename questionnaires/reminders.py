"""Reminder policy: when reminders are e-mailed and what they carry — data with a schema
(``questionnaires/policy/reminders.json``), so a registry can change it in Settings without code."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field, model_validator

from questionnaires.catalogue import parse_model
from questionnaires.policy import SCHEMES
from questionnaires.schema import Strict

__all__ = ["ReminderPolicy", "default_reminder_policy", "parse_reminder_policy"]

_FILE = Path(__file__).parent / "policy" / "reminders.json"


class ReminderPolicy(Strict):
    """When each kind of reminder goes out."""

    note: str = ""
    # A certificate is reminded of once per window it enters (90, 30 and 7 days before expiry).
    expiry_windows_days: tuple[int, ...] = Field(min_length=1, max_length=6)
    expiry_schemes: tuple[str, ...] = Field(min_length=1)
    # A request marked sent within this many days is e-mailed with its letter (not older ones).
    request_sent_within_days: int = Field(ge=0, le=365)
    request_due_soon_days: int = Field(ge=1, le=365)
    # A flag still open (not acknowledged) this many days after it was raised is overdue.
    flag_overdue_days: int = Field(ge=1, le=365)
    # The weekly digest's day (ISO: 1 = Monday … 7 = Sunday).
    digest_weekday: int = Field(ge=1, le=7)
    attach_gap_report: bool = False
    # Attachments larger than this are replaced by a portal link.
    max_attachment_kb: int = Field(ge=1, le=50_000)
    # Failed sends are retried with back-off, then given up after this many tries.
    max_tries: int = Field(ge=1, le=50)

    @model_validator(mode="after")
    def _ordered(self) -> ReminderPolicy:
        windows = self.expiry_windows_days
        if sorted(windows, reverse=True) != list(windows) or len(set(windows)) != len(windows) or min(windows) < 1:
            raise ValueError("expiry_windows_days must be positive and in decreasing order, e.g. [90, 30, 7]")
        unknown = [s for s in self.expiry_schemes if s not in SCHEMES]
        if unknown:
            raise ValueError(f"unknown schemes: {unknown}")
        return self


def parse_reminder_policy(text: str, origin: str) -> ReminderPolicy:
    """Validate a reminder policy from JSON text; raises CatalogueDataError naming ``origin``."""
    return parse_model(text, origin, ReminderPolicy, "reminder policy")


@cache
def default_reminder_policy() -> ReminderPolicy:
    """The shipped reminder policy."""
    return parse_reminder_policy(_FILE.read_text(encoding="utf-8"), str(_FILE))
