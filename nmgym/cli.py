"""The ``nmgym`` command."""

from __future__ import annotations

import argparse
import os
import select
import signal
import sys
import threading
from pathlib import Path

from nmgym.envs import env_id
from nmgym.plotting import MISSING, available
from nmgym.tasks import TASKS, summary


def _tasks(_: argparse.Namespace) -> int:
    width = max(len(env_id(name)) for name in TASKS)
    for name, cls in TASKS.items():
        print(f"{env_id(name):<{width}}  {summary(cls)}")
        print(f"{'':<{width}}  tags: {', '.join(cls.tags)}; paper: {cls.paper}")
    return 0


def _circuit(_: argparse.Namespace) -> int:
    from nmgym.circuit.params import describe_parameters

    print(describe_parameters())
    return 0


def _demo(args: argparse.Namespace) -> int:
    from nmgym.demo import demo, format_scores

    print(format_scores(demo(agents=args.agents, steps=args.steps, seed=args.seed, device=args.device)))
    return 0


def _train(args: argparse.Namespace) -> int:
    from agents.train import parse_assignments, train

    summary = train(
        args.task,
        args.agent,
        agents=args.agents,
        trials=args.trials,
        seed=args.seed,
        lesion=args.lesion,
        device=args.device,
        params=parse_assignments(args.param, "param"),
        circuit=parse_assignments(args.circuit, "circuit"),
        inputs=_inputs(args),
        out=args.out,
        compile=args.compile,
        checkpoint_seconds=args.checkpoint_every,
    )
    final = summary["final"]
    print(
        f"{args.task} {args.agent} (lesion {args.lesion or 'none'}), last fifth of trials: "
        f"reward/trial {final['reward']:.3f}, correct {final['correct']:.3f}; wrote {args.out}/summary.json, "
        + ("curve.csv and curve.png" if available() else "curve.csv")
    )
    _warn_if_no_figures()
    return 0


def _warn_if_no_figures() -> None:
    if not available():
        print(f"nmgym: warning: {MISSING}", file=sys.stderr)


def _inputs(args: argparse.Namespace) -> list[str] | None:
    return None if args.inputs is None else [name.strip() for name in args.inputs.split(",")]


def _workers(args: argparse.Namespace) -> int:
    from nmgym.study.runner import default_workers

    if args.workers is None:
        return default_workers(args.device)
    if args.workers < 1:
        raise ValueError(f"--workers {args.workers} is not allowed; give 1 or more processes")
    return args.workers


def _study(args: argparse.Namespace) -> int:
    from agents.protocols import input_options
    from agents.train import parse_assignments
    from nmgym.study import Study, write_report

    inputs = _inputs(args)
    study = Study(
        args.task,
        args.lesion or [],
        agents=args.agents,
        seed=args.seed,
        out=args.out,
        params=parse_assignments(args.param, "param"),
        circuit=parse_assignments(args.circuit, "circuit"),
        trials=args.trials,
        chunk_size=args.chunk_size,
        device=args.device,
        options=None if inputs is None else input_options(inputs, {}),
        references=args.references,
    )
    if study.agents < 2 and study.conditions != ["none"]:
        print(
            "nmgym: warning: one agent per condition: the lesions' confidence intervals and p-values say nothing",
            file=sys.stderr,
        )
    study.run(progress=True, workers=_workers(args))
    summary = write_report(study)
    if summary["undefined_metrics"]:
        print(
            f"nmgym: warning: {', '.join(summary['undefined_metrics'])} undefined for every agent: "
            f"{study.trials} trials are too few for them (see report.md)",
            file=sys.stderr,
        )
    for lesion, metrics in summary["lesions"].items():
        cells = ", ".join(
            f"{m} {s['intact']:.3g}->{s['lesioned']:.3g} (p={s['p_value']:.2g})" for m, s in metrics.items()
        )
        print(f"{args.task} {lesion}: {cells}")
    print(f"wrote {', '.join(summary['files'])} in {args.out}")
    _warn_if_no_figures()
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    from agents.train import parse_assignments
    from nmgym.study import reproduce

    effects = reproduce(
        args.out,
        quick=args.quick,
        seed=args.seed,
        device=args.device,
        workers=_workers(args),
        circuit=parse_assignments(args.circuit, "circuit"),
    )
    for e in effects:
        print(f"{'holds' if e['holds'] else 'FAILS':<6} {e['effect']} ({e['task']}, {e['lesion']})")
    print(f"{sum(e['holds'] for e in effects)}/{len(effects)} rows hold; wrote {args.out}/report.md and effects.json")
    _warn_if_no_figures()
    return 0


def _bench(args: argparse.Namespace) -> int:
    from nmgym.bench import format_table, run, write
    from nmgym.results_folder import make_folder
    from nmgym.validation import check_device

    check_device(args.device)  # a bad device leaves no folder behind
    make_folder(args.out)  # find out before the run, not after it, whether it can be written
    result = run(
        quick=args.quick,
        device=args.device,
        with_peers=not args.no_peers,
        venvs=Path(args.venvs) if args.venvs else None,
        seconds=args.seconds,
    )
    print(format_table(result))
    print(f"wrote {write(result, Path(args.out))}")
    return 0


INPUTS_HELP = (
    "observation sub-spaces the plastic agent reads, comma-separated, or all"
    " (default: the task's protocol; ReversalBandit: trial)"
)
CIRCUIT_HELP = "circuit parameter over the default (repeatable; `nmgym circuit` lists them)"
WORKERS_HELP = "processes running chunks side by side (default: one per CPU on a CPU device, 1 on an accelerator)"


def count(text: str) -> int:
    """An argparse type for ``--agents``, ``--trials``, ``--steps`` and ``--chunk-size``: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1; got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nmgym",
        description="Learning tasks from the neuroscience of neuromodulation, as batched torch kernels and Gymnasium "
        "envs.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands.add_parser("tasks", help="list every task with its Gymnasium id").set_defaults(run=_tasks)
    commands.add_parser(
        "circuit", help="list the circuit's parameters (--circuit NAME=VALUE) with defaults and meanings"
    ).set_defaults(run=_circuit)
    demo = commands.add_parser("demo", help="score random and oracle policies on every task")
    demo.add_argument("--agents", type=count, default=1024, help="agents per task and policy (default 1024)")
    demo.add_argument("--steps", type=count, default=1000, help="steps per run (default 1000)")
    demo.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    demo.add_argument("--device", default="cpu", help="torch device (default cpu)")
    demo.set_defaults(run=_demo)
    train = commands.add_parser("train", help="train agents on a task and write the learning curve")
    train.add_argument("task", help="task name, e.g. CueReward (see `nmgym tasks`)")
    train.add_argument(
        "--agent", default="plastic", help="plastic, td (protocol settings), random, ppo or ppo-lstm (default plastic)"
    )
    train.add_argument("--agents", type=count, default=64, help="agents trained side by side (default 64)")
    train.add_argument("--trials", type=count, default=None, help="trials per agent (default: the task's protocol)")
    train.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    train.add_argument("--lesion", default=None, help="lesion spec for the plastic agent, e.g. ne or da:delay=5")
    train.add_argument("--device", default="cpu", help="torch device (default cpu)")
    train.add_argument(
        "--param", action="append", metavar="NAME=VALUE", help="task parameter over the protocol's (repeatable)"
    )
    train.add_argument("--circuit", action="append", metavar="NAME=VALUE", help=CIRCUIT_HELP)
    train.add_argument("--inputs", metavar="NAMES", help=INPUTS_HELP)
    train.add_argument("--out", required=True, help="folder for summary.json, curve.csv and curve.png")
    train.add_argument("--compile", action="store_true", help="torch.compile the task and circuit (large batches)")
    train.add_argument(
        "--checkpoint-every",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="save the run to OUT/checkpoint.pt this often; the same command resumes it (default 60)",
    )
    train.set_defaults(run=_train)
    study = commands.add_parser("study", help="intact vs lesioned circuits on the same seeds: stats, figures, report")
    study.add_argument("task", help="task name, e.g. ReversalBandit (see `nmgym tasks`)")
    study.add_argument("--lesion", action="append", metavar="SPEC", help="lesion spec, e.g. ne (repeatable)")
    study.add_argument("--agents", type=count, default=20, help="agents per condition (default 20)")
    study.add_argument("--seed", type=int, default=0, help="seed shared by every condition (default 0)")
    study.add_argument("--trials", type=count, default=None, help="trials per agent (default: the task's protocol)")
    study.add_argument("--chunk-size", type=count, default=None, help="agents per resumable chunk (default: all)")
    study.add_argument("--device", default="cpu", help="torch device (default cpu)")
    study.add_argument("--param", action="append", metavar="NAME=VALUE", help="task parameter (repeatable)")
    study.add_argument("--circuit", action="append", metavar="NAME=VALUE", help=CIRCUIT_HELP)
    study.add_argument("--inputs", metavar="NAMES", help=INPUTS_HELP)
    study.add_argument(
        "--no-references",
        dest="references",
        action="store_false",
        help="run the circuits only, without the TD, random and ideal-observer reference agents (faster)",
    )
    study.add_argument("--out", required=True, help="study folder (re-running the same command resumes)")
    study.add_argument("--workers", type=int, default=None, help=WORKERS_HELP)
    study.set_defaults(run=_study)
    rep = commands.add_parser("reproduce", help="run the effect catalogue and write effects.json and report.md")
    rep.add_argument(
        "--quick",
        action="store_true",
        help="20 agents (CueReward and SustainedAttention 64), no reference agents (under 5 minutes)",
    )
    rep.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    rep.add_argument("--device", default="cpu", help="torch device (default cpu)")
    rep.add_argument("--out", required=True, help="output folder")
    rep.add_argument("--circuit", action="append", metavar="NAME=VALUE", help=CIRCUIT_HELP)
    rep.add_argument("--workers", type=int, default=None, help=WORKERS_HELP)
    rep.set_defaults(run=_reproduce)
    bench = commands.add_parser("bench", help="speed of every kernel against the memory limit and the peers")
    bench.add_argument("--quick", action="store_true", help="fewer sizes, shorter timings (2-3 minutes on 2 cores)")
    bench.add_argument("--device", default="cpu", help="torch device (default cpu)")
    bench.add_argument("--no-peers", action="store_true", help="skip NeuroGym and gymnax (no virtual envs made)")
    bench.add_argument(
        "--venvs", default=None, help="where the peers' virtual envs live (default ~/.cache/nmgym/bench-venvs)"
    )
    bench.add_argument("--seconds", type=float, default=None, help="seconds per measurement (default 1, quick 0.3)")
    bench.add_argument("--out", required=True, help="folder for bench.json and bench.txt")
    bench.set_defaults(run=_bench)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, a batch scheduler's time limit), handled as Ctrl-C is."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def _resume_hint(args: argparse.Namespace) -> str:
    """What a stopped command has kept for its rerun to resume from, as the end of its message
    ("" where it keeps nothing)."""
    saved = None
    if args.run in (_study, _reproduce):
        saved = "every finished chunk"
    elif args.run is _train:
        from agents.train import PPO_AGENTS

        saved = None if args.agent in PPO_AGENTS else "its last checkpoint"
    return f"; {saved} is saved: run the same command again to resume" if saved else ""


def _stdout_closed() -> bool:
    """Whether standard output's reader has gone (``nmgym tasks | head -1``): then a command
    that has done its work stops quietly, as a Unix filter does, instead of reporting an error.
    Standard output then points at the null device, so the interpreter's final flush is quiet.
    Where it cannot be polled (Windows, a notebook's stream) the error is reported as any other."""
    try:
        fd = sys.stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        if not any(events & select.POLLERR for _, events in poller.poll(0)):
            return False
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)
        return True
    except (AttributeError, OSError, ValueError):
        return False


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help (0) or a bad argument (2, after argparse's message)
        return int(done.code or 0)
    main_thread = threading.current_thread() is threading.main_thread()  # where signals can be handled
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        return args.run(args)
    except (ValueError, TypeError) as error:
        print(f"nmgym: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError as error:
        if not _stdout_closed():
            print(f"nmgym: error: {error}{_resume_hint(args)}", file=sys.stderr)
        return 1
    except OSError as error:  # a disk filled or a folder vanished mid-run: what is saved stays
        print(f"nmgym: error: {error}{_resume_hint(args)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stop:
        stopped = "terminated" if isinstance(stop, Terminated) else "interrupted"
        print(f"\nnmgym: {stopped}{_resume_hint(args)}", file=sys.stderr)
        return 128 + (signal.SIGTERM if isinstance(stop, Terminated) else signal.SIGINT)
    finally:
        if previous is not None:  # None: no handler to restore, or one set outside Python
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    raise SystemExit(main())
