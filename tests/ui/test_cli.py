"""`shapan play`: clear errors for user mistakes, and a real window run headless."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sandbox.cli import main


def test_missing_resume_file_is_a_clear_error(tmp_path: Path, capsys: Any) -> None:
    missing = tmp_path / "nope.json"
    assert main(["play", "--resume", str(missing)]) == 1
    err = capsys.readouterr().err
    assert str(missing) in err and "no saved session" in err and "Traceback" not in err


def test_unknown_scenario_names_the_problem(capsys: Any) -> None:
    assert main(["play", "--scenario", "practise"]) == 1
    err = capsys.readouterr().err
    assert "SC021" in err and "practice" in err


def test_changed_or_foreign_resume_file_is_refused_clearly(tmp_path: Path, capsys: Any) -> None:
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"schema": "something else"}', encoding="utf-8")
    assert main(["play", "--resume", str(bogus)]) == 1
    err = capsys.readouterr().err
    assert "not a shapan session file" in err and "Traceback" not in err


def test_play_opens_a_window_and_reports_json(tmp_path: Path) -> None:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy",
           "XDG_DATA_HOME": str(tmp_path / "data")}  # fmt: skip
    save = tmp_path / "s.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sandbox",
            "play",
            "--scenario",
            "practice",
            "--trainee",
            "CI",
            "--frames",
            "3",
            "--save",
            str(save),
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["save_path"] == str(save) and save.is_file()
    assert doc["decisions"] == 0 and doc["finished"] is False
    assert 0 < doc["first_frame_s"] < 30


def test_missing_scenario_path_is_a_clear_error(tmp_path: Path, capsys: Any) -> None:
    assert main(["play", "--scenario", str(tmp_path / "mine.yaml")]) == 1
    err = capsys.readouterr().err
    assert "mine.yaml" in err and "no scenario file" in err
