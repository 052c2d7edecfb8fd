"""What the procurement team's dashboards show, computed as of a date: the Overview's key figures
with their change over 30 days, ★ held and requested by tier, readiness and category scores of
the whole supply base, the renewals due this quarter and the top flags.

Each figure has one home: readiness is :func:`registry.services.yardstick.readiness_of` (the
Supplier page and ``monosashi status`` read the same), "expiring" is
:func:`registry.services.renewals.expiring` in the policy's widest window (what the Renewals page
lists). The readiness history kept by the derivation only draws the trend over time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from questionnaires.catalogue import Catalogue
from registry.domain import readiness as ranking
from registry.services import renewals, requests, yardstick
from registry.store import Store, network, submissions, suppliers
from registry.store import flags as stored_flags
from registry.store.suppliers import supplier_status, suppliers_registered_by

__all__ = [
    "COMPARE_DAYS",
    "Board",
    "Kpis",
    "ReadinessBoard",
    "SupplierPage",
    "board",
    "kpis",
    "quarter",
    "readiness_board",
    "supplier_page",
    "with_partial",
]

COMPARE_DAYS = 30
_STAR = {"star4": 4, "star3": 3}


@dataclass(frozen=True)
class Kpis:
    """The headline figures on one date."""

    on: date
    suppliers: int
    with_request: int
    meeting_request: int
    expiring: int  # certificates whose validity ends within ``window`` days (renewals.expiring)
    window: int  # the policy's widest expiring window
    open_flags: dict[str, int]  # by severity

    @property
    def share_meeting_request(self) -> float | None:
        return self.meeting_request / self.with_request if self.with_request else None


def kpis(store: Store, on: date, status: pl.DataFrame | None = None) -> Kpis:
    """The headline figures on ``on`` (``status`` is the supplier status on that date, if at hand)."""
    status = supplier_status(store, on) if status is None else status
    window = renewals.expiring_window(store)
    requested = status.filter(pl.col("requested_level").is_not_null())
    held = pl.col("held_level").replace_strict(_STAR, default=0, return_dtype=pl.Int32)
    return Kpis(
        on=on,
        suppliers=suppliers_registered_by(store, on),
        with_request=requested.height,
        meeting_request=requested.filter(held >= pl.col("requested_level")).height,
        expiring=renewals.expiring(renewals.certificate_states(store, on), window).height,
        window=window,
        open_flags=stored_flags.open_flags_on(store, on),
    )


def quarter(on: date) -> tuple[date, date]:
    """The first and last day of the calendar quarter of ``on``."""
    first = date(on.year, 3 * ((on.month - 1) // 3) + 1, 1)
    following = date(first.year + (first.month + 3 > 12), (first.month + 3 - 1) % 12 + 1, 1)
    return first, following - timedelta(days=1)


@dataclass(frozen=True)
class ReadinessBoard:
    """Every supplier's readiness on a date, and the category scores of any grouping."""

    catalogue: Catalogue
    readiness: pl.DataFrame  # supplier_id, name, tier, industry, held_level, requested_level, target_level,
    #                          target (readiness for it), star3, star4, cat1 … cat7, has_evidence

    def by_group(self, group: str) -> pl.DataFrame:
        """Share of the ★4 criteria met per group (e.g. ``industry`` or ``tier``) and category."""
        return (
            self.readiness.with_columns(pl.col(group).cast(pl.String).fill_null("—"))
            .group_by(group)
            .agg(pl.col(f"cat{n}").mean() for n in range(1, 8))
            .unpivot(index=group, variable_name="category", value_name="score")
            .with_columns(category_no=pl.col("category").str.slice(3).cast(pl.Int64))
            .select(group, "category_no", "score")
            .sort(group, "category_no")
        )

    def lowest(self, n: int) -> pl.DataFrame:
        """The ``n`` lowest readiness for the ★ asked of them (★3 when nothing was asked), suppliers
        without evidence included (:meth:`furthest` ranks only those with evidence)."""
        return (
            self.readiness.sort("target", "supplier_id")
            .head(n)
            .select("supplier_id", "name", "tier", "requested_level", "held_level", "star3", "star4")
        )

    def furthest(self, n: int) -> pl.DataFrame:
        """Among the suppliers with evidence, the ``n`` furthest from the ★ asked of them (★3 when
        nothing was asked); those with none are :meth:`without_evidence`."""
        return ranking.furthest_from_target(self.readiness, n).select(
            "supplier_id", "name", "tier", "requested_level", "held_level", "star3", "star4"
        )

    def without_evidence(self) -> pl.DataFrame:
        """The suppliers without current evidence: no valid ★ or ISMS, no questionnaire answered within
        the freshness limit, no criterion met by fresh evidence (nothing known, or only stale)."""
        return (
            self.readiness.filter(~pl.col("has_evidence"))
            .sort("supplier_id")
            .select("supplier_id", "name", "tier", "industry", "requested_level", "held_level")
        )

    def supplier_category_scores(self, supplier_ids: list[str]) -> pl.DataFrame:
        """Category scores of the given suppliers (``supplier_id``, and ``supplier`` labelled
        ``ID 名前``), in the order given."""
        position = {s: i for i, s in enumerate(supplier_ids)}
        return (
            self.readiness.filter(pl.col("supplier_id").is_in(supplier_ids))
            .with_columns(
                supplier=pl.concat_str("supplier_id", pl.lit(" "), "name"),
                order=pl.col("supplier_id").replace_strict(position, return_dtype=pl.Int64),
            )
            .unpivot(
                index=["supplier_id", "supplier", "order"], on=[f"cat{n}" for n in range(1, 8)], value_name="score"
            )
            .with_columns(category_no=pl.col("variable").str.slice(3).cast(pl.Int64))
            .sort("order", "category_no")
            .select("supplier_id", "supplier", "category_no", "score")
        )


def with_partial(store: Store, on: date, scores: pl.DataFrame, supplier_ids: list[str]) -> pl.DataFrame:
    """Category scores of a few suppliers (:meth:`ReadinessBoard.supplier_category_scores`) with
    ``partial``: the share of each category's ★4 criteria partly met by fresh evidence, derived for
    those suppliers only (the same evidence as their readiness)."""
    if not supplier_ids:
        return scores.with_columns(partial=pl.lit(None, pl.Float64))
    with store.held_open():
        catalogue = yardstick.catalogue_in_force(store)
        counts = yardstick.counts_of(yardstick.derive(store, on, supplier_ids))
    totals = catalogue.criteria_frame().group_by("category_no").agg(total=pl.len())
    partial = (
        counts.group_by("supplier_id", "category_no")
        .agg(partial=pl.col("partial").sum())
        .join(totals, on="category_no")
        .select("supplier_id", pl.col("category_no").cast(pl.Int64), partial=pl.col("partial") / pl.col("total"))
    )
    return scores.join(partial, on=["supplier_id", "category_no"], how="left", maintain_order="left").with_columns(
        pl.col("partial").fill_null(0.0)
    )


def readiness_board(store: Store, on: date, status: pl.DataFrame | None = None) -> ReadinessBoard:
    """Readiness of every supplier on ``on`` (:func:`yardstick.readiness_of`, the one definition)."""
    with store.held_open():
        status = supplier_status(store, on) if status is None else status
        catalogue = yardstick.catalogue_in_force(store)
        values = yardstick.readiness_of(store, on, status["supplier_id"].to_list())
        months = yardstick.settings_from_store(store).fresh_months
        fresh_after = pl.Series([on]).dt.offset_by(f"-{months}mo").item()  # the yardstick's freshness limit
        evidenced = pl.concat(
            [
                network.suppliers_with_submissions(store, on, after=fresh_after),
                network.suppliers_with_valid_isms(store, on),
            ]
        )
    readiness = (
        status.select("supplier_id", "name", "tier", "industry", "held_level", "requested_level")
        .join(values, on="supplier_id", how="left")
        .with_columns(pl.col(*yardstick.HISTORY_COLUMNS).fill_null(0.0))
        .with_columns(
            target_level=pl.col("requested_level").fill_null(3),
            target=pl.when(pl.col("requested_level") == 4).then(pl.col("star4")).otherwise(pl.col("star3")),
        )
    )
    return ReadinessBoard(catalogue=catalogue, readiness=ranking.with_evidence(readiness, evidenced))


@dataclass(frozen=True)
class Board:
    """Everything the Overview shows on one date, with the figures of 30 days before."""

    now: Kpis
    before: Kpis
    held_by_tier: pl.DataFrame  # tier, held_level, suppliers
    requested_by_tier: pl.DataFrame  # tier, requested_level, held_level, suppliers
    readiness: ReadinessBoard
    renewals: pl.DataFrame  # due this quarter
    quarter: tuple[date, date]
    top_flags: pl.DataFrame
    catalogue_version: str | None

    @property
    def as_of(self) -> date:
        return self.now.on


def board(store: Store, as_of: date, top: int = 10) -> Board:
    """The Overview's data, in one pass over the registry held open."""
    with store.held_open():
        status = supplier_status(store, as_of)
        now = kpis(store, as_of, status)
        before = kpis(store, as_of - timedelta(days=COMPARE_DAYS))
        held_by_tier = status.group_by("tier", "held_level").agg(suppliers=pl.len()).sort("tier", "held_level")
        requested_by_tier = (
            status.filter(pl.col("requested_level").is_not_null())
            .group_by("tier", "requested_level", "held_level")
            .agg(suppliers=pl.len())
            .sort("tier", "requested_level", "held_level")
        )
        first, last = quarter(as_of)
        states = renewals.certificate_states(store, as_of)
        due = states.filter(
            ~pl.col("state").is_in(["superseded", "not_yet_valid"])
            & (pl.col("expires_on").is_between(first, last) | pl.col("check_due_on").is_between(first, last))
        ).select(
            "certificate_id",
            "supplier_id",
            "name",
            "scheme",
            "registration_no",
            "expires_on",
            "check_due_on",
            "state",
            "days_left",
        )
        top_flags = stored_flags.top_flags(store, top)
        return Board(
            now=now,
            before=before,
            held_by_tier=held_by_tier,
            requested_by_tier=requested_by_tier,
            readiness=readiness_board(store, as_of, status),
            renewals=due.sort("expires_on"),
            quarter=(first, last),
            top_flags=top_flags,
            catalogue_version=store.setting("catalogue_version"),
        )


@dataclass(frozen=True)
class SupplierPage:
    """Everything the Supplier page shows about one supplier (its sub-network aside)."""

    profile: dict[str, object]  # supplier_status_of, and the stored master data
    view: yardstick.SupplierView
    history: pl.DataFrame  # taken_on, star3, star4: the records, then the value on the date
    requests: pl.DataFrame
    flags: pl.DataFrame  # open and acknowledged
    certificates: pl.DataFrame
    submissions: pl.DataFrame
    self_check: dict[str, object] | None  # the current IPA 自社診断: score, band, submitted_on


def supplier_page(store: Store, as_of: date, supplier_id: str) -> SupplierPage | None:
    """The Supplier page's data, read for that supplier only (None when there is no such supplier)."""
    with store.held_open():
        profile = suppliers.supplier_status_of(store, as_of, supplier_id)
        if not profile:
            return None
        profile |= {k: v for k, v in suppliers.supplier_details(store, supplier_id).items() if k not in profile}
        view = yardstick.supplier_view(store, as_of, supplier_id)
        now = pl.DataFrame(
            {"taken_on": [as_of], "star3": [view.readiness["star3"] or 0.0], "star4": [view.readiness["star4"] or 0.0]}
        )
        recorded = stored_flags.supplier_readiness_history(store, supplier_id, as_of).select(
            "taken_on", "star3", "star4"
        )
        return SupplierPage(
            profile=profile,
            view=view,
            history=pl.concat([recorded.filter(pl.col("taken_on") < as_of), now]),
            requests=requests.request_history(store, as_of, supplier_id),
            flags=stored_flags.flags(store, supplier_id=supplier_id, states=["open", "acknowledged"]),
            certificates=renewals.certificate_states(store, as_of, supplier_id),
            submissions=submissions.submissions(store, supplier_id),
            self_check=next(iter(submissions.self_check_results(store, as_of, [supplier_id]).to_dicts()), None),
        )
