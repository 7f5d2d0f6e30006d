"""Ideal observers: the best a learner could do on the two tasks whose oracle is out of reach.

The tasks' oracles are omniscient (they know the better arm, the trial type). On ReversalBandit
and SustainedAttention no learner can match them: a reversal must first be detected, and noise
hides some brief signals. These agents know the task's structure and parameters exactly and infer
the rest from what they observe, optimally; they bound what a learner can reach from above, where
the oracle only bounds it loosely. Both read only their observations, so they drive any front of
their task (the batched task, a Gymnasium env or vector env).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from agents.base import Agent
from nmgym.tasks import ReversalBandit, SustainedAttention, Task


def _task_params(agent: Agent, task_type: type[Task]) -> Any:
    task = agent.world.task
    if not isinstance(task, task_type):
        got = type(task).__name__ if task is not None else type(agent.world.env).__name__
        raise TypeError(f"{type(agent).__name__} drives {task_type.__name__} only; got {got}")
    return task.params


class ReversalObserver(Agent):
    """Bayesian change-point observer of :class:`~nmgym.tasks.ReversalBandit` (Behrens et al. 2007).

    Knows the payout probabilities and a reversal's hazard rate ``1 / reversal_every``, but not
    when reversals come (it does not count trials, as animals are not told the schedule). Before
    each choice it updates ``P(arm 0 is the better)`` with the last trial's outcome (the task's
    ``prev_action`` and ``prev_reward`` channels), lets the hazard act, and takes the more probable
    better arm (arm 0 on a tie). A first trial of an episode (no previous action) restarts at 1/2.
    """

    def __init__(self, env, *, device: str | torch.device | None = None, seed: int = 0):
        super().__init__(env, device=device, seed=seed)
        p = _task_params(self, ReversalBandit)
        self.p_high, self.p_low, self.hazard = p.p_high, p.p_low, 1.0 / p.reversal_every
        slices = self.world.obs_slices
        self._prev_action, self._prev_reward = slices["prev_action"], slices["prev_reward"]
        self.belief = torch.full((self.B,), 0.5, dtype=torch.float64, device=self.device)
        self.obs = torch.zeros(self.B, self.world.obs_dim, device=self.device)

    def begin(self, obs: torch.Tensor) -> None:
        self.obs = obs

    def act(self) -> torch.Tensor:
        prev = self.obs[:, self._prev_action].double()
        reward = self.obs[:, self._prev_reward].double().squeeze(-1)
        pulled_0 = prev[:, 0]  # 1: arm 0 was pulled last trial
        # P(reward | arm 0 better) and P(reward | arm 1 better) for the arm that was pulled
        pay_if_0 = pulled_0 * self.p_high + (1 - pulled_0) * self.p_low
        pay_if_1 = pulled_0 * self.p_low + (1 - pulled_0) * self.p_high
        like_0 = reward * pay_if_0 + (1 - reward) * (1 - pay_if_0)
        like_1 = reward * pay_if_1 + (1 - reward) * (1 - pay_if_1)
        posterior = self.belief * like_0 / (self.belief * like_0 + (1 - self.belief) * like_1).clamp(min=1e-300)
        posterior = posterior * (1 - self.hazard) + (1 - posterior) * self.hazard
        first = prev.sum(-1) == 0
        self.belief = torch.where(first, 0.5, posterior)
        return (self.belief < 0.5).long()

    def observe(
        self, obs: torch.Tensor, reward: torch.Tensor, terminated: torch.Tensor, boundary: torch.Tensor
    ) -> None:
        self.obs = obs


class SignalObserver(Agent):
    """Likelihood-ratio observer of :class:`~nmgym.tasks.SustainedAttention` (Green & Swets 1966).

    Knows the signal's strength, the noise, the signal's possible lengths and onsets and the prior
    ``p_signal``. It keeps the signal channel's values through the window and at the response
    step reports "signal" when ``p * L(signal) > (1 - p) * L(noise)``, the likelihood of a signal
    averaged over its lengths and onsets (uniform, as the task draws them): the choice that
    maximises the expected reward. The distractor's channel carries nothing about the signal.
    """

    def __init__(self, env, *, device: str | torch.device | None = None, seed: int = 0):
        super().__init__(env, device=device, seed=seed)
        p = _task_params(self, SustainedAttention)
        slices = self.world.obs_slices
        self._signal, self._fixation, self._respond = slices["signal"], slices["fixation"], slices["respond"]
        S = p.stimulus_steps
        self.window = torch.zeros(self.B, S, dtype=torch.float64, device=self.device)
        self.t = torch.zeros(self.B, dtype=torch.int64, device=self.device)
        # log prior odds (infinite for a certain prior: no evidence can change the answer), and
        # each (length, onset) pair as a mask over the window with its log weight
        log_p = math.log(p.p_signal) if p.p_signal > 0 else -math.inf
        log_q = math.log1p(-p.p_signal) if p.p_signal < 1 else -math.inf
        self.log_odds = log_p - log_q
        masks, weights = [], []
        for d in p.signal_durations:
            for onset in range(S - d + 1):
                masks.append([1.0 if onset <= t < onset + d else 0.0 for t in range(S)])
                weights.append(-math.log(len(p.signal_durations)) - math.log(S - d + 1))
        self.masks = torch.tensor(masks, dtype=torch.float64, device=self.device)  # [pairs, S]
        self.log_weights = torch.tensor(weights, dtype=torch.float64, device=self.device)
        self.strength, self.noise = p.signal_strength, max(p.noise_std, 1e-6)
        self.obs = torch.zeros(self.B, self.world.obs_dim, device=self.device)

    def log_likelihood_ratio(self, window: torch.Tensor) -> torch.Tensor:
        """``log L(signal) / L(noise)`` of window values ``[B, S]``: a signal of length ``d`` at
        ``onset`` adds ``(A x_t - A^2 / 2) / sigma^2`` for each step it covers."""
        A, var = self.strength, self.noise**2
        per_step = (A * window - A * A / 2) / var  # [B, S]
        return torch.logsumexp(per_step @ self.masks.T + self.log_weights, dim=-1)

    def begin(self, obs: torch.Tensor) -> None:
        self.obs = obs

    def act(self) -> torch.Tensor:
        in_window = self.obs[:, self._fixation].squeeze(-1) > 0.5
        respond = self.obs[:, self._respond].squeeze(-1) > 0.5
        x = self.obs[:, self._signal].squeeze(-1).double()
        S = self.window.shape[1]
        slot = torch.nn.functional.one_hot(self.t.clamp(max=S - 1), S).bool() & in_window.unsqueeze(-1)
        self.window = torch.where(slot, x.unsqueeze(-1), self.window)
        self.t = torch.where(in_window, self.t + 1, self.t)
        report = self.log_likelihood_ratio(self.window) + self.log_odds > 0
        action = (respond & report).long()
        self.t = torch.where(respond, 0, self.t)
        self.window = torch.where(respond.unsqueeze(-1), 0.0, self.window)
        return action

    def observe(
        self, obs: torch.Tensor, reward: torch.Tensor, terminated: torch.Tensor, boundary: torch.Tensor
    ) -> None:
        self.obs = obs


# Task name -> its ideal observer (the tasks whose oracle no learner can reach).
IDEAL_OBSERVERS: dict[str, type[Agent]] = {"ReversalBandit": ReversalObserver, "SustainedAttention": SignalObserver}
