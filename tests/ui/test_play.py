"""Drive the real UI headless with real key and mouse events through a whole practice session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pygame

from sandbox import kpi_catalogue as kc
from tests.ui.conftest import click, key, type_text
from ui import i18n
from ui.screens.desk import human_contact


def waiting_contact(app: Any) -> dict[str, Any] | None:
    contact = human_contact(app.snapshot)
    return contact if contact and contact.get("awaiting_decision") else None


def start_session(app: Any, name: str = "Test Trainee") -> None:
    assert app.screen is app.start_screen
    type_text(app, name)
    key(app, pygame.K_RETURN, frames=3)  # a "Preparing…" frame, then the session is built
    assert app.screen is app.desk


def option_center(app: Any, number: int) -> tuple[int, int]:
    button = next(b for b in app.desk.option_buttons if b.action == f"choose{number}")
    return button.rect.center


def play_decisions(app: Any, limit: int | None = None, dt: float = 2.0) -> int:
    """Play until the results screen (or `limit` decisions): number keys and mouse alternately,
    checking each time that the options drawn are exactly the journey's choices."""
    made = 0
    for _ in range(5000):
        if app.screen is not app.desk or (limit is not None and made >= limit):
            return made
        app.step_frame(dt)
        contact = waiting_contact(app)
        if contact is None or app.screen is not app.desk:
            continue
        shown = [(o["number"], o["text"], o["available"]) for o in app.desk.state()["options"]]
        lang = app.lang
        expected = [
            (c["number"], c["text"][lang], c["available"])
            for c in contact["choices"]
            if app.mode == "practice" or c["available"]
        ]
        assert shown == expected
        choice = next(c for c in contact["choices"] if c["available"])
        before = len(app.session.decision_log)
        if made % 2:
            click(app, option_center(app, choice["number"]))
        else:
            key(app, getattr(pygame, f"K_{choice['number']}"), str(choice["number"]))
        assert len(app.session.decision_log) == before + 1
        assert app.session.decision_log[-1][1:] == [contact["contact_id"], choice["id"]]
        made += 1
    raise AssertionError("the session never finished")


def test_whole_practice_session_by_keyboard_and_mouse(make_app: Any, tmp_path: Path) -> None:
    app = make_app(lang="en")
    start_session(app)
    key(app, pygame.K_F3)
    assert app.speed == 4.0
    # the live KPI bar shows the snapshot's KPIs
    app.step_frame(30.0)
    snap = app.snapshot
    assert app.desk.kpi_bar.shown == [
        (k, kc.label(k, "en"), kc.format_value(k, snap["kpis"].get(k), "en"))
        for k in i18n.LIVE_KPIS
    ]
    made = play_decisions(app)
    assert made >= 5
    assert app.screen is app.results and app.session.finished
    results = app.session.results()
    # every KPI tile matches the results document
    tiles = app.results.state()["tiles"]
    assert [t["key"] for t in tiles] == list(i18n.RESULT_KPIS)
    for tile in tiles:
        assert tile["label"] == kc.label(tile["key"], "en")
        assert tile["text"] == kc.format_value(tile["key"], results["kpis"][tile["key"]], "en")
        if tile["key"] in results["kpi_vs_target"]:
            assert tile["met"] == results["kpi_vs_target"][tile["key"]]["met"]
    # the decision log was saved after every decision
    saved = json.loads((tmp_path / "session.json").read_text(encoding="utf-8"))
    assert saved["decision_log"] == [list(d) for d in app.session.decision_log]
    assert len(saved["decision_log"]) == made
    side = json.loads((tmp_path / "session.ui.json").read_text(encoding="utf-8"))
    # who and how live in the save itself, sealed; the UI keeps its language and --out
    assert side == {"lang": "en", "out": str((tmp_path / "report").resolve())}
    assert (saved["trainee"], saved["mode"]) == ("Test Trainee", "practice")
    assert set(saved["seal"]) == {"trainee", "mode"}
    # drill into the first contact: its decisions with feedback and CSAT effect
    key(app, pygame.K_RETURN)
    view = app.results.state()["drill_view"]
    first = results["contacts"][0]
    assert view["contact_id"] == first["contact_id"]
    assert view["decisions"] == [d["text"]["en"] for d in first["decisions"]]
    assert view["csat_after"] == [
        d["csat_after"] for d in first["decisions"] if d.get("csat_after") is not None
    ]
    key(app, pygame.K_RIGHT)
    assert (
        app.results.state()["drill_view"]["contact_id"]
        == results["contacts"][1 % len(results["contacts"])]["contact_id"]
    )
    key(app, pygame.K_ESCAPE)
    assert app.results.state()["drill"] is None
    # export the HTML report from the results screen: in the background, with a progress note
    key(app, pygame.K_e)
    assert app.exporting and app.notice is not None
    assert app.notice[0] == i18n.t("exporting", "en")
    app.poll_export(wait=None)
    app.step_frame(0.0)
    assert not app.exporting and app.notice is not None
    assert app.notice[0].startswith(i18n.t("exported", "en"))
    report = tmp_path / "report" / "report.html"
    html = report.read_text(encoding="utf-8")
    assert "<html" in html.lower() and '<b class="trainee">Test Trainee</b>' in html
    saved = json.loads((tmp_path / "report" / "results.json").read_text(encoding="utf-8"))
    assert saved["trainee"] == "Test Trainee" and saved["mode"] == "practice"
    # a finished session closes without asking
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert app.step_frame(0.0) is False


def test_resume_continues_where_the_trainee_left_off(make_app: Any, tmp_path: Path) -> None:
    app = make_app(lang="zh-CN", trainee="")
    start_session(app, "李雷")
    play_decisions(app, limit=4)
    log = [list(d) for d in app.session.decision_log]
    now = app.session.now
    saved = tmp_path / "session.json"
    resumed = make_app(resume=saved, lang=None, save=None, out_dir=None)
    assert resumed.screen is resumed.desk
    assert resumed.export_dir() == (tmp_path / "report").resolve()  # --out is not forgotten
    assert resumed.trainee == "李雷" and resumed.lang == "zh-CN"
    assert [list(d) for d in resumed.session.decision_log] == log
    assert resumed.session.now == now
    assert resumed.session.snapshot()["kpis"] == app.session.snapshot()["kpis"]


def test_timed_mode_hides_unavailable_options_and_coaching(make_app: Any) -> None:
    app = make_app(mode="timed")
    start_session(app)
    key(app, pygame.K_SPACE)
    assert app.paused is False  # no pausing an exam
    key(app, pygame.K_F3)
    for _ in range(400):
        app.step_frame(2.0)
        if waiting_contact(app):
            break
    contact = waiting_contact(app)
    assert contact is not None
    state = app.desk.state()
    assert state["emotion_meter"] is False
    assert all(o["available"] for o in state["options"])
    assert [o["id"] for o in state["options"]] == [
        c["id"] for c in contact["choices"] if c["available"]
    ]
    before = app.notice  # the "no pausing in an exam" notice may still be showing
    key(app, getattr(pygame, f"K_{state['options'][0]['number']}"))
    assert app.notice == before  # no feedback toast until the results screen


def test_practice_mode_coaches_after_decisions_and_contacts(make_app: Any) -> None:
    app = make_app(trainee="Ann", skip_start=True)
    for _ in range(3):
        app.step_frame(0.0)
    app.set_speed(2)
    summaries = feedbacks = 0
    toasts: list[str] = []
    for _ in range(3000):
        app.step_frame(2.0)
        if app.screen is not app.desk:
            break
        contact = waiting_contact(app)
        if contact is None:
            continue
        choice = next(c for c in contact["choices"] if c["available"])
        key(app, getattr(pygame, f"K_{choice['number']}"))
        after = human_contact(app.snapshot)
        last = (after or {}).get("last_decision")
        if after and after["contact_id"] == contact["contact_id"] and last and last.get("feedback"):
            assert app.desk.last_feedback == i18n.pick(last["feedback"], "en")
            assert app.notice is not None and app.desk.last_feedback in app.notice[0]
            assert app.desk.last_feedback in app.desk.state()["strip"]  # drawn under the transcript
            toasts.append(app.desk.last_feedback)
            feedbacks += 1
        if app.desk.last_summary and app.desk.last_summary not in toasts:
            toasts.append(app.desk.last_summary)
            summaries += 1
        if summaries >= 1:
            break
    assert feedbacks >= 2  # a feedback toast after the decisions within the contact
    # when a contact ends the trainee is told its outcome and predicted CSAT from the results
    assert summaries == 1
    results = app.session.results()
    ended = results["contacts"][0]
    assert f"#{ended['contact_id']}" in app.desk.last_summary
    assert kc.format_value("csat_mean", ended["csat_mean"], "en") in app.desk.last_summary


def test_drill_down_scrolls_both_columns_by_keyboard(make_app: Any) -> None:
    app = make_app(trainee="Ann", skip_start=True)
    for _ in range(3):
        app.step_frame(0.0)
    play_decisions(app, dt=5.0)
    key(app, pygame.K_RETURN)
    assert app.results.state()["drill"] == 0
    for _ in range(200):
        key(app, pygame.K_DOWN)
    end = app.results.scroll
    assert end > 0  # a long contact scrolls
    key(app, pygame.K_DOWN)
    assert app.results.scroll == end  # and stops at its end
    for _ in range(200):
        key(app, pygame.K_UP)
    assert app.results.scroll == 0


def test_a_finished_session_is_recorded_in_the_trainee_history(
    make_app: Any, tmp_path: Path
) -> None:
    from sandbox.server.history import History

    url = f"sqlite:///{tmp_path / 'history.db'}"
    app = make_app(lang="en", history_db=url)
    start_session(app, "Wang Fang")
    play_decisions(app)
    assert app.screen is app.results and app.session.finished
    assert app.recorded and not app.record_history()  # once
    history = History.open(url)
    try:
        work = history.work(["Wang Fang"])
    finally:
        history.close()
    assert len(work) == 1
    assert work[0].kind == "practice" and work[0].seed == app.session.seed
    assert work[0].contacts == len(app.session.results()["contacts"]) > 0
