"""Reduced lesion studies for the catalogue rows that hold, asserting direction and DESIGN.md's bar.

Each runs intact and lesioned circuits on the same seeds and task draws (fixed seeds: bitwise
reproducible, so the statistics cannot flake) and compares medians over agents with the metrics
of :mod:`nmgym.study.metrics`. Each effect is checked over a range of its task's main parameter
(reversal interval, reward delay, cue-reward delay, stimulus length, noise), not at one tuned
setting. Where a row's bar does not depend on that parameter, the test decides it with the
catalogue's own rule (``nmgym.study.reproduce.ROWS``). The rows that do not hold yet are listed in
``docs/reproduce-quick/report.md``. Like a study's chunks, each runs in ``torch.inference_mode()``
(the same numbers, bitwise, and faster; see ``tests/test_study.py``).
"""

import numpy as np
import pytest
import torch

from agents import PlasticAgent
from agents.protocols import plastic_options, protocol
from nmgym.study.metrics import METRICS
from nmgym.study.reproduce import ROWS
from nmgym.tasks import make_task

AGENTS = 24
CATALOGUE = {row.effect: row for row in ROWS}


@torch.inference_mode()
def study(task: str, lesion: str, trials: int, params: dict | None = None, **options) -> dict[str, np.ndarray]:
    params = params or {}
    options = {**plastic_options(protocol(task)["options"]), **options}  # ReversalBandit: the trial input
    records = PlasticAgent(make_task(task, AGENTS, seed=3, **params), seed=3, lesion=lesion, **options).run(trials)
    numpy_records = {key: value.cpu().numpy() for key, value in records.items()}
    defaults = {"ReversalBandit": {"reversal_every": 50}, "DistalReward": {}}.get(task, {})
    return METRICS[task](numpy_records, {**defaults, **params})


def median(metrics: dict[str, np.ndarray], key: str) -> float:
    return float(np.nanmedian(metrics[key]))


def assert_row(effect: str, intact: dict[str, np.ndarray], lesioned: dict[str, np.ndarray] | None = None) -> None:
    """The catalogue row ``effect`` holds on these metrics, decided by ``nmgym reproduce``'s own bar."""
    row = CATALOGUE[effect]
    conditions = {"none": intact} if lesioned is None else {"none": intact, row.lesion: lesioned}
    figures = ", ".join(f"{name} {median(m, row.metric):.3g}" for name, m in conditions.items())
    assert row.holds(conditions), f"{effect} ({row.bar}): {figures}"


@pytest.mark.parametrize("every", [30, 50, 80])
def test_ne_lesion_slows_recovery_after_reversals_and_spares_the_first_block(every):
    params = {"reversal_every": every, "trials_per_episode": 10 * every}
    intact = study("ReversalBandit", "none", 10 * every, params)
    lesioned = study("ReversalBandit", "ne", 10 * every, params)
    recovery = median(intact, "trials_to_criterion")
    assert recovery < every
    # twice as slow, or (blocks shorter than twice the intact recovery) no recovery within a block
    assert median(lesioned, "trials_to_criterion") >= min(2 * recovery, every)
    assert abs(median(lesioned, "first_block_end") - median(intact, "first_block_end")) <= 0.05
    no_ach = study("ReversalBandit", "ach", 10 * every, params)
    assert_row("dissociation: ach spares reversal", intact, no_ach)


@pytest.mark.parametrize("reward_step", [5, 7, 9])
def test_da_lesion_leaves_cue_reward_go_rates_at_their_trial_one_values(reward_step):
    params = {"reward_step": reward_step}  # 2, 4 or 6 steps from the decision to the reward
    intact = study("CueReward", "none", 300, params)
    lesioned = study("CueReward", "da", 300, params)
    assert median(intact, "go_target") >= 0.9
    for key in ("go_target", "go_other"):
        assert abs(median(lesioned, key) - median(lesioned, f"{key}_start")) <= 0.1, key
    assert_row("dissociation: ne spares a stable CueReward", intact, study("CueReward", "ne", 300, params))
    assert_row("dissociation: 5ht spares CueReward learning speed", intact, study("CueReward", "5ht", 300, params))


@pytest.mark.parametrize("delay", [5, 10])
def test_dopamine_released_after_the_tag_has_decayed_fails_the_distal_reward(delay):
    params = {"delays": (delay,)}
    intact = study("DistalReward", "none", 500, params)
    late = study("DistalReward", "da:delay=20", 500, params)  # twice the tag time constant
    key = f"accuracy_d{delay}"
    assert median(intact, key) >= 0.8 > median(late, key)


def test_without_tags_only_an_immediate_reward_is_learned():
    """One study per delay, as in ``nmgym reproduce``: the agents are trained at a fixed D."""
    accuracy = {}
    for delay in (0, 5):
        params = {"delays": (delay,)}
        for lesion in ("none", "tags"):
            accuracy[lesion, delay] = median(study("DistalReward", lesion, 500, params), f"accuracy_d{delay}")
    assert min(accuracy["none", 0], accuracy["none", 5], accuracy["tags", 0]) >= 0.8 > accuracy["tags", 5]
    assert accuracy["none", 0] >= accuracy["none", 5]


@pytest.mark.parametrize(("delays", "trials", "shaping"), [((30, 60, 90), 500, 200), ((15, 30, 45), 300, 120)])
def test_serotonin_lesion_makes_the_agent_quit_early_and_wait_less_on_omissions(delays, trials, shaping):
    params = {"delays": delays, "shaping_trials": shaping}
    intact = study("WaitForReward", "none", trials, params)
    lesioned = study("WaitForReward", "5ht", trials, params)
    assert median(intact, "failures_longest") <= 0.5  # the intact agent waits
    assert median(lesioned, "failures_longest") >= 1.5 * median(intact, "failures_longest")
    assert median(lesioned, "omission_wait") <= 0.75 * median(intact, "omission_wait")


@pytest.mark.parametrize("stimulus_steps", [1, 2])
def test_a_longrange_lesion_slows_or_stops_xor(stimulus_steps):
    params = {"stimulus_steps": stimulus_steps}
    intact = study("CrossAreaXOR", "none", 2000, params)
    assert_row("long-range coordination: intact solves XOR", intact)
    lesioned = study("CrossAreaXOR", "longrange", 2000, params)
    assert_row("long-range coordination: longrange slower or fails", intact, lesioned)


@pytest.mark.parametrize("noise_std", [0.2, 0.4])
def test_a_noradrenaline_lesion_spares_sustained_attention(noise_std):
    params = {"noise_std": noise_std, "distractor_after": 300}
    intact = study("SustainedAttention", "none", 600, params)
    assert_row("dissociation: ne spares SustainedAttention", intact, study("SustainedAttention", "ne", 600, params))


@pytest.mark.parametrize("noise_std", [0.2, 0.4])
def test_an_acetylcholine_lesion_lowers_hits_on_the_briefest_signals(noise_std):
    """``nmgym reproduce``'s protocol (1000 trials: ACh's relevance needs them; at 600 the drop was
    0.14 and 0.06). All three ACh rows hold here at both noise levels. Over eight seeds of 64
    agents the drop in hits holds on all eight at noise 0.3 but on one at noise 0.4, where it
    averages 0.114, below its bar (docs/open-problems.md)."""
    params = {"noise_std": noise_std, "distractor_after": 500}
    intact = study("SustainedAttention", "none", 1000, params)
    assert_row("ACh = attention: intact hits hold on brief signals", intact)
    lesioned = study("SustainedAttention", "ach", 1000, params)
    assert_row("ACh = attention: ach lowers hits on the briefest signal", intact, lesioned)
    assert_row("ACh = attention: ach spares correct rejections", intact, lesioned)
    assert_row("ACh = attention: ach raises the distractor cost", intact, lesioned)


@pytest.mark.parametrize("distractor_strength", [0.5, 1.0])
def test_an_acetylcholine_lesion_raises_the_distractor_cost(distractor_strength):
    """Without ACh a flash captures gain from the signal channel, which no readout learns back; the
    intact circuit's transients boost only the channel that rose, so the flash costs it little. At
    twice the default strength the flash evokes the intact circuit's own transients and the row
    fails (cost 0.045 vs 0.065 here; docs/open-problems.md)."""
    params = {"distractor_strength": distractor_strength, "distractor_after": 500}
    intact = study("SustainedAttention", "none", 1000, params)
    assert_row("ACh = attention: intact small distractor cost", intact)
    lesioned = study("SustainedAttention", "ach", 1000, params)
    assert_row("ACh = attention: ach raises the distractor cost", intact, lesioned)


def test_xor_needs_dopamine_and_the_one_bit_control_survives_a_longrange_lesion():
    assert median(study("CrossAreaXOR", "da", 2000), "accuracy") <= 0.6
    control = {"rule": "a"}
    intact = study("CrossAreaXOR", "none", 500, control)
    lesioned = study("CrossAreaXOR", "longrange", 500, control)
    assert abs(median(lesioned, "accuracy") / median(intact, "accuracy") - 1) <= 0.1
