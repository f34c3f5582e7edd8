"""The percentile bootstrap: one implementation for every interval shapan reports.

Used by exam calibration (Cronbach's alpha, `sandbox.exam.calibration.alpha_interval`) and by
the designer's bots (`sandbox.workbench.bots`: the 95% intervals of each policy's mean score,
CSAT and rates). A resample draws n rows with replacement (`resample_indices`: the rows of
`resamples` resamples from `numpy.random.default_rng(seed)`); the interval is the 2.5th and
97.5th percentile of the statistic over the resamples (`percentile_interval`).

Reference: Efron, B. & Tibshirani, R. J. (1993), An Introduction to the Bootstrap, Chapman &
Hall, ch. 13 (the percentile interval).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: The interval's coverage: 95%.
LEVEL = 0.95


def resample_indices(n: int, seed: int, resamples: int) -> IntArray:
    """A (resamples x n) matrix of row indices drawn with replacement from `default_rng(seed)`."""
    rng = np.random.default_rng(seed)
    idx: IntArray = rng.integers(0, n, size=(resamples, n))
    return idx


def percentile_interval(values: npt.ArrayLike, level: float = LEVEL) -> tuple[float, float]:
    """The percentile interval of a statistic's bootstrap values (95%: 2.5th..97.5th)."""
    tail = round(50.0 * (1.0 - level), 10)
    lo, hi = np.percentile(np.asarray(values, dtype=np.float64), [tail, 100.0 - tail])
    return float(lo), float(hi)


def mean_intervals(
    columns: npt.ArrayLike, seed: int, resamples: int = 1000, level: float = LEVEL
) -> list[tuple[float, float]]:
    """The bootstrap interval of the mean of every column of an (n x k) matrix, resampling
    rows together (so paired columns stay paired). Columns may hold NaN for rows without a
    value (e.g. no CSAT prediction): those rows are left out of that column's mean."""
    m = np.asarray(columns, dtype=np.float64)
    if m.ndim == 1:
        m = m[:, None]
    n, k = m.shape
    if n == 0:
        return [(0.0, 0.0)] * k
    idx = resample_indices(n, seed, resamples)
    out: list[tuple[float, float]] = []
    for j in range(k):
        col = m[:, j]
        present = ~np.isnan(col)
        if present.all():
            means = col[idx].mean(axis=1)
        else:
            weights = present[idx].sum(axis=1).astype(np.float64)
            sums = np.where(present, col, 0.0)[idx].sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                means = sums / weights
            means = means[weights > 0]
        out.append(
            percentile_interval(means, level) if means.size else (float("nan"), float("nan"))
        )
    return out
