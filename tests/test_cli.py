"""The ``nmgym`` command."""

import subprocess
import sys

from nmgym.cli import main
from nmgym.tasks import TASKS


def test_help_lists_the_commands():
    out = subprocess.run([sys.executable, "-m", "nmgym.cli", "--help"], capture_output=True, text=True, check=True)
    assert "tasks" in out.stdout and "demo" in out.stdout


def test_circuit_lists_every_parameter_with_its_default_and_meaning(capsys):
    from nmgym.circuit import CircuitParams
    from nmgym.circuit.params import DESCRIPTIONS

    assert set(DESCRIPTIONS) == set(CircuitParams.names())
    assert main(["circuit"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(CircuitParams.names())
    assert lines[0].split()[1] == repr(CircuitParams().n_areas)
    assert "ne_relearn" in CircuitParams.__doc__


def test_tasks_lists_every_task_with_its_id(capsys):
    assert main(["tasks"]) == 0
    out = capsys.readouterr().out
    for name in TASKS:
        assert f"nmgym/{name}-v0" in out


def test_demo_prints_scores_for_both_policies(capsys):
    assert main(["demo", "--agents", "64", "--steps", "200"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("accuracy: the fraction of decision steps")
    rows = [line.split() for line in lines[1:-1]]
    scores = {(row[0], row[1]): float(row[2]) for row in rows}
    assert len(scores) == 2 * len(TASKS)
    for name in TASKS:
        assert scores[(name, "oracle")] > scores[(name, "random")]


def test_bad_demo_arguments_give_a_clear_error(capsys):
    assert main(["demo", "--agents", "0"]) == 2
    assert "num_envs=0 is not allowed" in capsys.readouterr().err
