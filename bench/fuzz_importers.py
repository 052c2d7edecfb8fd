"""The long fuzz run over every importer: the same generators and oracle as tests/test_fuzz.py
(tests/support/fuzz.py), for many more cases. Usage:

    python bench/fuzz_importers.py [--cases 20000] [--seed 0] [--time-limit 10] [--workers N]
    python bench/fuzz_importers.py --replay FILE [--name NAME]   # one saved reproducer, in this process
    python bench/fuzz_importers.py --case INDEX [--seed S]        # one generated case, in this process
"""

import sys

import _support  # noqa: F401  (tests/support on the path)
from support.fuzz import main

if __name__ == "__main__":
    sys.exit(main())
