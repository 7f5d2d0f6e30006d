"""CueReward's stuck agents: circuits whose policy is sure of going on a cue that is not the target.

Usage: python scripts/cue_reward_stuck.py [--agents 64] [--seeds 1,2,3] [--budget 1] [--circuit NAME=VALUE ...]

Trains the plastic circuit on CueReward's protocol (300 trials; ``--budget K`` trains K times as
many) and splits the agents by their go rate on each non-target cue over the last fifth of
trials: stuck where it exceeds 0.9 on some cue. Prints, per seed, the mean accuracy of all agents,
of the stuck ones and of the rest, and the median over stuck agents of their DA at the onset of
the target cue and of the non-target cues they go on. Going on a non-target cue costs only
``go_penalty`` (0.2 against a reward of 1); once the policy is sure of going there, its gradient
``onehot(a) - pi`` vanishes and the agent rarely withholds, so it rarely learns that withholding
pays (the task: Schultz, Dayan & Montague 1997). Serotonin's Pavlovian inhibition (the circuit's
``pavlovian``, on by default) holds such an agent back where its critic predicts the loss, so few
stay stuck now (0, 2 and 1 of 64 at seeds 1-3, against 9, 10 and 5 without it).
"""

from __future__ import annotations

import numpy as np
import torch
from agent_table import group_mean, seeds_arguments

from agents import PlasticAgent
from agents.protocols import PROTOCOLS
from nmgym.study.metrics import last, masked_mean
from nmgym.tasks import make_task
from nmgym.tasks.cue_reward import CueRewardParams

STUCK = 0.9  # go rate on a non-target cue above which an agent counts as stuck


def per_cue(values: np.ndarray, cue: np.ndarray, n_cues: int) -> np.ndarray:
    """``[agents, cues]``: each agent's mean of ``values`` ``[agents, trials]`` per cue (NaN for a
    cue it never saw)."""
    return np.stack([masked_mean(values, cue == k) for k in range(n_cues)], axis=1)


def cue_onset_da(agent: PlasticAgent, params: CueRewardParams, cue: np.ndarray, trials: int) -> np.ndarray:
    """``[agents, cues]``: each agent's mean DA at each cue's onset over the last fifth of trials."""
    steps = trials * params.trial_steps  # every trial has the same length; the run may go a few steps on
    da = torch.stack(agent.circuit.levels["da"], dim=1)[:, :steps].numpy()  # one level per step
    onset = da.reshape(-1, trials, params.trial_steps)[:, :, params.cue_step - 1]  # the error that first sees the cue
    late = last(trials)
    return per_cue(onset[:, late], cue[:, late], params.n_cues)


@torch.inference_mode()
def main() -> None:
    args = seeds_arguments(__doc__.splitlines()[0])
    trials = PROTOCOLS["CueReward"]["trials"] * args.budget
    settings = " ".join(args.circuit or []) or "the default circuit"
    print(f"CueReward, {args.agents} agents, {trials} trials, {settings}; last fifth of trials")
    header = f"{'seed':>4}{'accuracy':>10}{'stuck':>7}{'their accuracy':>16}{'the rest':>10}"
    print(header + f"{'their DA at the onset of the target / of a cue they go on':>60}")
    for seed in args.seeds:
        task = make_task("CueReward", args.agents, seed=seed)
        agent = PlasticAgent(task, seed=seed, params=args.params, record=True)
        data = {k: v.numpy() for k, v in agent.run(trials).items()}
        late = last(trials)
        params = task.params
        assert isinstance(params, CueRewardParams)
        target = params.target_cue
        rates = per_cue(data["go"][:, late].astype(float), data["cue"][:, late], params.n_cues)
        stuck = np.asarray((np.delete(rates, target, axis=1) > STUCK).any(axis=1))
        accuracy = data["correct"][:, late].mean(axis=1)
        onset = "no stuck agent"
        if stuck.any():
            da = cue_onset_da(agent, params, data["cue"], trials)[stuck]
            stuck_cues = rates[stuck] > STUCK
            stuck_cues[:, target] = False
            on_stuck_cue = masked_mean(da, stuck_cues)
            onset = f"{np.median(da[:, target]):+.2f} / {np.median(on_stuck_cue):+.2f}"
        rest, theirs = group_mean(accuracy, ~stuck), group_mean(accuracy, stuck)
        print(f"{seed:>4}{accuracy.mean():>10.3f}{int(stuck.sum()):>7}{theirs:>16}{rest:>10}{onset:>60}", flush=True)


if __name__ == "__main__":
    main()
