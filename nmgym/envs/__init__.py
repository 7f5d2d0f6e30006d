"""Gymnasium fronts: the single env, the native vector env and their registration."""

from nmgym.envs.circuit_env import CircuitEnv, CircuitVectorEnv
from nmgym.envs.registration import circuit_env_id, env_id, register_all
from nmgym.envs.single import TaskEnv
from nmgym.envs.vector import TaskVectorEnv

__all__ = ["CircuitEnv", "CircuitVectorEnv", "TaskEnv", "TaskVectorEnv", "circuit_env_id", "env_id", "register_all"]
