"""A TorchRL ``EnvBase`` over nmgym's native torch kernel: batched, on its device, partial resets.

```python
from torchrl.envs.utils import check_env_specs
from nmgym.adapters.torchrl import TorchRLEnv

env = TorchRLEnv("CueReward", num_envs=1024, device="cuda")
check_env_specs(env)
rollout = env.rollout(100, break_when_any_done=False)  # [1024, 100] tensordict on the GPU
```
"""

from __future__ import annotations

from typing import Any

import torch
from gymnasium.vector import AutoresetMode
from tensordict import TensorDict, TensorDictBase
from torchrl.data import Bounded, Categorical, Composite, Unbounded
from torchrl.envs import EnvBase

from nmgym.envs import TaskVectorEnv


class TorchRLEnv(EnvBase):
    """``num_envs`` instances of an nmgym task as one TorchRL env with ``batch_size=[num_envs]``.

    Keys: ``"observation"`` (float32 ``[B, obs_dim]``, bounded by the task's channel bounds),
    ``"action"`` (int64 ``[B]``, categorical), ``"reward"`` (float32 ``[B, 1]``) and ``"done"``,
    ``"terminated"``, ``"truncated"`` (bool ``[B, 1]``).

    The kernel's same-step autoreset is held back (the vector env runs in ``DISABLED`` mode): a step
    that ends an episode returns its last observation with ``done`` set, and TorchRL's partial reset
    (``"_reset"`` mask, as ``rollout(break_when_any_done=False)`` and the collectors send it) hands
    out the episode the kernel has already begun. Everything stays on the kernel's device; the
    adapter adds no host-device synchronisation.

    Args:
        task: task name.
        num_envs: batch size.
        device: torch device of the kernel and of every tensordict.
        seed: seed of the batch, used by the first reset (``set_seed`` seeds the next one); env ``i``
            draws agent ``i``'s stream.
        **params: task parameters.
    """

    _next_seed: int | None  # the seed the next reset uses (see _set_seed)

    def __init__(
        self, task: str, num_envs: int = 1, *, device: str | torch.device = "cpu", seed: int = 0, **params: Any
    ):
        self.venv = TaskVectorEnv(
            task, num_envs, device=device, backend="torch", autoreset_mode=AutoresetMode.DISABLED, **params
        )
        self.task = self.venv.task
        device = self.task.device
        super().__init__(device=device, batch_size=torch.Size([num_envs]))
        shape = self.batch_size
        low = torch.tensor(self.task.obs_low, device=device).expand(*shape, -1)
        high = torch.tensor(self.task.obs_high, device=device).expand(*shape, -1)
        self.observation_spec = Composite(
            observation=Bounded(low=low, high=high, shape=(*shape, self.task.obs_dim), dtype=torch.float32),
            shape=shape,
        )
        self.action_spec = Categorical(self.task.n_actions, shape=shape, dtype=torch.int64)
        self.reward_spec = Unbounded(shape=(*shape, 1), dtype=torch.float32)
        flag = Categorical(2, shape=(*shape, 1), dtype=torch.bool)
        self.done_spec = Composite(done=flag, terminated=flag.clone(), truncated=flag.clone(), shape=shape)
        self._set_seed(seed)

    def _reset(self, tensordict: TensorDictBase | None = None, **kwargs: Any) -> TensorDictBase:
        mask = None
        if tensordict is not None and "_reset" in tensordict:
            mask = tensordict.get("_reset").reshape(self.batch_size)
        seed, self._next_seed = self._next_seed, None  # a seed from set_seed applies to the next reset only
        obs, _ = self.venv.reset(seed=seed, options=None if mask is None else {"reset_mask": mask})
        flag = torch.zeros(*self.batch_size, 1, dtype=torch.bool, device=self.device)
        return TensorDict(
            {"observation": obs, "done": flag, "terminated": flag.clone(), "truncated": flag.clone()},
            batch_size=self.batch_size,
            device=self.device,
        )

    def _step(self, tensordict: TensorDictBase) -> TensorDictBase:
        action = tensordict.get("action")
        if action.shape != self.batch_size:  # the kernel checks dtype, range and device
            raise ValueError(
                f"action must have shape ({self.batch_size[0]},): one integer in 0..{self.task.n_actions - 1} "
                f"({', '.join(self.task.action_names)}) per env; got {tuple(action.shape)}"
            )
        obs, reward, terminated, truncated, _ = self.venv.step(action)
        terminated, truncated = terminated.unsqueeze(-1), truncated.unsqueeze(-1)
        return TensorDict(
            {
                "observation": obs,
                "reward": reward.unsqueeze(-1),
                "done": terminated | truncated,
                "terminated": terminated,
                "truncated": truncated,
            },
            batch_size=self.batch_size,
            device=self.device,
        )

    def _set_seed(self, seed: int | None) -> None:
        # One seed for the whole batch, used by the next reset: env i then replays agent i's stream.
        self._next_seed = None if seed is None else int(seed)
