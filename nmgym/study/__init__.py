"""Lesion studies: resumable runs, task metrics, statistics, figures, reports and ``nmgym reproduce``."""

from agents.protocols import PROTOCOLS
from nmgym.study.metrics import task_metrics, trials_to_criterion
from nmgym.study.report import write_report
from nmgym.study.reproduce import ROWS, STUDIES, reproduce
from nmgym.study.runner import Chunk, Study, run_chunk
from nmgym.study.stats import bootstrap_ci, compare, permutation_test

__all__ = [
    "PROTOCOLS",
    "ROWS",
    "STUDIES",
    "Chunk",
    "Study",
    "bootstrap_ci",
    "compare",
    "permutation_test",
    "reproduce",
    "run_chunk",
    "task_metrics",
    "trials_to_criterion",
    "write_report",
]
