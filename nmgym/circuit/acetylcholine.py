"""Acetylcholine's kernels: attention's input gain, the inputs' rise, cholinergic transients,
bottom-up salience competition and the persistent units (see :class:`nmgym.circuit.Circuit`)."""

from __future__ import annotations

import torch

from nmgym.circuit.expectations import averaging_rate


def relevance_ratio(relevance: torch.Tensor) -> torch.Tensor:
    """Each input channel's ``|relevance|`` over the channels' mean, ``[B, D]``: 1 everywhere
    before any relevance is learned (all zero)."""
    rel = relevance.abs()
    return (rel + 1e-4) / (rel.mean(-1, keepdim=True) + 1e-4)


def attention_gain(relevance: torch.Tensor, ach: torch.Tensor, strength: float) -> torch.Tensor:
    """ACh input gain ``relu(1 + strength * ACh * (rel / mean(rel) - 1))`` per input channel.

    ``relevance`` is ``[B, D]``, ``ach`` ``[B]``. Channels more relevant than average gain above 1,
    the rest below; with no relevance learned yet (all zero) every gain is 1.
    """
    return torch.relu(1.0 + strength * ach.unsqueeze(-1) * (relevance_ratio(relevance) - 1.0))


def input_relevance(
    W_in_t: torch.Tensor, W_in_initial_t: torch.Tensor, out: torch.Tensor | None = None
) -> torch.Tensor:
    """Each input's relevance ``[B, D-1]``: ``sum_post |W_in - W_in_initial|`` (bias excluded),
    from the input weights stored input-major (``[B, D, post]``)."""
    drift = torch.sub(W_in_t, W_in_initial_t, out=out) if out is not None else W_in_t - W_in_initial_t
    return drift.abs_().sum(-1)[:, :-1]


def sensory_rise(
    x: torch.Tensor, mean: torch.Tensor, var: torch.Tensor, seen: torch.Tensor, rate: float
) -> torch.Tensor:
    """Each input channel's rise above its running mean, in standard deviations, ``[B, D]``.

    ``x``, ``mean`` and ``var`` are ``[B, D]``; ``seen`` (``[B]``) counts the inputs each agent has
    seen before ``x``. All three are updated in place, the mean before the rise is read: it is the
    exact mean of the inputs seen so far while they number fewer than ``1 / rate``, a running mean
    at ``rate`` after that, so a channel that is always on never rises, not even at the first step.
    ``var`` starts from a prior of 1 and moves at ``rate``. A fall counts as no rise: the signals
    themselves raise a channel's mean, so a dip of its noise below that mean deviates as far as a
    cue (it evoked most of the transients on signal-free steps when falls counted).
    """
    mean.add_((x - mean) * averaging_rate(seen + 1.0, rate).unsqueeze(-1))
    seen.add_(1.0)
    deviation = x - mean
    rise = deviation.clamp(min=0.0) / (var + 1e-4).sqrt()
    var.add_(rate * (deviation.square() - var))
    return rise


def cholinergic_transient(
    rise: torch.Tensor,
    ratio: torch.Tensor,
    slope: float,
    threshold: float,
    per_channel: bool = False,
    unpredicted: torch.Tensor | None = None,
) -> torch.Tensor:
    """Phasic ACh ``[B]`` on a surprising attended input (Parikh et al. 2007; Hasselmo & Sarter 2011).

    ``sigmoid(slope * (s - threshold))`` with ``s = max_i w_i rise_i``: each channel's rise (see
    :func:`sensory_rise`) weighted by its relevance over the mean relevance, ``w = ratio`` (from
    :func:`relevance_ratio`; 1 before any is learned). A transient marks a cue appearing on any one
    attended channel, so the largest weighted rise sets it: averaged over the channels, a brief
    signal was diluted by the channels that did not change. ``per_channel``: each channel's own
    ``sigmoid(slope * (w_i rise_i - threshold))``, ``[B, D]``, whose largest is the transient above.
    ``unpredicted`` (``[B, D]``, from :func:`unpredicted_rise`): relevance amplifies only that part
    of the rise, ``min(w, 1) rise + relu(w - 1) unpredicted``, and still suppresses all of it.
    """
    if unpredicted is None:
        surprise = ratio * rise
    else:
        surprise = ratio.clamp(max=1.0) * rise + (ratio - 1.0).clamp(min=0.0) * unpredicted
    return torch.sigmoid(slope * ((surprise if per_channel else surprise.amax(-1)) - threshold))


def unpredicted_rise(x: torch.Tensor, rise: torch.Tensor, mean: torch.Tensor, expected: torch.Tensor) -> torch.Tensor:
    """The part of each channel's rise (``[B, D]``, from :func:`sensory_rise`, which has moved the
    running ``mean``) above its trial-locked expectation ``expected`` (``[B, D]``, from
    :func:`~nmgym.circuit.expectations.trial_locked_expectation`): the rise times the fraction of
    ``x - mean`` that is also above ``expected``, so in the rise's own standard deviations and never
    more than it. An input with the same time course in every trial (fixation, a go signal) rises
    above its running mean but not above what its step predicts."""
    above = (x - torch.maximum(mean, expected)).clamp(min=0.0)
    return rise * above / (x - mean).clamp(min=1e-12)  # where x <= mean the rise and `above` are 0


def salience_competition(
    rise: torch.Tensor, ratio: torch.Tensor, ach: torch.Tensor, strength: float, threshold: float
) -> torch.Tensor:
    """Divisor of each input channel's gain: bottom-up capture by salient inputs, released as ACh
    falls (Desimone & Duncan 1995; Sarter, Hasselmo, Bruno & Givens 2005).

    ``1 + strength * relu(1 - ACh) * sum_(j != i) relu(rise_j / w_j - threshold)``, ``[B, D]``, with
    ``rise`` from :func:`sensory_rise`, ``w = ratio`` each channel's relevance over the mean
    relevance (from :func:`relevance_ratio`, as the transient weighs it) and ``ach`` ``[B]``. A
    transient marks a surprise on a channel learning has found relevant; a surprise on one it has
    not (a flash) captures gain from every other channel instead, unless ACh's top-down control
    holds. At full ACh every divisor is exactly 1; without it a salient flash suppresses the signal
    channel while it lasts, a loss no readout can learn back.
    """
    salient = (rise / ratio - threshold).clamp(min=0.0)
    others = salient.sum(-1, keepdim=True) - salient
    return 1.0 + strength * (1.0 - ach).clamp(min=0.0).unsqueeze(-1) * others


def accumulated_rise(
    evidence: torch.Tensor, rise: torch.Tensor, retention: float, bound: float, slope: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """The persistent units' bottom-up route: each channel's rise (from :func:`sensory_rise`)
    accumulated over the trial, ``e <- retention * e + rise`` (``[B, D]``), and how far it has
    crossed its bound, ``sigmoid(slope * (e - bound))`` (bounded accumulation of evidence: Gold &
    Shadlen 2007). A salient input crosses at once; a weak one in noise only if it lasts.
    Returns ``(e, crossed)``."""
    evidence = retention * evidence + rise
    return evidence, torch.sigmoid(slope * (evidence - bound))


def persistent_activity(
    memory: torch.Tensor,
    keep: torch.Tensor,
    transient: torch.Tensor | None,
    attended: torch.Tensor,
    strength: float,
    crossed: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Persistent activity, one unit per input channel (``[B, D]`` each), loaded two ways.

    Cholinergic (Egorov et al. 2002; Hasselmo & Stern 2006): ``m <- keep * m + strength * T * a``
    adds the channel's attended input ``a`` as far as its own transient ``T`` (from
    :func:`cholinergic_transient`, per channel; ``None``: no transients) lets it in. Bottom-up
    (``crossed`` from :func:`accumulated_rise`; ``None``: no such route): ``m <- max(m, strength *
    crossed * a)``, a latch that holds an input once its accumulated rise has crossed the bound.
    A transient on another channel releases what is held: the ``keep`` returned for the next step
    is ``1 - max_(j != i) T_j``, so a cue is held through a delay until the next event (a go or
    response signal) has been read with it, and not past that event. Returns ``(m, keep)``."""
    if transient is not None:
        memory = keep * memory + strength * transient * attended
    if crossed is not None:
        memory = torch.maximum(memory, strength * crossed * attended)
    if transient is None:
        return memory, keep
    top = torch.nn.functional.pad(transient, (0, 1)).topk(2, dim=-1).values  # a zero for a single channel
    others = torch.where(transient >= top[:, :1], top[:, 1:], top[:, :1])  # the largest of the others
    return memory, 1.0 - others
