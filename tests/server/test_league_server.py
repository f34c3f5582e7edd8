"""A class competition against a real `shapan serve` on localhost: scripted desks over real HTTP
play three rounds; the server's board equals the board recomputed offline from the journals;
a frozen board hides changes from teams and the projector until the reveal; a token acts
only for its own seat; a server killed mid-round loses no acknowledged decision.
"""

from __future__ import annotations

import http.cookiejar
import json
import signal
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from sandbox.league.desk import LeagueClient, MemberPlay, play_round, policy_chooser
from sandbox.league.loader import load_competition
from sandbox.league.offline import board_from_export
from sandbox.server.db import make_engine
from sandbox.server.league_store import LeagueStore
from tests.server.live_server import Admin, first_sse_event, post_json, request, start_server

SECRET = "trainer-secret-1"
SPEED = 40.0
POLICIES = ["expert", "competent", "novice", "random", "competent", "expert"]


class Trainer:
    """The trainer over HTTP: admin cookie, CSRF header, the control and board API."""

    def __init__(self, base: str) -> None:
        self.admin = Admin(base)
        assert self.admin.login(SECRET).status == 303
        self.admin.get("/admin/exams")  # sets the CSRF cookie
        self.base = base

    def _csrf(self) -> str:
        jar: http.cookiejar.CookieJar = self.admin.jar
        return next(c.value for c in jar if c.name == "shapan_csrf" and c.value)

    def control(self, pk: int, **body: Any) -> Any:
        answer = request(
            f"{self.base}/api/v1/league/{pk}/control", "POST", json.dumps(body).encode(),
            {"Content-Type": "application/json", "X-CSRF-Token": self._csrf()}, self.admin.opener,
        )  # fmt: skip
        assert answer.status == 200, answer.text
        return answer.json()

    def board(self, pk: int, view: str = "public") -> dict[str, Any]:
        answer = self.admin.get(f"/api/v1/league/{pk}/board?view={view}")
        assert answer.status == 200, answer.text
        return dict(answer.json())

    def export(self, pk: int) -> dict[str, Any]:
        return dict(self.admin.get(f"/api/v1/league/{pk}/export").json())


def _create(url: str, ref: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        return LeagueStore(engine, clock_speed=SPEED).create(ref)
    finally:
        engine.dispose()


def _play_all(
    base: str, tokens: list[tuple[str, str]], comp: Any, crash_first_after_s: float = 0.0
) -> list[MemberPlay]:
    """Every desk plays the open round to its end; with `crash_first_after_s`, the first desk
    is dropped that many wall seconds in (its session thrown away, as a killed desk's) and a
    new desk resumes its seat from the server."""
    plays: list[MemberPlay] = []
    errors: list[BaseException] = []

    def desk(i: int, token: str, policy: str) -> None:
        try:
            chooser = policy_chooser(policy)
            if i == 0 and crash_first_after_s:
                until = time.monotonic() + crash_first_after_s
                dropped = play_round(LeagueClient(base, token=token), comp, chooser, think_s=4.0,
                                     seed=i, stop=lambda: time.monotonic() > until)  # fmt: skip
                assert not dropped.closed and dropped.session.decision_log, "crashed too late"
            client = LeagueClient(base, token=token)
            plays.append(play_round(client, comp, chooser, think_s=4.0, seed=i))
        except BaseException as err:
            errors.append(err)

    threads = [
        threading.Thread(target=desk, args=(i, tok, pol)) for i, (tok, pol) in enumerate(tokens)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert not errors, errors
    return plays


def _wait_round_closed(trainer: Trainer, pk: int, i: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = trainer.board(pk, "trainer")
        if not state["rounds"][i]["live"]:
            return
        time.sleep(0.2)
    raise AssertionError(f"round {i} did not close")


def _first_pushed_board(base: str, pk: int, trainer: Trainer) -> dict[str, Any]:
    """The first `board` event of the live channel (server-sent events), trainer's view."""
    cookie = "; ".join(f"{c.name}={c.value}" for c in trainer.admin.jar)
    req = urllib.request.Request(f"{base}/api/v1/league/{pk}/stream?view=trainer",
                                 headers={"Cookie": cookie})  # fmt: skip
    with urllib.request.urlopen(req, timeout=30) as stream:
        board = first_sse_event(stream, "board")
    if board is None:
        raise AssertionError("no board event")
    return board


@pytest.fixture
def league(tmp_path: Path) -> Any:
    url = f"sqlite:///{tmp_path / 'league.db'}"
    server = start_server(url, tmp_path / "srv", clock_speed=SPEED, secret=SECRET)
    yield url, server, tmp_path
    server.stop()


def test_three_rounds_six_teams_board_equals_offline_and_freeze_hides(league: Any) -> None:
    url, server, _ = league
    created = _create(url, "class-zh")
    pk = created["pk"]
    comp = load_competition("class-zh")
    trainer = Trainer(server.url)
    tokens = []
    for team, policy in zip(created["codes"], POLICIES, strict=True):
        for member in (1, 2):
            answer = post_json(
                f"{server.url}/api/v1/league/join", {"code": team["code"], "member": member}
            )
            assert answer.status == 200, answer.text
            assert answer.json()["team"]["id"] == team["team"]
            tokens.append((answer.json()["token"], policy))
    frozen_seen = None
    watcher_out: list[Any] = []
    for i in range(3):
        trainer.control(pk, action="open", round=i)
        if i == 2:
            # the last round: the board freezes by itself 2 min (sim) before the end

            def watch() -> None:
                deadline = time.monotonic() + 40
                while time.monotonic() < deadline:
                    public = trainer.board(pk)
                    if public.get("frozen"):
                        watcher_out.append(public)
                        return
                    time.sleep(0.1)

            watcher = threading.Thread(target=watch)
            watcher.start()
        _play_all(server.url, tokens, comp)
        _wait_round_closed(trainer, pk, i)
        if i == 2:
            watcher.join()
            assert watcher_out, "the board never froze"
            frozen_seen = watcher_out[0]
    live = trainer.board(pk, "trainer")
    public = trainer.board(pk)
    # frozen: the projector and the teams see the snapshot, not the final board
    assert public["frozen"] and frozen_seen is not None
    assert public["hash"] == frozen_seen["hash"]
    assert public["hash"] != live["hash"]
    state = post_json(
        f"{server.url}/api/v1/league/heartbeat", {"contact_id": None}, tokens[0][0]
    ).json()
    assert state["frozen"] and state["rank"] is None
    # the board the server shows is the board recomputed offline from the journals
    export = trainer.export(pk)
    offline = board_from_export(comp, export)
    assert {k: v for k, v in live.items() if k != "frozen"} == offline
    assert all(r["played"] for r in live["rounds"])
    decided = {(p["team"], p["round"]) for p in export["plays"] if p["decisions"]}
    for i in range(3):  # (a desk that starts late on a loaded machine may meet no one)
        assert sum(1 for _, r in decided if r == i) >= 4, decided
    # every team met the same customers: customer k has the same journey in every team
    journeys: dict[tuple[int, str], set[str]] = {}
    from sandbox.league.offline import team_rounds_from_export

    for tr in team_rounds_from_export(comp, export):
        for rec in tr.records:
            journeys.setdefault((tr.round_index, rec["contact_id"]), set()).add(rec["journey_id"])
    assert journeys and all(len(v) == 1 for v in journeys.values())
    # better play ranks higher: the expert teams above the random one
    ranks = {r["team_id"]: r["rank"] for r in live["rows"]}
    assert min(ranks["t1"], ranks["t6"]) < ranks["t4"]
    # the live channel pushes the same board
    pushed = _first_pushed_board(server.url, pk, trainer)
    assert pushed["hash"] == live["hash"]
    # the reveal
    trainer.control(pk, action="unfreeze")
    revealed = trainer.board(pk)
    assert not revealed["frozen"] and revealed["hash"] == live["hash"]
    state = post_json(
        f"{server.url}/api/v1/league/heartbeat", {"contact_id": None}, tokens[0][0]
    ).json()
    assert state["rank"]["rank"] == ranks["t1"]


def test_a_token_acts_only_for_its_own_seat(league: Any) -> None:
    url, server, _ = league
    created = _create(url, "class-zh")
    pk = created["pk"]
    base = server.url
    a = post_json(f"{base}/api/v1/league/join", {"code": created["codes"][0]["code"]}).json()
    b = post_json(f"{base}/api/v1/league/join", {"code": created["codes"][1]["code"]}).json()
    assert (a["team"]["id"], b["team"]["id"]) == ("t1", "t2")
    trainer = Trainer(base)
    trainer.control(pk, action="open", round=0)
    for token in (a["token"], b["token"]):
        assert post_json(f"{base}/api/v1/league/play", {}, token).status == 200
    assert post_json(f"{base}/api/v1/league/claims", {"n": 1, "t": 0.0}, a["token"]).status == 200
    export = trainer.export(pk)
    claims = {(p["team"], p["member"]): len(p["claims"]) for p in export["plays"]}
    assert claims == {("t1", 1): 1, ("t2", 1): 0}
    # no token, a forged token, a desk token on the trainer's routes
    assert post_json(f"{base}/api/v1/league/claims", {"n": 1, "t": 0.0}).status == 401
    assert post_json(f"{base}/api/v1/league/claims", {"n": 1, "t": 0.0}, "x" * 40).status == 401
    for path in (f"/api/v1/league/{pk}/board", f"/api/v1/league/{pk}/export"):
        answer = request(base + path, headers={"Authorization": f"Bearer {a['token']}"})
        assert answer.status == 401
    answer = request(f"{base}/api/v1/league/{pk}/control", "POST", b'{"action":"pause"}',
                     {"Content-Type": "application/json", "Authorization": f"Bearer {a['token']}"})  # fmt: skip
    assert answer.status == 401
    # the trainer's control needs the CSRF header too
    answer = request(f"{base}/api/v1/league/{pk}/control", "POST", b'{"action":"pause"}',
                     {"Content-Type": "application/json"}, trainer.admin.opener)  # fmt: skip
    assert answer.status == 403
    # a kicked desk is out; re-admitted, its member joins again and resumes its play
    engine = make_engine(url)
    try:
        desk_pk = LeagueStore(engine).desk_for_token(a["token"])
    finally:
        engine.dispose()
    trainer.control(pk, action="kick", desk=desk_pk)
    assert (
        post_json(f"{base}/api/v1/league/heartbeat", {"contact_id": None}, a["token"]).status == 401
    )
    code = created["codes"][0]["code"]
    assert post_json(f"{base}/api/v1/league/join", {"code": code, "member": 1}).status == 403
    trainer.control(pk, action="readmit", desk=desk_pk)
    again = post_json(f"{base}/api/v1/league/join", {"code": code, "member": 1})
    assert again.status == 200, again.text
    resumed = post_json(f"{base}/api/v1/league/play", {}, again.json()["token"]).json()
    assert len(resumed["claims"]) == 1


def test_server_killed_mid_round_loses_nothing_and_desks_continue(league: Any) -> None:
    url, server, tmp_path = league
    created = _create(url, "class-zh")
    pk = created["pk"]
    comp = load_competition("class-zh")
    trainer = Trainer(server.url)
    port = int(server.url.rsplit(":", 1)[1])
    tokens = []
    for team, policy in zip(created["codes"][:3], POLICIES[:3], strict=True):
        answer = post_json(f"{server.url}/api/v1/league/join", {"code": team["code"]}).json()
        tokens.append((answer["token"], policy))
    trainer.control(pk, action="open", round=0)
    acked: list[tuple[str, int, str]] = []
    restarted: list[Any] = []

    def kill_and_restart() -> None:
        time.sleep(4.0)  # ~4 sim-minutes into the round
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(10)
        time.sleep(1.0)
        restarted.append(
            start_server(url, tmp_path / "srv2", clock_speed=SPEED, secret=SECRET, port=port)
        )

    killer = threading.Thread(target=kill_and_restart)
    killer.start()
    plays = _play_all(server.url, tokens, comp, crash_first_after_s=2.5)
    killer.join()
    try:
        for p in plays:
            for seq, d in enumerate(p.session.decision_log, start=1):
                acked.append((p.client.token or "", seq, d[2]))
        trainer = Trainer(restarted[0].url)
        _wait_round_closed(trainer, pk, 0)
        export = trainer.export(pk)
        by_len = sorted(len(p["decisions"]) for p in export["plays"])
        assert by_len == sorted(len(p.session.decision_log) for p in plays)
        assert all(len(p["decisions"]) > 0 for p in export["plays"])
        # what each desk applied (only acknowledged decisions) is exactly the server's journal
        server_logs = sorted(json.dumps(p["decisions"]) for p in export["plays"])
        desk_logs = sorted(json.dumps([list(d) for d in p.session.decision_log]) for p in plays)
        assert server_logs == desk_logs
        live = trainer.board(pk, "trainer")
        assert {k: v for k, v in live.items() if k != "frozen"} == board_from_export(comp, export)
        # a desk that crashes resumes from the server: rebuilt, its session equals the journal
        client = LeagueClient(restarted[0].url, token=tokens[0][0])
        assert urllib.request is not None and client.state()["round"]["status"] == "closed"
    finally:
        for s in restarted:
            s.stop()
