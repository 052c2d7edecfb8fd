"""What the supplier directory may be asked: its columns, the sortable ones, and a query (filters,
sort and page) validated once, whether it comes from the page, a link's URL parameters or the CLI."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "COLUMNS",
    "SORTABLE",
    "DirectoryQuery",
    "HeldLevel",
]

COLUMNS = (
    "supplier_id",
    "name",
    "corporate_number",
    "tier",
    "industry",
    "requested_level",
    "held_level",
    "check_overdue",  # a held ★4 whose yearly self-assessment is overdue (its open flag says so)
    "readiness",
    "open_flags",
    "worst_flag",
    "next_expiry",
)


SORTABLE = (
    "supplier_id",
    "name",
    "tier",
    "industry",
    "requested_level",
    "held_level",
    "readiness",
    "open_flags",
    "next_expiry",
)


HeldLevel = Literal["none", "security_action", "star3", "star4"]


class DirectoryQuery(BaseModel):
    """Which suppliers to list and how (every filter optional; empty lists mean "any")."""

    model_config = ConfigDict(extra="forbid")

    search: str = Field(default="", max_length=100, description="part of the ID, name or corporate number")
    tiers: list[int] = Field(default_factory=list, description="0 lists suppliers not linked to the buyer")
    industries: list[str] = Field(default_factory=list)
    held: list[HeldLevel] = Field(default_factory=list)
    requested: list[Literal[3, 4]] = Field(default_factory=list)
    below_request: bool = False
    severities: list[Literal["critical", "warning", "info"]] = Field(default_factory=list)
    max_readiness: float | None = Field(default=None, ge=0, le=1)
    expiring_within: int | None = Field(default=None, ge=0, le=3650)
    sort: Literal[SORTABLE] = "supplier_id"  # type: ignore[valid-type]
    descending: bool = False
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=50, ge=1, le=1000)
