"""Batched task kernels: pure torch, no Gymnasium, no circuit."""

from __future__ import annotations

from typing import Any

from nmgym.tasks.base import Task
from nmgym.tasks.cross_area_xor import CrossAreaXOR
from nmgym.tasks.cue_reward import CueReward
from nmgym.tasks.distal_reward import DistalReward
from nmgym.tasks.params import TaskParams
from nmgym.tasks.reversal_bandit import ReversalBandit
from nmgym.tasks.sustained_attention import SustainedAttention
from nmgym.tasks.wait_for_reward import WaitForReward

TASKS: dict[str, type[Task]] = {
    cls.__name__: cls
    for cls in (CueReward, DistalReward, ReversalBandit, SustainedAttention, WaitForReward, CrossAreaXOR)
}


def task_class(name: str) -> type[Task]:
    """The task class called ``name``; an unknown name raises ``ValueError`` listing the known ones."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; known tasks: {', '.join(TASKS)}")
    return TASKS[name]


def make_task(name: str, num_envs: int = 1, **kwargs: Any) -> Task:
    """Build the batched task ``name`` (keyword arguments as for :class:`Task`, plus parameters)."""
    return task_class(name)(num_envs, **kwargs)


def summary(cls: type[Task]) -> str:
    """The first line of a task's docstring."""
    return (cls.__doc__ or "").strip().splitlines()[0].replace("``", "")


__all__ = ["TASKS", "Task", "TaskParams", "make_task", "summary", "task_class", *TASKS]
