"""Shared helpers for the tests."""

from __future__ import annotations

import math
import os

import pytest
import torch

from nmgym.study.runner import available_cpus
from nmgym.tasks import TASKS, Task

TASK_NAMES = list(TASKS)


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, each test process takes its share of the CPUs' threads: threads beyond
    the cores spin against each other and run several times slower (results do not depend on it)."""
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if workers:
        torch.set_num_threads(max(1, available_cpus() // int(workers)))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The reduced lesion studies first: they take up to two minutes each, and one started last
    leaves the other test processes idle until it ends (longest first evens out the finish)."""
    studies = ("test_effects.py", "test_learning.py")
    items.sort(key=lambda item: item.path.name not in studies)  # stable: file order otherwise


def binomial_tolerance(p: float, n: int, z: float = 5.0) -> float:
    """Half-width of a ``z``-sigma interval of a proportion ``p`` estimated from ``n`` samples."""
    return z * math.sqrt(max(p * (1 - p), 1e-12) / max(n, 1))


def rollout(task: Task, steps: int, policy: str = "random") -> dict[str, torch.Tensor]:
    """Step a task and stack what it returns: obs, reward, terminated, truncated, action, info."""
    record: dict[str, list[torch.Tensor]] = {}
    for _ in range(steps):
        action = task.random_action() if policy == "random" else task.oracle_action()
        obs, reward, terminated, truncated, info = task.step(action)
        items = {"obs": obs, "reward": reward, "terminated": terminated, "truncated": truncated, "action": action}
        items.update(info)
        for key, value in items.items():
            record.setdefault(key, []).append(value.clone())
    return {key: torch.stack(values) for key, values in record.items()}
