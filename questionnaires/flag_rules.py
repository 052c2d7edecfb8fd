"""Flag rules as data: which conditions raise a flag, how severe, with which thresholds and in
which words (``questionnaires/policy/flag_rules.json``). A registry overrides any threshold in
its settings (``flags.<rule id>.<threshold>``) without code; rules are documented in docs/flags.md."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from questionnaires.catalogue import parse_model
from questionnaires.schema import Strict

__all__ = [
    "RULE_IDS",
    "FlagRule",
    "FlagRules",
    "Kind",
    "Severity",
    "default_rules",
    "parse_rules",
    "placeholders",
]

_FILE = Path(__file__).parent / "policy" / "flag_rules.json"

# Every rule the engine implements, with the facts its reason may name and the thresholds it reads.
RULE_IDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "renewal.expiring": (
        frozenset({"scheme", "registration_no", "expires_on", "days_left"}),
        frozenset({"window_days", "critical_days"}),
    ),
    "renewal.expired": (
        frozenset({"scheme", "registration_no", "expires_on", "days_ago"}),
        frozenset({"lookback_days"}),
    ),
    "renewal.self_assessment": (frozenset({"registration_no", "due_on", "state"}), frozenset()),
    "renewal.surveillance": (frozenset({"registration_no", "due_on", "state"}), frozenset()),
    "below_request": (
        frozenset({"requested_level", "held", "due_on", "days_late", "request_id"}),
        frozenset(),
    ),
    "needs_support.readiness": (
        frozenset({"target_level", "readiness", "threshold", "met", "total"}),
        frozenset({"min_readiness"}),
    ),
    "needs_support.weak_categories": (
        frozenset({"target_level", "categories", "threshold"}),
        frozenset({"min_score"}),
    ),
    "needs_support.unknown_answers": (
        frozenset({"unknown", "answers", "share"}),
        frozenset({"min_share", "min_count"}),
    ),
    "needs_support.no_security_staff": (frozenset({"employees"}), frozenset({"max_employees"})),
    "conflict": (frozenset({"conflicts", "criteria"}), frozenset({"min_criteria"})),
    "conflict.certified": (frozenset({"count", "criteria"}), frozenset({"min_criteria", "critical_criteria"})),
    "stale.evidence": (frozenset({"newest", "months"}), frozenset({"max_age_months"})),
    "stale.no_evidence": (frozenset({"requested_level", "requested_on", "days"}), frozenset({"grace_days"})),
    "coverage_hole": (frozenset({"path", "end_id", "end_name", "required"}), frozenset()),
}

Kind = Literal["renewal", "below_request", "needs_support", "conflict", "stale", "coverage_hole"]
Severity = Literal["info", "warning", "critical"]


def placeholders(template: str) -> list[str]:
    """The ``{name}`` fields a reason template uses, in order."""
    return re.findall(r"\{(\w+)\}", template)


class FlagRule(Strict):
    """One rule: its kind, default severity, thresholds and the words of its reason."""

    id: str
    kind: Kind
    severity: Severity
    enabled: bool = True
    thresholds: dict[str, float] = Field(default_factory=dict)
    categories: tuple[int, ...] = Field(default=(), description="SCS categories the rule looks at (1–7)")
    title_ja: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    reason_ja: str = Field(min_length=1, description="template; {fact} fields name the facts behind the flag")
    reason_en: str = Field(min_length=1)
    closed_ja: str = Field(min_length=1, description="why the flag closes when the condition no longer holds")
    closed_en: str = Field(min_length=1)

    @model_validator(mode="after")
    def _known(self) -> FlagRule:
        if self.id not in RULE_IDS:
            raise ValueError(f"unknown rule {self.id!r}; the engine implements {', '.join(RULE_IDS)}")
        facts, thresholds = RULE_IDS[self.id]
        for template in (self.reason_ja, self.reason_en):
            unknown = [p for p in placeholders(template) if p not in facts]
            if unknown:
                raise ValueError(f"{self.id}: the reason names {unknown}; its facts are {sorted(facts)}")
        if set(self.thresholds) != thresholds:
            raise ValueError(f"{self.id}: thresholds must be exactly {sorted(thresholds) or 'none'}")
        if (self.id == "needs_support.weak_categories") != bool(self.categories):
            raise ValueError(f"{self.id}: only needs_support.weak_categories names categories, and it must")
        if any(not 1 <= c <= 7 for c in self.categories):
            raise ValueError(f"{self.id}: SCS categories are 1–7")
        return self


class FlagRules(Strict):
    note: str = ""
    rules: tuple[FlagRule, ...]

    @model_validator(mode="after")
    def _complete(self) -> FlagRules:
        ids = [r.id for r in self.rules]
        missing = sorted(set(RULE_IDS) - set(ids))
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if missing or repeated:
            raise ValueError(f"rules missing: {missing or 'none'}; repeated: {repeated or 'none'}")
        return self

    def rule(self, rule_id: str) -> FlagRule:
        return next(r for r in self.rules if r.id == rule_id)

    def with_overrides(self, values: dict[str, str]) -> FlagRules:
        """These rules with thresholds (``flags.<rule>.<name>``) and ``flags.<rule>.enabled`` from settings."""
        rules = []
        for rule in self.rules:
            thresholds = {
                name: float(values.get(f"flags.{rule.id}.{name}", value)) for name, value in rule.thresholds.items()
            }
            enabled = values.get(f"flags.{rule.id}.enabled", str(rule.enabled)).lower() in {"true", "1", "yes"}
            rules.append(rule.model_copy(update={"thresholds": thresholds, "enabled": enabled}))
        return self.model_copy(update={"rules": tuple(rules)})


def parse_rules(text: str, origin: str) -> FlagRules:
    """Validate flag rules from JSON text; raises CatalogueDataError naming ``origin``."""
    return parse_model(text, origin, FlagRules, "flag rules")


@cache
def default_rules() -> FlagRules:
    """The shipped rules."""
    return parse_rules(_FILE.read_text(encoding="utf-8"), str(_FILE))
