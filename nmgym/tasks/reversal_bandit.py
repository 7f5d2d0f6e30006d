"""ReversalBandit: a two-armed bandit whose better arm swaps without warning (Yu & Dayan 2005)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nmgym.tasks.base import Channel, Task
from nmgym.tasks.params import TaskParams, check_float, check_int

_FIRST_ARM, _PAYOUT = 1, 2


@dataclass(frozen=True)
class ReversalBanditParams(TaskParams):
    """Parameters of :class:`ReversalBandit` (see its docstring)."""

    p_high: float = 0.8
    p_low: float = 0.2
    reversal_every: int = 50
    trials_per_episode: int = 500

    def validate(self) -> None:
        super().validate()
        check_float(self, "p_high", low=0.0, high=1.0)
        check_float(self, "p_low", low=0.0, high=self.p_high)
        check_int(self, "reversal_every", low=1)


class ReversalBandit(Task):
    """Two arms paying with probabilities ``p_high`` and ``p_low``; the better arm swaps unsignalled.

    ## Description
    Unexpected uncertainty (Yu & Dayan 2005): every ``reversal_every`` trials the arms' payout
    probabilities swap without any cue. One step is one trial. A learner must notice the change
    point from its outcomes and relearn; noradrenaline's "network reset" (Bouret & Sara 2005) and
    a learning rate that rises with change-point probability (Nassar et al. 2010, 2012) do this.
    The first better arm is drawn per episode.

    ## Action Space
    ``Discrete(2)``: the arm to pull.

    ## Observation Space
    | index | name | meaning |
    |---|---|---|
    | 0 | trial | always 1 (a trial is on) |
    | 1..2 | prev_action | one-hot of the previous trial's arm (zeros on the first trial) |
    | 3 | prev_reward | the previous trial's reward |

    ## Rewards
    1 with probability ``p_high`` (better arm) or ``p_low`` (worse arm), else 0.

    ## Episode End
    A session of ``trials_per_episode`` trials (500) truncated by that time limit; never
    terminated.

    ## Arguments
    ``p_high=0.8, p_low=0.2, reversal_every=50, trials_per_episode=500``.

    ## Oracle
    Omniscient: always pulls the current better arm (expected reward ``p_high``), an upper bound
    no learner can reach since each reversal must first be detected.

    ## References
    Yu AJ, Dayan P (2005). Uncertainty, neuromodulation, and attention. *Neuron* 46:681-692.
    Bouret S, Sara SJ (2005). Network reset: a simplified overarching theory of locus coeruleus
    noradrenaline function. *Trends in Neurosciences* 28:574-582.
    Nassar MR et al. (2012). Rational regulation of learning dynamics by pupil-linked arousal
    systems. *Nature Neuroscience* 15:1040-1046.
    """

    Params = ReversalBanditParams
    params: ReversalBanditParams
    action_names = ("arm 0", "arm 1")
    paper = "Yu & Dayan (2005), Neuron 46:681"
    tags = ("noradrenaline", "change point", "reversal learning", "bandit")

    def _layout(self) -> list[Channel]:
        return [("trial", 1, 0.0, 1.0), ("prev_action", 2, 0.0, 1.0), ("prev_reward", 1, 0.0, 1.0)]

    def _init_state(self) -> None:
        zeros = torch.zeros(self.num_envs, dtype=torch.int64, device=self.device)
        self.good_arm = zeros
        self.prev_action = zeros - 1  # -1: no previous trial
        self.prev_reward = torch.zeros(self.num_envs, dtype=torch.float32, device=self.device)

    def _start_episode(self, mask: torch.Tensor) -> None:
        self.good_arm = torch.where(mask, self._draw_int(_FIRST_ARM, 2), self.good_arm)
        self.prev_action = torch.where(mask, -1, self.prev_action)
        self.prev_reward = torch.where(mask, 0.0, self.prev_reward)

    def _start_trial(self, mask: torch.Tensor) -> None:
        pass  # trials share the episode's state: the arms' payout

    def _observe(self) -> torch.Tensor:
        prev = torch.nn.functional.one_hot(self.prev_action.clamp(min=0), 2).to(torch.float32)
        prev = prev * (self.prev_action >= 0).unsqueeze(-1)
        trial = torch.ones_like(self.prev_reward).unsqueeze(-1)
        return torch.cat([trial, prev, self.prev_reward.unsqueeze(-1)], dim=-1)

    def _correct_action(self) -> torch.Tensor:
        return self.good_arm

    def _advance(self, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict]:
        p = self.params
        good = self.good_arm
        p_pay = torch.where(action == good, p.p_high, p.p_low)
        reward = (self._draw_uniform(_PAYOUT, per_step=True) < p_pay).to(torch.float32)
        self.prev_action, self.prev_reward = action, reward
        block_trial = self.trial % p.reversal_every
        self.good_arm = torch.where(block_trial == p.reversal_every - 1, 1 - good, good)
        ones = torch.ones_like(action, dtype=torch.bool)
        info = {"decision": ones, "good_arm": good, "block_trial": block_trial}
        return reward, ones, ~ones, info
