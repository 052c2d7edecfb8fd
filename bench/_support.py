"""Makes the tests' builders importable from a bench script (``import _support``): sample files and
the fuzz harness live in tests/support/, and the benches use the same ones."""

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))
