"""Memory per agent of the default circuit in the agent loop, measured, not counted.

Each batch size runs in a fresh process (CPU: its peak resident set; CUDA: torch's peak
allocation); the slope between two batch sizes is the bytes each agent adds, the intercept what
the process costs whatever the batch (libraries, compiled kernels). On Linux the processes run
with address-space randomisation off (``setarch -R``) and a fixed hash seed: how much freed memory
glibc keeps resident depends on where its blocks land, and with randomisation on the compiled
circuit's figure moved from 44 to 52 KB per agent between runs of the same code (see
docs/performance-notes.md); without it, it repeats to the byte in a given environment (the
environment's size moves the layout too, so another shell may give another fixed figure)."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import torch

BATCHES = (2048, 16384)


def per_agent(
    device: torch.device, compiled: bool = False, trace_dtype: torch.dtype = torch.float32, steps: int = 20
) -> tuple[float, float]:
    """(bytes per agent, fixed bytes) from the peak memory at two batch sizes."""
    peaks = [_peak_in_child(batch, device, compiled, trace_dtype, steps) for batch in BATCHES]
    slope = (peaks[1] - peaks[0]) / (BATCHES[1] - BATCHES[0])
    return slope, peaks[0] - slope * BATCHES[0]


def _peak_in_child(batch: int, device: torch.device, compiled: bool, trace_dtype: torch.dtype, steps: int) -> float:
    dtype = str(trace_dtype).removeprefix("torch.")
    code = f"from nmgym.bench.memory import peak; peak({batch}, {str(device)!r}, {compiled}, {dtype!r}, {steps})"
    command, env = [sys.executable, "-c", code], {**os.environ, "PYTHONHASHSEED": "0"}
    setarch = shutil.which("setarch") if sys.platform == "linux" else None
    if setarch is not None:
        done = subprocess.run([setarch, platform.machine(), "-R", *command], capture_output=True, text=True, env=env)
        if done.returncode == 0:
            return _peak_bytes(done.stdout)
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)  # randomised layout
    return _peak_bytes(done.stdout)


def _peak_bytes(stdout: str) -> float:
    return float(json.loads(stdout.strip().splitlines()[-1])["peak_bytes"])


def peak(batch: int, device: str, compiled: bool, trace_dtype: str, steps: int) -> None:
    """Run the default circuit on ReversalBandit for ``steps`` steps; print the peak memory."""
    from agents.plastic import PlasticAgent
    from nmgym.tasks import TASKS

    dev = torch.device(device)
    agent = PlasticAgent(
        TASKS["ReversalBandit"](batch, seed=0, device=dev),
        seed=0,
        device=dev,
        compile=compiled,
        trace_dtype=getattr(torch, trace_dtype),
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
