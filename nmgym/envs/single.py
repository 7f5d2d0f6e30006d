"""The single Gymnasium env: a batched task at ``B = 1`` with numpy in and out."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import torch

from nmgym.envs.rendering import NoRendering, check_render_mode
from nmgym.envs.spaces import action_space, observation_space
from nmgym.tasks import task_class


class TaskEnv(NoRendering, gym.Env[np.ndarray, np.int64]):
    """A Gymnasium env over one instance of an nmgym task.

    Made by ``gymnasium.make("nmgym/<Task>-v0", **params)``: every keyword that is not
    ``device`` or ``render_mode`` is a task parameter (see the task's docstring). The env wraps
    the batched kernel, so a single env with seed ``s`` behaves exactly like agent 0 of a vector
    env with seed ``s``: after an episode ends, ``reset()`` returns the episode the kernel has
    already begun, so single and vector envs see the same sequence of episodes.
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 (gymnasium.Env: an instance attribute)

    def __init__(self, task: str, *, device: str | torch.device = "cpu", render_mode: str | None = None, **params: Any):
        check_render_mode(render_mode, "nmgym tasks")
        self.task = task_class(task)(1, device=device, keep_final_obs=True, **params)
        self.observation_space = observation_space(self.task)
        self.action_space = action_space(self.task)
        self._seeded = False
        self._next_obs: np.ndarray | None = None  # the episode the kernel started when the last one ended

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        if seed is None and not self._seeded:
            seed = int(self.np_random.integers(0, 2**31 - 1))
        if seed is None and self._next_obs is not None:
            obs = self._next_obs  # already started by the kernel's autoreset: no second draw
        else:
            obs = self.task.reset(seed=seed)[0][0].cpu().numpy()
        self._seeded = True
        self._next_obs = None
        return obs, {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        a = check_discrete_action(action, self.task.n_actions, self.task.action_names)
        obs, reward, terminated, truncated, info = self.task.step(torch.tensor([a], device=self.task.device))
        final = info.pop("final_obs")
        done = bool(terminated[0] or truncated[0])
        self._next_obs = obs[0].cpu().numpy() if done else None
        obs_out = (final if done else obs)[0].cpu().numpy()
        info_out = {key: value[0].item() for key, value in info.items()}
        return obs_out, float(reward[0]), bool(terminated[0]), bool(truncated[0]), info_out


def check_discrete_action(action: Any, n: int, names: tuple[str, ...]) -> int:
    """One discrete action as a Python int, or a clear error saying what is allowed."""
    allowed = f"an integer in 0..{n - 1} ({', '.join(names)})"
    if isinstance(action, np.ndarray):
        if action.size != 1:
            raise ValueError(f"action must be one value, {allowed}; got an array of shape {action.shape}")
        action = action.reshape(()).item() if action.dtype.kind in "iu" else action.reshape(())
    if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)):
        raise TypeError(f"action must be {allowed}; got {action!r} of type {type(action).__name__}")
    if not 0 <= int(action) < n:
        raise ValueError(f"action must be {allowed}; got {int(action)}")
    return int(action)
