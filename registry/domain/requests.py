"""★ level requests, the scheme's rules: the three screening questions and the level they recommend,
the request's states and the steps a person may take. ``achieved`` and ``overdue`` follow from the
data, never from a click (registry/store/requests.py derives them)."""

from __future__ import annotations

import uuid
from datetime import date

from registry.errors import MonosashiError

__all__ = [
    "EFFECTIVE_STATES",
    "REQUEST_STEPS",
    "RequestError",
    "new_request_id",
    "recommend",
]

EFFECTIVE_STATES = ("draft", "sent", "acknowledged", "achieved", "overdue")


class RequestError(MonosashiError):
    """A request change the data does not allow (unknown request, a state step backwards...)."""


def recommend(holds_confidential_info: bool, outage_delays_buyer: bool, reaches_buyer_network: bool) -> int:
    """The scheme's rule: any yes to the three questions recommends ★4, all no ★3."""
    return 4 if (holds_confidential_info or outage_delays_buyer or reaches_buyer_network) else 3


def new_request_id(supplier_id: str, requested_on: date) -> str:
    return f"REQ-{requested_on:%Y%m%d}-{supplier_id}-{uuid.uuid4().hex[:6]}"[:80]


REQUEST_STEPS = {"sent": ("draft", "sent"), "acknowledged": ("sent", "acknowledged")}
