"""The pygame desk in exam mode, driven headless with real key events: an offline (unproctored)
practice exam from its header to the result screen, and an online attempt's connection state
against the in-process stand-in server of tests/exams/test_taking.py — including a server that
stalls, through which the desk keeps drawing frames (its calls run on their own thread).

With SHAPAN_SAVE_SCREENSHOTS=1 the screens are saved to docs/screenshots/exam/.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pygame
import pytest

from sandbox.exam import grade, load_exam
from sandbox.exam.replay import form_session
from sandbox.exam.taking import ExamTaking
from tests.ui.conftest import key
from ui.app import App, PlayOptions
from ui.screens.desk import human_contact

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "exam"


def shot(app: Any, name: str) -> None:
    if os.environ.get("SHAPAN_SAVE_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        pygame.image.save(app.window, str(SHOTS / name))


@pytest.fixture
def exam_app(tmp_path: Path):
    apps: list[Any] = []

    def build(taking: Any = None, lang: str = "zh-CN", **kw: Any) -> Any:
        taking = taking or ExamTaking.offline("cs-cert-zh", 0, candidate="王芳")
        app = App(PlayOptions(lang=lang, exam=taking, out_dir=tmp_path / "report", **kw))
        app.frame_budget_s = 0.05
        apps.append(app)
        return app

    yield build
    pygame.display.quit()


def settle(app: Any) -> None:
    """Let the attempt's calls out be answered and applied (the network thread is real, the
    stand-in server's wall is not)."""
    while app.taking.busy:
        assert app.taking.wait(5.0), "the stand-in server did not answer"


def online_app(exam_app: Any, **kw: Any) -> tuple[Any, Any, Any, Any]:
    from tests.exams.test_taking import FakeClient, FakeServer, FakeWall

    exam = load_exam("cs-cert-zh")
    wall = FakeWall()
    server = FakeServer(exam, form_session(exam, 0).provenance(), wall)
    client = FakeClient(server)
    app = exam_app(ExamTaking.online(client), **kw)  # type: ignore[arg-type]
    return app, wall, server, client


def online_until_waiting(app: Any, wall: Any) -> Any:
    for _ in range(500):
        wall.sleep(1.0)
        app.step_frame(1.0)
        settle(app)
        if waiting(app):
            return waiting(app)
    raise AssertionError("no decision appeared")


def waiting(app: Any) -> Any:
    contact = human_contact(app.snapshot)
    return contact if contact and contact.get("awaiting_decision") else None


def until_waiting(app: Any, dt: float = 1.0) -> Any:
    for _ in range(2000):
        app.step_frame(dt)
        if waiting(app):
            return waiting(app)
    raise AssertionError("no decision appeared")


def test_exam_desk_header_no_pause_no_coaching(exam_app: Any) -> None:
    app = exam_app()
    exam = app.taking.exam
    assert app.screen is app.desk and app.exam_mode and app.save_path is None
    app.step_frame(0.0)
    head = app.desk.state()["exam_header"]
    assert head["title"] == exam.title["zh-CN"]
    assert head["form"] == "卷 A" and head["candidate"] == "考生: 王芳"
    assert head["connection"] == "模拟考试 · 未监考" and head["time_left"] == "剩余时间 40:00"
    assert app.desk.state()["buttons"] == []  # no speed, no pause, no live results
    contact = until_waiting(app)
    left = app.taking.time_left_s
    key(app, pygame.K_SPACE)  # no pause
    assert not app.paused and app.notice is not None and "不能暂停" in app.notice[0]
    key(app, pygame.K_F3)  # no speed-up
    assert app.speed == 1.0
    key(app, pygame.K_r)  # no live BI results during the exam
    assert app.screen is app.desk
    app.step_frame(2.0)
    assert app.taking.time_left_s == pytest.approx(left - 2.0)  # the clock never stopped
    state = app.desk.state()
    assert not state["emotion_meter"] and not state["required_shown"]
    offered = [c for c in waiting(app)["choices"] if c["available"]]
    assert [o["number"] for o in state["options"]] == [c["number"] for c in offered]
    assert all(o["available"] for o in state["options"])
    shot(app, "desk_zh.png")
    key(app, getattr(pygame, f"K_{offered[0]['number']}"), str(offered[0]["number"]))
    assert app.taking.journal[-1]["contact_id"] == contact["contact_id"]
    assert app.taking.journal[-1]["choice_id"] == offered[0]["id"]
    assert "反馈" not in app.desk.state()["strip"]  # no feedback toast in an exam
    key(app, pygame.K_ESCAPE)
    assert app.confirming_quit
    app.step_frame(1.0)
    assert app.taking.time_left_s == pytest.approx(left - 3.0)  # the dialog does not pause
    key(app, pygame.K_n)
    assert not app.confirming_quit and app.running


def test_exam_desk_to_result_screen(exam_app: Any) -> None:
    app = exam_app(lang="en")
    taking = app.taking
    assert app.desk.state()["exam_header"] is None or True
    decisions = 0
    for _ in range(6000):
        if app.screen is not app.desk:
            break
        contact = waiting(app)
        if contact is None:
            app.step_frame(4.0)
            continue
        if decisions == 3:
            shot(app, "desk_en.png")
        number = next(c["number"] for c in contact["choices"] if c["available"])
        key(app, getattr(pygame, f"K_{number}"), str(number))
        decisions += 1
    assert app.screen is app.exam_result_screen and decisions >= 5
    result = app.exam_result
    assert result == grade(taking.exam, 0, taking.decisions()).to_json()
    app.step_frame(0.0)
    state = app.exam_result_screen.state()
    assert state["verdict"] in ("PASS", "FAIL") and state["verdict"] == (
        "PASS" if result["passed"] else "FAIL"
    )
    assert state["signature"].startswith("Unproctored")
    assert state["reasons"] == [r["en"] for r in result["reasons"]]
    assert len(state["contacts"]) == taking.exam.customers
    titles = {jid: j.title["en"] for jid, j in taking.exam.scenario.journeys.items()}
    for row, c in zip(state["contacts"], result["contacts"], strict=True):
        assert row["name"] == titles[c["journey_id"]] != c["journey_id"]  # names, not ids
        assert row["who"] == f"Customer {c['k']}"
    shot(app, "result_en.png")
    app.set_lang("zh-CN")
    app.step_frame(0.0)
    zh = app.exam_result_screen.state()
    assert zh["signature"].startswith("未监考") and zh["verdict"] in ("通过", "未通过")
    shot(app, "result_zh.png")
    key(app, pygame.K_d)  # the session's details, after the exam
    assert app.screen is app.results
    key(app, pygame.K_ESCAPE)
    assert app.screen is app.exam_result_screen


def test_exam_desk_online_connection_state_and_signed_result(exam_app: Any, tmp_path: Path) -> None:
    from sandbox.exam.signing import generate_keypair, load_private_key, sign_document

    app, wall, server, client = online_app(exam_app)
    assert app.trainee == "Li Lei" and app.lang == "zh-CN"
    app.step_frame(0.0)
    assert app.desk.state()["exam_header"]["connection"] == "已连接考试服务器"
    contact = online_until_waiting(app, wall)
    number = next(c["number"] for c in contact["choices"] if c["available"])
    client.down = True
    key(app, getattr(pygame, f"K_{number}"), str(number))
    assert app.taking.sending and server.journal == []
    settle(app)
    wall.sleep(1.0)
    app.step_frame(1.0)
    assert app.desk.state()["exam_header"]["connection"] == "连接中断，正在重连…"
    shot(app, "desk_reconnecting_zh.png")
    client.down = False
    wall.sleep(1.0)
    app.step_frame(1.0)
    settle(app)
    app.step_frame(0.0)
    assert len(server.journal) == 1 and app.taking.journal == server.journal
    assert app.desk.state()["exam_header"]["connection"] == "已连接考试服务器"
    # the server closes the attempt (time up) and sends a signed result
    _, _, kid = generate_keypair(tmp_path / "keys")
    key_ = load_private_key(tmp_path / "keys" / "private.pem")
    server.finish()
    server.result = sign_document(server.result, key_)
    wall.sleep(3.0)
    app.step_frame(3.0)  # the next heartbeat learns it, and brings the signed result
    settle(app)
    app.step_frame(0.0)
    assert app.screen is app.exam_result_screen
    state = app.exam_result_screen.state()
    assert state["signature"] == f"已由服务器密钥 {kid} 签名"
    shot(app, "result_signed_zh.png")


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_exam_desk_keeps_drawing_while_the_server_stalls(exam_app: Any, lang: str) -> None:
    """Every call hangs for 2.5 s and then times out. Frames keep coming (each a few ms of the
    desk's own drawing, events posted and handled every frame), the chosen option shows
    "sending…", the header goes to "reconnecting" and the time left keeps moving; when the
    server answers again the decision is recorded and the desk is connected."""
    app, wall, server, client = online_app(exam_app, lang=lang)
    zh = lang == "zh-CN"
    contact = online_until_waiting(app, wall)
    offered = [c for c in contact["choices"] if c["available"]]
    client.stall_s = 2.5
    left = app.taking.time_left_s
    number = offered[0]["number"]
    key(app, getattr(pygame, f"K_{number}"), str(number))  # posted, handled by a frame
    state = app.desk.state()
    assert app.taking.sending and server.journal == []
    sent = [o for o in state["options"] if o["sending"]]
    assert [o["number"] for o in sent] == [number]
    assert sent[0]["label"] == ("发送中…" if zh else "sending…")
    assert state["exam_header"]["connection"] == (
        "正在提交操作…" if zh else "Sending your decision…"
    )
    shot(app, f"desk_sending_{'zh' if zh else 'en'}.png")
    if len(offered) > 1:  # a second choice while the first is sending: a notice, as ever
        other = offered[1]["number"]
        key(app, getattr(pygame, f"K_{other}"), str(other))
        assert (
            app.notice is not None and ("仍在发送中" if zh else "still being sent") in app.notice[0]
        )
        assert app.taking.sending_choice == (contact["contact_id"], offered[0]["id"])
    clock = app.desk.state()["top_clock"]
    frames: list[float] = []
    end = time.perf_counter() + 3.5  # longer than a stalled call: it times out meanwhile
    while time.perf_counter() < end:
        pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=(5, 5), rel=(0, 0),
                                             buttons=(0, 0, 0)))  # fmt: skip
        wall.sleep(0.05)
        start = time.perf_counter()
        app.step_frame(0.05)
        frames.append(time.perf_counter() - start)
        assert not pygame.event.peek(pygame.MOUSEMOTION)  # handled in that frame
    assert len(frames) >= 20 and max(frames) < 0.5, (len(frames), max(frames))
    head = app.desk.state()["exam_header"]
    assert head["connection"] == (
        "连接中断，正在重连…" if zh else "Connection lost — reconnecting…"
    )
    assert head["connection_state"] == "reconnecting"
    assert app.taking.time_left_s == pytest.approx(left - 0.05 * len(frames))  # still moving
    assert head["time_left"].endswith(i18n_duration(app.taking.time_left_s))
    assert server.journal == [] and app.taking.sending
    assert app.desk.state()["top_clock"] > clock  # the exam clock moves; the session waits
    shot(app, f"desk_stalled_{'zh' if zh else 'en'}.png")
    # the server is back: the decision (same seq, same time) is recorded and applied
    client.stall_s = 0.0
    for _ in range(200):
        wall.sleep(0.05)
        app.step_frame(0.05)
        settle(app)
        if not app.taking.sending:
            break
    app.step_frame(0.0)
    assert [e["seq"] for e in server.journal] == [1] and app.taking.journal == server.journal
    assert app.desk.state()["exam_header"]["connection_state"] == "connected"
    assert not any(o["sending"] for o in app.desk.state()["options"])


def i18n_duration(seconds: float) -> str:
    from ui import i18n

    return str(i18n.duration(seconds))


def test_exam_desk_fetches_the_result_without_freezing(exam_app: Any) -> None:
    """Time is up while the server stalls: the desk keeps drawing and says it is fetching the
    result; when the server answers, the signed result is shown."""
    app, wall, server, client = online_app(exam_app)
    app.step_frame(0.0)
    client.stall_s = 1.5
    limit = app.taking.limit_s
    wall.sleep(limit + 1.0)
    app.step_frame(limit + 1.0)  # time is up: the result is asked for, in the background
    assert app.taking.finished and app.screen is app.desk
    frames: list[float] = []
    end = time.perf_counter() + 2.0
    while time.perf_counter() < end:
        start = time.perf_counter()
        app.step_frame(0.05)
        frames.append(time.perf_counter() - start)
    assert max(frames) < 0.5 and app.screen is app.desk
    assert app.notice is not None and "正在取得考试成绩" in app.notice[0]
    client.release.set()  # the server answers
    for _ in range(300):
        app.step_frame(0.05)
        if app.screen is app.exam_result_screen:
            break
        time.sleep(0.01)
    assert app.screen is app.exam_result_screen and app.exam_result == server.result
