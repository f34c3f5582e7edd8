"""A desk session's trainee and mode: sealed into the save, named in results.json and the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.report import render_report
from sandbox.session import Session, SessionError


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("SHAPAN_SESSION_KEY", raising=False)


def test_identity_is_sealed_and_reported(tmp_path: Path) -> None:
    s = Session("practice", 7, lang="en", trainee="李雷", mode="timed")
    s.run_until(120.0)
    path = s.save(tmp_path / "s.json")
    key = tmp_path / "data" / "shapan" / "session.key"
    assert key.is_file() and key.stat().st_mode & 0o077 == 0  # the key is the user's alone
    back = Session.resume(path, sealed=True)
    assert (back.trainee, back.mode) == ("李雷", "timed")
    res = back.results()
    assert (res["trainee"], res["mode"]) == ("李雷", "timed")
    html = render_report(res, "zh-CN")
    assert '<b class="trainee">李雷</b>' in html and '<b class="mode">计时</b>' in html
    doc = json.loads(path.read_text(encoding="utf-8"))
    for field, value, words in (
        ("mode", "practice", "the mode was changed from 'timed' to 'practice'"),
        ("trainee", "韩梅梅", "the trainee name was changed (now '韩梅梅')"),
    ):
        path.write_text(json.dumps({**doc, field: value}, ensure_ascii=False), "utf-8")
        with pytest.raises(SessionError) as err:
            Session.resume(path)
        assert words in str(err.value) and "\n" not in str(err.value)


def test_a_plain_session_has_no_identity_but_the_desk_wants_one(tmp_path: Path) -> None:
    s = Session("practice", 7)
    path = s.save(tmp_path / "plain.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert not {"trainee", "mode", "seal"} & set(doc)
    assert "mode" not in s.results()
    assert Session.resume(path).mode is None
    with pytest.raises(SessionError, match="seal is missing"):
        Session.resume(path, sealed=True)
    with pytest.raises(SessionError, match="unknown mode"):
        Session("practice", 7, mode="exam")
