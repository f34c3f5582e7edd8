"""The documented limits of every quantity a user can give, checked before any work starts.

Why one table: a request the machine cannot finish (a million hours, a billion agents, an
interval of a nanosecond, a two-million-row CSV) used to be accepted and then ran out of memory
or never ended. Each limit here is chosen from measurements on the reference machine (2 cores,
24 GiB; docs/limits.md gives the figures and the commands that measured them), refused at once
with the limit, the reason and what to do. The scenario loader, `Scenario.with_overrides`, the
CLI and the file readers all take their numbers from here, so docs/limits.md has one source.
"""

from __future__ import annotations

from typing import Any

# -- a run: what is simulated ----------------------------------------------------------------
#: hours of simulated time in one run (`duration:` or `--hours`): about six weeks; what a
#: run costs is bounded by the customers it expects (below), the hours only bound the idle
#: ticks (one arrival draw per interval and channel, one prediction cut per 30 s with seats)
MAX_HOURS = 1000.0
MAX_DURATION_S = MAX_HOURS * 3600.0
#: closing time after the last arrival (`drain:`)
MAX_DRAIN_S = 24 * 3600.0
#: service-level threshold (`service_level_threshold:`)
MAX_THRESHOLD_S = 3600.0
#: bot agents plus seats in one run (`count:` summed, `--agents`): ~8 KB of memory each
MAX_AGENTS = 10_000
#: entries of `agents:` plus `seats:`
MAX_GROUPS = 200
#: mean arrivals per hour of one channel (`arrivals_per_hour:`)
MAX_ARRIVALS_PER_HOUR = 100_000.0
#: customers a run may expect to draw (every channel's rate × hours, with 3 standard
#: deviations of the day factor): ~2 KB each while queued, ~0.3-0.7 ms of CPU each
MAX_EXPECTED_CONTACTS = 600_000
#: shortest arrival `interval:` (one Poisson draw per interval and channel)
MIN_INTERVAL_S = 60.0
MAX_INTERVAL_S = 24 * 3600.0
#: weights of one channel's `profile:` (one per interval of the day)
MAX_PROFILE_LENGTH = 1440
#: a customer line (`line_time:`)
MAX_LINE_S = 3600.0
#: mean handle time of a drawn service model (`service: {mean}`)
MIN_SERVICE_MEAN_S = 1.0
MAX_SERVICE_MEAN_S = 8 * 3600.0
#: mean patience of exponential patience (`patience: {mean}`)
MIN_PATIENCE_MEAN_S = 1.0
MAX_PATIENCE_MEAN_S = 24 * 3600.0
#: journeys in a scenario's mix and in `journey_files:`
MAX_JOURNEYS = 200
#: a weight in `personas:`
MAX_PERSONA_WEIGHT = 1e6
#: every seed (the store's INTEGER and the random streams take 0 .. 2^63 - 1)
MAX_SEED = 2**63 - 1

# -- files a user gives ----------------------------------------------------------------------
#: a scenario, journey or exam YAML file (journeys.strict_yaml.MAX_FILE_BYTES)
MAX_YAML_BYTES = 4_000_000
#: a session save file (provenance + decision log: ~40 bytes a decision)
MAX_SAVE_BYTES = 16 * 2**20
#: a training CSV, its rows and one cell (the csv module's own default field limit)
MAX_CSV_BYTES = 64 * 2**20
MAX_CSV_ROWS = 200_000
MAX_CSV_CELL = 131_072
#: contacts generated for training or a sample (`model train|sample --rows`)
MIN_TRAIN_ROWS = 200
MAX_TRAIN_ROWS = MAX_CSV_ROWS
#: one model file of a model folder (`--dir`); the shipped ones are ~10 KB
MAX_MODEL_FILE_BYTES = 64 * 2**20
#: bot runs per policy (`journey bots --runs`) and worker processes
MAX_BOT_RUNS = 100_000
MAX_WORKERS = 64
#: `shapan erlang --agents`
MAX_ERLANG_AGENTS = 100_000


def expected_contacts(scenario: Any) -> float:
    """Customers a scenario expects to draw, high side: each channel's mean rate × hours ×
    (1 + 3·day_factor_cv) (a day's rate factor is Gamma with mean 1 and that cv)."""
    hours = scenario.duration_s / 3600.0
    return sum(
        ch.arrivals_per_hour * hours * (1.0 + 3.0 * ch.day_factor_cv) for ch in scenario.channels
    )


def run_problems(scenario: Any) -> list[str]:
    """What makes a loaded scenario (with its overrides) too large to run; [] = it fits.

    Each message names the figure, the limit and what to do (one line each)."""
    out: list[str] = []
    if scenario.duration_s > MAX_DURATION_S:
        out.append(
            f"the run is {scenario.duration_s / 3600:g} h; the limit is {MAX_HOURS:g} h: "
            "run fewer hours"
        )
    agents = sum(g.count for g in scenario.agents) + len(scenario.seats)
    if agents > MAX_AGENTS:
        out.append(
            f"the run has {agents} agents; the limit is {MAX_AGENTS} (about 8 KB of memory "
            "each): use fewer agents"
        )
    expected = expected_contacts(scenario)
    if expected > MAX_EXPECTED_CONTACTS:
        out.append(
            f"the run expects up to {expected:,.0f} customers; the limit is "
            f"{MAX_EXPECTED_CONTACTS:,} (memory and time grow with each): run fewer hours or "
            "lower arrivals_per_hour"
        )
    return out


__all__ = [name for name in dir() if name.isupper()] + ["expected_contacts", "run_problems"]
