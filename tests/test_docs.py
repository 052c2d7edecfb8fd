"""Documentation and texts that tests keep honest."""

import json
import re
import typing
from pathlib import Path

from click.testing import CliRunner
from pydantic import BaseModel

from dashboards.i18n import LANGUAGES, strings
from registry.cli import main
from registry.cli.shapes import SHAPES, CatalogueDoc, FlagRow, RequestRow, SupplierRow

ROOT = Path(__file__).resolve().parent.parent
CLI_DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")


def _commands(group, prefix=""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if hasattr(command, "commands"):
            yield from _commands(command, f"{prefix}{name} ")


def test_every_cli_command_and_option_is_documented():
    for path, command in _commands(main):
        assert f"monosashi {path}" in CLI_DOC, f"`monosashi {path}` missing from docs/cli.md"
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt not in ("--help",):
                    assert opt in CLI_DOC, f"option {opt} of `monosashi {path}` missing from docs/cli.md"


def test_every_command_takes_db():
    for path, command in _commands(main):
        if not hasattr(command, "commands") or path == "catalogue":
            assert any("--db" in getattr(p, "opts", []) for p in command.params), f"`monosashi {path}` has no --db"


def _fields(shape: type[BaseModel]) -> set[str]:
    """Every key a shape prints, nested shapes included."""
    keys = set(shape.model_fields)
    for field in shape.model_fields.values():
        for kind in (field.annotation, *typing.get_args(field.annotation)):
            for inner in (kind, *typing.get_args(kind)):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    keys |= _fields(inner)
    return keys


def test_every_json_key_is_documented():
    for command, shape in SHAPES.items():
        assert f"monosashi {command}" in CLI_DOC, f"`monosashi {command} --json` is not in docs/cli.md"
        for key in _fields(shape):
            assert f'"{key}"' in CLI_DOC or f"`{key}`" in CLI_DOC, (
                f"JSON key {key!r} of `{command} --json` missing from docs/cli.md"
            )


def test_every_json_command_has_a_shape():
    """Each command with --json prints a declared shape (checked before printing)."""
    with_json = {
        path for path, command in _commands(main) if any("--json" in getattr(p, "opts", []) for p in command.params)
    }
    assert with_json == set(SHAPES), with_json ^ set(SHAPES)


def test_json_output_has_its_shape(tmp_path):
    """The shapes hold on a real registry, nested keys included (the CLI checks before printing)."""
    runner = CliRunner()
    catalogue = json.loads(runner.invoke(main, ["catalogue", "--json"]).output)
    CatalogueDoc.model_validate(catalogue)
    db = str(tmp_path / "r.duckdb")
    runner.invoke(main, ["demo", "--db", db, "--suppliers", "60"])
    for command, shape in [
        (["suppliers", "list"], SupplierRow),
        (["flags"], FlagRow),
        (["requests", "list"], RequestRow),
    ]:
        rows = json.loads(runner.invoke(main, [*command, "--db", db, "--json"]).stdout)
        assert rows and all(shape.model_validate(r) for r in rows)


def test_every_text_has_japanese_and_english():
    for key, texts in strings().items():
        assert set(texts) == set(LANGUAGES), f"{key} has {sorted(texts)}"
        assert all(texts[lang].strip() for lang in LANGUAGES), key
        assert set(re.findall(r"{(\w+)}", texts["ja"])) == set(re.findall(r"{(\w+)}", texts["en"])), key


def test_every_text_key_used_by_the_ui_exists():
    used = set()
    for path in [ROOT / "app.py", *(ROOT / "dashboards").rglob("*.py")]:
        used |= set(re.findall(r"""\btr\(\s*["']([\w.]+)["']""", path.read_text(encoding="utf-8")))
    assert used, "the pattern found no keys"
    assert not used - set(strings()), f"unknown keys {sorted(used - set(strings()))}"


def test_pages_hold_no_sql():
    for path in (ROOT / "dashboards").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\.(execute|sql|frame|scalar)\(", text), f"{path} runs SQL; it belongs in the store layer"


def test_every_audited_action_has_a_label_in_both_languages():
    from registry.domain.actor import PERMISSIONS

    missing = [a for a in PERMISSIONS if f"audit.action.{a}" not in strings()]
    assert not missing, f"audit actions without a label: {missing}"
