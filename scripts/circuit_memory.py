"""Memory per agent of a circuit variant against the default, measured in the same invocation.

Usage: python scripts/circuit_memory.py --circuit NAME=VALUE [--circuit ...] [--repeats 3]

Each side's bytes per agent is the slope of the peak resident memory between two batch sizes of
ReversalBandit's agent loop, each run in a fresh process (:mod:`nmgym.bench.memory`; the median
of ``--repeats`` pairs, since glibc keeps a varying share of freed memory resident). Each line
gives a side's median and spread, beside the bytes of the distinct storages behind every tensor a
checkpoint of the circuit saves (weights, traces and state; the measure adds the task's, the
step's temporaries and the allocator's slack).
"""

from __future__ import annotations

import argparse

import torch
from agent_table import circuit_settings

from agents.checkpoint import capture
from agents.plastic import PlasticAgent
from nmgym.bench import memory
from nmgym.circuit import CircuitParams
from nmgym.tasks import make_task


def held_bytes(circuit: object) -> int:
    """Bytes of the distinct storages behind the circuit's state, as :func:`agents.checkpoint.capture`
    finds it (a view, such as a weight's transposed copy, counts once)."""
    storages: dict[int, int] = {}

    def visit(value: object) -> None:
        if isinstance(value, torch.Tensor):
            storage = value.untyped_storage()
            storages[storage.data_ptr()] = storage.nbytes()
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(item)
        elif isinstance(value, dict):
            for item in value.values():
                visit(item)

    visit(capture({"circuit": circuit}))
    return sum(storages.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--circuit", action="append", metavar="NAME=VALUE", required=True)
    parser.add_argument("--repeats", type=int, default=3, help="pairs of processes per side (default 3)")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats {args.repeats}: give 1 or more")
    variant = circuit_settings(parser, args.circuit)
    sides = {"default": {}, "variant": variant}
    print(f"ReversalBandit, batches {memory.BATCHES}, CPU peak resident set, median of {args.repeats} pairs")
    figures = {}
    for name, settings in sides.items():
        params = CircuitParams().replace(**settings)
        counted = held_bytes(PlasticAgent(make_task("ReversalBandit", 1), params=params).circuit)
        per_agent, _, (least, most) = memory.per_agent(torch.device("cpu"), repeats=args.repeats, circuit=settings)
        figures[name] = per_agent
        label = "default" if not settings else " ".join(f"{k}={v}" for k, v in settings.items())
        print(
            f"{label:<50} {per_agent / 1e3:8.1f} KB per agent ({least / 1e3:.1f}-{most / 1e3:.1f}); "
            f"its state {counted / 1e3:.1f} KB"
        )
    print(f"variant / default: {figures['variant'] / figures['default']:.2f}x")


if __name__ == "__main__":
    main()
