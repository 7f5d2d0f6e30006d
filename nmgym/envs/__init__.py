"""Gymnasium fronts: the single env, the native vector env and their registration."""

from nmgym.envs.registration import env_id, register_all
from nmgym.envs.single import TaskEnv
from nmgym.envs.vector import TaskVectorEnv

__all__ = ["TaskEnv", "TaskVectorEnv", "env_id", "register_all"]
