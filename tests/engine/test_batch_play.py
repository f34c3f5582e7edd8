"""Batch play (sandbox/engine/batch_play.py) against playing each contact on its own.

With drawn handle times the engine plays bot contacts in batches. The expert bot draws no
random numbers of its own, so batch play must reproduce the one-at-a-time records exactly
(same pre-drawn reaction numbers, same branch streams); bots that draw get their own
per-contact uniforms, so their outcomes must agree in distribution.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from sandbox.scenario import load_scenario
from sandbox.session import Session

#: Record fields whose values depend on the batch's matrix sums in their last bits.
_PREDICTED = {"csat_probs", "csat_mean", "csat_top_box", "churn", "cross_sell_p"}


def _drawn_full_day(hours: float, policy: str):
    sc = load_scenario("full-day").with_overrides(hours=hours)
    return replace(
        sc,
        seats=(),
        service=replace(sc.service, model="exponential", mean_s=300.0),
        agents=tuple(replace(g, policy=policy) for g in sc.agents),
    )


def _records(scenario, *, batch_play: bool, seed: int = 4) -> dict[str, dict]:
    session = Session(scenario, seed=seed, batch_play=batch_play)
    assert (session.center.batch_play is not None) is batch_play
    out: list[dict] = []
    session.recorder.sinks.append(out.append)
    session.run_to_end()
    return {r["contact_id"]: r for r in out if not r.get("abandoned")}


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is None and (b is None or b != b)
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def test_expert_batch_play_reproduces_one_at_a_time_records_exactly() -> None:
    sc = _drawn_full_day(0.75, "expert")
    alone = _records(sc, batch_play=False)
    batched = _records(sc, batch_play=True)
    assert alone.keys() == batched.keys() and len(alone) > 1000
    journeys = {r["journey_id"] for r in alone.values()}
    assert len(journeys) >= 8  # the library's journeys: routes, triggers, hang-ups, sales
    assert {"customer_hung_up", "resolved", "sale"} <= {r["outcome"] for r in alone.values()}
    for cid, a in alone.items():
        b = batched[cid]
        for key, value in a.items():
            if key in _PREDICTED or key in ("transcript", "decisions"):
                continue
            if key == "rubric":
                assert all(_same(value[d], b["rubric"][d]) for d in value), (cid, key)
                continue
            assert _same(value, b[key]), (cid, key, value, b[key])
        assert math.isclose(a["csat_mean"], b["csat_mean"], rel_tol=1e-9)


@pytest.mark.parametrize("policy", ["competent", "novice"])
def test_drawing_bots_agree_in_distribution(policy: str) -> None:
    sc = _drawn_full_day(1.0, policy)
    alone = _records(sc, batch_play=False, seed=11)
    batched = _records(sc, batch_play=True, seed=11)
    n = len(alone)
    assert n == len(batched) > 2000
    for outcome in {r["outcome"] for r in alone.values()}:
        p = sum(r["outcome"] == outcome for r in alone.values()) / n
        q = sum(r["outcome"] == outcome for r in batched.values()) / n
        sd = math.sqrt(2 * max(p * (1 - p), 1e-4) / n)
        assert abs(p - q) < 5 * sd, (outcome, p, q)
    mean = lambda rs, k: sum(r[k] for r in rs.values()) / n  # noqa: E731
    for key in ("rubric_score", "anger_final", "csat_mean"):
        assert abs(mean(alone, key) - mean(batched, key)) < 0.05 * abs(mean(alone, key)), key


def test_batch_play_changes_nothing_in_the_queue() -> None:
    sc = load_scenario("erlang").with_overrides(hours=4)
    runs = []
    for batch_play in (False, True):
        s = Session(sc, seed=9, batch_play=batch_play)
        s.run_to_end()
        runs.append(s.results()["kpis"])
    queue = ("contacts", "handled", "abandoned", "asa_s", "service_level", "occupancy", "aht_s")
    # handle times are drawn in numpy instead of `math`: equal to the last bits or so
    for k in queue:
        assert math.isclose(runs[0][k], runs[1][k], rel_tol=1e-9), k
    assert math.isclose(runs[0]["csat_mean"], runs[1]["csat_mean"], rel_tol=1e-9)


def test_sessions_with_trainee_seats_or_journey_service_play_one_at_a_time() -> None:
    assert Session("practice", seed=1).center.batch_play is None
    assert Session("full-day", seed=1).center.batch_play is None
    assert Session("erlang", seed=1).center.batch_play is not None


def test_results_in_mid_session_count_the_contacts_waiting_to_be_played() -> None:
    """Results asked for mid-session include finished contacts still waiting for their
    batch, and asking changes nothing that follows."""
    sc = load_scenario("erlang").with_overrides(hours=6)
    looked = Session(sc, seed=3)
    looked.advance(3 * 3600)
    assert looked.recorder.deferred  # finished contacts still waiting for their batch
    doc = looked.results()
    mid, counts = doc["kpis"], looked.center.counts
    assert mid["contacts"] == counts["arrived"] and mid["handled"] == counts["answered"]
    assert sum(doc["outcomes"].values()) == counts["finished"] + counts["abandoned"]
    assert mid["csat_mean"] is not None and 1.0 <= mid["csat_mean"] <= 5.0
    looked.run_to_end()

    plain = Session(sc, seed=3)
    plain.run_to_end()
    assert looked.results()["kpis"] == plain.results()["kpis"]
