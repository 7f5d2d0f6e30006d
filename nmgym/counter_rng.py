"""Counter-based random numbers: every draw is a pure function of its key.

A draw is ``hash(agent_key, counter, stream)``, where ``agent_key`` is a hash of ``(seed, agent
index)``. No generator state exists, so agent ``i`` draws the same numbers alone or among
thousands, in any chunking of the batch, and a draw can be recomputed at will.

The hash is an xorshift-multiply finaliser (the structure of Wellons' ``lowbias32``) in 32-bit
arithmetic held in int64 tensors. Its multipliers are odd and below ``2^31``, so a 32-bit value
times a multiplier stays below ``2^63``: no intermediate overflows, on any device.
"""

from __future__ import annotations

import torch

_MASK32 = 0xFFFFFFFF
_M1, _M2 = 0x7FEB352D, 0x2C1B3C6D  # odd multipliers < 2^31
_COUNTER, _SUB = 0x61C88647, 0x27D4EB2F  # spread consecutive counters and sub-draws apart


def mix32(x: torch.Tensor) -> torch.Tensor:
    """Bijective avalanche hash of 32-bit values (int64 tensor in, int64 in ``[0, 2^32)`` out)."""
    return _mix32_(x & _MASK32)


def _mix32_(x: torch.Tensor) -> torch.Tensor:
    """:func:`mix32` in place on ``x``, whose values are already below ``2^32`` (a temporary: in
    place, a large draw allocates once where it allocated eleven times)."""
    x ^= x >> 16
    x.mul_(_M1).bitwise_and_(_MASK32)
    x ^= x >> 15
    x.mul_(_M2).bitwise_and_(_MASK32)
    return x.bitwise_xor_(x >> 16)


def _salt(value: int) -> int:
    """``mix32`` of a Python int, computed without a tensor."""
    x = value & _MASK32
    x ^= x >> 16
    x = (x * _M1) & _MASK32
    x ^= x >> 15
    x = (x * _M2) & _MASK32
    return x ^ (x >> 16)


def agent_keys(seed: int, agent_ids: torch.Tensor) -> torch.Tensor:
    """One 32-bit key per agent from the global seed and the agent's global index."""
    seed_key = _salt(_salt(seed & _MASK32) ^ (seed >> 32))
    return mix32(mix32(agent_ids.to(torch.int64) ^ seed_key) ^ _salt(seed_key + 1))


def bits(key: torch.Tensor, counter: torch.Tensor, stream: int, n: int | None = None, first: int = 0) -> torch.Tensor:
    """32 random bits per agent (``[B]``), or ``n`` independent draws per agent (``[B, n]``):
    sub-draws ``first, ..., first + n - 1``, so a long row can be drawn in pieces."""
    if n is None:
        return _mix32_(_draw_key(key, counter, stream))
    return _sub_draws(_draw_key(key, counter, stream), torch.arange(first, first + n, device=key.device))


def _draw_key(key: torch.Tensor, counter: torch.Tensor, stream: int) -> torch.Tensor:
    """The 32-bit key of one ``(agent, counter, stream)`` draw, ``[B]``."""
    return mix32(key ^ (((counter & _MASK32) * _COUNTER) & _MASK32)) ^ _salt(stream + 0x3C6EF372)


def _sub_draws(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Sub-draws ``index`` (int64 ``[n]``) of the draws keyed ``x`` (``[B]``): ``[B, n]`` bits."""
    return _mix32_(x.unsqueeze(-1) ^ (index * _SUB & _MASK32))


def _to_uniform(bits: torch.Tensor) -> torch.Tensor:
    return (bits >> 8).to(torch.float32) * (1.0 / (1 << 24))


def uniform(
    key: torch.Tensor, counter: torch.Tensor, stream: int, n: int | None = None, first: int = 0
) -> torch.Tensor:
    """Uniform float32 in ``[0, 1)`` with 24 random bits."""
    return _to_uniform(bits(key, counter, stream, n, first))


def integers(key: torch.Tensor, counter: torch.Tensor, stream: int, high: int, n: int | None = None) -> torch.Tensor:
    """Integers uniform on ``{0, ..., high - 1}`` (int64, ``high < 2^31``), by multiply-shift."""
    return (bits(key, counter, stream, n) * high) >> 32


def normal(
    key: torch.Tensor, counter: torch.Tensor, stream: int, n: int, start: int = 0, stop: int | None = None
) -> torch.Tensor:
    """Standard normal float32 ``[B, n]`` by the Box-Muller transform; ``start``/``stop`` give
    just those columns of it (the same numbers, with a fraction of the memory)."""
    stop = n if stop is None else stop
    columns = torch.arange(start, stop, device=key.device)
    # Sub-draw j gives column j's radius, sub-draw n + j its angle: both from one hash of the key.
    u = _to_uniform(_sub_draws(_draw_key(key, counter, stream), torch.cat([columns, columns + n])))
    u_radius, u_angle = u[..., : stop - start], u[..., stop - start :]
    return torch.sqrt(-2.0 * torch.log1p(-u_radius)) * torch.cos((2.0 * torch.pi) * u_angle)
