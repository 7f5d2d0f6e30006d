"""RL-library adapters: the SB3 VecEnv contract, PPO against random, TorchRL specs, the CleanRL script."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.vec_env import VecMonitor

from agents import RandomAgent
from agents.ppo import run_ppo, train_ppo
from nmgym.adapters.sb3 import SB3VecEnv
from nmgym.envs import TaskVectorEnv
from nmgym.tasks import make_task

ROOT = Path(__file__).resolve().parents[1]


def _actions(steps: int, n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2, size=(steps, n))


# ---------------------------------------------------------------- SB3 VecEnv contract
def test_sb3_shapes_dtypes_and_terminal_observation():
    venv = SB3VecEnv("CueReward", 8)
    disabled = TaskVectorEnv("CueReward", 8, autoreset_mode=AutoresetMode.DISABLED)
    venv.seed(5)
    obs = venv.reset()
    np.testing.assert_array_equal(obs, disabled.reset(seed=5)[0])
    assert obs.shape == (8, 6) and obs.dtype == np.float32 and venv.observation_space.contains(obs[0])
    ended_any = False
    for actions in _actions(40, 8):
        obs, rewards, dones, infos = venv.step(actions)
        d_obs, d_rew, d_term, d_trunc, _ = disabled.step(actions)
        assert obs.shape == (8, 6) and obs.dtype == np.float32
        assert rewards.shape == (8,) and rewards.dtype == np.float32 and dones.dtype == np.bool_
        assert isinstance(infos, list) and len(infos) == 8
        np.testing.assert_array_equal(rewards, d_rew)
        np.testing.assert_array_equal(dones, d_term | d_trunc)
        for i, info in enumerate(infos):
            assert info["TimeLimit.truncated"] is False  # CueReward trials terminate
            assert ("terminal_observation" in info) == dones[i]
            if dones[i]:  # the obs that ended the episode, as the DISABLED env returns it
                np.testing.assert_array_equal(info["terminal_observation"], d_obs[i])
                assert obs[i, 0] == 1  # while the returned obs already begins the next trial
        if dones.any():
            ended_any = True
            d_obs, _ = disabled.reset(options={"reset_mask": dones})
        np.testing.assert_array_equal(obs, d_obs)  # same episodes as the native env
    assert ended_any


def test_sb3_time_limit_truncated_on_reversal_bandit_sessions():
    venv = SB3VecEnv("ReversalBandit", 4, trials_per_episode=5)
    venv.seed(0)
    venv.reset()
    for step in range(1, 11):
        _, _, dones, infos = venv.step(np.zeros(4, dtype=np.int64))
        session_end = step % 5 == 0
        assert dones.tolist() == [session_end] * 4
        assert [info["TimeLimit.truncated"] for info in infos] == [session_end] * 4
        assert all(("terminal_observation" in info) == session_end for info in infos)


def test_sb3_vec_monitor_episode_stats_and_info_keys():
    venv = VecMonitor(
        SB3VecEnv("ReversalBandit", 3, trials_per_episode=4, info_keys=("good_arm",)), info_keywords=("good_arm",)
    )
    venv.seed(1)
    venv.reset()
    total = np.zeros(3)
    for step in range(1, 9):
        _, rewards, dones, infos = venv.step(np.array([0, 1, 0]))
        total += rewards
        if step % 4:
            assert not any("episode" in info for info in infos)
            continue
        assert dones.all()
        for i, info in enumerate(infos):
            assert info["episode"]["l"] == 4
            assert info["episode"]["r"] == pytest.approx(total[i])
            assert info["episode"]["good_arm"] in (0, 1)
        total[:] = 0


def test_sb3_seed_replays_and_env_i_is_agent_i():
    native = TaskVectorEnv("ReversalBandit", 5)
    runs = []
    for _ in range(2):
        venv = SB3VecEnv("ReversalBandit", 5)
        assert venv.seed(7) == [7] * 5
        first = venv.reset()
        runs.append([first] + [venv.step(a)[1] for a in _actions(20, 5)])
    native_obs, _ = native.reset(seed=7)
    native_run = [native_obs] + [native.step(a)[1] for a in _actions(20, 5)]
    for a, b, c in zip(*runs, native_run, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_sb3_get_attr_set_attr_env_method():
    venv = SB3VecEnv("ReversalBandit", 4, reversal_every=10)
    assert venv.get_attr("render_mode") == [None] * 4 and venv.render_mode is None
    assert [p.reversal_every for p in venv.get_attr("params", indices=[0, 2])] == [10, 10]
    arms = venv.get_attr("good_arm")  # a [B] kernel tensor, split per env
    assert len(arms) == 4 and all(a.shape == () for a in arms)
    venv.set_attr("good_arm", 1, indices=[1])
    assert int(venv.get_attr("good_arm", indices=1)[0]) == 1
    assert [int(a) for a in venv.env_method("oracle_action")] == [int(a) for a in venv.task.good_arm]
    assert venv.has_attr("n_actions") and not venv.has_attr("no_such_thing")
    assert venv.env_is_wrapped(VecMonitor) == [False] * 4
    with pytest.raises(ValueError, match="shared by the whole batch"):
        venv.set_attr("info_keys", ("trial",), indices=[0])
    with pytest.raises(IndexError, match="out of range for 4 envs"):
        venv.get_attr("params", indices=[4])


def test_sb3_bad_actions_and_settings_give_clear_errors():
    venv = SB3VecEnv("ReversalBandit", 4)
    venv.reset()
    with pytest.raises(ValueError, match=r"actions must have shape \(4,\), one integer in 0..1 \(arm 0, arm 1\)"):
        venv.step(np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match=r"got an array of shape \(4, 2\)"):
        venv.step(np.zeros((4, 2), dtype=np.int64))
    with pytest.raises(TypeError, match=r"actions must be integers.*float64"):
        venv.step(np.zeros(4))
    with pytest.raises(ValueError, match="out of range"):
        venv.step(np.array([0, 1, 2, 0]))
    venv.step(np.zeros((4, 1), dtype=np.int64))  # SB3's trailing action dimension is accepted
    with pytest.raises(ValueError, match="SB3 expects same-step autoreset"):
        SB3VecEnv(TaskVectorEnv("CueReward", 2, autoreset_mode=AutoresetMode.NEXT_STEP))
    with pytest.raises(TypeError, match="task name or an nmgym TaskVectorEnv"):
        SB3VecEnv(object())
    with pytest.raises(RuntimeError, match="without step_async"):
        venv.step_wait()


# ---------------------------------------------------------------- PPO against random (fixed seeds)
def _late(data: dict[str, torch.Tensor], key: str) -> float:
    """Mean of the last 20% of trials."""
    n = data[key].shape[1]
    return data[key][:, int(0.8 * n) :].mean().item()


def test_ppo_beats_random_on_reversal_bandit():
    # 16 envs x 2000 trials = 32k steps (~5 s). Win-stay/lose-shift, which a memoryless policy can
    # learn from the previous action and reward in the observation, is correct ~0.8 of the time
    # and earns ~0.68; random earns 0.5. Measured at seed 0: correct 0.78, reward 0.67.
    data, _ = run_ppo("ReversalBandit", agents=16, trials=2000, seed=0)
    rand = RandomAgent(make_task("ReversalBandit", 16, seed=0), seed=0).run(2000)
    assert _late(data, "correct") >= _late(rand, "correct") + 0.2
    assert _late(data, "reward") >= _late(rand, "reward") + 0.1


def test_ppo_beats_random_on_cue_reward_and_writes_the_learning_curve(tmp_path):
    # 16 envs x 200 ten-step trials = 32k steps (~5 s). The oracle earns 0.25 a trial and is always
    # correct; random earns ~0.05 and is correct half the time. Measured at seed 0: 0.997 and 0.25.
    summary = train_ppo("CueReward", agents=16, trials=200, seed=0, out=tmp_path, progress=False)
    rand = RandomAgent(make_task("CueReward", 16, seed=0), seed=0).run(200)
    assert summary["final"]["correct"] >= _late(rand, "correct") + 0.3
    assert summary["final"]["reward"] >= _late(rand, "reward") + 0.12
    written = json.loads((tmp_path / "summary.json").read_text())
    assert written["agent"] == "ppo" and written["settings"]["trials"] == 200 and len(written["curve"]) == 20
    assert (tmp_path / "curve.csv").read_text().startswith("trial_start,trial_stop,reward,reward_sem,correct")


# ---------------------------------------------------------------- TorchRL
def test_torchrl_check_env_specs_and_partial_reset():
    pytest.importorskip("torchrl")
    from torchrl.envs.utils import check_env_specs

    from nmgym.adapters.torchrl import TorchRLEnv

    for name, params in (("CueReward", {}), ("ReversalBandit", {"trials_per_episode": 3})):
        check_env_specs(TorchRLEnv(name, 4, **params), seed=0, break_when_any_done="both")

    # A rollout through partial resets sees the episodes of the native SAME_STEP env.
    env = TorchRLEnv("CrossAreaXOR", 6, seed=4, stimulus_steps=2)
    native = TaskVectorEnv("CrossAreaXOR", 6, backend="torch", stimulus_steps=2)
    native_obs, _ = native.reset(seed=4)
    td = env.reset()
    for actions in _actions(12, 6, seed=3):
        action = torch.as_tensor(actions)
        td, after = env.step_and_maybe_reset(td.set("action", action))
        obs, reward, terminated, truncated, info = native.step(action)
        done = terminated | truncated
        assert torch.equal(td["next", "reward"].squeeze(-1), reward)
        assert torch.equal(td["next", "done"].squeeze(-1), done)
        assert torch.equal(td["next", "observation"][done], info["final_obs"][done])
        assert torch.equal(after["observation"], obs)
        td = after
    with pytest.raises(ValueError, match=r"action must have shape \(6,\)"):
        env.step(env.reset().set("action", torch.zeros(6, 1, dtype=torch.int64)))


# ---------------------------------------------------------------- the CleanRL-style script
def test_cleanrl_script_runs_and_prints_progress():
    cmd = [sys.executable, "scripts/ppo_cleanrl.py", "--total-steps", "8192", "--print-every", "2"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0].startswith("CueReward: 64 envs on cpu, 4 iterations")
    assert [line.split()[0] for line in out[2:]] == ["2", "4"]


def test_recurrent_ppo_trains_and_records_like_the_other_agents(tmp_path, monkeypatch):
    """sb3-contrib's RecurrentPPO (an LSTM policy, for tasks that need memory) through the same runner,
    leaving no log folder behind (SB3's default logger makes one per run)."""
    from agents.train import train

    monkeypatch.setenv("SB3_LOGDIR", str(tmp_path / "sb3-logs"))  # where SB3's default logger would write
    summary = train("SustainedAttention", "ppo-lstm", agents=8, trials=20, seed=0, out=tmp_path, progress=False)
    assert summary["agent"] == "ppo-lstm" and (tmp_path / "curve.csv").exists()
    assert 0.0 <= summary["final"]["correct"] <= 1.0
    assert not (tmp_path / "sb3-logs").exists()
