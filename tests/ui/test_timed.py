"""Timed mode cannot be gamed (the clock, the results, the coaching, the save), and the export
runs in the background, one at a time."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pygame
import pytest

from sandbox.cli import main
from sandbox.session import SessionError
from tests.ui.conftest import click, key
from tests.ui.test_play import start_session, waiting_contact
from ui import i18n
from ui.screens.desk import STRICT_KB_KINDS


def play_until_waiting(app: Any, dt: float = 2.0) -> dict[str, Any]:
    for _ in range(2000):
        contact = waiting_contact(app)
        if contact is not None:
            return contact
        app.step_frame(dt)
    raise AssertionError("no customer reached the desk")


def test_timed_mode_gives_no_clock_control_results_or_coaching(make_app: Any) -> None:
    app = make_app(mode="timed")
    start_session(app)
    assert app.strict and app.desk.state()["buttons"] == []  # no pause, speed or results buttons
    key(app, pygame.K_SPACE)
    assert app.paused is False and app.notice is not None
    assert app.notice[0] == i18n.t("timed_no_pause", "en")
    for speed_key in (pygame.K_F2, pygame.K_F3):
        key(app, speed_key)
        assert app.speed == 1.0
    key(app, pygame.K_r)
    assert app.screen is app.desk  # no results mid-session
    app.results.open(live=True)  # not even asked for directly
    assert app.screen is app.desk
    click(app, (app.size[0] - 70, 22))  # where the results button is in practice
    assert app.screen is app.desk
    # the drill-down cannot be reached mid-session
    app.results.live = True
    app.results.open_drill(0)
    assert app.results.drill is None
    # the clock runs on while the quit dialog asks
    before = app.session.now
    key(app, pygame.K_ESCAPE)
    assert app.confirming_quit
    app.step_frame(3.0)
    assert app.session.now > before
    key(app, pygame.K_n)
    assert not app.confirming_quit
    # decisions: no coaching on the trainee's lines, no required-next bar, reference-only KB
    agent_tags = 0
    for _ in range(4):
        contact = play_until_waiting(app)
        state = app.desk.state()
        assert state["required_shown"] is False and state["agent_tags_shown"] == 0
        kinds = {k["id"]: k.get("kind") for k in contact.get("knowledge") or ()}
        assert all(kinds[kid] in STRICT_KB_KINDS for kid in state["knowledge"])
        choice = next(c for c in contact["choices"] if c["available"])
        key(app, getattr(pygame, f"K_{choice['number']}"))
        app.step_frame(2.0)
        transcript = (waiting_contact(app) or contact).get("transcript") or []
        agent_tags += sum(len(e.get("tags") or ()) for e in transcript if e["speaker"] == "agent")
        assert app.desk.state()["agent_tags_shown"] == 0
    assert agent_tags, "the engine tagged the trainee's lines: they were there to hide"
    assert not app.desk.banners or all(
        a.get("kind") == "hangup" for a, _ in app.desk.banners
    )  # no rule or risk banners under exam rules
    res = app.session.results()
    assert (res["trainee"], res["mode"]) == ("Test Trainee", "timed")


def _timed_save(make_app: Any, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    app = make_app(mode="timed", trainee="Ann", skip_start=True)
    app.step_frame(0.0)
    app.step_frame(0.0)
    assert app.screen is app.desk
    contact = play_until_waiting(app)
    choice = next(c for c in contact["choices"] if c["available"])
    key(app, getattr(pygame, f"K_{choice['number']}"))
    saved = tmp_path / "session.json"
    doc = json.loads(saved.read_text(encoding="utf-8"))
    assert (doc["trainee"], doc["mode"]) == ("Ann", "timed") and len(doc["decision_log"]) == 1
    return saved, doc


def test_a_timed_save_resumes_timed_and_a_tampered_one_is_refused(
    make_app: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved, doc = _timed_save(make_app, tmp_path)
    resumed = make_app(resume=saved, save=None, mode="practice")  # the save decides, not --mode
    assert (resumed.mode, resumed.trainee, resumed.strict) == ("timed", "Ann", True)
    assert resumed.screen is resumed.desk

    def tampered(**changes: Any) -> Path:
        path = tmp_path / "tampered.json"
        edited = {**doc, **changes}
        path.write_text(json.dumps({k: v for k, v in edited.items() if v is not None}), "utf-8")
        return path

    with pytest.raises(SessionError, match="the mode was changed from 'timed' to 'practice'"):
        make_app(resume=tampered(mode="practice"), save=None)
    with pytest.raises(SessionError, match=r"the trainee name was changed \(now 'Bob'\)"):
        make_app(resume=tampered(trainee="Bob"), save=None)
    with pytest.raises(SessionError, match="seal is missing"):  # stripping the seal is no way out
        make_app(resume=tampered(seal=None, mode=None, trainee=None), save=None)
    # through `shapan play`: one line, no traceback
    assert main(["play", "--resume", str(tampered(mode="practice"))]) == 1
    err = capsys.readouterr().err
    assert "the mode was changed from 'timed' to 'practice'" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_export_runs_in_the_background_one_at_a_time(make_app: Any, tmp_path: Path) -> None:
    app = make_app(trainee="Ann", skip_start=True)
    app.step_frame(0.0)
    app.step_frame(5.0)
    key(app, pygame.K_r)
    assert app.screen is app.results
    release = threading.Event()
    calls: list[Path] = []
    real = app.session.prepare_export

    def slow_prepare(out: Path) -> Any:
        calls.append(out)
        write = real(out)

        def slow_write() -> Any:
            assert release.wait(30)
            return write()

        return slow_write

    app.session.prepare_export = slow_prepare
    # holding E: one press and 25 key repeats (KEYDOWN without KEYUP)
    for _ in range(26):
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_e, mod=0, unicode="e"))
    app.step_frame(0.0)  # returns while the report is still being written: the desk never froze
    assert len(calls) == 1 and app.exporting
    assert app.notice is not None and app.notice[0] == i18n.t("exporting", "en")
    for _ in range(5):
        app.step_frame(0.1)
    assert app.exporting
    pygame.event.post(pygame.event.Event(pygame.KEYUP, key=pygame.K_e, mod=0, unicode="e"))
    key(app, pygame.K_e)  # a new press while one runs: a note, no second export
    assert len(calls) == 1 and app.notice is not None
    assert app.notice[0] == i18n.t("export_busy", "en")
    release.set()
    app.poll_export(wait=None)
    app.step_frame(0.0)
    assert not app.exporting and app.notice is not None
    assert app.notice[0].startswith(i18n.t("exported", "en"))
    assert (tmp_path / "report" / "report.html").is_file()
    key(app, pygame.K_e)  # the next press exports again
    assert len(calls) == 2
    app.poll_export(wait=None)
