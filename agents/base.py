"""The shared run loop of every baseline agent."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod

import torch
from tqdm import tqdm

from agents.checkpoint import Checkpoint
from agents.recorder import TrialRecorder
from agents.world import World
from nmgym.validation import check_int, check_integer


class Agent(ABC):
    """A batch of learners acting on a :class:`World`; subclasses supply the policy and learning."""

    def __init__(self, env, *, device: str | torch.device | None = None, seed: int = 0):
        self.seed = seed
        check_int(self, "seed", low=0)  # as the tasks' seeds
        self.world = World(env, device=device)
        self.device = self.world.device
        self.B = self.world.num_envs

    @abstractmethod
    def begin(self, obs: torch.Tensor) -> None:
        """See the first observation of a run."""

    @abstractmethod
    def act(self) -> torch.Tensor:
        """Choose actions ``[B]`` for the current observation."""

    @abstractmethod
    def observe(
        self, obs: torch.Tensor, reward: torch.Tensor, terminated: torch.Tensor, boundary: torch.Tensor
    ) -> None:
        """See the outcome of the last action and learn from it."""

    def check(self) -> None:
        """Raise if the agent's state went bad; ``run`` calls it every ``check_every`` steps (it may
        synchronise with the device, so it stays out of the step). Nothing to check by default."""
        return None

    def run(
        self,
        n_trials: int,
        *,
        progress: bool = False,
        check_every: int = 64,
        max_steps: int = 10**8,
        checkpoint: Checkpoint | None = None,
    ) -> dict:
        """Run until every agent has finished ``n_trials`` trials; return the per-trial records
        (``[B, n_trials]`` tensors: reward, correct, steps and the env's info at each trial end).

        With ``checkpoint`` the run saves itself every ``checkpoint.seconds`` (at a check, every
        ``check_every`` steps) and, if its file holds this run's checkpoint, resumes from it: the
        records equal an uninterrupted run's bitwise. Only on a task from ``make_task``, whose
        state is all in tensors."""
        n_trials = check_integer(n_trials, "n_trials", low=1)
        if checkpoint is not None and self.world.kind != "task":
            raise ValueError("a checkpoint needs a task from make_task (all its state is tensors), not a gym env")
        recorder = TrialRecorder(self.B, n_trials, self.device)
        self.begin(self.world.reset(seed=self.seed))
        roots = {"agent": self, "recorder": recorder}
        done = checkpoint.load(roots, self.device) if checkpoint is not None else 0
        saved = time.monotonic()
        bar = tqdm(total=n_trials, desc=type(self).__name__, unit="trial", disable=not progress)
        for step in range(done + 1, max_steps + 1):
            action = self.act()
            obs, reward, terminated, boundary, info = self.world.step(action)
            recorder.update(action, reward, boundary, info)
            self.observe(obs, reward, terminated, boundary)
            if step % check_every == 0:
                self.check()
                finished = int(recorder.trial.min().clamp(max=n_trials))
                bar.update(finished - bar.n)
                if finished >= n_trials:
                    break
                if checkpoint is not None and time.monotonic() - saved >= checkpoint.seconds:
                    checkpoint.save(roots, step)
                    saved = time.monotonic()
        bar.close()
        return recorder.data
