"""Expectations a circuit learns of its own signals: running means that start exact, and
means locked to the step of a trial."""

from __future__ import annotations

from typing import Any

import torch


def averaging_rate(count: torch.Tensor, rate: float) -> torch.Tensor:
    """The rate at which a mean takes in its ``count``-th sample: ``1 / count`` (the exact mean)
    while that is above ``rate``, then ``rate`` (a running mean)."""
    return torch.clamp(1.0 / count, min=rate)


def trial_locked_expectation(
    expected: torch.Tensor, step: torch.Tensor, rate: torch.Tensor, value: torch.Tensor
) -> torch.Tensor:
    """Move each agent's expectation of ``value`` (``[B, F]``) at its step of the trial towards it
    at ``rate`` (``[B, 1]``) and return it (``[B, F]``). ``expected`` (``[B, steps, F]``, in place)
    holds one row per step of a trial; ``step`` (``[B]``) is the row each agent is at (see
    :meth:`TrialLockedMean.update`)."""
    index = step.view(-1, 1, 1).expand(-1, 1, expected.shape[-1])
    row = expected.gather(1, index).squeeze(1)
    row.add_(rate * (value - row))
    expected.scatter_(1, index, row.unsqueeze(1))
    return row


class TrialLockedMean:
    """What a value ``[B, F]`` is expected to be at each step of a trial: one row per step (the last
    shared by later steps) in ``rows`` (``[B, steps, F]``) and the visits to each in ``visits``
    (``[B, steps]``). Each row is the exact mean over its visits until ``1 / rate``, then a running
    mean at ``rate``."""

    def __init__(self, batch: int, steps: int, features: int, rate: float, **kw: Any) -> None:
        self.rows = torch.zeros(batch, steps, features, **kw)
        self.visits = torch.zeros(batch, steps, **kw)
        self.rate = rate

    def update(self, step: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
        """Count this visit to each agent's ``step`` of the trial (``[B]``, from 0), move that step's
        row towards ``value`` and return it (see :func:`trial_locked_expectation`)."""
        row = step.clamp(max=self.visits.shape[1] - 1).unsqueeze(-1)
        seen = self.visits.gather(1, row).add_(1.0)
        self.visits.scatter_(1, row, seen)
        return trial_locked_expectation(self.rows, row.squeeze(-1), averaging_rate(seen, self.rate), value)
