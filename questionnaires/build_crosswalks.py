"""Regenerate the crosswalks derived from the shipped catalogue data (a developer's tool).

    python -m questionnaires.build_crosswalks SOURCE_DIR   (the CSV copies of IPA's Excel)

- SCS draft 2025-12 → final 2026-03-27: from the two catalogues' texts (identical → ``equal``
  under the final number, changed → reviewed or ``intersect``, no counterpart → no link).
- JAMA/JAPIA guideline v2.3 → SCS and ISO/IEC 27001:2022 → SCS: one ``intersect`` entry per
  official citation in IPA's catalogue (columns O–S), keeping the cited JAMA level.

Every entry's rationale is written in English (``rationale``) and Japanese (``rationale_ja``), and
every crosswalk's description too (``description``, ``description_ja``).

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

__all__ = [
    "DESCRIPTIONS_JA",
    "ELSEWHERE",
    "REVIEWED",
    "SIMILAR_ENOUGH",
    "Rationale",
    "build_all",
    "changed_rationale",
    "identical_rationale",
    "iso27001_rationale",
    "jama_japia_rationale",
    "level_moved",
    "reviewed_rationale",
]

# A rationale in both languages: (English, Japanese); the files keep them as ``rationale`` and
# ``rationale_ja`` (written first, so that adding it left every line of the English as it was).
Rationale = tuple[str, str]


# Draft criteria read side by side with the final text (a person's review, our rule): where the
# text changed in structure (merged, split, widened, narrowed) the relationship is set here;
# an empty list says the draft criterion has no counterpart in the final catalogue. Each reason is
# given in English and in Japanese.
REVIEWED: dict[str, list[tuple[str, str, float, str, str]]] = {
    "2-1-4-1": [
        (
            "2-1-4-1",
            "superset",
            0.85,
            "the final drops the three items the draft required the agreement to name; meeting the draft meets the final",
            "ドラフトが取り決めに明記するよう求めていた 3 項目を最終版は削除した。ドラフトを満たせば最終版も満たす",
        )
    ],
    "3-1-3-1": [
        (
            "3-1-3-1",
            "superset",
            0.85,
            "the final drops the draft's approval by an officer or employee; meeting the draft meets the final",
            "ドラフトにあった役員または従業員による承認を最終版は削除した。ドラフトを満たせば最終版も満たす",
        )
    ],
    "4-1-4-1": [
        (
            "4-1-4-1",
            "superset",
            0.8,
            "the final adds the draft's fallback (4-1-4-2) as a third option and locks the device rather than the account; meeting the draft meets the final",
            "最終版はドラフトの代替策（4-1-4-2）を 3 つ目の選択肢として加え、アカウントではなく端末をロックする。ドラフトを満たせば最終版も満たす",
        )
    ],
    "4-1-4-2": [
        (
            "4-1-4-1",
            "superset",
            0.7,
            "the draft's fallback became the third option of the final 4-1-4-1; meeting it meets the final, failing it says nothing about the other two options",
            "ドラフトの代替策は最終版 4-1-4-1 の 3 つ目の選択肢になった。これを満たせば最終版も満たすが、満たさなくても他の 2 つの選択肢については何も言えない",
        )
    ],
    "4-1-6-2": [],
    "4-1-8-3": [
        (
            "4-1-8-3",
            "intersect",
            0.6,
            "both ask for a named manager of the keys; the final names the server area or rack and asks for safe keeping rather than locking",
            "どちらも鍵の管理者を定めることを求める。最終版はサーバーの設置場所またはラックを明示し、施錠ではなく安全な保管を求める",
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
            "最終版は代替策（許可リストにないソフトウェアはインストールできないこと）を加えた。ドラフトを満たせば最終版も満たす",
        )
    ],
    "4-4-1-5": [
        (
            "4-4-1-5",
            "superset",
            0.8,
            "the final narrows the scope to PCs and servers and allows strong authentication instead; meeting the draft meets the final",
            "最終版は対象を PC とサーバーに絞り、代わりに強固な認証も認める。ドラフトを満たせば最終版も満たす",
        )
    ],
    "4-4-3-3": [
        (
            "4-4-3-3",
            "superset",
            0.9,
            "the final drops the draft's notes on cloud services; the monitoring asked is the same",
            "最終版はドラフトのクラウドサービスに関する注記を削除した。求める監視は同じ",
        )
    ],
    "4-4-4-2": [
        (
            "4-4-4-2",
            "superset",
            0.8,
            "the final limits the updates to functions in use and adds mitigations when an update is late; meeting the draft meets the final",
            "最終版は更新の対象を使用中の機能に限り、更新が遅れる場合の緩和策を加えた。ドラフトを満たせば最終版も満たす",
        )
    ],
    "4-4-4-3": [
        (
            "4-4-4-2",
            "intersect",
            0.5,
            "the draft's mitigations for late updates became the second half of the final 4-4-4-2 (which also asks for updates within 14 days); the final 4-4-4-3 is a new ★4 criterion on internet-facing devices",
            "ドラフトの更新が遅れる場合の緩和策は最終版 4-4-4-2 の後半になった（4-4-4-2 は 14 日以内の更新も求める）。最終版の 4-4-4-3 はインターネットに面した機器についての新しい ★4 の評価基準",
        )
    ],
    "4-4-5-2": [
        (
            "4-4-5-2",
            "superset",
            0.85,
            "the draft covers every information device, the final PCs and servers with anti-malware software; meeting the draft meets the final",
            "ドラフトはすべての情報機器を、最終版はマルウェア対策ソフトウェアを入れた PC とサーバーを対象とする。ドラフトを満たせば最終版も満たす",
        )
    ],
    "4-5-2-1": [
        (
            "5-1-1-1",
            "subset",
            0.6,
            "the draft's blocking of outbound traffic to malicious servers is one half of the final 5-1-1-1, which also asks for inbound detection in real time",
            "ドラフトの悪性サーバーへの外向き通信の遮断は最終版 5-1-1-1 の半分にあたる。5-1-1-1 は内向き通信のリアルタイムの検知も求める",
        )
    ],
    "5-1-2-2": [
        (
            "4-4-1-1",
            "intersect",
            0.5,
            "the draft's rule against installing software freely became an alternative within the final 4-4-1-1",
            "ソフトウェアを自由にインストールさせないというドラフトのルールは、最終版 4-4-1-1 の中の代替策の一つになった",
        )
    ],
    "5-2-1-1": [
        (
            "5-2-1-1",
            "intersect",
            0.8,
            "both define the incident levels and what falls under them and tell the staff; the final asks for the scope per level",
            "どちらもインシデントのレベルと各レベルに当たる事象を定めて従業員に伝えることを求める。最終版はレベルごとの範囲も求める",
        )
    ],
    "5-2-1-2": [
        (
            "5-2-1-2",
            "intersect",
            0.7,
            "both ask to judge an alert's incident level; the final adds suspicious sign-ins (4-4-3-3) as a trigger and no longer names who judges",
            "どちらもアラートがどのレベルのインシデントかの判断を求める。最終版は不審なサインイン（4-4-3-3）をきっかけに加え、誰が判断するかは定めなくなった",
        )
    ],
    "6-1-1-1": [
        (
            "6-1-1-1",
            "subset",
            0.7,
            "the final also asks that the procedure hold the five steps (the draft's 6-1-1-2)",
            "最終版は手順が 5 つのステップ（ドラフトの 6-1-1-2）を含むことも求める",
        )
    ],
    "6-1-1-2": [
        (
            "6-1-1-1",
            "superset",
            0.9,
            "a procedure holding the five steps meets the final 6-1-1-1, which merged the draft's 6-1-1-1 and 6-1-1-2",
            "5 つのステップを含む手順は、ドラフトの 6-1-1-1 と 6-1-1-2 を統合した最終版 6-1-1-1 を満たす",
        )
    ],
}
# Changed text that was not reviewed counts as an overlap: a draft ○ is partial evidence, a ✖
# none; below this similarity (of the fingerprinted texts) no link is made.
SIMILAR_ENOUGH = 0.6
# Outside the criterion's own requirement, only a near copy is taken as its counterpart.
ELSEWHERE = 0.85

# The crosswalks' descriptions for Japanese readers, by crosswalk ID.
DESCRIPTIONS_JA = {
    "scs-2025-12-to-scs-2026-03-27": "2 つの版の公式文から作成。文が同じものは最終版の番号で「同等」（ドラフトの 19 基準は"
    "別の番号に移り、うち 8 基準は文も同じ）、文が変わったものは理由を付けて「一部を満たす」「包含する」「重なる」のいずれか。"
    "対応先のないドラフトの基準はつなぎません（docs/yardstick.md「Draft answers」）。",
    "jama-japia-v2.3-to-scs-2026-03-27": "IPA の評価基準一覧にある JAMA/JAPIA の引用から作成。引用は両者が重なることを示す"
    "だけで、一方が他方を満たすことまでは示さないため、すべて「重なる」としています。",
    "iso27001-2022-to-scs-2026-03-27": "IPA の評価基準一覧にある ISO/IEC 27001:2022 の引用から作成。取引先の事業を適用範囲に"
    "含む有効な ISMS 認証は、引用された評価基準の証跡として数えます（最大で「一部」）。",
}


def identical_rationale(source: str, target: str) -> Rationale:
    """A draft criterion whose text the final holds, under its own number or another."""
    if source == target:
        return "identical text", "文が同じ"
    return (
        f"identical text, renumbered from {source} to {target}",
        f"文が同じ（番号は {source} から {target} に変更）",
    )


def changed_rationale(ratio: float, source: str, target: str) -> Rationale:
    """A changed text that nobody reviewed: an overlap weighted by the texts' similarity."""
    moved = "" if target == source else f", renumbered from {source} to {target}"
    moved_ja = "" if target == source else f"、番号は {source} から {target} に変更"
    return (
        f"text changed (similarity {ratio:.2f}{moved}); not reviewed for direction, so it counts as "
        "an overlap: a draft ○ is partial evidence, a ✖ none",
        f"文が変わった（類似度 {ratio:.2f}{moved_ja}）。どちらが広いかは確認していないため「重なる」として扱い、"
        "ドラフトの ○ は「一部」の証跡、✖ は証跡なしとする",
    )


def reviewed_rationale(why: str, why_ja: str) -> Rationale:
    """A changed text a person read side by side (:data:`REVIEWED`)."""
    return f"text changed: {why} (reviewed)", f"文が変わった：{why_ja}（確認済み）"


def level_moved(rationale: Rationale, level: int | str, final_level: int | str) -> Rationale:
    """The rationale, saying that the criterion's ★ level changed between the versions."""
    why, why_ja = rationale
    return (
        f"{why}; its level moved from ★{level} to ★{final_level}",
        f"{why_ja}。レベルは ★{level} から ★{final_level} に変わった",
    )


def jama_japia_rationale(item: int | str, level: str | None, criterion: str) -> Rationale:
    """An official citation of a JAMA/JAPIA guideline item (with its level) for a criterion."""
    return (
        f"IPA's catalogue cites No.{item}" + (f" ({level})" if level else "") + f" for {criterion}",
        f"IPA の評価基準一覧が {criterion} の参照として自工会/部工会ガイドラインの No.{item}"
        + (f"（{level}）" if level else " ")
        + "を引用",
    )


def iso27001_rationale(ref: str, criterion: str) -> Rationale:
    """An official citation of an ISO/IEC 27001:2022 clause or control for a criterion."""
    return (
        f"IPA's catalogue cites ISO/IEC 27001:2022 {ref} for {criterion}",
        f"IPA の評価基準一覧が {criterion} の参照として ISO/IEC 27001:2022 の {ref} を引用",
    )


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

    def entry(source: str, target: str, relationship: str, strength: float, why: Rationale) -> dict[str, object]:
        level = next(c.level for c in draft.criteria if c.id == source)
        if level != final_levels[target]:
            why = level_moved(why, level, final_levels[target])
        return {
            "source": source,
            "target": target,
            "relationship": relationship,
            "strength": strength,
            "rationale_ja": why[1],
            "rationale": why[0],
        }

    for crit in draft.criteria:
        text = draft_texts[crit.id]
        if text in by_text:
            target = by_text[text]
            entries.append(entry(crit.id, target, "equal", 1.0, identical_rationale(crit.id, target)))
        elif crit.id in REVIEWED:
            for target, relationship, strength, why, why_ja in REVIEWED[crit.id]:
                entries.append(entry(crit.id, target, relationship, strength, reviewed_rationale(why, why_ja)))
        else:
            ratio, target = max(
                (difflib.SequenceMatcher(None, text, other).ratio(), cid)
                for cid, other in final_texts.items()
                if cid not in taken
            )
            same_requirement = final_requirement[target] == crit.requirement_id
            if ratio >= (SIMILAR_ENOUGH if same_requirement else ELSEWHERE):
                why = changed_rationale(ratio, crit.id, target)
                entries.append(entry(crit.id, target, "intersect", round(min(ratio, 0.95), 2), why))
    return {
        "id": "scs-2025-12-to-scs-2026-03-27",
        "title_ja": "SCS評価基準 ドラフト(2025-12) → 最終版(2026-03-27)",
        "title_en": "SCS criteria, draft 2025-12 to final 2026-03-27",
        "source": {"framework": "scs", "version": "2025-12"},
        "target": {"framework": "scs", "version": CURRENT_VERSION},
        "method": "version_migration",
        "description": "Built from the two catalogues' official texts: identical text is equal under its final number "
        "(19 draft criteria land under another number, 8 of them with identical text); changed text is a subset, a superset or an overlap, with a rationale; a draft "
        "criterion without a counterpart has no link (docs/yardstick.md, 'Draft answers').",
        "description_ja": DESCRIPTIONS_JA["scs-2025-12-to-scs-2026-03-27"],
        "entries": entries,
    }


def _from_citations(kind: str) -> dict[str, object]:
    catalogue = load_catalogue(CURRENT_VERSION)
    entries = []
    for crit in catalogue.criteria:
        if kind == "jama_japia":
            for cite in crit.citations.jama_japia:
                why, why_ja = jama_japia_rationale(cite.item, cite.level, crit.id)
                entries.append(
                    {
                        "source": str(cite.item),
                        "target": crit.id,
                        "relationship": "intersect",
                        "strength": 0.5,
                        "rationale_ja": why_ja,
                        "rationale": why,
                        "source_level": cite.level,
                    }
                )
        else:
            for ref in crit.citations.iso27001:
                why, why_ja = iso27001_rationale(ref, crit.id)
                entries.append(
                    {
                        "source": ref,
                        "target": crit.id,
                        "relationship": "intersect",
                        "strength": 0.5,
                        "rationale_ja": why_ja,
                        "rationale": why,
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
            "not that one implies the other, so every entry is an overlap.",
            "description_ja": DESCRIPTIONS_JA["jama-japia-v2.3-to-scs-2026-03-27"],
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
        "description_ja": DESCRIPTIONS_JA["iso27001-2022-to-scs-2026-03-27"],
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
