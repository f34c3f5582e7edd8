"""`shapan run --scenario full-day --json` on the default seed looks like a real centre
(issue 15; the README's KPI table shows the same figures).

The bands: service level (docs/scoring.md, abandons within the threshold left out) 70-90%,
abandonment 3-8%, abandoners' mean wait 37-72 s (calibration row 13, an outcome here: patience
is an input), occupancy 75-90%, AHT (talk + hold + after-call work) 180-420 s, cross-sell conversion
(accepted / offered, calibration row 15) 1-40%. Runs the whole day (~40 s)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.cli import main


def test_full_day_lands_in_the_bands_of_a_real_centre(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    args = ["run", "--scenario", "full-day", "--json", "--no-db", "--no-report", "--out", str(out)]
    assert main(args) == 0
    kpis = json.loads(capsys.readouterr().out)["kpis"]
    assert 0.70 <= kpis["service_level"] <= 0.90
    assert 0.03 <= kpis["abandonment_rate"] <= 0.08
    assert 37.0 <= kpis["abandon_wait_s"] <= 72.0
    assert 0.75 <= kpis["occupancy"] <= 0.90
    assert 180.0 <= kpis["aht_s"] <= 420.0
    assert 0.01 <= kpis["cross_sell_rate"] <= 0.40 and kpis["cross_sell_offered"] > 1000
    # mid-call hang-ups are their own KPI, not hidden in abandonment
    assert 0.0 < kpis["hangup_rate"] < 0.15
