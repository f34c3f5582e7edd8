"""The window survives resize, minimise and focus changes; closing mid-session asks first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pygame

from tests.ui.conftest import click, key, type_text


def started(make_app: Any, **kw: Any) -> Any:
    app = make_app(trainee="Ann", skip_start=True, **kw)
    assert app.screen is app.start_screen  # the first frame comes before the session is built
    app.step_frame(0.0)
    app.step_frame(0.0)
    assert app.screen is app.desk
    return app


def test_resize_relays_out_every_panel_inside_the_window(make_app: Any) -> None:
    app = started(make_app)
    app.step_frame(1.0)
    for size in ((1600, 900), (1024, 600), (1920, 1080), (1280, 720)):
        pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, size=size, w=size[0], h=size[1]))
        app.step_frame(0.5)
        assert app.size == app.window.get_size() == size
        bounds = pygame.Rect((0, 0), app.size)
        for name, rect in app.desk.layout.items():
            assert bounds.contains(rect), (name, rect, app.size)
        queue, center, card = (
            app.desk.layout["queue"],
            app.desk.layout["center"],
            app.desk.layout["card"],
        )
        assert queue.right < center.left and center.right < card.left  # no overlapping columns


def test_minimise_pauses_practice_and_restore_resumes(make_app: Any) -> None:
    app = started(make_app)
    app.step_frame(1.0)
    pygame.event.post(pygame.event.Event(pygame.WINDOWMINIMIZED))
    app.step_frame(1.0)
    t = app.session.now
    for _ in range(5):
        app.step_frame(1.0)
    assert app.paused and app.session.now == t  # patience timers froze with the sim
    pygame.event.post(pygame.event.Event(pygame.WINDOWFOCUSLOST))
    pygame.event.post(pygame.event.Event(pygame.WINDOWRESTORED))
    app.step_frame(1.0)
    assert not app.paused and app.session.now > t


def test_timed_mode_keeps_running_when_minimised(make_app: Any) -> None:
    app = started(make_app, mode="timed")
    pygame.event.post(pygame.event.Event(pygame.WINDOWMINIMIZED))
    app.step_frame(1.0)
    t = app.session.now
    app.step_frame(1.0)
    assert not app.paused and app.session.now > t


def test_closing_mid_session_asks_first_and_saves(make_app: Any, tmp_path: Path) -> None:
    app = started(make_app)
    app.step_frame(1.0)
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert app.step_frame(1.0) is True and app.confirming_quit
    t = app.session.now
    app.step_frame(1.0)
    assert app.session.now == t  # the sim waits while the question is open
    key(app, pygame.K_n)
    assert not app.confirming_quit and app.running
    key(app, pygame.K_ESCAPE)  # Esc on the desk asks too
    assert app.confirming_quit
    yes, _ = app._confirm_buttons()
    click(app, yes.rect.center)
    assert app.running is False
    assert (tmp_path / "session.json").is_file()


def test_speed_and_pause_buttons_by_mouse(make_app: Any) -> None:
    app = started(make_app)
    app.step_frame(0.0)
    by_action = {b.action: b for b in app.desk.buttons}
    click(app, by_action["speed1"].rect.center)
    assert app.speed == 2.0
    click(app, by_action["pause"].rect.center)
    assert app.paused
    t = app.session.now
    app.step_frame(1.0)
    assert app.session.now == t
    key(app, pygame.K_SPACE)
    assert not app.paused
    app.step_frame(1.0)
    assert app.session.now > t
    key(app, pygame.K_r)  # results on demand, then back to the desk
    assert app.screen is app.results and app.results.live
    key(app, pygame.K_ESCAPE)
    assert app.screen is app.desk


def test_start_screen_by_keyboard(make_app: Any) -> None:
    app = make_app(lang="zh-CN", scenarios=["practice", "erlang"], seed=None)
    key(app, pygame.K_RETURN)
    assert app.start_screen.error == "请输入学员姓名"  # no name yet: told, not started
    assert app.screen is app.start_screen
    key(app, pygame.K_F2)
    assert app.lang == "en" and app.start_screen.elements["start"].text == "Start (Enter)"
    key(app, pygame.K_F3)
    assert app.mode == "timed"
    key(app, pygame.K_F3)
    key(app, pygame.K_DOWN)
    assert app.start_screen.scenario == "erlang"
    key(app, pygame.K_UP)
    assert app.start_screen.scenario == "practice"
    type_text(app, "王小明")
    key(app, pygame.K_TAB)
    type_text(app, "11")
    state = app.start_screen.state()
    assert state["name"] == "王小明" and state["seed"] == "11"
    key(app, pygame.K_RETURN, frames=3)
    assert app.screen is app.desk and app.session.seed == 11 and app.trainee == "王小明"


def test_a_broken_scenario_is_reported_on_screen_with_its_location(
    make_app: Any, tmp_path: Path
) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("scenario: broken\nduration: [30m\n", encoding="utf-8")
    app = make_app(scenario=str(bad), scenarios=["practice"], trainee="Ann", skip_start=True)
    for _ in range(3):
        assert app.step_frame(0.0)
    assert app.screen is app.start_screen and app.session is None
    error = app.start_screen.state()["error"]
    assert "broken.yaml:" in error and "error" in error


def test_a_decision_the_engine_refuses_is_explained_not_fatal(make_app: Any) -> None:
    app = started(make_app)
    for _ in range(400):
        app.step_frame(2.0)
        contact = app.desk.state()["options"]
        if contact:
            break
    snap = app.snapshot
    seat_contact = next(s["contact"] for s in snap["seats"] if s["contact"])
    app.session.decide(
        seat_contact["contact_id"], app.desk.state()["options"][0]["id"]
    )  # decided elsewhere
    before = len(app.session.decision_log)
    key(app, pygame.K_1)  # the desk still shows the old options for this one frame
    assert len(app.session.decision_log) == before
    assert app.running and app.notice is not None and "not waiting" in app.notice[0]
