"""The engine uses SimPy and the journey runtime through their public APIs only.

Why a structural test: writing `env._now`, an event's `_ok`/`_value`, or a `JourneyRun`'s
private fields from outside couples the engine to internals that change without notice (and
made the clock run backwards once). Only `journeys/runtime.py` may touch a run's privates."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("sandbox", "journeys", "customer_models", "ui")

SIMPY_PRIVATE = re.compile(r"\benv\._now\b|\._ok\b|\._value\b|\._queue\b|\._eid\b")
RUN_PRIVATE = re.compile(
    r"(?<!self)\.(_rng_obj|_draws|_state|_node_id|_started|_finished|_outcome|_ending|"
    r"_score|_time_s|_visits|_history|_path|_chosen|_risks|_armed|_cache|_persona|"
    r"_has_persona)\b"
)


def _sources() -> list[Path]:
    return [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]


def test_no_code_writes_or_reads_simpy_privates() -> None:
    found = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in _sources()
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if SIMPY_PRIVATE.search(line)
    ]
    assert not found, "\n".join(found)


def test_only_the_runtime_touches_a_journey_runs_privates() -> None:
    found = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in _sources()
        if p != ROOT / "journeys" / "runtime.py"
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if RUN_PRIVATE.search(line)
    ]
    assert not found, "\n".join(found)
