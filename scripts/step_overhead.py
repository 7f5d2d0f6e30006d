"""Small-batch speed of the eager agent loop and of one Gymnasium env: this tree against a commit.

Usage: python scripts/step_overhead.py [--against REF] [--batch 24] [--rounds 3]

At small batches an eager step costs what its torch operations cost to dispatch, not their
arithmetic. For each core task this measures milliseconds per step of the agent loop
(``PlasticAgent`` under the task's protocol, ``--batch`` agents, one thread) and steps per second
of ``gym.make("nmgym/<Task>-v0")`` driven by random actions, in this working tree and in ``REF``
(checked out in a temporary git worktree). The two alternate ``--rounds`` times, each run in a
fresh process, so the machine's drift hits both alike; the table gives each side's median and
the ratio. It also hashes each loop's records: where a change is a pure speed-up they must agree.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TASKS = ("CueReward", "DistalReward", "ReversalBandit", "SustainedAttention", "WaitForReward", "CrossAreaXOR")
ROOT = Path(__file__).resolve().parent.parent


def measure(batch: int) -> dict:
    """One process's figures for the tree it imports nmgym from."""
    import gymnasium as gym
    import torch

    import nmgym  # noqa: F401 - registers the envs
    from agents import PlasticAgent
    from agents.protocols import plastic_options, protocol
    from nmgym.tasks import make_task

    torch.set_num_threads(1)
    out: dict = {}
    for name in TASKS:
        agent = PlasticAgent(make_task(name, batch, seed=3), seed=3, **plastic_options(protocol(name)["options"]))
        agent.run(3)
        start, begun = int(agent.circuit.steps[0]), time.perf_counter()
        records = agent.run(25)
        steps = int(agent.circuit.steps[0]) - start
        digest = hashlib.sha256(b"".join(records[k].numpy().tobytes() for k in sorted(records)))
        env = gym.make(f"nmgym/{name}-v0")
        env.reset(seed=0)
        env.action_space.seed(0)
        begun_env, n = time.perf_counter(), 2000
        for _ in range(n):
            *_, terminated, truncated, _ = env.step(env.action_space.sample())
            if terminated or truncated:
                env.reset()
        out[name] = {
            "ms_per_step": (begun_env - begun) / steps * 1e3,
            "env_steps_per_s": n / (time.perf_counter() - begun_env),
            "records": digest.hexdigest()[:12],
        }
    return out


def run_in(tree: Path, batch: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", "--batch", str(batch)]
    result = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="HEAD", help="the commit to compare with (default HEAD)")
    parser.add_argument("--batch", type=int, default=24, help="agents in the loop (default 24)")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the two trees (default 3)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.batch)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        ref = Path(tmp) / "ref"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(ref), args.against], check=True
        )
        try:
            runs: dict[str, list[dict]] = {"ref": [], "tree": []}
            for _ in range(args.rounds):
                runs["ref"].append(run_in(ref, args.batch))
                runs["tree"].append(run_in(ROOT, args.batch))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(ref)], check=True)
    print(f"B={args.batch}, 1 thread, medians of {args.rounds} alternated runs; ref = {args.against}")
    print(
        f"{'task':<20}{'loop ms/step ref':>17}{'tree':>7}{'speed-up':>9}{'env steps/s ref':>16}{'tree':>7}"
        f"{'speed-up':>9}  records"
    )
    for name in TASKS:
        figure = {
            side: {
                key: statistics.median(r[name][key] for r in runs[side]) for key in ("ms_per_step", "env_steps_per_s")
            }
            for side in runs
        }
        same = {r[name]["records"] for side in runs for r in runs[side]}
        print(
            f"{name:<20}{figure['ref']['ms_per_step']:17.2f}{figure['tree']['ms_per_step']:7.2f}"
            f"{figure['ref']['ms_per_step'] / figure['tree']['ms_per_step']:8.2f}x"
            f"{figure['ref']['env_steps_per_s']:16.0f}{figure['tree']['env_steps_per_s']:7.0f}"
            f"{figure['tree']['env_steps_per_s'] / figure['ref']['env_steps_per_s']:8.2f}x"
            f"  {'identical' if len(same) == 1 else 'DIFFER'}"
        )


if __name__ == "__main__":
    main()
