"""The full calibration table: customer-model rows plus row 2 (a competent bot's FCR).

Row 2 of shared/calibration.md needs the shipped journeys, the bot policies and the engine's
contact rules, which the customer-model layer may not import; it lives here and joins the rows
of `customer_models.calibration`. FCR = share of runs ending in a resolving outcome, each run
played offline exactly as the engine plays a contact.
"""

from __future__ import annotations

from typing import Any

import numpy as np

RUNS_PER_JOURNEY = 200
ROW2_SEED = 2_000_002
FCR_RANGE = (0.60, 0.80)
#: Runs per sweep task.
CHUNK = 50


def _personas(seed: int, runs: int) -> list[Any]:
    from customer_models.personas import sample_personas

    key = (seed, runs)
    cached = _PERSONAS.get(key)
    if cached is None:
        people = sample_personas(np.random.default_rng(seed), 4 * runs)
        cached = _PERSONAS[key] = [people.persona(i) for i in range(len(people))]
    return cached


_PERSONAS: dict[tuple[int, int], list[Any]] = {}
_JOURNEYS: dict[str, Any] = {}

#: One sweep task: (seed, runs, policy, journey index, journey id, first run, stop run).
Row2Task = tuple[int, int, str, int, str, int, int]


def _row2_chunk(task: Row2Task) -> int:
    """Worker: how many of runs [start, stop) on one shipped journey end resolved."""
    from journeys import library, vocabulary
    from sandbox.engine.offline import play_journey

    seed, runs, policy, j_index, journey_id, start, stop = task
    if not _JOURNEYS:
        _JOURNEYS.update(library.load_all_shipped())
    journey = _JOURNEYS[journey_id]
    personas = _personas(seed, runs)
    accepted = [p for p in personas if journey.accepts_persona(p.journey_fields())] or list(
        personas
    )
    resolved = 0
    for i in range(start, stop):
        run_seed = seed * 1_000_003 + j_index * 10_007 + i
        record = play_journey(journey, policy, run_seed, accepted[i % len(accepted)])
        resolved += record["outcome"] in vocabulary.RESOLVING_OUTCOMES
    return resolved


def row2(
    seed: int = ROW2_SEED,
    runs: int = RUNS_PER_JOURNEY,
    policy: str = "competent",
    sweep: Any = None,
) -> dict[str, Any]:
    """Play `policy` `runs` times on every shipped journey through the engine's contact rules
    (offline play: reaction model, patience, hang-ups); FCR must land in 60–80%. The runs go
    through `sweep` (`sandbox.sweeps`; in process when None), in chunks of CHUNK runs."""
    from journeys import library
    from sandbox.sweeps import Sweep

    journeys = library.load_all_shipped()
    _JOURNEYS.update(journeys)
    ids = sorted(journeys)
    tasks: list[Row2Task] = [
        (seed, runs, policy, j_index, journey_id, lo, min(lo + CHUNK, runs))
        for j_index, journey_id in enumerate(ids)
        for lo in range(0, runs, CHUNK)
    ]
    counts = (sweep or Sweep()).map(_row2_chunk, tasks)
    per_journey: dict[str, float] = {}
    for journey_id in ids:
        resolved = sum(c for t, c in zip(tasks, counts, strict=True) if t[4] == journey_id)
        per_journey[journey_id] = resolved / runs
    resolved_total = sum(counts)
    total = runs * len(ids)
    fcr = resolved_total / total if total else float("nan")
    lo, hi = FCR_RANGE
    return {
        "id": 2,
        "relationship": "FCR level of an average center",
        "relationship_zh": "普通中心的首次解决率",
        "target": "67–72% average; world class ≥ 80%",
        "measured": f"a {policy} bot resolves {100 * fcr:.1f}% over {len(journeys)} journeys × {runs} runs (engine contact rules: reactions, patience, hang-ups)",
        "tolerance": "a competent bot lands in 60–80%",
        "passed": bool(lo <= fcr <= hi),
        "value": round(fcr, 4) if total else None,
        "details": {"fcr_by_journey": {k: round(v, 4) for k, v in per_journey.items()}},
    }


def all_rows(
    models: Any = None, seed: int | None = None, sweep: Any = None
) -> list[dict[str, Any]]:
    """Every calibration row this project computes, in row order (row 2 included; its runs go
    through `sweep`, see `row2`)."""
    from customer_models import calibration

    rows = (
        calibration.compute_rows(models)
        if seed is None
        else calibration.compute_rows(models, seed=seed)
    )
    try:
        rows.append(row2(sweep=sweep) if seed is None else row2(seed=seed, sweep=sweep))
    except Exception as err:  # journeys missing or broken: a failed row that says why
        rows.append(
            {
                "id": 2,
                "relationship": "FCR level of an average center",
                "relationship_zh": "普通中心的首次解决率",
                "target": "67–72% average; world class ≥ 80%",
                "measured": f"not computed: {type(err).__name__}: {err}",
                "tolerance": "a competent bot lands in 60–80%",
                "passed": False,
                "value": None,
                "details": {},
            }
        )
    return sorted(rows, key=lambda r: r["id"])
