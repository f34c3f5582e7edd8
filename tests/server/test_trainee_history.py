"""Trainee history (issue 16): exam attempts recorded when the store grades them, practice
sessions recorded from their results, `shapan trainee list|show|record` — on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sandbox.cli import main
from sandbox.exam import load_exam
from sandbox.exam.replay import play, policy_chooser, replay
from sandbox.results import dumps
from sandbox.server.history import (
    History,
    HistoryError,
    figures_from_grade,
    figures_from_record,
)
from sandbox.server.store import ExamStore
from tests.server.test_store import EXAM, FakeWall, published, take


@pytest.fixture
def wall(monkeypatch: pytest.MonkeyPatch) -> FakeWall:
    from sandbox.server import clock

    fake = FakeWall()
    monkeypatch.setattr(clock, "wall_now", fake)
    return fake


def practice_results(form: int, policy: str, seed: int = 1) -> dict[str, Any]:
    """A practice session on an exam form, the seat played by a bot: its results document."""
    exam = load_exam(EXAM)
    journal = play(exam, form, policy_chooser(policy), seed=seed)
    results: dict[str, Any] = replay(exam, form, journal).results()
    return results


def test_a_graded_exam_attempt_is_in_the_candidates_history(
    db_url: str, tmp_path: Path, wall: FakeWall
) -> None:
    store = ExamStore.open(db_url, tmp_path / "keys")
    try:
        _, codes = published(store, ["ann"])
        attempt, _ = take(store, wall, codes[0].code)
        signed = store.finish(attempt)
        store.finish(attempt)  # idempotent: recorded once
    finally:
        store.close()
    history = History.open(db_url)
    try:
        (work,) = history.work(["ann"])
        assert work.kind == "exam" and work.attempt_pk == attempt
        assert work.score == signed["score"] and work.passed == signed["passed"]
        assert work.scenario_hash == signed["provenance"]["scenario"]
        assert work.model_version == signed["provenance"]["model_version"]
        assert work.seed == signed["form"]["seed"]
        graded = [c for c in signed["contacts"] if c["handle_s"] is not None]
        assert work.contacts == len(graded) == len(work.figures)
        for fig, c in zip(work.figures, graded, strict=True):
            assert fig == figures_from_grade(c)
            assert fig["aht"] == c["handle_s"] and fig["fcr"] in (0.0, 1.0)
            assert 1.0 <= fig["csat"] <= 5.0
        assert history.trainees() == [{"id": "ann", "name": "", "group": None, "work": 1,
                                       "contacts": work.contacts, "last": work.at}]  # fmt: skip
        # a practice session on the same form is comparable with the exam attempt
        form = signed["form"]["index"]
        pk = history.record_session("ann", practice_results(form, "expert"), seat="trainee")
        again = next(w for w in history.work(["ann"]) if w.pk == pk)
        assert again.kind == "practice" and again.form_key == work.form_key
    finally:
        history.close()


def test_figures_of_a_record_name_every_comparable_kpi() -> None:
    rec = {"outcome": "resolved", "csat_mean": 4.2, "handle_s": 300.0, "risk_points": 3,
           "risk_privacy_breach": 3, "cross_sell_accepted": 1, "rubric_score": 80.0,
           "rubric": {"empathy": 70.0}}  # fmt: skip
    fig = figures_from_record(rec)
    assert fig["fcr"] == 1.0 and fig["csat"] == 4.2 and fig["aht"] == 300.0
    assert fig["risk.privacy_breach"] == 3.0 and fig["cross_sell"] == 1.0
    assert fig["rubric"] == 80.0 and fig["rubric.empathy"] == 70.0
    assert "rubric.compliance" not in fig  # unknown: left out, never guessed
    assert figures_from_record({"outcome": "escalated"})["fcr"] == 0.0


def test_trainee_commands_record_list_and_show(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "results.json"
    path.write_text(dumps(practice_results(0, "novice")), encoding="utf-8")
    assert main(["trainee", "record", "bo", str(path), "--group", "g1", "--name", "Bo",
                 "--db", sqlite_url, "--json"]) == 0  # fmt: skip
    rec = json.loads(capsys.readouterr().out)
    assert rec["trainee"] == "bo" and rec["kind"] == "practice" and rec["contacts"] == 6
    assert main(["trainee", "list", "--db", sqlite_url, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["trainees"]
    assert [(t["id"], t["name"], t["group"], t["work"]) for t in listed] == [("bo", "Bo", "g1", 1)]
    assert main(["trainee", "show", "bo", "--db", sqlite_url, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert len(shown["work"]) == 1 and len(shown["work"][0]["figures"]) == 6
    assert main(["trainee", "show", "bo", "--db", sqlite_url]) == 0
    assert "practice" in capsys.readouterr().out
    assert main(["trainee", "show", "nobody", "--db", sqlite_url]) == 1
    assert "no trainee 'nobody'" in capsys.readouterr().err
    history = History.open(sqlite_url)
    try:
        with pytest.raises(HistoryError):
            history.add_trainee("   ")
    finally:
        history.close()


def test_shapan_run_with_a_trainee_records_the_practice_session(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", "--scenario", "practice", "--hours", "0.25", "--no-db", "--no-report",
            "--out", str(tmp_path / "out"), "--trainee", "cai", "--trainee-group", "g2",
            "--history-db", sqlite_url, "--json"]  # fmt: skip
    assert main(argv) == 0
    results = json.loads(capsys.readouterr().out)
    history = History.open(sqlite_url)
    try:
        (work,) = history.work(["cai"])
        assert history.trainee("cai")["group"] == "g2"
    finally:
        history.close()
    assert work.kind == "practice" and work.seed == results["seed"]
    assert work.scenario_hash == results["scenario"]["hash"]
    assert work.contacts == len(results["contacts"]) > 0
    assert work.source == str(tmp_path / "out" / "results.json")
    bad = [*argv[:-3], "--history-db", "mysql://x/y"]
    assert main(bad) == 1
    assert "recording it for trainee 'cai' failed" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [["trainee", "--help"], ["cohort", "--help"], ["trainee", "report", "--help"],
     ["cohort", "report", "--help"], ["trainee", "record", "--help"],
     ["trainee", "weak-spots", "--help"], ["trainee", "plan", "--help"],
     ["cohort", "equivalence", "--help"]],
)  # fmt: skip
def test_every_trainee_command_has_help(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "usage: shapan" in out and "%%" not in out


def test_a_group_without_a_command_prints_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cohort"]) == 2 and main(["trainee"]) == 2
    assert "report" in capsys.readouterr().out
