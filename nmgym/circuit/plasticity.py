"""The batched three-factor plasticity kernels, shared by every projection.

Weights and traces are ``[B, ..., post, pre]``; leading dimensions after ``B`` (areas) are
batched too. Each kernel is one in-place pass over its tensors, so a step reads and writes every
weight and trace once.
"""

from __future__ import annotations

import torch


def matvec(weight: torch.Tensor, pre: torch.Tensor) -> torch.Tensor:
    """``weight @ pre`` per agent: ``[B, ..., post, pre] x [B, ..., pre] -> [B, ..., post]``.

    Written as a row vector times the transposed matrix, which torch runs several times faster
    than ``bmm(weight, pre[..., None])`` for a batch of small matrices.
    """
    return (pre.unsqueeze(-2) @ weight.mT).squeeze(-2)


def tag(trace: torch.Tensor, decay: torch.Tensor, post: torch.Tensor, pre: torch.Tensor) -> None:
    """Eligibility, in place: ``trace <- decay * trace + post (x) pre``.

    ``decay`` is per agent (``[B]``): the tag's ``exp(-1/tau)``, or 0 where tags are wiped (trial
    start, noradrenergic reset).
    """
    shape = trace.shape
    trace.mul_(decay.view(-1, *([1] * (trace.dim() - 1))))
    flat = trace.view(-1, shape[-2], shape[-1])
    flat.baddbmm_(post.reshape(-1, shape[-2], 1), pre.reshape(-1, 1, shape[-1]))


def capture(weight: torch.Tensor, trace: torch.Tensor, rate: torch.Tensor) -> None:
    """Capture, in place: ``weight <- weight + rate * trace`` with ``rate`` per agent (``[B]``).

    ``rate`` carries the third factor (dopamine): where it is zero the tag leaves no mark.
    """
    weight.addcmul_(trace, rate.view(-1, *([1] * (weight.dim() - 1))))
