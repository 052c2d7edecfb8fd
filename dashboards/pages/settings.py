"""Settings: the validity policy (how long each scheme is valid, when it goes stale, the yearly
check) and the yardstick's thresholds — for this registry, with a way back to the defaults."""

import polars as pl
import streamlit as st

from dashboards import ui
from dashboards.ui import tr
from registry.services import flags, yardstick
from registry.services.settings import CatalogueDataError, default_policy, policy_for, save_settings

store = ui.store()
policy = policy_for(store)
thresholds = yardstick.settings_from_store(store)

st.title(tr("settings.title"))
st.subheader(tr("settings.validity"))
st.caption(tr("settings.validity.caption"))
rules = pl.DataFrame(
    [
        {
            "scheme": s,
            "label": r.label_ja if ui.lang() == "ja" else r.label_en,
            **r.model_dump(exclude={"label_ja", "label_en"}),
        }
        for s, r in policy.schemes.items()
    ],
    schema_overrides={"validity_years": pl.Int64, "stale_after_years": pl.Int64, "yearly_check": pl.String},
)
edited = st.data_editor(
    rules,
    hide_index=True,
    width="stretch",
    disabled=["scheme", "label"],
    key="settings_rules",
    placeholder="—",
    column_config={
        "scheme": None,  # the code stays in the data, the reader sees the scheme's name
        "label": tr("col.scheme"),
        "validity_years": st.column_config.NumberColumn(
            tr("settings.validity_years"), min_value=1, max_value=10, step=1
        ),
        "stale_after_years": st.column_config.NumberColumn(
            tr("settings.stale_after_years"), min_value=1, max_value=10, step=1
        ),
        "yearly_check": st.column_config.SelectboxColumn(
            tr("settings.yearly_check"),
            options=["self_assessment", "surveillance"],
            format_func=lambda kind: tr(f"settings.yearly_check.{kind}"),
        ),
        "check_grace_days": st.column_config.NumberColumn(tr("settings.grace"), min_value=0, max_value=365, step=1),
    },
)
windows = st.text_input(
    tr("settings.windows"), value=", ".join(map(str, policy.expiring_windows_days)), key="settings_windows"
)
scheme_start = st.date_input(
    tr("settings.scheme_start"), value=policy.scheme_start, format="YYYY-MM-DD", key="settings_scheme_start"
)
st.caption(tr("settings.scheme_start.caption"))
columns = st.columns(2)
min_strength = columns[0].number_input(
    tr("settings.min_strength"), 0.0, 1.0, thresholds.min_strength, step=0.05, key="settings_strength"
)
fresh_months = columns[1].number_input(
    tr("settings.fresh_months"), 1, 60, thresholds.fresh_months, step=1, key="settings_fresh"
)

actions = st.columns(2)
if actions[0].button(tr("settings.save"), type="primary", key="settings_save"):
    try:
        proposed = ui.policy_from_rows(policy, edited, windows, scheme_start)
    except (CatalogueDataError, ValueError) as exc:
        st.error(ui.error_text(exc))
    else:
        save_settings(
            store,
            {
                "validity_policy": proposed.model_dump_json(),
                "yardstick.min_strength": str(min_strength),
                "yardstick.fresh_months": str(int(fresh_months)),
            },
            actor=ui.actor(),
        )
        st.success(tr("settings.saved"))
if actions[1].button(tr("settings.reset"), key="settings_reset"):
    save_settings(
        store,
        {"validity_policy": None, "yardstick.min_strength": None, "yardstick.fresh_months": None},
        actor=ui.actor(),
    )
    st.success(tr("settings.reset.done", windows=", ".join(map(str, default_policy().expiring_windows_days))))

st.subheader(tr("settings.flags"))
st.caption(tr("settings.flags.caption"))
rules = flags.rules_in_force(store)
rows = pl.DataFrame(
    [
        {
            "rule_id": rule.id,
            "title": rule.title_ja if ui.lang() == "ja" else rule.title_en,
            "enabled": rule.enabled,
            "threshold": name,
            "threshold_label": tr(f"threshold.{name}") if name else "—",
            "value": value,
        }
        for rule in rules.rules
        for name, value in (rule.thresholds.items() or [("", None)])
    ],
    schema={
        "rule_id": pl.String,
        "title": pl.String,
        "enabled": pl.Boolean,
        "threshold": pl.String,
        "threshold_label": pl.String,
        "value": pl.Float64,
    },
)
edited_rules = st.data_editor(
    rows,
    hide_index=True,
    width="stretch",
    disabled=["rule_id", "title", "threshold", "threshold_label"],
    key="settings_flag_rules",
    placeholder="—",
    column_config={
        "rule_id": None,  # codes stay in the data; the reader sees the rule's title and words
        "title": tr("settings.flags.rule"),
        "enabled": tr("settings.flags.enabled"),
        "threshold": None,
        "threshold_label": tr("settings.flags.threshold"),
        "value": st.column_config.NumberColumn(tr("settings.flags.value"), min_value=0.0),
    },
)
buyer = st.columns(2)
buyer_name = buyer[0].text_input(tr("settings.buyer"), value=store.setting("buyer.name") or "", key="settings_buyer")
buyer_contact = buyer[1].text_input(
    tr("settings.contact"), value=store.setting("buyer.contact") or "", key="settings_contact"
)
flag_actions = st.columns(2)
if flag_actions[0].button(tr("settings.flags.save"), type="primary", key="settings_flags_save"):
    frame = edited_rules if isinstance(edited_rules, pl.DataFrame) else pl.from_pandas(edited_rules)
    values: dict[str, str | None] = {"buyer.name": buyer_name or None, "buyer.contact": buyer_contact or None}
    for row in frame.to_dicts():
        values[f"flags.{row['rule_id']}.enabled"] = str(bool(row["enabled"]))
        if row["threshold"]:
            values[f"flags.{row['rule_id']}.{row['threshold']}"] = str(row["value"])
    save_settings(store, values, actor=ui.actor())
    ui.refresh_flags(store)
    st.success(tr("settings.flags.saved"))
if flag_actions[1].button(tr("settings.flags.reset"), key="settings_flags_reset"):
    flags.reset_rules(store, ui.actor())
    ui.refresh_flags(store)
    st.success(tr("settings.flags.reset.done"))
