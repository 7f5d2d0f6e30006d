"""Timing on CPU or CUDA: calls per second, and the STREAM-style triad that bounds them."""

from __future__ import annotations

import statistics
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


def triad(device: torch.device, elements: int, in_place: bool = False) -> tuple[Callable[[], object], int]:
    """STREAM's triad ``a = b + s * c`` on float32 arrays of ``elements`` (counted: read b, c;
    write a), or in place, ``a += s * b`` (read a, b; write a): the kernel and its counted bytes.

    Arrays far larger than the caches measure main memory (or the GPU's HBM). STREAM's count
    leaves out the read a CPU makes of each line of ``a`` before writing it (write-allocate); an
    in-place update pays no such read, so it can run faster by the same count."""
    a = torch.rand(elements, device=device)
    b = torch.rand(elements, device=device)
    c = torch.rand(elements, device=device)
    kernel = (lambda: a.add_(b, alpha=0.5)) if in_place else (lambda: torch.add(b, c, alpha=0.5, out=a))
    return kernel, 3 * elements * 4


def triad_bandwidth(device: torch.device, elements: int, seconds: float, in_place: bool = False) -> float:
    """Bytes/s of :func:`triad`."""
    kernel, counted = triad(device, elements, in_place)
    return counted / seconds_per_call(kernel, device, seconds)


def paired(
    step: Callable[[], object],
    baseline: tuple[Callable[[], object], int],
    device: torch.device,
    seconds: float,
    rounds: int = 5,
) -> tuple[float, float]:
    """(seconds per ``step()``, the baseline's bytes/s), each the median of ``rounds`` windows that
    alternate between the two: a shared machine's memory bandwidth drifts and bursts by tens of
    percent, and alternating exposes both to the same conditions."""
    kernel, counted = baseline
    window = seconds / (2 * rounds)
    step_times, bandwidths = [], []
    for _ in range(rounds):
        bandwidths.append(counted / seconds_per_call(kernel, device, window, warmup=1, repeats=1))
        step_times.append(seconds_per_call(step, device, window, warmup=1, repeats=1))
    return statistics.median(step_times), statistics.median(bandwidths)
