"""The engine against exact queueing theory (shared/calibration.md, "Queueing").

Replicated runs of the shipped `erlang` scenario (exponential service and patience, flat
Poisson arrivals, one-step journeys) driven through the real `Session`. Each replication warms
up for 30 min, then measures the contacts that *arrive* during the next 3 h (the KPI
accumulator's per-interval counters are keyed by arrival time) and keeps running 30 min more so
those contacts all reach their fate.

The check: 95% confidence intervals (Student t over the replications) of ASA, service level and
P(abandon) must contain the Erlang C / Erlang A value. Twelve intervals are checked at once
(3 KPIs x 4 configurations), so they are *simultaneous* 95% intervals (Bonferroni: each at
1 - 0.05/12); with per-interval 95% a correct engine would fail about one run in three. The
replication seeds are fixed (chosen before looking at results), so the test is deterministic.
Run with `-s` to see the figures.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import replace

import pytest

from sandbox import erlang

REPLICATIONS = 20
WARM_S = 1800.0
MEASURE_S = 3 * 3600.0
TAIL_S = 1800.0
COMPARISONS = 12
T_CRIT = 3.2550  # Student t quantile 1 - 0.05 / (2 * 12), 19 degrees of freedom


@pytest.fixture(scope="module")
def scenario():
    from sandbox.scenario import load_scenario

    return load_scenario("erlang")


def _rates(scenario) -> tuple[float, float, float | None, float]:
    (channel,) = scenario.channels
    lam = channel.arrivals_per_hour / 3600.0
    patience = channel.patience_mean_s if channel.patience == "exponential" else None
    return lam, float(scenario.service.mean_s), patience, scenario.threshold_s


def _replicate(scenario, agents: int, seed: int) -> dict[str, float]:
    from sandbox.session import Session

    hours = (WARM_S + MEASURE_S + TAIL_S) / 3600.0
    session = Session(
        scenario.with_overrides(agents=agents, hours=hours), seed=seed, human_policy="expert"
    )
    session.run_until(WARM_S + MEASURE_S + TAIL_S)
    rows = [
        r for r in session.kpi.breakdowns()["intervals"]
        if WARM_S <= r["start_s"] < WARM_S + MEASURE_S
    ]  # fmt: skip
    handled = sum(r["handled"] for r in rows)
    abandoned = sum(r["abandoned"] for r in rows)
    within = sum(r["answered_within"] for r in rows)
    after = sum(r["abandoned_after"] for r in rows)
    assert sum(r["contacts"] for r in rows) - handled - abandoned <= 2  # all reached a fate
    return {
        "asa_s": sum(r["wait_sum_s"] for r in rows) / handled,
        "service_level": within / (handled + after),
        "p_abandon": abandoned / (handled + abandoned),
    }


def _check(runs: list[dict[str, float]], theory: erlang.QueueFigures) -> None:
    report = []
    failures = []
    for key in ("asa_s", "service_level", "p_abandon"):
        values = [r[key] for r in runs]
        mean = statistics.fmean(values)
        half = T_CRIT * statistics.stdev(values) / math.sqrt(len(values))
        target = getattr(theory, key)
        report.append(f"{key}: sim {mean:.4f} ± {half:.4f}, theory {target:.4f}")
        if half == 0.0:  # Erlang C: no abandonment can happen at all
            if mean != target:
                failures.append(key)
        elif not (mean - half <= target <= mean + half):
            failures.append(key)
    print(f"\nn={theory.agents} ({theory.model}): " + "; ".join(report))
    assert not failures, f"n={theory.agents} outside the 95% CI: " + "; ".join(report)


def test_erlang_c_n13_no_patience(scenario) -> None:
    """Infinite patience (`patience: none`), 13 agents: Erlang C."""
    no_patience = replace(
        scenario,
        channels=tuple(
            replace(c, patience="none", patience_mean_s=None) for c in scenario.channels
        ),
    )
    lam, aht, _, threshold = _rates(scenario)
    theory = erlang.erlang_c(lam, aht, 13, threshold)
    _check([_replicate(no_patience, 13, seed) for seed in range(1, REPLICATIONS + 1)], theory)


@pytest.mark.parametrize("agents", [13, 11, 9])
def test_erlang_a(scenario, agents: int) -> None:
    """Exponential patience (mean 120 s): Erlang A at 13, 11 and 9 agents."""
    lam, aht, patience, threshold = _rates(scenario)
    assert patience is not None, "the shipped erlang scenario must have exponential patience"
    theory = erlang.erlang_a(lam, aht, agents, patience, threshold)
    _check([_replicate(scenario, agents, 100 + seed) for seed in range(REPLICATIONS)], theory)
