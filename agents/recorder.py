"""Per-trial records of a batched run, written on the device without a host sync."""

from __future__ import annotations

import torch


class TrialRecorder:
    """Accumulates, for each agent and trial, the reward, whether every scored action was correct,
    and each info value at the trial's last step.

    Results are ``[B, n_trials]`` tensors in :attr:`data`; trials past ``n_trials`` are dropped.
    """

    def __init__(self, num_agents: int, n_trials: int, device: torch.device):
        self.n_trials = n_trials
        self.trial = torch.zeros(num_agents, dtype=torch.int64, device=device)
        self.ok = torch.ones(num_agents, dtype=torch.bool, device=device)
        self.rows = torch.arange(num_agents, device=device)
        self.data: dict[str, torch.Tensor] = {
            "reward": torch.zeros(num_agents, n_trials, device=device),
            "correct": torch.zeros(num_agents, n_trials, device=device),
            "steps": torch.zeros(num_agents, n_trials, device=device),
        }

    def update(self, action: torch.Tensor, reward: torch.Tensor, boundary: torch.Tensor, info: dict) -> None:
        col = self.trial.clamp(max=self.n_trials - 1)
        live = (self.trial < self.n_trials).float()
        self.data["reward"][self.rows, col] += reward.float() * live
        self.data["steps"][self.rows, col] += live
        if "decision" in info and "correct_action" in info:
            wrong = info["decision"].bool() & (action.to(info["correct_action"].device) != info["correct_action"])
            self.ok &= ~wrong.to(self.ok.device)
        end = boundary.bool() & (self.trial < self.n_trials)
        self.data["correct"][self.rows, col] = torch.where(end, self.ok.float(), self.data["correct"][self.rows, col])
        for key, value in info.items():
            if key in ("correct_action", "decision", "trial_end", "trial") or key.startswith("_"):
                continue
            store = self.data.setdefault(key, torch.zeros_like(self.data["reward"]))
            store[self.rows, col] = torch.where(end, value.float().to(store.device), store[self.rows, col])
        self.ok |= boundary.bool()
        self.trial += boundary.long()

    def done(self) -> bool:
        """Whether every agent has finished ``n_trials`` trials (a host sync: call it sparingly)."""
        return bool((self.trial >= self.n_trials).all())
