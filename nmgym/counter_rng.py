"""Counter-based random numbers: every draw is a pure function of its key.

A draw is ``hash(agent_key, counter, stream)``, where ``agent_key`` is a hash of ``(seed, agent
index)``. No generator state exists, so agent ``i`` draws the same numbers alone or among
thousands, in any chunking of the batch, and a draw can be recomputed at will. Draws of several
streams at one counter can share its hash: :func:`counter_key` once, then :func:`stream_key` and
the ``*_from`` functions per stream, with the plain functions' numbers.

The hash is an xorshift-multiply finaliser (the structure of Wellons' ``lowbias32``) in 32-bit
arithmetic held in int64 tensors. Its multipliers are odd and below ``2^31``, so a 32-bit value
times a multiplier stays below ``2^63``: no intermediate overflows, on any device.
"""

from __future__ import annotations

import functools

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
    draw = stream_key(counter_key(key, counter), stream)
    return _mix32_(draw) if n is None else bits_from(draw, n, first)  # in place on a temporary


def counter_key(key: torch.Tensor, counter: torch.Tensor) -> torch.Tensor:
    """The hash of each ``(agent, counter)``, ``[B]``: every stream's draw at that counter starts
    from it, so draws of several streams at one counter can hash it once (:func:`stream_key`)."""
    return mix32(key ^ (((counter & _MASK32) * _COUNTER) & _MASK32))


def stream_key(counter_keys: torch.Tensor, stream: int) -> torch.Tensor:
    """The 32-bit key of one ``(agent, counter, stream)`` draw, ``[B]``, from :func:`counter_key`."""
    return counter_keys ^ _salt(stream + 0x3C6EF372)


def bits_from(draw: torch.Tensor, n: int | None = None, first: int = 0) -> torch.Tensor:
    """:func:`bits` of the draws keyed ``draw`` (:func:`stream_key`)."""
    if n is None:
        return mix32(draw)
    return _sub_draws(draw, _sub_salts(((first, first + n),), draw.device))


def _sub_draws(x: torch.Tensor, salts: torch.Tensor) -> torch.Tensor:
    """The sub-draws of the draws keyed ``x`` (``[B]``) that ``salts`` (:func:`_sub_salts`) name: ``[B, n]`` bits."""
    return _mix32_(x.unsqueeze(-1) ^ salts)


def _sub_salts(ranges: tuple[tuple[int, int], ...], device: torch.device) -> torch.Tensor:
    """The salts of sub-draws ``start..stop`` for each ``(start, stop)`` in ``ranges``, in order:
    int64 ``[n]``. A step draws the same rows every time, so eagerly they are made once."""
    if torch.compiler.is_compiling():  # traced into the compiled graph, not cached
        return _make_sub_salts(ranges, device)
    return _cached_sub_salts(ranges, device)


def _make_sub_salts(ranges: tuple[tuple[int, int], ...], device: torch.device) -> torch.Tensor:
    index = torch.cat([torch.arange(start, stop, device=device) for start, stop in ranges])
    return index * _SUB & _MASK32


_cached_sub_salts = functools.lru_cache(maxsize=64)(_make_sub_salts)


def _to_uniform(bits: torch.Tensor) -> torch.Tensor:
    return (bits >> 8).to(torch.float32) * (1.0 / (1 << 24))


def uniform(
    key: torch.Tensor, counter: torch.Tensor, stream: int, n: int | None = None, first: int = 0
) -> torch.Tensor:
    """Uniform float32 in ``[0, 1)`` with 24 random bits."""
    return _to_uniform(bits(key, counter, stream, n, first))


def uniform_from(draw: torch.Tensor, n: int | None = None, first: int = 0) -> torch.Tensor:
    """:func:`uniform` of the draws keyed ``draw`` (:func:`stream_key`)."""
    return _to_uniform(bits_from(draw, n, first))


def integers(key: torch.Tensor, counter: torch.Tensor, stream: int, high: int, n: int | None = None) -> torch.Tensor:
    """Integers uniform on ``{0, ..., high - 1}`` (int64, ``high < 2^31``), by multiply-shift."""
    return (bits(key, counter, stream, n) * high) >> 32


def integers_from(draw: torch.Tensor, high: int, n: int | None = None) -> torch.Tensor:
    """:func:`integers` of the draws keyed ``draw`` (:func:`stream_key`)."""
    return (bits_from(draw, n) * high) >> 32


def normal(
    key: torch.Tensor, counter: torch.Tensor, stream: int, n: int, start: int = 0, stop: int | None = None
) -> torch.Tensor:
    """Standard normal float32 ``[B, n]`` by the Box-Muller transform; ``start``/``stop`` give
    just those columns of it (the same numbers, with a fraction of the memory)."""
    return normal_from(stream_key(counter_key(key, counter), stream), n, start, stop)


def normal_from(draw: torch.Tensor, n: int, start: int = 0, stop: int | None = None) -> torch.Tensor:
    """:func:`normal` of the draws keyed ``draw`` (:func:`stream_key`)."""
    stop = n if stop is None else stop
    # Sub-draw j gives column j's radius, sub-draw n + j its angle: both from one hash of the key.
    u = _to_uniform(_sub_draws(draw, _sub_salts(((start, stop), (start + n, stop + n)), draw.device)))
    u_radius, u_angle = u[..., : stop - start], u[..., stop - start :]
    return torch.sqrt(-2.0 * torch.log1p(-u_radius)) * torch.cos((2.0 * torch.pi) * u_angle)
