"""Texts on pages: the session's language, UI texts with escaped values, labels for codes and numbers."""

from __future__ import annotations

import re
from typing import Any

import polars as pl
import streamlit as st

from dashboards.i18n import strings, t
from registry.services import intake, renewals
from registry.services.catalogue import Catalogue

__all__ = [
    "Markdown",
    "audit_labelled",
    "category_names",
    "delta",
    "delta_points",
    "evidence_kind_labels",
    "framework_names",
    "held_label",
    "held_levels_labelled",
    "history_labelled",
    "import_labels",
    "labelled",
    "lang",
    "percent",
    "plain",
    "preview_labelled",
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
    return tr("level.star4_check_overdue" if overdue else f"level.{held_level}")


def held_levels_labelled(frame: pl.DataFrame) -> pl.DataFrame:
    """A list's ``held_level`` as UI texts, "★4 (yearly check overdue)" where its
    ``check_overdue`` says so (that column is then dropped)."""
    return (
        labelled(frame, held_level="level")
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
    each file's problems as "place: message" lines instead of JSON."""
    problem = pl.Struct({"location": pl.String, "message": pl.String})

    def lines(column: str) -> pl.Expr:
        return (
            pl.col(column)
            .str.json_decode(pl.List(problem))
            .list.eval(
                pl.concat_str(pl.element().struct.field("location"), pl.lit(": "), pl.element().struct.field("message"))
            )
            .list.join("\n")
        )

    named = import_labels(history.rename({"framework_id": "framework"}), profiles)
    return labelled(named.with_columns(lines("errors"), lines("warnings")), status="import.status")


def _label_or_word(prefix: str, value: object) -> str:
    """The UI text of ``prefix.value``, or the value itself where no text exists (an entity type
    added later shows as it is rather than failing)."""
    key = f"{prefix}.{value}"
    return tr(key) if key in strings() else str(value)


def audit_labelled(entries: pl.DataFrame) -> pl.DataFrame:
    """Audit lines as people read them: actions and entity kinds in words, the detail as
    "key: value" text instead of JSON."""
    words = [
        pl.col("action").replace_strict(
            {a: _label_or_word("audit.action", a) for a in entries["action"].unique().to_list()}, return_dtype=pl.String
        ),
        pl.col("detail").str.replace_all(r'^\{|\}$|"', "").str.replace_all(r",(\S)", ", $1"),
    ]
    if "entity" in entries.columns:
        kinds = {e: _label_or_word("audit.entity", e) for e in entries["entity"].unique().to_list()}
        words.append(pl.col("entity").replace_strict(kinds, return_dtype=pl.String))
    return entries.with_columns(words)
