"""Lesion studies: outputs, statistics, trials-to-criterion, resume, bad input."""

from __future__ import annotations

import dataclasses
import importlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from nmgym.circuit import CircuitParams
from nmgym.cli import main
from nmgym.study import Study, bootstrap_ci, permutation_test, task_metrics, trials_to_criterion, write_report
from nmgym.study.runner import Chunk, _stop_workers, run_chunk, run_chunks


def small(out: Path, **kwargs) -> Study:
    """A reduced ReversalBandit study: 4 agents in chunks of 2, 100 trials (2 blocks)."""
    settings = {"agents": 4, "seed": 3, "trials": 100, "chunk_size": 2}
    settings.update(kwargs)
    return Study("ReversalBandit", ["ne"], out=out, **settings)


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_reduced_study_writes_every_output(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    study = small(tmp_path / "s")
    study.run(progress=False)
    summary = write_report(study)
    for name in ("manifest.json", "summary.json", "report.md", "results.csv", "learning_curves.png", "behaviour.png"):
        assert (tmp_path / "s" / name).exists(), name
    assert (tmp_path / "s" / "modulators.png").exists()
    assert study.conditions == ["none", "ne", "ref:td", "ref:random", "ref:ideal"]
    data = json.loads((tmp_path / "s" / "summary.json").read_text())
    assert set(data["conditions"]) == set(study.conditions)
    stats = data["lesions"]["ne"]["trials_to_criterion"]
    assert {"effect", "ci_low", "ci_high", "p_value", "cohens_d"} <= set(stats)
    lines = (tmp_path / "s" / "results.csv").read_text().splitlines()
    assert lines[0] == "condition,agent,trial_start,trial_stop,metric,value"
    assert len(lines) - 1 == 5 * 4 * (2 * 20 + len(summary["per_agent"]["none"]))
    ideal, intact = (data["conditions"][c]["accuracy"]["mean"] for c in ("ref:ideal", "none"))
    assert ideal > intact  # the ceiling a reader compares the circuit with
    assert "![" in (tmp_path / "s" / "report.md").read_text()


def test_a_metric_against_a_discrete_parameter_is_ticked_at_the_measured_values_only() -> None:
    """Hits vs signal length (1, 2, 4 steps) and accuracy vs delay: no tick at 1.5 or 2.5."""
    pytest.importorskip("matplotlib")
    from nmgym.study.report import plot_metric_vs, pyplot

    plt = pyplot()
    fig, ax = plt.subplots()
    per_agent = [np.array([0.4, 0.6]), np.array([0.8, 0.9]), np.array([1.0, 0.9])]
    plot_metric_vs(ax, [1, 2, 4], {"none": per_agent})
    assert list(ax.get_xticks()) == [1, 2, 4]
    np.testing.assert_allclose(np.asarray(ax.lines[0].get_ydata(), dtype=float), [0.5, 0.85, 0.95])
    plt.close(fig)


def test_behaviour_figures_name_cue_rewards_bars_and_mark_chance_on_xor(tmp_path: Path, monkeypatch) -> None:
    """CueReward's behaviour figure has a legend naming its two bars per condition; CrossAreaXOR's
    bars of final accuracy have a line at chance (two actions: 0.5); a DistalReward study at one
    delay says that delay, not "vs delay"."""
    pytest.importorskip("matplotlib")
    from nmgym.study import report

    drawn = {}
    draw = report.draw_behaviour

    def spy(ax, study, results, summary):
        caption = draw(ax, study, results, summary)
        legend = [text.get_text() for text in ax.get_legend().get_texts()] if ax.get_legend() else []
        drawn[study.task] = legend, [line.get_ydata()[0] for line in ax.lines if len(set(line.get_ydata())) == 1]
        return caption

    monkeypatch.setattr(report, "draw_behaviour", spy)
    for task, lesion in (("CueReward", "da"), ("CrossAreaXOR", "longrange")):
        study = Study(task, lesion, agents=2, seed=1, trials=20, out=tmp_path / task, references=False)
        study.run(progress=False)
        write_report(study)
    assert drawn["CueReward"][0] == ["target cue", "other cues"]
    assert drawn["CrossAreaXOR"][1] == [0.5]
    one_delay = Study("DistalReward", "tags", agents=2, seed=1, trials=20, out=tmp_path / "d", params={"delays": (5,)})
    one_delay.run(progress=False)
    write_report(one_delay)
    assert "*Accuracy at delay D = 5 (second half" in (tmp_path / "d" / "report.md").read_text()


def test_the_td_reference_runs_the_protocols_settings_and_the_manifest_says_so(tmp_path: Path) -> None:
    """``ref:td`` is TD at its protocol's settings (``agents.protocols``), not TDAgent's defaults;
    the manifest records them where the study has the reference, and only there."""
    from agents import TDAgent
    from agents.protocols import protocol
    from nmgym.tasks import make_task

    study = small(tmp_path / "s")
    settings = protocol("ReversalBandit")["td"]
    assert settings and settings != {"lr": 0.5, "epsilon": 0.05, "lam": 0.9}  # not the defaults
    (chunk,) = [c for c in study.chunks() if c.condition == "ref:td" and c.start == 0]
    assert chunk.options == settings and study.manifest()["td"] == settings
    direct = TDAgent(make_task("ReversalBandit", 2, seed=3), seed=3, **settings).run(100)
    np.testing.assert_array_equal(run_chunk(chunk)["reward"], direct["reward"].numpy())
    assert "td" not in small(tmp_path / "q", references=False).manifest()


def test_chunks_match_one_batch() -> None:
    """A chunk draws what the same agents draw inside a larger batch (the task's agent_offset)."""
    whole = run_chunk(Chunk("ReversalBandit", "ne", 0, 4, 1, 60, {}, {"inputs": ["trial"]}))
    part = run_chunk(Chunk("ReversalBandit", "ne", 2, 4, 1, 60, {}, {"inputs": ["trial"]}))
    np.testing.assert_allclose(part["correct"], whole["correct"][2:])


def test_a_chunk_in_inference_mode_equals_the_agents_plain_run() -> None:
    """A chunk runs in inference mode (no autograd bookkeeping): its records and modulator traces
    are bitwise those of the same agents run plainly, and nothing it returns is a tensor."""
    from agents import PlasticAgent
    from nmgym.tasks import make_task

    chunk = Chunk("SustainedAttention", "ne", 0, 3, 2, 12, {"distractor_after": 6}, {}, record=2)
    records = run_chunk(chunk)
    agent = PlasticAgent(
        make_task("SustainedAttention", 3, seed=2, distractor_after=6), lesion="ne", seed=2, record=True
    )
    plain = agent.run(12)
    assert not torch.is_inference_mode_enabled() and not torch.is_inference(agent.circuit.W_pi)
    for key, value in plain.items():
        np.testing.assert_array_equal(records[key], value.numpy(), err_msg=key)
    np.testing.assert_array_equal(records["trace_ne"], torch.stack(agent.circuit.levels["ne"], dim=1)[:2].numpy())
    assert all(isinstance(value, np.ndarray) for value in records.values())


def test_bootstrap_ci_covers_true_difference() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(0.0, 1.0, 200)
    b = a + 0.5 + rng.normal(0.0, 0.3, 200)
    effect, low, high = bootstrap_ci(a, b, statistic="mean")
    assert low < 0.5 < high and low < effect < high
    ratio, rlow, rhigh = bootstrap_ci(np.full(50, 2.0), np.full(50, 4.0), kind="ratio")
    assert ratio == rlow == rhigh == 2.0


def test_permutation_test() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(0.0, 1.0, 40)
    assert permutation_test(a, a + 2.0 + rng.normal(0, 0.5, 40)) < 0.01
    assert permutation_test(a, a + rng.normal(0.0, 1.0, 40)) > 0.05
    assert permutation_test(a, a) == 1.0


def test_trials_to_criterion_hand_made() -> None:
    assert trials_to_criterion(np.ones(50)) == 10
    assert trials_to_criterion(np.zeros(50)) == 50
    seq = np.array([0] * 5 + [1] * 45)
    assert trials_to_criterion(seq) == 13  # trials 4..13 (1-based) hold 8 of 10
    alternating = np.tile([1, 0], 25)
    assert trials_to_criterion(alternating) == 50
    blocks = np.stack([np.ones(50), np.zeros(50), seq])
    np.testing.assert_array_equal(trials_to_criterion(blocks), [10, 50, 13])


def test_reversal_metrics_on_known_records() -> None:
    correct = np.concatenate([np.ones((2, 50)), np.zeros((2, 5)), np.ones((2, 45))], axis=1)
    m = task_metrics("ReversalBandit", {"correct": correct}, {"reversal_every": 50})
    np.testing.assert_array_equal(m["trials_to_criterion"], [13, 13])
    np.testing.assert_array_equal(m["first_block_end"], [1, 1])


def same_chunks(a: Path, b: Path, study: Study) -> None:
    """The two study folders hold bitwise the same chunk files."""
    for chunk in study.chunks():
        with np.load(a / "chunks" / chunk.name) as x, np.load(b / "chunks" / chunk.name) as y:
            assert x.files == y.files
            for key in x.files:
                np.testing.assert_array_equal(x[key], y[key])


@pytest.mark.parametrize("workers", [1, 2])
def test_resume_after_interrupt_is_identical(tmp_path: Path, workers: int) -> None:
    full = small(tmp_path / "full")
    full.run(progress=False)
    write_report(full)

    class Stop(Exception):
        pass

    def stop(_chunk: Chunk) -> None:
        raise Stop

    broken = small(tmp_path / "broken")
    with pytest.raises(Stop):
        broken.run(progress=False, on_chunk=stop, workers=workers)
    written = len(list((tmp_path / "broken" / "chunks").glob("*.npz")))
    # one by one, the interrupt comes after the first chunk; in processes, the chunks in flight finish
    assert written == 1 if workers == 1 else 1 <= written <= workers
    assert not list((tmp_path / "broken" / "chunks").glob(".tmp-*"))
    resumed = small(tmp_path / "broken")
    assert len(resumed.pending()) == len(resumed.chunks()) - written
    resumed.run(progress=False, workers=workers)
    write_report(resumed)
    same_chunks(tmp_path / "full", tmp_path / "broken", full)
    assert (tmp_path / "full" / "results.csv").read_text() == (tmp_path / "broken" / "results.csv").read_text()


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_for(condition, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the workers through /proc (Linux)")
def test_a_killed_study_stops_its_workers_and_resumes_identically(tmp_path: Path) -> None:
    """The command, with worker processes, killed three ways after a chunk, then run to its end.

    SIGTERM (``kill``, a scheduler's limit) and Ctrl-C (SIGINT to the process group) stop it at
    once with a message; SIGKILL gives it no say, and its orphaned workers must end themselves.
    Every chunk file left is complete, and the resumed study equals an uninterrupted one.
    """
    out = tmp_path / "killed"
    # Ctrl-C as a terminal delivers it: started in the background of a non-interactive shell (as CI
    # may be), a process inherits SIGINT ignored, and Python then raises no KeyboardInterrupt.
    start = "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); import nmgym.cli as c; "
    start += "import faulthandler; faulthandler.register(signal.SIGUSR1, all_threads=True); "  # where a hang sits
    command = [sys.executable, "-c", start + "sys.exit(c.main(sys.argv[1:]))", "study", "ReversalBandit"]
    command += ["--lesion", "ne", "--agents", "8", "--seed", "3", "--trials", "100", "--chunk-size", "2"]
    command += ["--workers", "2", "--out", str(out)]
    total = len(small(out, agents=8).chunks())

    def written() -> list[Path]:
        return sorted((out / "chunks").glob("[!.]*.npz"))

    for sig, code in ((signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGKILL, -signal.SIGKILL)):
        before = len(written())
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        _wait_for(lambda before=before: len(written()) > before)
        workers = _children(process.pid)
        if sig == signal.SIGINT:
            os.killpg(process.pid, sig)  # what Ctrl-C sends
        else:
            process.send_signal(sig)
        try:
            _, err = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGUSR1)
            time.sleep(2)
            process.kill()
            pytest.fail(f"the study did not stop within 60 s of {sig.name}; its threads:\n{process.communicate()[1]}")
        assert process.returncode == code, err
        if sig != signal.SIGKILL:
            assert "run the same command again to resume" in err
            assert "leaked" not in err  # the resource tracker's warning
        assert len(workers) >= 2
        _wait_for(lambda workers=workers: not any(map(_running, workers)), seconds=15)
        assert len(written()) < total, "the study ended before it was killed"
        for path in written():
            np.load(path).close()  # complete
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    full = small(tmp_path / "full", agents=8)
    full.run(progress=False)
    write_report(full)
    same_chunks(tmp_path / "full", out, full)
    assert (tmp_path / "full" / "results.csv").read_text() == (out / "results.csv").read_text()


def _ignore_sigterm(ready) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    ready.set()
    time.sleep(60)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks a stand-in worker (POSIX)")
def test_stopping_the_workers_kills_one_that_outlives_sigterm() -> None:
    """An interrupted study's pool waits, in its clean-up, for as long as a worker lives: one that
    survives SIGTERM is killed once the wait for it is over."""
    context = multiprocessing.get_context("fork")  # the stand-in runs no torch
    ready = context.Event()
    worker = context.Process(target=_ignore_sigterm, args=(ready,))
    worker.start()
    assert ready.wait(30)
    _stop_workers(SimpleNamespace(_processes={worker.pid: worker}), seconds=0.5)  # type: ignore[arg-type]
    worker.join(10)
    assert worker.exitcode == -signal.SIGKILL


def test_worker_processes_give_the_same_results(tmp_path: Path) -> None:
    """Chunks run in two worker processes write bitwise what one process writes, each reported once."""
    one, two = small(tmp_path / "one"), small(tmp_path / "two")
    one.run(progress=False)
    seen: list[str] = []
    seconds = two.run(progress=False, workers=2, on_chunk=lambda chunk: seen.append(chunk.name))
    assert sorted(seen) == sorted(c.name for c in two.chunks())
    assert set(seconds) == {tmp_path / "two" / "chunks" / c.name for c in two.chunks()}
    assert all(t > 0 for t in seconds.values())
    same_chunks(tmp_path / "one", tmp_path / "two", one)


def test_an_error_in_a_worker_reaches_the_caller(tmp_path: Path) -> None:
    good = Chunk("ReversalBandit", "none", 0, 2, 0, 10)
    bad = Chunk("ReversalBandit", "none", 2, 4, 0, 10, {"reversal_every": -1})
    jobs = [(good, tmp_path / good.name), (bad, tmp_path / bad.name)]
    with pytest.raises(ValueError, match="reversal_every"):
        run_chunks(jobs, workers=2, progress=False)
    assert not (tmp_path / bad.name).exists()
    with pytest.raises(ValueError, match="workers=0 is not allowed"):
        run_chunks(jobs, workers=0, progress=False)


def test_only_tasks_with_an_ideal_observer_run_it_as_a_reference(tmp_path: Path) -> None:
    cue = Study("CueReward", ["da"], agents=2, seed=0, out=tmp_path / "c")
    assert cue.conditions == ["none", "da", "ref:td", "ref:random"]
    with pytest.raises(ValueError, match="ref:ideal: CueReward has no ideal observer; ReversalBandit, Sustained"):
        Study("CueReward", ["ref:ideal"], agents=2, seed=0, out=tmp_path / "d")
    chunk = Chunk("SustainedAttention", "ref:ideal", 0, 8, 0, 40)
    records = run_chunk(chunk)
    assert records["correct"].shape == (8, 40) and "trace_ne" not in records


def test_folder_with_another_study_is_refused(tmp_path: Path) -> None:
    small(tmp_path / "s").prepare()
    with pytest.raises(ValueError, match=r"holds a different study.*seed"):
        small(tmp_path / "s", seed=4).prepare()


def test_a_circuit_variant_is_part_of_the_study(tmp_path: Path) -> None:
    tonic = {"ach_transient": 0.0}  # the circuit without cholinergic transients (on by default)
    study = small(tmp_path / "s", circuit=tonic)
    assert study.manifest()["circuit_params"]["ach_transient"] == 0.0
    plastic = [c for c in study.chunks() if not c.condition.startswith("ref:")]
    assert plastic and all(c.circuit == tonic for c in plastic)
    assert all(c.circuit == {} for c in study.chunks() if c.condition.startswith("ref:"))
    study.prepare()
    default = CircuitParams().ach_transient
    with pytest.raises(ValueError, match=rf"circuit_params.ach_transient: folder has 0.0, asked {default}"):
        small(tmp_path / "s").prepare()
    # the chunk runs the variant: its recorded ACh level has no transients, the default's has (40
    # trials: the inputs' running variance must first settle from its prior of 1 before a signal's
    # rise evokes one; within 12 trials none did)
    chunk = Chunk("SustainedAttention", "none", 0, 2, 0, 40, {}, {}, record=2)
    default_run, variant = run_chunk(chunk), run_chunk(dataclasses.replace(chunk, circuit=tonic))
    assert np.all(variant["trace_ach"] == 1.0) and default_run["trace_ach"].max() > 1.1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["study", "NoSuchTask", "--lesion", "ne"], "unknown task 'NoSuchTask'"),
        (["study", "ReversalBandit", "--lesion", "serotonin"], "unknown lesion token 'serotonin'"),
        (["study", "ReversalBandit", "--lesion", "ne", "--param", "bogus=1"], "unknown parameter"),
        (["study", "ReversalBandit", "--lesion", "ne", "--agents", "0"], "--agents: must be an integer >= 1; got 0"),
        (["study", "ReversalBandit", "--lesion", "ne", "--circuit", "bogus=1"], "unknown parameter(s) bogus"),
        (["study", "ReversalBandit", "--lesion", "ne", "--circuit", "ach_transient=-1"], "ach_transient=-1"),
        (["study", "ReversalBandit", "--lesion", "ne", "--workers", "0"], "--workers 0 is not allowed"),
        (["study", "ReversalBandit", "--lesion", "ne", "--inputs", "prev"], "unknown input sub-space(s) ['prev']"),
        (["study", "ReversalBandit", "--lesion", "ne="], "missing scale after '=' in lesion token 'ne='"),
        (["study", "ReversalBandit", "--lesion", "ne", "--chunk-size", "0"], "--chunk-size: must be an integer >= 1"),
        (["study", "ReversalBandit", "--lesion", "ne", "--trials", "0"], "--trials: must be an integer >= 1; got 0"),
        (["study", "ReversalBandit", "--lesion", "ne", "--device", "gpu"], "unknown device 'gpu'"),
        (["study", "ReversalBandit", "--lesion", "ne", "--device", "gpu", "--workers", "1"], "unknown device 'gpu'"),
        (["train", "ReversalBandit", "--device", "gpu"], "unknown device 'gpu'"),
        (["reproduce", "--quick", "--device", "gpu"], "unknown device 'gpu'"),
        (["reproduce", "--quick", "--circuit", "bogus=1"], "unknown parameter(s) bogus"),
        (["reproduce", "--quick", "--circuit", "ach_transient=-1"], "ach_transient=-1"),
    ],
)
def test_bad_input_gives_clear_errors(tmp_path: Path, capsys, argv: list[str], message: str) -> None:
    assert main([*argv, "--out", str(tmp_path / "x")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()  # nothing written


def test_cli_refuses_other_study_folder(tmp_path: Path, capsys) -> None:
    out = str(tmp_path / "s")
    args = ["study", "ReversalBandit", "--lesion", "ne", "--agents", "2", "--trials", "20", "--out", out]
    assert main(args) == 0
    assert main([*args[:-2], "--seed", "5", "--out", out]) == 2
    assert "holds a different study" in capsys.readouterr().err
    assert main([*args[:-2], "--inputs", "all", "--out", out]) == 2  # the circuit reads other inputs
    assert "holds a different study" in capsys.readouterr().err
    every_input = tmp_path / "all"
    assert main([*args[:-2], "--inputs", "all", "--out", str(every_input)]) == 0
    assert json.loads((every_input / "manifest.json").read_text())["options"] == {}
    assert json.loads((Path(out) / "manifest.json").read_text())["options"] == {"inputs": ["trial"]}


def test_every_reproduce_row_is_decidable() -> None:
    """Each catalogue row finds its study, lesion and metrics, and decides to a bool (tiny runs)."""
    from agents.protocols import PROTOCOLS
    from nmgym.study import ROWS, STUDIES
    from nmgym.study.reproduce import SWEEPS, study_metrics
    from nmgym.study.runner import task_params

    fakes = {}
    for name, (task, lesions, params, _, _) in STUDIES.items():
        full = task_params(task, {**PROTOCOLS[task]["params"], **params})
        chunk = Chunk(task, "none", 0, 2, 0, 12, params, PROTOCOLS[task]["options"])
        metrics = {k: np.asarray(v, dtype=float) for k, v in task_metrics(task, run_chunk(chunk), full).items()}
        fakes[name] = {condition: metrics for condition in ["none", *lesions]}
    for name, parts in SWEEPS.items():  # a sweep's studies share lesions; each has its metric
        assert len({tuple(STUDIES[s][1]) for s in parts}) == 1, name
        assert all(metric in fakes[s]["none"] for s, metric in parts.items()), name
    for row in ROWS:
        fake = study_metrics(fakes, row.study)
        assert row.metric in fake["none"], (row.study, row.metric)
        assert row.lesion in fake, (row.study, row.lesion)
        assert isinstance(bool(row.holds(fake)), bool)
    used = {s for r in ROWS for s in SWEEPS.get(r.study, [r.study])}
    assert used == set(STUDIES)


# What a reproduce report's markdown needs of a run, for tests of that text alone
REPRODUCE_META = {
    "quick": True,
    "agents": 2,
    "seed": 0,
    "wall": 1.0,
    "workers": 1,
    "seconds": {},
    "machine": {"cpu": "x", "cpu_capability": "y", "torch": "z", "device": "cpu"},
}


def test_a_study_without_references_runs_the_circuits_only(tmp_path: Path) -> None:
    out = tmp_path / "s"
    argv = ["study", "ReversalBandit", "--lesion", "ne", "--agents", "2", "--trials", "20", "--out", str(out)]
    assert main([*argv, "--no-references"]) == 0
    assert json.loads((out / "manifest.json").read_text())["conditions"] == ["none", "ne"]
    assert sorted(p.name.split("_")[0] for p in (out / "chunks").iterdir()) == ["ne", "none"]
    assert main(argv) == 2  # with the references it is another study


def test_the_reproduce_report_names_a_circuit_variant() -> None:
    from nmgym.study.reproduce import markdown

    meta = REPRODUCE_META
    assert "Circuit variant" not in markdown([], {**meta, "circuit": {}})
    assert "Circuit variant: ach_transient=6.0 (the plastic conditions" in markdown(
        [], {**meta, "circuit": {"ach_transient": 6.0}}
    )


@pytest.mark.parametrize(
    "change, message",
    [
        ({"record": -1}, "record=-1 is not allowed; record must be an integer >= 0"),
        ({"references": "no"}, "Study: references='no' is not allowed; references must be True or False"),
        ({"options": {"bogus": 1}}, r"Study: unknown option\(s\) \['bogus'\]; allowed: inputs, efference"),
        ({"lesions": ["ne", 1]}, "Study: lesions must be lesion specs such as 'ne=0.3'; got 1"),
        ({"options": {"efference": "no"}}, "Study: efference='no' is not allowed; efference must be True or False"),
    ],
)
def test_a_study_refuses_bad_settings_before_it_runs(tmp_path: Path, change: dict, message: str) -> None:
    settings = {"lesions": ["ne"], "agents": 2, "seed": 0, "trials": 5, "out": tmp_path / "s", **change}
    with pytest.raises(ValueError, match=message):
        Study("CueReward", **settings)
    assert not (tmp_path / "s").exists()


def test_one_lesion_written_two_ways_is_one_condition(tmp_path: Path) -> None:
    study = Study("ReversalBandit", [" NE = 0.5", "ne=0.5", "da"], agents=2, seed=0, trials=20, out=tmp_path / "s")
    assert study.conditions[:3] == ["none", "ne=0.5", "da"]


def test_each_command_refuses_a_folder_another_command_wrote(tmp_path: Path, capsys) -> None:
    trained, studied, a_file = tmp_path / "trained", tmp_path / "studied", tmp_path / "notes.txt"
    a_file.write_text("mine")
    assert main(["train", "ReversalBandit", "--agents", "2", "--trials", "10", "--out", str(trained)]) == 0
    summary = (trained / "summary.json").read_text()
    study = ["study", "ReversalBandit", "--lesion", "ne", "--agents", "2", "--trials", "10"]
    assert main([*study, "--out", str(trained)]) == 2
    assert "holds the results of `nmgym train`" in capsys.readouterr().err
    assert (trained / "summary.json").read_text() == summary and not (trained / "manifest.json").exists()
    assert main([*study, "--out", str(studied)]) == 0
    assert main(["train", "ReversalBandit", "--agents", "2", "--trials", "10", "--out", str(studied)]) == 2
    assert "holds the results of `nmgym study`" in capsys.readouterr().err
    assert main(["reproduce", "--quick", "--out", str(studied)]) == 2
    assert "holds the results of `nmgym study`" in capsys.readouterr().err
    for command in (study, ["train", "ReversalBandit", "--agents", "2", "--trials", "10"]):
        assert main([*command, "--out", str(a_file)]) == 2
        assert f"--out {a_file} is a file" in capsys.readouterr().err
    assert a_file.read_text() == "mine"


def test_a_study_too_short_for_a_metric_says_so(tmp_path: Path, capsys) -> None:
    out = tmp_path / "s"
    argv = ["study", "ReversalBandit", "--lesion", "ne", "--agents", "2", "--trials", "45", "--out", str(out)]
    assert main(argv) == 0
    assert "trials_to_criterion, post_reversal_accuracy undefined for every agent" in capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["undefined_metrics"] == ["trials_to_criterion", "post_reversal_accuracy"]
    report = (out / "report.md").read_text()
    assert "**Undefined:** trials_to_criterion, post_reversal_accuracy" in report and "nan" not in report
    assert "- `first_block_end`: fraction correct over the last 10 trials of the first block" in report


def test_results_are_readable_by_others_as_umask_allows(tmp_path: Path) -> None:
    from nmgym.results_folder import FILE_MODE, atomic_write_npz, atomic_write_text

    mask = os.umask(0)
    os.umask(mask)
    assert 0o666 & ~mask == FILE_MODE
    atomic_write_text(tmp_path / "a.md", "x")
    atomic_write_npz(tmp_path / "b.npz", {"x": np.zeros(2)})
    for name in ("a.md", "b.npz"):
        assert (tmp_path / name).stat().st_mode & 0o777 == FILE_MODE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "b.npz"]  # no temporary left


def test_every_metric_is_described() -> None:
    from nmgym.study.metrics import DESCRIPTIONS, describe

    assert describe("SustainedAttention", "hits_l4") == "hit rate on 4-step signals, same trials"
    assert describe("WaitForReward", "failures_d90").startswith("fraction of rewarded trials with reward delay 90 ")
    assert describe("DistalReward", "accuracy_d50") == "fraction correct at reward delay 50, second half of the trials"
    assert describe("CueReward", "no_such_metric") == ""
    records = {
        key: np.zeros((2, 120))
        for key in ("correct", "reward", "go", "cue", "delay", "duration", "distractor", "left", "omission", "waited")
    }
    for task in DESCRIPTIONS:
        names = task_metrics(task, records, {})
        assert all(describe(task, name) for name in names), task


def test_a_resumed_study_removes_what_a_killed_write_left(tmp_path: Path) -> None:
    """A kill mid-write leaves a temporary file beside the chunk; the next run of the study removes
    it once it is stale (another process's write in progress, fresh, stays), and nothing else."""
    study = small(tmp_path / "s")
    study.prepare()
    chunks = tmp_path / "s" / "chunks"
    stale, fresh, mine = chunks / ".tmp-abc.npz", chunks / ".tmp-def.npz", chunks / "notes.txt"
    for path in (stale, fresh, mine):
        path.write_bytes(b"partial")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    os.utime(mine, (hour_ago, hour_ago))
    small(tmp_path / "s").prepare()
    assert not stale.exists() and fresh.exists() and mine.exists()
    other = small(tmp_path / "other", seed=5)
    other.prepare()
    (tmp_path / "other" / "chunks" / ".tmp-x.npz").write_bytes(b"partial")
    os.utime(tmp_path / "other" / "chunks" / ".tmp-x.npz", (hour_ago, hour_ago))
    with pytest.raises(ValueError, match="holds a different study"):
        small(tmp_path / "other").prepare()  # refused: it touches nothing there
    assert (tmp_path / "other" / "chunks" / ".tmp-x.npz").exists()


def test_without_matplotlib_every_command_says_it_drew_no_figures(tmp_path: Path, capsys, monkeypatch) -> None:
    from nmgym.study.reproduce import markdown

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed: importing it fails
    missing = 'matplotlib is not installed (pip install "nmgym[plot]")'
    out = tmp_path / "s"
    study = ["study", "ReversalBandit", "--lesion", "ne", "--agents", "2", "--trials", "20"]
    assert main([*study, "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert missing in printed.err and ".png" not in printed.out and "report.md" in printed.out
    assert not list(out.glob("*.png")) and missing in (out / "report.md").read_text()
    assert not [f for f in json.loads((out / "summary.json").read_text())["files"] if f.endswith(".png")]
    trained = tmp_path / "t"
    assert main(["train", "ReversalBandit", "--agents", "2", "--trials", "10", "--out", str(trained)]) == 0
    printed = capsys.readouterr()
    assert missing in printed.err and "curve.png" not in printed.out and "curve.csv" in printed.out
    assert (trained / "curve.csv").exists() and not (trained / "curve.png").exists()
    report = markdown([], {**REPRODUCE_META, "circuit": {}, "figures": {}})
    assert missing in report and "learning_curves.png" not in report


def test_reproduce_from_python_with_its_defaults_builds_every_study(tmp_path: Path, monkeypatch) -> None:
    """``nmgym.study.reproduce(out)`` as a script calls it: no circuit variant (``circuit=None``)."""
    module = importlib.import_module("nmgym.study.reproduce")  # the package's `reproduce` is the function

    class Built(Exception):
        pass

    def stop(jobs, **_):
        raise Built(len(jobs))

    monkeypatch.setattr(module, "run_chunks", stop)
    with pytest.raises(Built):
        module.reproduce(tmp_path / "r", quick=True, progress=False)
    manifests = sorted(path.parent.name for path in (tmp_path / "r" / "studies").glob("*/manifest.json"))
    assert manifests == sorted(module.STUDIES)


def test_a_study_from_python_takes_one_lesion_as_a_string_and_none_for_no_overrides(tmp_path: Path) -> None:
    study = Study("ReversalBandit", "ne=0.5", agents=2, seed=0, out=tmp_path / "s", params=None, circuit=None)
    assert study.conditions[:2] == ["none", "ne=0.5"]  # not the specs 'n', 'e', ...
    assert (
        study.circuit_params == CircuitParams()
        and study.overrides == Study("ReversalBandit", ["ne=0.5"], agents=2, seed=0, out=tmp_path / "t").overrides
    )


def test_reproduce_refuses_a_folder_of_another_reproduction_by_its_own_name(tmp_path: Path, monkeypatch) -> None:
    module = importlib.import_module("nmgym.study.reproduce")

    class Built(Exception):
        pass

    def stop(jobs, **_):
        raise Built

    monkeypatch.setattr(module, "run_chunks", stop)
    with pytest.raises(Built):
        module.reproduce(tmp_path / "r", quick=True, progress=False)  # writes the studies' manifests
    with pytest.raises(ValueError, match=r"--out .*r holds a reproduction with other settings \(studies/\w+: seed"):
        module.reproduce(tmp_path / "r", quick=True, seed=1, progress=False)
