"""The exports of a real session (C1's engine feeding our accumulators and writers)."""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path

import pytest

from sandbox.kpis import KPI_KEYS
from sandbox.results import CSV_COLUMNS, SCHEMA, load_results, validate_results


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    from sandbox.session import Session

    out = tmp_path_factory.mktemp("practice")
    session = Session("practice", seed=5, human_policy="competent", out_dir=out, lang="en")
    session.run_to_end()
    return out, session.export()


def test_all_four_files_are_written_and_consistent(exported: tuple[Path, dict]) -> None:
    out, results = exported
    assert sorted(p.name for p in out.iterdir()) == [
        "contacts.csv",
        "events.jsonl",
        "report.html",
        "results.json",
    ]
    doc = load_results(out / "results.json")
    assert doc == json.loads(json.dumps(results)) and validate_results(doc) == []
    assert doc["schema"] == SCHEMA and tuple(doc["kpis"]) == KPI_KEYS
    rows = list(csv.DictReader((out / "contacts.csv").open(encoding="utf-8")))
    assert tuple(rows[0]) == CSV_COLUMNS
    finished = [r for r in rows if r["abandoned"] == "0"]
    kpis = doc["kpis"]
    assert len(finished) == doc["cross_sell_funnel"]["contacts"]
    assert sum(int(r["abandoned"]) for r in rows) == kpis["abandoned"]
    assert sum(int(r["risk_points"] or 0) for r in finished) == kpis["risk_points"]
    aht = sum(float(r["handle_s"]) for r in finished) / len(finished)
    assert kpis["aht_s"] == pytest.approx(aht, rel=1e-4)
    events = (out / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert events and all("t" in json.loads(e) for e in events[:50])


def test_human_seat_contacts_have_the_drill_down(exported: tuple[Path, dict]) -> None:
    out, results = exported
    assert results["contacts"], "the practice scenario has a human seat"
    contact = results["contacts"][0]
    assert contact["transcript"] and contact["decisions"]
    decision = contact["decisions"][0]
    assert {"t", "choice_id", "feedback", "knowledge", "csat_after"} <= set(decision)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert contact["contact_id"] in report
    assert html.escape(decision["feedback"]["en"][:30]) in report
    assert all(e["human"] for e in results["timeline"] if e["contact_id"] == contact["contact_id"])
