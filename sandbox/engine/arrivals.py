"""Arrival generation: time-varying Poisson per channel, drawn in vectorised batches.

Why batches per interval: the whole day is never materialised (memory stays flat when the run
is 10× longer) yet each draw is a numpy call over a few hundred customers, not one per customer.
Each interval's rate is `arrivals_per_hour × profile[i] × day_factor`; the day factor is a
Gamma(mean 1, cv) draw per simulated day (calibration row 14: over-dispersion day to day).
Within an interval arrivals are a Poisson count with sorted uniform times (exact for a
piecewise-constant rate).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ArrivalBatch:
    """The arrival times (sim seconds, sorted) of one channel in one interval."""

    channel: str
    times: np.ndarray


def day_factor(rng: np.random.Generator, cv: float) -> float:
    """Gamma-distributed rate multiplier with mean 1 and coefficient of variation `cv`."""
    if cv <= 0:
        return 1.0
    shape = 1.0 / (cv * cv)
    return float(rng.gamma(shape, 1.0 / shape))


def interval_batches(
    channel: str,
    *,
    per_hour: float,
    profile: tuple[float, ...],
    interval_s: float,
    cv: float,
    horizon_s: float,
    rng: np.random.Generator,
    interval_cv: float = 0.0,
    interval_rng: np.random.Generator | None = None,
) -> Iterator[ArrivalBatch]:
    """Yield one batch per interval up to `horizon_s`; the profile repeats every day.

    The profile is normalised to mean 1, so `per_hour` is the day's mean rate. A profile that
    is shorter than the horizon wraps round: each wrap is a new "day" with a new day factor.
    With `interval_cv` > 0 each interval's rate is also multiplied by its own Gamma(mean 1,
    cv) factor from `interval_rng` (intraday forecast error: the rate a planner could not
    know), drawn from that stream only, so the other draws stay the same.
    """
    weights = np.asarray(profile, dtype=float)
    weights = weights / weights.mean() if weights.mean() > 0 else weights
    day_len = interval_s * len(weights)
    factor = 1.0
    start = 0.0
    index = 0
    while start < horizon_s:
        slot = index % len(weights)
        if slot == 0:
            factor = day_factor(rng, cv)
        end = min(start + interval_s, horizon_s)
        span = end - start
        rate = per_hour / 3600.0 * weights[slot] * factor
        if interval_cv > 0 and interval_rng is not None:
            rate *= day_factor(interval_rng, interval_cv)
        count = int(rng.poisson(rate * span)) if rate > 0 else 0
        times = np.sort(rng.uniform(start, end, size=count)) if count else np.empty(0)
        yield ArrivalBatch(channel, times)
        index += 1
        start = index * interval_s
        if day_len <= 0:
            break
