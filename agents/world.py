"""What an agent acts on, behind one batched torch interface.

A ``World`` hides whether the agent drives a batched nmgym task (no numpy round trip), a
Gymnasium vector env (nmgym's native one, ``SyncVectorEnv`` or ``AsyncVectorEnv``) or a single
Gymnasium env. It speaks ``[B, ...]`` tensors on the agent's device.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces

from nmgym.envs import TaskVectorEnv
from nmgym.tasks import Task
from nmgym.validation import check_device

Step = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]


class World:
    """A batch of environments as tensors: ``reset() -> obs``, ``step(a) -> obs, r, term, boundary, info``.

    ``boundary`` marks trial ends (``info["trial_end"]`` where the env gives it, else episode ends).
    """

    def __init__(self, env: Task | gym.Env | gym.vector.VectorEnv, device: str | torch.device | None = None):
        self.env = env
        self.task: Task | None  # the task behind env, where known
        if isinstance(env, Task):
            self.task = env
            self.kind, self.num_envs = "task", env.num_envs
            self.device = env.device if device is None else check_device(device)
            self.obs_dim, self.n_actions = env.obs_dim, env.n_actions
            self.obs_slices: dict[str, slice] = dict(env.obs_slices)
            return
        if isinstance(env, gym.vector.VectorEnv):
            self.kind, self.num_envs = "vector", env.num_envs
            obs_space, act_space = env.single_observation_space, env.single_action_space
        elif isinstance(env, gym.Env):
            self.kind, self.num_envs = "single", 1
            obs_space, act_space = env.observation_space, env.action_space
        else:
            raise TypeError(f"cannot drive {type(env).__name__}: give an nmgym Task, a Gymnasium Env or VectorEnv")
        if not isinstance(act_space, spaces.Discrete):
            raise TypeError(f"the agent needs a Discrete action space; this env has {act_space}")
        if not isinstance(obs_space, spaces.Box) or len(obs_space.shape) != 1:
            raise TypeError(f"the agent needs a 1-D Box observation space; this env has {obs_space}")
        self.device = torch.device(device or "cpu")
        self.obs_dim, self.n_actions = int(obs_space.shape[0]), int(act_space.n)
        task = getattr(env.unwrapped, "task", None) if self.kind == "single" else getattr(env, "task", None)
        self.task = task if isinstance(task, Task) else None
        self.obs_slices = dict(self.task.obs_slices) if self.task is not None else {"obs": slice(0, self.obs_dim)}

    def reset(self, seed: int | None = None) -> torch.Tensor:
        if isinstance(self.env, Task):
            return self.env.reset(seed=seed)[0].to(self.device)
        obs, _ = self.env.reset(seed=seed)
        self._check_finite(obs, "observation")
        return self._tensor(obs).view(self.num_envs, self.obs_dim).float()

    def step(self, action: torch.Tensor) -> Step:
        if isinstance(self.env, Task):
            obs, reward, terminated, truncated, info = self.env.step(action.to(self.env.device))
            boundary = info["trial_end"]
            return obs, reward, terminated, boundary, info
        return self._gym_step(action)

    def _gym_step(self, action: torch.Tensor) -> Step:
        """A Gymnasium env's step, its arrays (or the native vector env's tensors) as ``[B]`` tensors."""
        if isinstance(self.env, TaskVectorEnv) and self.env.backend == "torch":
            act: Any = action.to(self.env.task.device)  # tensors in, no numpy round trip
        else:
            act = action.cpu().numpy() if self.kind == "vector" else int(action[0])
        obs, reward, terminated, truncated, info = self.env.step(act)
        if self.kind == "single" and (terminated or truncated):
            obs, _ = self.env.reset()
        self._check_finite(obs, "observation")
        self._check_finite(reward, "reward")
        obs_t = self._tensor(obs).view(self.num_envs, self.obs_dim).float()
        term = self._tensor(terminated).view(self.num_envs).bool()
        trunc = self._tensor(truncated).view(self.num_envs).bool()
        info_t = {k: self._tensor(v).view(self.num_envs) for k, v in info.items() if _is_batch_array(v)}
        boundary = info_t["trial_end"].bool() if "trial_end" in info_t else term | trunc
        return obs_t, self._tensor(reward).view(self.num_envs).float(), term, boundary, info_t

    def _check_finite(self, value: Any, what: str) -> None:
        """Refuse a NaN or infinite observation or reward from a Gymnasium env before the circuit
        learns from it (its weights would all turn NaN). Host arrays only: checking the native
        vector env's tensors would cost a device sync per step, and its tasks emit finite values."""
        if isinstance(value, torch.Tensor):
            return
        array = np.asarray(value, dtype=np.float64).reshape(self.num_envs, -1)
        finite = np.isfinite(array).all(1)
        if not finite.all():
            agents = np.flatnonzero(~finite).tolist()
            raise ValueError(
                f"the env returned a non-finite {what} (NaN or inf) for env(s) {agents[:10]}: "
                f"{array[agents[0]].tolist()}; the circuit cannot learn from it"
            )

    def _tensor(self, value: Any) -> torch.Tensor:
        if isinstance(value, torch.Tensor):
            return value.to(self.device)
        return torch.as_tensor(np.asarray(value), device=self.device)


def _is_batch_array(value: Any) -> bool:
    if isinstance(value, torch.Tensor | np.ndarray):
        return value.dtype != object and value.ndim <= 1
    return isinstance(value, int | float | bool | np.number)
