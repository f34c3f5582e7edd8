"""The contact centre's behaviour: determinism, priority, patience, shifts, concurrency."""

from __future__ import annotations

import json
import statistics

import numpy as np
import pytest

from sandbox.engine.arrivals import day_factor, interval_batches
from sandbox.scenario import load_scenario
from sandbox.session import Session
from tests.engine.conftest import scenario_text


def _records(session: Session) -> list[dict]:
    seen: list[dict] = []
    session.recorder.sinks.append(seen.append)
    session.run_to_end()
    return seen


def test_same_seed_same_results_other_seed_differs() -> None:
    erlang = load_scenario("erlang").with_overrides(hours=1)
    a = Session(erlang, 5)
    a.run_to_end()
    b = Session(erlang, 5)
    b.run_to_end()
    c = Session(erlang, 6)
    c.run_to_end()
    ra, rb, rc = (json.dumps(s.results(), sort_keys=True) for s in (a, b, c))
    assert ra == rb
    assert ra != rc


def test_every_contact_is_accounted_for() -> None:
    s = Session(load_scenario("erlang").with_overrides(hours=2, agents=8), 2)
    records = _records(s)
    k = s.results()["kpis"]
    assert k["contacts"] == k["handled"] + k["abandoned"] == len(records)
    assert k["abandoned"] > 0 and k["handled"] > 0
    abandoned = [r for r in records if r["abandoned"]]
    assert all(r["answered_at"] is None for r in abandoned)
    handled = [r for r in records if not r["abandoned"]]
    assert all(r["ended_at"] >= r["answered_at"] >= r["arrived_at"] for r in handled)
    assert all(1.0 <= r["csat_mean"] <= 5.0 and 0.0 <= r["churn"] <= 1.0 for r in handled)


def test_erlang_abandonment_is_near_theory() -> None:
    """Sanity check only (C2's test checks confidence intervals): M/M/11+M, a = 10."""
    s = Session(load_scenario("erlang").with_overrides(hours=24), 9)
    s.run_to_end()
    k = s.results()["kpis"]
    assert abs(k["abandonment_rate"] - 0.0942) < 0.03
    assert abs(k["aht_s"] - 180.0) < 15.0


def test_vip_priority_waits_less(write_scenario) -> None:
    text = scenario_text(
        channels="channels:\n  phone: {arrivals_per_hour: 40, patience: none}\n",
        agents="agents:\n  - {id: bot, count: 1, policy: expert}\n"
        "personas:\n  segment: {vip: 0.3, mass: 0.7}\nrouting:\n  priority: {vip: 1}\n",
    )
    s = Session(load_scenario(write_scenario(text)).with_overrides(hours=3), 4)
    records = [r for r in _records(s) if not r["abandoned"]]
    vip = [r["wait_s"] for r in records if r["segment"] == "vip"]
    mass = [r["wait_s"] for r in records if r["segment"] == "mass"]
    assert len(vip) > 10 and len(mass) > 10
    assert statistics.mean(vip) < 0.5 * statistics.mean(mass)


def test_chat_concurrency_and_shifts(write_scenario) -> None:
    text = scenario_text(
        channels="channels:\n  chat: {arrivals_per_hour: 90, patience: none}\n",
        agents="agents:\n"
        "  - {id: early, count: 1, policy: expert, chat_concurrency: 3, shift: {start: 0m, end: 30m}}\n"
        "  - {id: late, count: 1, policy: expert, chat_concurrency: 3, shift: {start: 30m, end: 1h}}\n",
    )
    s = Session(load_scenario(write_scenario(text)), 8)
    most = 0
    held_at_30: set[str] = set()
    while s.now < 3600 and not s.finished:
        s.advance(20.0)
        agents = {a["agent_id"]: a for a in s.snapshot()["agents"]}
        most = max(most, *(len(a["contacts"]) for a in agents.values()))
        if 31 * 60 < s.now < 59 * 60:
            early = agents["early-001"]
            assert early["status"] in ("off_shift", "busy")
            if early["status"] == "busy":  # only finishing what it had at 30 min
                assert early["contacts"] and all(c in held_at_30 for c in early["contacts"])
        if abs(s.now - 1800) < 1e-6:
            held_at_30 = set(agents["early-001"]["contacts"])
    assert most == 3  # several chats at once, never more than the setting
    records = _records(s)
    early_answers = [r["answered_at"] for r in records if r.get("agent_id") == "early-001"]
    late_answers = [r["answered_at"] for r in records if r.get("agent_id") == "late-001"]
    assert early_answers and max(early_answers) <= 1800.0
    assert late_answers and min(late_answers) >= 1800.0


def test_arrivals_follow_rate_and_profile() -> None:
    rng = np.random.default_rng(1)
    batches = list(
        interval_batches(
            "phone",
            per_hour=600,
            profile=(1.0, 3.0),
            interval_s=3600,
            cv=0.0,
            horizon_s=200 * 7200,
            rng=rng,
        )
    )
    low = np.array([len(b.times) for b in batches[0::2]])
    high = np.array([len(b.times) for b in batches[1::2]])
    assert (
        abs(low.mean() - 300) < 10 and abs(high.mean() - 900) < 15
    )  # profile normalised to mean 1
    assert abs(low.var() / low.mean() - 1.0) < 0.3  # Poisson without a day factor
    for b in batches[:4]:
        assert np.all(np.diff(b.times) >= 0)
    factors = [day_factor(rng, 0.2) for _ in range(4000)]
    assert abs(np.mean(factors) - 1.0) < 0.02 and abs(np.std(factors) - 0.2) < 0.02


def test_human_seat_waits_and_customer_may_hang_up() -> None:
    """Nobody decides: the trainee's customer waits on the line and eventually hangs up."""
    s = Session("practice", 3)
    seen_pending = False
    while not s.finished and s.now < 1800:
        s.advance(30.0)
        seen_pending = seen_pending or bool(s.pending_decisions())
    assert seen_pending
    while not s.finished:
        s.advance(300.0)
    seat = s.results()["contacts"]
    assert seat and all(c["outcome"] in ("customer_hung_up", "unresolved") for c in seat)
    assert any(c["hung_up"] for c in seat)


@pytest.mark.parametrize("name", ["practice", "full-day"])
def test_shipped_scenarios_start(name: str) -> None:
    s = Session(name, 1, human_policy="expert")
    s.advance(600.0)
    snap = s.snapshot()
    json.dumps(snap)
    assert snap["kpis"]["contacts"] > 0
