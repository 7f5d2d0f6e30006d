"""Per-agent task metrics of a study (DESIGN.md section 7's effect catalogue).

Every function takes the per-trial records of a batch of agents (``[B, T]`` numpy arrays: reward,
correct, steps and the task's info values at each trial end) and the task parameters, and returns
``{metric: [B] array}``; a value an agent has no trials for is NaN.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

Records = dict[str, np.ndarray]
MetricFn = Callable[[Records, dict[str, Any]], dict[str, np.ndarray]]

CRITERION_WINDOW = 10
CRITERION_LEVEL = 0.8


def masked_mean(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Row means of ``values`` over ``mask`` (broadcast to ``values``); NaN where a row has no masked entry."""
    mask = np.broadcast_to(mask, values.shape)
    count = mask.sum(1)
    total = np.where(mask, values, 0.0).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def last(n_trials: int, fraction: float = 0.2) -> slice:
    """The last ``fraction`` of ``n_trials`` trials (at least one)."""
    return slice(n_trials - max(1, round(n_trials * fraction)), n_trials)


def reversal_blocks(correct: np.ndarray, reversal_every: int) -> np.ndarray:
    """``[B, T]`` correctness cut into whole blocks between reversals: ``[B, n_blocks, reversal_every]``."""
    n_blocks = correct.shape[1] // reversal_every
    return correct[:, : n_blocks * reversal_every].reshape(correct.shape[0], n_blocks, reversal_every)


def after_shaping(n_trials: int, p: dict[str, Any]) -> int:
    """WaitForReward's first analysed trial: past the shaping stage, and in the second half."""
    return min(n_trials - 1, max(int(p.get("shaping_trials", 0)), n_trials // 2))


def trials_to_criterion(
    correct: np.ndarray, window: int = CRITERION_WINDOW, level: float = CRITERION_LEVEL
) -> np.ndarray:
    """Trials to criterion of each block (last axis: the block's trials in order).

    The criterion is met at the first trial whose ``window``-trial running accuracy (over trials
    of the block only) reaches ``level``; the count is that trial's 1-based index. A block that
    never meets it counts as its length.
    """
    correct = np.asarray(correct, dtype=float)
    length = correct.shape[-1]
    if length < window:
        return np.full(correct.shape[:-1], float(length))
    csum = np.cumsum(correct, axis=-1)
    running = csum[..., window - 1 :] - np.concatenate(
        [np.zeros((*correct.shape[:-1], 1)), csum[..., : length - window]], axis=-1
    )
    hit = running / window >= level - 1e-9
    first = np.argmax(hit, axis=-1) + window
    return np.where(hit.any(-1), first, length).astype(float)


def cue_reward(r: Records, p: dict[str, Any]) -> dict[str, np.ndarray]:
    """Go rate on the target cue and on the others: at the start (first 20 trials) and the end."""
    go, cue = r["go"], r["cue"]
    target = cue == p.get("target_cue", 0)
    n = go.shape[1]
    early = np.zeros_like(target)
    early[:, : min(20, n)] = True
    late = np.zeros_like(target)
    late[:, last(n)] = True
    return {
        "go_target": masked_mean(go, target & late),
        "go_other": masked_mean(go, ~target & late),
        "go_target_start": masked_mean(go, target & early),
        "go_other_start": masked_mean(go, ~target & early),
        "accuracy": r["correct"][:, last(n)].mean(1),
        "learning_auc": r["correct"].mean(1),
    }


def distal_reward(r: Records, p: dict[str, Any]) -> dict[str, np.ndarray]:
    """Accuracy per delay over the second half of the run."""
    n = r["correct"].shape[1]
    half = np.zeros(r["correct"].shape, dtype=bool)
    half[:, n // 2 :] = True
    out = {"accuracy": r["correct"][:, n // 2 :].mean(1)}
    for delay in p.get("delays", (0, 5, 10, 20, 30, 50)):
        out[f"accuracy_d{int(delay)}"] = masked_mean(r["correct"], half & (r["delay"] == delay))
    return out


def reversal_bandit(r: Records, p: dict[str, Any]) -> dict[str, np.ndarray]:
    """Median trials-to-criterion over the blocks after a reversal; accuracy at the first block's end."""
    correct = r["correct"]
    L = int(p.get("reversal_every", 50))
    blocks = reversal_blocks(correct, L)
    n_blocks = blocks.shape[1]
    ttc = trials_to_criterion(blocks)
    after = ttc[:, 1:] if n_blocks > 1 else np.full((correct.shape[0], 1), np.nan)
    return {
        "trials_to_criterion": np.median(after, axis=1),
        "first_block_end": masked_mean(correct, np.arange(correct.shape[1]) < L)
        if L <= 10
        else masked_mean(correct, (np.arange(correct.shape[1]) >= L - 10) & (np.arange(correct.shape[1]) < L)),
        "accuracy": correct.mean(1),
        "post_reversal_accuracy": correct[:, L : n_blocks * L].mean(1) if n_blocks > 1 else correct.mean(1) * np.nan,
    }


def sustained_attention(r: Records, p: dict[str, Any]) -> dict[str, np.ndarray]:
    """Hits per signal length and correct rejections (distractor-free trials of the second half),
    and the distractor cost (accuracy without minus with a distractor)."""
    correct, duration, distractor = r["correct"], r["duration"], r["distractor"] > 0
    n = correct.shape[1]
    start = int(p.get("distractor_after", -1))
    start = n // 2 if start < 0 or start >= n else start
    window = np.zeros(correct.shape, dtype=bool)
    window[:, start:] = True
    clean = window & ~distractor
    out = {"accuracy": masked_mean(correct, clean)}
    for length in p.get("signal_durations", (1, 2, 4)):
        out[f"hits_l{int(length)}"] = masked_mean(correct, clean & (duration == length))
    out["correct_rejections"] = masked_mean(correct, clean & (duration == 0))
    out["distractor_cost"] = masked_mean(correct, clean) - masked_mean(correct, window & distractor)
    return out


def wait_for_reward(r: Records, p: dict[str, Any]) -> dict[str, np.ndarray]:
    """Failures (leaving before a due reward) per delay and waiting time on omission trials,
    after the shaping stage (the second half of the trials past it)."""
    n = r["left"].shape[1]
    begin = after_shaping(n, p)
    window = np.zeros(r["left"].shape, dtype=bool)
    window[:, begin:] = True
    omission = r["omission"] > 0
    out = {}
    for delay in p.get("delays", (30, 60, 90)):
        out[f"failures_d{int(delay)}"] = masked_mean(r["left"], window & ~omission & (r["delay"] == delay))
    out["failures_longest"] = out[f"failures_d{int(max(p.get('delays', (30, 60, 90))))}"]
    out["omission_wait"] = masked_mean(r["waited"], window & omission)
    out["reward"] = r["reward"][:, begin:].mean(1)
    return out


def cross_area_xor(r: Records, p: dict[str, Any]) -> dict[str, np.ndarray]:
    """Accuracy over the last 10% of trials and trials to reach 0.85 (100-trial running accuracy)."""
    correct = r["correct"]
    n = correct.shape[1]
    return {
        "accuracy": correct[:, last(n, 0.1)].mean(1),
        "trials_to_085": trials_to_criterion(correct, window=min(100, n), level=0.85),
    }


METRICS: dict[str, MetricFn] = {
    "CueReward": cue_reward,
    "DistalReward": distal_reward,
    "ReversalBandit": reversal_bandit,
    "SustainedAttention": sustained_attention,
    "WaitForReward": wait_for_reward,
    "CrossAreaXOR": cross_area_xor,
}


# What each metric measures, per task, for reports (a trailing N stands for the number in the name).
DESCRIPTIONS: dict[str, dict[str, str]] = {
    "CueReward": {
        "go_target": "go rate on the target cue, last fifth of trials",
        "go_other": "go rate on the other cues, last fifth of trials",
        "go_target_start": "go rate on the target cue, first 20 trials",
        "go_other_start": "go rate on the other cues, first 20 trials",
        "accuracy": "fraction correct, last fifth of trials",
        "learning_auc": "fraction correct over all trials (area under the learning curve)",
    },
    "DistalReward": {
        "accuracy": "fraction correct, second half of the trials",
        "accuracy_dN": "fraction correct at reward delay N, second half of the trials",
    },
    "ReversalBandit": {
        "trials_to_criterion": "median over the blocks after a reversal of the trials until 10-trial accuracy"
        " >= 0.8 (a block that never reaches it counts as its length)",
        "first_block_end": "fraction correct over the last 10 trials of the first block, before any reversal",
        "accuracy": "fraction correct over all trials",
        "post_reversal_accuracy": "fraction correct over the blocks after the first reversal",
    },
    "SustainedAttention": {
        "accuracy": "fraction correct on distractor-free trials from the distractor block's start"
        " (the second half without one)",
        "hits_lN": "hit rate on N-step signals, same trials",
        "correct_rejections": "fraction of signal-free trials answered 'no signal', same trials",
        "distractor_cost": "accuracy without a distractor minus accuracy with one, same part of the run",
    },
    "WaitForReward": {
        "failures_dN": "fraction of rewarded trials with reward delay N left before the reward"
        " (trials past shaping and in the run's second half)",
        "failures_longest": "failures at the longest reward delay",
        "omission_wait": "steps waited on omission trials (no reward comes), same trials",
        "reward": "reward per trial, same trials",
    },
    "CrossAreaXOR": {
        "accuracy": "fraction correct, last tenth of trials",
        "trials_to_085": "trials until the 100-trial running accuracy reaches 0.85 (the run's length if never)",
    },
}


def describe(task: str, metric: str) -> str:
    """What ``metric`` of ``task`` measures (empty if it is not described)."""
    notes = DESCRIPTIONS.get(task, {})
    if metric in notes:
        return notes[metric]
    match = re.fullmatch(r"(.*_[a-z])(\d+)", metric)
    if match and match.group(1) + "N" in notes:
        return notes[match.group(1) + "N"].replace("N", match.group(2), 1)
    return ""


def task_metrics(task: str, records: Records, params: dict[str, Any]) -> dict[str, np.ndarray]:
    """The per-agent metrics of ``task`` (an unknown task gets only overall accuracy)."""
    fn = METRICS.get(task)
    if fn is None:
        return {"accuracy": records["correct"].mean(1)}
    return fn(records, params)
