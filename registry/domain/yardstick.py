"""The yardstick's rules on derived statuses (docs/yardstick.md): readiness for ★3 and ★4, category
and requirement scores, and evidence as a readable chain. Pure polars over the frames the store's
evidence query returns."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from questionnaires.catalogue import Catalogue
from registry.messages import render

__all__ = [
    "HISTORY_COLUMNS",
    "STATUS_ORDER",
    "Settings",
    "SupplierView",
    "category_scores",
    "counts_of",
    "evidence_chain",
    "portfolio_readiness",
    "readiness",
    "readiness_snapshot",
    "requirement_status",
]


STATUS_ORDER = ("met", "partial", "not_met", "unknown")


@dataclass(frozen=True)
class Settings:
    """Thresholds of the rules (kept in the registry's settings table)."""

    min_strength: float = 0.3
    fresh_months: int = 12


def readiness(statuses: pl.DataFrame, catalogue: Catalogue) -> pl.DataFrame:
    """Per supplier of ``statuses``: share of ★3 and ★4 criteria met and partial by fresh evidence
    (the arithmetic of :func:`readiness_snapshot`, so every reading agrees), and how many criteria
    are in conflict or stale."""
    ids = statuses["supplier_id"].unique(maintain_order=True)
    shares = readiness_snapshot(counts_of(statuses), ids, catalogue).select(
        "supplier_id", "star3", "star3_partial", "star4", "star4_partial"
    )
    marks = statuses.group_by("supplier_id", maintain_order=True).agg(
        conflicts=pl.col("conflict").sum(),
        stale=pl.col("stale").sum(),
        # certified, but declared not met since: counted apart, readiness keeps the ★'s reading
        declared_against=pl.col("declared_against").sum(),
    )
    return shares.join(marks, on="supplier_id", how="left", maintain_order="left")


def category_scores(statuses: pl.DataFrame, level: int = 4) -> pl.DataFrame:
    """Per supplier and category (1–7): share of the ★``level`` criteria met and fresh."""
    return (
        statuses.filter(pl.col("level") <= level)
        .group_by("supplier_id", "category_no", maintain_order=True)
        .agg(score=((pl.col("status") == "met") & ~pl.col("stale")).mean())
        .sort("supplier_id", "category_no")
    )


def requirement_status(statuses: pl.DataFrame, level: int = 4) -> pl.DataFrame:
    """Per supplier and requirement at ★``level``: met, not_met, unknown or partial (docs/yardstick.md §4)."""
    known = pl.col("status").is_in(["met", "partial", "not_met"]) & ~pl.col("stale")
    return (
        statuses.filter(pl.col("level") <= level)
        .group_by("supplier_id", "requirement_id", "category_no", maintain_order=True)
        .agg(
            all_met=((pl.col("status") == "met") & ~pl.col("stale")).all(),
            any_not_met=((pl.col("status") == "not_met") & ~pl.col("stale")).any(),
            any_known=known.any(),
        )
        .with_columns(
            status=pl.when("all_met")
            .then(pl.lit("met"))
            .when("any_not_met")
            .then(pl.lit("not_met"))
            .when(~pl.col("any_known"))
            .then(pl.lit("unknown"))
            .otherwise(pl.lit("partial"))
        )
        .drop("all_met", "any_not_met", "any_known")
    )


def evidence_chain(piece: dict[str, object], lang: str = "en") -> str:
    """One piece of evidence as a readable chain in ``lang``, e.g.
    ``ISMS (ISO/IEC 27001) JQA-1234 (valid to 2027-05-31) → A.5.17 → Overlap 0.5 → 4-1-6-2: Partial``."""
    common = {
        "criterion": piece["criterion_id"],
        "status_label": f"status.{piece['status']}",
        "valid": render("evidence.valid_to", lang, {"date": str(piece["valid_until"])})
        if piece.get("valid_until")
        else "",
        "item": piece.get("source_item"),
        "scheme_label": f"scheme.{piece['source_framework']}",
        "relationship_label": f"relationship.{piece.get('relationship')}",
        "strength": f"{piece['strength']:.1f}" if piece.get("strength") is not None else "—",
    }
    if piece["kind"] == "certified":
        against = (
            render(
                "evidence.declared_against",
                lang,
                {"declared_on": str(piece["declared_on"]), "declared_label": f"status.{piece['declared_status']}"},
            )
            if piece.get("declared_against")
            else ""
        )
        return render("evidence.chain.certified", lang, {**common, "against": against})
    if piece["kind"] == "certificate":
        return render("evidence.chain.certificate", lang, {**common, "answer": piece["raw_answer"]})
    where = render("evidence.where", lang, {"location": piece["location"]}) if piece.get("location") else ""
    answer = render(
        "evidence.answer",
        lang,
        {
            "source": piece["source_ref"],
            "date": str(piece["evidence_date"]),
            "where": where,
            "raw": piece["raw_answer"],
        },
    )
    if piece["kind"] == "self_assessment":
        return render("evidence.chain.self_assessment", lang, {**common, "answer": answer})
    return render("evidence.chain.answer", lang, {**common, "answer": answer, "framework": piece["source_framework"]})


def counts_of(statuses: pl.DataFrame) -> pl.DataFrame:
    """The :func:`portfolio_counts` shape (with conflicts) from :func:`derive`'s statuses, for a few
    suppliers. A criterion a ★ decides never ties with a disagreeing piece (every ★ says met), so
    the two kinds of conflict are apart: evidence of equal weight disagreeing, and newer
    declarations against a ★."""
    fresh = ~pl.col("stale")
    against = pl.col("declared_against")
    tie = pl.col("conflict") & ~against
    return (
        statuses.filter(pl.col("status").is_in(["met", "partial", "not_met"]) | pl.col("conflict"))
        .group_by("supplier_id", "category_no", "level")
        .agg(
            met=((pl.col("status") == "met") & fresh).sum(),
            partial=((pl.col("status") == "partial") & fresh).sum(),
            conflicts=tie.sum(),
            conflict_criteria=pl.col("criterion_id").filter(tie).sort(),
            declared_against=against.sum(),
            declared_against_criteria=pl.col("criterion_id").filter(against).sort(),
        )
    )


def portfolio_readiness(counts: pl.DataFrame, suppliers: pl.DataFrame, catalogue: Catalogue) -> pl.DataFrame:
    """Readiness for ★3 and ★4 of every supplier in ``suppliers`` (those without evidence: 0)."""
    star3_total = len(catalogue.criteria_at(3))
    star4_total = len(catalogue.criteria)
    per = counts.group_by("supplier_id").agg(
        met3=pl.col("met").filter(pl.col("level") == 3).sum(),
        partial3=pl.col("partial").filter(pl.col("level") == 3).sum(),
        met4=pl.col("met").sum(),
        partial4=pl.col("partial").sum(),
    )
    return (
        suppliers.join(per, on="supplier_id", how="left")
        .with_columns(pl.col("met3", "partial3", "met4", "partial4").fill_null(0))
        .with_columns(
            star3=pl.col("met3") / star3_total,
            star3_partial=pl.col("partial3") / star3_total,
            star4=pl.col("met4") / star4_total,
            star4_partial=pl.col("partial4") / star4_total,
        )
        .drop("met3", "partial3", "met4", "partial4")
    )


HISTORY_COLUMNS = (
    "star3",
    "star3_partial",
    "star4",
    "star4_partial",
    *(f"cat{n}" for n in range(1, 8)),
)


def readiness_snapshot(counts: pl.DataFrame, supplier_ids: pl.Series, catalogue: Catalogue) -> pl.DataFrame:
    """One row per supplier: readiness for ★3 and ★4 and the share of each category's ★4 criteria
    met (``cat1`` … ``cat7``), the shape of the ``readiness_history`` table."""
    suppliers = pl.DataFrame({"supplier_id": supplier_ids})
    ready = portfolio_readiness(counts, suppliers, catalogue)
    totals = catalogue.criteria_frame().group_by("category_no").agg(total=pl.len())
    per_category = (
        counts.group_by("supplier_id", "category_no")
        .agg(met=pl.col("met").sum())
        .join(totals, on="category_no")
        .with_columns(share=pl.col("met") / pl.col("total"), category=pl.format("cat{}", pl.col("category_no")))
        .pivot("category", index="supplier_id", values="share")
    )
    for n in range(1, 8):
        if f"cat{n}" not in per_category.columns:
            per_category = per_category.with_columns(pl.lit(None, pl.Float64).alias(f"cat{n}"))
    return (
        ready.join(per_category, on="supplier_id", how="left")
        .select("supplier_id", *HISTORY_COLUMNS)
        .with_columns(pl.col(*HISTORY_COLUMNS).cast(pl.Float64).fill_null(0.0))
    )


@dataclass(frozen=True)
class SupplierView:
    """One supplier read on the yardstick: criterion statuses with titles, and readiness."""

    catalogue: Catalogue
    statuses: pl.DataFrame
    readiness: dict[str, float | None]

    @property
    def declared_against(self) -> int:
        """Criteria a valid ★ certifies that the supplier has since declared not (fully) met."""
        return int(self.statuses["declared_against"].sum())

    def requirements(self, level: int) -> pl.DataFrame:
        titles = {r.id: r.title_ja for r in self.catalogue.requirements}
        return requirement_status(self.statuses, level).with_columns(
            title=pl.col("requirement_id").replace_strict(titles, return_dtype=pl.String)
        )

    def criteria(self, level: int, lang: str) -> pl.DataFrame:
        """The criteria of ★``level`` with status and deciding evidence, for a table."""
        summaries = {
            r.id: (self.catalogue.summaries[r.id].ja if lang == "ja" else self.catalogue.summaries[r.id].en)
            for r in self.catalogue.requirements
        }
        declared = pl.col("declared_status").cast(pl.String).fill_null("undeclared")
        return self.statuses.filter(pl.col("level") <= level).select(
            "criterion_id",
            "level",
            "status",
            declared.alias("declared_status"),
            "kind",
            "stale",
            "conflict",
            "evidence_date",
            pl.col("requirement_id").replace_strict(summaries, return_dtype=pl.String).alias("summary"),
        )
