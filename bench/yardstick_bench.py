"""The yardstick at scale: derive every supplier's SCS status, against a Python loop in the same run.

    python bench/yardstick_bench.py [--suppliers 100000] [--rounds 2] [--sample 1000]

Builds the demo registry (about 60 % of suppliers with SCS self-assessments, some with an older,
superseded one, 10 % with IPA 自社診断), adds ``--rounds`` older rounds of every self-assessment
so that the answer table holds tens of millions of rows, then measures:

- full derivation of every supplier × criterion (``yardstick.derive``) and the portfolio
  aggregation (``yardstick.portfolio_counts``), with peak memory;
- re-derivation of one supplier right after importing one file for it (median of 20);
- a straightforward Python-loop implementation of the same rules on a sample of suppliers,
  against ``derive`` on the same sample.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

import _support  # noqa: F401  (tests/support on the path)
import polars as pl
from support import samples

from importers.base import SourceFile
from questionnaires.crosswalks import all_crosswalks, crosswalk_frame
from registry.domain.actor import Actor
from registry.services import intake, yardstick
from registry.services import profiles as profile_service
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


def python_loop(store: Store, supplier_ids: list[str]) -> dict[tuple[str, str], str]:
    """The rules written as loops over rows (answers only; the sample has no certificates of SCS)."""
    catalogue = yardstick.catalogue_in_force(store)
    crosswalk = crosswalk_frame(all_crosswalks(profile_service.mapping_profiles(store)))
    mappings = defaultdict(list)
    for row in crosswalk.filter(pl.col("strength") >= 0.3).iter_rows(named=True):
        mappings[(row["source_framework"], row["source_item"])].append(row)
    subs = store.frame("SELECT * FROM current_submission WHERE supplier_id IN (SELECT unnest($s))", {"s": supplier_ids})
    answers = store.frame(
        "SELECT a.* FROM answer a WHERE submission_id IN (SELECT unnest($ids))",
        {"ids": subs["submission_id"].to_list()},
    )
    by_submission = {r["submission_id"]: r for r in subs.iter_rows(named=True)}
    best: dict[tuple[str, str], tuple] = {}
    for answer in answers.iter_rows(named=True):
        sub = by_submission[answer["submission_id"]]
        if answer["status"] not in ("met", "partial", "not_met"):
            continue
        fresh = (AS_OF - sub["submitted_on"]).days <= 365
        if sub["framework_id"] == "scs" and sub["catalogue_version"] == catalogue.version:
            pieces = [(answer["item_id"], answer["status"], 2, 1.0)]
        else:
            pieces = []
            for m in mappings.get((sub["framework_id"], answer["item_id"]), []):
                status = RULES[m["relationship"]].get(answer["status"])
                if status:
                    pieces.append((m["criterion_id"], status, 1, m["strength"]))
        for criterion, status, rank, strength in pieces:
            key = (sub["supplier_id"], criterion)
            order = (fresh, rank, strength, sub["submitted_on"])
            if key not in best or order > best[key][0]:
                best[key] = (order, status)
    return {k: v[1] for k, v in best.items()}


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

        sample = [f"S{i:06d}" for i in range(1, args.sample + 1)]
        t3 = time.perf_counter()
        looped = python_loop(store, sample)
        t4 = time.perf_counter()
        sampled = yardstick.derive(store, AS_OF, sample)
        t5 = time.perf_counter()
        agree = sum(
            1
            for r in sampled.filter(pl.col("kind").is_in(["self_assessment", "crosswalk"])).iter_rows(named=True)
            if looped.get((r["supplier_id"], r["criterion_id"])) == r["status"]
        )
        t6 = time.perf_counter()
        yardstick.portfolio_counts(store, AS_OF)
        t7 = time.perf_counter()
        loop_ms = 1000 * (t4 - t3) / len(sample)
        sample_ms = 1000 * (t5 - t4) / len(sample)
        portfolio_ms = 1000 * (t7 - t6) / args.suppliers
        decided = sampled.filter(pl.col("kind").is_in(["self_assessment", "crosswalk"])).height
        print(
            f"python loop on {len(sample):,} suppliers (answers only): {t4 - t3:.2f} s = {loop_ms:.3f} ms/supplier; "
            f"agrees on {agree:,} of {decided:,} answer-decided rows"
        )
        print(
            f"set-based derive of the same {len(sample):,}: {t5 - t4:.2f} s = {sample_ms:.3f} ms/supplier "
            f"-> loop/set {loop_ms / sample_ms:.1f}x"
        )
        print(
            f"set-based portfolio aggregation of all {args.suppliers:,}: {t7 - t6:.2f} s = {portfolio_ms:.3f} ms/supplier "
            f"-> loop/set {loop_ms / portfolio_ms:.1f}x"
        )
        print(
            f"peak memory of the run: {peak_mb():,.0f} MB; targets: full derivation < 60 s, < 4 GB; one supplier < 100 ms"
        )


if __name__ == "__main__":
    main()
