"""The Gymnasium fronts: checkers, registration, and the vector env's contract."""

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import nmgym
from nmgym.envs import TaskEnv, TaskVectorEnv
from tests.conftest import TASK_NAMES


@pytest.mark.parametrize("name", TASK_NAMES)
def test_gymnasium_and_sb3_checkers_pass(name):
    env = gym.make(nmgym.env_id(name))
    check_env(env.unwrapped)
    sb3_check_env(env.unwrapped, warn=True)


def test_every_env_renders_nothing_as_gymnasium_specifies_for_no_render_mode():
    envs = [
        gym.make("nmgym/CueReward-v0"),
        gym.make_vec("nmgym/CueReward-v0", num_envs=2),
        gym.make("nmgym/Circuit-CueReward-v0", session_trials=2),
        gym.make_vec("nmgym/Circuit-CueReward-v0", num_envs=2, session_trials=2),
    ]
    for env in envs:
        env.reset(seed=0)
        assert env.render_mode is None and env.render() is None
        with pytest.raises(ValueError, match="render_mode='human' is not supported"):
            type(env.unwrapped)("CueReward", render_mode="human")


def test_make_without_prior_import_and_make_vec_returns_the_native_env():
    code = (
        "import gymnasium as gym\n"
        "env = gym.make('nmgym:nmgym/CueReward-v0', n_cues=6)\n"
        "print(env.observation_space.shape[0])\n"
        "venv = gym.make_vec('nmgym/CueReward-v0', num_envs=5, n_cues=6)\n"
        "print(type(venv).__name__, venv.num_envs, venv.single_observation_space.shape[0])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["8", "TaskVectorEnv", "5", "8"]


def test_single_env_equals_agent_zero_of_the_vector_env():
    env = gym.make("nmgym/SustainedAttention-v0")
    venv = gym.make_vec("nmgym/SustainedAttention-v0", num_envs=3)
    obs, _ = env.reset(seed=21)
    vobs, _ = venv.reset(seed=21)
    np.testing.assert_array_equal(obs, vobs[0])
    rng = np.random.default_rng(0)
    for _ in range(50):
        actions = rng.integers(0, 2, size=3)
        obs, reward, terminated, truncated, _ = env.step(actions[0])
        vobs, vreward, vterm, vtrunc, vinfo = venv.step(actions)
        final = vinfo["final_obs"][0] if vterm[0] or vtrunc[0] else vobs[0]
        np.testing.assert_array_equal(obs, final)
        assert (reward, terminated, truncated) == (vreward[0], vterm[0], vtrunc[0])
        if terminated or truncated:
            obs, _ = env.reset()
            np.testing.assert_array_equal(obs, vobs[0])  # the same next episode


@pytest.mark.parametrize("name", TASK_NAMES)
def test_vector_contract_shapes_dtypes_and_spaces(name):
    venv = gym.make_vec(nmgym.env_id(name), num_envs=16)
    assert isinstance(venv, TaskVectorEnv) and venv.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    obs, info = venv.reset(seed=0)
    assert obs.shape == (16, *venv.single_observation_space.shape) and obs.dtype == np.float32
    assert obs in venv.observation_space
    for _ in range(100):
        obs, reward, terminated, truncated, info = venv.step(venv.action_space.sample())
        assert obs in venv.observation_space and obs.dtype == np.float32
        assert reward.shape == (16,) and reward.dtype == np.float32
        assert terminated.dtype == np.bool_ and truncated.dtype == np.bool_
        assert info["final_obs"].shape == obs.shape and info["_final_obs"].dtype == np.bool_
        assert np.array_equal(info["_final_obs"], terminated | truncated)
        assert info["correct_action"].shape == (16,) and info["_correct_action"].all()


def _run(mode, steps=25, seed=4):
    venv = TaskVectorEnv("CrossAreaXOR", 6, autoreset_mode=mode, stimulus_steps=2)
    venv.reset(seed=seed)
    actions = np.random.default_rng(1).integers(0, 2, size=(steps, 6))
    return venv, [venv.step(a) for a in actions]


def test_same_step_autoreset_returns_the_new_episode_and_keeps_the_final_obs():
    _, same = _run(AutoresetMode.SAME_STEP, steps=3)
    obs, _, terminated, _, info = same[2]  # trials last 3 steps: every env ends at step 3
    assert terminated.all() and info["_final_obs"].all()
    assert (obs[:, 0] == 1).all()  # new trials start in fixation
    assert (info["final_obs"] == 0).all()  # the closing observation of a trial is blank


def test_disabled_mode_waits_for_reset_mask_and_leaves_other_envs_alone():
    venv, out = _run(AutoresetMode.DISABLED, steps=3)
    _, same = _run(AutoresetMode.SAME_STEP, steps=3)
    np.testing.assert_array_equal(out[2][0], same[2][4]["final_obs"])  # returns the terminal obs
    mask = np.array([True, True, False, False, True, False])
    obs, _ = venv.reset(options={"reset_mask": mask})
    np.testing.assert_array_equal(obs[mask], same[2][0][mask])  # the episode SAME_STEP began
    assert (obs[mask, 0] == 1).all()
    with pytest.raises(ValueError, match="reset_mask must be a bool array of shape"):
        venv.reset(options={"reset_mask": np.ones(4, dtype=bool)})


def test_disabled_and_same_step_see_the_same_episodes():
    same_env, same = _run(AutoresetMode.SAME_STEP, steps=0)
    disabled_env, _ = _run(AutoresetMode.DISABLED, steps=0)
    actions = np.random.default_rng(2).integers(0, 2, size=(30, 6))
    for a in actions:
        s_obs, s_rew, s_term, s_trunc, s_info = same_env.step(a)
        d_obs, d_rew, d_term, d_trunc, _ = disabled_env.step(a)
        np.testing.assert_array_equal(d_rew, s_rew)
        ended = d_term | d_trunc
        np.testing.assert_array_equal(d_obs[ended], s_info["final_obs"][ended])
        if ended.any():
            d_obs, _ = disabled_env.reset(options={"reset_mask": ended})
        np.testing.assert_array_equal(d_obs, s_obs)


def test_next_step_mode_resets_on_the_following_step_and_ignores_its_action():
    venv, out = _run(AutoresetMode.NEXT_STEP, steps=4)
    _, same = _run(AutoresetMode.SAME_STEP, steps=3)
    np.testing.assert_array_equal(out[2][0], same[2][4]["final_obs"])
    obs, reward, terminated, truncated, _ = out[3]
    assert (reward == 0).all() and not terminated.any() and not truncated.any()
    assert (obs[:, 0] == 1).all() and (obs[:, -1] == 0).all()  # the first step of a new trial


def test_torch_backend_returns_tensors_on_the_device():
    venv = TaskVectorEnv("ReversalBandit", 8, backend="torch")
    obs, _ = venv.reset(seed=0)
    obs, reward, terminated, _, info = venv.step(torch.zeros(8, dtype=torch.int64))
    assert isinstance(obs, torch.Tensor) and obs.dtype == torch.float32 and obs.device.type == "cpu"
    assert isinstance(reward, torch.Tensor) and isinstance(info["correct_action"], torch.Tensor)


def test_parameters_pass_through_make_and_make_vec():
    env = gym.make("nmgym/DistalReward-v0", n_distractors=3, delays=[2, 4])
    assert env.unwrapped.task.params.delays == (2, 4) and env.observation_space.shape == (7,)
    venv = gym.make_vec("nmgym/ReversalBandit-v0", num_envs=4, reversal_every=7)
    assert venv.task.params.reversal_every == 7


def test_single_env_type():
    assert isinstance(gym.make("nmgym/CueReward-v0").unwrapped, TaskEnv)


def test_autoreset_mode_accepts_strings_in_any_case():
    for name, mode in (
        ("disabled", AutoresetMode.DISABLED),
        ("same_step", AutoresetMode.SAME_STEP),
        ("NextStep", AutoresetMode.NEXT_STEP),
    ):
        assert TaskVectorEnv("CueReward", 2, autoreset_mode=name).autoreset_mode == mode
