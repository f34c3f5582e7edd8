"""The per-journey breakdown of a run agrees with its own contacts.csv, journey by journey."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from sandbox.cli import main


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "1.0")


@pytest.mark.parametrize("scenario,seed", [("practice", 3), ("erlang", 11)])
def test_by_journey_matches_the_exported_contacts(tmp_path: Path, scenario: str, seed: int) -> None:
    out = tmp_path / "run"
    args = ["run", "--scenario", scenario, "--seed", str(seed), "--out", str(out), "--no-db"]
    if scenario == "erlang":
        args += ["--hours", "0.5"]
    assert main(args) == 0
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    with (out / "contacts.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(line for line in fh if not line.startswith("#"))
                if not _truthy(r["abandoned"])]  # fmt: skip
    by_journey = doc["by_journey"]
    journeys = {r["journey_id"] for r in rows}
    assert set(by_journey) == journeys
    assert sum(j["finished"] for j in by_journey.values()) == len(rows)
    for jid, fig in by_journey.items():
        mine = [r for r in rows if r["journey_id"] == jid]
        assert fig["finished"] == len(mine)
        assert fig["risk_points"] == sum(int(float(r["risk_points"] or 0)) for r in mine)
        csat = [float(r["csat_mean"]) for r in mine if r["csat_mean"]]
        if csat:
            assert math.isclose(fig["csat_mean"], sum(csat) / len(csat), rel_tol=1e-6)
        handle = [float(r["handle_s"]) for r in mine]
        assert math.isclose(fig["aht_s"], sum(handle) / len(handle), rel_tol=1e-6)
        # named for people: both languages, never the id alone
        assert fig["title"]["zh-CN"] and fig["title"]["en"]
    report = (out / "report.html").read_text(encoding="utf-8")
    first = next(iter(by_journey.values()))
    assert "Per-journey breakdown" in report or "旅程明细" in report
    assert (
        first["title"]["en"].split(":")[0][:20] in report or first["title"]["zh-CN"][:6] in report
    )
