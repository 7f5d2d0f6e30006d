"""The batched task kernel: ``B`` independent task instances as tensors on one device.

A task holds its state as a few ``[B]`` tensors and advances all instances with one call to
:meth:`Task.step`, with no Python loop over agents and no host-device synchronisation (on CUDA
the action check is an asynchronous device assertion; on the CPU, where reading a value costs no
wait, an eager step skips the new trials' draws where no trial ends). Trials roll over inside an episode, and
an ended episode restarts in the same step (same-step autoreset); the observation that ended it
is kept in ``info["final_obs"]`` when the task is built with ``keep_final_obs=True``.

Randomness is counter based (:mod:`nmgym.counter_rng`): draws made at a trial's start are
keyed by the agent's trial count, draws made within a trial by its step count, so an agent's
stream depends only on the seed, its global index (``agent_offset + i``) and its own history.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
import torch

from nmgym import counter_rng
from nmgym.compiled import compiled_if, skips_idle_work
from nmgym.tasks.params import TaskParams
from nmgym.validation import check_device, check_flag, check_integer

Channel = tuple[str, int, float, float]  # (sub-space name, width, low, high)
StepResult = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]


class Task(ABC):
    """Base class of the batched task kernels.

    Args:
        num_envs: number of independent instances ``B``.
        params: a parameter dataclass of the task's ``Params`` type (defaults if omitted).
        device: torch device of every state tensor.
        seed: non-negative integer seed shared by the batch; agent ``i`` draws from its own stream.
        agent_offset: global index of the first instance, so a chunk of a larger batch draws what
            the same agents draw in the whole batch.
        keep_final_obs: also return the observation that ended an episode in ``info["final_obs"]``.
        compile: run the step through ``torch.compile`` (several times faster for large batches;
            integer results identical, Gaussian draws to float rounding; first call compiles).
        **overrides: parameter fields to change (``CueReward(8, n_cues=6)``).
    """

    Params: ClassVar[type[TaskParams]]
    action_names: ClassVar[tuple[str, ...]]
    # The active response that withholding opposes (go in a go/no-go task, leaving a wait); 5-HT's
    # Pavlovian inhibition and persistence of withholding act on it (None: no such response).
    go_action: ClassVar[int | None] = None
    paper: ClassVar[str]  # the paper the task comes from
    tags: ClassVar[tuple[str, ...]]  # modulator, function and task family, as NeuroGym tags tasks

    def __init__(
        self,
        num_envs: int = 1,
        params: TaskParams | None = None,
        *,
        device: str | torch.device = "cpu",
        seed: int = 0,
        agent_offset: int = 0,
        keep_final_obs: bool = False,
        compile: bool = False,
        **overrides: Any,
    ) -> None:
        name = type(self).__name__
        num_envs = check_integer(num_envs, "num_envs", owner=name, low=1)
        agent_offset = check_integer(agent_offset, "agent_offset", owner=name, low=0)
        seed = check_integer(seed, "seed", owner=name, low=0)
        compile = check_flag(compile, "compile", owner=name)
        keep_final_obs = check_flag(keep_final_obs, "keep_final_obs", owner=name)
        self.params = self.Params.given(params, name).replace(**overrides)
        self.num_envs = num_envs
        self.device = check_device(device)  # concrete: "cuda" -> "cuda:0"
        self.keep_final_obs = keep_final_obs
        self.n_actions = len(self.action_names)

        layout = self._layout()
        self.obs_slices: dict[str, slice] = {}
        low: list[float] = []
        high: list[float] = []
        for sub, width, lo, hi in layout:
            self.obs_slices[sub] = slice(len(low), len(low) + width)
            low += [lo] * width
            high += [hi] * width
        self.obs_dim = len(low)
        self.obs_low = np.asarray(low, dtype=np.float32)
        self.obs_high = np.asarray(high, dtype=np.float32)
        for bounds in (self.obs_low, self.obs_high):
            bounds.flags.writeable = False  # fixed at construction; a checkpoint takes them as settings

        zeros = lambda dtype=torch.int64: torch.zeros(num_envs, dtype=dtype, device=self.device)  # noqa: E731
        self.agent_ids = torch.arange(agent_offset, agent_offset + num_envs, device=self.device)
        self.key = counter_rng.agent_keys(seed, self.agent_ids)
        self.t = zeros()  # step within the trial
        self.trial = zeros()  # trial within the episode
        self.trials_started = zeros()  # trials begun since seeding: the key of trial-level draws
        self.steps_done = zeros()  # steps taken since seeding: the key of step-level draws
        self._all = torch.ones(num_envs, dtype=torch.bool, device=self.device)
        self._skip_idle = skips_idle_work(self.device, compile)  # see _transition_eager
        self._init_state()
        self.reset()
        # Compiled, a step's ~100 small ops become a few fused loops (the input checks stay eager).
        self.compiled = compile
        self._transition = compiled_if(compile, self._transition_eager)
        self._random = compiled_if(compile, self._random_eager)

    # ----------------------------------------------------------------- the task's own parts
    @abstractmethod
    def _layout(self) -> list[Channel]:
        """Observation sub-spaces in order: ``(name, width, low, high)``."""

    @abstractmethod
    def _init_state(self) -> None:
        """Allocate the task's own ``[B]`` state tensors."""

    def _start_episode(self, mask: torch.Tensor) -> None:  # noqa: B027 - optional hook
        """Reset state that lives across trials (for masked agents; the rest stay as they are, and
        on the CPU a step where no episode ends skips the call)."""

    @abstractmethod
    def _start_trial(self, mask: torch.Tensor) -> None:
        """Draw the new trial's variables for masked agents (key: ``self.trials_started``; the rest
        stay as they are, and on the CPU a step where no trial ends skips the call)."""

    @abstractmethod
    def _observe(self) -> torch.Tensor:
        """The current observation, float32 ``[B, obs_dim]``: a function of the state alone (its
        draws keyed by the state's counters), so the same state observes the same."""

    @abstractmethod
    def _correct_action(self) -> torch.Tensor:
        """The oracle's action in the current state, int64 ``[B]``."""

    @abstractmethod
    def _advance(self, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict[str, Any]]:
        """Apply ``action`` at step ``self.t``: ``(reward, trial_end, timed_out, info)``."""

    # ----------------------------------------------------------------- helpers for subclasses
    def _draw_uniform(self, stream: int, n: int | None = None, *, per_step: bool = False) -> torch.Tensor:
        counter = self.steps_done if per_step else self.trials_started
        return counter_rng.uniform(self.key, counter, stream, n)

    def _draw_int(self, stream: int, high: int, n: int | None = None, *, per_step: bool = False) -> torch.Tensor:
        counter = self.steps_done if per_step else self.trials_started
        return counter_rng.integers(self.key, counter, stream, high, n)

    def _draw_normal(self, stream: int, n: int) -> torch.Tensor:
        return counter_rng.normal(self.key, self.steps_done, stream, n)

    @staticmethod
    def _set(mask: torch.Tensor, target: torch.Tensor, value: torch.Tensor | float | int) -> None:
        """In-place ``target[mask] = value`` without a host sync."""
        if isinstance(value, torch.Tensor):
            target.copy_(torch.where(mask, value, target))
        else:
            target.masked_fill_(mask, value)

    # ----------------------------------------------------------------- public API
    def reset(
        self, mask: torch.Tensor | None = None, seed: int | None = None
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Start a new episode for the agents in ``mask`` (all if ``None``); return ``(obs, info)``.

        With ``seed``, the masked agents are reseeded: their counters restart from zero, so their
        episodes replay exactly.
        """
        mask = self._all if mask is None else self._check_mask(mask)
        if seed is not None:
            seed = check_integer(seed, "seed", owner=type(self).__name__, low=0)
            self._set(mask, self.key, counter_rng.agent_keys(seed, self.agent_ids))
            self._set(mask, self.trials_started, 0)
            self._set(mask, self.steps_done, 0)
        self._set(mask, self.trial, 0)
        self._start_episode(mask)
        self._begin_trial(mask)
        return self._observe(), {}

    def step(self, action: torch.Tensor) -> StepResult:
        """Advance every instance by one step.

        Args:
            action: integer tensor ``[B]`` on the task's device, values in ``[0, n_actions)``.

        Returns:
            ``(obs, reward, terminated, truncated, info)``: float32 ``[B, obs_dim]``, float32
            ``[B]``, bool ``[B]``, bool ``[B]`` and a dict of ``[B]`` tensors with at least
            ``correct_action`` (the oracle's action for the step just taken) and ``trial_end``.
            Ended episodes have already restarted: ``obs`` is their first observation.
        """
        return self._transition(self._check_action(action))

    def _transition_eager(self, action: torch.Tensor) -> StepResult:
        correct = self._correct_action()
        trial_index = self.trial.clone()
        reward, trial_end, timed_out, info = self._advance(action)
        self.t += 1
        self.steps_done += 1
        episode_end = trial_end & (self.trial + 1 >= self.params.trials_per_episode)
        truncated = episode_end & timed_out if self.params.trials_per_episode == 1 else episode_end
        terminated = episode_end & ~truncated
        # Where no trial (or no episode) ends, skip the new trials' draws and the observation before
        # them, which equals the one after (see skips_idle_work).
        starts = not self._skip_idle or bool(trial_end.any())
        if starts:
            if self.keep_final_obs:
                info["final_obs"] = self._observe()
            self.trial += trial_end.to(torch.int64)
            if not self._skip_idle or bool(episode_end.any()):
                self._set(episode_end, self.trial, 0)
                self._start_episode(episode_end)
            self._begin_trial(trial_end)
        info.update(correct_action=correct, trial_end=trial_end, trial=trial_index)
        obs = self._observe()
        if self.keep_final_obs and not starts:
            info["final_obs"] = obs
        return obs, reward.to(torch.float32), terminated, truncated, info

    def oracle_action(self) -> torch.Tensor:
        """The oracle policy's action for the current state (see the task's docstring)."""
        return self._correct_action()

    def random_action(self, stream: int = 1_000_003) -> torch.Tensor:
        """A uniformly random action per agent from the agent's own counter-based stream."""
        return self._random(stream)

    def _random_eager(self, stream: int) -> torch.Tensor:
        return counter_rng.integers(self.key, self.steps_done, stream, self.n_actions)

    # ----------------------------------------------------------------- internals
    def _begin_trial(self, mask: torch.Tensor) -> None:
        self._set(mask, self.t, 0)
        self._start_trial(mask)
        self.trials_started += mask.to(torch.int64)

    def _check_mask(self, mask: torch.Tensor) -> torch.Tensor:
        name = type(self).__name__
        if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.shape != (self.num_envs,):
            got = f"{type(mask).__name__} {getattr(mask, 'dtype', '')} {tuple(getattr(mask, 'shape', ()))}"
            raise ValueError(f"{name}: reset mask must be a bool tensor of shape ({self.num_envs},); got {got}")
        return mask.to(self.device)

    def _check_action(self, action: torch.Tensor) -> torch.Tensor:
        name = type(self).__name__
        if not isinstance(action, torch.Tensor):
            raise TypeError(
                f"{name}: action must be a torch tensor of shape ({self.num_envs},); got {type(action).__name__}"
            )
        if action.dtype.is_floating_point or action.dtype.is_complex or action.dtype == torch.bool:
            raise TypeError(
                f"{name}: action must have an integer dtype (one of {self.n_actions} discrete actions: "
                f"{', '.join(self.action_names)}); got {action.dtype}"
            )
        if action.shape != (self.num_envs,):
            raise ValueError(f"{name}: action must have shape ({self.num_envs},); got {tuple(action.shape)}")
        if action.device != self.device:
            raise ValueError(f"{name}: action is on {action.device} but the task runs on {self.device}")
        bad = (action < 0) | (action >= self.n_actions)
        message = (
            f"{name}: action out of range; allowed values are 0..{self.n_actions - 1} ({', '.join(self.action_names)})"
        )
        if action.device.type == "cpu":
            if bool(bad.any()):
                where = torch.nonzero(bad).flatten()[:5].tolist()
                values = action[bad][:5].tolist()
                raise ValueError(f"{message}; got {values} at agent(s) {where}")
        else:
            torch._assert_async(~bad.any(), message)
        return action.to(torch.int64)
