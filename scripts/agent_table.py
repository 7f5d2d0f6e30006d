"""Random, TD, plastic circuit, ideal observer and oracle on every core task: the score table.

Usage: python scripts/agent_table.py [--agents 64] [--seed 1] [--tasks CueReward,...] [--budget 1]

Each learner trains for the task's trial budget; the score is the mean over agents of the last
fifth of trials (fraction correct, and reward per trial). ``--budget K`` trains K times as many
trials, which tells a gap in learning speed from one in what a learner reaches. The oracle
column is the task's oracle policy over the same number of trials. The ideal column is the
ideal observer where the oracle is out of any learner's reach (ReversalBandit: reversals must be
detected; SustainedAttention: noise hides some brief signals; see :mod:`agents.ideal`); elsewhere
a learner can reach the oracle, so it reads "= oracle".
"""

from __future__ import annotations

import argparse
import time

import torch

from agents import IDEAL_OBSERVERS, PlasticAgent, RandomAgent, TDAgent
from agents.protocols import PROTOCOLS as TASK_PROTOCOLS
from agents.protocols import plastic_options
from agents.recorder import TrialRecorder
from agents.train import last_fifth
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


def oracle(name: str, params: dict, trials: int, agents: int, seed: int) -> dict[str, torch.Tensor]:
    task = make_task(name, agents, seed=seed, **params)
    recorder = TrialRecorder(agents, trials, task.device)
    while not recorder.done():
        for _ in range(64):
            action = task.oracle_action()
            _, reward, _, _, info = task.step(action)
            recorder.update(action, reward, info["trial_end"], info)
    return recorder.data


def parse_arguments(description: str) -> argparse.Namespace:
    """``--agents``, ``--seed``, ``--tasks`` (the protocols to run) and ``--budget`` (a multiple of
    each protocol's trials), shared by the scripts that run these protocols."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--agents", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tasks", default=",".join(PROTOCOLS))
    parser.add_argument("--budget", type=int, default=1, help="train this many times each protocol's trials")
    args = parser.parse_args()
    if args.budget < 1:
        parser.error(f"--budget {args.budget} is not allowed; give 1 or more")
    unknown = sorted(set(args.tasks.split(",")) - set(PROTOCOLS))
    if unknown:
        parser.error(f"unknown task(s) {', '.join(unknown)}; the protocols are {', '.join(PROTOCOLS)}")
    return args


@torch.inference_mode()  # no gradients: autograd's bookkeeping skipped, ~1.25x at tens of agents
def main() -> None:
    args = parse_arguments(__doc__.splitlines()[0])
    kinds = ("random", "td", "plastic", "ideal", "oracle")
    print(f"{'task':<20}{'trials':>7}  " + "  ".join(f"{k:>15}" for k in kinds))
    for name in args.tasks.split(","):
        params, trials, options = PROTOCOLS[name]
        trials *= args.budget
        cells = []
        start = time.perf_counter()
        for kind in kinds:
            if kind == "ideal" and name not in IDEAL_OBSERVERS:
                cells.append("= oracle")
                continue
            if kind == "oracle":
                data = oracle(name, params, trials, args.agents, args.seed)
            else:
                task = make_task(name, args.agents, seed=args.seed, **params)
                cls = {"random": RandomAgent, "td": TDAgent, "plastic": PlasticAgent}.get(kind) or IDEAL_OBSERVERS[name]
                data = cls(task, seed=args.seed, **(options if kind == "plastic" else {})).run(trials)
            last = last_fifth(trials)
            cells.append(f"{data['correct'][:, last].mean():.2f} / {data['reward'][:, last].mean():+.2f}")
        print(
            f"{name:<20}{trials:>7}  "
            + "  ".join(f"{c:>15}" for c in cells)
            + f"   ({time.perf_counter() - start:.0f}s)",
            flush=True,
        )
    print("cells: fraction correct / reward per trial, last fifth of trials, mean over agents")


if __name__ == "__main__":
    main()
