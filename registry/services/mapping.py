"""The mapping assistant (docs/mapping-assistant.md): read an unknown buyer checklist, propose up
to three SCS criteria per question with the words that matched, and save what a person accepted
as a validated mapping profile (and so a crosswalk), learning the accepted phrases.

Offline and explainable: Japanese is analysed with SudachiPy and its core dictionary (normalised
forms, so 実施している / 実施して いる compare alike), English with a small stemmer, both through
the security synonym list (questionnaires/mapping/synonyms.json); criteria are ranked with BM25
over our criterion and requirement summaries, the requirement titles, the category names, IPA's
official sentences when they were imported, and the questions people accepted before.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import polars as pl
import yaml
from sudachipy import Dictionary, SplitMode, Tokenizer

from importers.base import SourceFile
from importers.checklist_layout import ANSWER_WORDS, ChecklistLayout, questions_of, read_checklist, relayout
from questionnaires.catalogue import Catalogue
from questionnaires.frameworks import MappingProfile, load_profile_text
from questionnaires.schema import Criterion
from questionnaires.synonyms import fold_term, synonym_list
from registry import clock
from registry.domain.actor import Actor
from registry.domain.matching import AUTO_ACCEPT, NO_PROPOSAL_BELOW, CriterionIndex, Proposal
from registry.errors import MonosashiError
from registry.services import intake
from registry.services.exports import to_csv
from registry.services.yardstick import catalogue_in_force
from registry.store import Store
from registry.store import mapping as stored
from registry.store.settings import official_texts

__all__ = [
    "AUTO_ACCEPT",
    "DECISIONS",
    "NO_PROPOSAL_BELOW",
    "REVIEW_SCHEMA",
    "ChecklistLayout",
    "Reviewed",
    "accept_above",
    "answer_statuses",
    "check_profile_name",
    "features",
    "import_answers",
    "index_of",
    "learned_phrases",
    "learned_phrases_csv",
    "profile_of",
    "propose",
    "propose_texts",
    "questions_of",
    "read_checklist",
    "relayout",
    "save_profile",
    "suggested_name",
]

DECISIONS = ("unreviewed", "accepted", "changed", "rejected")
REVIEW_SCHEMA: dict[str, pl.DataType] = {
    "row": pl.Int64(),
    "item_id": pl.String(),
    "question": pl.String(),
    "answer": pl.String(),
    "proposals": pl.String(),  # the three proposals, as people read them
    "options": pl.List(
        pl.Struct(
            {
                "criterion": pl.String(),
                "score": pl.Float64(),
                "relationship": pl.String(),
                "matched": pl.List(pl.String()),
                "learned": pl.Boolean(),
            }
        )
    ),
    "confidence": pl.Float64(),  # of the first proposal: what "accept above" compares
    "score": pl.Float64(),  # of the first proposal (0 when none)
    "matched": pl.String(),
    "learned": pl.Boolean(),
    "criterion": pl.String(),  # the chosen criterion (the first proposal until a person decides)
    "relationship": pl.String(),
    "decision": pl.String(),
}
_STRENGTH = {"equal": 0.9, "subset": 0.7, "superset": 0.6, "intersect": 0.5}

# Words that carry no topic: the verbs and nouns every checklist sentence has.
_STOP_JA = frozenset(
    [
        "為る",
        "居る",
        "有る",
        "成る",
        "出来る",
        "事",
        "物",
        "物事",
        "等",
        "際",
        "場合",
        "為",
        "様",
        "よう",
        "こと",
        "もの",
        "ため",
        "中",
        "上",
        "内",
        "以下",
        "以上",
        "全て",
        "各",
        "其の",
        "此の",
        "貴社",
        "御社",
        "当社",
        "自社",
        "行う",
        "実施",
        "対応",
        "対策",
        "確認",
        "有無",
        "状況",
        "必要",
        "適切",
        "十分",
        "定める",
        "定め",
        "設ける",
        "規定",
        "おる",
        "致す",
        "頂く",
        "下さる",
        "如何",
        "何",
        "どう",
    ]
)
_STOP_EN = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "by",
        "with",
        "from",
        "at",
        "as",
        "is",
        "are",
        "be",
        "been",
        "being",
        "was",
        "were",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "their",
        "your",
        "you",
        "we",
        "our",
        "us",
        "they",
        "them",
        "all",
        "any",
        "each",
        "every",
        "such",
        "not",
        "no",
        "can",
        "could",
        "should",
        "shall",
        "must",
        "may",
        "might",
        "will",
        "would",
        "which",
        "who",
        "whom",
        "whose",
        "what",
        "when",
        "where",
        "how",
        "if",
        "than",
        "then",
        "so",
        "also",
        "only",
        "other",
        "others",
        "into",
        "over",
        "under",
        "about",
        "within",
        "per",
        "via",
        "yes",
        "ensure",
        "ensures",
        "ensured",
        "organization",
        "organisation",
        "company",
        "supplier",
        "suppliers",
    ]
)
_WORD = re.compile(r"[A-Za-z][A-Za-z\-]{1,}")
_ASCII_WORD = re.compile(r"[a-z0-9][a-z0-9\-]*")
_CONTENT = {"名詞", "動詞", "形容詞", "形状詞"}


@cache
def _tokenizer() -> Tokenizer:
    """SudachiPy with its core dictionary, loaded once per process (it installs from PyPI)."""
    return Dictionary(dict="core").tokenizer(mode=SplitMode.B)


def _stem(word: str) -> str:
    """A light English stem, enough to join update / updates / updated / updating and
    policy / policies: plural and tense endings off, then a final e."""
    if word.endswith(("ies", "ied")) and len(word) > 4:
        return word[:-3] + "y"
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and not word.endswith("ss") and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


@cache
def _topics() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, str]]:
    """The synonym list as two patterns — English terms as stemmed words on word boundaries
    (so "updates" finds "update"), the others anywhere in the folded text — and each term's group."""
    group_of: dict[str, str] = {}
    for group in synonym_list().groups:
        for term in group.terms:
            key = _english(unicodedata.normalize("NFKC", term).casefold()) if term.isascii() else fold_term(term)
            group_of[key] = group.id
    ascii_terms = sorted((t for t in group_of if t.isascii()), key=len, reverse=True)
    other_terms = sorted((t for t in group_of if not t.isascii()), key=len, reverse=True)
    ascii_pattern = re.compile(r"(?<![a-z0-9])(" + "|".join(map(re.escape, ascii_terms)) + r")(?![a-z0-9])")
    other_pattern = re.compile("|".join(map(re.escape, other_terms)))
    return ascii_pattern, other_pattern, group_of


def _english(text: str) -> str:
    """A text's ASCII words, stemmed, one space apart."""
    return " ".join(_stem(w) for w in _ASCII_WORD.findall(text))


# A checklist that cites ISO/IEC 27001 (4.1, A.5.31, 附属書A 8.7) or a CMMC practice
# (AC.L1-b.1.i): the criteria IPA's catalogue cites it for get the same feature.
_ISO_CONTEXT = re.compile(r"27001|iso|isms|annex|附属書|管理策")
_ISO_CLAUSE = re.compile(r"(?<![\w.])(?:a\.?\s?)?(\d{1,2}\.\d{1,2})(?![\d.])")
_CMMC_PRACTICE = re.compile(r"\b([a-z]{2}\.l[12]-[a-z0-9.]+?)(?=[\s,;)]|$)")


def _citations(normal: str) -> list[str]:
    found = [f"cmmc:{m.group(1).rstrip('.')}" for m in _CMMC_PRACTICE.finditer(normal)]
    if _ISO_CONTEXT.search(normal):
        found += [f"iso:{m.group(1)}" for m in _ISO_CLAUSE.finditer(normal)]
    return found


def _cited(criterion: Criterion) -> list[str]:
    """A criterion's citations as the features a citing question has."""
    iso = [f"iso:{c.removeprefix('A.')}" for c in criterion.citations.iso27001]
    return iso + [f"cmmc:{c.casefold()}" for c in criterion.citations.cmmc]


def features(text: str) -> list[str]:
    """What a text is about, as features: ``#topic`` for each synonym-list topic it names, the
    clauses and practices it cites, and the normalised content words (Japanese by SudachiPy,
    English stemmed), stop words left out."""
    normal = unicodedata.normalize("NFKC", text or "").casefold()
    ascii_pattern, other_pattern, group_of = _topics()
    found = [f"#{group_of[m.group(1)]}" for m in ascii_pattern.finditer(_english(normal))]
    folded = "".join(normal.split())
    found += [f"#{group_of[m.group(0)]}" for m in other_pattern.finditer(folded)]
    found += _citations(normal)
    for word in _WORD.findall(normal):
        if word not in _STOP_EN and len(word) > 2:
            found.append(_stem(word))
    japanese = "".join(c if not c.isascii() else " " for c in normal)
    if japanese.strip():
        for morpheme in _tokenizer().tokenize(japanese):
            pos = morpheme.part_of_speech()
            if pos[0] not in _CONTENT or pos[1] in ("非自立可能", "数詞"):
                continue
            form = morpheme.normalized_form()
            if form not in _STOP_JA and len(form) > 1:
                found.append(form)
    return found


# -- the criteria as documents ---------------------------------------------------------------------
def _documents(
    catalogue: Catalogue, official: dict[str, str], learned: pl.DataFrame
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    requirements = {r.id: r for r in catalogue.requirements}
    subcategories = {s.id: s for s in catalogue.data.subcategories}
    categories = {c.no: c for c in catalogue.data.categories}
    taught: dict[str, list[str]] = {}
    for criterion_id, question in learned.select("criterion_id", "question").iter_rows():
        taught.setdefault(criterion_id, []).append(question)
    documents: dict[str, list[str]] = {}
    own: dict[str, list[str]] = {}
    for criterion in catalogue.criteria:
        requirement = requirements[criterion.requirement_id]
        sub = subcategories[requirement.subcategory_id]
        category = categories[sub.category_no]
        summary = catalogue.summaries.get(requirement.id)
        mine = features(catalogue.criterion_summary(criterion.id, "ja")) + features(
            catalogue.criterion_summary(criterion.id, "en")
        )
        texts = [
            requirement.title_ja,
            summary.ja if summary else "",
            summary.en if summary else "",
            sub.name_ja,
            sub.name_en,
            category.name_ja,
            official.get(criterion.id, ""),
            official.get(requirement.id, ""),
            *taught.get(criterion.id, []),
        ]
        documents[criterion.id] = mine * 2 + _cited(criterion) + [f for text in texts for f in features(text)]
        own[criterion.id] = mine
    return documents, own


_INDEXES: dict[tuple[object, ...], CriterionIndex] = {}


def index_of(store: Store, learned: pl.DataFrame | None = None) -> CriterionIndex:
    """The criteria of the catalogue in force as a ranking index, kept until the official texts
    or the learned phrases change (``learned``: the phrases, when the caller has read them)."""
    catalogue = catalogue_in_force(store)
    learned = stored.learned_phrases(store) if learned is None else learned
    key = (str(store.path), catalogue.version, stored.revision(store), learned.height)
    if key not in _INDEXES:
        texts = official_texts(store, catalogue.version)
        official = dict(texts.select("item_id", "text_ja").iter_rows())
        _INDEXES.clear()
        _INDEXES[key] = CriterionIndex(*_documents(catalogue, official, learned))
    return _INDEXES[key]


# -- proposing -------------------------------------------------------------------------------------
def _said(proposal: Proposal) -> str:
    return f"{proposal.criterion_id} ({proposal.score:.2f})"


def propose_texts(store: Store, texts: Sequence[str], top: int = 3) -> list[list[Proposal]]:
    """Up to ``top`` proposals for each text, best first; learned phrases come first."""
    phrases = stored.learned_phrases(store)  # read once: for the index's key and for what comes first
    index = index_of(store, phrases)
    learned: dict[str, list[tuple[str, str]]] = {}
    for phrase, criterion, relationship in phrases.select("phrase", "criterion_id", "relationship").iter_rows():
        learned.setdefault(phrase, []).append((criterion, relationship))
    found = []
    for text in texts:
        ranked = index.rank(features(text), top=top)
        remembered = [
            Proposal(criterion, 1.0, ("learned",), relationship, learned=True)  # type: ignore[arg-type]
            for criterion, relationship in learned.get(fold_term(text), [])
        ]
        seen = {p.criterion_id for p in remembered}
        found.append((remembered + [p for p in ranked if p.criterion_id not in seen])[:top])
    return found


def propose(store: Store, questions: pl.DataFrame, top: int = 3) -> pl.DataFrame:
    """The review table: each question with its proposals (schema :data:`REVIEW_SCHEMA`); the
    first proposal is the chosen criterion until a person decides, none where nothing scored."""
    proposals = propose_texts(store, questions["question"].to_list(), top)
    rows = []
    for question, found in zip(questions.iter_rows(named=True), proposals, strict=True):
        first = found[0] if found else None
        rows.append(
            {
                "row": question["row"],
                "item_id": question["item_id"],
                "question": question["question"],
                "answer": question["answer"],
                "proposals": " / ".join(_said(p) for p in found),
                "options": [
                    {
                        "criterion": p.criterion_id,
                        "score": p.score,
                        "relationship": p.relationship,
                        "matched": [t.lstrip("#") for t in p.matched],
                        "learned": p.learned,
                    }
                    for p in found
                ],
                "confidence": (1.0 if first.learned else first.confidence) if first else 0.0,
                "score": first.score if first else 0.0,
                "matched": ", ".join(t.lstrip("#") for t in first.matched) if first else "",
                "learned": bool(first and first.learned),
                "criterion": first.criterion_id if first else None,
                "relationship": first.relationship if first else None,
                "decision": "unreviewed",
            }
        )
    return pl.DataFrame(rows, schema=REVIEW_SCHEMA)


def accept_above(review: pl.DataFrame, score: float) -> pl.DataFrame:
    """Accept every unreviewed first proposal whose confidence reaches ``score``."""
    return review.with_columns(
        pl.when(
            (pl.col("decision") == "unreviewed") & pl.col("criterion").is_not_null() & (pl.col("confidence") >= score)
        )
        .then(pl.lit("accepted"))
        .otherwise(pl.col("decision"))
        .alias("decision")
    )


# -- saving ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reviewed:
    """A reviewed checklist ready to save: the layout it was read with, and the decisions."""

    layout: ChecklistLayout
    review: pl.DataFrame
    answers: dict[str, str]  # each answer label → status


def _checked(review: pl.DataFrame, catalogue: Catalogue) -> pl.DataFrame:
    """The rows a person accepted or changed, refusing an edit that cannot be saved (row named)."""
    known = {c.id for c in catalogue.criteria}
    taken = review.filter(pl.col("decision").is_in(["accepted", "changed"]))
    for row in taken.iter_rows(named=True):
        if not row["item_id"]:
            raise MonosashiError("mapping.row_needs_id", row=row["row"])
        if row["criterion"] not in known:
            raise MonosashiError("mapping.unknown_criterion", row=row["row"], criterion=row["criterion"] or "—")
        if row["relationship"] not in _STRENGTH:
            raise MonosashiError(
                "mapping.unknown_relationship", row=row["row"], relationship=row["relationship"] or "—"
            )
    unknown = review.filter(~pl.col("decision").is_in(DECISIONS))
    if unknown.height:
        raise MonosashiError("mapping.unknown_decision", row=unknown["row"][0], decision=unknown["decision"][0])
    return taken


# Labels a checklist's title block uses for the supplier's ID, corporate number and name.
_SUPPLIER_LABEL = {
    "supplier_id": re.compile(
        r"(取引先|仕入先|サプライヤー|協力会社|supplier|vendor).*(コード|id|番号|no)", re.IGNORECASE
    ),
    "corporate_number": re.compile(r"法人番号|corporate number", re.IGNORECASE),
    "name": re.compile(
        r"^(取引先名|仕入先名|サプライヤー名|会社名|事業者名|企業名|貴社名|supplier name|company name)$", re.IGNORECASE
    ),
}


def _supplier_labels(layout: ChecklistLayout) -> dict[str, list[str]]:
    """The labels the title block above the headers uses for the supplier (取引先コード: S-1), so
    that the saved profile reads which supplier answered; the usual labels stay too."""
    found: dict[str, list[str]] = {
        "supplier_id": ["取引先ID"],
        "corporate_number": ["法人番号"],
        "name": ["会社名", "事業者名", "企業名"],
    }
    for row in layout.table.rows[: layout.header_row]:
        for cell in row:
            label = (cell or "").strip().rstrip(":：")
            for field, pattern in _SUPPLIER_LABEL.items():
                if label and len(label) <= 30 and pattern.search(label) and label not in found[field]:
                    found[field].append(label)
    return found


def _said_terms(matched: str) -> str:
    """Matched features as people read them: a synonym topic by its first term, each once."""
    terms = []
    groups = {g.id: g.terms[0] for g in synonym_list().groups}
    for feature in (matched or "").split(", "):
        word = groups.get(feature, feature)
        if word and word not in terms:
            terms.append(word)
    return "、".join(terms)


def profile_of(reviewed: Reviewed, *, name: str, title: str, actor: Actor, catalogue: Catalogue) -> str:
    """The YAML of a mapping profile for the reviewed checklist, exactly like a hand-written one,
    each mapping with its provenance (proposed by the assistant or chosen by a person, the score,
    who accepted it and when)."""
    layout = reviewed.layout
    if layout.item_id is None:
        raise MonosashiError("mapping.needs_id_column")
    if layout.answer is None:
        raise MonosashiError("mapping.needs_answer_column")
    headers = layout.headers
    taken = _checked(reviewed.review, catalogue)
    if taken.is_empty():
        raise MonosashiError("mapping.nothing_to_save")
    when = clock.now().replace(microsecond=0).isoformat()
    items: dict[str, dict[str, Any]] = {}
    for row in reviewed.review.iter_rows(named=True):
        if row["item_id"] and row["item_id"] not in items:
            items[row["item_id"]] = {"id": row["item_id"], "summary_ja": row["question"][:200], "maps": []}
    for row in taken.iter_rows(named=True):
        assisted = row["decision"] == "accepted"
        words = _said_terms(row["matched"]) if assisted else ""
        items[row["item_id"]]["maps"].append(
            {
                "criterion": row["criterion"],
                "relationship": row["relationship"],
                "strength": _STRENGTH[row["relationship"]],
                "rationale": f"proposed by the mapping assistant (matched: {words})" if words else "chosen by a person",
                "rationale_ja": f"対応づけ支援の提案（一致した語: {words}）" if words else "担当者が選択",
                "provenance": {
                    "proposed_by": "assistant" if assisted else "person",
                    "score": round(float(row["score"]), 3) if assisted else None,
                    "accepted_by": actor.name,
                    "accepted_at": when,
                },
            }
        )
    answers = [{"label": label, "status": status} for label, status in reviewed.answers.items()]
    document = {
        "name": name,
        "title_ja": title,
        "title_en": title,
        "framework_id": f"profile.{name}",
        "version": clock.today().isoformat(),
        "description": f"{layout.table.label} を対応づけ支援で対応づけ（{when}） / mapped with the mapping assistant from {layout.table.label} on {when}",
        "target_catalogue": catalogue.version,
        **({"sheet": layout.table.sheet} if layout.table.sheet else {}),
        "fingerprint": [headers[layout.item_id], headers[layout.question], headers[layout.answer]],
        "header_scan_rows": min(max(layout.header_row + 5, 25), 200),
        "columns": {
            "item_id": headers[layout.item_id],
            "question": headers[layout.question],
            "answer": headers[layout.answer],
        },
        "answers": answers,
        "supplier_labels": _supplier_labels(layout),
        "items": list(items.values()),
    }
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def save_profile(store: Store, reviewed: Reviewed, *, name: str, title: str, actor: Actor) -> MappingProfile:
    """Validate the profile like a hand-written one and store it with the learned phrases, in one
    transaction; the accepted questions are proposed first from now on."""
    check_profile_name(name)
    catalogue = catalogue_in_force(store)
    text = profile_of(reviewed, name=name, title=title, actor=actor, catalogue=catalogue)
    profile = load_profile_text(text, f"profile {name} (mapping assistant)")
    taken = _checked(reviewed.review, catalogue)
    phrases = taken.select(
        pl.col("question").map_elements(fold_term, return_dtype=pl.String).alias("phrase"),
        "question",
        pl.col("criterion").alias("criterion_id"),
        "relationship",
        pl.lit(name).alias("profile"),
        pl.lit(actor.name).alias("accepted_by"),
        pl.lit(clock.now()).alias("accepted_at"),
    )
    stored.save_mapped_profile(store, profile.name, text, phrases, actor)
    return profile


def answer_statuses(values: Sequence[str | None]) -> dict[str, str]:
    """The answer labels a checklist uses, each with the status it most likely means (``unknown``
    for one the assistant does not know); four usual labels when the checklist has none yet."""
    labels = [v for v in dict.fromkeys(v.strip() for v in values if v and v.strip())][:30]
    if not labels:
        return {"はい": "met", "一部": "partial", "いいえ": "not_met", "該当なし": "not_applicable"}
    found = {label: ANSWER_WORDS.get(unicodedata.normalize("NFKC", label).casefold(), "unknown") for label in labels}
    if len(found) < 2:
        found.setdefault("該当なし", "not_applicable")
    return found


def learned_phrases(store: Store) -> pl.DataFrame:
    """The phrases people accepted for criteria (what the assistant proposes first)."""
    return stored.learned_phrases(store)


def learned_phrases_csv(store: Store) -> bytes:
    """The learned phrases as CSV (UTF-8 with BOM, for Excel), every cell neutralised."""
    return to_csv(stored.learned_phrases(store))


_NAME = re.compile(r"^[a-z0-9][a-z0-9\-]{1,63}$")


def check_profile_name(name: str) -> str:
    """A profile name as the profile schema takes it, or MonosashiError saying what it may hold."""
    if not _NAME.fullmatch(name or ""):
        raise MonosashiError("mapping.bad_profile_name", name=name or "—")
    return name


def suggested_name(file_name: str, on: date) -> str:
    """A profile name from a file's name (its ASCII letters and digits), else one from the date."""
    stem = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKC", file_name.rsplit(".", 1)[0]).casefold())
    stem = stem.strip("-")[:40]
    return stem if len(stem) >= 3 and stem[0].isalnum() else f"checklist-{on:%Y%m%d}"


def import_answers(
    store: Store, source: SourceFile, *, profile: str, supplier_id: str | None, actor: Actor, today: date, lang: str
) -> tuple[list[intake.FileReport], pl.DataFrame]:
    """Import the checklist's answers with the profile just saved, as the Import page would: the
    file checked, then written, with where its supplier stood before and after."""
    reports = intake.analyse(store, [source], supplier_id=supplier_id, profile=profile, today=today)
    return intake.commit_and_compare(store, reports, mode="per_file", actor=actor, today=today, lang=lang)
