"""RandomAgent: uniform random actions, the floor every learner must beat."""

from __future__ import annotations

import torch

from agents.base import Agent
from nmgym import counter_rng

_RANDOM = 31


class RandomAgent(Agent):
    """Chooses uniformly among the actions each step, from a per-agent counter-based stream."""

    def __init__(self, env, *, device: str | torch.device | None = None, seed: int = 0):
        super().__init__(env, device=device, seed=seed)
        self.key = counter_rng.agent_keys(seed, torch.arange(self.B, device=self.device))
        self.steps = torch.zeros(self.B, dtype=torch.int64, device=self.device)

    def begin(self, obs: torch.Tensor) -> None:
        pass

    def act(self) -> torch.Tensor:
        action = counter_rng.integers(self.key, self.steps, _RANDOM, self.world.n_actions)
        self.steps += 1
        return action

    def observe(
        self, obs: torch.Tensor, reward: torch.Tensor, terminated: torch.Tensor, boundary: torch.Tensor
    ) -> None:
        pass
