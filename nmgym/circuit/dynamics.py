"""The areas' step and the readouts' outputs: the circuit's forward pass."""

from __future__ import annotations

import torch

from nmgym import counter_rng
from nmgym.circuit.plasticity import matvec

_NOISE = 14  # the areas' noise: one of the circuit's counter-based streams (the others in circuit.py)


def activity(
    h_prev: torch.Tensor,
    drive: torch.Tensor,
    gain: torch.Tensor,
    leak: torch.Tensor,
    noise: float,
    counter_keys: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Leaky rate units: ``z = tanh(G * drive + noise * xi)``, ``h = h_prev + leak * (z - h_prev)``
    with ``xi`` each agent's counter-based standard normal for this step (``counter_keys``: the
    step's :func:`~nmgym.counter_rng.counter_key`). Returns ``(h, z)``."""
    B, K, N = h_prev.shape
    xi = counter_rng.normal_from(counter_rng.stream_key(counter_keys, _NOISE), K * N).view(B, K, N).to(h_prev.dtype)
    z = torch.tanh(gain * drive + noise * xi)
    return h_prev + leak * (z - h_prev), z


def forward_step(
    h_prev: torch.Tensor,
    x: torch.Tensor,
    input_gain: torch.Tensor,
    drive_boost: torch.Tensor,
    W_in_t: torch.Tensor,
    W_loc: torch.Tensor,
    W_lr: torch.Tensor,
    W_pi: torch.Tensor,
    W_v: torch.Tensor,
    coupling: torch.Tensor,
    ne: torch.Tensor,
    leak: torch.Tensor,
    others: torch.Tensor,
    counter_keys: torch.Tensor,
    noise: float,
    ne_gain: float,
    beta: float,
    inhibition: torch.Tensor | None = None,
    memory: torch.Tensor | None = None,
    persistence: torch.Tensor | None = None,
) -> tuple[torch.Tensor, ...]:
    """One step of the areas and the readouts (see :class:`~nmgym.circuit.Circuit`): returns ``(h, z, gx, h_other,
    gain, readout, probs, value)``. ``drive_boost`` (``[B, 1]``, or ``[B, D-1]`` per channel)
    scales the attended input where it drives the areas only: the readouts and the tags see ``gx``
    unboosted. The readout is ``[h, memory, gx]`` (``memory``: the persistent units, or None for
    none); ``persistence`` is added to the logits (see :func:`readout_outputs`). Pure, so that it
    compiles to a few fused loops."""
    B, K, N = h_prev.shape
    gx = torch.cat([input_gain * x, torch.ones_like(x[:, :1])], dim=1)
    h_other = h_prev[:, others].reshape(B, K, (K - 1) * N)
    boosted = torch.cat([drive_boost * gx[:, :-1], gx[:, -1:]], dim=1)
    # A few inputs: a weighted sum of rows beats a batched mat-mul with so short an inner dimension.
    drive = (boosted.unsqueeze(-1) * W_in_t).sum(1).view(B, K, N) + matvec(W_loc, h_prev)
    if K > 1:
        drive = drive + coupling.view(B, 1, 1) * matvec(W_lr, h_other)
    gain = (1.0 + ne_gain * ne).view(B, 1, 1)
    h, z = activity(h_prev, drive, gain, leak, noise, counter_keys)
    readout = torch.cat([h.view(B, K * N), gx] if memory is None else [h.view(B, K * N), memory, gx], dim=1)
    return (h, z, gx, h_other, gain, readout, *readout_outputs(W_pi, W_v, readout, beta, inhibition, persistence))


def readout_outputs(
    W_pi: torch.Tensor,
    W_v: torch.Tensor,
    readout: torch.Tensor,
    beta: float,
    inhibition: torch.Tensor | None = None,
    persistence: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The actor's policy ``softmax(beta * W_pi r + inhibition * min(V, 0) + persistence)``
    ``[B, A]`` and the critic's value ``V = W_v . r`` ``[B]`` on the readout ``r``. ``inhibition``
    (``[B, A]``, or None for none) is the Pavlovian weight of a predicted loss on each action's
    logit; ``persistence`` (``[B, A]``, or None) the ongoing action's (see
    :func:`~nmgym.circuit.serotonin.action_persistence`)."""
    value = matvec(W_v, readout)[:, 0]
    logits = beta * matvec(W_pi, readout)
    if inhibition is not None:
        logits = logits + inhibition * value.clamp(max=0.0).unsqueeze(-1)
    if persistence is not None:
        logits = logits + persistence
    return torch.softmax(logits, dim=-1), value
