"""What a study writes: tidy results, ``summary.json``, figures and ``report.md``."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from nmgym.circuit import LEVELS, CircuitParams
from nmgym.plotting import MISSING, available, pyplot
from nmgym.results_folder import atomic_write_text
from nmgym.study.metrics import after_shaping, describe, reversal_blocks, task_metrics
from nmgym.study.runner import Study
from nmgym.study.stats import compare
from nmgym.tasks import task_class

BINS = 20
STYLES = ("-", "--", ":", "-.")  # overlapping conditions stay visible
WINDOW = (10, 6)  # steps before and after an event in the trace plots


def _finite(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _clean_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(v) for v in value]
    if isinstance(value, float | np.floating):
        return _finite(float(value))
    return value


def curve(records: dict[str, np.ndarray], key: str = "correct", bins: int = BINS) -> tuple[np.ndarray, np.ndarray]:
    """Bin edges ``[n_bins + 1]`` and per-agent bin means ``[B, n_bins]`` of ``records[key]``."""
    n = records[key].shape[1]
    edges = np.unique(np.linspace(0, n, min(bins, n) + 1).astype(int))
    sums = np.add.reduceat(records[key], edges[:-1], axis=1)
    return edges, sums / np.diff(edges)


def analyse(study: Study, results: dict[str, dict[str, np.ndarray]]) -> dict[str, Any]:
    """Per condition the task's metrics (per agent), and per lesion the comparison with intact."""
    per_agent = {c: task_metrics(study.task, r, study.full_params) for c, r in results.items()}
    conditions = {
        c: {
            m: {
                "median": _finite(float(np.nanmedian(v))) if np.isfinite(v).any() else None,
                "mean": _finite(float(np.nanmean(v))) if np.isfinite(v).any() else None,
            }
            for m, v in metrics.items()
        }
        for c, metrics in per_agent.items()
    }
    lesions = {}
    for c in study.conditions:
        if c == "none" or c.startswith("ref:"):
            continue
        lesions[c] = {m: compare(per_agent["none"][m], per_agent[c][m]) for m in per_agent["none"]}
    return {
        "task": study.task,
        "settings": study.manifest(),
        "conditions": conditions,
        "lesions": lesions,
        "per_agent": {c: {m: v.tolist() for m, v in metrics.items()} for c, metrics in per_agent.items()},
    }


def tidy_rows(study: Study, results: dict[str, dict[str, np.ndarray]], summary: dict[str, Any]) -> list[dict]:
    """One row per condition x agent x trial bin x metric (whole-run task metrics: bin = the run)."""
    rows: list[dict] = []
    for condition, records in results.items():
        for key in ("correct", "reward"):
            edges, means = curve(records, key)
            for agent in range(means.shape[0]):
                for b in range(means.shape[1]):
                    rows.append(
                        {
                            "condition": condition,
                            "agent": agent,
                            "trial_start": int(edges[b]),
                            "trial_stop": int(edges[b + 1]),
                            "metric": key,
                            "value": float(means[agent, b]),
                        }
                    )
        n = records["correct"].shape[1]
        for metric, values in summary["per_agent"][condition].items():
            for agent, value in enumerate(values):
                rows.append(
                    {
                        "condition": condition,
                        "agent": agent,
                        "trial_start": 0,
                        "trial_stop": n,
                        "metric": metric,
                        "value": value,
                    }
                )
    return rows


def write_tidy(folder: Path, rows: list[dict]) -> list[str]:
    """``results.csv`` always, ``results.parquet`` when pyarrow is installed; returns the files."""
    keys = ["condition", "agent", "trial_start", "trial_stop", "metric", "value"]
    tmp = folder / ".results.csv.tmp"
    with tmp.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(folder / "results.csv")
    files = ["results.csv"]
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return files
    pq.write_table(pa.table({k: [r[k] for r in rows] for k in keys}), folder / "results.parquet")
    return [*files, "results.parquet"]


def _width(condition: str) -> float:
    """Line width: the intact line is drawn wider, so a lesion identical to it shows inside it."""
    return 2.8 if condition == "none" else 1.3


def plot_curves(study: Study, results: dict[str, dict[str, np.ndarray]], path: Path) -> None:
    """Learning curves (fraction correct per trial bin) with 95% CI bands, one line per condition."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for condition, records in results.items():
        edges, means = curve(records)
        mid = (edges[:-1] + edges[1:]) / 2
        mean = means.mean(0)
        sem = means.std(0, ddof=1) / math.sqrt(means.shape[0]) if means.shape[0] > 1 else np.zeros_like(mean)
        style = "--" if condition.startswith("ref:") else "-"
        ax.plot(mid, mean, style, lw=_width(condition), label=condition)
        ax.fill_between(mid, mean - 1.96 * sem, mean + 1.96 * sem, alpha=0.2)
    ax.set(xlabel="trial", ylabel="fraction correct (mean, 95% CI)", title=f"{study.task}: {study.agents} agents")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _ci95(values: np.ndarray) -> float:
    """Half-width of the normal 95% CI of the mean of the finite values."""
    v = values[np.isfinite(values)]
    return float(1.96 * v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else 0.0


def plot_metric_vs(ax, xs: list[int], per_condition: dict[str, list[np.ndarray]]) -> None:
    """One line per condition: the mean (95% CI) of its per-agent values at each ``x``."""
    for c, values in per_condition.items():
        ys = [np.nanmean(v) if np.isfinite(v).any() else np.nan for v in values]
        ax.errorbar(xs, ys, yerr=[_ci95(v) for v in values], marker="o", lw=_width(c), label=c, capsize=2)
    ax.set_xticks(xs)  # the measured values only: a signal lasts 1, 2 or 4 steps, never 1.5


def plot_delay_sweep(delays: list[int], per_condition: dict[str, list[np.ndarray]], tau: float, path: Path) -> str:
    """DistalReward's accuracy vs delay, one study (agents trained at that delay) per point; returns
    the caption."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    plot_metric_vs(ax, delays, per_condition)
    ax.axvline(tau, color="grey", lw=0.5, ls=":")
    ax.axhline(0.8, color="grey", lw=0.5, ls="--")
    ax.set(xlabel="reward delay D (steps of 100 ms)", ylabel="fraction correct", title="accuracy vs delay")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return (
        "DistalReward: accuracy vs reward delay, one study per delay (second half of training; mean and 95% CI "
        "across agents; dotted: tag time constant, dashed: the 0.8 bar)."
    )


def plot_behaviour(study: Study, results: dict[str, dict[str, np.ndarray]], summary: dict, path: Path) -> str:
    """The task's behavioural plot, written to ``path``; returns its caption."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    caption = draw_behaviour(ax, study, results, summary)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return caption


def draw_behaviour(ax, study: Study, results: dict[str, dict[str, np.ndarray]], summary: dict) -> str:
    """Draw the task's behavioural plot on ``ax``; return its caption."""
    per_agent = {c: {m: np.asarray(v, dtype=float) for m, v in ms.items()} for c, ms in summary["per_agent"].items()}
    p = study.full_params

    def metric_vs(xs: list[int], key: str) -> None:
        """One line per condition: the per-agent metric ``key.format(x)`` against ``xs``."""
        plot_metric_vs(ax, xs, {c: [ms[key.format(x)] for x in xs] for c, ms in per_agent.items()})

    task = study.task
    if task == "DistalReward":
        delays = list(p["delays"])
        metric_vs(delays, "accuracy_d{}")
        ax.axvline(CircuitParams().tau_tag, color="grey", lw=0.5, ls=":")  # studies run the default circuit
        title = "accuracy vs delay" if len(delays) > 1 else f"accuracy at delay D = {delays[0]}"
        ax.set(xlabel="reward delay D (steps of 100 ms)", ylabel="fraction correct", title=title)
        caption = f"{title[0].upper()}{title[1:]} (second half of training; dotted: tag time constant)."
    elif task == "ReversalBandit":
        L = int(p["reversal_every"])
        for c, r in results.items():
            blocks = reversal_blocks(r["correct"], L)[:, 1:]  # the blocks after a reversal
            if blocks.shape[1] == 0:
                continue
            ax.plot(np.arange(1, L + 1), blocks.mean((0, 1)), lw=_width(c), label=c)
        ax.axhline(0.8, color="grey", lw=0.5, ls=":")
        ax.set(xlabel="trial after reversal", ylabel="P(choose the good arm)", title="post-reversal recovery")
        caption = "Choice of the better arm after each reversal (mean over reversals and agents)."
    elif task == "SustainedAttention":
        metric_vs(list(p["signal_durations"]), "hits_l{}")
        ax.set(xlabel="signal length (steps)", ylabel="hits", title="hits vs signal length")
        caption = "Hit rate per signal length (distractor-free trials); correct rejections are in summary.json."
    elif task == "WaitForReward":
        for c, r in results.items():
            begin = after_shaping(r["waited"].shape[1], p)
            waits = r["waited"][:, begin:][r["omission"][:, begin:] > 0]
            ax.hist(waits, bins=30, range=(0, p["timeout"]), histtype="step", density=True, lw=_width(c), label=c)
        ax.set(xlabel="steps waited on omission trials", ylabel="density", title="waiting-time distribution")
        caption = "Waiting time on omission trials (no reward comes; the trial times out)."
    elif task == "CueReward":
        names = list(per_agent)
        x = np.arange(len(names))
        for shift, metric, label in ((-0.2, "go_target", "target cue"), (0.2, "go_other", "other cues")):
            ys = [np.nanmean(per_agent[c][metric]) for c in names]
            ax.bar(x + shift, ys, width=0.4, yerr=[_ci95(per_agent[c][metric]) for c in names], label=label)
        ax.set_xticks(x, names, rotation=30, fontsize=8)
        ax.set(ylabel="go rate (last 20% of trials)", title="go rate per cue", ylim=(0, 1.25))
        caption = "Go rate on the target cue and on the other cues at the end of training."
    else:
        names = list(per_agent)
        ys = [np.nanmean(per_agent[c]["accuracy"]) for c in names]
        ax.bar(np.arange(len(names)), ys, yerr=[_ci95(per_agent[c]["accuracy"]) for c in names])
        ax.set_xticks(np.arange(len(names)), names, rotation=30, fontsize=8)
        ax.axhline(1 / len(task_class(task).action_names), color="grey", lw=0.5, ls=":")
        ax.set(ylabel="fraction correct (end)", title=f"{task}: final accuracy")
        caption = "Final accuracy per condition (dotted: chance)."
    if task == "CueReward":  # above the bars, which reach 1
        ax.legend(frameon=False, fontsize=8, loc="upper center", ncols=2)
    elif ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, fontsize=8)
    return caption


def event_traces(records: dict[str, np.ndarray], task: str) -> dict[str, np.ndarray]:
    """Mean modulator levels ``[4, window]`` around trial ends, by event type, for the recorded agents."""
    if "trace_da" not in records or records["trace_da"].shape[1] == 0:
        return {}
    before, after = WINDOW
    traces = np.stack([records[f"trace_{name}"] for name in LEVELS], axis=1)  # [k, 4, S]
    k, _, S = traces.shape
    ends = np.cumsum(records["steps"][:k], axis=1).astype(int) - 1  # [k, T]
    kinds = {"rewarded": records["reward"][:k] > 0, "unrewarded": records["reward"][:k] <= 0}
    if task == "ReversalBandit":
        reversal = np.zeros_like(kinds["rewarded"])
        reversal[:, :-1] = records["block_trial"][:k, 1:] == 0
        kinds = {"reversal": reversal, **kinds}
    out = {}
    offsets = np.arange(-before, after)
    for kind, mask in kinds.items():
        ok = mask & (ends >= before) & (ends + after < S)
        agent, trial = np.nonzero(ok)
        if agent.size == 0:
            continue
        idx = ends[agent, trial][:, None] + offsets[None, :]
        out[kind] = traces[agent[:, None], :, idx].mean(0).T  # [4, window]
    return out


def plot_traces(study: Study, results: dict[str, dict[str, np.ndarray]], path: Path) -> bool:
    """Modulator levels around key events (trial outcomes; reversals) for intact and lesioned agents."""
    plastic = {c: event_traces(r, study.task) for c, r in results.items() if not c.startswith("ref:")}
    plastic = {c: t for c, t in plastic.items() if t}
    if not plastic:
        return False
    plt = pyplot()
    kinds = list(dict.fromkeys(k for t in plastic.values() for k in t))
    fig, axes = plt.subplots(len(LEVELS), len(kinds), figsize=(3 * len(kinds), 6.5), sharex=True, squeeze=False)
    offsets = np.arange(-WINDOW[0], WINDOW[1])
    for j, kind in enumerate(kinds):
        for i, name in enumerate(LEVELS):
            ax = axes[i, j]
            for n, (c, t) in enumerate(plastic.items()):
                if kind in t:
                    ax.plot(offsets, t[kind][i], STYLES[n % len(STYLES)], label=c)
            ax.axvline(0, color="grey", lw=0.5, ls=":")
            if i == 0:
                ax.set_title(f"{kind} trial end" if kind != "reversal" else "last trial before reversal", fontsize=9)
            if j == 0:
                ax.set_ylabel(name)
    axes[-1, 0].set_xlabel("step from event")
    axes[0, -1].legend(frameon=False, fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_report(study: Study, results: dict[str, dict[str, np.ndarray]] | None = None) -> dict[str, Any]:
    """Analyse a finished study and write every output into its folder; return the summary."""
    folder = study.out
    results = study.load() if results is None else results
    summary = analyse(study, results)
    summary["undefined_metrics"] = undefined_metrics(summary)
    files = write_tidy(folder, tidy_rows(study, results, summary))
    figures: dict[str, str] = {}
    if available():
        plot_curves(study, results, folder / "learning_curves.png")
        figures["learning_curves.png"] = "Learning curves (fraction correct, mean and 95% CI across agents)."
        figures["behaviour.png"] = plot_behaviour(study, results, summary, folder / "behaviour.png")
        if plot_traces(study, results, folder / "modulators.png"):
            figures["modulators.png"] = "Modulator levels around trial outcomes (a few recorded agents)."
    summary["files"] = files + list(figures) + ["summary.json", "report.md"]
    atomic_write_text(folder / "summary.json", json.dumps(_clean_json(summary), indent=1) + "\n")
    atomic_write_text(folder / "report.md", markdown(study, summary, figures))
    return summary


def undefined_metrics(summary: dict[str, Any]) -> list[str]:
    """The metrics no agent of any condition had trials for (NaN everywhere): the run is too short
    for them, e.g. a ReversalBandit study that ends before the first reversal."""
    conditions = list(summary["conditions"].values())
    return [m for m in conditions[0] if all(_missing(c[m]["median"]) for c in conditions)]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def markdown(study: Study, summary: dict[str, Any], figures: dict[str, str]) -> str:
    """The study's short report."""
    metrics = list(next(iter(summary["conditions"].values())))
    lines = [
        f"# {study.task}: lesion study",
        "",
        f"{study.agents} agents per condition, seed {study.seed}, {study.trials} trials; task parameters "
        f"{study.overrides or 'default'}. Values are medians over agents.",
        "",
        "| condition | " + " | ".join(metrics) + " |",
        "|---|" + "---|" * len(metrics),
    ]
    for c, ms in summary["conditions"].items():
        cells = ["" if ms[m]["median"] is None else f"{ms[m]['median']:.3g}" for m in metrics]
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    if summary["lesions"]:
        lines += ["", "Lesion vs intact (difference of medians, paired bootstrap 95% CI, sign-flip permutation p):", ""]
        lines += ["| lesion | metric | intact | lesioned | effect | 95% CI | p |", "|---|---|---|---|---|---|---|"]
        for c, ms in summary["lesions"].items():
            for m, s in ms.items():
                if _missing(s["effect"]):  # an undefined metric: listed below, not as "nan"
                    lines.append(f"| {c} | {m} | | | | | |")
                    continue
                lines.append(
                    f"| {c} | {m} | {s['intact']:.3g} | {s['lesioned']:.3g} | {s['effect']:+.3g} | "
                    f"[{s['ci_low']:+.3g}, {s['ci_high']:+.3g}] | {s['p_value']:.3g} |"
                )
    if summary.get("undefined_metrics"):
        lines += [
            "",
            f"**Undefined:** {', '.join(summary['undefined_metrics'])}: no agent had a trial that defines them"
            f" in {study.trials} trials; run more trials (`--trials`).",
        ]
    described = [(m, describe(study.task, m)) for m in metrics]
    if any(text for _, text in described):
        lines += ["", "Metrics:", ""] + [f"- `{m}`: {text}" for m, text in described if text]
    for name, caption in figures.items():
        lines += ["", f"![{caption}]({name})", "", f"*{caption}*"]
    if not figures:  # drawn wherever matplotlib is installed
        lines += ["", f"*{MISSING}.*"]
    return "\n".join(lines) + "\n"
