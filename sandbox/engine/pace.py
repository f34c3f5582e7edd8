"""A journey's pace: the handle time an expert takes on it, the yardstick of rubric efficiency.

Why an expert play-through: "efficient" means as quick as best practice on *this* journey (a
billing dispute takes longer than a balance check). The pace is the journey's own time of the
expert path — the scripted action times plus the customer's lines — averaged over a few fixed
seeds of its random routes, for a typical customer the journey accepts. No reaction model and
no noise: the yardstick is the script, not one customer's mood. Computed once per journey and
line length, then cached (pure: it depends only on the journey's content).
"""

from __future__ import annotations

from typing import Any

from journeys import JourneyRun
from journeys.policies import PolicyError, choose
from journeys.runtime import MAX_DECISIONS

#: Seeds of the random routes the pace averages over (fixed: the pace is part of the rules).
PACE_SEEDS: tuple[int, ...] = tuple(range(8))

#: A typical customer (the journey's `persona:` filter may narrow a field to other values).
_TYPICAL: dict[str, Any] = {
    "segment": "mass",
    "age_band": "adult",
    "temperament": "calm",
    "tenure_years": 3.0,
    "contract": "one_year",
    "products": 2,
    "value": 1500.0,
    "prior_contacts": 0,
    "churn_risk": 0.08,
    "anger": 3,
    "trust": 5,
    "patience": 6,
}

_CACHE: dict[tuple[int, float], tuple[Any, float | None]] = {}


def journey_pace(journey: Any, line_s: float) -> float | None:
    """Expected handle time (s) of `journey` played by the expert with `line_s` per customer
    line; None when the expert path takes no time at all (nothing to compare against)."""
    key = (id(journey), float(line_s))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is journey:
        return hit[1]
    pace = _expert_time(journey, float(line_s))
    _CACHE[key] = (journey, pace)
    return pace


def _typical_persona(journey: Any) -> dict[str, Any]:
    persona = dict(_TYPICAL)
    for field, allowed in (getattr(journey, "persona", None) or {}).items():
        values = sorted(allowed, key=str)
        if values and persona.get(field) not in allowed:
            persona[field] = values[0]
    return persona


def _expert_time(journey: Any, line_s: float) -> float | None:
    persona = _typical_persona(journey)
    total = 0.0
    for seed in PACE_SEEDS:
        run = JourneyRun(journey, seed, persona)
        seconds = _lines_s(run.start().lines, line_s)
        for _ in range(MAX_DECISIONS):
            if run.finished:
                break
            try:
                choice_id = choose("expert", run, None)
            except PolicyError:
                break
            result = run.choose(choice_id)
            seconds += float(result.time_s) + _lines_s(result.lines, line_s)
        total += seconds
    pace = total / len(PACE_SEEDS)
    return pace if pace > 0 else None


def _lines_s(lines: Any, line_s: float) -> float:
    return line_s * sum(1 for line in lines if line.speaker == "customer")
