"""Settings of this registry: values the admin changed, IPA's official texts, added mapping
profiles."""

from __future__ import annotations

import polars as pl

from importers.ipa_catalogue import OfficialTextBatch
from questionnaires.crosswalks import Crosswalk
from registry import clock
from registry.domain.actor import Actor
from registry.domain.yardstick import Settings
from registry.store import Store

__all__ = [
    "add_profile",
    "load_official_texts",
    "official_texts",
    "save_settings",
    "save_user_crosswalk",
    "user_crosswalk_texts",
    "user_profiles",
    "yardstick_settings",
]


def official_texts(store: Store, catalogue_version: str) -> pl.DataFrame:
    """Official sentences imported for a catalogue version (empty when none were imported)."""
    return store.frame(
        "SELECT item_id, item_kind, text_ja FROM official_text WHERE catalogue_version = ? ORDER BY item_id",
        [catalogue_version],
    )


def user_profiles(store: Store) -> pl.DataFrame:
    """Mapping profiles users added: name and YAML text."""
    return store.frame("SELECT name, yaml FROM mapping_profile ORDER BY name")


def load_official_texts(store: Store, batch: OfficialTextBatch, actor: Actor) -> int:
    """Store IPA's official requirement and criterion sentences; replaces an earlier import."""
    rows = [
        {
            "catalogue_version": batch.catalogue_version,
            "item_id": item_id,
            "item_kind": kind,
            "text_ja": text,
            "source_name": batch.source_name,
            "source_sha256": batch.sha256,
        }
        for kind, texts in (("requirement", batch.requirements), ("criterion", batch.criteria))
        for item_id, text in texts.items()
    ]
    frame = pl.DataFrame(rows, schema={k: pl.String for k in rows[0]}) if rows else pl.DataFrame()
    with store.transaction(actor) as tx:
        tx.execute("DELETE FROM official_text WHERE catalogue_version = ?", [batch.catalogue_version])
        tx.insert_frame("official_text", frame)
        tx.audit(
            "import_official_texts",
            entity="catalogue",
            entity_id=batch.catalogue_version,
            detail={
                "file": batch.source_name,
                "requirements": len(batch.requirements),
                "criteria": len(batch.criteria),
            },
            sha256=batch.sha256,
        )
    return len(rows)


def add_profile(store: Store, name: str, text: str, actor: Actor) -> None:
    """Store a user's mapping profile (already validated by the caller)."""
    with store.transaction(actor) as tx:
        tx.execute(
            "INSERT OR REPLACE INTO mapping_profile (name, yaml, added_at, added_by) VALUES (?, ?, ?, ?)",
            [name, text, clock.now(), actor.name],
        )
        tx.audit("add_profile", entity="mapping_profile", entity_id=name)


def save_settings(store: Store, values: dict[str, str | None], actor: Actor) -> None:
    """Set (or, with None, reset to the default) registry settings in one transaction, audited."""
    with store.transaction(actor) as tx:
        for key, value in values.items():
            if value is None:
                tx.execute("DELETE FROM setting WHERE key = ?", [key])
            else:
                store.set_setting(tx, key, value)
        tx.audit("save_settings", entity="setting", entity_id=", ".join(values), detail=values)


def user_crosswalk_texts(store: Store) -> list[tuple[str, str]]:
    """(ID, JSON) of the crosswalks users saved in this registry."""
    return list(store.frame("SELECT crosswalk_id, json FROM user_crosswalk ORDER BY crosswalk_id").iter_rows())


def save_user_crosswalk(store: Store, crosswalk: Crosswalk, actor: Actor) -> None:
    """Store a validated crosswalk for this registry (replacing an earlier save of the same ID)."""
    with store.transaction(actor) as tx:
        tx.execute(
            "INSERT OR REPLACE INTO user_crosswalk VALUES (?, ?, ?, ?)",
            [crosswalk.id, crosswalk.model_dump_json(), clock.now(), actor.name],
        )
        tx.audit(
            "save_crosswalk", entity="crosswalk", entity_id=crosswalk.id, detail={"entries": len(crosswalk.entries)}
        )


def yardstick_settings(store: Store) -> Settings:
    """The yardstick's thresholds in this registry's settings, else the defaults."""
    return Settings(
        min_strength=float(store.setting("yardstick.min_strength", "0.3") or 0.3),
        fresh_months=int(store.setting("yardstick.fresh_months", "12") or 12),
    )
