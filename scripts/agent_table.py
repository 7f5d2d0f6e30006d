"""Random, TD, plastic circuit, ideal observer and oracle on every core task: the score table.

Usage: python scripts/agent_table.py [--agents 64] [--seed 1] [--tasks CueReward,...] [--budget 1] [--tune-td]
       [--circuit NAME=VALUE ...]

Each learner trains for the task's trial budget; the score is the mean over agents of the last
fifth of trials (fraction correct, and reward per trial). ``--budget K`` trains K times as many
trials, which tells a gap in learning speed from one in what a learner reaches. The oracle
column is the task's oracle policy over the same number of trials. The ideal column is the
ideal observer where the oracle is out of any learner's reach (ReversalBandit: reversals must be
detected; SustainedAttention: noise hides some brief signals; see :mod:`agents.ideal`); elsewhere
a learner can reach the oracle, so it reads "= oracle".

The TD column runs each task's protocol settings (:mod:`agents.protocols`). ``--tune-td`` adds
the search that chose them: TD at the learning rate, exploration and trace decay on ``TD_GRID``
that earn it the most reward (its objective; a policy that never acts is "correct" on most
CueReward trials) over the last fifth of trials, chosen on the next seed (``--seed`` + 1) and
scored on ``--seed``, so that the choice does not fit the scored runs' noise (about 15 min more
on 2 cores; the protocols hold what it chose with the default ``--seed 1``).

``--circuit NAME=VALUE`` (repeatable; ``nmgym circuit`` lists the names) runs the plastic column
with those circuit parameters over the default, as ``nmgym train --circuit`` does: a circuit
variant's table, e.g. ``--circuit actor_whitening=0.5``.
"""

from __future__ import annotations

import argparse
import itertools
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from agents import IDEAL_OBSERVERS, PlasticAgent, RandomAgent, TDAgent
from agents.protocols import PROTOCOLS as TASK_PROTOCOLS
from agents.protocols import plastic_options
from agents.recorder import TrialRecorder
from agents.train import parse_assignments
from nmgym.circuit import CircuitParams
from nmgym.study.metrics import last
from nmgym.tasks import make_task

# (task parameters, trials, PlasticAgent options) of each row: the tasks' training protocols, with
# two scored on the task itself: SustainedAttention without the distractor block, DistalReward at
# one delay within the tag's time constant (the protocol mixes in a delay beyond it).
PROTOCOLS: dict[str, tuple[dict, int, dict]] = {
    name: (protocol["params"], protocol["trials"], plastic_options(protocol["options"]))
    for name, protocol in TASK_PROTOCOLS.items()
}
PROTOCOLS["SustainedAttention"] = ({}, 1000, {})
PROTOCOLS["DistalReward"] = ({"delays": (10,)}, 1000, {})
# TDAgent's settings that --tune-td searches (its defaults: lr 0.5, epsilon 0.05, lam 0.9)
TD_GRID = {"lr": (0.1, 0.3, 0.5, 1.0), "epsilon": (0.02, 0.05, 0.1), "lam": (0.0, 0.9)}


def oracle(name: str, params: dict, trials: int, agents: int, seed: int) -> dict[str, torch.Tensor]:
    task = make_task(name, agents, seed=seed, **params)
    recorder = TrialRecorder(agents, trials, task.device)
    while not recorder.done():
        for _ in range(64):
            action = task.oracle_action()
            _, reward, _, _, info = task.step(action)
            recorder.update(action, reward, info["trial_end"], info)
    return recorder.data


def tuned_td(
    name: str, params: dict, trials: int, agents: int, seed: int
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """TD at the ``TD_GRID`` settings with the most last-fifth reward on ``seed + 1``, run on
    ``seed``: its records and those settings."""
    best_score, best = -math.inf, dict[str, Any]()  # rewards can be negative (CueReward's go penalty)
    for values in itertools.product(*TD_GRID.values()):
        settings: dict[str, Any] = dict(zip(TD_GRID, values, strict=True))
        task = make_task(name, agents, seed=seed + 1, **params)
        score = TDAgent(task, seed=seed + 1, **settings).run(trials)["reward"][:, last(trials)].mean()
        if score > best_score:
            best_score, best = float(score), settings
    return TDAgent(make_task(name, agents, seed=seed, **params), seed=seed, **best).run(trials), best


def circuit_params(parser: argparse.ArgumentParser, items: list[str] | None) -> CircuitParams:
    """The circuit's :class:`~nmgym.circuit.CircuitParams` with the ``--circuit NAME=VALUE`` items
    over the default, checked before any run: the parser's error names a bad one."""
    return checked_circuit(parser, items)[1]


def circuit_settings(parser: argparse.ArgumentParser, items: list[str] | None) -> dict[str, Any]:
    """``--circuit NAME=VALUE`` items as ``{name: value}``, checked as :func:`circuit_params` checks
    them (for a run in another process)."""
    return checked_circuit(parser, items)[0]


def checked_circuit(parser: argparse.ArgumentParser, items: list[str] | None) -> tuple[dict[str, Any], CircuitParams]:
    """The ``--circuit`` items parsed once, and the parameters they give; the parser's error names a bad one."""
    try:
        settings = parse_assignments(items, "circuit")
        return settings, CircuitParams().replace(**settings)
    except (ValueError, TypeError) as error:
        parser.error(str(error))


def circuit_note(args: argparse.Namespace) -> str:
    """``"; circuit: a=1, b=2"`` for the ``--circuit`` settings :func:`checked` parsed, ``""`` for none."""
    return f"; circuit: {', '.join(args.circuit)}" if args.circuit else ""


def run_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add ``--agents``, ``--budget`` (a multiple of each protocol's trials) and ``--circuit`` (the
    plastic circuit's parameters over the default) to ``parser``; return it."""
    parser.add_argument("--agents", type=int, default=64)
    parser.add_argument("--budget", type=int, default=1, help="train this many times each protocol's trials")
    parser.add_argument(
        "--circuit",
        action="append",
        metavar="NAME=VALUE",
        help="the plastic circuit's parameter over the default (repeatable; `nmgym circuit` lists them)",
    )
    return parser


def checked_run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    """``args`` from :func:`run_options` with ``args.params`` the circuit's
    :class:`~nmgym.circuit.CircuitParams`; or the parser's error on a bad budget, agent count or
    circuit parameter."""
    if args.budget < 1 or args.agents < 1:
        parser.error(f"--budget {args.budget} --agents {args.agents}: give 1 or more of each")
    args.params = circuit_params(parser, args.circuit)
    return args


def protocol_parser(description: str, tasks: Sequence[str] = tuple(PROTOCOLS)) -> argparse.ArgumentParser:
    """A parser with :func:`run_options`, ``--seed`` and ``--tasks`` (the protocols to run, of
    ``tasks``), shared by the scripts that run these protocols; check what it parses with
    :func:`checked`."""
    parser = run_options(argparse.ArgumentParser(description=description))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tasks", default=",".join(tasks))
    return parser


def checked(
    parser: argparse.ArgumentParser, args: argparse.Namespace, tasks: Sequence[str] = tuple(PROTOCOLS)
) -> argparse.Namespace:
    """``args`` from :func:`protocol_parser`, checked by :func:`checked_run`; or the parser's error
    on an unknown task."""
    unknown = sorted(set(args.tasks.split(",")) - set(tasks))
    if unknown:
        parser.error(f"unknown task(s) {', '.join(unknown)}; the protocols are {', '.join(tasks)}")
    return checked_run(parser, args)


def group_mean(values: np.ndarray, mask: np.ndarray) -> str:
    """The mean of ``values`` over the agents ``mask`` selects, to three decimals; ``-`` for none."""
    return f"{values[mask].mean():.3f}" if mask.any() else "-"


def seeds_arguments(description: str) -> argparse.Namespace:
    """The arguments of the scripts that run one protocol over several seeds: :func:`run_options`
    and ``--seeds`` (``1,2,3``), checked by :func:`checked_run`, with ``args.seeds`` a list of
    ints; or the parser's error on a bad seed list."""
    parser = run_options(argparse.ArgumentParser(description=description))
    parser.add_argument("--seeds", default="1,2,3", help="seeds separated by commas")
    args = parser.parse_args()
    try:
        args.seeds = [int(seed) for seed in args.seeds.split(",")]
    except ValueError:
        parser.error(f"--seeds {args.seeds!r}: give integers separated by commas, e.g. 1,2,3")
    return checked_run(parser, args)


def parse_arguments(description: str, *, tune_td: bool = False) -> argparse.Namespace:
    """The arguments of :func:`protocol_parser`, and ``--tune-td`` where ``tune_td``."""
    parser = protocol_parser(description)
    if tune_td:
        parser.add_argument(
            "--tune-td", action="store_true", help="add TD at its most rewarded TD_GRID settings, chosen on --seed + 1"
        )
    return checked(parser, parser.parse_args())


@torch.inference_mode()  # no gradients: autograd's bookkeeping skipped, ~1.25x at tens of agents
def main() -> None:
    args = parse_arguments(__doc__.splitlines()[0], tune_td=True)
    kinds = ("random", "td", *(("td tuned",) if args.tune_td else ()), "plastic", "ideal", "oracle")
    print(f"{'task':<20}{'trials':>7}  " + "  ".join(f"{k:>15}" for k in kinds))
    for name in args.tasks.split(","):
        params, trials, options = PROTOCOLS[name]
        trials *= args.budget
        cells: list[str] = []
        tuned: dict[str, Any] = {}
        start = time.perf_counter()
        for kind in kinds:
            if kind == "ideal" and name not in IDEAL_OBSERVERS:
                cells.append("= oracle")
                continue
            if kind == "oracle":
                data = oracle(name, params, trials, args.agents, args.seed)
            elif kind == "td tuned":
                data, tuned = tuned_td(name, params, trials, args.agents, args.seed)
            else:
                task = make_task(name, args.agents, seed=args.seed, **params)
                cls = {"random": RandomAgent, "td": TDAgent, "plastic": PlasticAgent}.get(kind) or IDEAL_OBSERVERS[name]
                plastic = {**options, "params": args.params}
                settings = {"plastic": plastic, "td": TASK_PROTOCOLS[name]["td"]}.get(kind, {})
                data = cls(task, seed=args.seed, **settings).run(trials)
            late = last(trials)
            cells.append(f"{data['correct'][:, late].mean():.2f} / {data['reward'][:, late].mean():+.2f}")
        print(
            f"{name:<20}{trials:>7}  "
            + "  ".join(f"{c:>15}" for c in cells)
            + f"   ({time.perf_counter() - start:.0f}s)"
            + (f"  TD tuned: {', '.join(f'{k} {v}' for k, v in tuned.items())}" if tuned else ""),
            flush=True,
        )
    print("cells: fraction correct / reward per trial, last fifth of trials, mean over agents" + circuit_note(args))


if __name__ == "__main__":
    main()
