"""Reduced lesion studies for the catalogue rows that hold, asserting direction and DESIGN.md's bar.

Each runs intact and lesioned circuits on the same seeds and task draws (fixed seeds: bitwise
reproducible, so the statistics cannot flake) and compares medians over agents with the metrics
of :mod:`nmgym.study.metrics`. The rows that do not hold yet are listed in
``docs/reproduce-quick/report.md``.
"""

import numpy as np

from agents import PlasticAgent
from nmgym.study.metrics import METRICS
from nmgym.tasks import make_task

AGENTS = 24


def study(task: str, lesion: str, trials: int, params: dict | None = None, **options) -> dict[str, np.ndarray]:
    params = params or {}
    records = PlasticAgent(make_task(task, AGENTS, seed=3, **params), seed=3, lesion=lesion, **options).run(trials)
    numpy_records = {key: value.cpu().numpy() for key, value in records.items()}
    defaults = {"ReversalBandit": {"reversal_every": 50}, "DistalReward": {}}.get(task, {})
    return METRICS[task](numpy_records, {**defaults, **params})


def median(metrics: dict[str, np.ndarray], key: str) -> float:
    return float(np.nanmedian(metrics[key]))


def test_ne_lesion_slows_recovery_after_reversals_and_spares_the_first_block():
    intact = study("ReversalBandit", "none", 500, inputs=("trial",))
    lesioned = study("ReversalBandit", "ne", 500, inputs=("trial",))
    assert median(lesioned, "trials_to_criterion") >= 2 * median(intact, "trials_to_criterion")
    assert abs(median(lesioned, "first_block_end") - median(intact, "first_block_end")) <= 0.05


def test_da_lesion_leaves_cue_reward_go_rates_at_their_trial_one_values():
    intact = study("CueReward", "none", 300)
    lesioned = study("CueReward", "da", 300)
    assert median(intact, "go_target") >= 0.9
    for key in ("go_target", "go_other"):
        assert abs(median(lesioned, key) - median(lesioned, f"{key}_start")) <= 0.1, key


def test_dopamine_released_after_the_tag_has_decayed_fails_the_distal_reward():
    params = {"delays": (10,)}
    intact = study("DistalReward", "none", 500, params)
    late = study("DistalReward", "da:delay=20", 500, params)  # twice the tag time constant
    assert median(intact, "accuracy_d10") >= 0.8 > median(late, "accuracy_d10")


def test_xor_needs_dopamine_and_the_one_bit_control_survives_a_longrange_lesion():
    assert median(study("CrossAreaXOR", "da", 2000), "accuracy") <= 0.6
    control = {"rule": "a"}
    intact = study("CrossAreaXOR", "none", 500, control)
    lesioned = study("CrossAreaXOR", "longrange", 500, control)
    assert abs(median(lesioned, "accuracy") / median(intact, "accuracy") - 1) <= 0.1
