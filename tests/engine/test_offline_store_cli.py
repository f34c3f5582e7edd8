"""Offline play (shared contact logic), the run store and `shapan run`."""

from __future__ import annotations

import json
import statistics

import pytest

from journeys.library import load_shipped
from sandbox.cli import main
from sandbox.engine.offline import play_journey, predict_records
from sandbox.store import RunStore, StoreError


def test_play_journey_is_deterministic_and_complete() -> None:
    journey = load_shipped("package_downgrade_refund")
    a = play_journey(journey, "competent", 12)
    b = play_journey(journey, "competent", 12)
    assert a == b
    assert a["journey_id"] == journey.id and a["outcome"] and a["handle_s"] > 0
    assert a["wait_s"] == 0.0 and "csat_mean" not in a
    from customer_models.features import RAW_FIELDS

    assert set(RAW_FIELDS) <= set(a)
    [p] = predict_records([dict(a)])
    assert 1.0 <= p["csat_mean"] <= 5.0 and 0.0 <= p["churn"] <= 1.0


def test_policies_are_measurably_distinct_offline() -> None:
    journey = load_shipped("package_downgrade_refund")
    means = {
        policy: statistics.mean(play_journey(journey, policy, s)["score"] for s in range(60))
        for policy in ("random", "expert")
    }
    assert means["expert"] > means["random"]


def test_play_journey_rejects_unknown_policy() -> None:
    with pytest.raises(ValueError, match="unknown policy"):
        play_journey(load_shipped("privacy_trap"), "genius", 1)


def test_store_round_trip(tmp_path) -> None:
    store = RunStore(tmp_path / "runs.db")
    doc = {"seed": 3, "scenario": {"name": "x", "hash": "abc"}, "journeys": {"j": "h"},
           "model_version": "m1", "kpis": {"contacts": 10, "fcr": 0.7}}  # fmt: skip
    run_id = store.record(doc)
    assert store.results(run_id) == doc
    [row] = store.runs()
    assert row["id"] == run_id and row["kpis"]["fcr"] == 0.7 and row["scenario"] == "x"
    store.close()
    (tmp_path / "junk.db").write_text("not a database at all, clearly" * 10)
    with pytest.raises(StoreError):
        RunStore(tmp_path / "junk.db")


def test_shapan_run_json_exports_and_records(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    code = main(["run", "--scenario", "erlang", "--hours", "0.5", "--seed", "4", "--out", str(out),
                 "--db", str(tmp_path / "s.db"), "--no-report", "--json"])  # fmt: skip
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "shapan.results/1" and doc["seed"] == 4
    assert doc["scenario"]["overrides"] == {"hours": 0.5}
    assert (out / "results.json").exists() and (out / "contacts.csv").exists()
    lines = (out / "events.jsonl").read_text().splitlines()
    assert lines and all(json.loads(line)["type"] for line in lines)
    rows = (out / "contacts.csv").read_text().splitlines()
    assert len(rows) == 1 + doc["kpis"]["contacts"]
    assert RunStore(tmp_path / "s.db").runs()[0]["seed"] == 4


def test_shapan_run_bad_scenario_is_a_clear_error(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "scenario: bad\ntitle: x\nduration: 1h\nchannels:\n  phone: {arrivals_per_hour: -3}\n"
    )
    code = main(["run", "--scenario", str(bad), "--no-db", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{bad}:5:" in err and "error SC016" in err and "Traceback" not in err


def test_record_counts_every_risk_and_behaviour() -> None:
    """The record's risk_<type> and beh_<tag> counts are exactly what the run did."""
    from collections import Counter

    from sandbox.engine.contact import ContactPlay
    from sandbox.engine.offline import offline_persona
    from sandbox.scoring import contact_risk_points

    journey = load_shipped("privacy_trap")
    import random as _random

    from journeys.policies import choose

    seen_risky = False
    for seed in range(40):
        play = ContactPlay(journey, offline_persona(journey, seed), contact_id="x", seed=seed,
                           channel="phone")  # fmt: skip
        play.begin()
        rng = _random.Random(seed)
        while not play.finished and play.choices():
            play.act(choose("random", play.run, rng))
        rec = play.record()
        risks = Counter(play.run.risks)
        assert {r: rec[f"risk_{r}"] for r in risks} == dict(risks)
        assert rec["risk_points"] == contact_risk_points(dict(risks))
        assert sum(rec[k] for k in rec if k.startswith("beh_")) == sum(play.behaviours.values())
        seen_risky = seen_risky or bool(risks)
    assert seen_risky
