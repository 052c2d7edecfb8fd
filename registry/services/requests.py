"""★ level requests: the scheme's three screening questions, the buyer's decision, and the state
of each request as of a date. ``achieved`` and ``overdue`` follow from the data, never from a click:
a request is achieved when a valid ★ at or above its level is held, overdue when it was sent, is
not achieved and its due date has passed."""

from __future__ import annotations

import polars as pl

from registry.domain.models import LevelRequest
from registry.domain.requests import EFFECTIVE_STATES, RequestError, new_request_id, recommend
from registry.store.requests import current_requests, request_history, save_request, set_request_state

__all__ = [
    "EFFECTIVE_STATES",
    "LevelRequest",
    "RequestError",
    "current_requests",
    "new_request_id",
    "recommend",
    "request_history",
    "request_list_example",
    "save_request",
    "set_request_state",
]


def request_list_example(rows: pl.DataFrame) -> pl.DataFrame:
    """A request list in the layout `monosashi requests import` reads, filled from ``rows`` (current
    requests) so a buyer sees real values; one sample row when there are none."""
    yes_no = {True: "はい", False: "いいえ"}
    if rows.is_empty():
        return pl.DataFrame(
            {
                "取引先ID": ["S000001"],
                "会社名": ["株式会社サンプル"],
                "要請レベル": ["★4"],
                "要請日": ["2026-04-01"],
                "期日": ["2027-03-31"],
                "機密情報を扱う": ["はい"],
                "停止で納入が遅れる": ["いいえ"],
                "社内システムに接続": ["いいえ"],
                "判断理由": [""],
            }
        )
    return rows.select(
        pl.col("supplier_id").alias("取引先ID"),
        pl.col("name").alias("会社名"),
        ("★" + pl.col("requested_level").cast(pl.String)).alias("要請レベル"),
        pl.col("requested_on").cast(pl.String).alias("要請日"),
        pl.col("due_on").cast(pl.String).alias("期日"),
        pl.col("holds_confidential_info")
        .replace_strict(yes_no, default="", return_dtype=pl.String)
        .alias("機密情報を扱う"),
        pl.col("outage_delays_buyer")
        .replace_strict(yes_no, default="", return_dtype=pl.String)
        .alias("停止で納入が遅れる"),
        pl.col("reaches_buyer_network")
        .replace_strict(yes_no, default="", return_dtype=pl.String)
        .alias("社内システムに接続"),
        pl.col("reason").fill_null("").alias("判断理由"),
    )
