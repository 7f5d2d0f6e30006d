"""PlasticAgent: the neuromodulated plastic circuit acting on any discrete-action env."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from agents.base import Agent
from nmgym.circuit import Circuit, CircuitParams, Lesion
from nmgym.circuit.routing import route_inputs
from nmgym.tasks import Task
from nmgym.validation import check_flag


class PlasticAgent(Agent):
    """The circuit of :mod:`nmgym.circuit` as an agent, intact or lesioned.

    Args:
        env: a batched nmgym task (fastest: no numpy round trip), a Gymnasium vector env
            (nmgym's, ``SyncVectorEnv``, ``AsyncVectorEnv``) or a single Gymnasium env, with a
            Discrete action space and a 1-D Box observation space.
        params: :class:`CircuitParams`.
        lesion: a lesion spec such as ``"ne"`` or ``"da:delay=5+tags"``.
        inputs: the observation sub-spaces the circuit receives (all by default), e.g.
            ``("trial",)`` to hide ReversalBandit's previous action and reward.
        device, seed: where the circuit runs and its counter-based seed.
        record: keep the per-step modulator levels (``agent.circuit.levels``).
        compile: run the circuit's step through ``torch.compile`` (see :class:`Circuit`).
        trace_dtype: storage of the eligibility traces (``torch.bfloat16`` halves their bytes).
        efference: also feed the circuit a copy of its previous action within the trial (a motor
            corollary discharge), so activity after a choice says which choice was made.
        go_action: the go response, on which 5-HT's Pavlovian inhibition acts (see
            :class:`Circuit`); by default the task's ``go_action`` where the env is an nmgym task
            (CueReward, CrossAreaXOR), else none.
        greedy: choose the policy's most probable action instead of sampling it (a deterministic
            evaluation, as Stable-Baselines3's ``deterministic=True``; learning goes on). The
            attribute of that name can be switched during a run.

    Sub-spaces named ``area_a``, ``area_b``, ... feed only the matching area (CrossAreaXOR); the
    rest feed every area.
    """

    def __init__(
        self,
        env,
        *,
        params: CircuitParams | None = None,
        lesion: str | Lesion | None = None,
        inputs: Sequence[str] | None = None,
        device: str | torch.device | None = None,
        seed: int = 0,
        record: bool = False,
        efference: bool = False,
        compile: bool = False,
        trace_dtype: torch.dtype | None = None,
        go_action: int | None = None,
        greedy: bool = False,
    ):
        super().__init__(env, device=device, seed=seed)
        params = CircuitParams.given(params, "PlasticAgent", example="beta=2.0")
        columns, areas = route_inputs(self.world.obs_slices, inputs, params.n_areas)
        self.columns = columns.to(self.device)
        self.efference = efference = check_flag(efference, "efference", owner="PlasticAgent")
        self.greedy = check_flag(greedy, "greedy", owner="PlasticAgent")
        n_efference = self.world.n_actions if efference else 0
        self.last_action = torch.zeros(self.B, n_efference, device=self.device)
        areas = torch.cat([areas, torch.ones(params.n_areas, n_efference, dtype=torch.bool)], dim=1)
        offset = int(self.world.env.agent_ids[0]) if isinstance(self.world.env, Task) else 0
        self.circuit = Circuit(
            self.B,
            len(self.columns) + n_efference,
            self.world.n_actions,
            params,
            lesion,
            input_areas=areas,
            device=self.device,
            seed=seed,
            agent_offset=offset,
            record=record,
            compile=compile,
            trace_dtype=trace_dtype,
            go_action=go_action if go_action is not None else getattr(self.world.task, "go_action", None),
            check_inputs=False,  # finite inputs: a task's by construction, a gym env's checked as they enter
        )

    def _input(self, obs: torch.Tensor) -> torch.Tensor:
        return torch.cat([obs[:, self.columns].float(), self.last_action], dim=1)

    def begin(self, obs: torch.Tensor) -> None:
        self.last_action.zero_()
        self.circuit.forward(self._input(obs))

    def act(self) -> torch.Tensor:
        action = self.circuit.act(self.circuit.probs.argmax(-1) if self.greedy else None)
        if self.efference:
            self.last_action = torch.nn.functional.one_hot(action, self.world.n_actions).float()
        return action

    def check(self) -> None:
        """A non-finite value estimate means the learning diverged: fail loudly, since a NaN
        policy would otherwise keep choosing action 0."""
        bad = ~torch.isfinite(self.circuit.value)
        if bool(bad.any()):
            agents = bad.nonzero().flatten().tolist()
            raise FloatingPointError(f"the circuit's learning diverged (non-finite value) in agents {agents[:10]}")

    def observe(
        self, obs: torch.Tensor, reward: torch.Tensor, terminated: torch.Tensor, boundary: torch.Tensor
    ) -> None:
        self.last_action.mul_((~boundary).float().unsqueeze(-1))
        self.circuit.forward(self._input(obs), reset=boundary)
        self.circuit.learn(reward, terminated, boundary)
