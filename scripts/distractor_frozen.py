"""How the SustainedAttention distractor acts on a trained circuit, with learning frozen or on.

Usage: python scripts/distractor_frozen.py [--agents 64] [--seed 1] [--strength 1.0]

Trains intact and ``ach``-lesioned circuits for 500 trials without a distractor, then runs 400
new trials with it (on half of them, Newman & McGaughy 2008), once with the weights frozen (every
learning rate and NE's reset at zero) and once learning as usual. Prints, per condition, the
hits on the briefest signal and the correct rejections on clean and on distractor trials, and the
distractor's cost (accuracy on clean minus distractor trials; median over agents). A fixed
flash can shift a near-linear detector's criterion (hits and false alarms rise together) or take
away sensitivity (hits fall and false alarms rise); only the second costs accuracy for long once
learning can undo a bias.
"""

from __future__ import annotations

import argparse

import numpy as np

from agents import PlasticAgent
from nmgym.study.metrics import masked_mean
from nmgym.tasks import make_task

TRAIN, TEST = 500, 400


def rate(correct: np.ndarray, mask: np.ndarray) -> float:
    """Median over agents of each agent's fraction correct on the masked trials."""
    return float(np.nanmedian(masked_mean(correct, mask)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--strength", type=float, default=1.0, help="the distractor's strength")
    args = parser.parse_args()
    print(f"{'condition':<10}{'learning':>9}{'brief hits clean/distr':>24}{'rejections clean/distr':>24}{'cost':>8}")
    for lesion in ("none", "ach"):
        for frozen in (True, False):
            task = make_task("SustainedAttention", args.agents, seed=args.seed, distractor_strength=args.strength)
            agent = PlasticAgent(task, seed=args.seed, lesion=lesion)
            agent.run(TRAIN)
            task.params = task.params.replace(distractor_after=0)  # the distractor block starts now
            agent.seed = args.seed + 1  # run() reseeds the task: new trials, not the training ones again
            if frozen:  # no capture, and no NE reset of the readouts' labile weights either
                agent.circuit.p = agent.circuit.p.replace(
                    lr_actor=0.0, lr_critic=0.0, lr_hidden=0.0, ne_reset=0.0, ne_reset_selective=0.0
                )
            records = {key: value.cpu().numpy() for key, value in agent.run(TEST).items()}
            correct, duration = records["correct"], records["duration"]
            distractor = records["distractor"] > 0
            brief, blank = duration == 1, duration == 0
            cost = np.nanmedian(masked_mean(correct, ~distractor) - masked_mean(correct, distractor))
            hits = f"{rate(correct, brief & ~distractor):.3f} / {rate(correct, brief & distractor):.3f}"
            rejections = f"{rate(correct, blank & ~distractor):.3f} / {rate(correct, blank & distractor):.3f}"
            state = "frozen" if frozen else "on"
            print(f"{lesion:<10}{state:>9}{hits:>24}{rejections:>24}{cost:>8.3f}", flush=True)


if __name__ == "__main__":
    main()
