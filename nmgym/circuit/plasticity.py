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
    # A broadcast multiply-add: for these small matrices several times faster than baddbmm_.
    trace.mul_(decay.view(-1, *([1] * (trace.dim() - 1)))).addcmul_(post.unsqueeze(-1), pre.unsqueeze(-2))


def capture(weight: torch.Tensor, trace: torch.Tensor, rate: torch.Tensor) -> None:
    """Capture, in place: ``weight <- weight + rate * trace`` with ``rate`` per agent (``[B]``).

    ``rate`` carries the third factor (dopamine): where it is zero the tag leaves no mark.
    """
    weight.addcmul_(trace, rate.view(-1, *([1] * (weight.dim() - 1))))


def capture_and_tag(
    weight: torch.Tensor,
    trace: torch.Tensor,
    rate: torch.Tensor,
    decay: torch.Tensor,
    post: torch.Tensor,
    pre: torch.Tensor,
    mask: torch.Tensor | None = None,
) -> None:
    """The last step's capture, then this step's tag: :func:`capture`, :func:`tag`, and
    ``trace *= mask`` where a mask says which synapses exist."""
    capture(weight, trace, rate)
    tag(trace, decay, post, pre)
    if mask is not None:
        trace.mul_(mask)


def capture_and_tag_fusible(
    weight: torch.Tensor,
    trace: torch.Tensor,
    rate: torch.Tensor,
    decay: torch.Tensor,
    post: torch.Tensor,
    pre: torch.Tensor,
    mask: torch.Tensor | None = None,
) -> None:
    """:func:`capture_and_tag` as elementwise expressions, so that ``torch.compile`` emits one loop
    that reads the weight and the trace once and writes each once: the memory floor."""
    per_agent = (-1,) + (1,) * (weight.dim() - 1)
    weight.add_(trace * rate.view(per_agent))
    new = trace * decay.view(per_agent) + post.unsqueeze(-1) * pre.unsqueeze(-2)
    trace.copy_(new if mask is None else new * mask)
