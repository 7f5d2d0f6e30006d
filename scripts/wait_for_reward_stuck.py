"""WaitForReward's stuck agents: circuits that never got a reward, and circuits that stopped waiting.

Usage: python scripts/wait_for_reward_stuck.py [--agents 64] [--seeds 1,2,3] [--budget 1] [--circuit NAME=VALUE ...]

Trains the plastic circuit on WaitForReward's protocol (500 trials, the delays growing from one
step to 3, 6 or 9 s over the first 200; ``--budget K`` trains K times as many) and splits the
agents in three (the task: Miyazaki, Miyazaki & Doya 2014):

* **never rewarded**: no reward in the whole run. Their policy starts at even odds, so a trial of
  delay ``d`` pays only if they hold ``d`` steps in a row (``0.5 ** d``), and the shaping lengthens
  the delays within a few trials whatever the agent does. Without a reward there is no prediction
  error, so nothing is learned and they stay at even odds;
* **stopped waiting**: rewarded at some time, but correct on fewer than half of the last fifth's
  trials. They hold at first and leave some steps into the trial, before the shortest delay;
* **the rest**.

Prints, per seed, the accuracy (the fraction of trials held to the reward or the time-out) of all
agents and of each group, their numbers, and the median number of steps the agents that stopped
waiting held before leaving on the last fifth's rewarded trials.
"""

from __future__ import annotations

import numpy as np
import torch
from agent_table import group_mean, seeds_arguments

from agents import PlasticAgent
from agents.protocols import PROTOCOLS
from nmgym.study.metrics import last
from nmgym.tasks import make_task

LOST = 0.5  # last-fifth accuracy below which a rewarded agent counts as having stopped waiting


def groups(data: dict[str, np.ndarray], trials: int) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks ``[agents]``: never rewarded in the run, and rewarded but correct on fewer
    than ``LOST`` of the last fifth's trials (``data``: a run's records, ``[agents, trials]``)."""
    never = data["reward"].sum(axis=1) == 0
    lost = ~never & (data["correct"][:, last(trials)].mean(axis=1) < LOST)
    return never, lost


def held_before_leaving(data: dict[str, np.ndarray], trials: int, agents: np.ndarray) -> float:
    """The median number of steps ``agents`` (a mask) held before leaving on the last fifth's
    rewarded trials (NaN where they never left one)."""
    late = last(trials)
    left = (data["left"][agents][:, late] == 1) & (data["omission"][agents][:, late] == 0)
    waited = data["waited"][agents][:, late][left]
    return float(np.median(waited)) if waited.size else float("nan")


@torch.inference_mode()
def main() -> None:
    args = seeds_arguments(__doc__.splitlines()[0])
    protocol = PROTOCOLS["WaitForReward"]
    trials = protocol["trials"] * args.budget
    settings = " ".join(args.circuit or []) or "the default circuit"
    print(f"WaitForReward, {args.agents} agents, {trials} trials, {settings}; accuracy over the last fifth")
    print(
        f"{'seed':>4}{'accuracy':>10}{'never rewarded':>16}{'stopped waiting':>17}{'their accuracy':>16}"
        f"{'the rest':>10}{'held before leaving':>21}"
    )
    for seed in args.seeds:
        task = make_task("WaitForReward", args.agents, seed=seed, **protocol["params"])
        agent = PlasticAgent(task, seed=seed, params=args.params)
        data = {k: v.numpy() for k, v in agent.run(trials).items()}
        accuracy = data["correct"][:, last(trials)].mean(axis=1)
        never, lost = groups(data, trials)
        held = held_before_leaving(data, trials, lost)  # NaN where no agent stopped waiting
        theirs, rest = group_mean(accuracy, lost), group_mean(accuracy, ~(never | lost))
        print(
            f"{seed:>4}{accuracy.mean():>10.3f}{int(never.sum()):>16}{int(lost.sum()):>17}{theirs:>16}{rest:>10}"
            f"{held:>21.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
