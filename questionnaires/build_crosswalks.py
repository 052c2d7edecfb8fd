"""Regenerate the crosswalks derived from the shipped catalogue data (a developer's tool).

    python -m questionnaires.build_crosswalks

- SCS draft 2025-12 → final 2026-03-27: a criterion with the same ID on both sides is ``equal``.
- JAMA/JAPIA guideline v2.3 → SCS and ISO/IEC 27001:2022 → SCS: one ``intersect`` entry per
  official citation in IPA's catalogue (columns O–S), keeping the cited JAMA level.

The authored crosswalks (IPA 自社診断, SECURITY ACTION) are written by hand and not touched here.
"""

from __future__ import annotations

import json
from pathlib import Path

from questionnaires.catalogue import CURRENT_VERSION, load_catalogue
from questionnaires.crosswalks import HERE, Crosswalk

__all__ = ["build_all"]


def _draft_to_final() -> dict[str, object]:
    draft, final = load_catalogue("2025-12"), load_catalogue(CURRENT_VERSION)
    final_levels = {c.id: c.level for c in final.criteria}
    entries = []
    for crit in draft.criteria:
        if crit.id not in final_levels:
            continue
        note = "same criterion ID in both versions"
        if crit.level != final_levels[crit.id]:
            note += f"; its level moved from ★{crit.level} to ★{final_levels[crit.id]}"
        entries.append(
            {"source": crit.id, "target": crit.id, "relationship": "equal", "strength": 1.0, "rationale": note}
        )
    return {
        "id": "scs-2025-12-to-scs-2026-03-27",
        "title_ja": "SCS評価基準 ドラフト(2025-12) → 最終版(2026-03-27)",
        "title_en": "SCS criteria, draft 2025-12 to final 2026-03-27",
        "source": {"framework": "scs", "version": "2025-12"},
        "target": {"framework": "scs", "version": CURRENT_VERSION},
        "method": "version_migration",
        "description": "Answers given against the draft count on the final catalogue where the criterion kept its ID. "
        "Criteria removed in the final (e.g. 4-5-2-1 of the removed requirement 4-5-2) have no successor.",
        "entries": entries,
    }


def _from_citations(kind: str) -> dict[str, object]:
    catalogue = load_catalogue(CURRENT_VERSION)
    entries = []
    for crit in catalogue.criteria:
        if kind == "jama_japia":
            for cite in crit.citations.jama_japia:
                entries.append(
                    {
                        "source": str(cite.item),
                        "target": crit.id,
                        "relationship": "intersect",
                        "strength": 0.5,
                        "rationale": f"IPA's catalogue cites No.{cite.item}"
                        + (f" ({cite.level})" if cite.level else "")
                        + f" for {crit.id}",
                        "source_level": cite.level,
                    }
                )
        else:
            for ref in crit.citations.iso27001:
                entries.append(
                    {
                        "source": ref,
                        "target": crit.id,
                        "relationship": "intersect",
                        "strength": 0.5,
                        "rationale": f"IPA's catalogue cites ISO/IEC 27001:2022 {ref} for {crit.id}",
                    }
                )
    unique = {(e["source"], e["target"]): e for e in entries}
    if kind == "jama_japia":
        return {
            "id": "jama-japia-v2.3-to-scs-2026-03-27",
            "title_ja": "自工会/部工会ガイドライン v2.3 → SCS (公式の参照)",
            "title_en": "JAMA/JAPIA guideline v2.3 to SCS (official citations)",
            "source": {"framework": "jama_japia", "version": "2.3"},
            "target": {"framework": "scs", "version": CURRENT_VERSION},
            "method": "official_citations",
            "description": "Built from the JAMA/JAPIA citations of IPA's catalogue. A citation says the two overlap, "
            "not that one implies the other, so every entry is 'intersect'.",
            "entries": list(unique.values()),
        }
    return {
        "id": "iso27001-2022-to-scs-2026-03-27",
        "title_ja": "ISO/IEC 27001:2022 → SCS (公式の参照)",
        "title_en": "ISO/IEC 27001:2022 to SCS (official citations)",
        "source": {"framework": "iso27001", "version": "2022"},
        "target": {"framework": "scs", "version": CURRENT_VERSION},
        "method": "official_citations",
        "description": "Built from the ISO/IEC 27001:2022 citations of IPA's catalogue, so that a valid ISMS certificate "
        "whose scope covers the supplier's business counts as evidence for the cited criteria (at most 'partial').",
        "entries": list(unique.values()),
    }


def build_all(folder: Path = HERE) -> list[Path]:
    written = []
    for doc in (_draft_to_final(), _from_citations("jama_japia"), _from_citations("iso27001")):
        Crosswalk.model_validate(doc)
        path = folder / f"{doc['id']}.json"
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in build_all():
        print(written_path)
