"""Is the plastic agent's shortfall in its features or in its readout? A linear probe of its state.

Usage: python scripts/readout_probe.py [--agents 64] [--seed 1] [--tasks SustainedAttention,...] [--budget 1]
       [--fit-trials 400] [--circuit NAME=VALUE ...]

Trains the plastic circuit on the README table's protocol (``scripts/agent_table.py``) of each task
whose trial ends at its one response (SustainedAttention, CrossAreaXOR) and keeps, at every
response step, the readout the actor and the critic read (the areas' activity and the attended
input) and the correct answer. Over each agent's last ``--fit-trials`` trials it fits a linear
decoder of the answer to that readout (ridge-regularised logistic regression, supervised: the best
a linear readout of these features can do) and scores it by 5-fold cross-validation, against the
agent's own policy on the same trials: its most probable action, and the expected score of its
sampled action. A probe well above the policy means the features carry the answer and the readout
does not find it (Hung, Kreiman, Poggio & DiCarlo 2005 read out inferotemporal cortex the same way;
Alain & Bengio 2016 call it a linear classifier probe). The features drift as the areas learn, so
the probe, fitted on 4/5 of trials that span the drift, is a lower bound on a fixed decoder's.

It also prints how much of the actor's presynaptic factor at the response step is common to every
trial: the readout minus its running mean (the covariance rule's factor, ``R``) averaged over the
response steps, as a share of ``|R|^2``. The running mean is taken over every step of a trial, so
where the response step's activity differs from the rest of the trial this offset acts as a second,
strong bias input (normalised LMS divides the actor's rate by ``1 + |R|^2``).

Seed 1, 64 agents (an AVX512 host, 18 s), probe / greedy / sampled / offset: SustainedAttention
0.906 / 0.861 / 0.848 / 0.50, CrossAreaXOR 0.997 / 0.967 / 0.956 / 0.32 (docs/open-problems.md,
"Features or readout").
"""

from __future__ import annotations

import argparse
import itertools
import time

import torch
from agent_table import PROTOCOLS, checked, circuit_note, protocol_parser

from agents import PlasticAgent
from nmgym.tasks import make_task

# The tasks whose trials end at their one response step, with the same length for every agent.
RESPONSE_TASKS = ("SustainedAttention", "CrossAreaXOR")


def parse_arguments() -> argparse.Namespace:
    parser = protocol_parser(__doc__.splitlines()[0], RESPONSE_TASKS)
    parser.add_argument("--fit-trials", type=int, default=400, help="each agent's last trials the probe is fitted on")
    args = checked(parser, parser.parse_args(), RESPONSE_TASKS)
    if args.fit_trials < 10:
        parser.error(f"--fit-trials {args.fit_trials} is not allowed; give 10 or more (5 folds)")
    return args


def record_responses(agent: PlasticAgent, trials: int) -> dict[str, torch.Tensor]:
    """Run ``agent`` for ``trials`` trials; at each response step keep the circuit's readout
    ``[B, T, R]``, the readouts' presynaptic factor ``R`` (readout minus running mean, as the
    covariance rule tags it, without the bias input), its policy
    ``[B, T, A]`` and the correct action ``[B, T]``. Every agent's trials must end together."""
    readouts: list[torch.Tensor] = []
    factors: list[torch.Tensor] = []
    policies: list[torch.Tensor] = []
    answers: list[torch.Tensor] = []
    circuit = agent.circuit
    agent.begin(agent.world.reset(seed=agent.seed))
    while len(answers) < trials:
        readout, policy = circuit.readout.clone(), circuit.probs.clone()
        action = agent.act()  # tags the readouts: their running mean has moved to this step
        factor = (circuit.readout - circuit.readout_mean)[:, :-1]  # the last input is the bias
        obs, reward, terminated, boundary, info = agent.world.step(action)
        agent.observe(obs, reward, terminated, boundary)
        end = info["trial_end"]
        if bool(end.any()):  # one host read per step: a script, not the agent loop
            if not bool(end.all()):
                raise ValueError("the agents' trials ended at different steps; probe a task with fixed-length trials")
            readouts.append(readout)
            factors.append(factor)
            policies.append(policy)
            answers.append(info["correct_action"].clone())
    named = {"readout": readouts, "factor": factors, "policy": policies, "answer": answers}
    return {name: torch.stack(items, dim=1) for name, items in named.items()}


def fit_logistic(x: torch.Tensor, y: torch.Tensor, n_classes: int, ridge: float = 1.0, steps: int = 25) -> torch.Tensor:
    """Per agent, multinomial logistic regression of ``y`` (``[B, T]``) on ``x`` (``[B, T, F]``) with
    an intercept and an L2 penalty ``ridge``, by Newton's method; returns weights ``[B, C, F + 1]``
    (the last class's fixed at zero)."""
    B, T, F = x.shape
    X = torch.cat([x, torch.ones(B, T, 1, dtype=x.dtype)], dim=-1)
    C = n_classes - 1
    w = torch.zeros(B, C * (F + 1), dtype=x.dtype)
    target = torch.nn.functional.one_hot(y, n_classes)[..., :C].to(x.dtype)  # [B, T, C]
    eye = torch.eye(C * (F + 1), dtype=x.dtype)
    for _ in range(steps):
        logits = torch.cat([X @ w.view(B, C, F + 1).transpose(1, 2), torch.zeros(B, T, 1, dtype=x.dtype)], dim=-1)
        p = torch.softmax(logits, dim=-1)[..., :C]  # [B, T, C]
        grad = ((p - target).unsqueeze(-1) * X.unsqueeze(2)).sum(1).reshape(B, -1) + ridge * w
        # Hessian blocks (c, d): sum_t (p_c (delta_cd - p_d)) x x^T
        weight = torch.diag_embed(p) - p.unsqueeze(-1) * p.unsqueeze(-2)  # [B, T, C, C]
        hessian = torch.einsum("btcd,bti,btj->bcidj", weight, X, X).reshape(B, C * (F + 1), C * (F + 1))
        w = w - torch.linalg.solve(hessian + ridge * eye, grad.unsqueeze(-1)).squeeze(-1)
    return w.view(B, C, F + 1)


def predict(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The most probable class ``[B, T]`` under weights from :func:`fit_logistic`."""
    X = torch.cat([x, torch.ones(*x.shape[:2], 1, dtype=x.dtype)], dim=-1)
    logits = torch.cat([X @ w.transpose(1, 2), torch.zeros(*x.shape[:2], 1, dtype=x.dtype)], dim=-1)
    return logits.argmax(-1)


def probe_accuracy(x: torch.Tensor, y: torch.Tensor, n_classes: int, folds: int = 5) -> torch.Tensor:
    """Cross-validated correctness ``[B, T]`` of :func:`fit_logistic` (contiguous folds)."""
    T = x.shape[1]
    correct = torch.zeros(y.shape, dtype=torch.bool)
    edges = [round(T * k / folds) for k in range(folds + 1)]
    for start, stop in itertools.pairwise(edges):
        test = torch.zeros(T, dtype=torch.bool)
        test[start:stop] = True
        w = fit_logistic(x[:, ~test], y[:, ~test], n_classes)
        correct[:, test] = predict(w, x[:, test]) == y[:, test]
    return correct


def offset_share(factor: torch.Tensor) -> float:
    """The share of ``mean |R|^2`` over response steps that their mean ``R`` carries."""
    return float((factor.mean(1).square().sum(-1) / factor.square().sum(-1).mean(1)).mean())


@torch.inference_mode()
def main() -> None:
    args = parse_arguments()
    torch.set_num_threads(1)
    print(f"{args.agents} agents, seed {args.seed}: each agent's last {args.fit_trials} trials{circuit_note(args)}")
    header = f"{'task':<20}{'trials':>7}{'probe':>7}{'greedy':>8}{'sampled':>9}{'offset':>8}"
    print(header + "   per correct action: probe / greedy")
    for name in args.tasks.split(","):
        params, trials, options = PROTOCOLS[name]
        trials *= args.budget
        start = time.perf_counter()
        task = make_task(name, args.agents, seed=args.seed, **params)
        agent = PlasticAgent(task, seed=args.seed, params=args.params, **options)
        data = record_responses(agent, trials)
        fit = slice(max(0, trials - args.fit_trials), trials)
        x, y = data["readout"][:, fit].double(), data["answer"][:, fit]
        policy = data["policy"][:, fit]
        probe = probe_accuracy(x, y, agent.world.n_actions)
        greedy = policy.argmax(-1) == y
        sampled = policy.gather(-1, y.unsqueeze(-1)).squeeze(-1)
        names = getattr(agent.world.task, "action_names", range(agent.world.n_actions))
        classes = "  ".join(
            f"{names[a]}: {probe[y == a].double().mean():.3f} / {greedy[y == a].double().mean():.3f}"
            for a in range(agent.world.n_actions)
        )
        print(
            f"{name:<20}{trials:>7}{probe.double().mean():>7.3f}{greedy.double().mean():>8.3f}"
            f"{sampled.mean():>9.3f}{offset_share(data['factor'][:, fit].double()):>8.2f}   {classes}"
            f"   ({time.perf_counter() - start:.0f}s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
