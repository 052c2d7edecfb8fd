"""The mapping assistant as stored: the phrases people accepted for criteria, and the save of a
reviewed checklist's profile together with them (one transaction)."""

from __future__ import annotations

import polars as pl

from registry import clock
from registry.domain.actor import Actor
from registry.store.core import Store

__all__ = ["learned_phrases", "revision", "save_mapped_profile"]


def learned_phrases(store: Store) -> pl.DataFrame:
    """Every accepted phrase: the folded phrase, the question as written, the criterion, the
    relationship, the profile, who accepted it and when (newest first)."""
    return store.frame(
        """SELECT phrase, question, criterion_id, relationship, profile, accepted_by, accepted_at
           FROM mapping_phrase ORDER BY accepted_at DESC, phrase, criterion_id"""
    )


def revision(store: Store) -> int:
    """A number that changes when official texts are imported or phrases learned (an index key)."""
    return int(
        store.scalar(
            """SELECT coalesce(max(audit_id), 0) FROM audit_log
               WHERE action IN ('import_official_texts', 'add_profile', 'learn_mappings')"""
        )
        or 0
    )


def save_mapped_profile(store: Store, name: str, text: str, phrases: pl.DataFrame, actor: Actor) -> None:
    """Store a profile the assistant helped map (validated by the caller) and the phrases its
    reviewer accepted; a phrase accepted again for a criterion keeps the latest decision."""
    with store.transaction(actor) as tx:
        tx.execute(
            "INSERT OR REPLACE INTO mapping_profile (name, yaml, added_at, added_by) VALUES (?, ?, ?, ?)",
            [name, text, clock.now(), actor.name],
        )
        tx.audit("add_profile", entity="mapping_profile", entity_id=name, detail={"assistant": True})
        if phrases.height:
            unique = phrases.unique(["phrase", "criterion_id"], keep="last", maintain_order=True)
            tx.delete_rows("mapping_phrase", unique.select("phrase", "criterion_id"))
            tx.insert_frame("mapping_phrase", unique)
            tx.audit(
                "learn_mappings",
                entity="mapping_phrase",
                entity_id=name,
                detail={"phrases": unique.height, "criteria": unique["criterion_id"].n_unique()},
            )
