"""Noradrenaline's kernels: surprise from the trials' shortfall, the network reset of the
labile readout weights, and the fit of the stored latent context (see
:class:`nmgym.circuit.Circuit`)."""

from __future__ import annotations

import torch

from nmgym.circuit.plasticity import matvec


def shortfall_surprise(short: torch.Tensor, var: torch.Tensor, n_short: float) -> torch.Tensor:
    """How far the short running mean of trials' outcome falls below zero, in standard errors
    (those of an exponential mean over ``n_short`` trials, from the outcomes' mean square ``var``;
    see :func:`move_shortfall`). Outcomes above zero raise none."""
    standard_error = (var / (2 * n_short - 1)).sqrt()
    return (-short).clamp(min=0.0) / (standard_error + 1e-3)


def move_shortfall(
    outcome: torch.Tensor, short: torch.Tensor, var: torch.Tensor, weight: torch.Tensor, n_short: float, n_long: float
) -> None:
    """Move the short running mean of trials' ``outcome`` (over ``n_short`` trials) and their mean
    square (over ``n_long``), in place, where ``weight`` (``[B]``, 1 at a trial end) is 1."""
    short.add_(weight * (outcome - short) / n_short)
    var.add_(weight * (outcome * outcome - var) / n_long)


def reset_labile(
    W_pi: torch.Tensor,
    W_v: torch.Tensor,
    L_pi: torch.Tensor,
    L_v: torch.Tensor,
    readout_mean: torch.Tensor,
    reset: torch.Tensor,
    ne_reset: float,
    ne_reset_selective: float,
    stored_pi: torch.Tensor | None = None,
    stored_v: torch.Tensor | None = None,
    swap: torch.Tensor | None = None,
) -> None:
    """The NE network reset where ``reset`` (``[B]``) is 1, on the readouts' labile part only: its
    state-independent preference (its output at the mean readout) loses the fraction ``ne_reset``,
    its stimulus-selective part only ``ne_reset_selective``, so a false alarm in a stable task
    costs the learned stimulus-response mapping less. In place on ``W_pi``, ``W_v``, ``L_pi``,
    ``L_v``.

    With ``stored_pi`` and ``stored_v`` (``[B, A]``, ``[B, 1]``: the other latent context's labile
    bias), where ``swap`` (``[B]`` bool, within ``reset``) is true the bias column's labile part is
    not cut but swapped with the stored one (in place on those too); the selective columns and
    their output at the mean readout are reset as above. Where it is false the reset is the
    one-context one."""
    mean_in = torch.cat([readout_mean[:, :-1], torch.ones_like(readout_mean[:, -1:])], dim=1)
    cut = ((ne_reset - ne_reset_selective) * reset).view(-1, 1)
    drop = (ne_reset_selective * reset).view(-1, 1, 1)
    for W, L, stored in ((W_pi, L_pi, stored_pi), (W_v, L_v, stored_v)):
        removed = drop * L
        preference = matvec(L, mean_in)  # [B, rows]: the labile output at the mean readout
        if stored is None:
            removed[:, :, -1] += cut * preference  # the bias column carries the state-independent part
        else:
            assert swap is not None, "a swap mask comes with the stored biases"
            selective = matvec(L[:, :, :-1], mean_in[:, :-1])  # the selective part's output at the mean
            swapped = swap.view(-1, 1) * (L[:, :, -1] - stored)  # the labile bias out, the stored one in
            removed[:, :, -1] = torch.where(
                swap.view(-1, 1), swapped + cut * selective, removed[:, :, -1] + cut * preference
            )
            stored.add_(swapped)
        W.sub_(removed)
        L.sub_(removed)


def move_context_fit(
    fit: torch.Tensor,
    choice: torch.Tensor,
    outcome: torch.Tensor,
    current: torch.Tensor,
    stored: torch.Tensor,
    weight: torch.Tensor,
    n_short: float,
) -> None:
    """Move each latent context's fit to the recent outcomes (in place on ``fit``, ``[B, 2]``:
    the current context's, then the stored one's) where ``weight`` (``[B]``) is 1: the short
    running mean, over ``n_short`` trials, of the trial's ``outcome`` (its summed prediction error,
    ``[B]``) times the advantage that context's labile bias (``current``, ``stored``: ``[B, A]``)
    gives the ``choice`` made (one-hot, ``[B, A]``). A bias that favours a choice that paid off
    better than forecast, or disfavours one that fell short, explains the outcome."""
    biases = torch.stack((current, stored), dim=1)  # [B, 2, A]
    advantage = (choice.unsqueeze(1) * (biases - biases.mean(-1, keepdim=True))).sum(-1)
    fit.add_(weight.unsqueeze(-1) * (outcome.unsqueeze(-1) * advantage - fit) / n_short)
