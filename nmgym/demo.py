"""The demo: random and oracle policies on every task, scored in batch."""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from tqdm import tqdm

from nmgym.tasks import TASKS, Task


@dataclass(frozen=True)
class Score:
    """What a policy earned on a task."""

    task: str
    policy: str
    reward_per_trial: float
    accuracy: float  # fraction of scored actions that matched the oracle's
    trials: int
    steps_per_second: float


def run_policy(task: Task, policy: str, steps: int) -> Score:
    """Run ``policy`` ("random" or "oracle") for ``steps`` steps on every agent of ``task``."""
    if policy not in ("random", "oracle"):
        raise ValueError(f"policy={policy!r} is not allowed; choose random or oracle")
    reward = torch.zeros((), device=task.device)
    trials = torch.zeros((), device=task.device)
    correct = torch.zeros((), device=task.device)
    decisions = torch.zeros((), device=task.device)
    start = time.perf_counter()
    for _ in range(steps):
        action = task.random_action() if policy == "random" else task.oracle_action()
        _, r, _, _, info = task.step(action)
        reward += r.sum()
        trials += info["trial_end"].sum()
        correct += ((action == info["correct_action"]) & info["decision"]).sum()
        decisions += info["decision"].sum()
    elapsed = time.perf_counter() - start
    return Score(
        task=type(task).__name__,
        policy=policy,
        reward_per_trial=(reward / trials.clamp(min=1)).item(),
        accuracy=(correct / decisions.clamp(min=1)).item(),
        trials=int(trials.item()),
        steps_per_second=task.num_envs * steps / elapsed,
    )


def demo(agents: int = 1024, steps: int = 1000, seed: int = 0, device: str = "cpu") -> list[Score]:
    """Score random and oracle policies on every task; returns one :class:`Score` per pair."""
    scores = []
    for cls in tqdm(TASKS.values(), desc="demo", unit="task"):
        for policy in ("random", "oracle"):
            scores.append(run_policy(cls(agents, seed=seed, device=device), policy, steps))
    return scores


def format_scores(scores: list[Score]) -> str:
    """A plain-text table of scores."""
    lines = [f"{'task':<20}{'policy':<8}{'reward/trial':>13}{'accuracy':>10}{'trials':>10}{'agent-steps/s':>15}"]
    for s in scores:
        lines.append(
            f"{s.task:<20}{s.policy:<8}{s.reward_per_trial:>13.3f}{s.accuracy:>10.3f}{s.trials:>10d}{s.steps_per_second:>15.3g}"
        )
    lines.append(
        "accuracy: the fraction of decision steps whose action matched the oracle's (WaitForReward decides"
        " at every holding step, so its random policy matches often and still earns nothing)"
    )
    return "\n".join(lines)
