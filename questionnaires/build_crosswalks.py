"""Regenerate the crosswalks derived from the shipped catalogue data (a developer's tool).

    python -m questionnaires.build_crosswalks SOURCE_DIR   (the CSV copies of IPA's Excel)

- SCS draft 2025-12 → final 2026-03-27: from the two catalogues' texts (identical → ``equal``
  under the final number, changed → reviewed or ``intersect``, no counterpart → no link).
- JAMA/JAPIA guideline v2.3 → SCS and ISO/IEC 27001:2022 → SCS: one ``intersect`` entry per
  official citation in IPA's catalogue (columns O–S), keeping the cited JAMA level.

The authored crosswalks (IPA 自社診断, SECURITY ACTION) are written by hand and not touched here.
"""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path

from questionnaires.build_scs import criterion_texts
from questionnaires.catalogue import CURRENT_VERSION, load_catalogue
from questionnaires.crosswalks import HERE, Crosswalk
from questionnaires.schema import fold_criterion_text

__all__ = ["ELSEWHERE", "REVIEWED", "SIMILAR_ENOUGH", "build_all"]


# Draft criteria read side by side with the final text (a person's review, our rule): where the
# text changed in structure (merged, split, widened, narrowed) the relationship is set here;
# an empty list says the draft criterion has no counterpart in the final catalogue.
REVIEWED: dict[str, list[tuple[str, str, float, str]]] = {
    "2-1-4-1": [
        (
            "2-1-4-1",
            "superset",
            0.85,
            "the final drops the three items the draft required the agreement to name; meeting the draft meets the final",
        )
    ],
    "3-1-3-1": [
        (
            "3-1-3-1",
            "superset",
            0.85,
            "the final drops the draft's approval by an officer or employee; meeting the draft meets the final",
        )
    ],
    "4-1-4-1": [
        (
            "4-1-4-1",
            "superset",
            0.8,
            "the final adds the draft's fallback (4-1-4-2) as a third option and locks the device rather than the account; meeting the draft meets the final",
        )
    ],
    "4-1-4-2": [
        (
            "4-1-4-1",
            "superset",
            0.7,
            "the draft's fallback became the third option of the final 4-1-4-1; meeting it meets the final, failing it says nothing about the other two options",
        )
    ],
    "4-1-6-2": [],
    "4-1-8-3": [
        (
            "4-1-8-3",
            "intersect",
            0.6,
            "both ask for a named manager of the keys; the final names the server area or rack and asks for safe keeping rather than locking",
        )
    ],
    "4-2-1-2": [],
    "4-3-3-2": [],
    "4-4-1-1": [
        (
            "4-4-1-1",
            "superset",
            0.8,
            "the final adds an alternative (software outside an allow list cannot be installed); meeting the draft meets the final",
        )
    ],
    "4-4-1-5": [
        (
            "4-4-1-5",
            "superset",
            0.8,
            "the final narrows the scope to PCs and servers and allows strong authentication instead; meeting the draft meets the final",
        )
    ],
    "4-4-3-3": [
        (
            "4-4-3-3",
            "superset",
            0.9,
            "the final drops the draft's notes on cloud services; the monitoring asked is the same",
        )
    ],
    "4-4-4-2": [
        (
            "4-4-4-2",
            "superset",
            0.8,
            "the final limits the updates to functions in use and adds mitigations when an update is late; meeting the draft meets the final",
        )
    ],
    "4-4-4-3": [
        (
            "4-4-4-2",
            "intersect",
            0.5,
            "the draft's mitigations for late updates became the second half of the final 4-4-4-2 (which also asks for updates within 14 days); the final 4-4-4-3 is a new ★4 criterion on internet-facing devices",
        )
    ],
    "4-4-5-2": [
        (
            "4-4-5-2",
            "superset",
            0.85,
            "the draft covers every information device, the final PCs and servers with anti-malware software; meeting the draft meets the final",
        )
    ],
    "4-5-2-1": [
        (
            "5-1-1-1",
            "subset",
            0.6,
            "the draft's blocking of outbound traffic to malicious servers is one half of the final 5-1-1-1, which also asks for inbound detection in real time",
        )
    ],
    "5-1-2-2": [
        (
            "4-4-1-1",
            "intersect",
            0.5,
            "the draft's rule against installing software freely became an alternative within the final 4-4-1-1",
        )
    ],
    "5-2-1-1": [
        (
            "5-2-1-1",
            "intersect",
            0.8,
            "both define the incident levels and what falls under them and tell the staff; the final asks for the scope per level",
        )
    ],
    "5-2-1-2": [
        (
            "5-2-1-2",
            "intersect",
            0.7,
            "both ask to judge an alert's incident level; the final adds suspicious sign-ins (4-4-3-3) as a trigger and no longer names who judges",
        )
    ],
    "6-1-1-1": [
        ("6-1-1-1", "subset", 0.7, "the final also asks that the procedure hold the five steps (the draft's 6-1-1-2)")
    ],
    "6-1-1-2": [
        (
            "6-1-1-1",
            "superset",
            0.9,
            "a procedure holding the five steps meets the final 6-1-1-1, which merged the draft's 6-1-1-1 and 6-1-1-2",
        )
    ],
}
# Changed text that was not reviewed counts as an overlap: a draft ○ is partial evidence, a ✖
# none; below this similarity (of the fingerprinted texts) no link is made.
SIMILAR_ENOUGH = 0.6
# Outside the criterion's own requirement, only a near copy is taken as its counterpart.
ELSEWHERE = 0.85


def _draft_to_final(source_dir: Path) -> dict[str, object]:
    """The draft → final crosswalk from the two catalogues' official texts (read from the CSV
    copies of IPA's Excel at build time; the repository keeps only their fingerprints):
    identical text → ``equal`` under its final number; changed text → the reviewed
    relationship (:data:`REVIEWED`) or ``intersect`` weighted by similarity; no counterpart →
    no link."""
    draft, final = load_catalogue("2025-12"), load_catalogue(CURRENT_VERSION)
    draft_texts = {k: fold_criterion_text(v) for k, v in criterion_texts(source_dir, "2025-12").items()}
    final_texts = {k: fold_criterion_text(v) for k, v in criterion_texts(source_dir, CURRENT_VERSION).items()}
    final_levels = {c.id: c.level for c in final.criteria}
    final_requirement = {c.id: c.requirement_id for c in final.criteria}
    by_text = {text: cid for cid, text in final_texts.items()}
    # A final criterion that holds a draft criterion's exact text is that one's successor only.
    taken = {by_text[text] for text in draft_texts.values() if text in by_text}
    entries = []

    def entry(source: str, target: str, relationship: str, strength: float, why: str) -> dict[str, object]:
        level = next(c.level for c in draft.criteria if c.id == source)
        if level != final_levels[target]:
            why += f"; its level moved from ★{level} to ★{final_levels[target]}"
        return {
            "source": source,
            "target": target,
            "relationship": relationship,
            "strength": strength,
            "rationale": why,
        }

    for crit in draft.criteria:
        text = draft_texts[crit.id]
        if text in by_text:
            target = by_text[text]
            why = "identical text" + ("" if target == crit.id else f", renumbered from {crit.id} to {target}")
            entries.append(entry(crit.id, target, "equal", 1.0, why))
        elif crit.id in REVIEWED:
            for target, relationship, strength, why in REVIEWED[crit.id]:
                entries.append(entry(crit.id, target, relationship, strength, f"text changed: {why} (reviewed)"))
        else:
            ratio, target = max(
                (difflib.SequenceMatcher(None, text, other).ratio(), cid)
                for cid, other in final_texts.items()
                if cid not in taken
            )
            same_requirement = final_requirement[target] == crit.requirement_id
            if ratio >= (SIMILAR_ENOUGH if same_requirement else ELSEWHERE):
                moved = "" if target == crit.id else f", renumbered from {crit.id} to {target}"
                why = (
                    f"text changed (similarity {ratio:.2f}{moved}); not reviewed for direction, so it counts as "
                    "an overlap: a draft ○ is partial evidence, a ✖ none"
                )
                entries.append(entry(crit.id, target, "intersect", round(min(ratio, 0.95), 2), why))
    return {
        "id": "scs-2025-12-to-scs-2026-03-27",
        "title_ja": "SCS評価基準 ドラフト(2025-12) → 最終版(2026-03-27)",
        "title_en": "SCS criteria, draft 2025-12 to final 2026-03-27",
        "source": {"framework": "scs", "version": "2025-12"},
        "target": {"framework": "scs", "version": CURRENT_VERSION},
        "method": "version_migration",
        "description": "Built from the two catalogues' official texts: identical text is 'equal' under its final number "
        "(19 draft criteria land under another number, 8 of them with identical text); changed text is 'subset', 'superset' or 'intersect' with a rationale; a draft "
        "criterion without a counterpart has no link (docs/yardstick.md, 'Draft answers').",
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


def build_all(source_dir: Path, folder: Path = HERE) -> list[Path]:
    """Write the derived crosswalks; ``source_dir`` holds the CSV copies of IPA's Excel."""
    written = []
    for doc in (_draft_to_final(source_dir), _from_citations("jama_japia"), _from_citations("iso27001")):
        Crosswalk.model_validate(doc)
        path = folder / f"{doc['id']}.json"
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in build_all(Path(sys.argv[1])):
        print(written_path)
