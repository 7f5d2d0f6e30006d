"""PPO from Stable-Baselines3 on an nmgym task, recorded per trial like the baseline agents.

One PPO learner acts on ``agents`` envs at once (SB3's vectorised rollouts), unlike the other
agents, where each of the ``B`` agents learns alone. The records have the same layout as
:meth:`agents.base.Agent.run`: ``[envs, n_trials]`` tensors of reward, correct, steps and the
task's info at each trial's end, so :func:`agents.train.learning_curve` and
:func:`agents.train.write` apply unchanged.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.on_policy_algorithm import OnPolicyAlgorithm
from tqdm import tqdm

from agents.recorder import TrialRecorder
from agents.train import summarize
from nmgym.adapters.sb3 import SB3VecEnv
from nmgym.validation import check_integer

# Small rollouts and a few epochs: these tasks have short trials and tiny observations, so PPO
# learns them from tens of thousands of steps rather than SB3's default millions.
PPO_DEFAULTS: dict[str, Any] = {
    "n_steps": 64,
    "batch_size": 256,
    "n_epochs": 4,
    "learning_rate": 3e-3,
    "gamma": 0.95,
    "gae_lambda": 0.9,
    "ent_coef": 0.01,
    "policy_kwargs": {"net_arch": [64, 64]},
    "device": "cpu",
}


class TrialCallback(BaseCallback):
    """Feeds each step of the adapter's batch to a :class:`TrialRecorder`; stops learning once
    every env has finished ``n_trials`` trials."""

    def __init__(self, venv: SB3VecEnv, n_trials: int, progress: bool = False):
        super().__init__()
        self.venv = venv
        self.n_trials = n_trials
        self.recorder = TrialRecorder(venv.num_envs, n_trials, torch.device("cpu"))
        self.bar = tqdm(total=n_trials, desc="PPO", unit="trial", disable=not progress)

    def _on_step(self) -> bool:
        info = {key: torch.from_numpy(value) for key, value in self.venv.last_info.items()}
        action = torch.from_numpy(self.venv.last_actions)
        reward = torch.from_numpy(self.venv.last_rewards)
        self.recorder.update(action, reward, info["trial_end"], info)
        finished = int(self.recorder.trial.min().clamp(max=self.n_trials))
        self.bar.update(finished - self.bar.n)
        return finished < self.n_trials

    def _on_training_end(self) -> None:
        self.bar.close()


def run_ppo(
    task: str,
    *,
    agents: int = 16,
    trials: int = 300,
    seed: int = 0,
    device: str = "cpu",
    params: dict[str, Any] | None = None,
    ppo: dict[str, Any] | None = None,
    progress: bool = False,
    max_steps: int = 10**8,
    recurrent: bool = False,
) -> tuple[dict[str, torch.Tensor], OnPolicyAlgorithm]:
    """Train PPO on ``agents`` envs of ``task`` until each has finished ``trials`` trials.

    Args:
        task: task name.
        agents: envs in the vectorised rollout.
        trials: trials per env to record (learning stops then).
        seed: seeds the task batch and PPO.
        device: the kernel's torch device (PPO's own device is ``ppo["device"]``, CPU by default).
        params: task parameters.
        ppo: PPO keyword arguments over :data:`PPO_DEFAULTS`.
        progress: show a progress bar.
        max_steps: a cap on env steps per env, in case trials never end.
        recurrent: use sb3-contrib's ``RecurrentPPO`` with an LSTM policy, for tasks that need
            memory within a trial (SustainedAttention, DistalReward, WaitForReward).

    Returns:
        ``(data, model)``: the per-trial records (``[agents, trials]`` tensors) and the trained model.
    """
    trials = check_integer(trials, "trials", low=1)
    venv = SB3VecEnv(task, agents, device=device, **(params or {}))
    kwargs = {**PPO_DEFAULTS, **(ppo or {})}
    kwargs["batch_size"] = min(kwargs["batch_size"], kwargs["n_steps"] * agents)  # SB3 warns on a partial batch
    if recurrent:
        try:
            from sb3_contrib import RecurrentPPO
        except ImportError as error:
            raise ValueError(f"recurrent PPO needs sb3-contrib: pip install 'nmgym[sb3]' ({error})") from error
        model: OnPolicyAlgorithm = RecurrentPPO("MlpLstmPolicy", venv, seed=seed, verbose=0, **kwargs)
    else:
        model = PPO("MlpPolicy", venv, seed=seed, verbose=0, **kwargs)
    if not kwargs.get("tensorboard_log"):  # SB3's default logger leaves an empty SB3-<time> folder in the temp dir
        model.set_logger(Logger(folder=None, output_formats=[]))
    callback = TrialCallback(venv, trials, progress=progress)
    model.learn(total_timesteps=max_steps * agents, callback=callback)
    return callback.recorder.data, model


def train_ppo(
    task: str,
    *,
    agents: int = 16,
    trials: int = 300,
    seed: int = 0,
    device: str = "cpu",
    params: dict[str, Any] | None = None,
    ppo: dict[str, Any] | None = None,
    out: str | Path | None = None,
    progress: bool = True,
    recurrent: bool = False,
) -> dict[str, Any]:
    """:func:`run_ppo`, then the summary of :func:`agents.train.train` (written to ``out`` if given)."""
    data, model = run_ppo(
        task,
        agents=agents,
        trials=trials,
        seed=seed,
        device=device,
        params=params,
        ppo=ppo,
        progress=progress,
        recurrent=recurrent,
    )
    ppo_params = {key: value for key, value in {**PPO_DEFAULTS, **(ppo or {})}.items() if key != "device"}
    venv = model.get_env()
    assert venv is not None  # a model keeps the env it was built on
    settings = {
        "agents": agents,
        "trials": trials,
        "seed": seed,
        "lesion": "none",
        "device": device,
        "task_params": dataclasses.asdict(venv.get_attr("params")[0]),
        "circuit_params": None,
        "ppo_params": ppo_params,
        "learners": 1,  # one policy shared by every env
        "env_steps": int(model.num_timesteps),
    }
    return summarize(task, "ppo-lstm" if recurrent else "ppo", settings, data, out)
