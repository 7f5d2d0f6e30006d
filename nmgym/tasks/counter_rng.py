"""Counter-based random numbers: every draw is a pure function of its key.

A draw is ``hash(agent_key, counter, stream)``, where ``agent_key`` is a hash of ``(seed, agent
index)``. No generator state exists, so agent ``i`` draws the same numbers alone or among
thousands, in any chunking of the batch, and a draw can be recomputed at will. The hash is
Wellons' ``lowbias32`` integer finaliser applied in 32-bit arithmetic held in int64 tensors; the
multiplications are split into 16-bit halves so no intermediate overflows int64.
"""

from __future__ import annotations

import torch

_MASK32 = 0xFFFFFFFF
_GOLDEN = 0x9E3779B9  # 2^32 / phi, separates consecutive keys


def _mulmod32(x: torch.Tensor, c: int) -> torch.Tensor:
    """``(x * c) mod 2^32`` for ``0 <= x < 2^32`` without int64 overflow."""
    lo = (x & 0xFFFF) * c
    hi = (((x >> 16) * c) & 0xFFFF) << 16
    return (lo + hi) & _MASK32


def mix32(x: torch.Tensor) -> torch.Tensor:
    """Bijective avalanche hash of 32-bit values stored in an int64 tensor."""
    x = x & _MASK32
    x = x ^ (x >> 16)
    x = _mulmod32(x, 0x7FEB352D)
    x = x ^ (x >> 15)
    x = _mulmod32(x, 0x846CA68B)
    return x ^ (x >> 16)


def agent_keys(seed: int, agent_ids: torch.Tensor) -> torch.Tensor:
    """One 32-bit key per agent from the global seed and the agent's global index."""
    seed_key = mix32(torch.tensor(seed & _MASK32, dtype=torch.int64) ^ (seed >> 32) & _MASK32)
    return mix32(mix32(agent_ids.to(torch.int64) + _GOLDEN) ^ seed_key.to(agent_ids.device))


def _stream_salt(stream: int) -> int:
    """A well-spread constant per stream number (plain Python, no tensor op)."""
    x = (stream * 0x85EBCA6B + 0x27D4EB2F) & _MASK32
    x ^= x >> 13
    return (x * 0xC2B2AE35) & _MASK32


def bits(key: torch.Tensor, counter: torch.Tensor, stream: int, n: int | None = None) -> torch.Tensor:
    """32 random bits per agent (``[B]``), or ``n`` independent draws per agent (``[B, n]``)."""
    base = mix32(key ^ mix32(_mulmod32(counter & _MASK32, _GOLDEN) + _stream_salt(stream)))
    if n is None:
        return mix32(base)
    sub = torch.arange(n, device=key.device, dtype=torch.int64)
    return mix32(base.unsqueeze(-1) ^ mix32(_mulmod32(sub, 0xC2B2AE35) + 1))


def uniform(key: torch.Tensor, counter: torch.Tensor, stream: int, n: int | None = None) -> torch.Tensor:
    """Uniform float32 in ``[0, 1)`` with 24 random bits."""
    return (bits(key, counter, stream, n) >> 8).to(torch.float32) * (1.0 / (1 << 24))


def integers(key: torch.Tensor, counter: torch.Tensor, stream: int, high: int, n: int | None = None) -> torch.Tensor:
    """Integers uniform on ``{0, ..., high - 1}`` (int64), by the multiply-shift method."""
    return (bits(key, counter, stream, n) * high) >> 32


def normal(key: torch.Tensor, counter: torch.Tensor, stream: int, n: int) -> torch.Tensor:
    """Standard normal float32 ``[B, n]`` by the Box-Muller transform."""
    u = uniform(key, counter, stream, 2 * n)
    radius = torch.sqrt(-2.0 * torch.log1p(-u[..., :n]))
    return radius * torch.cos((2.0 * torch.pi) * u[..., n:])
