"""Each core task's training protocol: the task parameters, trials, :class:`~agents.PlasticAgent`
options and TD baseline under which the README's figures are measured.

``nmgym train``, ``nmgym study`` and ``scripts/agent_table.py`` start from these, so a run without
options reproduces the README's figures; every entry can be overridden (``--param``, ``--trials``,
``--inputs``). Where a protocol departs from the task's defaults:

* ReversalBandit: the circuit reads only the ``trial`` channel. The task also offers the previous
  action and reward, for memoryless RL policies; the circuit keeps its own memory, and given those
  channels too it learned less (last fifth 0.80 against 0.88; one latent context: 0.63 against 0.78;
  64 agents, seed 1, 500 trials).
* DistalReward: delays within the tag's time constant (0, 5, 10) and beyond it (20), so a study
  shows accuracy against delay.
* WaitForReward: the reward delays grow from one step to their full length over the first 200
  trials (shaping).
* SustainedAttention: the distractor block starts at trial 500 (Newman & McGaughy 2008).

``td`` holds the :class:`~agents.TDAgent` settings of each task's TD baseline (``nmgym train
--agent td`` and a study's ``ref:td``): the most rewarded over the last fifth of trials of the 24
that ``scripts/agent_table.py --tune-td`` tries, chosen on seed 2. TD at its defaults is a weaker
baseline on some tasks: it never waited through WaitForReward (0.00 correct against 0.47 tuned)
and reached 0.51 on CrossAreaXOR (0.64 tuned).

Values are plain lists and numbers, as they are written into a study's manifest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

PROTOCOLS: dict[str, dict[str, Any]] = {
    "CueReward": {
        "params": {},
        "trials": 300,
        "options": {},
        "td": {"lr": 0.5, "epsilon": 0.1, "lam": 0.9},
    },
    "DistalReward": {
        "params": {"delays": [0, 5, 10, 20]},
        "trials": 1000,
        "options": {},
        "td": {"lr": 0.3, "epsilon": 0.02, "lam": 0.9},
    },
    "ReversalBandit": {
        "params": {},
        "trials": 500,
        "options": {"inputs": ["trial"]},
        "td": {"lr": 1.0, "epsilon": 0.1, "lam": 0.0},
    },
    "SustainedAttention": {
        "params": {"distractor_after": 500},
        "trials": 1000,
        "options": {},
        "td": {"lr": 0.1, "epsilon": 0.02, "lam": 0.9},
    },
    "WaitForReward": {
        "params": {"shaping_trials": 200},
        "trials": 500,
        "options": {},
        "td": {"lr": 0.1, "epsilon": 0.02, "lam": 0.0},
    },
    "CrossAreaXOR": {
        "params": {},
        "trials": 2000,
        "options": {},
        "td": {"lr": 0.5, "epsilon": 0.02, "lam": 0.0},
    },
}
DEFAULT_PROTOCOL: dict[str, Any] = {"params": {}, "trials": 300, "options": {}, "td": {}}


def protocol(task: str) -> dict[str, Any]:
    """The protocol of ``task`` (the task's defaults, 300 trials, no options and TD's defaults for
    a task without one)."""
    return PROTOCOLS.get(task, DEFAULT_PROTOCOL)


def input_options(inputs: Sequence[str] | None, default: dict[str, Any]) -> dict[str, Any]:
    """Options for the observation sub-spaces a plastic agent reads: ``default`` (the protocol's)
    for ``None``, every sub-space for ``["all"]``, else those named."""
    if inputs is None:
        return dict(default)
    return {} if list(inputs) == ["all"] else {"inputs": list(inputs)}


def plastic_options(options: dict[str, Any]) -> dict[str, Any]:
    """A protocol's options as :class:`~agents.PlasticAgent` keywords (``inputs`` as a tuple)."""
    out = dict(options)
    if "inputs" in out:
        out["inputs"] = tuple(out["inputs"])
    return out
