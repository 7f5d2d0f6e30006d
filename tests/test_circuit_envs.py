"""Circuit envs (``nmgym/Circuit-<Task>-v0``): checkers, the vector contract, stimulation, bad input."""

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_env

import nmgym
from nmgym.envs import CircuitEnv, CircuitVectorEnv, circuit_env_id

TASKS = list(nmgym.TASKS)
BANDIT = {"lesion": "ne", "inputs": ("trial",), "session_trials": 5}


def index(env: CircuitEnv | CircuitVectorEnv, name: str) -> int:
    """First observation index of sub-space ``name``."""
    start = 0
    for sub, width, *_ in env.world.layout:
        if sub == name:
            return start
        start += width
    raise KeyError(name)


@pytest.mark.parametrize("task", TASKS)
def test_checkers_pass(task):
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = gym.make(circuit_env_id(task), session_trials=3, lesion="ne")
    check_env(env.unwrapped)
    sb3_check_env(env.unwrapped)
    assert isinstance(gym.make_vec(circuit_env_id(task), num_envs=2, session_trials=3), CircuitVectorEnv)


def test_make_without_import():
    env = gym.make("nmgym:nmgym/Circuit-CueReward-v0", session_trials=2)
    assert env.action_space == gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
    assert env.observation_space.shape == (6 + 7 + 2,)


def test_vector_contract():
    env = gym.make_vec(circuit_env_id("ReversalBandit"), num_envs=3, **BANDIT)
    obs, info = env.reset(seed=1)
    assert obs.shape == (3, 13) and obs.dtype == np.float32 and info == {}
    for t in range(1, 11):
        action = env.action_space.sample()
        obs, reward, terminated, truncated, info = env.step(action)
        assert obs.shape == (3, 13) and obs.dtype == np.float32
        assert reward.shape == (3,) and reward.dtype == np.float32
        assert terminated.dtype == bool and truncated.dtype == bool and not terminated.any()
        assert env.observation_space.contains(obs)
        assert truncated.all() == (t % 5 == 0) and np.array_equal(info["_final_obs"], truncated)
        session = index(env.unwrapped, "session")
        if t % 5 == 0:  # the session ended: final_obs is its last step, obs the next session's first
            np.testing.assert_allclose(info["final_obs"][:, session], 1.0)
            np.testing.assert_allclose(obs[:, session], 0.0)
        else:
            np.testing.assert_allclose(obs[:, session], (t % 5) / 5)
        np.testing.assert_allclose(reward, info["task_reward"] - 0.01 * (np.clip(action, -1, 1) ** 2).sum(1), 1e-6)
        for key in ("circuit_action", "correct_action", "task_reward", "stim_cost", "stimulation"):
            assert info[key].shape[0] == 3 and info[f"_{key}"].all()


def test_torch_backend_and_agent_zero_matches_the_single_env():
    vec = CircuitVectorEnv("ReversalBandit", 3, backend="torch", **BANDIT)
    single = CircuitEnv("ReversalBandit", **BANDIT)
    obs_v, _ = vec.reset(seed=7)
    obs_s, _ = single.reset(seed=7)
    assert isinstance(obs_v, torch.Tensor)
    np.testing.assert_array_equal(obs_v[0].numpy(), obs_s)
    gen = torch.Generator().manual_seed(0)
    for _ in range(12):
        action = torch.rand(3, 4, generator=gen) * 2 - 1
        obs_v, reward_v, _, trunc_v, info_v = vec.step(action)
        obs_s, reward_s, _, trunc_s, info_s = single.step(action[0].numpy())
        last_v = info_v["final_obs"] if trunc_v[0] else obs_v  # the single env returns the final obs
        np.testing.assert_array_equal(last_v[0].numpy(), obs_s)
        if trunc_s:  # reset() hands out the session the env began within the step, as the vector env did
            np.testing.assert_array_equal(single.reset()[0], obs_v[0].numpy())
        assert reward_v[0].item() == pytest.approx(reward_s) and bool(trunc_v[0]) == trunc_s


def test_seeded_reset_replays_and_sessions_get_new_circuits():
    env = CircuitVectorEnv("ReversalBandit", 2, **BANDIT)
    runs = []
    for _ in range(2):
        env.reset(seed=3)
        first = env.world.circuit.W_in.clone()
        rewards = [env.step(np.full((2, 4), 0.2, np.float32))[1] for _ in range(5)]
        runs.append((first, np.stack(rewards)))
        # the session ended at step 5: new weights from a new seed stream, no learned readout yet
        assert not torch.equal(env.world.circuit.W_in, first)
        assert torch.equal(env.world.circuit.W_pi, torch.zeros_like(env.world.circuit.W_pi))
    assert torch.equal(runs[0][0], runs[1][0]) and np.array_equal(runs[0][1], runs[1][1])


def test_stimulation_changes_the_modulator_levels():
    env = CircuitEnv("ReversalBandit", **BANDIT)
    obs, _ = env.reset(seed=0)
    ne, ach, sht = (index(env, name) for name in ("ne", "ach", "5ht"))
    assert obs[ne] == 0.0 and obs[ach] == 1.0 and obs[sht] == 1.0  # NE lesioned; ACh, 5-HT at rest
    obs, *_ = env.step(np.array([0.0, 0.6, 0.5, -0.25], np.float32))
    assert obs[ne] == pytest.approx(0.6) and obs[ach] == pytest.approx(1.5) and obs[sht] == pytest.approx(0.75)
    obs, *_ = env.step(np.zeros(4, np.float32))
    assert obs[ne] == 0.0 and obs[ach] == 1.0 and obs[sht] == 1.0
    scaled = CircuitEnv("ReversalBandit", stim_scale=[1.0, 0.5, 1.0, 1.0], **BANDIT)
    scaled.reset(seed=0)
    obs, _, _, _, info = scaled.step(np.array([0.5, 1.0, 0.0, 0.0], np.float32))
    assert obs[ne] == pytest.approx(0.5)
    np.testing.assert_allclose(info["stimulation"], [0.5, 0.5, 0.0, 0.0])
    assert env.world.circuit.stimulated


def test_bad_actions_give_clear_errors():
    env = CircuitEnv("ReversalBandit", **BANDIT)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"shape \(4,\).*got shape \(3,\)"):
        env.step(np.zeros(3, np.float32))
    with pytest.raises(TypeError, match=r"float array.*got dtype int64"):
        env.step(np.zeros(4, np.int64))
    with pytest.raises(TypeError, match="got dtype"):
        env.step(1)
    with pytest.raises(ValueError, match="NaN"):
        env.step(np.array([0.0, np.nan, 0.0, 0.0], np.float32))
    vec = CircuitVectorEnv("ReversalBandit", 2, **BANDIT)
    vec.reset(seed=0)
    with pytest.raises(ValueError, match=r"shape \(2, 4\).*got shape \(4,\)"):
        vec.step(np.zeros(4, np.float32))
    with pytest.raises(TypeError, match=r"got dtype torch\.int64"):
        vec.step(torch.zeros(2, 4, dtype=torch.int64))
    with pytest.raises(ValueError, match="NaN"):
        vec.step(torch.full((2, 4), float("inf")))
    out_of_range = vec.step(np.full((2, 4), 5.0, np.float32))[4]["stimulation"]
    np.testing.assert_allclose(out_of_range, 1.0)  # clipped to the action space


def test_bad_keywords_give_clear_errors():
    with pytest.raises(ValueError, match=r"unknown input sub-space\(s\) \[.cue.\]"):
        CircuitEnv("ReversalBandit", inputs=("cue",))
    with pytest.raises(ValueError, match="session_trials=0"):
        CircuitEnv("ReversalBandit", session_trials=0)
    with pytest.raises(ValueError, match="stim_scale"):
        CircuitEnv("ReversalBandit", stim_scale=[1.0, 2.0])
    with pytest.raises(ValueError, match="unknown lesion token"):
        CircuitEnv("ReversalBandit", lesion="dopamine")
    with pytest.raises(ValueError, match="reversal_every"):
        CircuitEnv("ReversalBandit", reversal_every=0)
    with pytest.raises(ValueError, match="same_step"):
        CircuitVectorEnv("ReversalBandit", 2, autoreset_mode="disabled")
    assert CircuitEnv("ReversalBandit").world.session_trials == 500
    assert CircuitEnv("CueReward").world.session_trials == 200


def test_sessions_end_after_session_trials_when_trials_differ_in_length():
    env = CircuitVectorEnv("CueReward", 4, session_trials=3, backend="torch")
    env.reset(seed=2)
    trials, ends = torch.zeros(4, dtype=torch.int64), torch.zeros(4, dtype=torch.int64)
    gen = torch.Generator().manual_seed(1)
    for _ in range(80):  # 10-step trials, cut short where the circuit breaks fixation
        _, _, _, truncated, info = env.step(torch.rand(4, 4, generator=gen) * 2 - 1)
        trials += info["trial_end"].long()
        assert torch.equal(truncated, info["trial_end"] & (trials == 3))
        ends += truncated.long()
        trials = torch.where(truncated, 0, trials)
    assert bool((ends >= 2).all())
