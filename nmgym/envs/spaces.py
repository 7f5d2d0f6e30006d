"""Gymnasium spaces of a batched task, and conversion of its info tensors."""

from __future__ import annotations

import numpy as np
import torch
from gymnasium import spaces

from nmgym.tasks import Task


def observation_space(task: Task) -> spaces.Box:
    """The single-instance observation space: a float32 Box with per-channel bounds."""
    return spaces.Box(low=task.obs_low, high=task.obs_high, dtype=np.float32)


def action_space(task: Task) -> spaces.Discrete:
    """The single-instance action space."""
    return spaces.Discrete(task.n_actions)


def to_numpy(tensors: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
    """Move every tensor of an info dict to a numpy array."""
    return {key: value.cpu().numpy() for key, value in tensors.items()}
