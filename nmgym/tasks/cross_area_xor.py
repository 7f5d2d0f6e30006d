"""CrossAreaXOR: two areas each see one bit; reward depends on their XOR (Roelfsema & van Ooyen 2005)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nmgym.tasks.base import Channel, Task
from nmgym.tasks.params import TaskParams, check_choice, check_float, check_int

_BIT_A, _BIT_B = 1, 2
RULES = ("xor", "a", "b")


@dataclass(frozen=True)
class CrossAreaXORParams(TaskParams):
    """Parameters of :class:`CrossAreaXOR` (see its docstring)."""

    rule: str = "xor"
    stimulus_steps: int = 1
    reward: float = 1.0

    def validate(self) -> None:
        super().validate()
        check_choice(self, "rule", RULES)
        check_int(self, "stimulus_steps", low=0)
        check_float(self, "reward", low=0.0, open_low=True)


class CrossAreaXOR(Task):
    """Go on the XOR of two bits shown to two different areas.

    ## Description
    Area A's inputs carry one bit and area B's the other; going is correct when the bits differ
    (``rule="xor"``), so neither bit alone carries any information and a learner must form the
    conjunction where the areas' activity meets (long-range projections or a third area). AGREL
    (Roelfsema & van Ooyen 2005) learns such tasks with a global reward signal and attentional
    feedback. The one-bit control ``rule="a"`` (or ``"b"``) rewards going on A's bit alone and
    separates a failure to coordinate from a failure to learn. The bits show for
    ``stimulus_steps`` steps and stay on at the decision step.

    ## Action Space
    ``Discrete(2)``: 0 = no-go, 1 = go. Only the action at the decision step counts.

    ## Observation Space
    | index | name | meaning |
    |---|---|---|
    | 0 | fixation | 1 before the decision step |
    | 1..2 | area_a | one-hot of bit A (area A's input) |
    | 3..4 | area_b | one-hot of bit B (area B's input) |
    | 5 | go | 1 at the decision step |

    ## Rewards
    ``reward`` (1) for the correct response (go on a target, no-go otherwise), else 0.

    ## Episode End
    Terminated after the decision step (trial length ``stimulus_steps + 1``); sessions as in
    every task.

    ## Arguments
    ``rule="xor", stimulus_steps=1, reward=1.0, trials_per_episode=1``; ``rule`` may also be ``"a"``
    or ``"b"`` (the one-bit controls).

    ## Oracle
    Responds by the rule: reward on every trial.

    ## References
    Roelfsema PR, van Ooyen A (2005). Attention-gated reinforcement learning of internal
    representations for classification. *Neural Computation* 17:2176-2214.
    Rodriguez R, Kallenbach U, Singer W, Munk MHJ (2004). Short- and long-term effects of
    cholinergic modulation on gamma oscillations and response synchronization in the visual
    cortex. *Journal of Neuroscience* 24:10369-10378.
    """

    Params = CrossAreaXORParams
    params: CrossAreaXORParams
    action_names = ("no-go", "go")
    go_action = 1
    paper = "Roelfsema & van Ooyen (2005), Neural Computation 17:2176"
    tags = ("long-range coordination", "XOR", "multi-area", "go/no-go")

    def _layout(self) -> list[Channel]:
        return [("fixation", 1, 0.0, 1.0), ("area_a", 2, 0.0, 1.0), ("area_b", 2, 0.0, 1.0), ("go", 1, 0.0, 1.0)]

    def _init_state(self) -> None:
        zeros = torch.zeros(self.num_envs, dtype=torch.int64, device=self.device)
        self.bit_a, self.bit_b = zeros, zeros

    def _start_trial(self, mask: torch.Tensor) -> None:
        self.bit_a = torch.where(mask, self._draw_int(_BIT_A, 2), self.bit_a)
        self.bit_b = torch.where(mask, self._draw_int(_BIT_B, 2), self.bit_b)

    def target(self) -> torch.Tensor:
        """Whether going is correct in the current trial (int64 ``[B]``)."""
        rule = self.params.rule
        return self.bit_a ^ self.bit_b if rule == "xor" else (self.bit_a if rule == "a" else self.bit_b)

    def _observe(self) -> torch.Tensor:
        t = self.t.unsqueeze(-1)
        decision = self.params.stimulus_steps
        on = (t <= decision).to(torch.float32)
        a = torch.nn.functional.one_hot(self.bit_a, 2).to(torch.float32) * on
        b = torch.nn.functional.one_hot(self.bit_b, 2).to(torch.float32) * on
        return torch.cat([(t < decision).to(torch.float32), a, b, (t == decision).to(torch.float32)], dim=-1)

    def _correct_action(self) -> torch.Tensor:
        return torch.where(self.t == self.params.stimulus_steps, self.target(), 0)

    def _advance(self, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict]:
        trial_end = self.t == self.params.stimulus_steps
        reward = torch.where(trial_end & (action == self.target()), self.params.reward, 0.0)
        info = {"decision": trial_end, "bit_a": self.bit_a, "bit_b": self.bit_b}
        return reward, trial_end, torch.zeros_like(trial_end), info
