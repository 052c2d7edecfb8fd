"""Golden files: the exact records an importer produced, kept in tests/data/golden/.

Run with MONOSASHI_UPDATE_GOLDEN=1 to write them anew after a deliberate change (and review the diff).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from importers.base import ImportBatch

GOLDEN = Path(__file__).parent / "data" / "golden"


def batch_record(batch: ImportBatch) -> dict:
    """What a batch holds, without the file hash (inputs built by openpyxl carry timestamps)."""
    return batch.model_dump(mode="json", exclude={"sha256"})


def assert_golden(name: str, batch: ImportBatch) -> None:
    path = GOLDEN / f"{name}.json"
    actual = batch_record(batch)
    if os.environ.get("MONOSASHI_UPDATE_GOLDEN"):
        path.write_text(json.dumps(actual, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with MONOSASHI_UPDATE_GOLDEN=1 and review it"
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual == expected, f"{name}: the importer's output differs from {path}"
