"""`shapan exam replay` through the real CLI on bot-played journals."""

from __future__ import annotations

import io
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from sandbox.cli import main
from sandbox.exam import grade, journal, load_exam, play, policy_chooser


@cache
def _played() -> tuple[tuple[tuple[Any, ...], ...], str]:
    exam = load_exam("cs-cert-en")
    entries = play(exam, 0, policy_chooser("novice"), think_s=4.0, seed=5)
    return tuple(tuple(e) for e in entries), json.dumps(grade(exam, 0, entries).to_json())


def _files(tmp_path: Path) -> tuple[Path, Path, list[list[Any]]]:
    entries = [list(e) for e in _played()[0]]
    jpath, rpath = tmp_path / "journal.json", tmp_path / "result.json"
    jpath.write_text(json.dumps(entries), encoding="utf-8")
    rpath.write_text(_played()[1], encoding="utf-8")
    return jpath, rpath, entries


def test_a_journal_replays_every_decision_with_its_feedback(tmp_path: Path, capsys: Any) -> None:
    jpath, _, entries = _files(tmp_path)
    assert main(["exam", "replay", str(jpath), "--exam", "cs-cert-en", "--form", "A"]) == 0
    out = capsys.readouterr().out
    assert sum(line.startswith("#") for line in out.splitlines()) == len(entries)
    assert "FAIL" in out and "feedback:" in out and "mood anger" in out
    assert "privacy breach" in out  # the novice's critical error, in words


def test_a_result_with_its_journal_writes_the_page(tmp_path: Path, capsys: Any) -> None:
    jpath, rpath, _ = _files(tmp_path)
    chained = tmp_path / "j.jsonl"
    journal.write(chained, journal.chain(json.loads(jpath.read_text())))
    out = tmp_path / "page.html"
    code = main(["exam", "replay", str(rpath), "--journal", str(chained), "--html", str(out),
                 "--lang", "zh-CN"])  # fmt: skip
    assert code == 0
    page = out.read_text(encoding="utf-8")
    assert page.count('class="decision"') == len(_played()[0]) and "未通过" in page


def test_step_waits_and_q_stops(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    jpath, _, _ = _files(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("\nq\n"))
    assert (
        main(["exam", "replay", str(jpath), "--exam", "cs-cert-en", "--form", "0", "--step"]) == 0
    )
    out = capsys.readouterr().out
    assert len(re.findall(r"#\d+  \d+:\d\d", out)) == 2  # the prompt shares a line with #2


@pytest.mark.parametrize(
    "case", ["missing", "not_json", "wrong_journal", "broken_chain", "no_exam", "bad_choice"]
)
def test_bad_input_is_one_line_naming_the_file(tmp_path: Path, capsys: Any, case: str) -> None:
    _, rpath, entries = _files(tmp_path)
    bad = tmp_path / "bad"
    args = ["exam", "replay", str(bad), "--exam", "cs-cert-en", "--form", "A"]
    if case == "not_json":
        bad.write_text("{not json", encoding="utf-8")
    elif case == "wrong_journal":
        bad.write_text(json.dumps(entries[:-1]), encoding="utf-8")
        args = ["exam", "replay", str(rpath), "--journal", str(bad)]
    elif case == "broken_chain":
        chain = journal.chain(entries)
        chain[3]["choice_id"] = "edited"
        journal.write(bad, chain)
    elif case == "no_exam":
        bad.write_text(json.dumps(entries), encoding="utf-8")
        args = ["exam", "replay", str(bad)]
    elif case == "bad_choice":
        entries[1][2] = "no_such_choice"
        bad.write_text(json.dumps(entries), encoding="utf-8")
    code = main(args)
    err = capsys.readouterr().err
    assert code == (2 if case == "no_exam" else 1)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert str(bad) in err
