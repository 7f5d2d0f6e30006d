"""Train a baseline agent on a task and write its learning curve (the ``nmgym train`` command)."""

from __future__ import annotations

import ast
import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from agents import AGENTS
from agents.checkpoint import Checkpoint
from agents.protocols import input_options, plastic_options, protocol
from nmgym.circuit import CircuitParams
from nmgym.plotting import available, pyplot
from nmgym.results_folder import CHECKPOINT, atomic_write_text, check_folder, make_folder
from nmgym.study.metrics import last
from nmgym.study.runner import task_params
from nmgym.tasks import make_task, task_class

PPO_AGENTS = ("ppo", "ppo-lstm")  # Stable-Baselines3's: trained by train_ppo, with no checkpoint


def parse_assignments(items: list[str] | None, what: str) -> dict[str, Any]:
    """``["n_cues=6", "delays=(5, 10)", "actor_input=true"]`` -> ``{"n_cues": 6, "delays": (5, 10),
    "actor_input": True}``: Python literals, ``true``/``false`` in any case, or else the text."""
    out: dict[str, Any] = {}
    for item in items or []:
        name, eq, text = item.partition("=")
        if not eq or not name.strip():
            raise ValueError(f"bad {what} {item!r}: write NAME=VALUE, e.g. --{what} delays=(5,10)")
        text = text.strip()
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):  # a word; true and false as JSON and YAML write them
            value = {"true": True, "false": False}.get(text.lower(), text)
        out[name.strip()] = list(value) if isinstance(value, list) else value
    return out


def learning_curve(data: dict[str, torch.Tensor], bins: int = 20) -> list[dict[str, float]]:
    """Mean reward and accuracy (and their standard errors across agents) per bin of trials."""
    n = data["reward"].shape[1]
    width = max(1, n // bins)
    rows = []
    for start in range(0, n, width):
        stop = min(n, start + width)
        row: dict[str, float] = {"trial_start": start, "trial_stop": stop}
        for key in ("reward", "correct"):
            per_agent = data[key][:, start:stop].mean(1)
            row[key] = per_agent.mean().item()
            row[f"{key}_sem"] = (per_agent.std() / per_agent.numel() ** 0.5).item() if per_agent.numel() > 1 else 0.0
        rows.append(row)
    return rows


def train(
    task: str,
    agent: str = "plastic",
    *,
    agents: int = 64,
    trials: int | None = None,
    seed: int = 0,
    lesion: str | None = None,
    device: str = "cpu",
    params: dict[str, Any] | None = None,
    circuit: dict[str, Any] | None = None,
    inputs: Sequence[str] | None = None,
    out: str | Path | None = None,
    progress: bool = True,
    compile: bool = False,
    checkpoint_seconds: float = 60.0,
) -> dict[str, Any]:
    """Run ``agents`` agents of kind ``agent`` on ``task`` for ``trials`` trials; write and return the summary.

    The task's training protocol (:mod:`agents.protocols`) gives the defaults: the trials, the
    task parameters that ``params`` overrides, and the observation sub-spaces the plastic agent
    reads (``inputs``, or ``["all"]``; ReversalBandit's circuit reads only ``trial``), and the TD
    agent's learning rate, exploration and trace decay.
    ``compile`` runs the task and the plastic circuit through ``torch.compile`` (faster for large
    batches; results equal the eager run's up to float rounding).
    With ``out``, the run saves itself to ``out/checkpoint.pt`` every ``checkpoint_seconds`` and the
    same call resumes it from there, bitwise (:mod:`agents.checkpoint`); the file is removed once
    the summary is written. Other settings refuse that file. PPO keeps no checkpoint."""
    if out is not None:
        check_folder(out, "train")  # before any time is spent
    defaults = protocol(task_class(task).__name__)
    trials = defaults["trials"] if trials is None else trials
    params = {**defaults["params"], **(params or {})}
    if agent != "plastic" and (lesion not in (None, "none") or circuit or inputs is not None):
        raise ValueError(f"--lesion, --circuit and --inputs apply to the plastic agent only, not to {agent!r}")
    if agent in PPO_AGENTS:
        try:
            from agents.ppo import train_ppo  # imports this module: keep the import here
        except ImportError as error:
            raise ValueError(f"--agent ppo needs Stable-Baselines3: pip install 'nmgym[sb3]' ({error})") from error
        if out is not None:  # with valid task parameters, find out now whether the folder can be written
            task_params(task, params)
            make_folder(out)
        return train_ppo(
            task,
            agents=agents,
            trials=trials,
            seed=seed,
            device=device,
            params=params,
            out=out,
            progress=progress,
            recurrent=agent == "ppo-lstm",
        )
    if agent not in AGENTS:
        raise ValueError(f"unknown agent {agent!r}; choose one of {', '.join([*AGENTS, *PPO_AGENTS])}")
    # No gradients: inference mode skips autograd's bookkeeping (~1.25x at tens of agents); only
    # the summary leaves it, so no tensor made there can be updated outside it.
    with torch.inference_mode():
        env = make_task(task, agents, seed=seed, device=device, compile=compile, **params)
        kwargs: dict[str, Any] = {"seed": seed}
        if agent == "plastic":
            options = plastic_options(input_options(inputs, defaults["options"]))
            kwargs.update(options, lesion=lesion, params=CircuitParams().replace(**(circuit or {})), compile=compile)
        elif agent == "td":
            kwargs.update(defaults["td"])
        learner = AGENTS[agent](env, **kwargs)
        settings = {
            "agents": agents,
            "trials": trials,
            "seed": seed,
            "lesion": lesion or "none",
            "device": device,
            "compile": compile,
            "task_params": dataclasses.asdict(env.params),
            "circuit_params": dataclasses.asdict(kwargs["params"]) if agent == "plastic" else None,
            "inputs": (list(kwargs.get("inputs", ())) or "all") if agent == "plastic" else None,
            **({"td": dict(defaults["td"])} if agent == "td" else {}),
        }
        checkpoint = None
        if out is not None:
            identity = {"task": task_class(task).__name__, "agent": agent, **settings}
            checkpoint = Checkpoint(Path(out) / CHECKPOINT, identity, checkpoint_seconds, announce=progress)
            make_folder(out)  # settings valid: find out now, not after the run, if it cannot be written
        data = learner.run(trials, progress=progress, checkpoint=checkpoint)
        summary = summarize(task, agent, settings, data, out)
        if checkpoint is not None:
            checkpoint.remove()
        return summary


def summarize(
    task: str, agent: str, settings: dict[str, Any], data: dict[str, torch.Tensor], out: str | Path | None
) -> dict[str, Any]:
    """The summary of a run (settings, learning curve, final score), written to ``out`` if given.

    The final score is the mean over agents of the last fifth of trials, as in
    ``scripts/agent_table.py``: a last bin of a twentieth can fall late in a bandit's block."""
    curve = learning_curve(data)
    late = last(data["reward"].shape[1])
    final = {key: data[key][:, late].mean().item() for key in ("reward", "correct")}
    final["from_trial"] = late.start
    summary = {"task": task, "agent": agent, "settings": settings, "curve": curve, "final": final}
    if out is not None:
        write(Path(out), summary)
    return summary


def write(folder: Path, summary: dict[str, Any]) -> None:
    """``summary.json``, ``curve.csv`` and, where matplotlib is installed, ``curve.png``."""
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "summary.json", json.dumps(summary, indent=2, default=str))
    keys = list(summary["curve"][0])
    lines = [",".join(keys)] + [",".join(f"{row[k]:.6g}" for k in keys) for row in summary["curve"]]
    atomic_write_text(folder / "curve.csv", "\n".join(lines) + "\n")
    if not available():
        return
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.2))
    mid = [(row["trial_start"] + row["trial_stop"]) / 2 for row in summary["curve"]]
    for key in ("correct", "reward"):
        mean = [row[key] for row in summary["curve"]]
        sem = [row[f"{key}_sem"] for row in summary["curve"]]
        ax.plot(mid, mean, label=key)
        ax.fill_between(
            mid,
            [m - 1.96 * s for m, s in zip(mean, sem, strict=True)],
            [m + 1.96 * s for m, s in zip(mean, sem, strict=True)],
            alpha=0.25,
        )
    settings = summary["settings"]
    ax.set(
        xlabel="trial",
        ylabel="per trial (mean, 95% CI)",
        title=f"{summary['task']}: {summary['agent']}, lesion {settings['lesion']}, {settings['agents']} agents",
    )
    ax.legend(frameon=False)
    fig.tight_layout()
    fig.savefig(folder / "curve.png", dpi=120)
    plt.close(fig)
