"""The long fuzz run over every importer: the same generators and oracle as tests/test_fuzz.py
(tests/support/fuzz.py), for many more cases. It times each case (a case over ``--time-limit``
seconds counts as a hang) and prints the slowest, so it starts by printing the machine's load.
Usage (defaults shown):

    python bench/fuzz_importers.py [--cases 20000] [--seed 0] [--time-limit 10] [--workers N]
    python bench/fuzz_importers.py --replay FILE [--name NAME]   # one saved reproducer, in this process
    python bench/fuzz_importers.py --case INDEX [--seed S]        # one generated case, in this process

``--workers`` defaults to one worker process per CPU.
"""

import sys

import _support
from support.fuzz import main

if __name__ == "__main__":
    _support.print_machine()
    sys.exit(main())
