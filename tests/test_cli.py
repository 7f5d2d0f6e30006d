"""The ``nmgym`` command."""

import subprocess
import sys

import pytest

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


def test_counts_below_one_are_refused_by_their_flag(capsys, tmp_path):
    cases = [
        (["demo", "--agents", "0"], "--agents", "0"),
        (["demo", "--steps", "0"], "--steps", "0"),
        (["demo", "--agents", "-3"], "--agents", "-3"),
        (["train", "CueReward", "--agents", "0", "--out", str(tmp_path / "t")], "--agents", "0"),
        (["train", "CueReward", "--trials", "0", "--out", str(tmp_path / "t")], "--trials", "0"),
        (["study", "CueReward", "--chunk-size", "0", "--out", str(tmp_path / "s")], "--chunk-size", "0"),
        (["study", "CueReward", "--trials", "ten", "--out", str(tmp_path / "s")], "--trials", "'ten'"),
    ]
    for argv, flag, got in cases:
        assert main(argv) == 2
        assert f"argument {flag}: must be an integer >= 1; got {got}" in capsys.readouterr().err
    assert not (tmp_path / "t").exists() and not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["train", "CueReward", "--agents", "2", "--trials", "50"],
        ["train", "CueReward", "--agent", "td", "--agents", "2", "--trials", "50"],
        ["study", "CueReward", "--lesion", "ne", "--agents", "2", "--trials", "50"],
        ["reproduce", "--quick"],
        ["bench", "--quick"],
    ],
)
def test_an_out_that_cannot_be_written_is_refused_before_the_run(tmp_path, capsys, command):
    """A folder inside a file cannot be made: each command says so at once, not after its run."""
    blocker = tmp_path / "a_file"
    blocker.write_text("mine")
    assert main([*command, "--out", str(blocker / "out")]) == 2
    err = capsys.readouterr().err
    assert f"nmgym: error: cannot write results to --out {blocker / 'out'}: Not a directory" in err
    assert "trial/s" not in err and "chunk" not in err  # nothing ran
    assert blocker.read_text() == "mine"


@pytest.mark.parametrize(
    "error", [OSError(28, "No space left on device"), BrokenPipeError(32, "Broken pipe")], ids=["disk full", "pipe"]
)
def test_a_write_that_fails_mid_run_is_one_line_saying_what_is_kept(tmp_path, capsys, monkeypatch, error):
    """A full disk, or a broken pipe that is not standard output's, stops the run with what is kept."""
    import nmgym.study.runner

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(nmgym.study.runner, "atomic_write_npz", fail)
    argv = ["study", "CueReward", "--lesion", "ne", "--agents", "2", "--trials", "5", "--workers", "1"]
    assert main([*argv, "--out", str(tmp_path / "s")]) == 1
    err = capsys.readouterr().err
    assert f"nmgym: error: [Errno {error.errno}] {error.strerror}; every finished chunk is saved" in err
    assert "Traceback" not in err


def test_a_closed_stdout_ends_the_command_quietly():
    """``nmgym tasks | head -1``: the reader going away is no error to report."""
    command = subprocess.Popen(
        [sys.executable, "-m", "nmgym.cli", "tasks"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    command.stdout.close()
    err = command.stderr.read().decode()
    assert command.wait() == 1
    assert err == ""
