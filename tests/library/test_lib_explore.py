"""The explorer proves reachability; the CLI exits 1 on an unreachable ending."""

from __future__ import annotations

import json
import shutil
import time

from library_testutil import FIXTURES

from journeys.explore import explore
from journeys.loader import load_journey
from sandbox.cli import main
from sandbox.workbench.cli_handlers import EXIT_INCONCLUSIVE


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
    # patience 0..10 from the persona, explored by the classes `patience >= 4` and the -3
    # effect tell apart: 0..3, 4..6, 7..9, 10
    assert report.start_states == 4
    assert "end_ok" in report.endings_reached


def test_limit_is_reported_not_hung(shipped):
    report = explore(shipped["insurance_claim_dispute"], max_states=50)
    assert report.truncated and not report.ok and report.verdict == "inconclusive"


def test_persona_conditions_and_wide_int_ranges_explore_to_a_verdict_in_seconds():
    """prior_contacts 0..100000 from the persona, data_mb 0..100000 moved by +500/-250,
    persona('churn_risk'), tenure and value conditions, random routes: classes, not values."""
    t0 = time.perf_counter()
    report = explore(load_journey(FIXTURES / "plan_upgrade_wide.yaml"))
    elapsed = time.perf_counter() - t0
    assert report.verdict == "ok", report.problems
    assert report.endings_reached == {"end_sale": "sale", "end_lost": "unresolved"}
    assert elapsed < 10, f"explore took {elapsed:.1f} s"
    assert report.choices_never_offered == ["needs.give_up"]


def test_limit_is_inconclusive_never_unreachable_and_names_the_multipliers(capsys):
    path = FIXTURES / "plan_upgrade_wide.yaml"
    report = explore(load_journey(path), max_states=2000)
    assert report.verdict == "inconclusive" and report.problems == []
    assert report.to_json()["endings_unreachable"] == []
    first = report.multipliers[0]
    assert first["variable"] == "state 'data_mb'" and first["classes"] > 100
    assert any(w.startswith(f"{path}:43:") and "data_mb >= 2000" in w for w in first["read_at"])
    named = {m["variable"]: m for m in report.multipliers}
    churn = named["persona('churn_risk')"]
    assert any(f"{path}:17:" in w for w in churn["read_at"]), churn
    assert main(["journey", "explore", "--max-states", "2000", str(path)]) == EXIT_INCONCLUSIVE
    out = capsys.readouterr().out
    assert "UNREACHABLE" not in out
    assert "INCONCLUSIVE" in out and "states explored, limit reached" in out
    assert "state 'data_mb'" in out and f"read at {path}:43:" in out
    assert main(["journey", "explore", "--json", "--max-states", "2000", str(path)]) == 3
    doc = json.loads(capsys.readouterr().out)
    assert doc["verdict"] == "inconclusive" and doc["ok"] is False


def test_too_many_start_states_is_inconclusive_at_once():
    report = explore(load_journey(FIXTURES / "plan_upgrade_wide.yaml"), max_states=10)
    assert report.verdict == "inconclusive" and report.start_states > 10


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


def test_value_classes_are_exact_same_findings_as_every_value(shipped, monkeypatch):
    """Exploring by classes proves what exploring every int value proves (shipped journeys)."""
    import journeys.domains as domains

    every = domains.int_classes

    def every_value(lo, hi, cuts, deltas, opaque, cap=domains.MAX_CLASSES):
        return every(lo, hi, cuts, deltas, True, cap)

    fixtures = {p.stem: load_journey(p) for p in (FIXTURES / "dead_end.yaml",)}
    for name, journey in {**shipped, **fixtures}.items():
        by_class = explore(journey)
        with monkeypatch.context() as m:
            m.setattr(domains, "int_classes", every_value)
            by_value = explore(journey)
        assert by_value.states >= by_class.states, name
        for attr in ("endings_reached", "choices_never_offered", "nodes_never_visited",
                     "triggers_missable"):  # fmt: skip
            assert getattr(by_class, attr) == getattr(by_value, attr), (name, attr)
        assert [d.node_id for d in by_class.dead_ends] == [d.node_id for d in by_value.dead_ends]
