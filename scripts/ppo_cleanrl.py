"""CleanRL-style PPO on nmgym's native torch vector env: one file, tensors stay on the device.

    python scripts/ppo_cleanrl.py --task CueReward --device cpu      # about 10 s on one CPU core
    python scripts/ppo_cleanrl.py --task ReversalBandit --num-envs 4096 --total-steps 20000000 --device cuda

The env returns torch tensors on its device (``backend="torch"``); actions are sampled on the
device (Gumbel-max, no ``.item()``), so the rollout loop never waits for the host. The only
synchronisations are the progress lines, one per print.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from typing import Protocol

import torch
from gymnasium.spaces import Discrete
from torch import nn

from nmgym.envs import TaskVectorEnv


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", default="CueReward")
    p.add_argument("--num-envs", type=int, default=64)
    p.add_argument("--num-steps", type=int, default=32, help="rollout length per env")
    p.add_argument("--total-steps", type=int, default=300_000, help="env steps, all envs together")
    p.add_argument("--lr", type=float, default=2.5e-3)
    p.add_argument("--gamma", type=float, default=0.95)
    p.add_argument("--gae-lambda", type=float, default=0.9)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--minibatches", type=int, default=4)
    p.add_argument("--clip", type=float, default=0.2)
    p.add_argument("--ent-coef", type=float, default=0.01)
    p.add_argument("--vf-coef", type=float, default=0.5)
    p.add_argument("--print-every", type=int, default=10, help="iterations between progress lines")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    return p.parse_args()


class ActorCritic(nn.Module):
    """Separate tanh MLPs for the policy logits and the value, as in CleanRL's ppo.py."""

    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 64):
        super().__init__()
        mlp = lambda out: nn.Sequential(  # noqa: E731
            nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, out)
        )
        self.actor, self.critic = mlp(n_actions), mlp(1)

    def value(self, obs: torch.Tensor) -> torch.Tensor:
        return self.critic(obs).squeeze(-1)

    def act(self, obs: torch.Tensor, action: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
        """(action, log-prob, entropy, value); samples an action by Gumbel-max when none is given."""
        logp_all = torch.log_softmax(self.actor(obs), dim=-1)
        if action is None:
            gumbel = -torch.log(-torch.log(torch.rand_like(logp_all).clamp_min(1e-20)))
            action = (logp_all + gumbel).argmax(-1)
        logp = logp_all.gather(-1, action.unsqueeze(-1)).squeeze(-1)
        entropy = -(logp_all.exp() * logp_all).sum(-1)
        return action, logp, entropy, self.value(obs)


def gae(
    buf: dict[str, torch.Tensor], next_value: torch.Tensor, gamma: float, gae_lambda: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation (Schulman et al. 2016) over a rollout ``buf`` of ``[T, N]``
    rewards, dones and values, bootstrapped from ``next_value``: the advantages and the returns."""
    advantage = torch.zeros_like(buf["reward"])
    last = torch.zeros_like(next_value)
    for t in reversed(range(advantage.shape[0])):
        alive = 1.0 - buf["done"][t]
        delta = buf["reward"][t] + gamma * next_value * alive - buf["value"][t]
        last = delta + gamma * gae_lambda * alive * last
        advantage[t], next_value = last, buf["value"][t]
    return advantage, advantage + buf["value"]


class Learner(Protocol):
    """What :func:`ppo_update` trains: ``act(obs, action)`` gives (action, log-probability, entropy,
    value) and ``parameters()`` the weights."""

    def act(self, obs: torch.Tensor, action: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]: ...

    def parameters(self) -> Iterator[nn.Parameter]: ...


def ppo_update(
    agent: Learner,
    optimizer: torch.optim.Optimizer,
    buf: dict[str, torch.Tensor],
    advantage: torch.Tensor,
    returns: torch.Tensor,
    args: argparse.Namespace,
    ent_coef: float = 0.0,
) -> None:
    """Clipped PPO (Schulman et al. 2017): ``args.epochs`` passes over the rollout in
    ``args.minibatches`` shuffled minibatches; ``agent.act(obs, action)`` returns the log-probability
    and entropy of ``action`` and the value (second to fourth)."""
    flat = {key: value.flatten(0, 1) for key, value in buf.items()}
    flat_adv, flat_ret = advantage.flatten(), returns.flatten()
    for _ in range(args.epochs):
        for idx in torch.randperm(flat_adv.shape[0], device=flat_adv.device).chunk(args.minibatches):
            _, logp, entropy, value = agent.act(flat["obs"][idx], flat["action"][idx])
            ratio = (logp - flat["logp"][idx]).exp()
            adv = (flat_adv[idx] - flat_adv[idx].mean()) / (flat_adv[idx].std() + 1e-8)
            pg_loss = -torch.min(ratio * adv, ratio.clamp(1 - args.clip, 1 + args.clip) * adv).mean()
            v_loss = 0.5 * (value - flat_ret[idx]).pow(2).mean()
            loss = pg_loss + args.vf_coef * v_loss
            if ent_coef:
                loss = loss - ent_coef * entropy.mean()
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(agent.parameters(), 0.5)
            optimizer.step()


def main() -> None:
    args = parse_args()
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    env = TaskVectorEnv(args.task, args.num_envs, device=device, backend="torch")
    obs, _ = env.reset(seed=args.seed)
    assert isinstance(env.single_action_space, Discrete)  # every nmgym task has discrete actions
    agent = ActorCritic(obs.shape[-1], int(env.single_action_space.n)).to(device)
    optimizer = torch.optim.Adam(agent.parameters(), lr=args.lr, eps=1e-5)
    T, N = args.num_steps, args.num_envs
    buf = {
        "obs": torch.zeros(T, N, obs.shape[-1], device=device),
        **{key: torch.zeros(T, N, device=device) for key in ("logp", "reward", "done", "value")},
        "action": torch.zeros(T, N, dtype=torch.int64, device=device),
    }
    # reward, trials ended, correct decisions, decisions: summed on the device between prints
    stats = torch.zeros(4, device=device)
    iterations, batch = args.total_steps // (T * N), T * N
    start = time.time()
    print(f"{args.task}: {N} envs on {device}, {iterations} iterations of {batch} steps")
    print(f"{'iter':>5} {'steps':>9} {'reward/trial':>12} {'correct':>8} {'steps/s':>8}")
    for iteration in range(1, iterations + 1):
        # ---- rollout: T steps of the whole batch, all on the device
        for t in range(T):
            with torch.no_grad():
                action, logp, _, value = agent.act(obs)
            buf["obs"][t], buf["action"][t], buf["logp"][t], buf["value"][t] = obs, action, logp, value
            obs, reward, terminated, truncated, info = env.step(action)
            decision = info.get("decision", info["trial_end"])
            correct = decision & (action == info["correct_action"])
            stats += torch.stack([reward.sum(), info["trial_end"].sum(), correct.sum(), decision.sum()]).float()
            # A truncated episode did not really end: bootstrap from its last observation (the env restarted it).
            with torch.no_grad():
                reward = reward + args.gamma * truncated * agent.value(info["final_obs"])
            buf["reward"][t], buf["done"][t] = reward, (terminated | truncated).float()

        # ---- generalised advantage estimation, then the clipped PPO update over shuffled minibatches
        with torch.no_grad():
            advantage, returns = gae(buf, agent.value(obs), args.gamma, args.gae_lambda)
        ppo_update(agent, optimizer, buf, advantage, returns, args, ent_coef=args.ent_coef)

        # ---- progress: the one host sync, every print_every iterations
        if iteration % args.print_every == 0 or iteration == iterations:
            reward_sum, trials, right, decisions = stats.tolist()
            sps = iteration * batch / (time.time() - start)
            print(
                f"{iteration:>5} {iteration * batch:>9} {reward_sum / max(trials, 1):>12.3f} "
                f"{right / max(decisions, 1):>8.3f} {sps:>8.0f}"
            )
            stats.zero_()


if __name__ == "__main__":
    main()
