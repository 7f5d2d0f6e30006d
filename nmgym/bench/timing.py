"""Timing on CPU or CUDA: calls per second, and the STREAM-style triad that bounds them."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def seconds_per_call(
    fn: Callable[[], object], device: torch.device, seconds: float, warmup: int = 3, repeats: int = 3
) -> float:
    """Wall time of one ``fn()`` call: the best of ``repeats`` windows of ``seconds / repeats`` each
    (after ``warmup`` calls), synchronised so that queued GPU work is counted. The best window,
    as ``timeit`` reports, because a shared machine only ever adds time."""
    for _ in range(warmup):
        fn()
    synchronize(device)
    best = float("inf")
    for _ in range(repeats):
        calls, start = 0, time.perf_counter()
        while True:
            for _ in range(5):
                fn()
            calls += 5
            synchronize(device)
            elapsed = time.perf_counter() - start
            if elapsed >= seconds / repeats:
                break
        best = min(best, elapsed / calls)
    return best


def triad_bandwidth(device: torch.device, elements: int, seconds: float, in_place: bool = False) -> float:
    """Bytes/s of STREAM's triad ``a = b + s * c`` on float32 arrays of ``elements`` (counted:
    read b, c; write a), or in place, ``a += s * b`` (read a, b; write a).

    Arrays far larger than the caches measure main memory (or the GPU's HBM). STREAM's count
    leaves out the read a CPU makes of each line of ``a`` before writing it (write-allocate); an
    in-place update pays no such read, so it can run up to 4/3 faster by the same count."""
    a = torch.rand(elements, device=device)
    b = torch.rand(elements, device=device)
    c = torch.rand(elements, device=device)
    kernel = (lambda: a.add_(b, alpha=0.5)) if in_place else (lambda: torch.add(b, c, alpha=0.5, out=a))
    return 3 * elements * 4 / seconds_per_call(kernel, device, seconds)
