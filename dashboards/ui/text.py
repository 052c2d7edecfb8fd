"""Texts on pages: the session's language, UI texts with escaped values, labels for codes and numbers."""

from __future__ import annotations

import json
import re
from typing import Any

import polars as pl
import streamlit as st
from pydantic import ValidationError

from dashboards.i18n import strings, t
from registry.services import intake, renewals
from registry.services.catalogue import Catalogue

__all__ = [
    "Markdown",
    "audit_labelled",
    "category_names",
    "changes_labelled",
    "delta",
    "delta_points",
    "error_text",
    "evidence_kind_labels",
    "framework_names",
    "held_label",
    "held_levels_labelled",
    "history_labelled",
    "import_labels",
    "labelled",
    "lang",
    "localised_location",
    "percent",
    "plain",
    "preview_labelled",
    "problem_text",
    "refused_rows",
    "severity_labels",
    "tr",
    "tr_text",
]


def lang() -> str:
    return st.session_state.get("lang", "ja")


class Markdown(str):
    """A text safe to show in an element that renders Markdown: a UI text whose values were
    escaped (:func:`tr`), or text escaped by :func:`plain`. ``plain`` leaves it as it is, so it is
    never escaped twice."""


def tr(key: str, **values: object) -> str:
    """The UI text of ``key`` in the session's language, for elements that render Markdown (every
    label, title, caption and message box): the values filled in are escaped (:func:`plain`), so
    a supplier's name or a file's text shows as written and never as a link, image or format."""
    if not values:
        return t(key, lang())
    return Markdown(t(key, lang(), **{name: plain(value) for name, value in values.items()}))


def tr_text(key: str, **values: object) -> str:
    """The UI text of ``key`` with its values as they are, for what shows text as text: plotly
    figures (dashboards/figures.py escapes their HTML), selectbox and multiselect options,
    ``st.text``, exception messages. Never for an element that renders Markdown."""
    return t(key, lang(), **values)


# Every ASCII punctuation character (CommonMark lets each be escaped): links, images, emphasis,
# headings (``===``), entities (``&#x202E;``), Streamlit's ``:colour[...]`` and ``$`` math.
_MARKDOWN = re.compile(r"([!-/:-@\[-`{-~])")


def plain(text: object) -> str:
    """Text from a file or a person, made safe for elements that render Markdown: every Markdown
    and Streamlit directive character is escaped, so it shows as written and never as a link,
    image, colour or HTML. Text already made safe (:class:`Markdown`, what :func:`tr` returns) is
    returned as it is."""
    if isinstance(text, Markdown):
        return text
    return Markdown(_MARKDOWN.sub(r"\\\1", str(text)))


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


def delta(now: int, before: int) -> str | None:
    """A metric's change as Streamlit shows it (``+3``), or None when nothing changed."""
    return None if now == before else f"{now - before:+,}"


def delta_points(now: float | None, before: float | None) -> str | None:
    """The change of a share, in percentage points."""
    if now is None or before is None or round(100 * now) == round(100 * before):
        return None
    return tr_text("app.points", n=f"{100 * (now - before):+.0f}")  # a number: Streamlit reads its sign


def labelled(frame: pl.DataFrame, **columns: str) -> pl.DataFrame:
    """Replace codes by their UI texts: ``labelled(df, scheme="scheme")`` maps each value v of
    column ``scheme`` to the text of key ``scheme.v``."""
    return frame.with_columns(
        pl.col(col).replace_strict(
            {v: tr(f"{prefix}.{v}") for v in frame[col].unique().to_list()}, return_dtype=pl.String
        )
        for col, prefix in columns.items()
    )


def severity_labels(values: pl.Series) -> pl.Series:
    """Flag severities as UI texts (empty where there is none)."""
    return values.replace_strict({s: tr(f"severity.{s}") for s in ("critical", "warning", "info")}, default=None)


def evidence_kind_labels(values: pl.Series) -> pl.Series:
    """Kinds of deciding evidence as UI texts ('—' where nothing decides)."""
    kinds = ("certified", "self_assessment", "migrated", "crosswalk", "certificate")
    return values.cast(pl.String).replace_strict({k: tr(f"evidence.{k}") for k in kinds}, default="—")


def category_names(catalogue: Catalogue) -> dict[int, str]:
    """The 7 SCS categories by number, in the session's language."""
    return {c.no: f"{c.no} {c.name_ja if lang() == 'ja' else c.name_en}" for c in catalogue.data.categories}


def framework_names(profiles: dict[str, Any]) -> dict[str, str]:
    """Framework IDs a template can be made for, with their names in the session's language."""
    names = {"scs": tr("templates.framework.scs"), "ipa_5min": tr("templates.framework.ipa_5min")}
    names.update({p.framework_id: p.title_ja if lang() == "ja" else p.title_en for p in profiles.values()})
    return names


def import_labels(summary: pl.DataFrame, profiles: dict[str, Any]) -> pl.DataFrame:
    """The import summary with formats and questionnaires named in the session's language."""

    formats = {name: tr(f"format.{name}") for name in intake.FORMAT_NAMES}
    frameworks = framework_names(profiles)
    return summary.with_columns(
        pl.col("format").replace_strict(formats, default=pl.col("format"), return_dtype=pl.String),
        pl.col("framework").replace_strict(frameworks, default=pl.col("framework"), return_dtype=pl.String),
    )


def held_label(held_level: str, certificates: pl.DataFrame) -> str:
    """The ★ a supplier holds, as the reader reads it: "★4 (yearly check overdue)" while its ★4's
    yearly self-assessment is overdue (``certificates``: its certificate states)."""
    overdue = held_level == "star4" and renewals.yearly_check_overdue(certificates)
    return tr("level.star4_check_overdue" if overdue else f"level.held.{held_level}")


def held_levels_labelled(frame: pl.DataFrame) -> pl.DataFrame:
    """A list's ``held_level`` as UI texts, "★4 (yearly check overdue)" where its
    ``check_overdue`` says so (that column is then dropped)."""
    return (
        labelled(frame, held_level="level.held")
        .with_columns(
            pl.when(pl.col("check_overdue"))
            .then(pl.lit(tr("level.star4_check_overdue")))
            .otherwise(pl.col("held_level"))
            .alias("held_level")
        )
        .drop("check_overdue")
    )


def preview_labelled(frame: pl.DataFrame) -> pl.DataFrame:
    """A file's preview with its codes (answer statuses, schemes) as UI texts."""
    codes = {"status": "status", "scheme": "scheme"}
    return labelled(frame, **{c: prefix for c, prefix in codes.items() if c in frame.columns})


def history_labelled(history: pl.DataFrame, profiles: dict[str, Any]) -> pl.DataFrame:
    """The import history as people read it: statuses, formats and questionnaires in words, and
    each file's problems as "place: message" lines in the session's language instead of JSON."""
    said = {
        column: [intake.problems_said(recorded, lang()) for recorded in history[column]]
        for column in ("errors", "warnings")
    }
    named = import_labels(history.rename({"framework_id": "framework"}), profiles).with_columns(
        pl.Series(column, lines, dtype=pl.String) for column, lines in said.items()
    )
    return labelled(named, status="import.status")


def error_text(exc: Exception) -> str:
    """A refusal of the registry (or an import's problems) in the session's language, safe for
    Markdown: what an error box shows."""
    if isinstance(exc, ValidationError):
        return plain(intake.validation_said(exc, lang()))
    if hasattr(exc, "problems"):
        return plain("; ".join(p.text(lang()) for p in exc.problems))
    if hasattr(exc, "text"):
        return plain(exc.text(lang()))
    return plain(str(exc))


def problem_text(problem: Any) -> str:
    """An importer's problem (place and message) in the session's language, safe for Markdown."""
    return plain(problem.text(lang()))


def refused_rows(refused: list[Any]) -> pl.DataFrame:
    """A list's refused rows as a table: where each is, and why, in the session's language."""
    from_lang = lang()
    return pl.DataFrame(
        {
            "location": [localised_location(row.location) for row in refused],
            "reason": ["\n".join(p.said(from_lang) for p in row.problems) for row in refused],
        },
        schema={"location": pl.String, "reason": pl.String},
    )


def localised_location(location: str) -> str:
    """A place in a file as the reader says it (``a.csv line 3`` → ``a.csv 3 行目``)."""
    return intake.localise_location(location, lang())


def changes_labelled(changes: pl.DataFrame) -> pl.DataFrame:
    """What an import changed, per supplier: readiness as "before → after" and the new flags'
    reasons one per line."""

    def moved(level: str) -> pl.Expr:
        before, after = pl.col(f"{level}_before"), pl.col(f"{level}_after")
        said = pl.concat_str(
            before.map_elements(percent, return_dtype=pl.String).fill_null("—"),
            pl.lit(" → "),
            after.map_elements(percent, return_dtype=pl.String).fill_null("—"),
        )
        return said.alias(f"{level}_change")

    return changes.select(
        "supplier_id",
        "name",
        moved("star3"),
        moved("star4"),
        "new_flags",
        pl.col("new_flag_reasons").list.join("\n").fill_null(""),
    )


def _label_or_word(prefix: str, value: object) -> str:
    """The UI text of ``prefix.value``, or the value itself where no text exists (an entity type
    added later shows as it is rather than failing)."""
    key = f"{prefix}.{value}"
    return tr(key) if key in strings() else str(value)


def audit_labelled(entries: pl.DataFrame, rule_titles: dict[str, str] | None = None) -> pl.DataFrame:
    """Audit lines as people read them: actions, kinds of record and the detail in words (each
    detail named by its label, a flag rule by its title), never JSON or code words."""
    titles = rule_titles or {}
    words = [
        pl.col("action").replace_strict(
            {a: _label_or_word("audit.action", a) for a in entries["action"].unique().to_list()}, return_dtype=pl.String
        ),
        pl.Series("detail", [_detail_text(raw, titles) for raw in entries["detail"]], dtype=pl.String),
    ]
    if "entity" in entries.columns:
        kinds = {e: _label_or_word("audit.entity", e) for e in entries["entity"].drop_nulls().unique().to_list()}
        words.append(pl.col("entity").replace_strict(kinds, default=None, return_dtype=pl.String))
    if "entity_id" in entries.columns:
        words.append(
            pl.Series(
                "entity_id", [_detail_value("entity_id", v, titles) for v in entries["entity_id"]], dtype=pl.String
            )
        )
    return entries.with_columns(words)


_CODE_WORD = re.compile(r"[a-z]+(?:_[a-z0-9]+)+")


def _detail_text(raw: str | None, titles: dict[str, str]) -> str | None:
    """An audit line's detail (JSON) as "label: value" pairs in the session's language."""
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return str(raw)
    if not isinstance(value, dict):
        return _detail_value("", value, titles)
    parts = []
    for name, item in value.items():
        key = f"audit.detail.{name}"
        label = tr_text(key) if key in strings() else name.replace("_", " ")
        parts.append(f"{label}: {_detail_value(name, item, titles)}")
    return ", ".join(parts)


def _detail_value(name: str, value: object, titles: dict[str, str]) -> str:
    """One value of an audit detail: a flag rule by its title, a known code by its label, any
    other code word as words."""
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(_detail_value(name, item, titles) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_detail_value(k, v, titles)}" for k, v in value.items())
    text = str(value)
    if name == "rule" and text in titles:
        return titles[text]
    key = f"audit.value.{text}"
    if key in strings():
        return tr_text(key)
    return text.replace("_", " ") if _CODE_WORD.fullmatch(text) else text
