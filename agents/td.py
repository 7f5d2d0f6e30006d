"""TDAgent: linear Q-learning with eligibility traces and a fixed learning rate (no modulation)."""

from __future__ import annotations

import torch

from agents.base import Agent
from nmgym import counter_rng

_EXPLORE, _RANDOM = 21, 22


class TDAgent(Agent):
    """Watkins-style Q(lambda) on features ``[x, trace(x), 1]``, epsilon-greedy.

    The classical reference: the same trial structure as the circuit, a fixed learning rate, a
    fixed discount and no neuromodulation. ``trace(x)`` is a leaky average of the input
    (time constant ``tau``) that gives the linear learner a short memory of the trial.
    """

    def __init__(
        self,
        env,
        *,
        lr: float = 0.5,
        gamma: float = 0.98,
        lam: float = 0.9,
        epsilon: float = 0.05,
        tau: float = 5.0,
        device: str | torch.device | None = None,
        seed: int = 0,
    ):
        super().__init__(env, device=device, seed=seed)
        for name, value, high in (
            ("lr", lr, 10.0),
            ("gamma", gamma, 1.0),
            ("lam", lam, 1.0),
            ("epsilon", epsilon, 1.0),
        ):
            if not 0.0 <= value <= high:
                raise ValueError(f"TDAgent: {name}={value!r} is not allowed; must be in [0, {high}]")
        D, A = self.world.obs_dim, self.world.n_actions
        self.F = 2 * D + 1
        self.lr, self.gamma, self.lam, self.epsilon = lr / self.F, gamma, lam, epsilon
        self.decay = 1.0 - 1.0 / tau
        self.W = torch.zeros(self.B, A, self.F, device=self.device)
        self.E = torch.zeros_like(self.W)
        self.trace = torch.zeros(self.B, D, device=self.device)
        self.key = counter_rng.agent_keys(seed, torch.arange(self.B, device=self.device))
        self.steps = torch.zeros(self.B, dtype=torch.int64, device=self.device)

    def _features(self, obs: torch.Tensor, reset: torch.Tensor | None = None) -> torch.Tensor:
        if reset is not None:
            self.trace.mul_((~reset).float().unsqueeze(-1))
        self.trace.mul_(self.decay).add_(obs, alpha=1.0 - self.decay)
        return torch.cat([obs, self.trace, torch.ones(self.B, 1, device=self.device)], dim=1)

    def begin(self, obs: torch.Tensor) -> None:
        self.phi = self._features(obs.float())
        self.q = (self.W @ self.phi.unsqueeze(-1)).squeeze(-1)

    def act(self) -> torch.Tensor:
        counter_keys = counter_rng.counter_key(self.key, self.steps)  # both draws hash the counter once
        explore = counter_rng.uniform_from(counter_rng.stream_key(counter_keys, _EXPLORE)) < self.epsilon
        random = counter_rng.integers_from(counter_rng.stream_key(counter_keys, _RANDOM), self.W.shape[1])
        self.steps += 1
        greedy = self.q.argmax(-1)
        self.action = torch.where(explore, random, greedy)
        onehot = torch.nn.functional.one_hot(self.action, self.W.shape[1]).float()
        self.E.mul_(self.gamma * self.lam).add_(onehot.unsqueeze(-1) * self.phi.unsqueeze(1))
        self.q_taken = self.q.gather(1, self.action.unsqueeze(1)).squeeze(1)
        return self.action

    def observe(
        self, obs: torch.Tensor, reward: torch.Tensor, terminated: torch.Tensor, boundary: torch.Tensor
    ) -> None:
        self.phi = self._features(obs.float(), reset=boundary)
        self.q = (self.W @ self.phi.unsqueeze(-1)).squeeze(-1)
        # Trial-based, like the circuit: the value of a trial does not bootstrap into the next.
        target = reward + self.gamma * torch.where(terminated | boundary, 0.0, self.q.max(-1).values)
        delta = target - self.q_taken
        self.W.add_(self.E * (self.lr * delta).view(-1, 1, 1))
        self.E.mul_((~boundary).float().view(-1, 1, 1))
        self.q = (self.W @ self.phi.unsqueeze(-1)).squeeze(-1)
