"""Overview: the portfolio at a glance as of a date — key figures against 30 days before, ★ held
and requested by tier, readiness, category scores, renewals due this quarter and the top flags.
Every chart leads to the list behind it."""

import polars as pl
import streamlit as st

from dashboards import figures, ui
from dashboards.ui import tr
from registry.services import dashboard, maintenance
from registry.services.suppliers import HELD_LEVELS

SUPPLIERS = "dashboards/pages/suppliers.py"

store = ui.store()
as_of = ui.as_of()
lang = ui.lang()
board = ui.cached_board(store, as_of)

st.title(tr("overview.title"))
st.caption(
    tr(
        "overview.caption.compare",
        as_of=as_of.isoformat(),
        version=board.catalogue_version,
        before=board.before.on.isoformat(),
    )
)

if board.now.suppliers == 0 and board.held_by_tier.is_empty():
    st.info(tr("overview.empty"))
    if st.button(tr("overview.load_demo"), type="primary"):
        demo = maintenance.generate_demo(500, seed=1, as_of=as_of)
        maintenance.replace_demo(store, demo, actor=ui.actor(), seed=1)
        ui.refresh_flags(store)
        st.success(tr("overview.demo_loaded", n=demo.suppliers.height))
        st.rerun()
    ui.link(st, "dashboards/pages/imports.py", tr("overview.go_import"), ":material/upload_file:")
    st.stop()

ui.link(st, "dashboards/pages/imports.py", tr("overview.go_import"), ":material/upload_file:")
now, before = board.now, board.before
# Two rows of three: at 1280 px no label is cut off, in either language.
kpis = [*st.columns(3), *st.columns(3)]
kpis[0].metric(tr("overview.suppliers"), f"{now.suppliers:,}", ui.delta(now.suppliers, before.suppliers))
kpis[1].metric(
    tr("overview.requested_met"),
    ui.percent(now.share_meeting_request),
    ui.delta_points(now.share_meeting_request, before.share_meeting_request),
    help=tr("overview.requested_met.help", met=now.meeting_request, asked=now.with_request),
)
kpis[2].metric(
    tr("overview.expiring", days=now.window),
    f"{now.expiring:,}",
    ui.delta(now.expiring, before.expiring),
    delta_color="inverse",
)
for column, severity in zip(kpis[3:], ("critical", "warning", "info"), strict=True):
    column.metric(
        tr("overview.open_flags", severity=tr(f"severity.{severity}")),
        f"{now.open_flags[severity]:,}",
        ui.delta(now.open_flags[severity], before.open_flags[severity]),
        delta_color="inverse",
    )
st.caption(tr("overview.kpi.caption", days=dashboard.COMPARE_DAYS))

level_label = {lv: tr(f"level.held.{lv}") for lv in HELD_LEVELS}
tiers = board.held_by_tier["tier"].unique(maintain_order=True).to_list()
tier_label = {t: tr("tier.label", tier=t) if t else tr("tier.unlinked") for t in tiers}
suppliers_axis = tr("overview.axis.suppliers")
left, right = st.columns(2)
with left:
    point = ui.chart_with_drilldown(
        figures.held_by_tier_bar(
            board.held_by_tier,
            tier_label,
            level_label,
            tr("overview.held_by_tier"),
            tr("overview.axis.tier"),
            suppliers_axis,
        ),
        "overview.held_by_tier.caption",
        key="overview_held_by_tier",
    )
    if point:
        st.switch_page(SUPPLIERS, query_params={"tier": str(point[0]), "held": point[1]})
    ui.links(
        SUPPLIERS,
        [(tr("overview.link.tier", tier=tier_label[t]), {"tier": str(t or 0)}) for t in tiers],
    )
with right:
    requested_label = {3: tr("level.requested.3"), 4: tr("level.requested.4")}
    requested = board.requested_by_tier.group_by("requested_level", "held_level").agg(pl.col("suppliers").sum())
    ui.chart(
        figures.requested_vs_held_bar(
            requested, requested_label, level_label, tr("overview.requested_vs_held"), suppliers_axis
        ),
        "overview.requested_vs_held.caption",
    )
    ui.links(
        SUPPLIERS,
        [
            (tr("overview.link.below_request"), {"below_request": "1", "sort": "readiness"}),
            (tr("overview.link.requested", level=4), {"requested": "4"}),
        ],
        per_row=1,
    )

ready = board.readiness
left, right = st.columns(2)
with left:
    ui.chart(
        figures.readiness_histogram(
            ready.readiness, "target", tr("overview.readiness"), tr("readiness.axis.readiness"), suppliers_axis
        ),
        "overview.readiness.caption",
    )
    ui.links(
        SUPPLIERS,
        [
            (tr("overview.link.readiness", pct=50), {"max_readiness": "0.5", "sort": "readiness"}),
            (tr("overview.link.readiness", pct=80), {"max_readiness": "0.8", "sort": "readiness"}),
        ],
        per_row=1,
    )
with right:
    group = ui.radio(
        st, tr("readiness.group"), ["tier", "industry"], lambda g: tr(f"readiness.group.{g}"), key="overview_group"
    )
    scores = ready.by_group(group)
    if group == "tier":
        scores = scores.with_columns(
            pl.col("tier").replace_strict(
                {str(t): tier_label.get(t, str(t)) for t in tiers} | {"—": tr("tier.unlinked")}, default=pl.col("tier")
            )
        )
    ui.chart(
        figures.category_heatmap(
            scores,
            group,
            ui.category_names(ready.catalogue),
            ui.tr_text("readiness.heatmap", group=tr(f"readiness.group.{group}")),
        ),
        "readiness.heatmap.caption",
    )
    values = sorted({str(v) for v in ready.readiness[group].drop_nulls().to_list()})
    ui.links(
        SUPPLIERS,
        [
            (ui.plain(tier_label.get(int(v), v) if group == "tier" else v), {group: v, "sort": "readiness"})
            for v in values[:12]
        ],
        per_row=3,
    )

first, last = board.quarter
st.subheader(tr("overview.renewals", first=first.isoformat(), last=last.isoformat()))
if board.renewals.is_empty():
    st.write(tr("overview.renewals.none"))
else:
    table = ui.labelled(board.renewals.drop("certificate_id"), scheme="scheme", state="state")
    ui.table(table)
    ui.downloads(board.renewals.drop("certificate_id"), "renewals_quarter", as_of)
ui.link(st, "dashboards/pages/renewals.py", tr("overview.link.renewals"), ":material/event_repeat:")

st.subheader(tr("overview.top_flags"))
if board.top_flags.is_empty():
    st.write(tr("flags.empty"))
else:
    flags_table = ui.labelled(
        board.top_flags.with_columns(reason=pl.col("reason" if lang == "ja" else "reason_en")).select(
            "severity", pl.col("kind").alias("flag_kind"), "supplier_id", "name", "reason", "state", "first_held_on"
        ),
        severity="severity",
        flag_kind="flag_kind",
        state="flag_state",
    )
    ui.table(flags_table)
    ui.downloads(board.top_flags, "top_flags", as_of)
ui.links(
    "dashboards/pages/flags.py",
    [(tr("overview.link.flags", severity=tr(f"severity.{s}")), {"severity": s}) for s in ("critical", "warning")],
)
