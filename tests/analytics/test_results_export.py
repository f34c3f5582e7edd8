"""results.json schema, streamed CSV / JSON-lines writers, atomic finalisation."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import numpy as np
import pytest
from analytics_records import finish, make_record

from sandbox.columns import columns_from_records
from sandbox.kpis import KPI_KEYS, KpiAccumulator
from sandbox.results import (
    CSV_COLUMNS,
    SCHEMA,
    ContactsCsvWriter,
    EventLog,
    build_results,
    dumps,
    kpi_vs_target,
    load_results,
    validate_results,
    write_exports,
)


def _session(n: int = 600, seed: int = 4) -> tuple[KpiAccumulator, list[dict]]:
    rng = random.Random(seed)
    acc = KpiAccumulator(seed=seed, sample_size=100)
    records = []
    for i in range(n):
        rec = make_record(i, rng, human=(i % 200 == 5))
        acc.arrival(rec["channel"], t=rec["arrived_at"])
        acc.answered(rec["wait_s"], rec["channel"], t=rec["arrived_at"])
        acc.staffed(rec["agent_id"], 400.0)
        acc.agent_busy(rec["agent_id"], rec["handle_s"])
        finish(acc, rec)
        records.append(rec)
    return acc, records


def _results(acc: KpiAccumulator, **kw) -> dict:
    args = {
        "seed": 7,
        "scenario": {"name": "practice", "hash": "a" * 64, "title": {"zh-CN": "练习", "en": "P"}},
        "journeys": {"billing_complaint": "b" * 64, "plan_inquiry": "c" * 64},
        "model_version": "outcome-1",
        "duration_s": 1800.0,
        "targets": {"service_level": 0.8, "asa_s": 30.0, "csat_mean": 3.0},
        "decision_log": [(12.5, "c000005", "empathize")],
    }
    args.update(kw)
    return build_results(acc, **args)


def test_results_document_is_complete_and_valid() -> None:
    acc, records = _session()
    doc = _results(acc)
    assert validate_results(doc) == []
    assert doc["schema"] == SCHEMA and tuple(doc["kpis"]) == KPI_KEYS
    assert doc["journeys"] == {"billing_complaint": "b" * 64, "plan_inquiry": "c" * 64}
    assert doc["decision_log"] == [[12.5, "c000005", "empathize"]]
    humans = [r for r in records if r["seat"]]
    assert [c["contact_id"] for c in doc["contacts"]] == [r["contact_id"] for r in humans]
    assert doc["contacts"][0]["decisions"][0]["knowledge"][0]["id"] == "kb.empathy.acknowledge"
    timeline_ids = {e["contact_id"] for e in doc["timeline"]}
    assert {r["contact_id"] for r in humans} <= timeline_ids
    assert len(doc["timeline"]) <= 100 + len(humans)
    assert sum(doc["risk_points_by_type"].values()) == doc["kpis"]["risk_points"]
    json.loads(dumps(doc))  # strict JSON (no NaN)


def test_results_are_deterministic() -> None:
    a = dumps(_results(_session()[0]))
    b = dumps(_results(_session()[0]))
    assert a == b


def test_kpi_vs_target_knows_direction() -> None:
    vs = kpi_vs_target(
        {"service_level": 0.75, "asa_s": 25.0, "risk_points": 12, "fcr": None},
        {"service_level": 0.8, "asa_s": 30.0, "risk_points": 10, "fcr": 0.7},
    )
    assert vs["service_level"]["met"] is False
    assert vs["service_level"]["delta"] == pytest.approx(-0.05)
    assert vs["asa_s"] == {"value": 25.0, "target": 30.0, "delta": -5.0, "better": "lower",
                           "met": True}  # fmt: skip
    assert vs["risk_points"]["met"] is False
    assert vs["fcr"]["met"] is None and vs["fcr"]["value"] is None


def test_numpy_values_and_bad_extra() -> None:
    acc, _ = _session(50)
    doc = _results(acc, extra={"run": {"x": np.float64(1.5), "v": np.arange(3), "nan": np.nan}})
    assert doc["run"] == {"x": 1.5, "v": [0, 1, 2], "nan": None}
    with pytest.raises(ValueError, match="overwrite"):
        _results(acc, extra={"kpis": {}})


def test_contacts_csv_streams_and_finalises_atomically(tmp_path: Path) -> None:
    target = tmp_path / "contacts.csv"
    target.write_text("previous export\n")
    _, records = _session(300)
    writer = ContactsCsvWriter(target)
    writer.write_columns(columns_from_records(records))
    assert target.read_text() == "previous export\n"  # not replaced until close
    assert writer.tmp_path.exists() and writer.tmp_path.parent == tmp_path
    writer.close()
    writer.close()  # idempotent
    assert not writer.tmp_path.exists()
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert len(rows) == 300 and tuple(rows[0]) == CSV_COLUMNS
    assert rows[0]["contact_id"] == "c000000"
    assert float(rows[2]["rubric_sales"]) == pytest.approx(records[2]["rubric"]["sales"], abs=1e-6)
    assert rows[0]["rubric_sales"] == (
        "" if records[0]["rubric"]["sales"] is None else rows[0]["rubric_sales"]
    )
    assert float(rows[3]["csat_p5"]) == pytest.approx(records[3]["csat_probs"][4], abs=1e-6)
    assert rows[0]["seat"] == "" and rows[5]["seat"] == "seat1"


def test_aborted_writer_keeps_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "events.jsonl"
    target.write_text('{"old": true}\n')
    with pytest.raises(RuntimeError), EventLog(target) as log:
        log.write({"t": 1.0, "kind": "arrival"})
        raise RuntimeError("crash")
    assert target.read_text() == '{"old": true}\n'
    assert list(tmp_path.iterdir()) == [target]


def test_event_log_json_lines(tmp_path: Path) -> None:
    with EventLog(tmp_path / "events.jsonl") as log:
        for i in range(600):
            log.write({"t": float(i), "kind": "answered", "contact_id": f"c{i}", "text": "你好"})
    lines = (tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 600 and json.loads(lines[42])["contact_id"] == "c42"
    assert json.loads(lines[0])["text"] == "你好"


def test_write_exports_and_load_back(tmp_path: Path) -> None:
    acc, _ = _session(200)
    doc = _results(acc)
    paths = write_exports(doc, tmp_path, lang="en")
    assert paths["results"] == tmp_path / "results.json"
    assert load_results(paths["results"]) == doc
    assert (tmp_path / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(ValueError, match="missing field 'kpis'"):
        write_exports({k: v for k, v in doc.items() if k != "kpis"}, tmp_path / "x")
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "other"}')
    with pytest.raises(ValueError, match=r"not a shapan\.results/1"):
        load_results(bad)
    bad.write_text("{\n  oops")
    with pytest.raises(ValueError, match=r"bad.json:2:\d+"):
        load_results(bad)
