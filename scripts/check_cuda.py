"""Check that every task kernel and the plastic agent run on CUDA and agree with the CPU.

Usage: python scripts/check_cuda.py [--agents 4096] [--steps 200]

Integer results (rewards, episode ends, actions) must match the CPU exactly; observations with
Gaussian noise go through log/cos, which may differ in the last bit, so they are compared with a
tolerance. Then kernel and agent throughput on both devices, in the same run.
"""

from __future__ import annotations

import argparse
import time

import torch

from agents import PlasticAgent
from nmgym.tasks import TASKS


def rollout(name: str, agents: int, steps: int, device: str) -> dict[str, torch.Tensor]:
    task = TASKS[name](agents, seed=7, device=device)
    out: dict[str, list[torch.Tensor]] = {"obs": [], "reward": [], "ended": []}
    for step in range(steps):
        action = task.oracle_action() if step % 2 else task.random_action()
        obs, reward, terminated, truncated, _ = task.step(action)
        out["obs"].append(obs.cpu())
        out["reward"].append(reward.cpu())
        out["ended"].append((terminated | truncated).cpu())
    return {k: torch.stack(v) for k, v in out.items()}


def rate(name: str, agents: int, device: str, steps: int = 100) -> float:
    task = TASKS[name](agents, seed=0, device=device)
    for _ in range(5):
        task.step(task.random_action())
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        task.step(task.random_action())
    torch.cuda.synchronize()
    return agents * steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=4096)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    assert torch.cuda.is_available(), "no CUDA device"
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}")
    print(f"{'task':<20}{'exact ints':>11}{'max |obs diff|':>16}{'cuda B=65536':>14}{'cuda B=1M':>12}")
    for name in TASKS:
        cpu = rollout(name, args.agents, args.steps, "cpu")
        gpu = rollout(name, args.agents, args.steps, "cuda")
        exact = torch.equal(cpu["reward"], gpu["reward"]) and torch.equal(cpu["ended"], gpu["ended"])
        diff = (cpu["obs"] - gpu["obs"]).abs().max().item()
        print(
            f"{name:<20}{exact!s:>11}{diff:>16.2e}{rate(name, 65536, 'cuda'):>14.3g}{rate(name, 2**20, 'cuda'):>12.3g}"
        )
    for device in ("cpu", "cuda"):
        task = TASKS["CueReward"](1024, seed=1, device=device)
        agent = PlasticAgent(task, seed=1, device=device)
        start = time.perf_counter()
        data = agent.run(100)
        if device == "cuda":
            torch.cuda.synchronize()
        steps = data["steps"].sum().item()
        print(
            f"PlasticAgent CueReward 1024 agents on {device}: reward/trial {data['reward'].mean():.4f}, "
            f"{steps / (time.perf_counter() - start):.3g} agent-steps/s"
        )


if __name__ == "__main__":
    main()
