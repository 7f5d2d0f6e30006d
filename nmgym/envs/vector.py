"""The native Gymnasium vector env: the whole batch advances in one kernel call."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from nmgym.envs.rendering import NoRendering, check_render_mode
from nmgym.envs.spaces import action_space, observation_space, to_numpy
from nmgym.tasks import task_class

BACKENDS = ("numpy", "torch")


def _autoreset_mode(mode: AutoresetMode | str) -> AutoresetMode:
    """The mode named by an enum or a string in any case and spelling (``"disabled"``, ``"SameStep"``)."""
    if isinstance(mode, AutoresetMode):
        return mode
    key = str(mode).replace("_", "").replace("-", "").lower()
    for candidate in AutoresetMode:
        if key in (candidate.value.lower(), candidate.name.replace("_", "").lower()):
            return candidate
    allowed = ", ".join(m.value for m in AutoresetMode)
    raise ValueError(f"autoreset_mode={mode!r} is not allowed; choose one of {allowed} (any case)")


class TaskVectorEnv(NoRendering, VectorEnv):
    """``num_envs`` instances of an nmgym task behind Gymnasium's ``VectorEnv`` API.

    Made by ``gymnasium.make_vec("nmgym/<Task>-v0", num_envs=N, **kwargs)``.

    Args:
        task: the task's name.
        num_envs: batch size.
        device: torch device of the kernel.
        backend: ``"numpy"`` (arrays in and out) or ``"torch"`` (tensors on ``device``, no copy).
        autoreset_mode: ``AutoresetMode.SAME_STEP`` (default: an ended env restarts within the
            step; its last observation is in ``info["final_obs"]`` where ``info["_final_obs"]``),
            ``DISABLED`` (ended envs wait for ``reset(options={"reset_mask": mask})``, which hands
            out the episode the kernel already began, so SAME_STEP and DISABLED see the same
            episodes) or ``NEXT_STEP`` (the step after the end resets the env and ignores its
            action; that reset draws a fresh episode).
        agent_offset: global index of the first env (see :class:`nmgym.tasks.Task`).
        **params: task parameters.

    Seeding: ``reset(seed=s)`` gives env ``i`` the counter-based stream of agent ``i`` under
    seed ``s``, so env ``i`` replays exactly as a single env does with the same seed and
    ``agent_offset=i``.
    """

    def __init__(
        self,
        task: str,
        num_envs: int = 1,
        *,
        device: str | torch.device = "cpu",
        backend: str = "numpy",
        autoreset_mode: AutoresetMode | str = AutoresetMode.SAME_STEP,
        agent_offset: int = 0,
        render_mode: str | None = None,
        **params: Any,
    ):
        if backend not in BACKENDS:
            raise ValueError(f"backend={backend!r} is not allowed; choose one of {', '.join(BACKENDS)}")
        check_render_mode(render_mode, "nmgym tasks")
        self.autoreset_mode = _autoreset_mode(autoreset_mode)
        self.task = task_class(task)(num_envs, device=device, agent_offset=agent_offset, keep_final_obs=True, **params)
        self.num_envs = num_envs
        self.backend = backend
        self.metadata = {"autoreset_mode": self.autoreset_mode, "render_modes": []}
        self.single_observation_space = observation_space(self.task)
        self.single_action_space = action_space(self.task)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._pending = torch.zeros(num_envs, dtype=torch.bool, device=self.task.device)
        self._next_obs = torch.zeros(num_envs, self.task.obs_dim, device=self.task.device)
        self._seeded = False
        self._all = torch.ones(num_envs, dtype=torch.bool, device=self.task.device)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict]:
        """Reset every env, or those in ``options["reset_mask"]`` (bool, shape ``(num_envs,)``)."""
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"seed must be a single non-negative integer shared by the batch; got {seed!r}")
        super().reset(seed=None if seed is None else int(seed))
        if seed is None and not self._seeded:
            seed = int(self.np_random.integers(0, 2**31 - 1))
        mask = self._all if not options or "reset_mask" not in options else self._to_mask(options["reset_mask"])
        if seed is None and self.autoreset_mode == AutoresetMode.DISABLED:
            # Envs that ended have already begun their next episode in the kernel: hand it out.
            begun = mask & self._pending
            obs, info = self.task.reset(mask=mask & ~begun)
            obs = torch.where(begun.unsqueeze(-1), self._next_obs, obs)
        else:
            obs, info = self.task.reset(mask=mask, seed=None if seed is None else int(seed))
        self._seeded = True
        self._pending = self._pending & ~mask
        return self._out(obs), self._out_info(info)

    def step(self, actions: Any) -> tuple[Any, Any, Any, Any, dict]:
        """Advance every env by one step; ``actions`` has shape ``(num_envs,)``, integer dtype."""
        obs, reward, terminated, truncated, info = self.task.step(self._to_action(actions))
        final_obs = info.pop("final_obs")
        ended = terminated | truncated
        if self.autoreset_mode == AutoresetMode.SAME_STEP:
            info["final_obs"], info["_final_obs"] = final_obs, ended
        elif self.autoreset_mode == AutoresetMode.DISABLED:
            self._pending = ended
            self._next_obs = obs
            obs = torch.where(ended.unsqueeze(-1), final_obs, obs)
        else:  # NEXT_STEP: envs that ended last step restart now; their action is ignored
            pending = self._pending
            restart_obs, _ = self.task.reset(mask=pending)
            obs = torch.where(ended.unsqueeze(-1) & ~pending.unsqueeze(-1), final_obs, restart_obs)
            reward = torch.where(pending, 0.0, reward)
            terminated, truncated = terminated & ~pending, truncated & ~pending
            ended = terminated | truncated
            self._pending = ended
        return self._out(obs), self._out(reward), self._out(terminated), self._out(truncated), self._out_info(info)

    def close_extras(self, **kwargs: Any) -> None:
        """Nothing to release: the kernel holds only tensors."""

    # ------------------------------------------------------------------ conversion
    def _out(self, value: torch.Tensor) -> Any:
        return value if self.backend == "torch" else value.cpu().numpy()

    def _out_info(self, info: dict[str, torch.Tensor]) -> dict[str, Any]:
        out = info if self.backend == "torch" else to_numpy(info)
        everywhere = self._out(torch.ones(self.num_envs, dtype=torch.bool, device=self.task.device))
        for key in list(out):
            if not key.startswith("_"):
                out.setdefault(f"_{key}", everywhere)
        return out

    def _to_mask(self, mask: Any) -> torch.Tensor:
        tensor = torch.as_tensor(np.asarray(mask) if not isinstance(mask, torch.Tensor) else mask)
        if tensor.dtype != torch.bool or tensor.shape != (self.num_envs,):
            raise ValueError(
                f"reset_mask must be a bool array of shape ({self.num_envs},); "
                f"got dtype {tensor.dtype} and shape {tuple(tensor.shape)}"
            )
        return tensor.to(self.task.device)

    def _to_action(self, actions: Any) -> torch.Tensor:
        if isinstance(actions, torch.Tensor):
            return actions
        array = np.asarray(actions)
        if array.dtype.kind not in "iu":
            raise TypeError(
                f"actions must be integers in 0..{self.task.n_actions - 1} ({', '.join(self.task.action_names)}); "
                f"got dtype {array.dtype}"
            )
        return torch.from_numpy(array.astype(np.int64, copy=False)).to(self.task.device)
