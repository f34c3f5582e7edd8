"""Bots rank as they should on every shipped journey, and the library is balanced."""

from __future__ import annotations

import pytest
from library_testutil import play

from journeys.library import shipped_journey_paths
from journeys.policies import POLICIES
from journeys.vocabulary import RESOLVING_OUTCOMES

SEEDS = range(200)
IDS = [p.stem for p in shipped_journey_paths()]


@pytest.fixture(scope="module")
def results(shipped):
    """policy -> journey -> list of runs, 200 seeds each (same customers for every policy)."""
    return {
        pol: {jid: [play(j, pol, s) for s in SEEDS] for jid, j in shipped.items()}
        for pol in POLICIES
    }


@pytest.mark.parametrize("journey_id", IDS)
def test_expert_beats_competent_beats_novice_beats_random(results, journey_id):
    mean = {pol: sum(r.score for r in results[pol][journey_id]) / len(SEEDS) for pol in POLICIES}
    assert mean["expert"] > mean["competent"] > mean["novice"] > mean["random"], mean


def _resolution(runs) -> float:
    return sum(r.outcome in RESOLVING_OUTCOMES for r in runs) / len(runs)


def test_library_balance_matches_calibration_row_2(results):
    competent = [_resolution(runs) for runs in results["competent"].values()]
    expert = [_resolution(runs) for runs in results["expert"].values()]
    overall_competent = sum(competent) / len(competent)
    assert 0.60 <= overall_competent <= 0.80, overall_competent
    assert sum(expert) / len(expert) >= 0.80


@pytest.mark.parametrize("journey_id", IDS)
def test_expert_takes_no_risk_and_main_path_is_3_to_7_minutes(results, journey_id):
    runs = results["expert"][journey_id]
    assert sum(bool(r.risks) for r in runs) / len(runs) <= 0.05
    mean_time = sum(r.time_s for r in runs) / len(runs)
    # agent time only (the engine adds customer speaking time on top)
    assert 150 <= mean_time <= 420, mean_time


@pytest.mark.slow
def test_ranking_holds_through_the_engine_contact_logic_too():
    """The same ranking when the engine's reaction model and patience play along (what
    `shapan journey bots` reports), decided by its own sequential test: runs are added until
    every adjacent pair is separated by the paired test (a fixed 500 runs was not enough: on
    journeys where random and novice both score near zero their order flipped with the seed)."""
    from journeys.library import shipped_journey_paths as paths
    from sandbox.workbench.bots import run_bots

    for path in paths():
        report = run_bots(path, seed=0, predict=False, progress=False)
        means = {p.policy: round(p.mean_score, 2) for p in report.policies}
        assert report.verdict.status == "holds", (path.stem, report.runs, means)
