"""A Stable-Baselines3 ``VecEnv`` over nmgym's native vector env.

SB3 steps Gymnasium envs one by one (``DummyVecEnv``) and has no adapter for Gymnasium vector
envs. :class:`SB3VecEnv` gives SB3 the whole batch in one kernel call per step, with SB3's
conventions: same-step autoreset, ``infos[i]["terminal_observation"]`` for an env whose episode
ended, and ``infos[i]["TimeLimit.truncated"]`` when it ended by a time limit only.

```python
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import VecMonitor
from nmgym.adapters.sb3 import SB3VecEnv

venv = VecMonitor(SB3VecEnv("ReversalBandit", num_envs=16))
PPO("MlpPolicy", venv, seed=0).learn(50_000)
```
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvObs, VecEnvStepReturn

from nmgym.envs import TaskVectorEnv
from nmgym.validation import check_integer


def _numpy(value: Any) -> np.ndarray:
    """A host numpy array from a tensor (any device) or an array."""
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


class SB3VecEnv(VecEnv):
    """``num_envs`` instances of an nmgym task as one Stable-Baselines3 ``VecEnv``.

    Args:
        env: a task name (``"CueReward"``) or a :class:`~nmgym.envs.TaskVectorEnv` in
            ``SAME_STEP`` autoreset mode (either backend).
        num_envs: batch size, when ``env`` is a name.
        device: torch device of the kernel, when ``env`` is a name. Observations cross to the host
            each step, since SB3 speaks numpy.
        info_keys: task info keys (e.g. ``"correct_action"``, ``"trial_end"``) copied into each
            env's info dict, as ``VecMonitor(info_keywords=...)`` needs. None by default: building
            per-env dicts is a Python loop over envs, and the whole batch's info of the last step
            is in :attr:`last_info` anyway (with :attr:`last_actions` and :attr:`last_rewards`, numpy
            ``[num_envs]`` arrays, unaffected by wrappers such as ``VecNormalize``).
        **params: task parameters, when ``env`` is a name.

    Seeding: ``seed(s)`` then ``reset()`` gives env ``i`` agent ``i``'s counter-based stream under
    ``s`` (the batch shares one seed, unlike ``DummyVecEnv``'s ``s + i``), so a run replays exactly.

    ``get_attr``, ``set_attr`` and ``env_method`` look a name up on the vector env, then on its
    task kernel. A value or result that is a ``[num_envs, ...]`` tensor or array is split per env;
    anything else is shared by the batch. A method runs once for the whole batch, whatever
    ``indices`` says; ``set_attr`` on a shared attribute must target every env.
    """

    def __init__(
        self,
        env: str | TaskVectorEnv,
        num_envs: int = 1,
        *,
        device: str | torch.device = "cpu",
        info_keys: Sequence[str] = (),
        **params: Any,
    ):
        if isinstance(env, str):
            env = TaskVectorEnv(env, num_envs, device=device, backend="torch", **params)
        elif not isinstance(env, TaskVectorEnv):
            raise TypeError(f"env must be a task name or an nmgym TaskVectorEnv; got {type(env).__name__}")
        elif params:
            raise TypeError(f"task parameters {sorted(params)} apply only when env is a task name")
        if env.autoreset_mode != AutoresetMode.SAME_STEP:
            raise ValueError(
                f"SB3 expects same-step autoreset; this vector env uses {env.autoreset_mode.value!r}: "
                "build it with autoreset_mode=AutoresetMode.SAME_STEP"
            )
        self.venv = env
        self.task = env.task
        self.info_keys = tuple(info_keys)
        self.last_actions = np.zeros(env.num_envs, dtype=np.int64)
        self.last_rewards = np.zeros(env.num_envs, dtype=np.float32)
        self.last_info: dict[str, np.ndarray] = {}
        self._actions: np.ndarray | None = None
        super().__init__(env.num_envs, env.single_observation_space, env.single_action_space)

    # ------------------------------------------------------------------ stepping
    def reset(self) -> VecEnvObs:
        """Reset every env, with the seed given to :meth:`seed` if any (used once)."""
        options = self._options[0] or None
        obs, _ = self.venv.reset(seed=self._seeds[0], options=options)
        self._reset_seeds()
        self._reset_options()
        self.reset_infos = [{} for _ in range(self.num_envs)]
        return _numpy(obs).astype(np.float32, copy=False)

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = self._check_actions(actions)

    def step_wait(self) -> VecEnvStepReturn:
        if self._actions is None:
            raise RuntimeError("step_wait() called without step_async(actions)")
        actions, self._actions = self._actions, None
        obs, reward, terminated, truncated, info = self.venv.step(actions)
        obs, reward = _numpy(obs).astype(np.float32, copy=False), _numpy(reward).astype(np.float32, copy=False)
        terminated, truncated = _numpy(terminated), _numpy(truncated)
        final_obs = _numpy(info.pop("final_obs"))
        self.last_actions, self.last_rewards = actions, reward
        self.last_info = {key: _numpy(value) for key, value in info.items() if not key.startswith("_")}
        dones = terminated | truncated
        # SB3's API is a list of per-env dicts: this loop is what it asks for (DummyVecEnv does the same).
        infos: list[dict[str, Any]] = [{"TimeLimit.truncated": t} for t in (truncated & ~terminated).tolist()]
        for i in np.flatnonzero(dones):
            infos[i]["terminal_observation"] = final_obs[i]
        if self.info_keys:
            columns = [self.last_info[key].tolist() for key in self.info_keys]
            for env_info, row in zip(infos, zip(*columns, strict=True), strict=True):
                env_info.update(zip(self.info_keys, row, strict=True))
        return obs, reward, dones, infos

    def close(self) -> None:
        self.venv.close()

    def seed(self, seed: int | None = None) -> Sequence[int | None]:
        """Seed the next :meth:`reset`; returns the seed of each env (one shared by the batch)."""
        if seed is None:
            seed = int(np.random.randint(0, 2**31 - 1))
        self._seeds = [check_integer(seed, "seed", low=0)] * self.num_envs
        return self._seeds

    def get_images(self) -> Sequence[np.ndarray | None]:
        return [None] * self.num_envs  # nmgym tasks do not render

    # ------------------------------------------------------------------ attributes and methods
    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """The attribute's value for each env in ``indices`` (see the class docstring)."""
        return self._split(getattr(self._owner(attr_name), attr_name), self._indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        """Set an attribute; a ``[num_envs, ...]`` tensor attribute can be set for some envs only."""
        owner, index = self._owner(attr_name, settable=True), self._indices(indices)
        current = getattr(owner, attr_name, None)
        if isinstance(current, torch.Tensor) and current.ndim and current.shape[0] == self.num_envs:
            current[torch.as_tensor(index, device=current.device)] = torch.as_tensor(value, device=current.device)
        elif len(index) == self.num_envs:
            setattr(owner, attr_name, value)
        else:
            raise ValueError(
                f"{attr_name!r} is shared by the whole batch: set it for every env (indices=None), "
                f"not for {len(index)} of {self.num_envs}"
            )

    def env_method(self, method_name: str, *method_args, indices: VecEnvIndices = None, **method_kwargs) -> list[Any]:
        """Call a method once for the batch; a ``[num_envs, ...]`` result is split per env."""
        method = getattr(self._owner(method_name), method_name)
        return self._split(method(*method_args, **method_kwargs), self._indices(indices))

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        return [False] * len(self._indices(indices))  # the batch is one kernel: no per-env wrappers

    # ------------------------------------------------------------------ internals
    def _check_actions(self, actions: Any) -> np.ndarray:
        n, names = self.task.n_actions, ", ".join(self.task.action_names)
        allowed = f"one integer in 0..{n - 1} ({names}) per env"
        array = _numpy(actions)
        if array.shape == (self.num_envs, 1):  # SB3 sometimes keeps a trailing action dimension
            array = array[:, 0]
        if array.shape != (self.num_envs,):
            raise ValueError(
                f"actions must have shape ({self.num_envs},), {allowed}; got an array of shape {array.shape}"
            )
        if array.dtype.kind not in "iu":
            raise TypeError(f"actions must be integers, {allowed}; got dtype {array.dtype}")
        return array.astype(np.int64, copy=False)

    def _indices(self, indices: VecEnvIndices) -> list[int]:
        index = list(self._get_indices(indices))
        bad = [i for i in index if not 0 <= int(i) < self.num_envs]
        if bad:
            raise IndexError(f"env indices {bad} out of range for {self.num_envs} envs")
        return [int(i) for i in index]

    def _owner(self, name: str, settable: bool = False) -> Any:
        for owner in (self.venv, self.task):
            if hasattr(owner, name):
                return owner
        if settable:
            return self.venv
        raise AttributeError(f"neither the vector env nor the {type(self.task).__name__} kernel has {name!r}")

    def _split(self, value: Any, index: Iterable[int]) -> list[Any]:
        # Only tensors are per-env state: numpy attributes (obs_low, obs_high) are per-channel.
        if isinstance(value, torch.Tensor) and value.ndim and value.shape[0] == self.num_envs:
            return [value[i] for i in index]
        return [value for _ in index]
