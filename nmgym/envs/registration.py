"""Registers every task as ``nmgym/<Task>-v0`` with a single and a native vector entry point."""

from __future__ import annotations

import gymnasium as gym

from nmgym.tasks import TASKS


def env_id(task: str) -> str:
    """The Gymnasium id of a task."""
    return f"nmgym/{task}-v0"


def register_all() -> None:
    """Register every task once (a repeated import does not re-register)."""
    for name in TASKS:
        if env_id(name) not in gym.registry:
            gym.register(
                id=env_id(name),
                entry_point="nmgym.envs.single:TaskEnv",
                vector_entry_point="nmgym.envs.vector:TaskVectorEnv",
                kwargs={"task": name},
            )
