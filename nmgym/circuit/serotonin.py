"""Serotonin's persistence of withholding (see :class:`nmgym.circuit.Circuit`)."""

from __future__ import annotations

import torch


def action_persistence(
    last: torch.Tensor, rise: torch.Tensor, sht: torch.Tensor, strength: float, release: float, slope: float
) -> torch.Tensor:
    """5-HT's persistence of withholding (Soubrie 1986; Miyazaki et al. 2014; Lottem et al. 2018:
    serotonin neurons' activation promotes waiting and persisting): the logit bias ``[B, A]``
    ``strength * 5-HT * (1 - sigmoid(slope * (max_i rise_i - release))) * last``, with ``last`` the
    trial's last action where it persists (one-hot, ``[B, A]``; zero at a trial's start and where that
    action was go) and ``rise`` the inputs' rises (``[B, D]``, from
    :func:`~nmgym.circuit.acetylcholine.sensory_rise`): an event, an input rising past ``release``
    standard deviations, releases it."""
    released = torch.sigmoid(slope * (rise.amax(-1) - release))
    return (strength * sht * (1.0 - released)).unsqueeze(-1) * last
