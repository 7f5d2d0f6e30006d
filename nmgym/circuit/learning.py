"""What each plastic synapse's tag sees, and the readouts' capture: the actor's and critic's
tags, the hidden units' tag factors, policy compression and the actor's whitening."""

from __future__ import annotations

import torch

from nmgym.circuit.plasticity import capture, tag


def readout_tags(
    readout: torch.Tensor,
    readout_mean: torch.Tensor,
    E_pi: torch.Tensor,
    E_v: torch.Tensor,
    W_pi: torch.Tensor,
    W_v: torch.Tensor,
    choice: torch.Tensor,
    fed_back: torch.Tensor,
    decay: torch.Tensor,
    z: torch.Tensor,
    gain: torch.Tensor,
    leak: torch.Tensor,
    covariance_rate: float,
    critic_feedback: float,
    actor_mask: torch.Tensor | None = None,
    actor_expected: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Tag the readouts (in place on ``readout_mean``, ``E_pi``, ``E_v``); return their rate
    normalisations ``[B, 2]`` (the actor's ``1 + |R|^2``, the critic's ``1 + max(|R|^2, E_v . R)``)
    and the hidden units' postsynaptic tag factor. ``choice`` (``onehot(a) - pi``) tags the
    actor; the hidden units get the actor's weights weighted by ``fed_back`` (``[B, A]``, see
    :func:`chosen_feedback`) plus the critic's. ``actor_mask`` (``[K*N+D]``, 0 or 1) is which
    readout inputs the actor learns from (``None``: all). ``actor_expected`` (``[B, K*N+D]``, or
    ``None``), where given, is what the actor's tag subtracts instead of the running mean."""
    B, K, N = z.shape
    # Covariance rule: readout tags see presynaptic activity minus its running mean, so what
    # every trial shares does not swamp what tells trials apart; the bias input stays.
    readout_mean.add_(covariance_rate * (readout - readout_mean))
    R = torch.cat([(readout - readout_mean)[:, :-1], torch.ones_like(readout[:, :1])], dim=1)
    R_pi = R
    if actor_expected is not None:
        R_pi = torch.cat([(readout - actor_expected)[:, :-1], R[:, -1:]], dim=1)
    tag(E_pi, decay, choice, R_pi if actor_mask is None else R_pi * actor_mask)
    tag(E_v, decay, torch.ones_like(decay).unsqueeze(-1), R)
    # Hidden units are tagged by the feedback of the chosen action (AGREL) and of the critic.
    feedback = (W_pi[:, :, : K * N] * fed_back.unsqueeze(-1)).sum(1) + critic_feedback * W_v[:, 0, : K * N]
    post = feedback.view(B, K, N) * leak * (1 - z * z) * gain
    # The critic's rate is normalised TD(lambda): divided by its trace's overlap with the current
    # input where that exceeds |R|^2, so a long stretch of similar states (whose tags pile up)
    # cannot overshoot the error it corrects.
    norm = (R * R).sum(-1)  # the actor's too, over the whole readout (its masked inputs included)
    overlap = (E_v[:, 0, :] * R).sum(-1)
    norm_pi = norm if actor_expected is None else (R_pi * R_pi).sum(-1)
    return 1.0 + torch.stack([norm_pi, torch.maximum(norm, overlap)], dim=1), post


def chosen_feedback(onehot: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
    """AGREL's feedback weighting ``[B, A]``: the chosen action against the others, renormalised,
    ``onehot - pi * (1 - onehot) / sum(pi * (1 - onehot))``. Unlike ``onehot - pi`` it does not
    vanish as the policy saturates on the chosen action."""
    rest = probs * (1.0 - onehot)
    return onehot - rest / rest.sum(-1, keepdim=True).clamp(min=1e-12)


def hidden_tag_factors(
    gx: torch.Tensor,
    h_prev: torch.Tensor,
    h_other: torch.Tensor,
    post: torch.Tensor,
    input_mean: torch.Tensor,
    h_mean: torch.Tensor,
    in_mask_t: torch.Tensor,
    others: torch.Tensor,
    covariance_rate: float,
    covariance: bool,
    normalised: bool,
    expected_input: torch.Tensor | None = None,
) -> tuple[torch.Tensor, ...]:
    """The hidden projections' pre- and postsynaptic tag factors: ``(pre, post)`` for the input,
    local and long-range projections (running means updated in place on ``input_mean``, ``h_mean``).

    ``covariance``: tags see presynaptic activity minus its running mean (the bias input stays), as
    the readouts' do, so what every step shares does not drift the features that tell trials apart.
    ``expected_input`` (``[B, D]``, or ``None``), where given, is subtracted from the input instead
    of its running mean (which then does not move): the input expected at this step of a trial.
    ``normalised``: normalised LMS per unit, each unit's tag divided by ``1 + |its presynaptic
    input|^2``, so a strong input does not overshoot and a weak one is not starved.
    """
    B, K, N = h_prev.shape
    pre_in = gx
    if covariance:
        if expected_input is None:
            input_mean.add_(covariance_rate * (gx - input_mean))
            expected_input = input_mean
        pre_in = torch.cat([(gx - expected_input)[:, :-1], gx[:, -1:]], dim=1)
        h_mean.add_(covariance_rate * (h_prev - h_mean))
        h_prev = h_prev - h_mean
        h_other = h_prev[:, others].reshape(B, K, (K - 1) * N)
    post_in, post_loc, post_lr = post.view(B, K * N), post, post
    if normalised:
        post_in = post_in / (1.0 + (pre_in * pre_in) @ in_mask_t)
        post_loc = post / (1.0 + (h_prev * h_prev).sum(-1, keepdim=True))
        post_lr = post / (1.0 + (h_other * h_other).sum(-1, keepdim=True))
    return pre_in, post_in, h_prev, post_loc, h_other, post_lr


def capture_readouts(
    W_pi: torch.Tensor,
    W_v: torch.Tensor,
    L_pi: torch.Tensor,
    L_v: torch.Tensor,
    E_pi: torch.Tensor,
    E_v: torch.Tensor,
    rate: torch.Tensor,
    readout_norm: torch.Tensor,
    lr_actor: float,
    lr_critic: float,
    labile_keep: float,
    relearn: torch.Tensor | None = None,
) -> None:
    """Capture the readouts' tags at ``rate / readout_norm`` (per agent) into the weights and their
    labile part ``L``, then let the labile part consolidate (``L *= labile_keep``: what leaves ``L``
    stays in ``W``). ``relearn`` (``[B, A]``, or ``None``) is captured into the actor's bias column
    as if it were part of its tag this step (NE's relearning, see :class:`~nmgym.circuit.Circuit`). In place on
    ``W_pi``, ``W_v``, ``L_pi``, ``L_v``."""
    for W, L, E, lr, norm, extra in (
        (W_pi, L_pi, E_pi, lr_actor, readout_norm[:, 0], relearn),
        (W_v, L_v, E_v, lr_critic, readout_norm[:, 1], None),
    ):
        step = rate * (lr / norm)
        capture(W, E, step)
        capture(L, E, step)
        if extra is not None:  # captured as if it were part of the bias column's tag
            W[:, :, -1].addcmul_(extra, step.unsqueeze(-1))
            L[:, :, -1].addcmul_(extra, step.unsqueeze(-1))
        L.mul_(labile_keep)


def compress_policy(
    W_pi: torch.Tensor,
    L_pi: torch.Tensor,
    probs: torch.Tensor,
    policy_mean: torch.Tensor,
    readout: torch.Tensor,
    readout_mean: torch.Tensor,
    readout_norm: torch.Tensor,
    marginal_rate: float,
    strength: float,
    actor_mask: torch.Tensor | None = None,
) -> None:
    """Policy compression: update the running marginal policy ``p`` (in place on ``policy_mean``,
    at ``marginal_rate`` per step) and move the actor (its weights and their labile part, in
    place) down the gradient of ``KL(pi || p)``: the logits move by ``-pi * (log(pi / p) - KL)``,
    per readout input as the actor's tags see it (activity minus its running mean), at rate
    ``strength / readout_norm``. The bias input is left out: the state-independent preference
    is the default itself, so only how the policy depends on the state is compressed."""
    policy_mean.add_(marginal_rate * (probs - policy_mean))
    log_ratio = probs.clamp(min=1e-12).log() - policy_mean.clamp(min=1e-12).log()
    kl = (probs * log_ratio).sum(-1, keepdim=True)
    post = -probs * (log_ratio - kl) * (strength / readout_norm).unsqueeze(-1)
    R = torch.cat([(readout - readout_mean)[:, :-1], torch.zeros_like(readout[:, :1])], dim=1)
    if actor_mask is not None:
        R = R * actor_mask
    step = post.unsqueeze(-1) * R.unsqueeze(1)
    W_pi.add_(step)
    L_pi.add_(step)


def track_whitening(
    moment: torch.Tensor, factor: torch.Tensor, rate: float, floor: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Whitening of the actor's stimulus-selective inputs (see :class:`~nmgym.circuit.Circuit`).

    ``factor`` ``[B, F]`` is their presynaptic factor this step (readout minus running mean).
    Moves the running second moment of ``[factor, 1]`` (``moment``, ``[B, F + 1, F + 1]``, in
    place) at ``rate``, and returns the Cholesky factor of ``moment + floor * I`` and
    ``1 + R^T P R``, with ``P`` the ``F x F`` block of that matrix's inverse: the inverse
    covariance of the factor given the bias input, so the bias keeps what every step shares.
    """
    u = torch.cat([factor, torch.ones_like(factor[:, :1])], dim=1)
    moment.mul_(1.0 - rate).baddbmm_(u.unsqueeze(-1), u.unsqueeze(-2), alpha=rate)  # one pass, in place
    # The floor goes on the diagonal in place and the diagonal is put back exactly after: no copy of
    # the [B, F + 1, F + 1] moment.
    diagonal = moment.diagonal(dim1=-2, dim2=-1)
    kept = diagonal.clone()
    diagonal.add_(floor)
    chol = torch.linalg.cholesky_ex(moment)[0]  # positive definite: no check, no sync
    diagonal.copy_(kept)
    solved = selective_solve(chol, factor.unsqueeze(1)).squeeze(1)
    return chol, 1.0 + (factor * solved).sum(-1)


def selective_solve(chol: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """``rows P`` for rows ``[B, k, F]``, with ``P`` the ``F x F`` block of the inverse of the
    matrix whose Cholesky factor is ``chol`` (``[B, F + 1, F + 1]``): each row padded with a zero
    bias entry, solved, and the bias entry dropped (``P`` is symmetric)."""
    padded = torch.cat([rows, torch.zeros_like(rows[:, :, :1])], dim=-1)
    return torch.cholesky_solve(padded.transpose(1, 2), chol).transpose(1, 2)[:, :, :-1]


def whiten_tags(
    E_pi: torch.Tensor, chol: torch.Tensor, whitened_norm: torch.Tensor, norm: torch.Tensor, strength: float
) -> torch.Tensor:
    """The actor's tag ``[B, A, R]`` with its first ``F`` (stimulus-selective) columns ``E_s``
    replaced by ``E_s P`` times ``strength * norm / whitened_norm``: captured at the actor's rate
    ``lr / norm``, they move at ``lr * strength / (1 + R^T P R)``, a whitened normalised LMS step
    (``chol``, ``whitened_norm``: from :func:`track_whitening`). The rest (the bias, inputs the
    actor does not learn from) are left as they are."""
    F = chol.shape[-1] - 1
    solved = selective_solve(chol, E_pi[:, :, :F].to(chol.dtype))  # E_s P
    whitened = E_pi.to(chol.dtype).clone()
    whitened[:, :, :F] = solved * (strength * norm / whitened_norm).view(-1, 1, 1)
    return whitened
