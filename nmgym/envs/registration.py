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
    for name in TASKS:
        if env_id(name) not in gym.registry:
            gym.register(
                id=env_id(name),
                entry_point="nmgym.envs.single:TaskEnv",
                vector_entry_point="nmgym.envs.vector:TaskVectorEnv",
                kwargs={"task": name},
            )
        if circuit_env_id(name) not in gym.registry:
            gym.register(
                id=circuit_env_id(name),
                entry_point="nmgym.envs.circuit_env:CircuitEnv",
                vector_entry_point="nmgym.envs.circuit_env:CircuitVectorEnv",
                kwargs={"task": name},
            )
