"""`shapan journey bots` gives a verdict with evidence (issue 17): on a deliberately unbalanced
journey and on a balanced one the verdict is right on 20 seeds out of 20, with intervals; the
report names where the unexpectedly bad policy loses, and the coverage of nodes and choices."""

from __future__ import annotations

import json
from pathlib import Path

from sandbox.cli import main
from sandbox.workbench.bots import decide, run_bots, schedule

FIXTURES = Path(__file__).parent / "fixtures"
BALANCED = FIXTURES / "bots_balanced.yaml"
UNBALANCED = FIXTURES / "bots_unbalanced.yaml"
SEEDS = range(20)


def _run(path: Path, seed: int):
    return run_bots(path, seed=seed, workers=1, predict=False, progress=False)


def _has_intervals(report) -> None:
    for p in report.policies:
        lo, hi = p.intervals["mean_score"]
        assert lo <= p.mean_score <= hi
        for rate in ("resolution_rate", "hang_up_rate", "risk_rate"):
            lo, hi = p.intervals[rate]
            assert 0.0 <= lo <= getattr(p, rate) <= hi <= 1.0
    for pair in report.verdict.pairs:
        assert pair.ci95[0] <= pair.difference <= pair.ci95[1]


def test_the_balanced_journey_is_judged_balanced_on_20_seeds_of_20():
    for seed in SEEDS:
        report = _run(BALANCED, seed)
        assert report.verdict.status == "holds", (seed, report.verdict.words("en"))
        assert report.ranking_ok and report.flagged == {}
        assert report.runs in schedule(3200) and report.runs <= 400
        _has_intervals(report)
        assert report.coverage["nodes_never_reached"] == []
        assert "Balanced" in report.verdict.words("en")
        assert "平衡" in report.verdict.words("zh-CN")


def test_the_unbalanced_journey_is_judged_unbalanced_on_20_seeds_of_20():
    for seed in SEEDS:
        report = _run(UNBALANCED, seed)
        v = report.verdict
        assert v.status == "fails", (seed, v.words("en"))
        assert not report.ranking_ok
        assert "NOT balanced" in v.words("en") and "不平衡" in v.words("zh-CN")
        _has_intervals(report)
        # the expert's customers hang up after the hour-long deep dive, and the trigger asks
        # for behaviours no choice offers: both are named
        assert any(r.startswith("hang_ups:") for r in report.flagged["expert"])
        loss = next(p for p in report.policies if p.policy == "expert").losses
        top = loss["hang_ups_by_node"][0]
        assert top["node"] == "research" and top["after_choice"][0] == "deep_dive"
        assert top["rate"] >= 0.3
        trig = loss["triggers_unsatisfied"][0]
        assert trig["trigger"] == "calm_first" and set(trig["missing"]) == {"calm", "restate"}


def test_a_sequential_report_equals_the_fixed_report_of_the_same_runs():
    auto = _run(BALANCED, 6)
    fixed = run_bots(BALANCED, runs=auto.runs, seed=6, workers=1, predict=False, progress=False)
    a, f = auto.to_json(), fixed.to_json()
    assert a["policies"] == f["policies"]


def test_equal_scores_on_every_run_fail_and_noise_is_undecided():
    v = decide({"expert": [3.0] * 50, "competent": [3.0] * 50})
    assert v.status == "fails" and v.pairs[0].holds is False
    v = decide({"expert": [1.0, 0.0] * 25, "competent": [0.0, 1.0] * 25}, looks=6, cap=50,
               sequential=True)  # fmt: skip
    assert v.status == "undecided" and "Cannot be decided" in v.words("en")
    assert "无法判定" in v.words("zh-CN")


def test_the_cli_prints_the_verdict_and_exits_1_when_the_ranking_fails(capsys):
    assert main(["journey", "bots", str(UNBALANCED), "--seed", "1", "--no-predict",
                 "--workers", "1"]) == 1  # fmt: skip
    out = capsys.readouterr().out
    assert "verdict 结论: NOT balanced" in out and "hang-ups by node 挂断节点" in out
    assert "coverage 覆盖" in out
    assert main(["journey", "bots", str(BALANCED), "--seed", "1", "--no-predict",
                 "--workers", "1", "--json"]) == 0  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert doc["verdict"]["status"] == "holds" and doc["sequential"] is True
    assert doc["coverage"]["choices_never_taken"] == []
    assert all(p["ci95"]["mean_score"] for p in doc["policies"])
