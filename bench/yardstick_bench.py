"""The yardstick at scale: every supplier's SCS statuses derived set-wise, and a Python loop that
computes the same output on a sample, checked row by row, in the same run.

    python bench/yardstick_bench.py [--suppliers 100000] [--rounds 2] [--sample 1000]

Builds the demo registry of ``--suppliers`` (about 60 % of suppliers with SCS self-assessments,
some with an older, superseded one, 10 % with IPA 自社診断), adds ``--rounds`` older rounds of
every self-assessment (400 days apart) so that the answer table holds tens of millions of rows at
the defaults (setup: its time is printed, not measured against anything), then measures:

- in a fresh process, so that its peak memory is its own: the full derivation of every supplier ×
  criterion (``yardstick.derive``) and the portfolio aggregation (``yardstick.portfolio_counts``);
- re-derivation of one supplier right after importing one file for it (median and p95 of 20);
- on the first ``--sample`` suppliers without certificates (the loop reads answers only): the rules
  written as a Python loop over rows, and ``yardstick.derive`` for the same suppliers. Both give,
  for every supplier × criterion, the deciding evidence (status, kind, strength, date, source,
  relationship, raw answer), whether it is stale, whether evidence of equal weight disagrees, and
  the number of pieces; the script exits non-zero if they differ on any row.
"""

from __future__ import annotations

import argparse
import calendar
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import NamedTuple

import _support
import polars as pl
from support import samples

from importers.base import SourceFile
from questionnaires.crosswalks import crosswalk_frame
from registry.domain.actor import Actor
from registry.services import intake, yardstick
from registry.services import profiles as profile_service
from registry.services.crosswalks import effective_crosswalks
from registry.services.demo import generate_demo
from registry.store import Store
from registry.store.content import initialise, replace_demo

AS_OF = date(2026, 11, 23)
RULES = {
    "equal": {"met": "met", "partial": "partial", "not_met": "not_met"},
    "superset": {"met": "met", "partial": "partial"},
    "subset": {"met": "partial", "partial": "partial", "not_met": "not_met"},
    "intersect": {"met": "partial", "partial": "partial"},
}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def months_before(day: date, months: int) -> date:
    """``day`` minus ``months`` calendar months, clamped to the month's last day (as DuckDB does)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def without_certificates(store: Store, n: int) -> list[str]:
    """The first ``n`` suppliers (by ID) with no certificate that counts as evidence: the sample on
    which the loop below, which reads answers only, must give derive's output exactly."""
    return store.frame(
        """SELECT supplier_id FROM supplier
           WHERE supplier_id NOT IN (SELECT supplier_id FROM certificate_counted)
           ORDER BY supplier_id LIMIT $n""",
        {"n": n},
    )["supplier_id"].to_list()


COMPARED = (
    "status",
    "kind",
    "strength",
    "evidence_date",
    "stale",
    "conflict",
    "pieces",
    "source_framework",
    "source_ref",
    "source_item",
    "relationship",
    "raw_answer",
)


class Piece(NamedTuple):
    """One piece of evidence of a supplier for a criterion, as the loop builds it."""

    fresh: bool
    rank: int
    strength: float
    evidence_date: date
    source_ref: str | None
    source_item: str
    status: str
    kind: str
    framework: str
    relationship: str
    raw_answer: str | None

    def weight(self) -> tuple:
        """The order the rules rank pieces in (smallest first): fresh, then rank, strength, newest,
        then by source."""
        return (
            not self.fresh,
            -self.rank,
            -self.strength,
            -self.evidence_date.toordinal(),
            self.source_ref or "",
            self.source_item or "",
        )


def python_loop(store: Store, supplier_ids: list[str]) -> dict[tuple[str, str], tuple]:
    """The rules of docs/yardstick.md written as loops over rows, for suppliers without certificates:
    for every supplier × criterion of the catalogue in force, the :data:`COMPARED` columns of
    ``yardstick.derive`` (the deciding piece of evidence, whether it is stale, whether a piece of
    equal weight disagrees, how many pieces there are). The rows come from plain SELECTs; the
    choosing of the newest submissions, the crosswalk rules and the ranking happen here."""
    catalogue = yardstick.catalogue_in_force(store)
    settings = yardstick.settings_from_store(store)
    criteria = catalogue.criteria_frame()["criterion_id"].to_list()
    known = set(criteria)
    crosswalk = crosswalk_frame(effective_crosswalks(store, profile_service.mapping_profiles(store)))
    mappings = defaultdict(list)
    for row in crosswalk.filter(
        (pl.col("target_version") == catalogue.version) & (pl.col("strength") >= settings.min_strength)
    ).iter_rows(named=True):
        mappings[(row["source_framework"], row["source_item"])].append(row)
    fresh_after = months_before(AS_OF, settings.fresh_months)

    # The newest submission per supplier and framework, on or before the date.
    newest: dict[tuple[str, str], dict] = {}
    subs = store.frame(
        "SELECT * FROM submission WHERE supplier_id IN (SELECT unnest($s)) AND submitted_on <= $as_of",
        {"s": supplier_ids, "as_of": AS_OF},
    )
    for sub in subs.iter_rows(named=True):
        key = (sub["supplier_id"], sub["framework_id"])
        order = (sub["submitted_on"], sub["imported_at"], sub["submission_id"])
        if key not in newest or order > newest[key]["order"]:
            newest[key] = {**sub, "order": order}
    by_submission = {sub["submission_id"]: sub for sub in newest.values()}
    answers = store.frame(
        "SELECT submission_id, item_id, status, raw_answer FROM answer WHERE submission_id IN (SELECT unnest($ids))",
        {"ids": list(by_submission)},
    )

    pieces: dict[tuple[str, str], list[Piece]] = defaultdict(list)
    for answer in answers.iter_rows(named=True):
        if answer["status"] not in ("met", "partial", "not_met"):
            continue
        sub = by_submission[answer["submission_id"]]
        framework, item, on = sub["framework_id"], answer["item_id"], sub["submitted_on"]
        fresh = on > fresh_after
        if framework == "scs" and sub["catalogue_version"] == catalogue.version:
            if item in known:
                pieces[(sub["supplier_id"], item)].append(
                    Piece(
                        fresh=fresh,
                        rank=2,
                        strength=1.0,
                        evidence_date=on,
                        source_ref=sub["source_name"],
                        source_item=item,
                        status=answer["status"],
                        kind="self_assessment",
                        framework="scs",
                        relationship="equal",
                        raw_answer=answer["raw_answer"],
                    )
                )
            continue
        for m in mappings.get((framework, item), []):
            if framework == "scs" and m["source_version"] != sub["catalogue_version"]:
                continue
            status = RULES[m["relationship"]].get(answer["status"])
            if status is None:
                continue
            kind, rank = ("migrated", 2) if framework == "scs" else ("crosswalk", 1)
            pieces[(sub["supplier_id"], m["criterion_id"])].append(
                Piece(
                    fresh=fresh,
                    rank=rank,
                    strength=m["strength"],
                    evidence_date=on,
                    source_ref=sub["source_name"],
                    source_item=item,
                    status=status,
                    kind=kind,
                    framework=framework,
                    relationship=m["relationship"],
                    raw_answer=answer["raw_answer"],
                )
            )

    out: dict[tuple[str, str], tuple] = {}
    for supplier_id in supplier_ids:
        for criterion in criteria:
            found = pieces.get((supplier_id, criterion))
            if not found:
                out[(supplier_id, criterion)] = ("unknown", None, None, None, False, False, 0, *[None] * 5)
                continue
            w = min(found, key=Piece.weight)
            tied = {p.status for p in found if (p.fresh, p.rank, p.strength) == (w.fresh, w.rank, w.strength)}
            out[(supplier_id, criterion)] = (
                w.status,
                w.kind,
                round(w.strength, 4),
                w.evidence_date,
                not w.fresh,
                len(tied) > 1,
                len(found),
                w.framework,
                w.source_ref,
                w.source_item,
                w.relationship,
                w.raw_answer,
            )
    return out


def derived_rows(statuses: pl.DataFrame) -> dict[tuple[str, str], tuple]:
    """``derive``'s output in the loop's shape: the :data:`COMPARED` columns per supplier × criterion."""
    out = {}
    for row in statuses.select("supplier_id", "criterion_id", *COMPARED).iter_rows(named=True):
        row["strength"] = None if row["strength"] is None else round(row["strength"], 4)
        out[(row["supplier_id"], row["criterion_id"])] = tuple(row[c] for c in COMPARED)
    return out


def derive_only(path: Path) -> None:
    """Full derivation and portfolio aggregation on an existing registry, with this process's peak memory."""
    store = Store(path)
    t0 = time.perf_counter()
    statuses = yardstick.derive(store, AS_OF)
    t1 = time.perf_counter()
    print(
        f"full derivation (derive, every supplier × criterion, into polars): {t1 - t0:6.1f} s, {statuses.height:,} rows, "
        f"peak memory {peak_mb():,.0f} MB, result {statuses.estimated_size('mb'):,.0f} MB"
    )
    print("statuses:", dict(statuses.group_by("status").len().sort("status").iter_rows()))
    del statuses
    t2 = time.perf_counter()
    counts = yardstick.portfolio_counts(store, AS_OF)
    t3 = time.perf_counter()
    print(
        f"portfolio aggregation (portfolio_counts): {t3 - t2:6.1f} s, {counts.height:,} rows; peak memory {peak_mb():,.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suppliers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2, help="older rounds of self-assessments to add")
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--derive-only", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.derive_only:
        derive_only(args.derive_only)
        return
    _support.print_machine()

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.duckdb")
        initialise(store, Actor.system("demo"))
        started = time.perf_counter()
        data = generate_demo(args.suppliers, 1, AS_OF)
        extra_subs, extra_answers = [], []
        scs = data.submissions.filter(pl.col("framework_id") == "scs")
        top = int(data.submissions["submission_id"].max())
        for r in range(1, args.rounds + 1):
            shifted = scs.with_columns(
                submission_id=pl.col("submission_id") + r * top,
                submitted_on=pl.col("submitted_on") - pl.duration(days=400 * r),
            )
            extra_subs.append(shifted)
            extra_answers.append(
                data.answers.join(scs.select("submission_id"), on="submission_id").with_columns(
                    submission_id=pl.col("submission_id") + r * top
                )
            )
        data = data.__class__(
            suppliers=data.suppliers,
            links=data.links,
            certificates=data.certificates,
            requests=data.requests,
            submissions=pl.concat([data.submissions, *extra_subs]),
            answers=pl.concat([data.answers, *extra_answers]),
        )
        replace_demo(store, data, Actor.system("demo"), seed=1)
        print(
            f"registry: {args.suppliers:,} suppliers, {data.submissions.height:,} submissions, {data.answers.height:,} answer rows "
            f"(built and written in {time.perf_counter() - started:.1f} s)"
        )

        print(f"peak memory of building the demo in this process: {peak_mb():,.0f} MB (not part of the derivation)")
        # The derivation runs in a fresh process so that its peak memory is its own.
        del data
        subprocess.run([sys.executable, __file__, "--derive-only", str(store.path)], check=True)

        target = "S000001"
        reports = intake.analyse(
            store,
            [
                SourceFile(
                    "new.xlsx", samples.scs_self_assessment_workbook(supplier_id=target, answered_on="2026-11-20")
                )
            ],
        )
        intake.commit(store, reports, mode="per_file", actor=Actor.person("bench", "buyer"), today=AS_OF)
        times = []
        for _ in range(20):
            t = time.perf_counter()
            one = yardstick.derive(store, AS_OF, target)
            times.append(time.perf_counter() - t)
        print(
            f"re-derivation of one supplier after an import: median {1000 * statistics.median(times):.0f} ms, "
            f"p95 {1000 * sorted(times)[18]:.0f} ms ({one.height} criteria)"
        )

        sample = without_certificates(store, args.sample)
        if not sample:
            sys.exit("yardstick_bench: no supplier without certificates to compare on")
        t3 = time.perf_counter()
        looped = python_loop(store, sample)
        t4 = time.perf_counter()
        sampled = yardstick.derive(store, AS_OF, sample)
        t5 = time.perf_counter()
        derived = derived_rows(sampled)
        differ = sorted(k for k in looped.keys() | derived.keys() if looped.get(k) != derived.get(k))
        loop_ms = 1000 * (t4 - t3) / len(sample)
        sample_ms = 1000 * (t5 - t4) / len(sample)
        print(
            f"python loop on {len(sample):,} suppliers without certificates: {t4 - t3:.2f} s = {loop_ms:.3f} ms/supplier"
        )
        print(
            f"yardstick.derive on the same {len(sample):,}: {t5 - t4:.2f} s = {sample_ms:.3f} ms/supplier "
            f"-> loop/derive {loop_ms / sample_ms:.1f}x"
        )
        if differ:
            for key in differ[:5]:
                print(f"  {key}: loop {looped.get(key)}\n  {' ' * len(str(key))}  derive {derived.get(key)}")
            sys.exit(
                f"yardstick_bench: WRONG RESULT: the loop and derive disagree on {len(differ):,} of "
                f"{len(derived):,} supplier × criterion rows (columns compared: {', '.join(COMPARED)})"
            )
        print(
            f"check: the loop and derive agree on all {len(derived):,} supplier × criterion rows ({', '.join(COMPARED)})"
        )
        print(
            f"peak memory of this process: {peak_mb():,.0f} MB (the derivation's own is printed above); targets: "
            "full derivation < 60 s, < 4 GB; one supplier < 100 ms"
        )


if __name__ == "__main__":
    main()
