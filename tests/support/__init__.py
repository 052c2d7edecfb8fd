"""Builders the tests (and bench/) share: sample files and the fuzz harness."""
