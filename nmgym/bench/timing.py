"""Timing on CPU or CUDA: calls per second, and the STREAM-style triad that bounds them."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def seconds_per_call(fn: Callable[[], object], device: torch.device, seconds: float, warmup: int = 3) -> float:
    """Mean wall time of ``fn()`` over at least ``seconds`` (after ``warmup`` calls), synchronised
    so that queued GPU work is counted."""
    for _ in range(warmup):
        fn()
    synchronize(device)
    calls, start = 0, time.perf_counter()
    while True:
        for _ in range(5):
            fn()
        calls += 5
        synchronize(device)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return elapsed / calls


def triad_bandwidth(device: torch.device, elements: int, seconds: float) -> float:
    """Bytes/s of ``a = b + s * c`` on three float32 arrays of ``elements`` (read b, c; write a).

    Arrays far larger than the caches measure main memory (or the GPU's HBM)."""
    a = torch.empty(elements, device=device)
    b = torch.rand(elements, device=device)
    c = torch.rand(elements, device=device)
    per_call = seconds_per_call(lambda: torch.add(b, c, alpha=0.5, out=a), device, seconds)
    return 3 * elements * 4 / per_call
