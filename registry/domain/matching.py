"""Ranking SCS criteria for a checklist question (pure: features in, proposals out).

Each criterion is a document of features (normalised words and synonym topics, see
registry/services/mapping.py); a question is ranked against all of them with BM25. The score
shown to people is the share of the best score the question's known features could reach, so
that it reads the same for short and long questions: 0 nothing matched, 1 everything matched
as well as it can. Below a threshold nothing is proposed: a weak match is never forced.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "AUTO_ACCEPT",
    "MIN_EVIDENCE",
    "NO_PROPOSAL_BELOW",
    "CriterionIndex",
    "Proposal",
    "Relationship",
    "relationship",
]

Relationship = Literal["equal", "subset", "superset", "intersect"]

# Tuned on tests/data/mapping/evaluation.csv (docs/mapping-assistant.md gives the figures): a
# criterion whose score is below NO_PROPOSAL_BELOW is not proposed; a first proposal whose
# confidence reaches AUTO_ACCEPT was right in more than nine cases out of ten.
NO_PROPOSAL_BELOW = 0.12
AUTO_ACCEPT = 0.2
# A question whose best BM25 score stays under this matched one or two common words only (所在地,
# 取引開始): nothing is proposed. 99 % of the evaluation set's security questions score more.
MIN_EVIDENCE = 7.0
# The first criterion of a requirement is mostly its base practice, which a checklist's general
# question asks about; its siblings add the specifics. It is preferred by this much on a near tie.
_FIRST_OF_REQUIREMENT = 0.2
_TOPIC_WEIGHT = 2.0  # a synonym topic or a citation says more than a single word
_K1, _B = 1.2, 0.75


@dataclass(frozen=True)
class Proposal:
    """One proposed criterion for a question: its score (0–1: how much of what the question asks
    the criterion matched), the features both share, the suggested relationship of the question
    to the criterion, and the confidence (the score, less when the next criterion is as good: two
    siblings that tie leave the choice to a person)."""

    criterion_id: str
    score: float
    matched: tuple[str, ...]
    relationship: Relationship
    learned: bool = False
    confidence: float = 0.0


def _weight(feature: str) -> float:
    """A synonym topic (#…) or a cited clause or practice (iso:…, cmmc:…) says more than a word."""
    return _TOPIC_WEIGHT if feature.startswith("#") or ":" in feature else 1.0


class CriterionIndex:
    """BM25 over the criteria's documents. ``documents``: criterion → every feature of its
    texts; ``own``: criterion → the features of its own summary (for the relationship)."""

    def __init__(self, documents: Mapping[str, Sequence[str]], own: Mapping[str, Sequence[str]]) -> None:
        self.criteria = tuple(documents)
        self._own = {c: frozenset(own.get(c, ())) for c in self.criteria}
        self._tf: dict[str, dict[str, int]] = {}
        self._length: dict[str, float] = {}
        for criterion, features in documents.items():
            counts = Counter(features)
            self._length[criterion] = sum(counts.values())
            for feature, n in counts.items():
                self._tf.setdefault(feature, {})[criterion] = n
        n_docs = max(len(self.criteria), 1)
        self._average = (sum(self._length.values()) / n_docs) or 1.0
        self._idf = {
            feature: math.log(1 + (n_docs - len(postings) + 0.5) / (len(postings) + 0.5))
            for feature, postings in self._tf.items()
        }

    def idf(self, feature: str) -> float:
        """How telling a feature is (0 for one no criterion has)."""
        return self._idf.get(feature, 0.0)

    def scores(self, query: Sequence[str]) -> tuple[dict[str, float], dict[str, list[str]], float]:
        """Each criterion's BM25 score, the features it matched, and the best score possible."""
        scores: dict[str, float] = {}
        matched: dict[str, list[str]] = {}
        best = 0.0
        for feature, times in Counter(query).items():
            idf = self._idf.get(feature)
            if not idf:
                continue
            weight = _weight(feature) * (1 + math.log(times))
            best += idf * (_K1 + 1) * weight
            for criterion, tf in self._tf[feature].items():
                norm = _K1 * (1 - _B + _B * self._length[criterion] / self._average)
                scores[criterion] = scores.get(criterion, 0.0) + idf * tf * (_K1 + 1) / (tf + norm) * weight
                matched.setdefault(criterion, []).append(feature)
        return scores, matched, best

    def rank(self, query: Sequence[str], top: int = 3, threshold: float = NO_PROPOSAL_BELOW) -> list[Proposal]:
        """Up to ``top`` criteria whose score reaches ``threshold``, best first (ties by ID)."""
        scores, matched, best = self.scores(query)
        if not best or max(scores.values()) < MIN_EVIDENCE:
            return []
        scores = {c: s * (1 + _FIRST_OF_REQUIREMENT) if c.endswith("-1") else s for c, s in scores.items()}
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        margin = (ranked[0][1] - ranked[1][1]) / ranked[0][1] if len(ranked) > 1 else 1.0
        proposals = []
        for n, (criterion, score) in enumerate(ranked[:top]):
            share = min(score / best, 1.0)
            if share < threshold:
                break
            shared = tuple(dict.fromkeys(matched[criterion]))
            proposals.append(
                Proposal(
                    criterion,
                    round(share, 3),
                    shared,
                    relationship(query, self._own[criterion], shared, self.idf),
                    confidence=round(share * min(margin, 1.0), 3) if n == 0 else 0.0,
                )
            )
        return proposals


def relationship(query: Sequence[str], criterion: frozenset[str], matched: Sequence[str], idf: object) -> Relationship:
    """How the question relates to the criterion, from how much of each the shared features
    cover (weighted by how telling they are): both mostly → equal; the question mostly inside a
    broader criterion → subset; the criterion mostly inside a broader question → superset; else
    intersect."""
    weigh = idf if callable(idf) else (lambda _: 1.0)
    asked = set(query)
    shared = set(matched)
    asked_weight = sum(weigh(f) for f in asked) or 1.0
    own_weight = sum(weigh(f) for f in criterion) or 1.0
    of_question = sum(weigh(f) for f in shared & asked) / asked_weight
    of_criterion = sum(weigh(f) for f in shared & criterion) / own_weight
    if of_question >= 0.7 and of_criterion >= 0.6:
        return "equal"
    if of_question >= 0.6:
        return "subset"
    if of_criterion >= 0.6:
        return "superset"
    return "intersect"
