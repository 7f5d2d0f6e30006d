"""CueReward: a cued go/no-go task with delayed reward (Schultz, Dayan & Montague 1997)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nmgym.tasks.base import Channel, Task
from nmgym.tasks.params import TaskParams, check_bool, check_float, check_int

_CUE = 1


@dataclass(frozen=True)
class CueRewardParams(TaskParams):
    """Parameters of :class:`CueReward` (see its docstring)."""

    n_cues: int = 4
    target_cue: int = 0
    trial_steps: int = 10
    cue_step: int = 2
    decision_step: int = 3
    reward_step: int = 7
    reward: float = 1.0
    go_penalty: float = 0.2
    fixation_required: bool = False
    abort_penalty: float = 0.1

    def validate(self) -> None:
        super().validate()
        check_int(self, "n_cues", low=2)
        check_int(self, "target_cue", low=0, high=self.n_cues - 1)
        check_int(self, "trial_steps", low=1)
        check_int(self, "cue_step", low=0, high=self.trial_steps - 1)
        check_int(self, "decision_step", low=self.cue_step, high=self.trial_steps - 1)
        check_int(self, "reward_step", low=self.decision_step, high=self.trial_steps - 1)
        check_float(self, "reward", low=0.0, open_low=True)
        check_float(self, "go_penalty", low=0.0)
        check_bool(self, "fixation_required")
        check_float(self, "abort_penalty", low=0.0)


class CueReward(Task):
    """Cued go/no-go with a reward that arrives steps after the choice.

    ## Description
    The task behind the dopamine reward-prediction error (Schultz, Dayan & Montague 1997). Each
    trial lasts ``trial_steps`` steps. One of ``n_cues`` cues, drawn uniformly, appears at
    ``cue_step`` and stays on through ``decision_step``, when a go signal asks for a choice. Going
    on the target cue is rewarded at ``reward_step`` (4 steps after the choice by default); going
    on another cue costs ``go_penalty`` at the same step; withholding earns nothing. A learner
    must carry credit across the delay (eligibility traces or a learned value).

    ## Action Space
    ``Discrete(2)``: 0 = no-go (withhold), 1 = go. The choice is the action at ``decision_step``;
    with ``fixation_required=True`` (as in NeuroGym; off by default) a go before it breaks fixation
    and aborts the trial. Actions after the choice are ignored.

    ## Observation Space
    | index | name | meaning |
    |---|---|---|
    | 0 | fixation | 1 before the decision step |
    | 1..n_cues | cue | one-hot cue, on from ``cue_step`` to ``decision_step`` |
    | n_cues+1 | go | 1 at ``decision_step`` |

    ## Rewards
    ``reward`` (1) at ``reward_step`` after go on the target cue, ``-go_penalty`` (0.2) after go on
    another cue, ``-abort_penalty`` (0.1) on breaking fixation, 0 otherwise.

    ## Episode End
    Terminated when the trial ends (after ``trial_steps`` steps, or at a fixation break); with
    ``trials_per_episode > 1``
    the episode is a session truncated after that many trials.

    ## Arguments
    ``n_cues=4, target_cue=0, trial_steps=10, cue_step=2, decision_step=3, reward_step=7,
    reward=1.0, go_penalty=0.2, fixation_required=False, abort_penalty=0.1, trials_per_episode=1``.

    ## Oracle
    Withhold until the decision step, then go on the target cue only: expected reward
    ``reward / n_cues`` per trial.

    ## References
    Schultz W, Dayan P, Montague PR (1997). A neural substrate of prediction and reward.
    *Science* 275:1593-1599.
    """

    Params = CueRewardParams
    params: CueRewardParams
    action_names = ("no-go", "go")
    go_action = 1
    paper = "Schultz, Dayan & Montague (1997), Science 275:1593"
    tags = ("dopamine", "reward prediction error", "go/no-go", "delayed reward")

    def _layout(self) -> list[Channel]:
        return [("fixation", 1, 0.0, 1.0), ("cue", self.params.n_cues, 0.0, 1.0), ("go", 1, 0.0, 1.0)]

    def _init_state(self) -> None:
        self.cue = torch.zeros(self.num_envs, dtype=torch.int64, device=self.device)
        self.went = torch.zeros(self.num_envs, dtype=torch.bool, device=self.device)

    def _start_trial(self, mask: torch.Tensor) -> None:
        self.cue = torch.where(mask, self._draw_int(_CUE, self.params.n_cues), self.cue)
        self.went = self.went & ~mask

    def _observe(self) -> torch.Tensor:
        p = self.params
        t = self.t
        cue_on = ((t >= p.cue_step) & (t <= p.decision_step)).unsqueeze(-1)
        cue = torch.nn.functional.one_hot(self.cue, p.n_cues).to(torch.float32) * cue_on
        fixation = (t < p.decision_step).to(torch.float32).unsqueeze(-1)
        go = (t == p.decision_step).to(torch.float32).unsqueeze(-1)
        return torch.cat([fixation, cue, go], dim=-1)

    def _correct_action(self) -> torch.Tensor:
        return ((self.t == self.params.decision_step) & (self.cue == self.params.target_cue)).to(torch.int64)

    def _advance(self, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict]:
        p = self.params
        decision = self.t == p.decision_step
        self.went = torch.where(decision, action == 1, self.went)
        payoff = torch.where(self.cue == p.target_cue, p.reward, -p.go_penalty)
        reward = torch.where((self.t == p.reward_step) & self.went, payoff, 0.0)
        trial_end = self.t == p.trial_steps - 1
        fixating = self.t < p.decision_step
        aborted = fixating & (action == 1) & p.fixation_required
        reward = torch.where(aborted, -p.abort_penalty, reward)
        scored = decision | (fixating & p.fixation_required)
        info = {"decision": scored, "cue": self.cue, "go": self.went, "aborted": aborted}
        trial_end = trial_end | aborted
        return reward, trial_end, torch.zeros_like(trial_end), info
