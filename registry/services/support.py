"""Support: which suppliers need help to reach the ★ asked of them, what stands between them and
it (tool work and organisational work, per ``questionnaires/support/remedies.json``), and which
お助け隊 menu fits (``menus.json``): the target ★, on-site help when the supplier has no security
staff or is far from IT support."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from questionnaires.catalogue import Catalogue
from questionnaires.support import load_menus, load_remedies
from registry.errors import NotFoundError
from registry.services import yardstick
from registry.services.requests import current_requests
from registry.store import Store, suppliers
from registry.store import flags as stored_flags
from registry.store.submissions import self_check_results

__all__ = [
    "GAP_STATUSES",
    "GapReport",
    "candidates",
    "gap",
    "menu_choice",
]

GAP_STATUSES = ("not_met", "unknown", "partial")


def menu_choice(frame: pl.DataFrame, lang: str = "ja") -> pl.DataFrame:
    """Add the recommended menu and why to a frame with ``target_level``, ``has_security_staff``
    and ``far_from_it_support`` (set-wise)."""
    menus = load_menus()
    onsite = (pl.col("has_security_staff") == False) | (pl.col("far_from_it_support") == True)  # noqa: E712
    labels = {(m.level, m.onsite): m.label for m in menus.menus}
    why_staff = "セキュリティ担当者がいない" if lang == "ja" else "no security staff"
    why_far = "IT支援拠点から遠い" if lang == "ja" else "far from IT support"
    target = "目標 ★" if lang == "ja" else "target ★"
    onsite_words = "ため駆付け支援付き" if lang == "ja" else ": on-site help added"
    return frame.with_columns(
        menu=pl.when(onsite)
        .then(pl.col("target_level").replace_strict({3: labels[(3, True)], 4: labels[(4, True)]}, default=None))
        .otherwise(pl.col("target_level").replace_strict({3: labels[(3, False)], 4: labels[(4, False)]}, default=None)),
        menu_reason=pl.concat_str(
            [
                pl.lit(target),
                pl.col("target_level").cast(pl.String),
                pl.when(onsite)
                .then(
                    pl.lit("、" if lang == "ja" else "; ")
                    + pl.concat_list(
                        pl.when(pl.col("has_security_staff") == False).then(pl.lit(why_staff)),  # noqa: E712
                        pl.when(pl.col("far_from_it_support") == True).then(pl.lit(why_far)),  # noqa: E712
                    )
                    .list.drop_nulls()
                    .list.join("・" if lang == "ja" else ", ")
                    + pl.lit(onsite_words)
                )
                .otherwise(pl.lit("")),
            ]
        ),
    )


def candidates(store: Store, as_of: date, lang: str = "ja") -> pl.DataFrame:
    """Suppliers that need support, most in need first: those with open needs-support flags, with
    their target ★, readiness for it, the flags' reasons and the recommended menu."""
    flagged = stored_flags.needing_support(store, lang)
    if flagged.is_empty():
        return flagged.with_columns(
            target_level=pl.lit(None, pl.Int32), readiness=pl.lit(None, pl.Float64), menu=pl.lit(None, pl.String)
        )
    ids = flagged["supplier_id"].to_list()
    requests = current_requests(store, as_of, ids).select("supplier_id", target_level="requested_level")
    ready = yardstick.readiness_of(store, as_of, ids).select("supplier_id", "star3", "star4")
    ranked = (
        flagged.join(requests, on="supplier_id", how="left")
        .with_columns(pl.col("target_level").fill_null(3))
        .join(ready, on="supplier_id", how="left")
        .with_columns(readiness=pl.when(pl.col("target_level") == 4).then("star4").otherwise("star3"))
        .sort(["weight", "support_flags", "readiness", "supplier_id"], descending=[True, True, False, False])
        .drop("star3", "star4", "weight")
    )
    return menu_choice(ranked, lang)


@dataclass(frozen=True)
class GapReport:
    """What stands between one supplier and its target ★."""

    as_of: date
    supplier: dict[str, object]
    target_level: int
    readiness: float
    readiness_partial: float
    gaps: pl.DataFrame  # one row per unmet, partial or unknown criterion at the target ★
    by_theme: pl.DataFrame  # the gaps grouped by remedy theme (tool / organisational)
    menu: str
    menu_reason: str
    menu_description: str
    request: dict[str, object] | None
    catalogue: Catalogue
    self_check: dict[str, object] | None = None  # the current IPA 自社診断: score, band, submitted_on


def _evidence_held(store: Store, as_of: date, supplier_id: str, lang: str) -> pl.DataFrame:
    """Per criterion, the evidence we hold, as readable chains in ``lang`` (deciding piece first)."""
    pieces = yardstick.evidence_pieces(store, as_of, supplier_id)
    if pieces.is_empty():
        return pl.DataFrame(schema={"criterion_id": pl.String, "evidence": pl.String})
    chains = [yardstick.evidence_chain(row, lang) for row in pieces.to_dicts()]
    return (
        pieces.select("criterion_id")
        .with_columns(evidence=pl.Series(chains, dtype=pl.String))
        .group_by("criterion_id", maintain_order=True)
        .agg(pl.col("evidence").str.join("\n"))
    )


def gap(store: Store, as_of: date, supplier_id: str, target_level: int | None = None, lang: str = "ja") -> GapReport:
    """The gap report of one supplier: every unmet, partial or unknown criterion at the target ★
    (its request, else ★3), with requirement title, our summary, the evidence held and the next step."""
    supplier = suppliers.supplier_profile(store, supplier_id)
    if supplier.is_empty():
        raise NotFoundError("supplier.not_found", supplier_id=supplier_id)
    with store.held_open():
        request_rows = current_requests(store, as_of, [supplier_id])
        request = request_rows.row(0, named=True) if request_rows.height else None
        level = target_level or (int(request["requested_level"]) if request else 3)
        view = yardstick.supplier_view(store, as_of, supplier_id)
        held = _evidence_held(store, as_of, supplier_id, lang)
    remedies = load_remedies()
    catalogue = view.catalogue
    titles = {r.id: r.title_ja for r in catalogue.requirements}
    summaries = {
        r.id: (catalogue.summaries[r.id].ja if lang == "ja" else catalogue.summaries[r.id].en)
        for r in catalogue.requirements
    }
    themes = remedies.themes
    theme_of = remedies.requirements
    label = {k: (t.label_ja if lang == "ja" else t.label_en) for k, t in themes.items()}
    step = {k: (t.next_ja if lang == "ja" else t.next_en) for k, t in themes.items()}
    kind = {k: t.kind for k, t in themes.items()}
    gaps = (
        view.statuses.filter(
            (pl.col("level") <= level) & (pl.col("status").cast(pl.String).is_in(GAP_STATUSES) | pl.col("stale"))
        )
        .select(
            "criterion_id",
            "requirement_id",
            "category_no",
            "level",
            status=pl.when(pl.col("stale")).then(pl.lit("stale")).otherwise(pl.col("status").cast(pl.String)),
            theme=pl.col("requirement_id").replace_strict(theme_of, return_dtype=pl.String),
        )
        .with_columns(
            requirement_title=pl.col("requirement_id").replace_strict(titles, return_dtype=pl.String),
            summary=pl.col("requirement_id").replace_strict(summaries, return_dtype=pl.String),
            remedy_kind=pl.col("theme").replace_strict(kind, return_dtype=pl.String),
            remedy=pl.col("theme").replace_strict(label, return_dtype=pl.String),
            next_step=pl.col("theme").replace_strict(step, return_dtype=pl.String),
        )
        .join(held, on="criterion_id", how="left")
        .sort("criterion_id")
    )
    by_theme = (
        gaps.group_by("remedy_kind", "theme", "remedy", "next_step")
        .agg(criteria=pl.len(), criterion_ids=pl.col("criterion_id").sort().str.join(", "))
        .sort(["remedy_kind", "criteria", "theme"], descending=[True, True, False])
    )
    profile = supplier.row(0, named=True)
    choice = menu_choice(pl.DataFrame([{**profile, "target_level": level}]), lang).row(0, named=True)
    menus = load_menus()
    menu = next(m for m in menus.menus if m.label == choice["menu"])
    share = "star4" if level == 4 else "star3"
    return GapReport(
        as_of=as_of,
        supplier=profile,
        target_level=level,
        readiness=float(view.readiness[share] or 0.0),
        readiness_partial=float(view.readiness[f"{share}_partial"] or 0.0),
        gaps=gaps,
        by_theme=by_theme,
        menu=choice["menu"],
        menu_reason=choice["menu_reason"],
        menu_description=(menu.description_ja if lang == "ja" else menu.description_en)
        + (f"（{menus.status_ja}）" if lang == "ja" else f" ({menus.status_en})"),
        request=request,
        catalogue=catalogue,
        self_check=next(iter(self_check_results(store, as_of, [supplier_id]).to_dicts()), None),
    )
