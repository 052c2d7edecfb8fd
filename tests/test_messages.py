"""Every message a person reads is a key with parameters, in Japanese and English (issue 17.7):
the keys the code uses exist with the placeholders it fills, no English sentence is passed where
a key belongs, and the readers get their language (pages, CLI, history)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from dashboards.i18n import page_texts
from importers.base import Problem, SourceFileError, validation_problems
from registry.cli import main
from registry.domain.models import Supplier
from registry.errors import MonosashiError, NotFoundError
from registry.messages import LANGUAGES, catalogue, language_from_env, localise_location, placeholders_of, render

ROOT = Path(__file__).resolve().parents[1]
CODE = [*(ROOT / "registry").rglob("*.py"), *(ROOT / "importers").rglob("*.py"), *(ROOT / "dashboards").rglob("*.py")]
# Calls whose first string argument is a message key (and the position of the key).
KEYED_CALLS = {"of": 1, "at": 2, "PydanticCustomError": 0}


def _error_classes() -> set[str]:
    """Names of every MonosashiError subclass defined in the code."""
    names = {"MonosashiError"}
    changed = True
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in CODE]
    while changed:
        changed = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names:
                    bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                    if bases & names:
                        names.add(node.name)
                        changed = True
    return names


def _keyed_uses() -> list[tuple[str, int, str, set[str] | None, ast.expr]]:
    """(file, line, key or '', keyword names or None when ``**`` spreads them, the key's node)."""
    errors = _error_classes()
    uses = []
    for path in CODE:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in KEYED_CALLS:
                position = KEYED_CALLS[name]
            elif name in errors and isinstance(node.func, ast.Name):
                position = 0
            else:
                continue
            if len(node.args) <= position:
                continue
            keywords = None if any(k.arg is None for k in node.keywords) else {k.arg for k in node.keywords}
            if name == "PydanticCustomError" and len(node.args) > 2 and isinstance(node.args[2], ast.Dict):
                keywords = {k.value for k in node.args[2].keys if isinstance(k, ast.Constant)}
            elif name == "PydanticCustomError":
                keywords = None
            node_key = node.args[position]
            key = node_key.value if isinstance(node_key, ast.Constant) and isinstance(node_key.value, str) else ""
            uses.append((str(path.relative_to(ROOT)), node.lineno, key, keywords, node_key))
    return uses


def test_message_files_are_well_formed():
    merged = catalogue()
    assert len(merged) > 200
    for key, texts in merged.items():
        assert set(texts) == set(LANGUAGES), key
        assert placeholders_of(texts["ja"]) == placeholders_of(texts["en"]), key
        assert all(texts[lang].strip() for lang in LANGUAGES), key


def test_no_key_is_both_a_message_and_a_page_text():
    assert not set(page_texts()) & set(catalogue())


def test_every_key_the_code_uses_exists_with_its_placeholders():
    uses = _keyed_uses()
    assert len(uses) > 150, "the scan found too few keyed messages"
    missing, unfilled = [], []
    for where, line, key, keywords, _ in uses:
        if not key:
            continue
        if key not in catalogue():
            missing.append(f"{where}:{line} {key}")
            continue
        if keywords is None:
            continue
        nested = {k.removesuffix("_key") for k in keywords if k.endswith("_key")}
        needed = placeholders_of(catalogue()[key]["en"]) - keywords - nested
        if needed:
            unfilled.append(f"{where}:{line} {key} lacks {sorted(needed)}")
    assert not missing, f"message keys missing from registry/messages: {missing}"
    assert not unfilled, unfilled


def test_no_english_sentence_is_passed_where_a_key_belongs():
    """A message is a key: an f-string or a sentence in a raise or a Problem would reach a
    Japanese reader in English."""
    sentences = [
        f"{where}:{line}"
        for where, line, key, _, node in _keyed_uses()
        if isinstance(node, ast.JoinedStr)
        or (isinstance(node, ast.Constant) and isinstance(node.value, str) and " " in node.value)
    ]
    assert not sentences, f"sentences instead of message keys: {sentences}"
    legacy = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in CODE
        for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "Problem(" in text and "message=" in text
    ]
    assert not legacy, legacy


def test_a_validation_error_names_the_field_in_the_readers_language():
    with pytest.raises(ValidationError) as caught:
        Supplier(supplier_id="S 1", name="", corporate_number="1234567890123", employees=0)
    said = {p.params.get("field_label"): p for p in validation_problems(caught.value, lambda _f: "a.csv line 3")}
    assert said["field.supplier_id"].text("ja").startswith("a.csv 3 行目: 取引先ID: ")
    assert said["field.name"].text("en") == "a.csv line 3: Name: must not be empty"
    number = next(p for p in said.values() if p.key == "corporate_number.check_digit")
    assert "チェックデジット" in number.said("ja") and "check digit" in number.said("en")
    assert "従業員数" in said["field.employees"].said("ja")


def test_problems_and_errors_render_in_both_languages():
    problem = Problem.of("list.csv line 4, column 2", "list.requested_level", found="5")
    assert problem.text("ja") == "list.csv 4 行目 2 列目: 要請する★は ★3 か ★4 で入力してください（入力: 5）"
    assert problem.message == "expected ★3 or ★4, found 5"
    error = SourceFileError.at("a.csv", "a.csv", "intake.format_unknown")
    assert "format not recognised" in str(error)
    refused = NotFoundError("intake.supplier_unknown", supplier_id="S-9")
    assert "S-9" in refused.text("ja") and "台帳にありません" in refused.text("ja")
    assert str(refused).startswith("supplier S-9 does not exist")
    # a text that is no key (a library's error) is shown as written, never a traceback
    assert MonosashiError("disk full").text("ja") == "disk full"


def test_history_written_before_keys_still_reads():
    old = Problem.model_validate({"location": "a.csv", "message": "an old English reason"})
    assert old.text("ja") == "a.csv: an old English reason"


def test_label_and_nested_parameters_render_in_the_same_language():
    text = render("intake.answers_only", "ja", {"format_label": "format.supplier_master"})
    assert "取引先マスタ" in text
    nested = render("intake.not_written", "ja", {"reason_key": "intake.not_yours"})
    assert nested == "書き込めませんでした: このファイルには自社以外の記録についての内容が含まれています"
    assert render("intake.not_written", "en", {"reason_key": "a library said no"}) == "not written: a library said no"


@pytest.mark.parametrize(
    ("explicit", "environ", "expected"),
    [
        ("ja", {"LANG": "C.UTF-8"}, "ja"),
        (None, {"MONOSASHI_LANG": "en", "LANG": "ja_JP.UTF-8"}, "en"),
        (None, {"LANG": "ja_JP.UTF-8"}, "ja"),
        (None, {"LC_ALL": "en_US.UTF-8", "LANG": "ja_JP.UTF-8"}, "en"),
        (None, {}, "en"),
    ],
)
def test_the_cli_language_follows_lang_then_the_locale(explicit, environ, expected):
    assert language_from_env(explicit, environ) == expected


def test_locations_read_naturally_in_japanese():
    assert localise_location("a.csv line 3", "ja") == "a.csv 3 行目"
    assert localise_location("a.xlsx: 取引先 row 12", "ja") == "a.xlsx: 取引先 12 行目"
    assert localise_location("a.xlsx: 取引先!B3", "ja") == "a.xlsx: 取引先!B3"
    assert localise_location("a.csv line 3", "en") == "a.csv line 3"


def test_the_cli_says_errors_in_japanese_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    db = str(tmp_path / "r.duckdb")
    runner = CliRunner()
    english = runner.invoke(main, ["status", "--db", db])
    assert english.exit_code == 1 and "no registry at" in english.output
    japanese = runner.invoke(main, ["--lang", "ja", "status", "--db", db])
    assert japanese.exit_code == 1 and "台帳がありません" in japanese.output
    monkeypatch.setenv("MONOSASHI_LANG", "ja")
    bad = runner.invoke(
        main, ["suppliers", "add", "--id", "T1", "--name", "x", "--corporate-number", "8000012050002", "--db", db]
    )
    assert bad.exit_code == 1 and "チェックデジット" in bad.output and "Traceback" not in bad.output
