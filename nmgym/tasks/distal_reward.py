"""DistalReward: reward long after the choice, through distractors (Izhikevich 2007)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nmgym.tasks.base import Channel, Task
from nmgym.tasks.params import TaskParams, check_float, check_int, check_int_tuple

_CUE, _DELAY, _JITTER, _DISTRACTORS = 1, 2, 3, 4


@dataclass(frozen=True)
class DistalRewardParams(TaskParams):
    """Parameters of :class:`DistalReward` (see its docstring)."""

    delays: tuple[int, ...] = (0, 5, 10, 20, 30, 50)
    jitter: int = 5
    n_distractors: int = 20
    distractor_rate: float = 0.05
    reward: float = 1.0

    def validate(self) -> None:
        super().validate()
        check_int_tuple(self, "delays", low=0)
        check_int(self, "jitter", low=0)
        check_int(self, "n_distractors", low=0)
        check_float(self, "distractor_rate", low=0.0, high=1.0)
        check_float(self, "reward", low=0.0, open_low=True)


class DistalReward(Task):
    """Choose, then wait: the reward comes after a delay filled with distractors.

    ## Description
    The distal reward problem (Izhikevich 2007). One step stands for 100 ms. A cue (1 of 2)
    appears at step 0 and stays on at step 1, when a go signal asks for one of two actions; the
    correct action is the cue's index. The outcome arrives ``D + j`` steps after the choice, with
    ``D`` drawn from ``delays`` per trial and ``j`` uniform on ``0..jitter``. During the delay each
    of ``n_distractors`` channels fires independently with probability ``distractor_rate`` per
    step, so nothing in the observation tells which action was taken: only a synaptic tag (an
    eligibility trace) can link the reward to the choice. Dopamine must arrive while the tag lasts
    (Yagishita et al. 2014: 0.3-2 s).

    ## Action Space
    ``Discrete(2)``: the two responses. Only the action at step 1 counts.

    ## Observation Space
    | index | name | meaning |
    |---|---|---|
    | 0 | fixation | 1 at steps 0 and 1 |
    | 1..2 | cue | one-hot cue at steps 0 and 1 |
    | 3 | go | 1 at step 1 |
    | 4.. | distractors | ``n_distractors`` binary channels, random during the delay |

    ## Rewards
    ``reward`` (1) at the outcome step if the choice matched the cue, else 0.

    ## Episode End
    Terminated at the outcome step (``1 + D + j``); sessions as in every task
    (``trials_per_episode``).

    ## Arguments
    ``delays=(0, 5, 10, 20, 30, 50), jitter=5, n_distractors=20, distractor_rate=0.05,
    reward=1.0, trials_per_episode=1``.

    ## Oracle
    Respond with the cue's index: reward on every trial.

    ## References
    Izhikevich EM (2007). Solving the distal reward problem through linkage of STDP and dopamine
    signaling. *Cerebral Cortex* 17:2443-2452.
    Yagishita S et al. (2014). A critical time window for dopamine actions on the structural
    plasticity of dendritic spines. *Science* 345:1616-1620.
    """

    Params = DistalRewardParams
    params: DistalRewardParams
    action_names = ("left", "right")
    paper = "Izhikevich (2007), Cerebral Cortex 17:2443"
    tags = ("dopamine", "eligibility trace", "distal reward", "two-alternative forced choice")

    def _layout(self) -> list[Channel]:
        return [
            ("fixation", 1, 0.0, 1.0),
            ("cue", 2, 0.0, 1.0),
            ("go", 1, 0.0, 1.0),
            ("distractors", self.params.n_distractors, 0.0, 1.0),
        ]

    def _init_state(self) -> None:
        zeros = torch.zeros(self.num_envs, dtype=torch.int64, device=self.device)
        self.cue, self.delay, self.outcome_step, self.choice = zeros, zeros, zeros, zeros
        self._delays = torch.tensor(self.params.delays, dtype=torch.int64, device=self.device)

    def _start_trial(self, mask: torch.Tensor) -> None:
        p = self.params
        delay = self._delays[self._draw_int(_DELAY, len(p.delays))]
        jitter = self._draw_int(_JITTER, p.jitter + 1)
        self.cue = torch.where(mask, self._draw_int(_CUE, 2), self.cue)
        self.delay = torch.where(mask, delay, self.delay)
        self.outcome_step = torch.where(mask, 1 + delay + jitter, self.outcome_step)

    def _observe(self) -> torch.Tensor:
        t = self.t.unsqueeze(-1)
        cue = torch.nn.functional.one_hot(self.cue, 2).to(torch.float32) * (t <= 1)
        fixation = (t <= 1).to(torch.float32)
        go = (t == 1).to(torch.float32)
        in_delay = (t > 1) & (t <= self.outcome_step.unsqueeze(-1))
        fire = self._draw_uniform(_DISTRACTORS, self.params.n_distractors, per_step=True) < self.params.distractor_rate
        return torch.cat([fixation, cue, go, (fire & in_delay).to(torch.float32)], dim=-1)

    def _correct_action(self) -> torch.Tensor:
        return torch.where(self.t == 1, self.cue, 0)

    def _advance(self, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict]:
        decision = self.t == 1
        self.choice = torch.where(decision, action, self.choice)
        trial_end = self.t == self.outcome_step
        reward = torch.where(trial_end & (self.choice == self.cue), self.params.reward, 0.0)
        info = {"decision": decision, "cue": self.cue, "choice": self.choice, "delay": self.delay}
        return reward, trial_end, torch.zeros_like(trial_end), info
