"""Golden transcripts: record, replay, and the first divergence reported precisely."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from journeys.library import library_dir
from journeys.loader import load_journey
from journeys.transcripts import (
    TranscriptError,
    choices_chooser,
    load_transcript,
    policy_chooser,
    record,
    replay,
)
from sandbox.cli import main


@pytest.fixture
def lib(tmp_path) -> Path:
    """A private copy of the library (journeys + fragments) to edit freely."""
    dst = tmp_path / "lib"
    shutil.copytree(library_dir(), dst, ignore=shutil.ignore_patterns("transcripts"))
    return dst


def _write(t, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(t.to_yaml(), encoding="utf-8")
    return path


def test_round_trip_passes(lib, tmp_path):
    j = load_journey(lib / "package_downgrade_refund.yaml")
    t = record(
        j, 11, policy_chooser("expert", 11), persona={"anger": 9, "trust": 2}, recorded_with="test"
    )
    f = _write(t, tmp_path / "t.yaml")
    loaded = load_transcript(f)
    assert loaded.choices == t.choices and loaded.persona == {"anger": 9, "trust": 2}
    assert replay(loaded, j).ok


def test_changed_line_is_the_first_divergence(lib, tmp_path):
    path = lib / "package_downgrade_refund.yaml"
    j = load_journey(path)
    t = load_transcript(_write(record(j, 1, policy_chooser("expert", 1)), tmp_path / "t.yaml"))
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("你们每次都这么说！", "你们每次都这样说！"), encoding="utf-8")
    result = replay(t, load_journey(path))
    d = result.divergence
    assert d is not None and d.field == "lines"
    assert d.step == 2  # the line is said after the 2nd choice (complaint -> restate)
    assert "still_angry" in d.message
    assert result.notes  # the content hash changed


def test_changed_score_and_removed_choice(lib, tmp_path):
    path = lib / "privacy_trap.yaml"
    j = load_journey(path)
    t = load_transcript(_write(record(j, 1, policy_chooser("expert", 1)), tmp_path / "t.yaml"))
    steps = [s["choice"] for s in t.steps]
    assert "holder_only" in steps
    text = path.read_text(encoding="utf-8")
    text2 = text.replace(
        "        time: 60s\n        score: 4\n", "        time: 60s\n        score: 2\n", 1
    )
    path.write_text(text2, encoding="utf-8")
    d = replay(t, load_journey(path)).divergence
    assert (d.field, d.step, d.expected, d.actual) == ("score", 2, 4.0, 2.0)
    path.write_text(text.replace("id: holder_only", "id: holder_only_v2"), encoding="utf-8")
    d = replay(t, load_journey(path)).divergence
    assert d.field == "choice" and d.step == 2 and "holder_only" in d.message


def test_running_out_of_choices_is_a_clear_error(lib):
    from journeys.runtime import JourneyRunError

    j = load_journey(lib / "privacy_trap.yaml")
    with pytest.raises(JourneyRunError, match="add more to --choices"):
        record(j, 1, choices_chooser(["warm"]))


def test_broken_transcript_names_file_and_line(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(
        "transcript: 1\njourney_id: x\nseed: 1\nstart: {}\nexpect: {}\nsteps:\n  - node: a\n",
        encoding="utf-8",
    )
    with pytest.raises(TranscriptError) as err:
        load_transcript(f)
    assert err.value.location == f"{f}:7:5" and "choice" in err.value.message


def test_cli_record_and_test(lib, tmp_path, capsys):
    out = tmp_path / "rec" / "t.yaml"
    jp = lib / "cross_border_payment_rules.yaml"
    assert (
        main(
            [
                "journey",
                "record",
                str(jp),
                "--policy",
                "competent",
                "--seed",
                "4",
                "-o",
                str(out),
                "--json",
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["path"] == str(out) and out.exists()
    assert main(["journey", "test", str(out)]) == 0
    assert "1 passed" in capsys.readouterr().out
    jp.write_text(
        jp.read_text(encoding="utf-8").replace("score: 4\n", "score: 5\n", 1), encoding="utf-8"
    )
    assert main(["journey", "test", "--json", str(out.parent)]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["failed"] == 1 and doc["transcripts"][0]["divergence"]["field"] == "score"
    assert main(["journey", "record", str(jp), "--choices", "warm,nonexistent"]) == 1
    assert "nonexistent" in capsys.readouterr().err


def test_shipped_transcripts_pass_via_cli(capsys):
    assert main(["journey", "test"]) == 0
    assert " 0 failed" in capsys.readouterr().out
