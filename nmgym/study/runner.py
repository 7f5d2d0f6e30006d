"""Resumable, crash-safe lesion studies: chunks of agents, written atomically.

A :class:`Chunk` is a self-contained unit of work (task, condition, agent range, seed, trials,
parameters in; per-trial records out), so chunks can run in any process or on any machine. Agents
``start..stop`` of a chunk draw exactly what they would in one big batch (the task's
``agent_offset``), and every condition uses the same seed and agent indices, so intact and
lesioned agents see the same task draws. :func:`run_chunks` runs chunks side by side in worker
processes: at a study's tens of agents per chunk a circuit step is too small to share between
threads, so processes scale where threads do not; a chunk's results do not depend on where it ran.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from agents.protocols import plastic_options, protocol
from nmgym.circuit import LEVELS, CircuitParams, parse_lesion
from nmgym.circuit.routing import route_inputs
from nmgym.results_folder import (
    atomic_write_npz,
    atomic_write_text,
    check_folder,
    make_folder,
    remove_stale_temporaries,
)
from nmgym.tasks import task_class
from nmgym.validation import check_bool, check_device, check_flag, check_integer

REFERENCES = ("ref:td", "ref:random", "ref:ideal")  # ref:ideal only where the task has an ideal observer
MANIFEST = "manifest.json"
STUDY_OPTIONS = ("inputs", "efference")  # the PlasticAgent keywords a study takes; it sets the rest itself


class StudyMismatch(ValueError):
    """A study folder holds a different study; ``differences`` says what differs."""

    def __init__(self, folder: Path, differences: str):
        super().__init__(
            f"{folder} holds a different study ({differences}); choose another --out or delete that folder"
        )
        self.differences = differences


STUDY_VERSION = 1


@dataclass(frozen=True)
class Chunk:
    """Agents ``start..stop`` of one condition: everything needed to run them anywhere."""

    task: str
    condition: str  # "none", a lesion spec, or a reference agent ("ref:td", "ref:random", "ref:ideal")
    start: int
    stop: int
    seed: int
    trials: int
    params: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)  # PlasticAgent options; TDAgent settings for ref:td
    record: int = 0  # agents (from ``start``) whose modulator levels are kept, per step
    circuit: dict[str, Any] = field(default_factory=dict)  # CircuitParams overrides (plastic conditions)

    @property
    def name(self) -> str:
        """The chunk's file name (without folder)."""
        slug = self.condition.replace(":", "~").replace("=", "-").replace("+", "_").replace("/", "-")
        return f"{slug}__{self.start:06d}-{self.stop:06d}.npz"


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def task_params(task: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """The task's full parameters with ``overrides`` applied (validated: bad names raise ``ValueError``)."""
    cls = task_class(task)
    params = cls(1, **overrides).params
    return _jsonable(dataclasses.asdict(params))


def has_ideal_observer(task: str) -> bool:
    """Whether ``task`` has an ideal observer (:data:`agents.IDEAL_OBSERVERS`; imported here, not
    at module load, as everywhere ``nmgym`` reaches for ``agents``)."""
    from agents import IDEAL_OBSERVERS

    return task in IDEAL_OBSERVERS


def check_condition(condition: str, task: str | None = None) -> str:
    """The condition's label (a lesion spec however spaced or cased: its parsed form), or
    ``ValueError`` for one that is neither a lesion spec nor a reference agent (of ``task``: only
    some tasks have an ideal observer)."""
    if condition.startswith("ref:"):
        if condition not in REFERENCES:
            raise ValueError(f"unknown reference agent {condition!r}; known: {', '.join(REFERENCES)}")
        if condition == "ref:ideal" and task is not None and not has_ideal_observer(task):
            from agents import IDEAL_OBSERVERS

            raise ValueError(f"ref:ideal: {task} has no ideal observer; {', '.join(IDEAL_OBSERVERS)} have one")
        return condition
    return parse_lesion(condition).spec


@torch.inference_mode()  # no gradients: autograd's bookkeeping skipped, ~1.25x at tens of agents
def run_chunk(chunk: Chunk, device: str | torch.device = "cpu") -> dict[str, np.ndarray]:
    """Run one chunk; return its per-trial records (``[n, trials]`` arrays) and, with
    ``chunk.record``, the modulator levels of the first agents (``trace_<level>``: ``[record, steps]``).
    Nothing made here leaves it but numpy arrays, so it all runs in inference mode."""
    from agents import IDEAL_OBSERVERS, Agent, PlasticAgent, RandomAgent, TDAgent
    from nmgym.tasks import make_task

    n = chunk.stop - chunk.start
    env = make_task(chunk.task, n, seed=chunk.seed, agent_offset=chunk.start, device=device, **chunk.params)
    agent: Agent
    if chunk.condition == "ref:td":
        agent = TDAgent(env, seed=chunk.seed, **chunk.options)
    elif chunk.condition == "ref:random":
        agent = RandomAgent(env, seed=chunk.seed)
    elif chunk.condition == "ref:ideal":
        check_condition(chunk.condition, chunk.task)
        agent = IDEAL_OBSERVERS[chunk.task](env, seed=chunk.seed)
    else:
        options = plastic_options(chunk.options)
        params = CircuitParams().replace(**chunk.circuit)
        agent = PlasticAgent(
            env, params=params, lesion=chunk.condition, seed=chunk.seed, record=chunk.record > 0, **options
        )
    data = agent.run(chunk.trials)
    out = {key: value.detach().cpu().numpy().astype(np.float32) for key, value in data.items()}
    if chunk.record > 0 and isinstance(agent, PlasticAgent):
        keep = min(chunk.record, n)
        for name in LEVELS:
            steps = agent.circuit.levels[name]
            trace = torch.stack(steps, dim=1)[:keep] if steps else torch.zeros(keep, 0)
            out[f"trace_{name}"] = trace.detach().cpu().numpy().astype(np.float32)
    return out


def _difference(key: str, theirs: Any, mine: Any) -> str:
    """One manifest entry's difference; for a dict (the circuit's parameters) only the keys that differ."""
    if isinstance(theirs, dict) and isinstance(mine, dict):
        names = sorted(n for n in set(theirs) | set(mine) if theirs.get(n) != mine.get(n))
        return "; ".join(f"{key}.{n}: folder has {theirs.get(n)!r}, asked {mine.get(n)!r}" for n in names)
    return f"{key}: folder has {theirs!r}, asked {mine!r}"


def available_cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_workers(device: str | torch.device = "cpu") -> int:
    """Worker processes for chunks: one per CPU on a CPU device; one on an accelerator (it is shared)."""
    return available_cpus() if check_device(device).type == "cpu" else 1


def check_workers(workers: int) -> None:
    """Raise ``ValueError`` unless ``workers`` is an integer >= 1 (checked before anything is written)."""
    check_integer(workers, "workers", low=1)


def _start_worker(threads: int, parent: int) -> None:
    """A chunk worker's set-up: its share of the threads; Ctrl-C left to the study's process,
    which stops the workers itself; and a watch that ends the worker when that process dies
    (killed, it leaves its workers waiting on their queue for ever)."""
    torch.set_num_threads(threads)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # tqdm's default lock is a semaphore shared between processes: a terminated worker leaves it to
    # the resource tracker, which warns of a leak. A worker shows no bars; a thread lock does.
    tqdm.set_lock(threading.RLock())
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:  # an orphan is handed to another parent
        time.sleep(0.5)
    os._exit(1)


def _stop_workers(pool: ProcessPoolExecutor, seconds: float = 5.0) -> None:
    """End the pool's workers now, their chunks unfinished (``terminate_workers`` from Python 3.14),
    and wait, ``seconds`` at most, until each has gone, killing any left: the pool's clean-up
    waits for as long as one of them lives."""
    processes = list((pool._processes or {}).values())
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
    else:
        for process in processes:
            process.terminate()
    deadline = time.monotonic() + seconds
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()


def _run_and_write(chunk: Chunk, path: Path, device: str | torch.device) -> float:
    """Run ``chunk``, write its results to ``path`` atomically; return the seconds it took."""
    start = time.perf_counter()
    atomic_write_npz(path, run_chunk(chunk, device))
    return time.perf_counter() - start


def run_chunks(
    jobs: list[tuple[Chunk, Path]],
    *,
    workers: int = 1,
    device: str | torch.device = "cpu",
    progress: bool = True,
    desc: str = "chunks",
    initial: int = 0,
    on_chunk: Callable[[Chunk], None] | None = None,
) -> dict[Path, float]:
    """Run each ``(chunk, path)`` and write its results to ``path`` atomically as it finishes.

    ``workers > 1`` runs that many chunks at once in worker processes (spawned, each on
    ``CPUs / workers`` threads); ``1`` runs them here, one by one. An error stops the run after
    the chunks in flight; an interrupt (Ctrl-C, or the ``nmgym`` command's SIGTERM) stops it at
    once, losing those. Every file written is complete, so running again resumes. Workers whose
    process is killed outright end themselves.
    ``on_chunk`` is called here after each chunk is written. Returns each path's seconds.
    A script that asks for ``workers > 1`` needs Python's ``if __name__ == "__main__":`` guard
    (the workers are spawned, so they import the main module); the ``nmgym`` command has it.
    """
    check_workers(workers)
    seconds: dict[Path, float] = {}
    bar = tqdm(total=initial + len(jobs), initial=initial, desc=desc, unit="chunk", disable=not progress)

    def finished(chunk: Chunk, path: Path, elapsed: float) -> None:
        seconds[path] = elapsed
        bar.set_postfix_str(f"{chunk.task} {chunk.condition} agents {chunk.start}-{chunk.stop} done")
        bar.update(1)
        if on_chunk is not None:
            on_chunk(chunk)

    workers = min(workers, len(jobs))
    try:
        if workers <= 1:
            for chunk, path in jobs:
                bar.set_postfix_str(f"{chunk.task} {chunk.condition} agents {chunk.start}-{chunk.stop}")
                finished(chunk, path, _run_and_write(chunk, path, device))
            return seconds
        threads = max(1, available_cpus() // workers)
        context = multiprocessing.get_context("spawn")  # forking a process that runs torch threads can hang
        pool = ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start_worker, initargs=(threads, os.getpid())
        )
        try:
            queue = iter(jobs)
            running: dict[Future, tuple[Chunk, Path]] = {}

            def submit() -> None:  # one job per free worker: an interrupt leaves only those in flight
                job = next(queue, None)
                if job is not None:
                    running[pool.submit(_run_and_write, *job, device)] = job

            for _ in range(workers):
                submit()
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    chunk, path = running.pop(future)
                    finished(chunk, path, future.result())
                    submit()
        except KeyboardInterrupt:
            _stop_workers(pool)
            raise
        finally:
            pool.shutdown()
        return seconds
    finally:
        bar.close()


@dataclass
class Study:
    """Intact (``none``), each lesion and the reference agents on the same seeds and task draws.

    Args:
        task: task name.
        lesions: lesion specs (``none`` is always added first); one spec may be given as a string.
        agents: agents per condition.
        seed: the shared seed.
        out: the study folder.
        params: task parameter overrides (on top of the task's protocol).
        trials: trials per agent (default: the task's protocol).
        chunk_size: agents per chunk (default: all agents in one chunk).
        references: also run the TD and random reference agents and, where the task has one, its
            ideal observer (:mod:`agents.ideal`).
        record: agents of each plastic condition's first chunk whose modulator levels are kept.
        device: torch device (not part of the study's identity).
        options: the plastic conditions' :class:`~agents.PlasticAgent` options, ``inputs`` and
            ``efference`` (default: the task's protocol).
        circuit: :class:`~nmgym.circuit.CircuitParams` overrides for the plastic conditions (the
            lesions are then compared with the intact circuit of those parameters).
    """

    task: str
    lesions: list[str] | str
    agents: int
    seed: int
    out: Path
    params: dict[str, Any] = field(default_factory=dict)
    trials: int | None = None
    chunk_size: int | None = None
    references: bool = True
    record: int = 4
    device: str = "cpu"
    options: dict[str, Any] | None = None
    circuit: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        task_class(self.task)
        # Python callers' shorthands: one spec as a string ("ne" is not the specs "n" and "e"), None for {}
        self.lesions = [self.lesions] if isinstance(self.lesions, str) else list(self.lesions)
        self.params, self.circuit = dict(self.params or {}), dict(self.circuit or {})
        defaults = protocol(self.task)
        self.trials = defaults["trials"] if self.trials is None else self.trials
        self.chunk_size = self.agents if self.chunk_size is None else self.chunk_size
        for name, low in (("agents", 1), ("seed", 0), ("trials", 1), ("chunk_size", 1), ("record", 0)):
            setattr(self, name, check_integer(getattr(self, name), name, low=low))
        check_bool(self, "references")  # a string such as "no" would read as true
        not_specs = [spec for spec in self.lesions if not isinstance(spec, str)]
        if not_specs:
            raise ValueError(f"Study: lesions must be lesion specs such as 'ne=0.3'; got {not_specs[0]!r}")
        self.full_params = task_params(self.task, {**defaults["params"], **self.params})
        self.overrides = {k: v for k, v in self.full_params.items() if k in {**defaults["params"], **self.params}}
        self.options = dict(defaults["options"] if self.options is None else self.options)
        unknown = sorted(set(self.options) - set(STUDY_OPTIONS))
        if unknown:  # refused here, not in a worker once chunks run
            raise ValueError(f"Study: unknown option(s) {unknown}; allowed: {', '.join(STUDY_OPTIONS)}")
        if "efference" in self.options:
            self.options["efference"] = check_flag(self.options["efference"], "efference", owner="Study")
        self.td = dict(defaults["td"])  # the TD reference's settings
        self.circuit_params = CircuitParams().replace(**self.circuit)  # validated: bad names raise ValueError
        if "inputs" in self.options:  # refused here, before any chunk runs, as a bad parameter is
            sub_spaces = task_class(self.task)(1, **self.full_params).obs_slices
            route_inputs(sub_spaces, self.options["inputs"], self.circuit_params.n_areas)
        # one label per lesion however it was written: ' NE=0.3' and 'ne=0.3' are one condition
        lesions = ["none"] + [check_condition(spec, self.task) for spec in self.lesions]
        references = [r for r in REFERENCES if r != "ref:ideal" or has_ideal_observer(self.task)]
        self.conditions = list(dict.fromkeys(lesions + (references if self.references else [])))
        check_device(self.device)
        self.out = check_folder(self.out, "study")

    def manifest(self) -> dict[str, Any]:
        """The settings that define the study (a folder holds one study)."""
        return {
            "version": STUDY_VERSION,
            "task": self.task,
            "conditions": self.conditions,
            "agents": self.agents,
            "seed": self.seed,
            "trials": self.trials,
            "chunk_size": self.chunk_size,
            "task_params": self.full_params,
            "overrides": self.overrides,
            "options": _jsonable(self.options),
            "record": self.record,
            "circuit_params": _jsonable(dataclasses.asdict(self.circuit_params)),
            **({"td": self.td} if "ref:td" in self.conditions else {}),
        }

    def chunks(self) -> list[Chunk]:
        """Every chunk of the study, condition by condition."""
        out = []
        size, trials = self.chunk_size, self.trials
        assert size is not None and trials is not None  # set by __post_init__
        for condition in self.conditions:
            for start in range(0, self.agents, size):
                stop = min(self.agents, start + size)
                plastic = not condition.startswith("ref:")
                out.append(
                    Chunk(
                        self.task,
                        condition,
                        start,
                        stop,
                        self.seed,
                        trials,
                        self.overrides,
                        self._agent_options(condition),
                        self.record if plastic and start == 0 else 0,
                        dict(self.circuit) if plastic else {},
                    )
                )
        return out

    def _agent_options(self, condition: str) -> dict[str, Any]:
        """What a chunk of ``condition`` builds its agent with: the plastic options, the TD
        reference's settings, or nothing (the random agent and the ideal observer)."""
        if not condition.startswith("ref:"):
            return self.options or {}
        return self.td if condition == "ref:td" else {}

    def prepare(self) -> None:
        """Create the folder and its manifest; refuse a folder that holds a different study; remove
        the temporary files a killed run left (see :func:`~nmgym.results_folder.remove_stale_temporaries`)."""
        make_folder(self.out)
        (self.out / "chunks").mkdir(exist_ok=True)
        path = self.out / MANIFEST
        mine = self.manifest()
        if path.exists():
            try:
                theirs = json.loads(path.read_text())
            except json.JSONDecodeError as error:
                raise ValueError(f"{path} is not a readable study manifest ({error}); use another --out") from error
            if theirs != mine:
                keys = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
                diffs = "; ".join(_difference(k, theirs.get(k), mine.get(k)) for k in keys)
                raise StudyMismatch(self.out, diffs)
        else:
            atomic_write_text(path, json.dumps(mine, indent=2) + "\n")
        for folder in (self.out, self.out / "chunks"):  # what a killed run of this study was writing
            remove_stale_temporaries(folder)

    def pending(self) -> list[Chunk]:
        """The chunks whose result file is not written yet."""
        return [c for c in self.chunks() if not (self.out / "chunks" / c.name).exists()]

    def run(
        self, progress: bool = True, on_chunk: Callable[[Chunk], None] | None = None, workers: int = 1
    ) -> dict[Path, float]:
        """Run every pending chunk, writing each atomically as it finishes (resumes a broken run);
        ``workers`` processes at once (see :func:`run_chunks`). Returns each chunk file's seconds."""
        check_workers(workers)
        self.prepare()
        todo = self.pending()
        return run_chunks(
            [(chunk, self.out / "chunks" / chunk.name) for chunk in todo],
            workers=workers,
            device=self.device,
            progress=progress,
            desc=f"{self.task} study",
            initial=len(self.chunks()) - len(todo),
            on_chunk=on_chunk,
        )

    def load(self) -> dict[str, dict[str, np.ndarray]]:
        """Per condition, the records of every agent (chunks concatenated in agent order) and traces."""
        results: dict[str, dict[str, np.ndarray]] = {}
        for condition in self.conditions:
            parts: list[dict[str, np.ndarray]] = []
            for chunk in (c for c in self.chunks() if c.condition == condition):
                path = self.out / "chunks" / chunk.name
                if not path.exists():
                    raise ValueError(f"chunk {path.name} is missing: run the study to finish it")
                try:
                    with np.load(path) as data:
                        parts.append({k: data[k] for k in data.files})
                except Exception as error:  # whatever replaced the atomically written file; numpy's
                    # message for a text file is about pickles, so the error's type says enough
                    raise ValueError(
                        f"chunk {path} is not readable ({type(error).__name__}): delete it and run the study again"
                        " to redo it"
                    ) from error
            merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0] if not k.startswith("trace_")}
            merged.update({k: v for k, v in parts[0].items() if k.startswith("trace_")})
            results[condition] = merged
        return results
