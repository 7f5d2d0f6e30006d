"""``nmgym reproduce``: every row of DESIGN.md's effect catalogue and dissociation table.

Each task runs as one :class:`~nmgym.study.runner.Study` (intact plus the lesions its rows need,
same seeds and task draws) in ``OUT/studies/<name>``; the rows are then decided from the per-agent
metrics with the bars of DESIGN.md section 7 and written to ``effects.json`` and ``report.md``.
DistalReward's accuracy-vs-delay rows read a sweep: one study per reward delay D (agents trained
at that fixed delay; within one study the choice comes before D is drawn, so a mixed-delay study
cannot show the policy depending on D), each contributing its ``accuracy_d<D>``.
The bars are never loosened here: a row that does not hold is reported as failing.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nmgym.bench.suite import machine
from nmgym.circuit import CircuitParams
from nmgym.plotting import MISSING, available
from nmgym.results_folder import atomic_write_text, check_folder, make_folder
from nmgym.study.report import _clean_json, plot_delay_sweep, write_report
from nmgym.study.runner import Study, StudyMismatch, check_workers, run_chunks
from nmgym.study.stats import compare
from nmgym.validation import check_flag

TAU_TAG = round(CircuitParams().tau_tag)  # the circuit's default tag time constant, in steps
DA_LATE = 2 * TAU_TAG  # `da:delay` past the tag
DR_DELAYS = (0, 5, 10, 20)  # DistalReward's reward delays D, one study each
DELAY_FIGURE = "distal_reward_accuracy_vs_delay.png"

# name: (task, lesions, task parameter overrides, trials, quick overrides: agents, trials and parameters)
STUDIES: dict[str, tuple[str, list[str], dict[str, Any], int, dict[str, Any]]] = {
    # Quick keeps 64 agents here (a few seconds): the first 20 trials hold about five target-cue
    # trials per agent, and with 20 agents the `da` row's trial-1 median moved by sampling alone
    # past its 0.1 bar (seed 2), and the intact go rate on the other cues sat at 0.2004 (seed 1).
    "CueReward": ("CueReward", ["da", "ne", "5ht"], {}, 300, {"agents": 64}),
    # one study per reward delay D (agents trained at that fixed delay), read together as a sweep
    **{
        f"DistalReward-d{d}": ("DistalReward", ["tags", f"da:delay={DA_LATE}"], {"delays": [d]}, 1000, {"trials": 500})
        for d in DR_DELAYS
    },
    "ReversalBandit": ("ReversalBandit", ["ne", "ach"], {}, 500, {}),
    # Quick keeps the full protocol here: hits on the briefest signal come from a few trials per
    # agent, and with 20 agents trained 700 trials the hit drop's 95% CI spanned [-0.27, 0.00],
    # deciding nothing.
    "SustainedAttention": ("SustainedAttention", ["ach", "ne"], {"distractor_after": 500}, 1000, {"agents": 64}),
    "WaitForReward": ("WaitForReward", ["5ht"], {"shaping_trials": 200}, 500, {}),
    "CrossAreaXOR": ("CrossAreaXOR", ["longrange", "da"], {}, 2000, {}),
    "CrossAreaXOR-onebit": ("CrossAreaXOR", ["longrange"], {"rule": "a"}, 2000, {"trials": 1000}),
}

# A sweep is read by rows like one study: each of its studies (same conditions and seeds)
# contributes one metric. name -> {study: metric}
SWEEPS: dict[str, dict[str, str]] = {
    "DistalReward": {f"DistalReward-d{d}": f"accuracy_d{d}" for d in DR_DELAYS},
}

Metrics = dict[str, dict[str, np.ndarray]]  # condition -> metric -> per-agent values


def study_metrics(metrics: dict[str, Metrics], name: str) -> Metrics:
    """The metrics a row reads: a study's own, or a sweep's (each of its studies' one metric)."""
    if name not in SWEEPS:
        return metrics[name]
    parts = SWEEPS[name]
    conditions = metrics[next(iter(parts))]
    return {c: {metric: metrics[study][c][metric] for study, metric in parts.items()} for c in conditions}


def task_of(name: str) -> str:
    """The task of a study or a sweep."""
    return STUDIES[next(iter(SWEEPS[name])) if name in SWEEPS else name][0]


@dataclass(frozen=True)
class Row:
    """One row: which study, lesion and metric, the bar in words and how to decide it."""

    effect: str
    study: str
    lesion: str
    metric: str
    kind: str  # "ratio" or "difference" of lesioned to intact medians
    bar: str
    holds: Callable[[Metrics], bool]
    detail: Callable[[Metrics], str] | None = None


def med(m: Metrics, condition: str, metric: str) -> float:
    """Median over agents (NaN-aware)."""
    values = m[condition][metric]
    return float(np.nanmedian(values)) if np.isfinite(values).any() else float("nan")


def per_delay(m: Metrics, row: Row) -> str:
    """For DistalReward rows, the condition's accuracy at every delay (the row's bar reads them all)."""
    if not row.metric.startswith("accuracy_d"):
        return ""
    keys = sorted((k for k in m[row.lesion] if k.startswith("accuracy_d")), key=lambda k: int(k[10:]))
    return ", ".join(f"D={k[10:]}: {med(m, row.lesion, k):.3g}" for k in keys)


def within(a: float, b: float, fraction: float) -> bool:
    """``b`` within ``fraction`` of ``a`` (relative)."""
    return abs(b - a) <= fraction * abs(a)


def _rows() -> list[Row]:
    late = f"da:delay={DA_LATE}"
    D = DR_DELAYS
    return [
        Row(
            "DA = reward learning: intact goes on the target cue",
            "CueReward",
            "none",
            "go_target",
            "difference",
            "intact go rate >= 0.9 on the target cue",
            lambda m: med(m, "none", "go_target") >= 0.9,
        ),
        Row(
            "DA = reward learning: intact withholds on the others",
            "CueReward",
            "none",
            "go_other",
            "difference",
            "intact go rate <= 0.2 on the other cues",
            lambda m: med(m, "none", "go_other") <= 0.2,
        ),
        Row(
            "DA = reward learning: da stays at trial-1 (target)",
            "CueReward",
            "da",
            "go_target",
            "difference",
            "da: target go rate within 0.1 of its trial-1 value",
            lambda m: abs(med(m, "da", "go_target") - med(m, "da", "go_target_start")) <= 0.1,
            lambda m: f"da trial-1 (first 20 trials) {med(m, 'da', 'go_target_start'):.3g}",
        ),
        Row(
            "DA = reward learning: da stays at trial-1 (others)",
            "CueReward",
            "da",
            "go_other",
            "difference",
            "da: other-cue go rate within 0.1 of its trial-1 value",
            lambda m: abs(med(m, "da", "go_other") - med(m, "da", "go_other_start")) <= 0.1,
            lambda m: f"da trial-1 (first 20 trials) {med(m, 'da', 'go_other_start'):.3g}",
        ),
        Row(
            "tags = distal reward: intact bridges the delay",
            "DistalReward",
            "none",
            f"accuracy_d{TAU_TAG}",
            "difference",
            f"intact >= 0.8 correct for every D <= {TAU_TAG} (tag time constant)",
            lambda m: min(med(m, "none", f"accuracy_d{d}") for d in D if d <= TAU_TAG) >= 0.8,
        ),
        Row(
            "tags = distal reward: accuracy never rises with D",
            "DistalReward",
            "none",
            f"accuracy_d{D[-1]}",
            "difference",
            "intact median accuracy non-increasing over D = 0, 5, 10, 20",
            lambda m: all(med(m, "none", f"accuracy_d{a}") >= med(m, "none", f"accuracy_d{b}") for a, b in pairwise(D)),
        ),
        Row(
            "tags = distal reward: no tags, >= 0.8 only at D = 0",
            "DistalReward",
            "tags",
            "accuracy_d5",
            "difference",
            "tags: >= 0.8 at D = 0 and < 0.8 at every D > 0",
            lambda m: (
                med(m, "tags", "accuracy_d0") >= 0.8 and all(med(m, "tags", f"accuracy_d{d}") < 0.8 for d in D[1:])
            ),
        ),
        Row(
            "tags = distal reward: DA later than the tag fails",
            "DistalReward",
            late,
            f"accuracy_d{TAU_TAG}",
            "difference",
            f"{late}: < 0.8 correct at every D <= {TAU_TAG}",
            lambda m: max(med(m, late, f"accuracy_d{d}") for d in D if d <= TAU_TAG) < 0.8,
        ),
        Row(
            "NE = change-point adaptation: intact recovers",
            "ReversalBandit",
            "none",
            "trials_to_criterion",
            "ratio",
            "intact median trials-to-criterion < block length (50)",
            lambda m: med(m, "none", "trials_to_criterion") < 50,
        ),
        Row(
            "NE = change-point adaptation: ne slower after reversals",
            "ReversalBandit",
            "ne",
            "trials_to_criterion",
            "ratio",
            "ne: median trials-to-criterion >= 2x intact",
            lambda m: med(m, "ne", "trials_to_criterion") >= 2 * med(m, "none", "trials_to_criterion"),
        ),
        Row(
            "NE = change-point adaptation: ne spares the first block",
            "ReversalBandit",
            "ne",
            "first_block_end",
            "difference",
            "ne: accuracy at the end of the first block within 0.05 of intact",
            lambda m: abs(med(m, "ne", "first_block_end") - med(m, "none", "first_block_end")) <= 0.05,
        ),
        Row(
            "ACh = attention: intact hits hold on brief signals",
            "SustainedAttention",
            "none",
            "hits_l1",
            "difference",
            "intact hits on the briefest signal >= 0.5 (threshold of this report: DESIGN gives none)",
            lambda m: med(m, "none", "hits_l1") >= 0.5,
        ),
        Row(
            "ACh = attention: intact small distractor cost",
            "SustainedAttention",
            "none",
            "distractor_cost",
            "difference",
            "intact distractor cost <= 0.1 (threshold of this report: DESIGN gives none)",
            lambda m: med(m, "none", "distractor_cost") <= 0.1,
        ),
        Row(
            "ACh = attention: ach lowers hits on the briefest signal",
            "SustainedAttention",
            "ach",
            "hits_l1",
            "difference",
            "ach: hits on the briefest signal >= 0.15 lower",
            lambda m: med(m, "ach", "hits_l1") <= med(m, "none", "hits_l1") - 0.15,
        ),
        Row(
            "ACh = attention: ach spares correct rejections",
            "SustainedAttention",
            "ach",
            "correct_rejections",
            "difference",
            "ach: correct rejections within 0.05 of intact",
            lambda m: abs(med(m, "ach", "correct_rejections") - med(m, "none", "correct_rejections")) <= 0.05,
        ),
        Row(
            "ACh = attention: ach raises the distractor cost",
            "SustainedAttention",
            "ach",
            "distractor_cost",
            "ratio",
            "ach: distractor cost >= 2x intact (and > 0)",
            lambda m: med(m, "ach", "distractor_cost") >= 2 * max(med(m, "none", "distractor_cost"), 1e-9),
        ),
        Row(
            "5-HT = patience: intact waits",
            "WaitForReward",
            "none",
            "failures_longest",
            "ratio",
            "intact failures at the longest delay <= 0.5 (threshold of this report: DESIGN says 'waits')",
            lambda m: med(m, "none", "failures_longest") <= 0.5,
        ),
        Row(
            "5-HT = patience: 5ht fails more at the longest delay",
            "WaitForReward",
            "5ht",
            "failures_longest",
            "ratio",
            "5ht: failures at the longest delay >= 1.5x intact (and > 0)",
            lambda m: med(m, "5ht", "failures_longest") >= 1.5 * max(med(m, "none", "failures_longest"), 1e-9),
        ),
        Row(
            "5-HT = patience: 5ht waits less on omissions",
            "WaitForReward",
            "5ht",
            "omission_wait",
            "ratio",
            "5ht: waiting on omission trials <= 0.75x intact",
            lambda m: med(m, "5ht", "omission_wait") <= 0.75 * med(m, "none", "omission_wait"),
        ),
        Row(
            "long-range coordination: intact solves XOR",
            "CrossAreaXOR",
            "none",
            "accuracy",
            "difference",
            ">= 0.85 correct by 2000 trials",
            lambda m: med(m, "none", "accuracy") >= 0.85,
        ),
        Row(
            "long-range coordination: longrange slower or fails",
            "CrossAreaXOR",
            "longrange",
            "trials_to_085",
            "ratio",
            "longrange: trials to 0.85 >= 1.5x intact, or < 0.85 correct",
            lambda m: (
                med(m, "longrange", "trials_to_085") >= 1.5 * med(m, "none", "trials_to_085")
                or med(m, "longrange", "accuracy") < 0.85
            ),
        ),
        Row(
            "long-range coordination: one-bit control spared",
            "CrossAreaXOR-onebit",
            "longrange",
            "accuracy",
            "ratio",
            "longrange on the one-bit rule: accuracy within 10% of intact",
            lambda m: within(med(m, "none", "accuracy"), med(m, "longrange", "accuracy"), 0.10),
        ),
        Row(
            "long-range coordination: da fails XOR",
            "CrossAreaXOR",
            "da",
            "accuracy",
            "difference",
            "da: <= 0.6 correct",
            lambda m: med(m, "da", "accuracy") <= 0.6,
        ),
        Row(
            "dissociation: ne spares a stable CueReward",
            "CueReward",
            "ne",
            "accuracy",
            "ratio",
            "ne: CueReward accuracy within 15% of intact",
            lambda m: within(med(m, "none", "accuracy"), med(m, "ne", "accuracy"), 0.15),
        ),
        Row(
            "dissociation: ne spares SustainedAttention",
            "SustainedAttention",
            "ne",
            "accuracy",
            "ratio",
            "ne: SustainedAttention accuracy within 15% of intact",
            lambda m: within(med(m, "none", "accuracy"), med(m, "ne", "accuracy"), 0.15),
        ),
        Row(
            "dissociation: ach spares reversal",
            "ReversalBandit",
            "ach",
            "trials_to_criterion",
            "ratio",
            "ach: trials-to-criterion within 15% of intact",
            lambda m: within(med(m, "none", "trials_to_criterion"), med(m, "ach", "trials_to_criterion"), 0.15),
        ),
        Row(
            "dissociation: 5ht spares CueReward learning speed",
            "CueReward",
            "5ht",
            "learning_auc",
            "ratio",
            "5ht: CueReward accuracy over all trials (learning speed) within 15% of intact",
            lambda m: within(med(m, "none", "learning_auc"), med(m, "5ht", "learning_auc"), 0.15),
        ),
    ]


ROWS = _rows()


def reproduce(
    out: str | Path,
    *,
    quick: bool = False,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = True,
    workers: int = 1,
    circuit: dict[str, Any] | None = None,
) -> list:
    """Run every study, decide every row; write ``effects.json`` and ``report.md``; return the rows.

    The studies' chunks run together, ``workers`` at a time (see :func:`~nmgym.study.runner.run_chunks`).
    ``circuit`` (CircuitParams overrides) runs the catalogue on a circuit variant."""
    check_workers(workers)
    quick = check_flag(quick, "quick")  # a string such as "no" would read as true
    started = time.perf_counter()
    out = check_folder(out, "reproduce")
    agents = 20 if quick else 64
    studies: dict[str, Study] = {}
    for name, (task, lesions, params, trials, quick_overrides) in STUDIES.items():
        n = agents
        if quick:
            params = {**params, **{k: v for k, v in quick_overrides.items() if k not in ("agents", "trials")}}
            trials = quick_overrides.get("trials", trials)
            n = quick_overrides.get("agents", agents)
        studies[name] = Study(
            task,
            lesions,
            agents=n,
            seed=seed,
            out=out / "studies" / name,
            params=params,
            trials=trials,
            references=not quick,
            device=device,
            circuit=dict(circuit or {}),
        )
    make_folder(out)  # after the studies have validated their settings
    jobs = []
    for name, study in studies.items():
        try:
            study.prepare()
        except StudyMismatch as mismatch:  # the whole reproduction differs, not one study of it
            raise ValueError(
                f"--out {out} holds a reproduction with other settings (studies/{name}: {mismatch.differences}); "
                "choose another --out or delete that folder"
            ) from mismatch
        jobs += [(chunk, study.out / "chunks" / chunk.name) for chunk in study.pending()]
    total = sum(len(study.chunks()) for study in studies.values())
    seconds = run_chunks(
        jobs, workers=workers, device=device, progress=progress, desc="reproduce", initial=total - len(jobs)
    )
    metrics: dict[str, Metrics] = {}
    timings: dict[str, float] = {}  # per study, the seconds its chunks took in this run
    for name, study in studies.items():
        summary = write_report(study)
        metrics[name] = {
            c: {k: np.asarray(v, dtype=float) for k, v in ms.items()} for c, ms in summary["per_agent"].items()
        }
        timings[name] = sum(t for path, t in seconds.items() if path.parent.parent == study.out)
    effects = []
    for row in ROWS:
        m = study_metrics(metrics, row.study)
        stats = (
            compare(m["none"][row.metric], m[row.lesion][row.metric], kind=row.kind) if row.lesion != "none" else None
        )
        intact = med(m, "none", row.metric)
        lesioned = med(m, row.lesion, row.metric) if row.lesion != "none" else None
        effects.append(
            {
                "effect": row.effect,
                "task": task_of(row.study),
                "study": row.study,
                "lesion": row.lesion,
                "metric": row.metric,
                "intact": intact,
                "lesioned": lesioned,
                "kind": row.kind if stats else None,
                "value": stats["effect"] if stats else None,
                "ci": [stats["ci_low"], stats["ci_high"]] if stats else None,
                "p_value": stats["p_value"] if stats else None,
                "bar": row.bar,
                "holds": bool(row.holds(m)),
                "detail": row.detail(m) if row.detail else per_delay(m, row),
            }
        )
    figures: dict[str, str] = {}
    if available():
        sweep = study_metrics(metrics, "DistalReward")
        values = {c: [ms[f"accuracy_d{d}"] for d in DR_DELAYS] for c, ms in sweep.items()}
        tau = studies[f"DistalReward-d{DR_DELAYS[0]}"].circuit_params.tau_tag  # the variant's, if any
        figures[DELAY_FIGURE] = plot_delay_sweep(list(DR_DELAYS), values, tau, out / DELAY_FIGURE)
    meta = {
        "quick": quick,
        "agents": agents,
        "study_agents": {name: study.agents for name, study in studies.items()},
        "seed": seed,
        "circuit": dict(circuit or {}),
        "seconds": timings,
        "figures": figures,
        "wall": time.perf_counter() - started,
        "workers": min(workers, max(len(jobs), 1)),
        "machine": machine(torch.device(device)),
    }
    atomic_write_text(out / "effects.json", json.dumps(_clean_json(effects), indent=1) + "\n")
    atomic_write_text(out / "report.md", markdown(effects, meta))
    return effects


def _fmt(x: Any) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return ""
    return f"{x:.3g}"


def markdown(effects: list[dict], meta: dict[str, Any]) -> str:
    """The reproduce report: one table row per effect, then links to each study's report."""
    held = sum(e["holds"] for e in effects)
    host = meta["machine"]
    others = {name: n for name, n in meta.get("study_agents", {}).items() if n != meta["agents"]}
    exceptions = f" ({', '.join(f'{name}: {n}' for name, n in others.items())})" if others else ""
    lines = [
        "# nmgym reproduce: the effect catalogue",
        "",
        f"{'Quick run' if meta['quick'] else 'Full run'}: {meta['agents']} agents per condition{exceptions}, "
        f"seed {meta['seed']}; "
        f"{held} of {len(effects)} rows hold. Values are medians over agents; the effect is lesioned vs intact "
        "(ratio or difference) with a paired bootstrap 95% CI and a paired sign-flip permutation p-value.",
        "",
    ]
    if meta.get("circuit"):
        variant = ", ".join(f"{k}={v}" for k, v in meta["circuit"].items())
        lines += [f"Circuit variant: {variant} (the plastic conditions; the references are unchanged).", ""]
    lines += [
        f"Machine: {host['cpu']} ({host['cpu_capability']}), torch {host['torch']}, device {host['device']}. "
        "Another CPU model may round differently, and learning amplifies a last-bit difference: a rerun "
        "elsewhere gives results equal in distribution, not bitwise.",
        "",
        "| effect | task | lesion | metric | intact | lesioned | effect [95% CI] | p | bar | holds | detail |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in effects:
        value = "" if e["value"] is None else f"{e['kind']} {_fmt(e['value'])} [{_fmt(e['ci'][0])}, {_fmt(e['ci'][1])}]"
        verdict = "yes" if e["holds"] else "**no**"
        lines.append(
            f"| {e['effect']} | {e['task']} | {e['lesion']} | {e['metric']} | {_fmt(e['intact'])} | "
            f"{_fmt(e['lesioned'])} | {value} | {_fmt(e['p_value'])} | {e['bar']} | {verdict} | {e['detail']} |"
        )
    lines += [
        "",
        "## Studies",
        "",
        f"This run took {meta['wall']:.0f} s, {meta['workers']} chunk{'s' if meta['workers'] > 1 else ''} at a "
        "time; each study's time is what its chunks took in this run (0 for chunks an earlier run had written).",
        "",
    ]
    for name, seconds in meta["seconds"].items():
        lines.append(f"- [{name}](studies/{name}/report.md) ({seconds:.0f} s)")
    for name, caption in meta.get("figures", {}).items():
        lines += ["", f"![{caption}]({name})", "", f"*{caption}*"]
    if meta.get("figures"):
        lines += ["", "![Learning curves, ReversalBandit](studies/ReversalBandit/learning_curves.png)", ""]
    else:
        lines += ["", f"*{MISSING}.*", ""]
    return "\n".join(lines) + "\n"
