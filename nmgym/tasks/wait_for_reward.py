"""WaitForReward: hold on for a delayed, sometimes omitted reward (Miyazaki et al. 2014)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nmgym.tasks.base import Channel, Task
from nmgym.tasks.params import TaskParams, check_float, check_int, check_int_tuple

_DELAY, _OMISSION = 1, 2


@dataclass(frozen=True)
class WaitForRewardParams(TaskParams):
    """Parameters of :class:`WaitForReward` (see its docstring)."""

    delays: tuple[int, ...] = (30, 60, 90)
    omission_prob: float = 0.25
    timeout: int = 180
    reward: float = 1.0
    leave_reward: float = 0.0
    shaping_trials: int = 0

    def validate(self) -> None:
        super().validate()
        check_int_tuple(self, "delays", low=1)
        check_float(self, "omission_prob", low=0.0, high=1.0)
        check_int(self, "timeout", low=1)
        check_float(self, "reward", low=0.0, open_low=True)
        check_float(self, "leave_reward", low=0.0, high=self.reward)
        check_int(self, "shaping_trials", low=0)


class WaitForReward(Task):
    """Keep holding until the reward comes; leaving early forfeits it.

    ## Description
    The waiting task of Miyazaki, Miyazaki & Doya (2014), in which stimulating dorsal-raphe
    serotonin neurons made mice wait longer. One step stands for 100 ms. Each step the agent
    holds or leaves. After ``delay`` steps of holding (drawn per trial from ``delays``: 3, 6 or
    9 s) the reward arrives, except on omission trials (probability ``omission_prob``), which end
    only at ``timeout``. Leaving ends the trial with ``leave_reward`` (0 by default: a small
    positive value turns it into a smaller-sooner option, as in delay discounting, Mobini et al.
    2000). Patience is measured as failures per delay and as waiting time on omission trials.
    With ``shaping_trials > 0`` the delays grow linearly from one step to their full length over
    that many trials, as mice are trained on progressively longer delays before testing.

    ## Action Space
    ``Discrete(2)``: 0 = hold, 1 = leave. Leaving is the task's ``go_action``, the active response
    that waiting withholds: serotonin's Pavlovian inhibition and persistence of withholding act on
    it (behavioural inhibition, Soubrie 1986; see :class:`~nmgym.circuit.Circuit`).

    ## Observation Space
    | index | name | meaning |
    |---|---|---|
    | 0 | port | 1 while the trial is on |
    | 1 | start | 1 at the trial's first step |

    ## Rewards
    ``reward`` (1) when the delay is reached on a rewarded trial; ``leave_reward`` on leaving.

    ## Episode End
    Terminated on the reward or on leaving; truncated when an omission trial reaches
    ``timeout`` steps of holding (the time limit on waiting). Sessions as in every task.

    ## Arguments
    ``delays=(30, 60, 90), omission_prob=0.25, timeout=180, reward=1.0, leave_reward=0.0,
    shaping_trials=0, trials_per_episode=1``.

    ## Oracle
    Always hold: the best fixed strategy (with ``leave_reward`` below the discounted reward).

    ## References
    Miyazaki KW, Miyazaki K, Tanaka KF, Yamanaka A, Takahashi A, Tabuchi S, Doya K (2014).
    Optogenetic activation of dorsal raphe serotonin neurons enhances patience for future
    rewards. *Current Biology* 24:2033-2040.
    Mobini S et al. (2000). Effects of central 5-hydroxytryptamine depletion on sensitivity to
    delayed and probabilistic reinforcement. *Psychopharmacology* 152:390-397.
    """

    Params = WaitForRewardParams
    params: WaitForRewardParams
    action_names = ("hold", "leave")
    go_action = 1  # leaving: the response that waiting withholds
    paper = "Miyazaki et al. (2014), Current Biology 24:2033"
    tags = ("serotonin", "patience", "delayed reward", "waiting")

    def _layout(self) -> list[Channel]:
        return [("port", 1, 0.0, 1.0), ("start", 1, 0.0, 1.0)]

    def _init_state(self) -> None:
        self.delay = torch.zeros(self.num_envs, dtype=torch.int64, device=self.device)
        self.omission = torch.zeros(self.num_envs, dtype=torch.bool, device=self.device)
        self.active = torch.zeros(self.num_envs, dtype=torch.bool, device=self.device)
        self._delays = torch.tensor(self.params.delays, dtype=torch.int64, device=self.device)

    def _start_trial(self, mask: torch.Tensor) -> None:
        p = self.params
        delay = self._delays[self._draw_int(_DELAY, len(p.delays))]
        if p.shaping_trials > 0:  # training stage: delays grow from 1 step to full length
            stage = ((self.trials_started + 1).to(torch.float32) / p.shaping_trials).clamp(max=1.0)
            delay = (delay.to(torch.float32) * stage).ceil().to(torch.int64)
        self.delay = torch.where(mask, delay, self.delay)
        self.omission = torch.where(mask, self._draw_uniform(_OMISSION) < p.omission_prob, self.omission)
        self.active = self.active | mask

    def _observe(self) -> torch.Tensor:
        start = self.active & (self.t == 0)
        return torch.stack([self.active.to(torch.float32), start.to(torch.float32)], dim=-1)

    def _correct_action(self) -> torch.Tensor:
        return torch.zeros_like(self.t)

    def _advance(self, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict]:
        p = self.params
        left = action == 1
        held = self.t + (~left).to(torch.int64)  # steps of holding once this action is taken
        over = held >= torch.where(self.omission, p.timeout, self.delay)
        rewarded = over & ~left & ~self.omission
        reward = torch.where(left, p.leave_reward, torch.where(rewarded, p.reward, 0.0))
        timed_out = over & ~left & self.omission
        trial_end = left | over
        self.active = ~trial_end
        ones = torch.ones_like(left)
        info = {"decision": ones, "delay": self.delay, "omission": self.omission, "left": left, "waited": held}
        return reward, trial_end, timed_out, info
