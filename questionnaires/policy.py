"""Validity policy: how long each certificate scheme is valid, when it goes stale, and which
yearly check it needs — data with a schema, so a registry can change it without code."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from questionnaires.catalogue import parse_model
from questionnaires.schema import Strict

__all__ = ["SCHEMES", "SchemeRule", "ValidityPolicy", "default_policy", "parse_policy"]

SCHEMES = (
    "scs_star3",
    "scs_star4",
    "iso27001",
    "pmark",
    "security_action_star1",
    "security_action_star2",
    "semi_e187",
    "other",
)
_FILE = Path(__file__).parent / "policy" / "validity.json"


class SchemeRule(Strict):
    """The validity rule of one certificate scheme."""

    validity_years: int | None = Field(default=None, ge=1, le=10, description="None: no expiry")
    stale_after_years: int | None = Field(
        default=None, ge=1, le=10, description="a declaration older than this is stale"
    )
    yearly_check: Literal["self_assessment", "surveillance"] | None = None
    check_grace_days: int = Field(default=30, ge=0, le=365)
    label_ja: str
    label_en: str


class ValidityPolicy(Strict):
    note: str = ""
    expiring_windows_days: tuple[int, ...] = Field(min_length=1)
    # When SCS ★3/★4 start: "around the end of FY2026" (令和8年度末頃) in METI's material; the
    # admin sets the announced date in Settings. Before it no ★ can have been issued.
    scheme_start: date = date(2027, 3, 31)
    schemes: dict[str, SchemeRule]

    @model_validator(mode="after")
    def _complete(self) -> ValidityPolicy:
        missing = [s for s in SCHEMES if s not in self.schemes]
        unknown = [s for s in self.schemes if s not in SCHEMES]
        if missing or unknown:
            raise ValueError(f"schemes missing: {missing or 'none'}; unknown: {unknown or 'none'}")
        if (
            sorted(self.expiring_windows_days, reverse=True) != list(self.expiring_windows_days)
            or min(self.expiring_windows_days) < 1
        ):
            raise ValueError("expiring_windows_days must be positive and in decreasing order, e.g. [90, 60, 30]")
        return self

    @property
    def widest_window(self) -> int:
        return self.expiring_windows_days[0]


def parse_policy(text: str, origin: str) -> ValidityPolicy:
    """Validate a policy from JSON text; raises CatalogueDataError naming ``origin``."""
    return parse_model(text, origin, ValidityPolicy, "validity policy")


@cache
def default_policy() -> ValidityPolicy:
    """The shipped policy (``questionnaires/policy/validity.json``)."""
    return parse_policy(_FILE.read_text(encoding="utf-8"), str(_FILE))
