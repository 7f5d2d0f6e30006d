"""SustainedAttention: detect a brief signal in noise, with a flashing distractor (McGaughy et al. 1996)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nmgym.tasks.base import Channel, Task
from nmgym.tasks.params import TaskParams, check_float, check_int, check_int_tuple

_SIGNAL, _DURATION, _ONSET, _DISTRACTOR, _NOISE = 1, 2, 3, 4, 5


@dataclass(frozen=True)
class SustainedAttentionParams(TaskParams):
    """Parameters of :class:`SustainedAttention` (see its docstring)."""

    p_signal: float = 0.5
    signal_durations: tuple[int, ...] = (1, 2, 4)
    stimulus_steps: int = 6
    signal_strength: float = 1.0
    noise_std: float = 0.3
    distractor_after: int = -1
    distractor_prob: float = 0.5
    distractor_strength: float = 1.0

    def validate(self) -> None:
        super().validate()
        check_float(self, "p_signal", low=0.0, high=1.0)
        check_int(self, "stimulus_steps", low=1)
        check_int_tuple(self, "signal_durations", low=1, high=self.stimulus_steps)
        check_float(self, "signal_strength", low=0.0)
        check_float(self, "noise_std", low=0.0)
        check_int(self, "distractor_after", low=-1)
        check_float(self, "distractor_prob", low=0.0, high=1.0)
        check_float(self, "distractor_strength", low=0.0)


class SustainedAttention(Task):
    """Report whether a brief signal appeared in a noisy window; a distractor may flash.

    ## Description
    The rodent sustained-attention task (McGaughy, Kaiser & Sarter 1996). On a fraction
    ``p_signal`` of trials the signal channel rises by ``signal_strength`` for a duration drawn
    from ``signal_durations`` (1, 2 or 4 steps) at a random onset within a window of
    ``stimulus_steps`` steps; Gaussian noise (``noise_std``) covers the signal and distractor
    channels throughout. At the response step the agent reports signal or no signal. From trial
    ``distractor_after`` on (counted across episodes since seeding; -1 = never) a fraction
    ``distractor_prob`` of trials carries a distractor flashing on its own channel every other
    step of the window (Newman & McGaughy 2008). Cholinergic loss lowers hits on brief signals,
    spares correct rejections and raises the distractor's cost.

    ## Action Space
    ``Discrete(2)``: 0 = "no signal", 1 = "signal". Only the action at the response step counts.

    ## Observation Space
    | index | name | meaning |
    |---|---|---|
    | 0 | fixation | 1 during the window |
    | 1 | signal | signal plus noise during the window |
    | 2 | distractor | flashing distractor plus noise during the window |
    | 3 | respond | 1 at the response step |

    ## Rewards
    1 for a hit or a correct rejection, 0 for a miss or a false alarm.

    ## Episode End
    Terminated at the response step (trial length ``stimulus_steps + 1``); sessions as in every
    task (``trials_per_episode``).

    ## Arguments
    ``p_signal=0.5, signal_durations=(1, 2, 4), stimulus_steps=6, signal_strength=1.0,
    noise_std=0.3, distractor_after=-1, distractor_prob=0.5, distractor_strength=1.0,
    trials_per_episode=1``.

    ## Oracle
    Omniscient: reports the true trial type, so every trial is rewarded (an upper bound; with
    noise even an ideal observer misses some brief signals).

    ## References
    McGaughy J, Kaiser T, Sarter M (1996). Behavioral vigilance following infusions of
    192 IgG-saporin into the basal forebrain. *Behavioral Neuroscience* 110:247-265.
    Newman LA, McGaughy J (2008). Cholinergic deafferentation of prefrontal cortex increases
    sensitivity to cross-modal distractors during a sustained attention task.
    *Journal of Neuroscience* 28:2642-2650.
    """

    Params = SustainedAttentionParams
    params: SustainedAttentionParams
    action_names = ("no signal", "signal")
    paper = "McGaughy, Kaiser & Sarter (1996), Behavioral Neuroscience 110:247"
    tags = ("acetylcholine", "attention", "signal detection", "distractor")

    def _layout(self) -> list[Channel]:
        p = self.params
        # Box-Muller on 24-bit uniforms never exceeds 5.77 standard deviations: the bounds are exact.
        reach = 5.8 * p.noise_std
        return [
            ("fixation", 1, 0.0, 1.0),
            ("signal", 1, -reach, p.signal_strength + reach),
            ("distractor", 1, -reach, p.distractor_strength + reach),
            ("respond", 1, 0.0, 1.0),
        ]

    def _init_state(self) -> None:
        zeros = torch.zeros(self.num_envs, dtype=torch.int64, device=self.device)
        self.duration, self.onset = zeros, zeros  # duration 0: no signal
        self.distractor = torch.zeros(self.num_envs, dtype=torch.bool, device=self.device)
        self._durations = torch.tensor(self.params.signal_durations, dtype=torch.int64, device=self.device)

    def _start_trial(self, mask: torch.Tensor) -> None:
        p = self.params
        signal = self._draw_uniform(_SIGNAL) < p.p_signal
        duration = torch.where(signal, self._durations[self._draw_int(_DURATION, len(p.signal_durations))], 0)
        onset = (self._draw_uniform(_ONSET) * (p.stimulus_steps - duration + 1)).to(torch.int64)
        block = (self.trials_started >= p.distractor_after) & (p.distractor_after >= 0)
        distractor = block & (self._draw_uniform(_DISTRACTOR) < p.distractor_prob)
        self.duration = torch.where(mask, duration, self.duration)
        self.onset = torch.where(mask, onset, self.onset)
        self.distractor = torch.where(mask, distractor, self.distractor)

    def _observe(self) -> torch.Tensor:
        p = self.params
        t = self.t
        window = t < p.stimulus_steps
        signal_on = (t >= self.onset) & (t < self.onset + self.duration)
        flash = window & self.distractor & (t % 2 == 0)
        noise = self._draw_normal(_NOISE, 2) * (p.noise_std * window.unsqueeze(-1))
        signal = signal_on.to(torch.float32) * p.signal_strength + noise[:, 0]
        distractor = flash.to(torch.float32) * p.distractor_strength + noise[:, 1]
        respond = t == p.stimulus_steps
        return torch.stack([window.to(torch.float32), signal, distractor, respond.to(torch.float32)], dim=-1)

    def _correct_action(self) -> torch.Tensor:
        return ((self.t == self.params.stimulus_steps) & (self.duration > 0)).to(torch.int64)

    def _advance(self, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict]:
        trial_end = self.t == self.params.stimulus_steps
        reward = (trial_end & (action == (self.duration > 0).to(torch.int64))).to(torch.float32)
        info = {"decision": trial_end, "duration": self.duration, "distractor": self.distractor}
        return reward, trial_end, torch.zeros_like(trial_end), info
