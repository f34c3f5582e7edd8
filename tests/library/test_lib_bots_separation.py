"""The bots are four distinct skill levels on every shipped journey (issue 15).

What `shapan journey bots PATH --runs 500` reports, asserted: over 500 runs per policy, expert >
competent > novice > random on mean journey score, mean predicted CSAT and resolution rate,
and each policy's bootstrap 95% interval lies wholly above its lower neighbour's on all three.
`benchmarks/bots_separation.py` prints the same figures as a table (docs/bots.md)."""

from __future__ import annotations

from itertools import pairwise

import pytest

from journeys.library import shipped_journey_paths
from sandbox.workbench.bots import RANKING, SEPARATED, run_bots

RUNS = 500
PATHS = shipped_journey_paths()


@pytest.fixture(scope="module")
def reports():
    """journey id -> the bots report at 500 runs, seed 0 (the CLI's default seed)."""
    out = {}
    for path in PATHS:
        report = run_bots(path, runs=RUNS, seed=0, progress=False)
        out[path.stem] = report
    return out


@pytest.mark.parametrize("journey_id", [p.stem for p in PATHS])
@pytest.mark.parametrize("measure", SEPARATED)
def test_each_policy_is_apart_from_the_next_with_non_overlapping_intervals(
    reports, journey_id: str, measure: str
) -> None:
    report = reports[journey_id]
    by = {s.policy: s for s in report.policies}
    assert all(by[p].runs == RUNS for p in RANKING)
    for better, worse in pairwise(RANKING):
        hi = by[better].intervals[measure]
        lo = by[worse].intervals[measure]
        assert hi is not None and lo is not None
        assert hi[0] > lo[1], (
            f"{journey_id}: {measure} of {better} {hi} overlaps {worse} {lo} "
            f"(means {getattr(by[better], measure)} vs {getattr(by[worse], measure)})"
        )
    pairs = report.separation[measure]
    assert [(p["better"], p["worse"]) for p in pairs] == list(pairwise(RANKING))
    assert all(p["disjoint"] for p in pairs)


def test_the_report_says_so_in_json(reports) -> None:
    for journey_id, report in reports.items():
        doc = report.to_json()
        assert doc["separation"]["holds"] is True, journey_id
        assert doc["verdict"]["status"] == "holds", journey_id
        for policy in doc["policies"]:
            assert set(SEPARATED) <= set(policy["ci95"]), journey_id
