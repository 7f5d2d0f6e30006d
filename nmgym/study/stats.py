"""Statistics for lesion studies: paired bootstrap confidence intervals and permutation tests.

Intact and lesioned agents share seeds and task draws, so agent ``i`` of one condition is paired
with agent ``i`` of the other; every test here resamples agents, keeping the pairs together.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Statistic = Callable[[np.ndarray], float]


def _clean(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired samples must have the same shape; got {a.shape} and {b.shape}")
    keep = np.isfinite(a) & np.isfinite(b)
    return a[keep], b[keep]


def bootstrap_ci(
    a: np.ndarray,
    b: np.ndarray,
    *,
    statistic: str = "median",
    kind: str = "difference",
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """The paired effect of ``b`` against ``a`` and its percentile bootstrap CI.

    ``statistic`` (``median`` or ``mean``) summarises each group; ``kind`` is ``difference``
    (``stat(b) - stat(a)``) or ``ratio`` (``stat(b) / stat(a)``). Agents are resampled in pairs.
    Returns ``(effect, low, high)``; NaNs when no complete pair is left.
    """
    if statistic not in ("median", "mean"):
        raise ValueError(f"statistic must be 'median' or 'mean', got {statistic!r}")
    if kind not in ("difference", "ratio"):
        raise ValueError(f"kind must be 'difference' or 'ratio', got {kind!r}")
    a, b = _clean(a, b)
    if a.size == 0:
        return (float("nan"),) * 3
    stat = np.median if statistic == "median" else np.mean

    def effect(x: np.ndarray, y: np.ndarray, axis: int | None = None) -> np.ndarray:
        sx, sy = stat(x, axis=axis), stat(y, axis=axis)
        if kind == "difference":
            return sy - sx
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(sx != 0, sy / np.where(sx != 0, sx, 1.0), np.where(sy == 0, 1.0, np.inf))

    rng = np.random.default_rng(seed)
    idx = rng.integers(0, a.size, size=(n_boot, a.size))
    boots = effect(a[idx], b[idx], axis=1)
    alpha = (1.0 - level) / 2.0
    low, high = (
        np.quantile(boots[np.isfinite(boots)], [alpha, 1.0 - alpha]) if np.isfinite(boots).any() else (np.nan,) * 2
    )
    return float(effect(a, b)), float(low), float(high)


def permutation_test(a: np.ndarray, b: np.ndarray, *, n_perm: int = 5000, seed: int = 0) -> float:
    """Two-sided paired sign-flip permutation test of ``mean(b - a) == 0``; returns the p-value.

    The p-value counts the observed arrangement, so it is never below ``1 / (n_perm + 1)``.
    """
    a, b = _clean(a, b)
    d = b - a
    if d.size == 0:
        return float("nan")
    observed = abs(d.mean())
    if observed == 0.0:
        return 1.0
    rng = np.random.default_rng(seed)
    signs = rng.choice(np.array([-1.0, 1.0]), size=(n_perm, d.size))
    null = np.abs((signs * d).mean(1))
    return float((1 + np.count_nonzero(null >= observed - 1e-12)) / (n_perm + 1))


def cohens_d(a: np.ndarray, b: np.ndarray) -> float:
    """Paired standardized effect: mean of ``b - a`` over its standard deviation."""
    a, b = _clean(a, b)
    d = b - a
    if d.size < 2:
        return float("nan")
    sd = d.std(ddof=1)
    return float(d.mean() / sd) if sd > 0 else (0.0 if d.mean() == 0 else float(np.sign(d.mean()) * np.inf))


def compare(a: np.ndarray, b: np.ndarray, *, kind: str = "difference", seed: int = 0) -> dict[str, float | str]:
    """Everything a summary reports for lesion ``b`` against intact ``a``."""
    effect, low, high = bootstrap_ci(a, b, kind=kind, seed=seed)
    return {
        "intact": float(np.nanmedian(a)) if np.isfinite(a).any() else float("nan"),
        "lesioned": float(np.nanmedian(b)) if np.isfinite(b).any() else float("nan"),
        "effect": effect,
        "kind": kind,
        "ci_low": low,
        "ci_high": high,
        "cohens_d": cohens_d(a, b),
        "p_value": permutation_test(a, b, seed=seed),
    }
