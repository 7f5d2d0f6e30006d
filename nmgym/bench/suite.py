"""``nmgym bench``: every speed figure of nmgym against a baseline measured in the same run.

Sections (each row: a value, the baseline it is compared with, their ratio, and the goal):

* **tasks**: agent-steps/s of every task kernel (random actions) at B in {1, 1024, 65536},
  against NeuroGym's single env on a comparable task (``Bandit-v0`` for the bandit,
  ``PerceptualDecisionMaking-v0`` for the trial-structured tasks) and, for the bandit family,
  gymnax's ``BernoulliBandit-misc`` driven step by step. Peers run in their own virtual
  environments (:mod:`nmgym.bench.peers`); Gymnasium's CartPole ``SyncVectorEnv(64)`` runs here.
* **bandwidth**: a STREAM-style triad on arrays far larger than the caches: the memory limit
  (each bandwidth-bound row is timed in windows alternating with the triad's, and compared with
  the triad's median over those windows), and an in-place triad, the fairer ceiling for in-place
  updates (no write-allocate reads).
* **plastic update**: one projection's step (mat-vec, capture, tag) at main-memory sizes, eager
  and compiled, counting the ideal bytes (read W for the mat-vec; read W and E, write W and E).
* **agent loop**: task + default circuit + learning at several B, against the floor: the ideal
  bytes of every plastic weight and trace per agent-step, and the ceiling the triad implies.
* **memory**: bytes per agent against the floor (weights and traces), the median of three runs
  (one with ``quick``; see :mod:`nmgym.bench.memory`), and the largest batch of the default
  circuit that fits in 16 GB.

BindsNET's figure (100 -> 100 LIF with MSTDPET, 9.2k steps/s at batch 1 on this machine) is the
reference the performance issue gives; BindsNET itself is not run here.
"""

from __future__ import annotations

import json
import math
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from nmgym.bench import memory, peers
from nmgym.bench.timing import paired, seconds_per_call, triad_bandwidth
from nmgym.bench.timing import triad as triad_kernel
from nmgym.circuit.plasticity import capture_and_tag, capture_and_tag_fusible, matvec
from nmgym.compiled import compiled_if
from nmgym.tasks import TASKS
from nmgym.validation import check_device

BINDSNET_STEPS_PER_S = 9.2e3  # 100 -> 100 LIF + MSTDPET, batch 1 (reference figure, not run here)
COMPARABLE = {"ReversalBandit": "Bandit-v0"}  # the rest: PerceptualDecisionMaking-v0
BANDITS = ("ReversalBandit",)
GiB16 = 16 * 2**30


@dataclass
class Row:
    section: str
    name: str
    value: float
    unit: str
    baseline: str = ""
    baseline_value: float | None = None
    goal: float | None = None  # what the ratio value / baseline must reach ...
    at_most: bool = False  # ... or stay under

    @property
    def ratio(self) -> float | None:
        if self.baseline_value is None or not self.baseline_value:
            return None
        return self.value / self.baseline_value

    @property
    def holds(self) -> bool | None:
        if self.goal is None or self.ratio is None:
            return None
        return self.ratio <= self.goal if self.at_most else self.ratio >= self.goal


# ---------------------------------------------------------------------------------------- tasks
def task_rate(name: str, batch: int, device: torch.device, seconds: float, compiled: bool) -> float:
    task = TASKS[name](batch, seed=0, device=device, compile=compiled)
    return batch / seconds_per_call(lambda: task.step(task.random_action()), device, seconds)


def cartpole_sync64(seconds: float) -> float:
    import gymnasium as gym

    vec = gym.vector.SyncVectorEnv([lambda: gym.make("CartPole-v1") for _ in range(64)])
    vec.reset(seed=0)
    vec.action_space.seed(0)
    per_call = seconds_per_call(lambda: vec.step(vec.action_space.sample()), torch.device("cpu"), seconds)
    vec.close()
    return 64 / per_call


# ------------------------------------------------------------------------------- plastic update
def plastic_update(batch: int, units: int, device: torch.device, compiled: bool, trace_dtype: torch.dtype):
    """One step of one ``units x units`` projection per agent (a callable, warmed up): ``y = tanh(W x)``,
    then the last step's capture and this step's tag in one pass (as the circuit's square projections)."""
    W = torch.randn(batch, units, units, device=device) * 0.1
    E = torch.zeros_like(W, dtype=trace_dtype)
    x = torch.rand(batch, units, device=device)
    decay = torch.full((batch,), 0.9, device=device)
    rate = torch.full((batch,), 1e-3, device=device)
    kernel = compiled_if(compiled, capture_and_tag_fusible, capture_and_tag)

    def step() -> None:
        y = torch.tanh(matvec(W, x))
        kernel(W, E, rate, decay, y, x)

    for _ in range(3):
        step()
    return step


# ----------------------------------------------------------------------------------- agent loop
def plastic_bytes(circuit) -> tuple[int, int]:
    """Bytes of every plastic weight of a circuit, and of the state each step reads and writes once
    beside them: their traces and the readouts' labile part."""
    c = circuit
    weights = (c.W_in, c.W_loc, c.W_lr, c.W_pi, c.W_v)
    traces = (c.E_in, c.E_loc, c.E_lr, c.E_pi, c.E_v, c.L_pi, c.L_v)
    return tuple(sum(t.numel() * t.element_size() for t in group) for group in (weights, traces))


def floor_bytes(weight_bytes: int, trace_bytes: int) -> int:
    """Ideal bytes of one plastic step: read W (mat-vec); read W and E; write W and E."""
    return 3 * weight_bytes + 2 * trace_bytes


# name -> (compiled, trace dtype)
VARIANTS: dict[str, tuple[bool, torch.dtype]] = {
    "eager": (False, torch.float32),
    "compiled": (True, torch.float32),
    "compiled, bf16 traces": (True, torch.bfloat16),
}


def agent_loop(batch: int, device: torch.device, compiled: bool, trace_dtype: torch.dtype):
    """(one step, warmed up; floor bytes per agent-step) of the intact default circuit learning
    ReversalBandit: task step, circuit forward, act (tags), learn (modulators, capture)."""
    from agents.plastic import PlasticAgent

    task = TASKS["ReversalBandit"](batch, seed=0, device=device, compile=compiled)
    agent = PlasticAgent(task, seed=0, device=device, compile=compiled, trace_dtype=trace_dtype)
    agent.begin(agent.world.reset(seed=0))

    def step() -> None:
        obs, reward, terminated, boundary, _ = agent.world.step(agent.act())
        agent.observe(obs, reward, terminated, boundary)

    for _ in range(5):
        step()
    return step, floor_bytes(*plastic_bytes(agent.circuit)) // batch


# ------------------------------------------------------------------------------------- the run
SECTIONS = ("tasks", "plastic update", "agent loop", "memory")


def run(
    *,
    sections: tuple[str, ...] = SECTIONS,
    quick: bool = False,
    device: str = "cpu",
    with_peers: bool = True,
    venvs: Path | None = None,
    seconds: float | None = None,
    log=print,
) -> dict:
    """Measure everything; return ``{"machine": ..., "rows": [...]}`` (see the module doc)."""
    dev = check_device(device)
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ValueError(f"nmgym bench: unknown section(s) {sorted(unknown)}; known: {', '.join(SECTIONS)}")
    seconds = seconds if seconds is not None else (0.3 if quick else 1.0)
    rows: list[Row] = []
    started = time.perf_counter()

    log("memory bandwidth (triad) ...")
    elements = 2**28 if dev.type == "cuda" else (2**24 if quick else 2**25)
    triad = triad_bandwidth(dev, elements, seconds)
    size = f"{elements * 4 / 2**20:.0f} MiB float32 arrays"
    rows.append(Row("bandwidth", f"triad a = b + s*c, {size}", triad, "B/s"))
    in_place = triad_bandwidth(dev, elements, seconds, in_place=True)
    rows.append(Row("bandwidth", f"in place a += s*b, {size} (no write-allocate)", in_place, "B/s", "triad", triad))

    baseline = triad_kernel(dev, elements)  # timed again beside each bandwidth-bound row

    if "tasks" in sections:
        rows += _tasks(dev, seconds, with_peers, venvs, log)
    if "plastic update" in sections:
        rows += _plastic_update(dev, seconds, quick, baseline, log)
    if "agent loop" in sections:
        rows += _agent_loop(dev, seconds, quick, baseline, log)
    if "memory" in sections:
        rows += _memory(dev, quick, log)
    return {
        "machine": machine(dev),
        "quick": quick,
        "sections": list(sections),
        "seconds_per_measurement": seconds,
        "wall_seconds": time.perf_counter() - started,
        "rows": [asdict(r) | {"ratio": r.ratio, "holds": r.holds} for r in rows],
    }


def _tasks(dev: torch.device, seconds: float, with_peers: bool, venvs: Path | None, log) -> list[Row]:
    log("peers (NeuroGym, gymnax: each in its own virtual environment) ...")
    rows: list[Row] = []
    peer: dict = {}
    if with_peers:
        root = venvs or peers.default_root()
        peer["neurogym"] = peers.run("neurogym", root, [str(seconds)], log=log)
        peer["gymnax"] = peers.run("gymnax", root, [str(seconds), "1024,65536"], log=log)
        for name, result in peer.items():
            if "error" in result:
                log(f"  {name}: not measured ({result['error']})")
    peer["gymnasium CartPole-v1 SyncVectorEnv(64)"] = cartpole_sync64(seconds)

    def neurogym(task: str) -> tuple[str, float | None]:
        env = COMPARABLE.get(task, "PerceptualDecisionMaking-v0")
        return f"NeuroGym {env} single env", peer.get("neurogym", {}).get(f"{env} single")

    log("task kernels (eager, then compiled) ...")
    for name in TASKS:
        for compiled in (False, True):
            kind = "compiled" if compiled else "eager"
            for batch in (1, 1024, 65536):
                value = task_rate(name, batch, dev, seconds, compiled)
                base, base_value = neurogym(name)
                goal = 100 if batch == 65536 and compiled else None
                rows.append(Row("tasks", f"{name} B={batch} {kind}", value, "agent-steps/s", base, base_value, goal))
                if name in BANDITS and batch > 1 and compiled:
                    gx = peer.get("gymnax", {}).get(f"BernoulliBandit-misc B={batch}")
                    rows.append(
                        Row(
                            "tasks",
                            f"{name} B={batch} {kind}",
                            value,
                            "agent-steps/s",
                            f"gymnax BernoulliBandit-misc B={batch}",
                            gx,
                            1,
                        )
                    )
    for key, value in peer.items():
        if isinstance(value, float):
            rows.append(Row("peers", key, value, "agent-steps/s"))
        elif isinstance(value, dict):
            rows += [Row("peers", f"{key}: {k}", v, "agent-steps/s") for k, v in value.items() if isinstance(v, float)]
    return rows


def _agent_loop(dev: torch.device, seconds: float, quick: bool, baseline, log) -> list[Row]:
    log("agent loop (task + default circuit + learning) ...")
    rows: list[Row] = []
    for batch in (4096,) if quick else (1024, 4096):
        for kind, (compiled, trace_dtype) in VARIANTS.items():
            step, floor = agent_loop(batch, dev, compiled, trace_dtype)
            per_step, triad = paired(step, baseline, dev, 2 * seconds)
            name = f"B={batch} {kind}"
            ceiling = triad / floor
            rows.append(
                Row(
                    "agent loop",
                    f"{name}: agent-steps/s",
                    batch / per_step,
                    "agent-steps/s",
                    "ceiling: triad / floor",
                    ceiling,
                )
            )
            goal = 0.7 if batch == 4096 and trace_dtype == torch.float32 else None  # the default circuit
            bandwidth = floor * batch / per_step
            rows.append(Row("agent loop", f"{name}: bandwidth (ideal bytes)", bandwidth, "B/s", "triad", triad, goal))
            if batch == 4096:
                rows.append(Row("agent loop", f"floor, {kind}: ideal bytes per agent-step", floor, "B"))
    return rows


def _memory(dev: torch.device, quick: bool, log) -> list[Row]:
    log("memory per agent (fresh processes at two batch sizes) ...")
    from agents.plastic import PlasticAgent

    rows: list[Row] = []
    repeats = 1 if quick or dev.type != "cpu" else 3
    for kind, (compiled, trace_dtype) in VARIANTS.items():
        floor = sum(plastic_bytes(PlasticAgent(TASKS["ReversalBandit"](1), trace_dtype=trace_dtype).circuit))
        per_agent, fixed, (least, most) = memory.per_agent(dev, compiled, trace_dtype, repeats=repeats)
        name = f"bytes per agent, {kind}"
        if repeats > 1:
            name += f" (median of {repeats} runs, {least / 1e3:.1f}-{most / 1e3:.1f} KB)"
        rows.append(Row("memory", name, per_agent, "B", "floor: weights + traces", floor, 1.25, at_most=True))
        largest = math.floor((GiB16 - fixed) / per_agent)
        rows.append(Row("memory", f"largest batch in 16 GB, {kind}", largest, "agents"))
    return rows


def _plastic_update(dev: torch.device, seconds: float, quick: bool, baseline, log) -> list[Row]:
    log("plastic update ...")
    rows: list[Row] = []
    sizes = ((4096, 64),) if quick else ((4096, 64), (1024, 128), (256, 256))
    for batch, units in sizes:
        for kind, (compiled, trace_dtype) in VARIANTS.items():
            per_step, triad = paired(
                plastic_update(batch, units, dev, compiled, trace_dtype), baseline, dev, 2 * seconds
            )
            trace_bytes = torch.empty(0, dtype=trace_dtype).element_size()
            ideal = batch * units * units * floor_bytes(4, trace_bytes)
            name = f"B={batch} {units}x{units} {kind}"
            rows.append(Row("plastic update", name, ideal / per_step, "B/s", "triad", triad, 0.8))
    # BindsNET's example: one 100 x 100 plastic projection with its trace, independent per agent
    for batch, kind in ((1, "eager"), (2048, "compiled"), (2048, "compiled, bf16 traces")):
        per_step = seconds_per_call(plastic_update(batch, 100, dev, *VARIANTS[kind]), dev, seconds)
        name = f"100x100, B={batch} {kind}"
        goal = 20 if batch > 1 else None
        reference = "BindsNET 100->100 MSTDPET, batch 1 (reference)"
        rows.append(
            Row("plastic update", name, batch / per_step, "agent-steps/s", reference, BINDSNET_STEPS_PER_S, goal)
        )
    return rows


def machine(device: torch.device) -> dict:
    info = {
        "device": str(device),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),  # the vector kernels torch dispatches to
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


# ------------------------------------------------------------------------------------ reporting
def _si(value: float, unit: str) -> str:
    if unit == "B/s":
        return f"{value / 1e9:.1f} GB/s"
    if unit == "B":
        return f"{value / 1e3:.1f} KB"
    return f"{value:.3g} {unit}"


def format_table(result: dict) -> str:
    m = result["machine"]
    lines = [
        f"nmgym bench on {m['cpu']}{', ' + m['gpu'] if 'gpu' in m else ''}; device {m['device']}, torch {m['torch']}, "
        f"{m['threads']} threads{' (quick)' if result['quick'] else ''}",
        f"{'section':<15}{'measurement':<58}{'value':>20}  {'baseline (same run)':<46}{'ratio':>9}  goal",
    ]
    for r in result["rows"]:
        base = r["baseline"]
        if base:
            base += ": not measured" if r["baseline_value"] is None else f" = {_si(r['baseline_value'], r['unit'])}"
        percent = r["unit"] == "B/s" and r["baseline"] == "triad"
        ratio = "" if r["ratio"] is None else (f"{r['ratio']:.0%}" if percent else f"{r['ratio']:.3g}x")
        goal = ""
        if r["goal"] is not None:
            goal = ("<= " if r["at_most"] else ">= ") + (f"{r['goal']:.0%}" if percent else f"{r['goal']:g}x")
            goal += {True: "  holds", False: "  MISSED", None: ""}[r["holds"]]
        lines.append(f"{r['section']:<15}{r['name']:<58}{_si(r['value'], r['unit']):>20}  {base:<46}{ratio:>9}  {goal}")
    return "\n".join(lines)


def write(result: dict, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "bench.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1))
    tmp.replace(path)
    (out / "bench.txt").write_text(format_table(result) + "\n")
    return path
