"""PPO learns to stimulate a NE-lesioned circuit so that it recovers after reversals.

    python scripts/circuit_controller.py            # about 3 minutes on one CPU core
    python scripts/circuit_controller.py --iterations 600 --num-envs 256 --device cuda

The world is ``nmgym/Circuit-ReversalBandit-v0`` with ``lesion="ne"``: a batch of circuits,
each learning its own 500-trial reversal bandit from scratch (inputs: the "trial" sub-space
only, as in the bandit study), without the noradrenergic surprise signal that resets them after
a reversal. A CleanRL-style continuous-action PPO (one file, tensors on the device) controls the
stimulation of the four modulator channels; its reward is the circuits' task reward less the
stimulation cost. The script then compares recovery after each reversal (median trials to
criterion: the first trial of a block at which the 10-trial running accuracy reaches 0.8; a
block that never does counts as 50) for the intact circuit, the lesioned circuit unstimulated
and the lesioned circuit under the learned controller (its mean action), on held-out seeds, and
draws when the controller stimulates relative to the reversals (``docs/circuit_controller.png``).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import torch
from ppo_cleanrl import gae, ppo_update
from torch import nn

from nmgym.circuit import LEVELS
from nmgym.envs import CircuitVectorEnv

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ("trial",)  # the policy sees the trial sub-space only
BLOCK, WINDOW, CRITERION = 50, 10, 0.8


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--num-envs", type=int, default=128, help="circuits trained in parallel")
    p.add_argument("--num-steps", type=int, default=50, help="rollout length per env (trials)")
    p.add_argument("--iterations", type=int, default=250, help="PPO iterations")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--gamma", type=float, default=0.95)
    p.add_argument("--gae-lambda", type=float, default=0.9)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--minibatches", type=int, default=4)
    p.add_argument("--clip", type=float, default=0.2)
    p.add_argument("--vf-coef", type=float, default=0.5)
    p.add_argument("--stim-cost", type=float, default=0.01)
    p.add_argument("--eval-envs", type=int, default=256, help="circuits per evaluated condition")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--figure", type=Path, default=ROOT / "docs" / "circuit_controller.png")
    p.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    return p.parse_args()


class Controller(nn.Module):
    """Gaussian policy (tanh MLP mean, state-independent log std) and a value MLP, as in CleanRL."""

    def __init__(self, obs_dim: int, act_dim: int, hidden: int = 64):
        super().__init__()
        mlp = lambda out: nn.Sequential(  # noqa: E731
            nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, out)
        )
        self.mean, self.critic = mlp(act_dim), mlp(1)
        self.log_std = nn.Parameter(torch.full((act_dim,), -0.7))

    def value(self, obs: torch.Tensor) -> torch.Tensor:
        return self.critic(obs).squeeze(-1)

    def act(self, obs: torch.Tensor, action: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
        """(action, log-prob, entropy, value); samples an action when none is given."""
        dist = torch.distributions.Normal(self.mean(obs), self.log_std.exp().expand(obs.shape[0], -1))
        if action is None:
            action = dist.sample()
        return action, dist.log_prob(action).sum(-1), dist.entropy().sum(-1), self.value(obs)


def trials_to_criterion(correct: torch.Tensor) -> torch.Tensor:
    """``[B, blocks - 1]``: per block after each reversal, the first trial (1-based) at which the
    ``WINDOW``-trial running accuracy within the block reaches ``CRITERION``; ``BLOCK`` if never."""
    blocks = correct[:, BLOCK : correct.shape[1] // BLOCK * BLOCK].float().unflatten(1, (-1, BLOCK))
    running = blocks.unfold(2, WINDOW, 1).mean(-1)  # [B, n, BLOCK - WINDOW + 1]
    hit = running >= CRITERION - 1e-6
    first = hit.float().argmax(-1) + WINDOW
    return torch.where(hit.any(-1), first, BLOCK).flatten(1)


def evaluate(
    lesion: str | None, policy: Callable[[torch.Tensor], torch.Tensor] | None, args: argparse.Namespace
) -> dict[str, torch.Tensor]:
    """One 500-trial session of ``eval_envs`` fresh circuits (held-out seed); per-trial records."""
    env = CircuitVectorEnv(
        "ReversalBandit", args.eval_envs, backend="torch", device=args.device, stim_cost=args.stim_cost,
        lesion=lesion, inputs=INPUTS,
    )  # fmt: skip
    obs, _ = env.reset(seed=10_000 + args.seed)
    correct, reward, stim = [], [], []
    for _ in range(env.world.session_trials):
        with torch.no_grad():
            action = torch.zeros(args.eval_envs, 4, device=obs.device) if policy is None else policy(obs)
        obs, _, _, _, info = env.step(action.clamp(-1, 1))
        correct.append(info["circuit_action"] == info["correct_action"])
        reward.append(info["task_reward"])
        stim.append(info["stimulation"])
    correct_t = torch.stack(correct, 1).cpu()
    return {
        "correct": correct_t,
        "reward": torch.stack(reward, 1).cpu(),
        "stim": torch.stack(stim, 1).cpu(),
        "ttc": trials_to_criterion(correct_t),
    }


def train(args: argparse.Namespace) -> Controller:
    device = torch.device(args.device)
    env = CircuitVectorEnv(
        "ReversalBandit", args.num_envs, backend="torch", device=device, stim_cost=args.stim_cost,
        lesion="ne", inputs=INPUTS,
    )  # fmt: skip
    obs, _ = env.reset(seed=args.seed)
    agent = Controller(obs.shape[-1], 4).to(device)
    optimizer = torch.optim.Adam(agent.parameters(), lr=args.lr, eps=1e-5)
    T, N = args.num_steps, args.num_envs
    buf = {
        "obs": torch.zeros(T, N, obs.shape[-1], device=device),
        "action": torch.zeros(T, N, 4, device=device),
        **{key: torch.zeros(T, N, device=device) for key in ("logp", "reward", "done", "value")},
    }
    stats = torch.zeros(3, device=device)  # task reward, stimulation cost, steps: summed between prints
    start, batch = time.time(), T * N
    print(f"training: {N} circuits on {device}, {args.iterations} iterations of {batch} steps")
    print(f"{'iter':>5} {'sessions':>8} {'task reward':>11} {'stim cost':>9} {'steps/s':>8}")
    for iteration in range(1, args.iterations + 1):
        for t in range(T):
            with torch.no_grad():
                action, logp, _, value = agent.act(obs)
            buf["obs"][t], buf["action"][t], buf["logp"][t], buf["value"][t] = obs, action, logp, value
            obs, reward, terminated, truncated, info = env.step(action.clamp(-1, 1))
            stats += torch.stack([info["task_reward"].sum(), info["stim_cost"].sum(), torch.tensor(float(N))])
            with torch.no_grad():  # a session cut by its time limit did not end: bootstrap from its last observation
                reward = reward + args.gamma * truncated * agent.value(info["final_obs"])
            buf["reward"][t], buf["done"][t] = reward, (terminated | truncated).float()
        with torch.no_grad():
            advantage, returns = gae(buf, agent.value(obs), args.gamma, args.gae_lambda)
        ppo_update(agent, optimizer, buf, advantage, returns, args)
        if iteration % 25 == 0 or iteration == args.iterations:
            task_reward, cost, steps = stats.tolist()
            sessions = iteration * batch / env.world.session_trials / N
            sps = iteration * batch / (time.time() - start)
            print(f"{iteration:>5} {sessions:>8.1f} {task_reward / steps:>11.3f} {cost / steps:>9.4f} {sps:>8.0f}")
            stats.zero_()
    return agent


def figure(results: dict[str, dict[str, torch.Tensor]], path: Path) -> None:
    """When the controller stimulates (each channel) relative to the reversals, and the accuracy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stim = results["lesioned + controller"]["stim"]  # [B, trials, 4]
    trials = stim.shape[1]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6.5), constrained_layout=True)
    for k, name in enumerate(LEVELS):
        top.plot(torch.arange(1, trials + 1), stim[:, :, k].mean(0), label=name.upper() if name != "5ht" else "5-HT")
    for reversal in range(BLOCK, trials, BLOCK):
        top.axvline(reversal + 0.5, color="grey", ls="--", lw=0.7)
    top.set(xlabel="trial of the session (dashed: reversals)", ylabel="mean stimulation", xlim=(0, trials))
    top.set_title("Learned stimulation of a NE-lesioned circuit on the reversal bandit")
    top.legend(ncol=4, fontsize=8)

    n = trials // BLOCK * BLOCK
    since = lambda x: x[:, BLOCK:n].unflatten(1, (-1, BLOCK)).float().mean((0, 1))  # noqa: E731
    x = torch.arange(1, BLOCK + 1)
    for k, name in enumerate(LEVELS):
        bottom.plot(x, since(stim[:, :, k]), lw=1.5, label=f"stim {name.upper() if name != '5ht' else '5-HT'}")
    bottom.set(xlabel="trial after reversal", ylabel="mean stimulation")
    right = bottom.twinx()
    for (label, data), color in zip(results.items(), ("k", "tab:red", "tab:green"), strict=True):
        right.plot(x, since(data["correct"]), color=color, ls=":", lw=1.5, label=f"accuracy: {label}")
    right.axhline(CRITERION, color="grey", lw=0.5)
    right.set(ylabel="P(better arm)", ylim=(0, 1))
    lines = bottom.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    bottom.legend(lines[0] + more[0], lines[1] + more[1], fontsize=7, ncol=2, loc="lower right")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    args = parse_args()
    torch.manual_seed(args.seed)
    start = time.time()
    agent = train(args)
    mean_action = lambda obs: agent.mean(obs)  # noqa: E731 - the deterministic controller
    results = {
        "intact": evaluate(None, None, args),
        "lesioned (ne)": evaluate("ne", None, args),
        "lesioned + controller": evaluate("ne", mean_action, args),
    }
    print(f"\nrecovery after reversals ({args.eval_envs} fresh circuits x 9 reversals, held-out seed):")
    print(f"{'condition':<24} {'median TTC':>10} {'mean TTC':>9} {'accuracy':>9} {'task reward':>11}")
    summary = {}
    for name, data in results.items():
        ttc = data["ttc"].float()
        row = {
            "median_trials_to_criterion": ttc.median().item(),
            "mean_trials_to_criterion": ttc.mean().item(),
            "accuracy": data["correct"].float().mean().item(),
            "task_reward": data["reward"].mean().item(),
            "mean_abs_stimulation": data["stim"].abs().mean((0, 1)).tolist(),
        }
        summary[name] = row
        print(
            f"{name:<24} {row['median_trials_to_criterion']:>10.1f} {row['mean_trials_to_criterion']:>9.1f} "
            f"{row['accuracy']:>9.3f} {row['task_reward']:>11.3f}"
        )
    figure(results, args.figure)
    print(f"figure: {args.figure}; total {time.time() - start:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"settings": {k: str(v) for k, v in vars(args).items()}, **summary}, indent=2))


if __name__ == "__main__":
    main()
