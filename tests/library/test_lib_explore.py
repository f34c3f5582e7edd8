"""The explorer proves reachability; the CLI exits 1 on an unreachable ending."""

from __future__ import annotations

import json
import shutil

from library_testutil import FIXTURES

from journeys.explore import explore
from journeys.loader import load_journey
from sandbox.cli import main


def test_finds_the_unreachable_ending_and_enumerates_random_branches():
    report = explore(load_journey(FIXTURES / "unreachable_ending.yaml"))
    assert report.endings_reached == {"end_ok": "resolved", "end_other": "callback_promised"}
    assert [e["node"] for e in report.endings_unreachable] == ["end_never"]
    assert report.endings_unreachable[0]["where"].endswith("unreachable_ending.yaml:28:3")
    assert not report.ok


def test_intentional_unreachable_ending_is_accepted(tmp_path):
    src = (FIXTURES / "unreachable_ending.yaml").read_text(encoding="utf-8")
    src = src.replace(
        "end_never: {stage: closing, ending: {outcome: escalated}}",
        "end_never: {stage: closing, intentional_unreachable: true, ending: {outcome: escalated}}",
    )
    p = tmp_path / "j.yaml"
    p.write_text(src, encoding="utf-8")
    report = explore(load_journey(p))
    assert report.ok and report.endings_unreachable[0]["intentional"]


def test_dead_end_found_only_from_low_initial_patience():
    report = explore(load_journey(FIXTURES / "dead_end.yaml"))
    assert [d.node_id for d in report.dead_ends] == ["stuck"]
    assert report.dead_ends[0].state["patience"] < 4
    assert report.start_states == 11  # patience 0..10 from the persona
    assert "end_ok" in report.endings_reached


def test_limit_is_reported_not_hung(shipped):
    report = explore(shipped["insurance_claim_dispute"], max_states=50)
    assert report.truncated and not report.ok


def test_cli_exit_codes_and_json(tmp_path, capsys):
    assert main(["journey", "explore", str(FIXTURES / "unreachable_ending.yaml")]) == 1
    out = capsys.readouterr().out
    assert "UNREACHABLE" in out and "end_never" in out
    assert main(["journey", "explore", "--json", str(FIXTURES / "unreachable_ending.yaml")]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False
    assert doc["journeys"][0]["endings_unreachable"][0]["node"] == "end_never"
    lib = tmp_path / "lib"
    shutil.copytree(FIXTURES.parent.parent.parent / "journeys" / "library", lib)
    assert main(["journey", "explore", str(lib / "privacy_trap.yaml")]) == 0


def test_cli_reports_a_broken_file_without_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("journey: x\nversion: 1\nnodes: {a: {ending: {outcome: nope}}}\n")
    assert main(["journey", "explore", str(bad)]) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and "Traceback" not in err
