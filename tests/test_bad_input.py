"""Bad input raises a clear error that names what was wrong and what is allowed, and loses nothing."""

import math

import gymnasium as gym
import numpy as np
import pytest
import torch

import nmgym
from nmgym.envs import TaskVectorEnv
from nmgym.tasks import CueReward, make_task
from tests.conftest import TASK_NAMES, rollout


@pytest.mark.parametrize(
    "action, error, message",
    [
        (torch.zeros(3, dtype=torch.int64), ValueError, r"action must have shape \(4,\); got \(3,\)"),
        (torch.zeros(4, 1, dtype=torch.int64), ValueError, r"action must have shape \(4,\)"),
        (torch.zeros(4), TypeError, "action must have an integer dtype .* got torch.float32"),
        (torch.tensor([0, 1, 2, 0]), ValueError, r"out of range; allowed values are 0..1 \(no-go, go\); got \[2\]"),
        (torch.tensor([0, -1, 0, 0]), ValueError, r"got \[-1\] at agent\(s\) \[1\]"),
        ([0, 1, 0, 1], TypeError, "action must be a torch tensor"),
    ],
)
def test_kernel_rejects_bad_actions(action, error, message):
    task = CueReward(4, seed=0)
    with pytest.raises(error, match=message):
        task.step(action)


def test_a_rejected_action_changes_nothing():
    task, reference = CueReward(4, seed=0), CueReward(4, seed=0)
    rollout(task, 3)
    rollout(reference, 3)
    with pytest.raises(ValueError):
        task.step(torch.tensor([0, 5, 0, 0]))
    a, b = rollout(task, 20), rollout(reference, 20)
    assert all(torch.equal(a[k], b[k]) for k in ("obs", "reward", "terminated"))


@pytest.mark.parametrize(
    "action, error, message",
    [
        (2, ValueError, r"integer in 0..1 \(no-go, go\); got 2"),
        (-1, ValueError, "got -1"),
        (float("nan"), TypeError, "got nan of type float"),
        (np.float32(1.0), TypeError, "of type float32"),
        (np.array([0, 1]), ValueError, r"one value, an integer .* array of shape \(2,\)"),
        (True, TypeError, "got True"),
    ],
)
def test_single_env_rejects_bad_actions(action, error, message):
    env = gym.make("nmgym/CueReward-v0").unwrapped
    env.reset(seed=0)
    with pytest.raises(error, match=message):
        env.step(action)


def test_single_env_accepts_numpy_integer_actions():
    env = gym.make("nmgym/CueReward-v0").unwrapped
    env.reset(seed=0)
    env.step(np.int64(1))
    env.step(np.array(0))


def test_vector_env_rejects_bad_actions():
    venv = TaskVectorEnv("ReversalBandit", 4)
    venv.reset(seed=0)
    with pytest.raises(TypeError, match=r"actions must be integers in 0..1 .* got dtype float64"):
        venv.step(np.array([0.0, 1.0, np.nan, 0.0]))
    with pytest.raises(ValueError, match=r"shape \(4,\); got \(2,\)"):
        venv.step(np.array([0, 1]))
    with pytest.raises(ValueError, match="out of range"):
        venv.step(np.array([0, 1, 3, 0]))
    with pytest.raises(ValueError, match="backend='jax' is not allowed; choose one of numpy, torch"):
        TaskVectorEnv("ReversalBandit", 4, backend="jax")
    with pytest.raises(ValueError, match="autoreset_mode='sometimes' is not allowed"):
        TaskVectorEnv("ReversalBandit", 4, autoreset_mode="sometimes")


def test_unknown_task_names():
    with pytest.raises(ValueError, match="unknown task 'Nope'; known tasks: CueReward, DistalReward"):
        make_task("Nope")
    with pytest.raises(gym.error.NameNotFound, match="Nope"):
        gym.make("nmgym/Nope-v0")


@pytest.mark.parametrize(
    "name, params, message",
    [
        ("DistalReward", {"delays": (5, -1)}, r"delays=\(5, -1\) is not allowed; delays must be a non-empty tuple"),
        ("DistalReward", {"delays": ()}, "delays must be a non-empty tuple"),
        ("DistalReward", {"distractor_rate": 1.5}, r"distractor_rate=1.5 .* must be a finite number >= 0.0 <= 1.0"),
        ("ReversalBandit", {"p_high": 1.2}, "p_high=1.2 is not allowed"),
        ("ReversalBandit", {"p_low": 0.9}, r"p_low=0.9 .* <= 0.8"),
        ("ReversalBandit", {"reversal_every": 0}, "reversal_every=0 .* integer >= 1"),
        ("WaitForReward", {"omission_prob": float("nan")}, "omission_prob=nan .* finite number"),
        ("WaitForReward", {"delays": (30, 2.5)}, "delays must be a non-empty tuple of integers"),
        ("CueReward", {"target_cue": 4}, "target_cue=4 .* <= 3"),
        ("CueReward", {"reward_step": 1}, r"reward_step=1 .* >= 3"),
        ("CrossAreaXOR", {"rule": "and"}, "rule='and' .* one of 'xor', 'a', 'b'"),
        ("SustainedAttention", {"signal_durations": (1, 9)}, r"signal_durations=\(1, 9\) .* <= 6"),
        ("CueReward", {"colour": 3}, "unknown parameter.*colour; allowed: trials_per_episode, n_cues"),
        ("CueReward", {"trials_per_episode": 0}, "trials_per_episode=0"),
    ],
)
def test_impossible_parameters(name, params, message):
    with pytest.raises(ValueError, match=message):
        make_task(name, 2, **params)
    with pytest.raises(ValueError, match=message):
        gym.make(nmgym.env_id(name), **params)


@pytest.mark.parametrize("name", TASK_NAMES)
def test_bad_batch_arguments(name):
    with pytest.raises(ValueError, match="num_envs=0 is not allowed"):
        make_task(name, 0)
    with pytest.raises(ValueError, match="seed=-3 is not allowed"):
        make_task(name, 2, seed=-3)
    task = make_task(name, 2)
    with pytest.raises(ValueError, match=r"reset mask must be a bool tensor of shape \(2,\)"):
        task.reset(mask=torch.ones(2, dtype=torch.int64))


def test_numpy_integers_count_as_integers_and_are_stored_as_ints():
    """A count or seed read from a numpy array is an integer too; what is kept is a plain ``int``
    (so settings stay JSON-serialisable), and the same checks apply."""
    import json

    from agents import PlasticAgent

    task = make_task("CueReward", np.int64(2), seed=np.int64(1), n_cues=np.int64(3))
    assert task.num_envs == 2 and type(task.params.n_cues) is int
    json.dumps(task.params.__dict__)
    agent = PlasticAgent(task, seed=np.int64(1))
    assert type(agent.seed) is int and agent.run(np.int64(3))["reward"].shape == (2, 3)
    bad_cues = r"CueRewardParams: n_cues=\S*1\)? is not allowed; n_cues must be an integer >= 2"
    with pytest.raises(ValueError, match=bad_cues):
        make_task("CueReward", 2, n_cues=np.int64(1))
    with pytest.raises(ValueError, match=r"CueReward: num_envs=2\.0 is not allowed"):
        make_task("CueReward", 2.0)


def test_switches_take_booleans_only_and_the_cli_reads_true_and_false(tmp_path):
    """A string such as ``"false"`` would read as true: the circuit's and the tasks' switches
    refuse anything but a boolean, and the command line reads ``true``/``false`` as booleans."""
    import json

    from nmgym.circuit import CircuitParams
    from nmgym.cli import main

    for name in ("actor_input", "hidden_covariance", "hidden_norm", "chosen_feedback"):
        for bad in ("false", 0, None):
            message = f"CircuitParams: {name}=.* is not allowed; {name} must be True or False"
            with pytest.raises(ValueError, match=message):
                CircuitParams().replace(**{name: bad})
    params = CircuitParams(actor_input=np.bool_(True))
    assert params.actor_input is True
    with pytest.raises(ValueError, match="fixation_required='yes' is not allowed; fixation_required must be True or"):
        make_task("CueReward", 2, fixation_required="yes")
    for text, value in (("false", False), ("TRUE", True), ("True", True)):
        out = tmp_path / text
        argv = ["train", "CueReward", "--agents", "2", "--trials", "3", "--circuit", f"actor_input={text}"]
        assert main([*argv, "--param", f"fixation_required={text}", "--out", str(out)]) == 0
        settings = json.loads((out / "summary.json").read_text())["settings"]
        assert settings["circuit_params"]["actor_input"] is value
        assert settings["task_params"]["fixation_required"] is value


@pytest.mark.parametrize("device, message", [("gpu", "unknown device 'gpu'"), ("cuda:99", "device 'cuda:99' is not")])
def test_an_unusable_device_is_refused_with_a_reason(device, message):
    if device.startswith("cuda") and torch.cuda.device_count() > 99:
        pytest.skip("this machine has that many GPUs")
    with pytest.raises(ValueError, match=message):
        make_task("CueReward", 2, device=device)
    with pytest.raises(ValueError, match=message):
        gym.make_vec(nmgym.env_id("CueReward"), num_envs=2, backend="torch", device=device)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_on_a_machine_without_it_says_why():
    with pytest.raises(ValueError, match=r"device 'cuda' is not available: (this torch build has no CUDA|no CUDA GPU)"):
        make_task("CueReward", 2, device="cuda")


def test_circuit_params_given_as_a_dict_are_refused_with_the_way_to_build_them():
    from agents import PlasticAgent
    from nmgym.circuit import Circuit

    for build, owner in (
        (lambda: PlasticAgent(CueReward(2, seed=0), params={"beta": 2.0}), "PlasticAgent"),
        (lambda: Circuit(2, 3, 2, params={"beta": 2.0}), "Circuit"),
    ):
        with pytest.raises(
            TypeError, match=rf"{owner}: params must be a CircuitParams, e\.g\. CircuitParams\(beta=2\.0\)"
        ):
            build()


def test_one_input_sub_space_may_be_named_by_a_string():
    from agents import PlasticAgent
    from nmgym.tasks import ReversalBandit

    one = PlasticAgent(ReversalBandit(2, seed=0), inputs="trial", seed=0)
    assert one.columns.tolist() == PlasticAgent(ReversalBandit(2, seed=0), inputs=("trial",), seed=0).columns.tolist()
    with pytest.raises(ValueError, match=r"unknown input sub-space\(s\) \['trail'\]"):
        PlasticAgent(ReversalBandit(2, seed=0), inputs="trail", seed=0)


def test_agents_and_circuits_refuse_a_seed_the_tasks_refuse():
    from agents import PlasticAgent, RandomAgent, TDAgent
    from nmgym.circuit import Circuit

    for cls in (PlasticAgent, TDAgent, RandomAgent):
        for seed in (-1, 1.5, True):
            with pytest.raises(ValueError, match=rf"{cls.__name__}: seed={seed!r} is not allowed"):
                cls(CueReward(2, seed=0), seed=seed)
    with pytest.raises(ValueError, match="Circuit: seed=-1 is not allowed"):
        Circuit(2, 3, 2, seed=-1)
    with pytest.raises(ValueError, match="Circuit: agent_offset=-2 is not allowed"):
        Circuit(2, 3, 2, agent_offset=-2)


class _NaNAt(gym.Wrapper):
    """A Gymnasium env whose ``bad`` step returns a NaN observation, or a NaN reward."""

    def __init__(self, env: gym.Env, bad: int, what: str):
        super().__init__(env)
        self.bad, self.what, self.steps = bad, what, 0

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.steps += 1
        if self.steps == self.bad:
            if self.what == "observation":
                obs = obs.copy()
                obs[1] = np.nan
            else:
                reward = float("inf")
        return obs, reward, terminated, truncated, info


@pytest.mark.parametrize("what", ["observation", "reward"])
def test_a_gym_envs_nan_is_refused_before_the_circuit_learns_from_it(what):
    from agents import PlasticAgent

    agent = PlasticAgent(_NaNAt(gym.make(nmgym.env_id("CueReward")), bad=25, what=what), seed=0)
    with pytest.raises(ValueError, match=rf"the env returned a non-finite {what} \(NaN or inf\) for env\(s\) \[0\]"):
        agent.run(10)
    assert all(torch.isfinite(w).all() for w in (agent.circuit.W_in, agent.circuit.W_pi, agent.circuit.W_v))


def test_the_circuit_refuses_inputs_of_the_wrong_shape():
    from nmgym.circuit import Circuit

    circuit = Circuit(4, 3, 2)
    with pytest.raises(ValueError, match=r"Circuit: x must be a tensor of shape \(4, 3\); got \(4, 5\)"):
        circuit.forward(torch.zeros(4, 5))
    with pytest.raises(ValueError, match=r"Circuit: reset must be a tensor of shape \(4,\); got \(2,\)"):
        circuit.forward(torch.zeros(4, 3), reset=torch.zeros(2, dtype=torch.bool))
    circuit.forward(torch.zeros(4, 3))
    circuit.act()
    with pytest.raises(ValueError, match=r"Circuit: reward must be a tensor of shape \(4,\); got list"):
        circuit.learn([0.0] * 4, torch.zeros(4, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"Circuit.stimulate: levels must be a tensor of shape \(4, 4\); got \(4,\)"):
        circuit.stimulate(torch.zeros(4))


def test_the_circuit_refuses_non_finite_values_and_bad_actions_and_is_left_unchanged():
    from agents.checkpoint import capture
    from nmgym.circuit import Circuit

    circuit = Circuit(4, 3, 2)
    circuit.forward(torch.zeros(4, 3))
    circuit.act()
    circuit.forward(torch.ones(4, 3))
    circuit.learn(torch.ones(4), torch.zeros(4, dtype=torch.bool))  # leaves a capture pending (settle())

    def snapshot() -> dict:
        return {k: v.clone() if torch.is_tensor(v) else v for k, v in capture({"circuit": circuit}).items()}

    def flagged(value: torch.Tensor, entries: list[tuple[int, ...]], bad: float) -> torch.Tensor:
        value = value.clone()
        for entry in entries:
            value[entry] = bad
        return value

    before = snapshot()
    ready = torch.zeros(4, dtype=torch.bool)
    cases = [
        (
            lambda: circuit.forward(flagged(torch.ones(4, 3), [(2, 1)], math.nan)),
            r"x holds NaN or infinity \(agents 2\)",
            ValueError,
        ),
        (
            lambda: circuit.learn(flagged(torch.zeros(4), [(1,), (3,)], math.inf), ready),
            r"reward holds NaN or infinity \(agents 1, 3\)",
            ValueError,
        ),
        (
            lambda: circuit.stimulate(flagged(torch.zeros(4, 4), [(0, 2)], -math.inf)),
            r"Circuit.stimulate: levels holds NaN or infinity \(agents 0\)",
            ValueError,
        ),
        (lambda: circuit.act(torch.tensor([0, 2, 1, -1])), r"action is outside 0..1 \(agents 1, 3\)", ValueError),
        (lambda: circuit.act(torch.zeros(4)), r"action must be a torch.int64 tensor; got torch.float32", TypeError),
        (lambda: circuit.learn(torch.zeros(4), torch.zeros(4)), r"terminated must be a torch.bool tensor", TypeError),
        (
            lambda: circuit.forward(torch.ones(4, 3), reset=torch.zeros(4)),
            r"reset must be a torch.bool tensor",
            TypeError,
        ),
    ]
    for call, message, error in cases:
        with pytest.raises(error, match=message):
            call()
        after = snapshot()
        assert after.keys() == before.keys()
        for key, value in before.items():
            same = torch.equal(value, after[key]) if torch.is_tensor(value) else value == after[key]
            assert same, f"{message}: {key} changed"


def test_switch_arguments_take_booleans_and_traces_a_float_dtype():
    """A string such as ``"no"`` would read as true: the Python entry points refuse it."""
    from agents import PlasticAgent
    from nmgym.study.reproduce import reproduce

    task = make_task("CueReward", 2)
    cases = [
        (lambda: PlasticAgent(task, efference="no"), "PlasticAgent: efference='no' is not allowed"),
        (lambda: PlasticAgent(task, greedy="no"), "PlasticAgent: greedy='no' is not allowed"),
        (lambda: PlasticAgent(task, record="no"), "Circuit: record='no' is not allowed"),
        (lambda: PlasticAgent(task, compile="no"), "Circuit: compile='no' is not allowed"),
        (lambda: make_task("CueReward", 2, compile="no"), "CueReward: compile='no' is not allowed"),
        (lambda: make_task("CueReward", 2, keep_final_obs=1), "CueReward: keep_final_obs=1 is not allowed"),
        (lambda: reproduce("unused", quick="no"), "quick='no' is not allowed; quick must be True or False"),
        (lambda: PlasticAgent(task, trace_dtype=torch.int32), "trace_dtype must be a floating torch dtype"),
    ]
    for build, message in cases:
        with pytest.raises(ValueError, match=message):
            build()
    assert make_task("CueReward", 2, compile=np.bool_(False)).compiled is False
