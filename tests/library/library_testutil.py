"""Helpers for the library tests: seeded bot play on the pure JourneyRun (no engine)."""

from __future__ import annotations

import random
from pathlib import Path

from journeys import policies
from journeys.runtime import JourneyRun
from journeys.vocabulary import PERSONA_VALUES

FIXTURES = Path(__file__).parent / "fixtures"


def sample_persona(journey, rng: random.Random) -> dict:
    """A persona the journey accepts, with a random mood (independent of the customer models)."""
    p = {}
    for name, values in PERSONA_VALUES.items():
        allowed = journey.persona.get(name, values)
        p[name] = rng.choice(list(allowed))
    p.update(
        anger=rng.randint(1, 8),
        trust=rng.randint(2, 7),
        patience=rng.randint(2, 9),
        tenure_years=rng.choice([0.5, 2.0, 6.0]),
        products=rng.randint(1, 4),
        value=rng.choice([800.0, 3000.0, 12000.0]),
        prior_contacts=rng.randint(0, 3),
        churn_risk=rng.choice([0.05, 0.2, 0.4]),
    )
    return p


def play(journey, policy: str, seed: int) -> JourneyRun:
    """One seeded run of `policy`; the persona depends on the seed only (same customer for all)."""
    run = JourneyRun(journey, seed, sample_persona(journey, random.Random(seed)))
    rng = random.Random(seed * 7919 + 1)
    run.start()
    while not run.finished:
        run.choose(policies.choose(policy, run, rng))
    return run
