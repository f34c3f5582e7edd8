"""The pygame desk in league mode against a real `shapan serve` on localhost: the desk joins a
team (the seat token kept in its file), waits in the lobby, plays the round the trainer opens
(one decision by a real key event, streamed to the server and found in the trainer's export),
shows the round clock, the rank, the announcement and the fire-drill pause, hides the rank
while the board is frozen, resumes the same seat from its file, and returns to the lobby when
the round closes. Saves docs/screenshots/competitions/desk-league-zh.png.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pygame
import pytest

from tests.server.test_league_server import SECRET, Trainer, _create
from tests.ui.conftest import key
from ui.app import App, PlayOptions
from ui.league import LeagueDesk, LobbyScreen
from ui.screens.desk import human_contact

SHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "competitions"


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from tests.server.live_server import start_server

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    url = f"sqlite:///{tmp_path / 'league.db'}"
    server = start_server(url, tmp_path / "srv", clock_speed=20.0, secret=SECRET)
    yield url, server
    server.stop()
    pygame.display.quit()


def run_until(app: Any, done: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.step_frame(0.03)
        if done():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def test_league_desk_lobby_round_decision_rank_and_back(served: Any, tmp_path: Path) -> None:
    url, server = served
    created = _create(url, "class-zh")
    pk, code = created["pk"], created["codes"][0]["code"]
    trainer = Trainer(server.url)

    desk = LeagueDesk(server.url, code, 1)
    seat_file = desk.path
    assert seat_file.parent == tmp_path / "data" / "shapan"
    saved = json.loads(seat_file.read_text(encoding="utf-8"))
    assert saved["token"] == desk.client.token and saved["member"] == 1

    app = App(PlayOptions(league=desk, out_dir=tmp_path / "report"))
    app.frame_budget_s = 0.05
    assert app.lang == "zh-CN" and app.strict and isinstance(app.screen, LobbyScreen)
    app.step_frame(0.03)
    lobby = app.screen.state()["lobby"]
    assert "等待培训师开始本轮" in lobby["status"]

    trainer.control(pk, action="announce", text="第一轮开始，注意合规话术")
    trainer.control(pk, action="open", round=0)
    run_until(app, lambda: app.screen is app.desk, 8.0, "the desk to enter the round")
    assert app.taking is desk.taking and app.exam_mode

    # a customer rings at the team's seat; decide with the number key
    run_until(app, lambda: bool((human_contact(app.snapshot) or {}).get("awaiting_decision")),
              40.0, "a decision at the seat")  # fmt: skip
    contact = human_contact(app.snapshot)
    assert contact is not None
    cid = contact["contact_id"]
    key(app, pygame.K_1, "1")
    assert any(d[1] == cid for d in app.session.decision_log), "the decision was not applied"
    export = trainer.export(pk)
    mine = [p for p in export["plays"] if p["team"] == created["codes"][0]["team"]]
    assert mine and any(d["contact_id"] == cid if isinstance(d, dict) else d[1] == cid
                        for p in mine for d in p["decisions"])  # fmt: skip

    # the heartbeat brings the rank; the overlay shows the clock, rank and announcement
    run_until(app, lambda: "名" in desk.shown.get("rank", "") and "/" in desk.shown["rank"],
              6.0, "the rank")  # fmt: skip
    head = desk.shown
    assert head["rank"].startswith("第 ") and head["rank"].endswith(" / 6 名")
    assert head["time_left"].startswith("剩余时间 ")
    assert head["announcement"] == "第一轮开始，注意合规话术"
    # the round's words, not the exam's: no pause (the trainer runs the clock)
    app.toggle_pause()
    assert app.notice is not None and "培训师" in app.notice[0] and "考试" not in app.notice[0]
    assert app._quit_title_key() == "league_quit_title"
    # the docs' picture is written only when asked (SHAPAN_SAVE_SCREENSHOTS=1): a test run
    # must not change the repository
    folder = SHOT if os.environ.get("SHAPAN_SAVE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    pygame.image.save(app.window, str(folder / "desk-league-zh.png"))

    # frozen: the rank is hidden; a fire drill stops the desk's clock
    trainer.control(pk, action="freeze")
    trainer.control(pk, action="pause")
    run_until(app, lambda: desk.shown.get("frozen") and desk.shown.get("paused"), 6.0, "freeze")
    assert desk.shown["rank"] == "排行榜已冻结"
    pygame.image.save(app.window, str(tmp_path / "desk-league-paused-zh.png"))
    assert "第 " not in desk.shown["rank"]
    c0 = app.taking.clock_s
    for _ in range(20):
        app.step_frame(0.03)
        time.sleep(0.02)
    assert app.taking.clock_s == pytest.approx(c0)
    trainer.control(pk, action="resume")
    trainer.control(pk, action="unfreeze")
    run_until(app, lambda: not desk.shown.get("paused") and not desk.shown.get("frozen"), 6.0,
              "resume")  # fmt: skip
    run_until(app, lambda: app.taking.clock_s > c0 + 1.0, 4.0, "the clock to run again")

    # a crashed desk resumes the same seat from its file (no second join)
    again = LeagueDesk(server.url, code, 1)
    assert again.client.token == desk.client.token

    # the trainer closes the round: back to the lobby
    trainer.control(pk, action="close", round=0)
    run_until(app, lambda: isinstance(app.screen, LobbyScreen), 6.0, "the lobby")
    assert app.taking is None
    app.step_frame(0.03)
    assert "第 1 轮已结束" in app.screen.state()["lobby"]["status"]
