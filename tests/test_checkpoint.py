"""Checkpoints: a run killed and resumed from its last save equals one never interrupted, bitwise."""

from __future__ import annotations

import collections
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

from agents import IDEAL_OBSERVERS, PlasticAgent, TDAgent
from agents.checkpoint import Checkpoint
from agents.train import train
from nmgym.circuit import CircuitParams
from nmgym.cli import main
from nmgym.tasks import make_task

RUNS = {
    "plastic, delayed DA, recording": (PlasticAgent, "CueReward", {"lesion": "da:delay=5", "record": True}),
    "plastic, NE and ACh lesions": (PlasticAgent, "SustainedAttention", {"lesion": "ne=0.3+ach:clamp=0.5"}),
    "plastic, transients": (PlasticAgent, "SustainedAttention", {}),
    "plastic, trial-locked": (PlasticAgent, "CueReward", {"params": CircuitParams(trial_locked_steps=4)}),
    "plastic, trial-locked actor": (
        PlasticAgent,
        "CueReward",
        {"params": CircuitParams(trial_locked_steps=4, trial_locked_hidden=False)},
    ),
    "plastic, ACh trial-locked": (PlasticAgent, "CueReward", {"params": CircuitParams(ach_trial_locked_steps=4)}),
    "td": (TDAgent, "WaitForReward", {}),
    "ideal observer": (IDEAL_OBSERVERS["SustainedAttention"], "SustainedAttention", {}),
}


def run(cls, task: str, checkpoint: Checkpoint | None = None, max_steps: int = 10**8, agents: int = 6, **options):
    return cls(make_task(task, agents, seed=2), seed=2, **options).run(80, checkpoint=checkpoint, max_steps=max_steps)


@pytest.mark.parametrize("name", list(RUNS))
def test_a_run_resumed_from_its_checkpoint_equals_an_uninterrupted_one(tmp_path: Path, name: str) -> None:
    cls, task, options = RUNS[name]
    whole = run(cls, task, **options)
    checkpoint = Checkpoint(tmp_path / "run.pt", {"run": name}, seconds=1e-9)  # saves at every check
    cut = run(cls, task, checkpoint, max_steps=200, **options)  # the run stops at step 200
    saved = torch.load(checkpoint.path, weights_only=True)["step"]
    assert saved == 192  # the last check (every 64 steps) before it stopped
    assert not torch.equal(cut["correct"], whole["correct"])  # it stopped before the end
    resumed = run(cls, task, checkpoint, **options)
    for key in whole:
        assert torch.equal(resumed[key], whole[key]), key


def test_a_checkpoint_is_refused_by_objects_it_does_not_fit(tmp_path: Path) -> None:
    checkpoint = Checkpoint(tmp_path / "run.pt", seconds=1e-9)
    run(PlasticAgent, "CueReward", checkpoint, max_steps=100)
    with pytest.raises(ValueError, match=r"does not fit these objects: agent\..* is \(6,\)"):
        run(PlasticAgent, "CueReward", checkpoint, agents=4)
    with pytest.raises(ValueError, match="checkpoint of another run"):
        run(PlasticAgent, "CueReward", Checkpoint(checkpoint.path, {"seed": 3}))
    with pytest.raises(ValueError, match="make_task"):
        PlasticAgent(gym.make("nmgym/CueReward-v0"), seed=0).run(5, checkpoint=checkpoint)
    with pytest.raises(ValueError, match="seconds=0 is not allowed"):
        Checkpoint(tmp_path / "x.pt", seconds=0)


def test_state_a_checkpoint_cannot_hold_is_an_error_not_a_silent_loss(tmp_path: Path) -> None:
    agent = PlasticAgent(make_task("CueReward", 2, seed=0), seed=0)
    agent.circuit.history = collections.deque([1.0])  # state that is neither a tensor nor a plain value
    with pytest.raises(TypeError, match=r"cannot checkpoint agent\.circuit\.history: a deque"):
        agent.run(50, checkpoint=Checkpoint(tmp_path / "run.pt", seconds=1e-9))
    assert not (tmp_path / "run.pt").exists()
    # A task's observation bounds are fixed (read-only), so a checkpoint takes them as settings; a
    # numpy array that could change is state it would lose.
    agent = PlasticAgent(make_task("CueReward", 2, seed=0), seed=0)
    with pytest.raises(ValueError, match="read-only"):
        agent.world.env.obs_low[0] = 5.0
    agent.world.env.scratch = np.zeros(3)
    with pytest.raises(TypeError, match=r"cannot checkpoint agent\.world\.env\.scratch: a ndarray"):
        agent.run(50, checkpoint=Checkpoint(tmp_path / "run.pt", seconds=1e-9))


def test_train_killed_resumes_bitwise_and_refuses_other_settings(tmp_path: Path, capsys) -> None:
    """SIGTERM to ``nmgym train``: the message, then the same command resumes from the checkpoint."""
    out = tmp_path / "killed"
    args = ["train", "CueReward", "--agents", "4", "--trials", "400", "--seed", "1", "--out", str(out)]
    command = [sys.executable, "-m", "nmgym.cli", *args, "--checkpoint-every", "0.1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / "checkpoint.pt").is_file():
        assert time.monotonic() < deadline and process.poll() is None, "no checkpoint was written"
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert "its last checkpoint is saved: run the same command again to resume" in err
    assert not (out / "summary.json").exists()

    assert main([*args[:-4], "--seed", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "checkpoint of another run (seed differ)" in err and "resuming" not in err
    assert main(["study", "CueReward", "--agents", "2", "--out", str(out)]) == 2  # a train folder
    assert main(args) == 0
    assert "resuming the run saved in" in capsys.readouterr().err
    assert not (out / "checkpoint.pt").exists()
    whole = train("CueReward", agents=4, trials=400, seed=1, out=tmp_path / "whole", progress=False)
    resumed = json.loads((out / "summary.json").read_text())
    assert resumed["curve"] == json.loads(json.dumps(whole["curve"]))
    assert resumed["final"] == whole["final"]


def test_a_file_in_place_of_a_checkpoint_or_a_chunk_is_named_and_kept(tmp_path: Path, capsys) -> None:
    """Not a checkpoint (text, or a tensor): one line naming the file, which is left as it was."""
    out = tmp_path / "t"
    out.mkdir()
    argv = ["train", "CueReward", "--agents", "2", "--trials", "5", "--out", str(out)]
    for content, message in (("text", "not a readable checkpoint (torch.load: "), (None, "not a checkpoint of")):
        if content is None:
            torch.save(torch.zeros(2), out / "checkpoint.pt")
        else:
            (out / "checkpoint.pt").write_text(content)
        before = (out / "checkpoint.pt").read_bytes()
        assert main(argv) == 2
        assert f"{out / 'checkpoint.pt'} is {message}" in capsys.readouterr().err
        assert (out / "checkpoint.pt").read_bytes() == before
    study = tmp_path / "s"
    argv = ["study", "CueReward", "--lesion", "ne", "--agents", "2", "--trials", "5", "--out", str(study)]
    assert main(argv) == 0
    chunk = study / "chunks" / "ne__000000-000002.npz"
    chunk.write_text("junk")
    assert main(argv) == 2
    assert f"chunk {chunk} is not readable (ValueError): delete it and run the study again" in capsys.readouterr().err
    chunk.unlink()
    assert main(argv) == 0
