"""Per-trial records of a batched run, written on the device (on an accelerator without a host sync)."""

from __future__ import annotations

import torch

from nmgym.compiled import skips_idle_work


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
        self._ones = torch.ones(num_agents, device=device)
        self._skip_idle = skips_idle_work(torch.device(device), compile=False)  # the recorder runs eagerly
        # One column more than the trials: what is not to be kept (a step past the last trial, an
        # info value before its trial's end) is written there, so each step writes without a mask.
        self.store: dict[str, torch.Tensor] = {
            name: torch.zeros(num_agents, n_trials + 1, device=device) for name in ("reward", "correct", "steps")
        }

    @property
    def data(self) -> dict[str, torch.Tensor]:
        """The records, ``[B, n_trials]`` per key."""
        return {key: value[:, : self.n_trials].contiguous() for key, value in self.store.items()}

    def update(self, action: torch.Tensor, reward: torch.Tensor, boundary: torch.Tensor, info: dict) -> None:
        col = self.trial.clamp(max=self.n_trials)
        self.store["reward"].index_put_((self.rows, col), reward.float(), accumulate=True)
        self.store["steps"].index_put_((self.rows, col), self._ones, accumulate=True)
        if "decision" in info and "correct_action" in info:
            wrong = info["decision"].bool() & (action.to(info["correct_action"].device) != info["correct_action"])
            self.ok &= ~wrong.to(self.ok.device)
        end = boundary.bool()
        if self._skip_idle and not bool(end.any()):
            return  # no trial ends: every write below would go to the spare column
        at_end = (self.rows, torch.where(end, col, self.n_trials))
        self.store["correct"].index_put_(at_end, self.ok.float())
        for key, value in info.items():
            if key in ("correct_action", "decision", "trial_end", "trial") or key.startswith("_"):
                continue
            store = self.store.setdefault(key, torch.zeros_like(self.store["reward"]))
            store.index_put_(at_end, value.float().to(store.device))
        self.ok |= end
        self.trial += end.long()

    def done(self) -> bool:
        """Whether every agent has finished ``n_trials`` trials (a host sync: call it sparingly)."""
        return bool((self.trial >= self.n_trials).all())
