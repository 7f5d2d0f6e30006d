"""Agent-steps per second of every task kernel, against Gymnasium's SyncVectorEnv in the same run.

Usage: python scripts/bench_tasks.py [--big 65536] [--seconds 1.0] [--device cpu]

Rows: the batched kernel at B=1 and B=--big, the single Gymnasium env (numpy, B=1), and the
baseline, Gymnasium's SyncVectorEnv over 64 single envs. Ratios are against that baseline.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np
import torch

import nmgym
from nmgym.tasks import TASKS


def rate(step, batch: int, seconds: float) -> float:
    """Agent-steps per second of ``step()`` (which advances ``batch`` agents), timed for ``seconds``."""
    for _ in range(3):
        step()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(10):
            step()
        n += 10
    return batch * n / (time.perf_counter() - start)


def kernel_rate(name: str, batch: int, seconds: float, device: str) -> float:
    task = TASKS[name](batch, seed=0, device=device)

    def step():
        task.step(task.random_action())

    result = rate(step, batch, seconds)
    if device != "cpu":
        torch.cuda.synchronize()
    return result


def single_env_rate(name: str, seconds: float) -> float:
    env = gym.make(nmgym.env_id(name)).unwrapped
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, env.action_space.n, size=4096)
    i = 0

    def step():
        nonlocal i
        _, _, terminated, truncated, _ = env.step(actions[i % 4096])
        i += 1
        if terminated or truncated:
            env.reset()

    return rate(step, 1, seconds)


def sync_vector_rate(name: str, n: int, seconds: float) -> float:
    venv = gym.make_vec(nmgym.env_id(name), num_envs=n, vectorization_mode="sync")
    venv.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 2, size=(64, n))
    i = 0

    def step():
        nonlocal i
        venv.step(actions[i % 64])
        i += 1

    return rate(step, n, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", type=int, default=65_536, help="large batch size (default 65536)")
    parser.add_argument("--seconds", type=float, default=1.0, help="timing window per row (default 1.0)")
    parser.add_argument("--device", default="cpu", help="device of the kernel rows (default cpu)")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}")
    header = f"{'task':<20}{'SyncVectorEnv x64':>18}{'gym single':>12}{'kernel B=1':>12}{f'kernel B={args.big}':>16}"
    print(header + f"{'ratio big/sync':>16}")
    for name in TASKS:
        sync = sync_vector_rate(name, 64, args.seconds)
        single = single_env_rate(name, args.seconds)
        one = kernel_rate(name, 1, args.seconds, args.device)
        big = kernel_rate(name, args.big, args.seconds, args.device)
        print(f"{name:<20}{sync:>18.3g}{single:>12.3g}{one:>12.3g}{big:>16.3g}{big / sync:>16.0f}x")
    print("units: agent-steps per second")


if __name__ == "__main__":
    main()
