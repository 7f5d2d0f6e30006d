"""Memory per agent of a circuit (the default unless given) in the agent loop, measured, not counted.

Each batch size runs in a fresh process (CPU: its peak resident set; CUDA: torch's peak
allocation); the slope between two batch sizes is the bytes each agent adds, the intercept what
the process costs whatever the batch (libraries, compiled kernels). On the CPU the pair runs
``repeats`` times and the median slope is reported: how much freed memory glibc keeps resident
depends on where its blocks land, which address-space randomisation changes from one process to
the next (the compiled circuit's figure moved from 44 to 52 KB per agent between single runs of
the same code; see docs/performance-notes.md)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch

from nmgym.circuit import CircuitParams

BATCHES = (2048, 16384)


def per_agent(
    device: torch.device,
    compiled: bool = False,
    trace_dtype: torch.dtype = torch.float32,
    steps: int = 20,
    repeats: int = 3,
    circuit: dict[str, Any] | None = None,
) -> tuple[float, float, tuple[float, float]]:
    """(bytes per agent, fixed bytes, (least, most) bytes per agent) from the peak memory at two
    batch sizes: the median over ``repeats`` pairs of fresh processes on the CPU, one on CUDA
    (whose peak allocation does not depend on the layout). ``circuit``: parameters over the
    default (``--circuit NAME=VALUE`` items as a dict), for an opt-in's cost."""
    settings = json.dumps(circuit or {})
    CircuitParams().replace(**(circuit or {}))  # a bad name or value fails here, not in a child
    fits = []
    for _ in range(repeats if device.type == "cpu" else 1):
        peaks = [_peak_in_child(batch, device, compiled, trace_dtype, steps, settings) for batch in BATCHES]
        slope = (peaks[1] - peaks[0]) / (BATCHES[1] - BATCHES[0])
        fits.append((slope, peaks[0] - slope * BATCHES[0]))
    slopes = [slope for slope, _ in fits]
    median = statistics.median_low(slopes)  # one of the runs, so its fixed cost goes with it
    return median, fits[slopes.index(median)][1], (min(slopes), max(slopes))


def _peak_in_child(
    batch: int, device: torch.device, compiled: bool, trace_dtype: torch.dtype, steps: int, settings: str
) -> float:
    dtype = str(trace_dtype).removeprefix("torch.")
    arguments = f"{batch}, {str(device)!r}, {compiled}, {dtype!r}, {steps}, {settings!r}"
    code = f"from nmgym.bench.memory import peak; peak({arguments})"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(json.loads(done.stdout.strip().splitlines()[-1])["peak_bytes"])


def peak(batch: int, device: str, compiled: bool, trace_dtype: str, steps: int, settings: str = "{}") -> None:
    """Run the circuit (``settings``: JSON of parameters over the default) on ReversalBandit for
    ``steps`` steps; print the peak memory."""
    from agents.plastic import PlasticAgent
    from nmgym.tasks import TASKS

    dev = torch.device(device)
    agent = PlasticAgent(
        TASKS["ReversalBandit"](batch, seed=0, device=dev),
        seed=0,
        device=dev,
        compile=compiled,
        trace_dtype=getattr(torch, trace_dtype),
        params=CircuitParams().replace(**json.loads(settings)),
    )
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
    agent.begin(agent.world.reset(seed=0))
    for _ in range(steps):
        obs, reward, terminated, boundary, _ = agent.world.step(agent.act())
        agent.observe(obs, reward, terminated, boundary)
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
        value = torch.cuda.max_memory_allocated(dev)
    else:
        value = _peak_resident()
    print(json.dumps({"peak_bytes": value}))


def _peak_resident() -> int:
    """This process's peak resident set. Linux: VmHWM, which starts afresh at exec (ru_maxrss
    would carry over the parent's peak from before the fork)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
