"""bf16 eligibility traces against fp32: the same agents, seeds and task draws, both precisions.

Usage: python scripts/trace_precision.py [--agents 64] [--seed 1] [--tasks CueReward,...] [--circuit NAME=VALUE ...]

For each core task (the protocols of ``scripts/agent_table.py``) the plastic circuit learns with
fp32 traces and with bf16 traces; the row gives the final score (fraction correct, last fifth of
trials) of each, their paired difference and its standard error over agents. The last row is the
noradrenaline effect (median trials-to-criterion after reversals, intact vs ``ne`` lesion) in both
precisions. bf16 is adopted only where every difference is within noise.
"""

from __future__ import annotations

import numpy as np
import torch
from agent_table import PROTOCOLS, circuit_note, parse_arguments

from agents import PlasticAgent
from nmgym.circuit import CircuitParams
from nmgym.study.metrics import last, reversal_bandit
from nmgym.tasks import make_task

PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16}


def final_correct(
    name: str,
    agents: int,
    seed: int,
    trace_dtype: torch.dtype,
    lesion: str | None = None,
    budget: int = 1,
    circuit: CircuitParams | None = None,
):
    params, trials, options = PROTOCOLS[name]
    trials *= budget
    task = make_task(name, agents, seed=seed, **params)
    agent = PlasticAgent(task, seed=seed, lesion=lesion, trace_dtype=trace_dtype, params=circuit, **options)
    data = agent.run(trials)
    return data, trials


def main() -> None:
    args = parse_arguments(__doc__.splitlines()[0])
    print(f"{args.agents} agents, seed {args.seed}: final fraction correct{circuit_note(args)}")
    print(f"{'task':<20}{'fp32':>8}{'bf16':>8}{'bf16 - fp32':>14}{'SE':>8}")
    for name in args.tasks.split(","):
        scores = {}
        for label, dtype in PRECISIONS.items():
            data, trials = final_correct(name, args.agents, args.seed, dtype, budget=args.budget, circuit=args.params)
            scores[label] = data["correct"][:, last(trials)].float().mean(1).numpy()
        diff = scores["bf16"] - scores["fp32"]
        se = diff.std(ddof=1) / np.sqrt(len(diff))
        print(
            f"{name:<20}{scores['fp32'].mean():8.3f}{scores['bf16'].mean():8.3f}{diff.mean():+14.3f}{se:8.3f}",
            flush=True,
        )
    ttc = {}
    for label, dtype in PRECISIONS.items():
        for lesion in (None, "ne"):
            data, _ = final_correct("ReversalBandit", args.agents, args.seed, dtype, lesion, circuit=args.params)
            records = {k: v.numpy() for k, v in data.items()}
            ttc[label, lesion] = float(
                np.nanmedian(reversal_bandit(records, {"reversal_every": 50})["trials_to_criterion"])
            )
    print(
        "ReversalBandit trials-to-criterion, intact / ne lesion: "
        + "; ".join(f"{label} {ttc[label, None]:.1f} / {ttc[label, 'ne']:.1f}" for label in PRECISIONS)
    )


if __name__ == "__main__":
    main()
