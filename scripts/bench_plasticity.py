"""The plastic update against the memory-bandwidth limit, measured in one process.

Usage: python scripts/bench_plasticity.py [--agents 4096] [--units 64] [--device cpu]

Baseline: a STREAM-style triad ``a = b + s * c`` on arrays as large as the weights and traces.
Kernel: one projection's step as the circuit runs it, ``y = tanh(W x)`` (``matvec``), the tag
``E <- lambda E + y (x) x`` (``tag``) and the capture ``W <- W + rate E`` (``capture``). Achieved
bandwidth counts the ideal bytes only: read W for the mat-vec, read W and E, write W and E.
"""

from __future__ import annotations

import argparse
import time

import torch

from nmgym.circuit.plasticity import capture, matvec, tag


def timed(fn, device: str, repeat: int = 20) -> float:
    """Seconds per call of ``fn`` (after warm-up)."""
    for _ in range(3):
        fn()
    if device != "cpu":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    if device != "cpu":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=4096)
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    B, N, dev = args.agents, args.units, args.device
    W = torch.randn(B, N, N, device=dev) * 0.1
    E = torch.zeros_like(W)
    x = torch.rand(B, N, device=dev)
    decay = torch.full((B,), 0.9, device=dev)
    rate = torch.full((B,), 1e-3, device=dev)

    a, b, c = torch.empty_like(W), torch.rand_like(W), torch.rand_like(W)
    triad_bytes = 3 * W.numel() * 4
    triad = triad_bytes / timed(lambda: torch.add(b, c, alpha=0.5, out=a), dev)

    def step() -> None:
        y = torch.tanh(matvec(W, x))
        tag(E, decay, y, x)
        capture(W, E, rate)

    ideal_bytes = 5 * W.numel() * 4
    seconds = timed(step, dev)
    achieved = ideal_bytes / seconds
    print(f"torch {torch.__version__}, device {dev}, {torch.get_num_threads()} threads; B={B}, {N}x{N} fp32")
    print(f"triad (a = b + s*c):        {triad / 1e9:8.1f} GB/s")
    print(f"plastic update (ideal bytes): {achieved / 1e9:6.1f} GB/s = {achieved / triad:.0%} of the triad")
    print(
        f"  {ideal_bytes / B / 1e3:.0f} KB per agent-step ideal; {B / seconds:.3g} agent-steps/s; "
        f"ceiling at the triad's bandwidth {triad / (ideal_bytes / B):.3g} agent-steps/s"
    )


if __name__ == "__main__":
    main()
