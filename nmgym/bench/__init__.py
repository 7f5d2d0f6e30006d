"""Benchmarks: nmgym's kernels against the memory limit and against peers, in one run.

``nmgym bench [--quick] --out DIR`` (or ``python scripts/bench.py``) prints the table and writes
``bench.json`` and ``bench.txt``; see :mod:`nmgym.bench.suite` for what each row measures.
"""

from nmgym.bench.suite import format_table, run, write

__all__ = ["format_table", "run", "write"]
