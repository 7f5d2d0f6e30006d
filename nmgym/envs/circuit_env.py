"""Circuit environments: a neuromodulated circuit learning a task is the world; the agent stimulates it.

``gymnasium.make("nmgym/Circuit-ReversalBandit-v0", lesion="ne")`` is a single env and
``gymnasium.make_vec("nmgym/Circuit-ReversalBandit-v0", num_envs=B)`` a native vector env of
``B`` circuits advanced as one batch. The acting agent is a neuromodulation controller: each step
it sets the stimulation of the four modulator channels (DA, NE, ACh, 5-HT) of the circuit, which
then acts on its task and learns; the controller is rewarded by the circuit's task reward less a
stimulation cost. An episode is one learning session of a freshly initialised circuit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from nmgym import counter_rng
from nmgym.circuit import LEVELS, Circuit, CircuitParams, Lesion, parse_lesion
from nmgym.circuit.routing import route_inputs
from nmgym.envs.rendering import NoRendering, check_render_mode
from nmgym.envs.spaces import to_numpy
from nmgym.envs.vector import BACKENDS, _autoreset_mode
from nmgym.tasks import Task, task_class
from nmgym.validation import check_integer

N_CHANNELS = len(LEVELS)  # da, ne, ach, 5ht
DEFAULT_SESSION_TRIALS = 200  # for tasks whose natural episode is a single trial
SIGNAL_BOUND = 10.0  # TD error, dopamine and reward rate are clipped to [-10, 10] in the observation
LEVEL_HIGH = 4.0  # NE, ACh and 5-HT levels are clipped to [0, 4] in the observation
# Circuit attributes shared by the batch (not per agent), and delay lines ([delay + 1, B]).
_SHARED = frozenset({"_in_mask_t", "_actor_mask", "others", "leak"})
_QUEUES = frozenset({"da_queue", "ne_queue"})


def episode_seed(seed: int, episode: int) -> int:
    """The circuit's counter-based seed for session ``episode`` of a run seeded with ``seed``."""
    return counter_rng._salt((seed + counter_rng._salt(episode + 0x5EED)) & 0xFFFFFFFF) & 0x7FFFFFFF


def check_stimulation(action: Any, num_envs: int | None, device: torch.device) -> torch.Tensor:
    """A controller action as a float32 tensor ``[B, 4]`` on ``device``, or a clear error.

    ``num_envs=None`` is the single env: one action of shape ``(4,)``. Values must be finite; they
    are clipped to the action space ``[-1, 1]``.
    """
    shape = (N_CHANNELS,) if num_envs is None else (num_envs, N_CHANNELS)
    what = f"a float array of shape {shape} (stimulation of {', '.join(LEVELS)}, each in [-1, 1])"
    if isinstance(action, torch.Tensor):
        tensor = action
        if not tensor.dtype.is_floating_point:
            raise TypeError(f"action must be {what}; got dtype {tensor.dtype}")
    else:
        array = np.asarray(action)
        if array.dtype.kind != "f":
            raise TypeError(f"action must be {what}; got dtype {array.dtype}")
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    if tuple(tensor.shape) != shape:
        raise ValueError(f"action must be {what}; got shape {tuple(tensor.shape)}")
    tensor = tensor.to(device=device, dtype=torch.float32)
    finite = torch.isfinite(tensor).all()
    message = f"action must be {what}; got NaN or infinite values"
    if device.type == "cpu":
        if not bool(finite):
            raise ValueError(message)
    else:
        torch._assert_async(finite, message)  # no host sync on an accelerator
    return tensor.clamp(-1.0, 1.0).view(-1, N_CHANNELS)


class CircuitWorld:
    """``B`` circuits, each learning its own instance of a task, stimulated by a controller.

    The engine under :class:`CircuitEnv` and :class:`CircuitVectorEnv` (see :class:`CircuitEnv` for
    the arguments). ``step(stimulation [B, 4]) -> obs, reward, terminated, truncated, info`` in
    torch on the device; a session that ends restarts within the step (its last observation in
    ``info["final_obs"]``).
    """

    def __init__(
        self,
        task: str,
        num_envs: int = 1,
        *,
        lesion: str | Lesion | None = None,
        circuit: dict[str, Any] | CircuitParams | None = None,
        inputs: Sequence[str] | None = None,
        session_trials: int | None = None,
        stim_scale: float | Sequence[float] = 1.0,
        stim_cost: float = 0.01,
        rate_window: float = 10.0,
        device: str | torch.device = "cpu",
        agent_offset: int = 0,
        **task_params: Any,
    ) -> None:
        self.task: Task = task_class(task)(num_envs, device=device, agent_offset=agent_offset, **task_params)
        self.device, self.B = self.task.device, num_envs
        if circuit is None or isinstance(circuit, CircuitParams):
            self.params = circuit or CircuitParams()
        elif isinstance(circuit, dict):
            self.params = CircuitParams(**circuit)
        else:
            raise TypeError(f"circuit must be a dict of CircuitParams fields; got {type(circuit).__name__}")
        self.lesion = parse_lesion(lesion)
        natural = self.task.params.trials_per_episode
        if session_trials is None:
            session_trials = natural if natural > 1 else DEFAULT_SESSION_TRIALS
        self.session_trials = check_integer(session_trials, "session_trials", low=1)
        scale = torch.as_tensor(stim_scale, dtype=torch.float32).flatten()
        if scale.numel() not in (1, N_CHANNELS) or not bool(torch.isfinite(scale).all()) or bool((scale < 0).any()):
            raise ValueError(
                f"stim_scale={stim_scale!r} is not allowed; give one number >= 0 or four (da, ne, ach, 5ht)"
            )
        self.stim_scale = scale.expand(N_CHANNELS).to(self.device)
        for name, value, low in (("stim_cost", stim_cost, 0.0), ("rate_window", rate_window, 1.0)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value < float("inf"):
                raise ValueError(f"{name}={value!r} is not allowed; it must be a finite number >= {low}")
        self.stim_cost, self.rate_window = float(stim_cost), float(rate_window)

        slices = self.task.obs_slices
        columns, self.input_areas = route_inputs(slices, inputs, self.params.n_areas)
        self.columns = columns.to(self.device)

        # Observation layout: (name, width, low, high), as the tasks lay theirs out.
        self.layout: list[tuple[str, int, np.ndarray, np.ndarray]] = [
            ("task", self.task.obs_dim, self.task.obs_low, self.task.obs_high)
        ]
        for name, width, low, high in (
            ("da", 1, -SIGNAL_BOUND, SIGNAL_BOUND),
            ("ne", 1, 0.0, LEVEL_HIGH),
            ("ach", 1, 0.0, LEVEL_HIGH),
            ("5ht", 1, 0.0, LEVEL_HIGH),
            ("reward_rate", 1, -SIGNAL_BOUND, SIGNAL_BOUND),
            ("activity", self.params.n_areas, 0.0, 1.0),
            ("td_error", 1, -SIGNAL_BOUND, SIGNAL_BOUND),
            ("session", 1, 0.0, 1.0),
        ):
            self.layout.append((name, width, np.full(width, low, np.float32), np.full(width, high, np.float32)))
        self.obs_low = np.concatenate([low for *_, low, _ in self.layout]).astype(np.float32)
        self.obs_high = np.concatenate([high for *_, high in self.layout]).astype(np.float32)
        self.obs_dim = len(self.obs_low)
        self._low = torch.from_numpy(self.obs_low).to(self.device)
        self._high = torch.from_numpy(self.obs_high).to(self.device)
        self.seed, self.episode = 0, 0
        self.reset(seed=0)

    # ------------------------------------------------------------------ internals
    def _make_circuit(self) -> Circuit:
        return Circuit(
            self.B,
            len(self.columns),
            self.task.n_actions,
            self.params,
            self.lesion,
            input_areas=self.input_areas,
            device=self.device,
            seed=episode_seed(self.seed, self.episode),
            agent_offset=int(self.task.agent_ids[0]) if self.B else 0,
            check_inputs=False,  # a native task's inputs; the stimulation is checked as an action
        )

    def _observe(self, task_obs: torch.Tensor) -> torch.Tensor:
        c = self.circuit
        levels = torch.stack([self.da, c.ne, c.ach, c.sht], dim=1)
        activity = c.h.abs().mean(-1)  # [B, K]
        session = (self.trials.float() / self.session_trials).unsqueeze(-1)
        parts = [task_obs, levels, self.rate.unsqueeze(-1), activity, self.delta.unsqueeze(-1), session]
        return torch.minimum(torch.maximum(torch.cat(parts, dim=1).float(), self._low), self._high)

    def _blend(self, fresh: Circuit, mask: torch.Tensor) -> None:
        """Replace the state of the circuits in ``mask`` by ``fresh``'s (a masked re-initialisation)."""
        c = self.circuit
        c.settle()  # no capture pending on either side
        fresh.settle()
        for name, value in vars(c).items():
            if name in _SHARED or not isinstance(value, torch.Tensor | tuple):
                continue
            new = getattr(fresh, name)
            if isinstance(value, tuple):
                setattr(c, name, tuple(self._where(mask, n, o, 0) for n, o in zip(new, value, strict=True)))
            else:
                setattr(c, name, self._where(mask, new, value, 1 if name in _QUEUES else 0))
        c._ne_held = False  # the next learn() computes the re-initialised agents' NE level afresh

    def _where(self, mask: torch.Tensor, new: torch.Tensor, old: torch.Tensor, dim: int) -> torch.Tensor:
        if old.dim() <= dim or old.shape[dim] != self.B:
            raise RuntimeError(f"CircuitWorld: cannot re-initialise a circuit tensor of shape {tuple(old.shape)}")
        shape = [1] * old.dim()
        shape[dim] = self.B
        return torch.where(mask.view(shape), new, old)

    def _begin(self, mask: torch.Tensor | None, seed: int | None = None) -> torch.Tensor:
        """Start a session (new circuit weights, a new task episode) for ``mask`` (all if None)."""
        obs, _ = self.task.reset(mask=mask, seed=seed)
        fresh = self._make_circuit()
        fresh.forward(obs[:, self.columns])
        if mask is None:
            self.circuit = fresh
            zeros = torch.zeros(self.B, device=self.device)
            self.trials = torch.zeros(self.B, dtype=torch.int64, device=self.device)
            self.rate, self.delta, self.da = zeros, zeros.clone(), zeros.clone()
            self._countdown = self.session_trials
        else:
            self._blend(fresh, mask)
            self.trials = torch.where(mask, 0, self.trials)
            self.rate, self.delta, self.da = (torch.where(mask, 0.0, v) for v in (self.rate, self.delta, self.da))
        return obs

    # ------------------------------------------------------------------ API
    def reset(self, seed: int | None = None) -> torch.Tensor:
        """Begin a new session for every circuit (reseeding the task and circuits with ``seed``)."""
        if seed is not None:
            self.seed, self.episode = int(seed), 0
        else:
            self.episode += 1
        return self._observe(self._begin(None, seed=None if seed is None else self.seed))

    def step(
        self, stimulation: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """Apply ``stimulation`` (float ``[B, 4]`` in ``[-1, 1]``, checked), step circuits and tasks.

        Returns ``(obs, reward, terminated, truncated, info)`` as tensors; ``info`` holds the task's
        info, ``circuit_action``, ``task_reward``, ``stim_cost``, ``stimulation`` (``[B, 4]``,
        scaled), ``final_obs`` and ``session_end``.
        """
        c = self.circuit
        c.stimulate(stimulation * self.stim_scale)
        action = c.act()
        obs, reward, terminated, _, info = self.task.step(action)
        trial_end = info["trial_end"]
        c.forward(obs[:, self.columns], reset=trial_end)
        stop = terminated | trial_end
        self.delta = reward + c.gamma * torch.where(stop, 0.0, c.value) - c.value_prev  # the TD error learn() sees
        c.learn(reward, terminated, trial_end)
        da = c.da_queue[(c._tick - 1 - c.da_delay) % (c.da_delay + 1)]
        self.da = da + c.stimulation[:, 0] if c.stimulated else da
        self.trials = self.trials + trial_end.to(torch.int64)
        self.rate = self.rate + (reward - self.rate) / self.rate_window
        cost = self.stim_cost * (stimulation * stimulation).sum(-1)
        session_end = trial_end & (self.trials >= self.session_trials)
        final_obs = self._observe(obs)
        out = final_obs
        # A host read only when a session may have ended: each step adds at most one trial, so none
        # can end within ``session_trials - max(trials)`` steps of the last read (once per session
        # when the batch runs in lockstep, as on one-step trials).
        self._countdown -= 1
        if self._countdown <= 0:
            any_end, most = torch.stack([session_end.any().long(), self.trials.max()]).tolist()
            if any_end:
                self.episode += 1
                out = torch.where(session_end.unsqueeze(-1), self._observe(self._begin(session_end)), final_obs)
                most = int(self.trials.max())
            self._countdown = self.session_trials - most
        info = dict(info)
        info.update(
            circuit_action=action,
            task_reward=reward,
            stim_cost=cost,
            stimulation=stimulation * self.stim_scale,
            final_obs=final_obs,
            session_end=session_end,
        )
        return out, reward - cost, torch.zeros_like(session_end), session_end, info


_ARGS_DOC = """
    ## Arguments
    ``task`` (set by the id), ``lesion=None`` (a lesion spec such as ``"ne"``, see
    :mod:`nmgym.circuit.lesion`), ``circuit=None`` (a dict of :class:`~nmgym.circuit.CircuitParams`
    fields), ``inputs=None`` (the task's observation sub-spaces the circuit receives, all by
    default; e.g. ``("trial",)`` for ReversalBandit as in the bandit study), ``session_trials``
    (trials per session: the task's ``trials_per_episode`` if above 1, else 200),
    ``stim_scale=1.0`` (one number or four: the stimulation of an action of 1 per channel),
    ``stim_cost=0.01``, ``rate_window=10.0`` (steps of the reward-rate average), ``device="cpu"``,
    and any task parameter by keyword (``reversal_every=25``).
"""


class CircuitEnv(NoRendering, gym.Env[np.ndarray, np.ndarray]):
    """A neuromodulated circuit learning a task, stimulated by the acting agent (a controller).

    ## Description
    The world is a :class:`~nmgym.circuit.Circuit` (optionally lesioned) learning an nmgym task
    from scratch. Each step the controller sets the stimulation of the circuit's four modulator
    channels; the circuit then acts on its task (one task step), sees the outcome and learns
    under the stimulated modulators. Stimulation can compensate a lesion: e.g. NE pulses after a
    reversal trigger the network reset that a NE-lesioned circuit lacks. Made by
    ``gymnasium.make("nmgym/Circuit-<Task>-v0", lesion="ne", inputs=("trial",))``.

    ## Action Space
    ``Box(-1, 1, (4,), float32)``: stimulation of each channel, times ``stim_scale``:

    | index | channel | effect of stimulation ``s`` |
    |---|---|---|
    | 0 | da | added to the dopamine signal (the TD error as delivered) that captures tags |
    | 1 | ne | added to the NE level, clamped to [0, 1] (learning-rate boost, gain, reset above 0.5) |
    | 2 | ach | added to the ACh level (input attention gain, long-range coupling), clamped at 0 |
    | 3 | 5ht | added to the 5-HT level (discount horizon, capture threshold, coupling damping), >= 0 |

    Values outside [-1, 1] are clipped; a wrong shape, a non-float dtype or NaN raise an error.

    ## Observation Space
    ``Box(float32)`` of width ``task obs + 7 + n_areas`` (13 for ReversalBandit):

    | index | name | meaning | bounds |
    |---|---|---|---|
    | 0..d-1 | task | the task's current observation (cue period, go signal, ...) | the task's |
    | d | da | dopamine delivered at the last step (TD error after lesion, plus stimulation) | [-10, 10] |
    | d+1 | ne | NE level | [0, 4] |
    | d+2 | ach | ACh level | [0, 4] |
    | d+3 | 5ht | 5-HT level | [0, 4] |
    | d+4 | reward_rate | running mean of the task reward over ``rate_window`` steps | [-10, 10] |
    | d+5..d+4+K | activity | mean absolute activity of each of the K areas | [0, 1] |
    | d+5+K | td_error | the last TD error, before lesion and stimulation | [-10, 10] |
    | d+6+K | session | fraction of the session's trials done | [0, 1] |

    ## Rewards
    The circuit's task reward at the step, less ``stim_cost * sum(action**2)`` (the action before
    ``stim_scale``).

    ## Starting State
    A session starts a fresh circuit (weights drawn from a new counter-based seed stream per
    session: see :func:`episode_seed`) and a new task episode; all modulator levels at rest.

    ## Episode End
    Truncated after ``session_trials`` task trials (the session); never terminated.
    """

    __doc__ = (__doc__ or "") + _ARGS_DOC
    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 (gymnasium.Env: an instance attribute)

    def __init__(self, task: str, *, render_mode: str | None = None, **kwargs: Any) -> None:
        check_render_mode(render_mode, "circuit envs")
        self.world = CircuitWorld(task, 1, **kwargs)
        self.observation_space = spaces.Box(self.world.obs_low, self.world.obs_high, dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, (N_CHANNELS,), dtype=np.float32)
        self._seeded = False
        self._next_obs: np.ndarray | None = None  # the session the world began when the last one ended

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        if seed is None and not self._seeded:
            seed = int(self.np_random.integers(0, 2**31 - 1))
        if seed is None and self._next_obs is not None:
            obs = self._next_obs  # already begun within the last step: no second session
        else:
            obs = self.world.reset(seed=seed)[0].cpu().numpy()
        self._seeded, self._next_obs = True, None
        return obs, {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        stim = check_stimulation(action, None, self.world.device)
        obs, reward, terminated, truncated, info = self.world.step(stim)
        done = bool(truncated[0])
        final = info.pop("final_obs")
        self._next_obs = obs[0].cpu().numpy() if done else None
        out = (final if done else obs)[0].cpu().numpy()
        info_out = {k: v[0].cpu().numpy() if v.dim() > 1 else v[0].item() for k, v in info.items()}
        return out, float(reward[0]), bool(terminated[0]), done, info_out


class CircuitVectorEnv(NoRendering, VectorEnv):
    """``num_envs`` circuits, each learning its own task instance, as one native vector env.

    Made by ``gymnasium.make_vec("nmgym/Circuit-<Task>-v0", num_envs=B, **kwargs)``; spaces,
    rewards and sessions as in :class:`CircuitEnv` (the batch of ``B`` circuits advances in one
    batched call). ``backend="numpy"`` (arrays in and out) or ``"torch"`` (tensors on ``device``);
    autoreset is ``SAME_STEP`` only: a session that ends restarts within the step, its last
    observation in ``info["final_obs"]`` where ``info["_final_obs"]``. ``reset(seed=s)`` reseeds the
    tasks and circuits; agent ``i`` draws agent ``i``'s streams.
    """

    def __init__(
        self,
        task: str,
        num_envs: int = 1,
        *,
        device: str | torch.device = "cpu",
        backend: str = "numpy",
        autoreset_mode: AutoresetMode | str = AutoresetMode.SAME_STEP,
        render_mode: str | None = None,
        **kwargs: Any,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"backend={backend!r} is not allowed; choose one of {', '.join(BACKENDS)}")
        check_render_mode(render_mode, "circuit envs")
        if _autoreset_mode(autoreset_mode) != AutoresetMode.SAME_STEP:
            raise ValueError(f"autoreset_mode={autoreset_mode!r} is not supported; circuit envs use same_step")
        self.world = CircuitWorld(task, num_envs, device=device, **kwargs)
        self.num_envs, self.backend = num_envs, backend
        self.metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}
        self.single_observation_space = spaces.Box(self.world.obs_low, self.world.obs_high, dtype=np.float32)
        self.single_action_space = spaces.Box(-1.0, 1.0, (N_CHANNELS,), dtype=np.float32)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._seeded = False

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict]:
        """Begin a new session for every circuit (partial resets happen within :meth:`step`)."""
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
            raise TypeError(f"seed must be a single non-negative integer shared by the batch; got {seed!r}")
        super().reset(seed=None if seed is None else int(seed))
        if seed is None and not self._seeded:
            seed = int(self.np_random.integers(0, 2**31 - 1))
        self._seeded = True
        return self._out(self.world.reset(seed=None if seed is None else int(seed))), {}

    def step(self, actions: Any) -> tuple[Any, Any, Any, Any, dict]:
        """Advance every circuit one step; ``actions`` is float ``(num_envs, 4)`` in ``[-1, 1]``."""
        stim = check_stimulation(actions, self.num_envs, self.world.device)
        obs, reward, terminated, truncated, info = self.world.step(stim)
        info["_final_obs"] = truncated
        out = info if self.backend == "torch" else to_numpy(info)
        everywhere = self._out(torch.ones(self.num_envs, dtype=torch.bool, device=self.world.device))
        for key in list(out):
            if not key.startswith("_"):
                out.setdefault(f"_{key}", everywhere)
        return self._out(obs), self._out(reward), self._out(terminated), self._out(truncated), out

    def close_extras(self, **kwargs: Any) -> None:
        """Nothing to release: the world holds only tensors."""

    def _out(self, value: torch.Tensor) -> Any:
        return value if self.backend == "torch" else value.cpu().numpy()
