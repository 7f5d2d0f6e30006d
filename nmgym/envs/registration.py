"""Registers every task as ``nmgym/<Task>-v0`` and its circuit env as ``nmgym/Circuit-<Task>-v0``,
each with a single and a native vector entry point."""

from __future__ import annotations

import gymnasium as gym

from nmgym.tasks import TASKS


def env_id(task: str) -> str:
    """The Gymnasium id of a task."""
    return f"nmgym/{task}-v0"


def circuit_env_id(task: str) -> str:
    """The Gymnasium id of a task's circuit env (a circuit learning the task, stimulated by the agent)."""
    return f"nmgym/Circuit-{task}-v0"


def register_all() -> None:
    """Register every task once (a repeated import does not re-register)."""
    kinds = (
        (env_id, "nmgym.envs.single:TaskEnv", "nmgym.envs.vector:TaskVectorEnv"),
        (circuit_env_id, "nmgym.envs.circuit_env:CircuitEnv", "nmgym.envs.circuit_env:CircuitVectorEnv"),
    )
    for name in TASKS:
        for make_id, single, vector in kinds:
            if make_id(name) not in gym.registry:
                gym.register(id=make_id(name), entry_point=single, vector_entry_point=vector, kwargs={"task": name})
