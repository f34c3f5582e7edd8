"""LeagueStore on both backends (SQLite and PostgreSQL): a round played by scripted members
through the store's own calls gives the board recomputed offline from its export, claims are
idempotent and shared by a team, and the trainer's controls change what desks see."""

from __future__ import annotations

import json
import random
import time
from typing import Any

import pytest

from sandbox.league.offline import board_from_export
from sandbox.league.team_form import member_session
from sandbox.server.db import make_engine, migrate
from sandbox.server.league_store import LeagueStore, Removed, SeatTaken
from sandbox.server.store import Rejected

SPEED = 120.0


class _StoreClaims:
    """A member's claims straight through the store (what the HTTP route calls)."""

    def __init__(self, store: LeagueStore, desk: int) -> None:
        self.store, self.desk = store, desk
        self.answers: dict[int, dict[str, Any]] = {}

    def reserve(self, n: int, t: float) -> None:
        self.answers[n] = self.store.claim(self.desk, n, t)

    def take(self, n: int) -> tuple[int, float] | None:
        a = self.answers[n]
        return None if a["k"] is None else (a["k"], a["ring_at"])


@pytest.fixture
def store(db_url: str) -> Any:
    engine = make_engine(db_url)
    migrate(engine)
    yield LeagueStore(engine, clock_speed=SPEED)
    engine.dispose()


def test_a_round_through_the_store_gives_the_offline_board(store: LeagueStore) -> None:
    from journeys.policies import choose

    created = store.create("class-zh")
    pk = created["pk"]
    comp = store.competition(pk)
    desks = []
    for team, policy in zip(created["codes"][:3], ("expert", "novice", "random"), strict=True):
        for _ in range(2):
            joined = store.join(team["code"])
            desks.append((store.desk_for_token(joined["token"]), policy))
    with pytest.raises(SeatTaken):
        store.join(created["codes"][0]["code"])  # both seats of the team are taken
    store.open_round(pk, 0)
    plays = []
    for desk, policy in desks:
        answer = store.start_play(desk)["play"]
        claims = _StoreClaims(store, desk)
        plays.append((desk, policy, member_session(comp, 0, answer["limit_s"], claims), claims))
    rng = random.Random(3)
    seqs = {desk: 0 for desk, *_ in plays}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = store.desk_state(plays[0][0])
        if state["round"]["status"] != "open" or state["round"]["now_s"] >= 600 - 1e-6:
            break
        for desk, policy, session, _ in plays:
            now = store.desk_state(desk)["round"]["server_now_s"]
            session.run_until(min(now, session.end))
            for p in session.pending_decisions():
                cid = p["contact_id"]
                choice = choose(policy, session.center.active[cid].play.run, rng)
                seqs[desk] += 1
                store.decide(desk, seqs[desk], session.now, cid, choice)
                session.decide(cid, choice)
                break
        time.sleep(0.02)
    # claims are idempotent: a desk asking again for its first customer gets the same one
    desk, _, _, claims = plays[0]
    first = claims.answers[1]
    again = store.claim(desk, 1, 0.0)
    assert (again["k"], again["ring_at"]) == (first["k"], first["ring_at"])
    store.close_round(pk, 0)
    assert store.desk_state(desk)["round"]["status"] == "closed"
    export = store.export(pk)
    assert any(p["decisions"] for p in export["plays"])
    # a team's members never share a customer; teams meet the same customer k
    by_team: dict[str, list[int]] = {}
    for p in export["plays"]:
        by_team.setdefault(p["team"], []).extend(c[0] for c in p["claims"] if c[0])
    assert all(len(ks) == len(set(ks)) for ks in by_team.values())
    board = store.board(pk, view="trainer")
    offline = board_from_export(comp, json.loads(json.dumps(export)))
    assert {k: v for k, v in board.items() if k != "frozen"} == offline
    ranks = {r["team_id"]: r["rank"] for r in board["rows"]}
    assert ranks["t1"] < ranks["t3"]  # expert above random


def test_controls_are_what_desks_see(store: LeagueStore) -> None:
    created = store.create("class-en")  # open sign-up
    pk = created["pk"]
    assert created["codes"] == [] and created["join_code"]
    team = store.signup(created["join_code"], "<b>Team & Co</b>")
    with pytest.raises(Rejected):
        store.signup(created["join_code"], "<b>Team & Co</b>")  # names are unique
    desk = store.desk_for_token(store.join(team["code"])["token"])
    state = store.desk_state(desk)
    assert state["team"]["name"] == "<b>Team & Co</b>" and state["round"] is None
    store.announce(pk, "Round 1 starts now")
    store.open_round(pk, 0)
    store.pause(pk)
    paused = store.desk_state(desk)
    assert paused["paused"] and paused["announcement"]["text"] == "Round 1 starts now"
    held = paused["round"]["now_s"]
    time.sleep(0.3)
    assert store.desk_state(desk)["round"]["now_s"] == held  # the clock stops in a fire drill
    store.resume(pk)
    store.extend_round(pk, 0, 60)
    assert store.desk_state(desk)["round"]["duration_s"] == comp_duration(store, pk) + 60
    store.freeze(pk)
    assert store.desk_state(desk)["rank"] is None and store.board(pk)["frozen"]
    store.unfreeze(pk)
    assert store.desk_state(desk)["rank"] is not None
    store.kick(desk)
    with pytest.raises(Removed):
        store.desk_state(desk)


def comp_duration(store: LeagueStore, pk: int) -> float:
    return float(store.competition(pk).rounds[0].duration_s)
