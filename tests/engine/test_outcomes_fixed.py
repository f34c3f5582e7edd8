"""Nothing but seed, scenario, journeys, models and decisions changes an outcome.

`events: steps` (log every bot decision) and `batch_play` (bot contacts of drawn-service
scenarios played many at a time or each at its answer) change what is logged and how fast it
runs; results.json `kpis`, contacts.csv and the decision log must be the same bytes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sandbox.scenario import Scenario, load_scenario
from sandbox.session import Session


def _drawn_full_day(policy: str) -> Scenario:
    """Half an hour of full-day with exponential handle times (batch play applies)."""
    sc = load_scenario("full-day").with_overrides(hours=0.5)
    return replace(
        sc,
        service=replace(sc.service, model="exponential", mean_s=300.0),
        agents=tuple(replace(g, policy=policy) for g in sc.agents),
    )


def _play(scenario: Scenario, out: Path, *, seed: int, decide: bool, **options: Any) -> tuple:
    """Run to the end (a scripted trainee takes the first available choice when `decide`);
    the outputs that must not depend on options: kpis, contacts.csv bytes, decision log."""
    session = Session(scenario, seed, out_dir=out, **options)
    while not session.finished:
        session.advance(20.0)
        if decide:
            for p in session.pending_decisions():
                first = next(c["id"] for c in p["choices"] if c["available"])
                session.decide(p["contact_id"], first)
    results = session.export()
    csv = (out / "contacts.csv").read_bytes()
    return (
        json.dumps(results["kpis"], sort_keys=True),
        hashlib.sha256(csv).hexdigest(),
        json.dumps(session.decision_log),
        results["kpis"]["handled"],
    )


@pytest.mark.parametrize("policy", ["novice", "random"])
def test_logging_and_batching_options_change_no_outcome(tmp_path: Path, policy: str) -> None:
    sc = _drawn_full_day(policy)
    base = _play(sc, tmp_path / "batch", seed=5, decide=False)
    assert base[3] > 1000
    one = _play(sc, tmp_path / "one", seed=5, decide=False, batch_play=False)
    steps = _play(replace(sc, events="steps"), tmp_path / "steps", seed=5, decide=False)
    assert one[:3] == base[:3]
    assert steps[:3] == base[:3]
    events = (tmp_path / "steps" / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert sum('"type":"decision"' in line.replace(" ", "") for line in events) > 1000


def test_a_trainee_session_is_the_same_with_every_bot_decision_logged(tmp_path: Path) -> None:
    sc = load_scenario("practice")
    base = _play(sc, tmp_path / "contacts", seed=3, decide=True)
    steps = _play(replace(sc, events="steps"), tmp_path / "steps", seed=3, decide=True)
    assert json.loads(base[2])  # the trainee decided
    assert steps[:3] == base[:3]
    alone = _play(sc, tmp_path / "one", seed=3, decide=True, batch_play=False)
    assert alone[:3] == base[:3]
