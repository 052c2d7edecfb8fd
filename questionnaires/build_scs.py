"""Regenerate the SCS catalogue data files from CSV copies of IPA's official Excel.

A developer's tool, never used at run time: the generated ``catalogue.json`` files are
committed and the app and tests read only those. Usage::

    python -m questionnaires.build_scs SOURCE_DIR

where SOURCE_DIR holds ``scs-requirements-criteria-2026-03-27.csv`` and
``scs-requirements-criteria-draft-2025-12.csv``. Only IDs, official short titles, levels, CSF
functions and citations are kept; the requirement and criterion sentences are dropped on purpose.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

from questionnaires.schema import CatalogueFile, text_fingerprint

__all__ = [
    "CATEGORY_EN",
    "HERE",
    "SUBCATEGORY_EN",
    "VERSIONS",
    "build_version",
    "check_jama_index",
    "criterion_texts",
    "main",
    "parse_ce",
    "parse_cmmc",
    "parse_gov",
    "parse_iso",
    "parse_jama",
    "split_draft_references",
]

HERE = Path(__file__).parent / "scs"

CATEGORY_EN = {
    1: ("Governance", "GV"),
    2: ("Supplier management", "GV"),
    3: ("Risk identification", "ID"),
    4: ("Protection against attacks", "PR"),
    5: ("Detection of attacks", "DE"),
    6: ("Incident response", "RS"),
    7: ("Recovery from incidents", "RC"),
}
# The subcategories are NIST CSF 2.0 categories; their English names are CSF's own.
SUBCATEGORY_EN = {
    "1-1": "Organizational Context",
    "1-2": "Roles, Responsibilities, and Authorities",
    "1-3": "Policy",
    "1-4": "Oversight",
    "2-1": "Cybersecurity Supply Chain Risk Management",
    "3-1": "Asset Management",
    "3-2": "Risk Assessment",
    "4-1": "Identity Management, Authentication, and Access Control",
    "4-2": "Awareness and Training",
    "4-3": "Data Security",
    "4-4": "Platform Security",
    "4-5": "Technology Infrastructure Resilience",
    "5-1": "Continuous Monitoring",
    "5-2": "Adverse Event Analysis",
    "6-1": "Incident Management",
    "7-1": "Incident Recovery Plan Execution",
}

VERSIONS = {
    "2026-03-27": {
        "file": "scs-requirements-criteria-2026-03-27.csv",
        "status": "final",
        "published": date(2026, 3, 27),
        "ce": "Cyber Essentials question booklet Version 16",
    },
    "2025-12": {
        "file": "scs-requirements-criteria-draft-2025-12.csv",
        "status": "draft",
        "published": date(2025, 12, 1),
        "ce": "Cyber Essentials question booklet v15.1",
    },
}

_CSF = re.compile(r"\((GV|ID|PR|DE|RS|RC)\)")
_ISO = re.compile(r"A\.\d+\.\d+|\b\d+\.\d+\b")
_CE_TOKEN = re.compile(r"A\.?(\d+)\.(\d+)(?:\.(\d+))?")
_JAMA = re.compile(r"No\.\s*(\d+)|\((?:LV|Lv|lv)\s*(\d)\)")


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def parse_iso(text: str) -> list[str]:
    """ISO/IEC 27001:2022 clauses (``4.1``) and Annex A controls (``A.5.17``), in order."""
    text = re.sub(r"\bA\s+(\d)", r"A.\1", _clean(text))
    return _unique(_ISO.findall(text))


def parse_ce(text: str) -> list[str]:
    """Cyber Essentials question numbers (``A7.14``); ranges such as ``A7.14 - A7.17`` expanded."""
    text = _clean(text)
    out: list[str] = []
    for piece in re.split(r"[,\n]", text):
        tokens = _CE_TOKEN.findall(piece)
        names = ["A" + ".".join(t for t in tok if t) for tok in tokens]
        if len(tokens) == 2 and "-" in piece and tokens[0][0] == tokens[1][0] and not tokens[0][2]:
            first, last = int(tokens[0][1]), int(tokens[1][1])
            names = [f"A{tokens[0][0]}.{n}" for n in range(first, last + 1)]
        out.extend(names)
    return _unique(out)


def parse_cmmc(text: str) -> list[str]:
    """CMMC practice IDs such as ``AC.L1-b.1.i``."""
    return _unique(re.findall(r"[A-Z]{2}\.L\d-[\w.]+", _clean(text)))


def parse_gov(text: str) -> list[str]:
    """Items of the government unified standard (R7), such as ``2.1.1(1)(4)``."""
    return _unique(re.findall(r"\d+(?:\.\d+)+(?:\(\d+\))*", _clean(text)))


def parse_jama(text: str) -> list[dict[str, object]]:
    """JAMA/JAPIA v2.3 items with the level each citation gives.

    A level in brackets applies to every item number written since the previous level, so
    ``No.28, No.29, No.30 (LV1)`` gives three Lv1 items.
    """
    out: list[dict[str, object]] = []
    pending: list[int] = []
    # "No.98, 102 (LV2)": a bare number after a comma is another item number.
    text = re.sub(r",\s*(\d+)(?!\.)", r", No.\1", _clean(text))
    for number, level in _JAMA.findall(text):
        if number:
            pending.append(int(number))
        elif level:
            out.extend({"item": n, "level": f"Lv{level}"} for n in pending)
            pending = []
    out.extend({"item": n, "level": None} for n in pending)
    return out


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


_DRAFT_PREFIXES = {
    "CE": "cyber_essentials",
    "CMMC": "cmmc",
    "ISO/IEC 27001:2022": "iso27001",
    "政府統一基準(令和7年度版)": "gov_unified",
    "自動車GL": "jama_japia",
}


def split_draft_references(text: str) -> dict[str, str]:
    """The draft keeps every citation in one cell, a line per document with a prefix."""
    parts: dict[str, list[str]] = defaultdict(list)
    current: str | None = None
    for raw in _clean(text).splitlines():
        line = raw.strip()
        for prefix, key in _DRAFT_PREFIXES.items():
            if line.startswith(prefix):
                current, line = key, line[len(prefix) :]
                break
        if current and line:
            parts[current].append(line)
    return {k: "\n".join(v) for k, v in parts.items()}


def _column(header: list[str], name: str) -> int:
    """Index of the column whose header is ``name`` exactly, else the first that starts with it."""
    cells = [_clean(cell) for cell in header]
    if name in cells:
        return cells.index(name)
    for i, cell in enumerate(cells):
        if cell.startswith(name):
            return i
    raise SystemExit(f"header column {name!r} not found")


def criterion_texts(source_dir: Path, version: str) -> dict[str, str]:
    """Criterion ID → its official text (評価基準), read from the CSV copy of IPA's Excel. For the
    build tools only: the texts are never written into the repository."""
    spec = VERSIONS[version]
    with (source_dir / str(spec["file"])).open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    number, text = _column(rows[0], "評価基準No."), _column(rows[0], "評価基準")
    return {_clean(r[number]): r[text] for r in rows[1:] if len(r) > number and re.match(r"^\d", r[number])}


def build_version(source_dir: Path, version: str) -> dict[str, object]:
    spec = VERSIONS[version]
    with (source_dir / str(spec["file"])).open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    col = {
        "cat_no": _column(header, "大分類No."),
        "cat": _column(header, "大分類"),
        "sub_no": _column(header, "中分類No."),
        "sub": _column(header, "中分類"),
        "req_no": _column(header, "要求事項No."),
        "req_title": _column(header, "要求事項名"),
        "level": _column(header, "★3/★4"),
        "crit_no": _column(header, "評価基準No."),
        "crit": _column(header, "評価基準"),
        "csf": _column(header, "NIST CSF"),
        "refs": _column(header, "参照文献"),
    }
    data = [r for r in rows[1:] if len(r) > col["crit_no"] and re.match(r"^\d", r[col["crit_no"]])]

    categories: dict[int, str] = {}
    subcategories: dict[str, tuple[int, str]] = {}
    titles: dict[str, Counter[str]] = defaultdict(Counter)
    criteria = []
    for r in data:
        cat_no = int(_clean(r[col["cat_no"]]))
        categories.setdefault(cat_no, _clean(r[col["cat"]]))
        subcategories.setdefault(_clean(r[col["sub_no"]]), (cat_no, _clean(r[col["sub"]])))
        req_id = _clean(r[col["req_no"]])
        titles[req_id][_clean(r[col["req_title"]])] += 1
        if spec["status"] == "final":
            base = col["refs"]
            refs = {
                "cyber_essentials": r[base],
                "cmmc": r[base + 1],
                "iso27001": r[base + 2],
                "gov_unified": r[base + 3],
                "jama_japia": r[base + 4],
            }
        else:
            refs = split_draft_references(r[col["refs"]])
        csf = _CSF.search(r[col["csf"]])
        if not csf:
            raise SystemExit(f"{spec['file']}: no CSF function for {r[col['crit_no']]}")
        criteria.append(
            {
                "id": _clean(r[col["crit_no"]]),
                "requirement_id": req_id,
                "level": int(_clean(r[col["level"]]).lstrip("★")),
                "csf_function": csf.group(1),
                "text_sha256": text_fingerprint(r[col["crit"]]),
                "citations": {
                    "cyber_essentials": parse_ce(refs.get("cyber_essentials", "")),
                    "cmmc": parse_cmmc(refs.get("cmmc", "")),
                    "iso27001": parse_iso(refs.get("iso27001", "")),
                    "gov_unified": parse_gov(refs.get("gov_unified", "")),
                    "jama_japia": parse_jama(refs.get("jama_japia", "")),
                },
            }
        )
    star3 = {c["requirement_id"] for c in criteria if c["level"] == 3}
    catalogue = {
        "framework": "scs",
        "version": version,
        "status": spec["status"],
        "published": spec["published"].isoformat(),
        "title_ja": "サプライチェーン強化に向けたセキュリティ対策評価制度 要求事項・評価基準",
        "title_en": "SCS evaluation scheme: requirements and evaluation criteria",
        "source": f"IPA official Excel ({spec['status']}), converted from {spec['file']} by questionnaires/build_scs.py",
        "reference_documents": {
            "cyber_essentials": spec["ce"],
            "cmmc": "32 CFR Part 170 (CMMC Program)",
            "iso27001": "ISO/IEC 27001:2022",
            "gov_unified": "政府機関等の対策基準策定のためのガイドライン(令和7年度版)",
            "jama_japia": "自工会/部工会・サイバーセキュリティガイドライン 2.3版",
        },
        "categories": [
            {"no": no, "name_ja": name, "name_en": CATEGORY_EN[no][0], "csf_function": CATEGORY_EN[no][1]}
            for no, name in sorted(categories.items())
        ],
        "subcategories": [
            {"id": sid, "category_no": cat, "name_ja": name, "name_en": SUBCATEGORY_EN[sid]}
            for sid, (cat, name) in subcategories.items()
        ],
        # Where a draft row disagrees on the title, the title most rows give is the official one.
        "requirements": [
            {
                "id": rid,
                "subcategory_id": rid.rsplit("-", 1)[0],
                "title_ja": counts.most_common(1)[0][0],
                "min_level": 3 if rid in star3 else 4,
            }
            for rid, counts in titles.items()
        ],
        "criteria": criteria,
    }
    CatalogueFile.model_validate(catalogue)
    return catalogue


def check_jama_index(source_dir: Path, catalogue: dict[str, object]) -> list[str]:
    """Compare the parsed JAMA citations with IPA's own reverse index of them."""
    path = source_dir / "jama-japia-v2.3-to-scs.csv"
    if not path.exists():
        return [f"{path} missing: JAMA citations not cross-checked"]
    parsed: dict[int, set[str]] = defaultdict(set)
    for crit in catalogue["criteria"]:  # type: ignore[union-attr]
        for cite in crit["citations"]["jama_japia"]:
            parsed[cite["item"]].add(crit["id"])
    problems = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            item = int(row["jama_item_no"])
            expected = set(row["scs_criteria"].split())
            if parsed.get(item) != expected:
                problems.append(f"JAMA No.{item}: index says {sorted(expected)}, parsed {sorted(parsed.get(item, []))}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source_dir", type=Path, help="folder with the CSV copies of IPA's Excel")
    args = parser.parse_args(argv)
    for version in VERSIONS:
        catalogue = build_version(args.source_dir, version)
        out = HERE / version / "catalogue.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(catalogue, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{out}: {len(catalogue['requirements'])} requirements, {len(catalogue['criteria'])} criteria")
        if version == "2026-03-27":
            for problem in check_jama_index(args.source_dir, catalogue):
                print("warning:", problem, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
