"""The baseline agents: what they can drive, batch invariance, bad input, the train command."""

import importlib
import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

from agents import PlasticAgent, RandomAgent, TDAgent
from agents.protocols import PROTOCOLS, plastic_options, protocol
from agents.recorder import TrialRecorder
from agents.train import parse_assignments, train
from nmgym.circuit import CircuitParams
from nmgym.cli import main
from nmgym.envs import TaskVectorEnv
from nmgym.tasks import TASKS, make_task


@pytest.mark.parametrize("kind", ["task", "native", "native-torch", "sync", "single"])
def test_plastic_agent_drives_every_kind_of_env(kind):
    env = {
        "task": lambda: make_task("CrossAreaXOR", 4, seed=0),
        "native": lambda: TaskVectorEnv("CrossAreaXOR", 4),
        "native-torch": lambda: TaskVectorEnv("CrossAreaXOR", 4, backend="torch"),
        "sync": lambda: gym.make_vec("nmgym/CrossAreaXOR-v0", num_envs=4, vectorization_mode="sync"),
        "single": lambda: gym.make("nmgym/CrossAreaXOR-v0"),
    }[kind]()
    data = PlasticAgent(env, seed=0).run(30)
    assert data["correct"].shape == (1 if kind == "single" else 4, 30)
    assert set(data["correct"].unique().tolist()) <= {0.0, 1.0}


def test_the_native_vector_env_and_the_kernel_give_the_same_run():
    a = PlasticAgent(make_task("CueReward", 6, seed=3), seed=3).run(20)
    b = PlasticAgent(TaskVectorEnv("CueReward", 6), seed=3).run(20)
    for key in ("reward", "correct", "cue"):
        assert torch.equal(a[key], b[key]), key


@pytest.mark.parametrize("name, kwargs", [("ReversalBandit", {}), ("CueReward", {"trials_per_episode": 3})])
def test_a_single_gym_env_gives_the_kernels_run(name, kwargs):
    """Trials that end inside an episode (the bandit's 500-trial session, three cues an episode) and
    episodes that end: the single env's agent sees what the kernel's does, step for step."""
    kernel = PlasticAgent(make_task(name, 1, seed=3, **kwargs), seed=3).run(40)
    single = PlasticAgent(gym.make(f"nmgym/{name}-v0", **kwargs), seed=3).run(40)
    for key in ("reward", "correct", "steps"):
        assert torch.equal(kernel[key], single[key]), key


def test_the_cholinergic_transients_slope_sets_the_transient_only():
    """Three sigmoids read an event in an input's rise: ACh's transient, 5-HT persistence's release
    and the persistent units' latch. Each has its own slope, so a sweep of ``ach_transient_slope``
    with the transients off changes nothing, while either of the others changes the run."""

    def rewards(**settings: float) -> torch.Tensor:
        params = CircuitParams(ach_transient=0.0, ach_persistence=1.5, **settings)
        return PlasticAgent(make_task("CueReward", 8, seed=0), params=params, seed=0).run(40)["reward"]

    base = rewards()
    assert torch.equal(rewards(ach_transient_slope=2.0), base)
    assert not torch.equal(rewards(action_persistence_slope=2.0), base)
    assert not torch.equal(rewards(persistence_slope=2.0), base)


@pytest.mark.parametrize(
    "task, settings",
    [
        ("ReversalBandit", {}),
        ("ReversalBandit", {"actor_whitening": 0.5}),  # batched factorisations per agent
        ("SustainedAttention", {"ach_persistence": 1.0}),  # each agent's units released by its own transients
        ("WaitForReward", {"trial_locked_steps": 64}),  # each agent at its own step of trials of its own length
        ("WaitForReward", {"ach_trial_locked_steps": 8}),  # the same for ACh's expectations
    ],
)
def test_a_batched_run_equals_the_same_agents_run_one_at_a_time(task, settings):
    params = CircuitParams(**settings)
    batched = PlasticAgent(make_task(task, 5, seed=2), seed=2, params=params)
    together = batched.run(60)
    for i in range(5):
        alone = PlasticAgent(make_task(task, 1, seed=2, agent_offset=i), seed=2, params=params)
        single = alone.run(60)
        for key in ("reward", "correct"):
            assert torch.equal(single[key][0], together[key][i]), (key, i)
        assert torch.allclose(alone.circuit.W_pi[0], batched.circuit.W_pi[i], atol=1e-5)


@pytest.mark.parametrize("name", list(TASKS))
def test_the_cpu_skipping_idle_work_changes_nothing(name, monkeypatch):
    """On the CPU the eager task, circuit and recorder skip, on a step where no trial ends, the new
    trials' draws, the trial-end updates, NE's level (held) and reset, and the records' trial-end
    writes; without the skips (as on an accelerator) every record and every weight is bitwise the
    same, and so is every output of a vector env whose episodes end apart (three trials each), its
    final observations included. The bandit's 110 trials cross two reversals, so NE resets some
    agents."""
    trials = 110 if name == "ReversalBandit" else 30
    runs = []
    for skip in (True, False):
        if not skip:  # every module asks this one rule
            for module in ("nmgym.tasks.base", "nmgym.circuit.circuit", "agents.recorder"):
                monkeypatch.setattr(f"{module}.skips_idle_work", lambda *args, **kwargs: False)
        agent = PlasticAgent(make_task(name, 6, seed=4), seed=4, **plastic_options(protocol(name)["options"]))
        assert agent.circuit._skip_idle == agent.world.env._skip_idle == skip
        runs.append((agent.run(trials), agent.circuit))
    (skipped, circuit), (full, reference) = runs
    for key in full:
        assert torch.equal(skipped[key], full[key]), key
    for weight in ("W_pi", "W_v", "L_pi", "W_in", "W_loc", "uncertainty", "ne_short", "ne"):
        assert torch.equal(getattr(circuit, weight), getattr(reference, weight)), weight
    if name == "ReversalBandit":
        assert (reference.uncertainty > 0).any()  # a reset fired
    monkeypatch.undo()
    envs = [TaskVectorEnv(name, 4, backend="torch", trials_per_episode=3) for _ in range(2)]
    envs[1].task._skip_idle = False
    assert envs[0].task._skip_idle
    outputs = [[env.reset(seed=5)[0]] for env in envs]
    for step in range(60):
        action = torch.tensor([step % 2, 1, 0, step % 3 % 2])
        for env, output in zip(envs, outputs, strict=True):
            obs, reward, terminated, truncated, info = env.step(action)
            output += [obs, reward, terminated, truncated, info["final_obs"]]  # all of it, ended or not
    assert all(torch.equal(a, b) for a, b in zip(*outputs, strict=True))


def test_the_trial_recorder_keeps_each_trials_sum_and_its_last_step():
    """Two agents, two trials kept: reward and steps summed over a trial, info and correctness
    at its last step (a wrong decision anywhere in it makes it wrong), later trials dropped."""
    recorder = TrialRecorder(2, 2, torch.device("cpu"))
    steps = [  # reward, trial end, info value, decision, action, correct action
        ([1.0, 0.0], [False, True], [10, 20], [1, 1], [0, 1], [0, 0]),
        ([0.5, 2.0], [True, False], [11, 21], [0, 0], [1, 1], [0, 0]),
        ([3.0, 1.0], [True, True], [12, 22], [1, 1], [1, 1], [1, 0]),
        ([5.0, 5.0], [True, True], [13, 23], [1, 1], [0, 0], [1, 1]),
    ]
    for reward, end, value, decision, action, correct in steps:
        info = {"x": torch.tensor(value), "decision": torch.tensor(decision), "correct_action": torch.tensor(correct)}
        recorder.update(torch.tensor(action), torch.tensor(reward), torch.tensor(end), info)
    data = recorder.data
    assert data["reward"].tolist() == [[1.5, 3.0], [0.0, 3.0]]
    assert data["steps"].tolist() == [[2.0, 1.0], [1.0, 2.0]]
    assert data["correct"].tolist() == [[1.0, 1.0], [0.0, 0.0]]
    assert data["x"].tolist() == [[11.0, 12.0], [20.0, 22.0]]
    assert recorder.done()


def test_same_seed_same_results():
    runs = [PlasticAgent(make_task("CrossAreaXOR", 8, seed=1), seed=1, lesion="ne").run(40) for _ in range(2)]
    assert torch.equal(runs[0]["reward"], runs[1]["reward"])


def test_a_greedy_plastic_agent_takes_its_policys_most_probable_action_and_learns():
    """``greedy=True`` acts on the policy's argmax, and learns from it; sampling departs from it."""
    for greedy in (True, False):
        agent = PlasticAgent(make_task("ReversalBandit", 16, seed=0), seed=0, greedy=greedy)
        start = agent.circuit.W_pi.clone()
        agent.begin(agent.world.reset(seed=0))
        same = []
        for _ in range(40):
            expected = agent.circuit.probs.argmax(-1)
            action = agent.act()
            same.append(torch.equal(action, expected))
            agent.observe(*agent.world.step(action)[:4])
        assert all(same) if greedy else not all(same)
        assert not torch.equal(agent.circuit.W_pi, start)


@pytest.mark.parametrize("cls", [TDAgent, RandomAgent])
def test_td_and_random_agents_run(cls):
    data = cls(make_task("ReversalBandit", 8, seed=0), seed=0).run(50)
    assert data["reward"].shape == (8, 50)


def test_a_diverged_circuit_stops_the_run_with_a_clear_error():
    agent = PlasticAgent(make_task("CueReward", 4, seed=0), seed=0)
    agent.circuit.W_v[2].fill_(float("nan"))  # as if learning had blown up in agent 2
    with pytest.raises(FloatingPointError, match=r"diverged .* agents \[2\]"):
        agent.run(50)


def test_agents_refuse_envs_they_cannot_drive():
    with pytest.raises(TypeError, match="needs a Discrete action space"):
        PlasticAgent(gym.make("Pendulum-v1"))
    with pytest.raises(TypeError, match="cannot drive list"):
        PlasticAgent([1, 2])
    with pytest.raises(ValueError, match=r"unknown input sub-space\(s\) \['prev'\]"):
        PlasticAgent(make_task("ReversalBandit", 2), inputs=("prev",))
    with pytest.raises(ValueError, match="unknown lesion token 'dopamine'"):
        PlasticAgent(make_task("ReversalBandit", 2), lesion="dopamine")
    with pytest.raises(ValueError, match="n_trials=0 is not allowed"):
        PlasticAgent(make_task("ReversalBandit", 2)).run(0)


def test_train_writes_the_curve_and_the_summary(tmp_path):
    summary = train(
        "CrossAreaXOR", "td", agents=8, trials=40, seed=1, out=tmp_path, progress=False, params={"rule": "a"}
    )
    written = json.loads((tmp_path / "summary.json").read_text())
    assert written["settings"]["task_params"]["rule"] == "a" and written["agent"] == "td"
    assert len(written["curve"]) == 20 and written["final"] == summary["final"]
    # the final score is the last fifth of trials (32 of 40), not the curve's last bin
    late = [row for row in written["curve"] if row["trial_start"] >= 32]
    assert written["final"]["from_trial"] == 32
    assert written["final"]["correct"] == pytest.approx(sum(row["correct"] for row in late) / len(late), abs=1e-6)
    assert (tmp_path / "curve.csv").read_text().startswith("trial_start,trial_stop,reward")


def test_train_command_and_its_errors(tmp_path, capsys):
    assert (
        main(
            [
                "train",
                "ReversalBandit",
                "--agents",
                "4",
                "--trials",
                "20",
                "--lesion",
                "ne",
                "--param",
                "reversal_every=10",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    assert "last fifth of trials: reward/trial" in capsys.readouterr().out
    assert json.loads((tmp_path / "summary.json").read_text())["settings"]["lesion"] == "ne"
    assert main(["train", "CueReward", "--agent", "dqn", "--out", str(tmp_path)]) == 2
    assert "unknown agent 'dqn'; choose one of plastic, td, random, ppo, ppo-lstm" in capsys.readouterr().err
    assert main(["train", "CueReward", "--param", "n_cues", "--out", str(tmp_path)]) == 2
    assert "bad param 'n_cues': write NAME=VALUE" in capsys.readouterr().err


def test_train_starts_from_the_task_protocol_and_each_part_can_be_overridden(tmp_path):
    """A plain ``nmgym train`` runs the protocol behind the README's figures (ReversalBandit: 500
    trials, the circuit reading only the trial channel); ``--trials``, ``--param`` and ``--inputs``
    override its parts."""
    assert main(["train", "ReversalBandit", "--agents", "2", "--out", str(tmp_path / "a")]) == 0
    settings = json.loads((tmp_path / "a" / "summary.json").read_text())["settings"]
    assert settings["trials"] == 500 and settings["inputs"] == ["trial"]
    args = ["--agents", "2", "--trials", "10", "--param", "shaping_trials=0", "--inputs", "all"]
    assert main(["train", "WaitForReward", *args, "--out", str(tmp_path / "b")]) == 0
    settings = json.loads((tmp_path / "b" / "summary.json").read_text())["settings"]
    assert settings["trials"] == 10 and settings["task_params"]["shaping_trials"] == 0 and settings["inputs"] == "all"
    assert (
        train("WaitForReward", "td", agents=2, trials=5, progress=False)["settings"]["task_params"]["shaping_trials"]
        == PROTOCOLS["WaitForReward"]["params"]["shaping_trials"]
    )


def test_train_refuses_inputs_it_cannot_apply(tmp_path, capsys):
    assert main(["train", "ReversalBandit", "--inputs", "prev", "--out", str(tmp_path)]) == 2
    assert "unknown input sub-space(s) ['prev']" in capsys.readouterr().err
    assert main(["train", "ReversalBandit", "--agent", "td", "--inputs", "trial", "--out", str(tmp_path)]) == 2
    assert "--inputs apply to the plastic agent only, not to 'td'" in capsys.readouterr().err


def test_parse_assignments():
    assert parse_assignments(["delays=(5, 10)", "rule=xor", "p_high=0.7"], "param") == {
        "delays": (5, 10),
        "rule": "xor",
        "p_high": 0.7,
    }


def test_the_agent_tables_tuned_td_picks_its_setting_on_the_next_seed_and_scores_it_on_this_one(monkeypatch):
    """``scripts/agent_table.py --tune-td``: a learning rate of 0 never learns to go on the target
    cue, so 0.5 earns more and wins the grid, though never going is "correct" on 3 trials in 4;
    the reported run is that setting's on the scored seed, not the run that chose it."""
    monkeypatch.syspath_prepend(str(Path(__file__).parents[1] / "scripts"))
    agent_table = importlib.import_module("agent_table")
    monkeypatch.setattr(agent_table, "TD_GRID", {"lr": (0.0, 0.5), "epsilon": (0.05,), "lam": (0.9,)})
    seeds = []

    class SeedRecordingTD(TDAgent):
        def __init__(self, env, *, seed, **settings):
            seeds.append((seed, env.key[0].item()))
            super().__init__(env, seed=seed, **settings)

    monkeypatch.setattr(agent_table, "TDAgent", SeedRecordingTD)
    data, settings = agent_table.tuned_td("CueReward", {}, 120, 16, seed=4)
    assert settings == {"lr": 0.5, "epsilon": 0.05, "lam": 0.9}
    task_key = {s: make_task("CueReward", 1, seed=s).key[0].item() for s in (4, 5)}
    assert seeds == [(5, task_key[5])] * 2 + [(4, task_key[4])]  # the grid on the next seed, the scored run on this
    scored = TDAgent(make_task("CueReward", 16, seed=4), seed=4, **settings).run(120)
    assert torch.equal(data["reward"], scored["reward"])


def test_train_runs_td_at_its_protocols_settings_and_records_them(tmp_path):
    """``nmgym train --agent td`` runs TD at the task's protocol settings, as a study's reference does."""
    settings = protocol("WaitForReward")["td"]
    summary = train("WaitForReward", "td", agents=4, trials=30, seed=2, out=tmp_path, progress=False)
    assert summary["settings"]["td"] == settings
    direct = TDAgent(make_task("WaitForReward", 4, seed=2, shaping_trials=200), seed=2, **settings).run(30)
    assert summary["final"]["reward"] == pytest.approx(direct["reward"][:, 24:].mean().item(), abs=1e-6)
    plastic = train("WaitForReward", "plastic", agents=2, trials=3, seed=2, progress=False)
    assert "td" not in plastic["settings"]


def test_the_stuck_agents_script_reads_each_cues_onset(monkeypatch):
    """``scripts/cue_reward_stuck.py``: per-cue means by hand, and the DA it reads at a cue's onset
    is the error that brings the cue's news (trained circuits: good for the target, bad for the
    others; a step late, the cue is old news and the error near 0)."""
    monkeypatch.syspath_prepend(str(Path(__file__).parents[1] / "scripts"))
    stuck = importlib.import_module("cue_reward_stuck")
    go, cue = np.array([[1.0, 0.0, 1.0, 0.0]]), np.array([[0, 1, 0, 2]])
    np.testing.assert_array_equal(stuck.per_cue(go, cue, 4), [[1.0, 0.0, 0.0, np.nan]])  # cue 3 never came
    with torch.inference_mode():
        task = make_task("CueReward", 16, seed=1)
        agent = PlasticAgent(task, seed=1, record=True)
        data = agent.run(300)
    da = stuck.cue_onset_da(agent, task.params, data["cue"].numpy(), 300)
    assert da[:, 0].mean() > 0.3 and da[:, 1:].mean() < -0.05, da.mean(0)


def test_the_wait_for_reward_stuck_script_tells_never_rewarded_agents_from_those_that_stopped_waiting(monkeypatch):
    """``scripts/wait_for_reward_stuck.py``: its groups and the steps held before leaving, on records
    made by hand (10 trials: the last fifth is trials 8 and 9)."""
    monkeypatch.syspath_prepend(str(Path(__file__).parents[1] / "scripts"))
    stuck = importlib.import_module("wait_for_reward_stuck")
    zeros = np.zeros((4, 10))
    reward, correct = zeros.copy(), zeros.copy()
    reward[1, 2] = reward[2, 8] = reward[3, 9] = 1.0  # agent 0 never rewarded
    correct[1, 2] = 1.0  # agent 1 rewarded early, then wrong on the last fifth: it stopped waiting
    correct[2, 8:] = 1.0  # agent 2 right on both last trials
    correct[3, 9] = 1.0  # agent 3 right on one of two: not below one half
    left, omission, waited = zeros.copy(), zeros.copy(), zeros.copy()
    left[1, 8:] = 1.0
    waited[1, 8:] = [3.0, 7.0]
    omission[1, 9] = 1.0  # left an omission trial: not counted
    data = {"reward": reward, "correct": correct, "left": left, "omission": omission, "waited": waited}
    never, lost = stuck.groups(data, 10)
    assert never.tolist() == [True, False, False, False]
    assert lost.tolist() == [False, True, False, False]
    assert stuck.held_before_leaving(data, 10, lost) == 3.0
    assert np.isnan(stuck.held_before_leaving(data, 10, np.array([False, False, True, False])))


@pytest.mark.parametrize("script", ["cue_reward_stuck", "wait_for_reward_stuck"])
def test_the_stuck_agents_scripts_share_their_arguments_and_refuse_bad_ones_before_any_run(script, monkeypatch, capsys):
    """Both scripts read ``agent_table.seeds_arguments``: seeds as a list, the circuit's settings
    over the default; a bad circuit parameter, budget, agent count or seed list is the parser's
    error, before any run."""
    monkeypatch.syspath_prepend(str(Path(__file__).parents[1] / "scripts"))
    module = importlib.import_module(script)
    monkeypatch.setattr("sys.argv", [f"{script}.py", "--seeds", "4,7", "--circuit", "action_persistence=0"])
    args = importlib.import_module("agent_table").seeds_arguments("test")
    assert args.seeds == [4, 7] and args.params.action_persistence == 0.0 and args.budget == 1
    for argv, named in (
        (["--circuit", "no_such=1"], "no_such"),
        (["--budget", "0"], "--budget 0"),
        (["--agents", "0"], "--agents 0"),
        (["--seeds", "1,x"], "'1,x'"),
    ):
        monkeypatch.setattr("sys.argv", [f"{script}.py", *argv])
        with pytest.raises(SystemExit):
            module.main()
        assert named in capsys.readouterr().err


def test_the_greedy_gap_script_turns_greedy_when_the_slowest_agent_reaches_the_last_fifth(monkeypatch):
    """``scripts/greedy_gap.py``: on WaitForReward, whose trials differ in length, the agents sample
    until the last of them has finished ``start`` trials, then all take the policy's argmax."""
    monkeypatch.syspath_prepend(str(Path(__file__).parents[1] / "scripts"))
    greedy_gap = importlib.import_module("greedy_gap")
    agent = greedy_gap.GreedyFrom(make_task("WaitForReward", 8, seed=0), seed=0, start=3)
    agent.begin(agent.world.reset(seed=0))
    finished = torch.zeros(8, dtype=torch.int64)
    for _ in range(400):
        assert agent.greedy == bool(finished.min() >= 3)
        expected = agent.circuit.probs.argmax(-1)
        action = agent.act()
        if agent.greedy:
            assert torch.equal(action, expected)
        obs, reward, terminated, boundary = agent.world.step(action)[:4]
        agent.observe(obs, reward, terminated, boundary)
        finished += boundary.long()
    assert agent.greedy and finished.max() > finished.min()


def test_the_trace_precision_script_runs_every_agent_on_the_circuit_variant_it_names(monkeypatch, capsys):
    """``scripts/trace_precision.py --circuit``: both precisions, the intact and the ``ne``
    circuits all get the variant, and the header names it."""
    monkeypatch.syspath_prepend(str(Path(__file__).parents[1] / "scripts"))
    precision = importlib.import_module("trace_precision")
    made = []

    class Recorded(PlasticAgent):
        def __init__(self, *args, **kwargs):
            made.append((kwargs["params"], kwargs["trace_dtype"], kwargs["lesion"]))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(precision, "PlasticAgent", Recorded)
    argv = ["trace_precision.py", "--agents", "2", "--tasks", "ReversalBandit", "--circuit", "ne_contexts=1"]
    monkeypatch.setattr("sys.argv", argv)
    precision.main()
    assert "circuit: ne_contexts=1" in capsys.readouterr().out
    assert len(made) == 6 and all(params.ne_contexts == 1 for params, _, _ in made)
    assert {(dtype, lesion) for _, dtype, lesion in made} >= {(torch.bfloat16, "ne"), (torch.float32, None)}


def test_the_readout_probes_fit_is_the_penalised_likelihoods_optimum(monkeypatch):
    """``scripts/readout_probe.py``: Newton's method reaches the point where the gradient of the
    ridge-penalised log-likelihood vanishes, for two and for three classes."""
    monkeypatch.syspath_prepend(str(Path(__file__).parents[1] / "scripts"))
    probe = importlib.import_module("readout_probe")
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(3, 40, 4, generator=generator, dtype=torch.float64)
    for n_classes in (2, 3):
        y = torch.randint(0, n_classes, (3, 40), generator=generator)
        w = probe.fit_logistic(x, y, n_classes, ridge=1.0)
        X = torch.cat([x, torch.ones(3, 40, 1, dtype=torch.float64)], dim=-1)
        logits = torch.cat([X @ w.transpose(1, 2), torch.zeros(3, 40, 1, dtype=torch.float64)], dim=-1)
        p = torch.softmax(logits, -1)[..., : n_classes - 1]
        target = torch.nn.functional.one_hot(y, n_classes)[..., : n_classes - 1].double()
        grad = torch.einsum("btc,bti->bci", p - target, X) + w
        assert grad.abs().max() < 1e-8, grad.abs().max()
        assert torch.equal(probe.predict(w, x), logits.argmax(-1))


def test_the_readout_probe_decodes_a_signal_its_areas_hold_and_refuses_ragged_trials(monkeypatch):
    """A 6-step noiseless signal leaves its mark in the areas at the response step: the probe
    decodes it from the recorded readouts (answers misaligned with them would score about 0.5).
    WaitForReward's trials end at different steps for different agents: a clear error."""
    monkeypatch.syspath_prepend(str(Path(__file__).parents[1] / "scripts"))
    probe = importlib.import_module("readout_probe")
    with torch.inference_mode():
        task = make_task("SustainedAttention", 8, seed=2, noise_std=0.0, signal_durations=(6,))
        data = probe.record_responses(PlasticAgent(task, seed=2), 60)
        assert data["readout"].shape[:2] == data["policy"].shape[:2] == data["answer"].shape == (8, 60)
        assert 0 < data["answer"].float().mean() < 1
        correct = probe.probe_accuracy(data["readout"].double(), data["answer"], 2)
        assert correct.double().mean() > 0.95, correct.double().mean()
        with pytest.raises(ValueError, match="ended at different steps"):
            probe.record_responses(PlasticAgent(make_task("WaitForReward", 8, seed=0), seed=0), 5)


def test_the_protocol_scripts_run_the_circuit_their_circuit_flag_names_and_refuse_a_bad_one(monkeypatch, capsys):
    """``--circuit NAME=VALUE`` (``scripts/agent_table.py``'s parser, shared by the table, the probe,
    the greedy gap and the trace precision scripts) reaches every plastic agent the table, the probe
    and the greedy gap build, and an unknown name or a value out of range stops a script before any
    run, naming the problem."""
    monkeypatch.syspath_prepend(str(Path(__file__).parents[1] / "scripts"))
    scripts = {name: importlib.import_module(name) for name in ("agent_table", "readout_probe", "greedy_gap")}
    monkeypatch.setitem(scripts["agent_table"].PROTOCOLS, "SustainedAttention", ({}, 12, {}))  # shared by all three
    built = []
    plain_init = PlasticAgent.__init__

    def recording_init(self, env, **kwargs):
        plain_init(self, env, **kwargs)
        built.append(self.circuit.p)

    monkeypatch.setattr(PlasticAgent, "__init__", recording_init)  # GreedyFrom's too
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)  # main() sets 1; this process keeps its own
    flags = ["--agents", "4", "--tasks", "SustainedAttention", "--circuit", "ach_transient=0", "--circuit", "units=8"]
    for name, extra in (("agent_table", []), ("readout_probe", ["--fit-trials", "10"]), ("greedy_gap", [])):
        built.clear()
        monkeypatch.setattr("sys.argv", [f"{name}.py", *flags, *extra])
        scripts[name].main()
        assert [(p.ach_transient, p.units) for p in built] == [(0.0, 8)] * (2 if name == "greedy_gap" else 1), name
        assert "circuit: ach_transient=0, units=8" in capsys.readouterr().out, name
    built.clear()
    for bad, message in (("bogus=1", "unknown parameter"), ("units=0", "units=0 is not allowed")):
        monkeypatch.setattr("sys.argv", ["readout_probe.py", *flags[:4], "--circuit", bad])
        with pytest.raises(SystemExit):
            scripts["readout_probe"].main()
        assert message in capsys.readouterr().err
    assert built == []
