"""KpiAccumulator: definitions, breakdowns, determinism, flat memory."""

from __future__ import annotations

import random
import tracemalloc

import pytest
from analytics_records import finish, make_record

from sandbox.columns import columns_from_records
from sandbox.kpis import KPI_KEYS, KpiAccumulator


def test_empty_accumulator_has_all_keys_and_no_fake_zeros() -> None:
    k = KpiAccumulator().kpis()
    assert tuple(k) == KPI_KEYS and len(KPI_KEYS) == 17
    assert k["contacts"] == 0 and k["service_level"] is None and k["asa_s"] is None


def test_queue_kpis_definitions() -> None:
    acc = KpiAccumulator(threshold_s=20)
    for _ in range(10):
        acc.arrival("phone", t=0)
    for w in (0, 10, 20, 30, 60):  # 3 within 20 s (inclusive), 2 after
        acc.answered(w, "phone", t=0)
    acc.abandoned(5, "phone", t=0)  # short abandon: excluded from SL
    acc.abandoned(45, "phone", t=0)  # counts against SL
    k = acc.kpis()
    assert k["contacts"] == 10 and k["handled"] == 5 and k["abandoned"] == 2
    assert k["abandonment_rate"] == pytest.approx(2 / 7)
    assert k["asa_s"] == pytest.approx(24.0)
    assert k["service_level"] == pytest.approx(3 / 6)
    b = acc.breakdowns()
    assert b["channels"]["phone"]["service_level"] == pytest.approx(0.5)
    assert b["intervals"][0]["contacts"] == 10
    assert sum(b["wait_histogram"]["counts"]) == 5


def test_occupancy_is_busy_over_staffed() -> None:
    acc = KpiAccumulator()
    acc.staffed("a1", 3600)
    acc.staffed("a2", 1800)
    acc.agent_busy("a1", 2700)
    acc.agent_busy("a2", 900)
    assert acc.kpis()["occupancy"] == pytest.approx(3600 / 5400)
    agents = {a["agent_id"]: a for a in acc.breakdowns()["agents"]}
    assert agents["a1"]["occupancy"] == pytest.approx(0.75)


def test_contact_kpis_match_direct_computation() -> None:
    rng = random.Random(7)
    records = [make_record(i, rng) for i in range(500)]
    acc = KpiAccumulator()
    for r in records:
        acc.arrival(r["channel"], t=r["arrived_at"])
        acc.answered(r["wait_s"], r["channel"], t=r["arrived_at"])
        finish(acc, r)
    k = acc.kpis()
    n = len(records)
    assert k["aht_s"] == pytest.approx(sum(r["handle_s"] for r in records) / n)
    assert k["fcr"] == pytest.approx(sum(r["fcr"] for r in records) / n)
    assert k["csat_mean"] == pytest.approx(sum(r["csat_mean"] for r in records) / n)
    assert k["csat_top_box"] == pytest.approx(sum(r["csat_top_box"] for r in records) / n)
    assert k["churn_risk_mean"] == pytest.approx(sum(r["churn"] for r in records) / n)
    offered = [r for r in records if r["cross_sell_offered"]]
    assert k["cross_sell_offered"] == len(offered)
    assert k["cross_sell_rate"] == pytest.approx(
        sum(r["cross_sell_accepted"] for r in offered) / len(offered)
    )
    assert k["risk_points"] == sum(r["risk_points"] for r in records)
    b = acc.breakdowns()
    assert b["rubric"]["empathy"] == pytest.approx(sum(r["rubric"]["empathy"] for r in records) / n)
    sales = [r["rubric"]["sales"] for r in records if r["rubric"]["sales"] is not None]
    assert 0 < len(sales) < n
    assert b["rubric"]["sales"] == pytest.approx(sum(sales) / len(sales))
    by_fit = b["cross_sell_funnel"]["by_fit"]
    assert set(by_fit) <= {"low", "medium", "high"}
    assert sum(v["offered"] for v in by_fit.values()) == k["cross_sell_offered"]
    assert sum(b["csat_distribution"]["counts"]) == pytest.approx(n)
    assert sum(b["csat_distribution"]["shares"]) == pytest.approx(1.0)
    assert b["churn"]["high_risk"] == sum(r["churn"] >= 0.3 for r in records)
    assert b["cross_sell_funnel"]["contacts"] == n
    assert sum(a["finished"] for a in b["agents"]) == n
    assert len(b["agents"]) == 4
    counts = b["risk_counts_by_type"]
    assert sum(counts.values()) == sum(r[f"risk_{t}"] for r in records for t in counts)
    assert sum(b["risk_points_by_type"].values()) == k["risk_points"]
    assert sum(b["outcomes"].values()) == n


def test_abandoned_records_do_not_count_as_handled() -> None:
    acc = KpiAccumulator()
    acc.abandoned(70)
    finish(acc, {"contact_id": "x", "abandoned": 1, "wait_s": 70})
    k = acc.kpis()
    assert k["aht_s"] is None and k["abandoned"] == 1
    assert acc.breakdowns()["outcomes"] == {"abandoned": 1}
    assert acc.timeline_sample() == [] and acc.breakdowns()["agents"] == []
    # in a batch with answered contacts, the abandoned rows count in the outcome mix only
    rec = make_record(1, random.Random(1))
    mixed, alone = KpiAccumulator(), KpiAccumulator()
    finish(mixed, {"contact_id": "y", "abandoned": 1, "outcome": "abandoned"}, rec)
    finish(alone, rec)
    assert mixed.kpis() == alone.kpis()
    assert mixed.breakdowns()["outcomes"] == {**alone.breakdowns()["outcomes"], "abandoned": 1}


def test_a_records_nested_fields_reach_the_kpis_through_its_batch() -> None:
    """The engine's record nests the rubric and the CSAT distribution; its column batch holds
    them flat (`rubric_<dim>`, an (n, 5) `csat_probs`), and that is what the KPIs read."""
    rec = make_record(2, random.Random(1))
    cols = columns_from_records([rec])
    assert "rubric" not in cols and cols["csat_probs"].shape == (1, 5)
    acc = KpiAccumulator()
    acc.contacts_finished(cols)
    b = acc.breakdowns()
    assert b["rubric"] == rec["rubric"]
    assert b["csat_distribution"]["counts"] == [round(p, 6) for p in rec["csat_probs"]]


def test_human_records_kept_and_sample_bounded_and_seeded() -> None:
    def run(seed: int) -> KpiAccumulator:
        rng = random.Random(3)
        acc = KpiAccumulator(sample_size=50, seed=seed)
        records = [make_record(i, rng, human=(i % 500 == 0)) for i in range(2000)]
        for i in range(0, 2000, 250):  # batches of several sizes: the same sample
            finish(acc, *records[i : i + (1 if i % 500 else 250)])
            finish(acc, *records[i + (1 if i % 500 else 250) : i + 250])
        return acc

    a, b, c = run(1), run(1), run(2)
    assert len(a.timeline_sample()) == 50
    assert a.timeline_sample() == b.timeline_sample() != c.timeline_sample()
    assert [r["contact_id"] for r in a.human_records()] == [
        "c000000",
        "c000500",
        "c001000",
        "c001500",
    ]
    seat = next(x for x in a.breakdowns()["agents"] if x["agent_id"] == "seat1")
    assert seat["human"] and seat["policy"] == "human" and seat["finished"] == 4


def test_memory_stays_flat_as_contacts_grow() -> None:
    rng = random.Random(5)
    records = [make_record(i, rng) for i in range(400)]
    for r in records:  # keep arrival times in a bounded window: intervals are per-session
        r["arrived_at"] = r["arrived_at"] % 3600

    batches = [columns_from_records(records[i : i + 50]) for i in range(0, len(records), 50)]

    def grow(acc: KpiAccumulator, n: int) -> int:
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(n):
            r = records[i % len(records)]
            acc.arrival(r["channel"], t=r["arrived_at"])
            acc.answered(r["wait_s"], r["channel"], t=r["arrived_at"])
            if i % 50 == 49:
                acc.contacts_finished(batches[i % len(records) // 50])
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        return after - before

    acc = KpiAccumulator(sample_size=100)
    grow(acc, 2000)  # warm up: reservoir full, agents and intervals known
    # the reservoir replaces entries allocated before tracing began (their frees are not
    # traced), so allow its bounded size; anything kept per contact would be >= 8 B x 15,000
    assert grow(acc, 15000) < 60_000
