"""Documentation and texts that tests keep honest."""

import json
import re
from pathlib import Path

from click.testing import CliRunner

from dashboards.i18n import LANGUAGES, strings
from registry.cli import main

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


def test_every_json_key_is_documented(tmp_path):
    runner = CliRunner()
    catalogue = json.loads(runner.invoke(main, ["catalogue", "--json"]).output)
    keys = set(catalogue) | set(catalogue["counts"]) | set(catalogue["requirements"][0]) | set(catalogue["criteria"][0])
    keys |= (
        set(catalogue["criteria"][0]["citations"])
        | set(catalogue["categories"][0])
        | set(catalogue["subcategories"][0])
    )
    db = str(tmp_path / "r.duckdb")
    runner.invoke(main, ["demo", "--db", db, "--suppliers", "60"])
    keys |= set(json.loads(runner.invoke(main, ["suppliers", "list", "--db", db, "--json"]).output)[0])
    keys |= set(json.loads(runner.invoke(main, ["flags", "--db", db, "--json"]).stdout)[0])
    keys |= set(json.loads(runner.invoke(main, ["requests", "list", "--db", db, "--json"]).output)[0])
    for key in keys:
        assert f'"{key}"' in CLI_DOC, f"JSON key {key!r} missing from docs/cli.md"


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
