"""The calibration table passes on the shipped models; `shapan model calibrate` reports it."""

from __future__ import annotations

import json

import pytest

from customer_models.calibration import compute_rows
from sandbox.cli import main

REQUIRED = {"id", "relationship", "target", "measured", "tolerance", "passed"}


@pytest.fixture(scope="module")
def rows():
    return compute_rows()


def test_every_customer_model_row_passes(rows):
    assert [r["id"] for r in rows] == [1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15]
    failing = [(r["id"], r["measured"]) for r in rows if not r["passed"]]
    assert failing == []
    for r in rows:
        assert set(r) >= REQUIRED


def test_rows_are_deterministic(rows):
    assert compute_rows() == rows


def test_cli_calibrate_json_and_exit_code(capsys):
    code = main(["model", "calibrate", "--json"])
    table = json.loads(capsys.readouterr().out)
    assert isinstance(table, list)
    assert sorted(r["id"] for r in table) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15]
    for r in table:
        assert set(r) >= REQUIRED
        assert isinstance(r["passed"], bool)
    row2 = next(r for r in table if r["id"] == 2)
    assert row2["value"] is not None, row2["measured"]
    assert code == (1 if any(not r["passed"] for r in table) else 0)


def test_cli_calibrate_text(capsys):
    main(["model", "calibrate"])
    out = capsys.readouterr().out
    assert "校准对照表" in out and "row 15" in out and "rows pass" in out
