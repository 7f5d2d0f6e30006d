"""Small-batch speed of the eager agent loop and of one Gymnasium env: this tree vs a commit, or plain vs inference.

Usage: python scripts/step_overhead.py [--against REF | --inference-mode | --circuit NAME=VALUE ...] [--batch 24]
       [--rounds 3]

At small batches an eager step costs what its torch operations cost to dispatch, not their
arithmetic. For each core task this measures milliseconds per step of the agent loop
(``PlasticAgent`` under the task's protocol, ``--batch`` agents, one thread) and steps per second
of ``gym.make("nmgym/<Task>-v0")`` driven by random actions, in this working tree and in ``REF``
(checked out in a temporary git worktree). The two alternate ``--rounds`` times, each run in a
fresh process, so the machine's drift hits both alike, and which goes first flips every round:
run always second, the same code scored 0.94x-0.99x against itself (``--against HEAD``, 3
rounds), flipped 0.97x-1.02x (4 rounds). The table gives each side's median and the ratio. It
also hashes each loop's records: where a change is a pure speed-up they must agree.
``--inference-mode`` compares this tree's loop and env run plainly with the same under
``torch.inference_mode()`` (task and agent built inside it too), instead of two commits.
``--circuit NAME=VALUE`` (repeatable) compares this tree's default circuit with the same tree's
circuit at those settings (an opt-in mechanism's cost; the records then differ by design).
"""

from __future__ import annotations

import argparse
import contextlib
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


def measure(batch: int, inference: bool, circuit: dict | None = None) -> dict:
    """One process's figures for the tree it imports nmgym from (in inference mode if ``inference``)."""
    import gymnasium as gym
    import torch

    import nmgym  # noqa: F401 - registers the envs
    from agents import PlasticAgent
    from agents.protocols import plastic_options, protocol
    from nmgym.circuit import CircuitParams
    from nmgym.tasks import make_task

    torch.set_num_threads(1)
    out: dict = {}
    for name in TASKS:
        with torch.inference_mode() if inference else contextlib.nullcontext():
            options = plastic_options(protocol(name)["options"])
            params = CircuitParams().replace(**(circuit or {}))
            agent = PlasticAgent(make_task(name, batch, seed=3), seed=3, params=params, **options)
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


def run_in(tree: Path, batch: int, inference: bool = False, circuit: dict | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", "--batch", str(batch)]
    command += ["--inference-mode"] if inference else []
    command += ["--circuit-json", json.dumps(circuit)] if circuit else []
    result = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="HEAD", help="the commit to compare with (default HEAD)")
    parser.add_argument(
        "--inference-mode", action="store_true", help="compare plain with torch.inference_mode() in this tree instead"
    )
    parser.add_argument(
        "--circuit",
        action="append",
        metavar="NAME=VALUE",
        help="compare the default circuit with these settings in this tree instead (repeatable)",
    )
    parser.add_argument("--batch", type=int, default=24, help="agents in the loop (default 24)")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the two sides (default 3)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--circuit-json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.batch, args.inference_mode, json.loads(args.circuit_json or "{}"))))
        return
    circuit: dict = {}
    if args.circuit:
        from agent_table import circuit_settings

        circuit = circuit_settings(parser, args.circuit)
    sides: dict[str, tuple[Path, bool, dict]]  # side -> (tree, inference mode, circuit settings)
    with tempfile.TemporaryDirectory() as tmp:
        if args.inference_mode:
            sides = {"plain": (ROOT, False, {}), "inference": (ROOT, True, {})}
        elif circuit:
            sides = {"default": (ROOT, False, {}), "circuit": (ROOT, False, circuit)}
        else:
            ref = Path(tmp) / "ref"
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(ref), args.against], check=True
            )
            sides = {"ref": (ref, False, {}), "tree": (ROOT, False, {})}
        try:
            runs: dict[str, list[dict]] = {side: [] for side in sides}
            for round_ in range(args.rounds):
                order = list(sides.items())
                for side, (tree, inference, settings) in order[::-1] if round_ % 2 else order:
                    runs[side].append(run_in(tree, args.batch, inference, settings))
        finally:
            if not args.inference_mode and not circuit:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(ref)], check=True)
    base, new = sides
    what = "plain vs torch.inference_mode()" if args.inference_mode else f"ref = {args.against}"
    if circuit:
        what = "the default circuit vs " + " ".join(f"{k}={v}" for k, v in circuit.items())
    print(f"B={args.batch}, 1 thread, medians of {args.rounds} alternated runs; {what}")
    print(
        f"{'task':<20}{'loop ms/step ' + base:>22}{new:>10}{'speed-up':>9}{'env steps/s ' + base:>21}{new:>10}"
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
            f"{name:<20}{figure[base]['ms_per_step']:22.2f}{figure[new]['ms_per_step']:10.2f}"
            f"{figure[base]['ms_per_step'] / figure[new]['ms_per_step']:8.2f}x"
            f"{figure[base]['env_steps_per_s']:21.0f}{figure[new]['env_steps_per_s']:10.0f}"
            f"{figure[new]['env_steps_per_s'] / figure[base]['env_steps_per_s']:8.2f}x"
            f"  {'identical' if len(same) == 1 else 'DIFFER'}"
        )


if __name__ == "__main__":
    main()
