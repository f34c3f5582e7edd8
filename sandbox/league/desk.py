"""A member's desk in a classroom competition: the connection to the server and the member's
session of the open round. Used by the scripted desk (`shapan competition take`), the tests
and the benchmark; the pygame desk drives the same `MemberPlay`.

Why this shape: the server owns the journal, the claims and the clock. The desk rebuilds its
session from what the server returns (`play()`: claims and journal), so a desk that crashed
resumes with nothing lost; each decision is applied locally only once acknowledged; when the
seat is free it claims the team's next customer and waits for the answer before its session
passes the moment that customer could ring (the claim is the only thing a desk must wait for).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from sandbox.exam.replay import Chooser, policy_chooser
from sandbox.league.model import Competition
from sandbox.league.team_form import Claim, member_session
from sandbox.server.client import AttemptClosed, ClientError, ConnectionLost, ExamClient

#: Wall seconds between heartbeats, and between two tries of a call that lost its connection.
HEARTBEAT_S = 2.0
RETRY_S = 0.5
#: How long (wall s) a desk keeps retrying a lost server before it gives up.
GIVE_UP_S = 120.0


class LeagueClient(ExamClient):
    """One desk's seat in one team. `join()` trades the team code for the seat's token (kept
    by the desk: `LeagueClient(url, code, token=...)` resumes the same seat after a crash)."""

    def __init__(self, base_url: str, code: str = "", *, member: int | None = None,
                 token: str | None = None, timeout: float = 5.0) -> None:  # fmt: skip
        super().__init__(base_url, code, timeout)
        self.member = member
        self.token = token

    def join(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code}
        if self.member is not None:
            body["member"] = self.member
        answer = self._call("POST", "/league/join", body, auth=False)
        self.token = str(answer["token"])
        return answer

    def state(self) -> dict[str, Any]:
        return self._call("GET", "/league/state", None)

    def play(self) -> dict[str, Any]:
        return self._call("POST", "/league/play", {})

    def claim(self, n: int, t: float) -> dict[str, Any]:
        return self._call("POST", "/league/claims", {"n": int(n), "t": float(t)})

    def decide(self, seq: int, t: float, contact_id: str, choice_id: str) -> dict[str, Any]:
        body = {"seq": int(seq), "t": float(t), "contact_id": contact_id, "choice_id": choice_id}
        return self._call("POST", "/league/decisions", body)

    def heartbeat(self, contact_id: str | None) -> dict[str, Any]:
        return self._call("POST", "/league/heartbeat", {"contact_id": contact_id})


def _retrying(call: Callable[[], dict[str, Any]], give_up_s: float = GIVE_UP_S) -> dict[str, Any]:
    """A call retried while the server cannot be reached (a restart, a network blip)."""
    deadline = time.monotonic() + give_up_s
    while True:
        try:
            return call()
        except ConnectionLost:
            if time.monotonic() > deadline:
                raise
            time.sleep(RETRY_S)


class DeskClaims:
    """The engine's `FormClaims` over the server: the claims the server already journaled,
    then one call per newly free seat (retried while the server is away)."""

    def __init__(self, client: LeagueClient, known: list[Claim], offset_s: float) -> None:
        self.client = client
        self.known = known
        self.offset_s = offset_s
        self.answers: dict[int, tuple[int, float] | None] = {}
        self.broken = False
        for n, c in enumerate(known, start=1):
            self.answers[n] = None if c.k == 0 else (c.k, c.ring_s - offset_s)

    def reserve(self, n: int, t: float) -> None:
        # never raises: it runs inside the engine's event loop. A round that closed means no
        # customer (the server journals none either); any other refusal marks the session
        # for a rebuild from the server's journal.
        if n in self.answers:
            return
        try:
            got = _retrying(lambda: self.client.claim(n, t))
        except AttemptClosed:
            self.answers[n] = None
            return
        except ClientError:
            self.answers[n] = None
            self.broken = True
            return
        self.answers[n] = None if got.get("k") is None else (int(got["k"]), float(got["ring_at"]))

    def take(self, n: int) -> tuple[int, float] | None:
        return self.answers.get(n)


class MemberPlay:
    """The member's session of the open round, kept in step with the server."""

    def __init__(self, client: LeagueClient, comp: Competition) -> None:
        self.client = client
        self.comp = comp
        self.session: Any = None
        self.seq = 0
        self.limit_s = 0.0
        self.anchor = (0.0, time.monotonic())
        self.speed = 1.0
        self.paused = False
        self.round_index = -1
        self.closed = False
        self.rebuild()

    def rebuild(self) -> None:
        """(Re)build the session from the server's claims and journal."""
        answer = _retrying(self.client.play)
        play = answer["play"]
        claims = [Claim(int(c[0]), float(c[1]), float(c[2]), tuple(c[3])) for c in answer["claims"]]
        self.round_index = int(play["round"])
        self.limit_s = float(play["limit_s"])
        self.speed = float(play["clock_speed"])
        self.paused = bool(play["paused"])
        source = self.source = DeskClaims(self.client, claims, float(play["offset_s"]))
        if self.session is not None:
            self.session.close()
        self.session = member_session(self.comp, self.round_index, max(self.limit_s, 1.0), source)
        for e in answer["journal"]:
            self.session.run_until(float(e["t"]))
            self.session.decide(e["contact_id"], e["choice_id"])
        self.seq = int(play["head_seq"])
        self.anchor = (float(play["server_now_s"]), time.monotonic())
        self.closed = play["status"] != "open"

    def clock(self) -> float:
        """The member's session time as the server's clock says now."""
        t0, wall0 = self.anchor
        if self.paused:
            return min(t0, self.limit_s)
        return min(self.limit_s, t0 + (time.monotonic() - wall0) * self.speed)

    def heartbeat(self) -> dict[str, Any]:
        contact = next(iter(self.session.center.active), None) if self.session else None
        state = _retrying(lambda: self.client.heartbeat(contact))
        rnd = state.get("round") or {}
        self.paused = bool(state.get("paused"))
        if rnd.get("index") != self.round_index or rnd.get("status") != "open":
            self.closed = True
        elif rnd.get("server_now_s") is not None:
            self.anchor = (float(rnd["server_now_s"]), time.monotonic())
        return state

    def advance(self) -> None:
        target = self.clock()
        if target > self.session.now:
            self.session.run_until(target)
        if self.source.broken:  # a claim was refused: start again from the server's view
            self.rebuild()

    def decide(self, contact_id: str, choice_id: str) -> None:
        """Send the decision; apply it once acknowledged. A refusal rebuilds the session."""
        t = self.session.now
        try:
            ack = _retrying(lambda: self.client.decide(self.seq + 1, t, contact_id, choice_id))
        except AttemptClosed:
            self.closed = True
            return
        except ClientError:
            self.rebuild()
            return
        self.seq = int(ack["seq"])
        self.session.decide(contact_id, choice_id)


def play_round(
    client: LeagueClient,
    comp: Competition,
    chooser: Chooser,
    *,
    think_s: float = 5.0,
    seed: int = 1,
    tick_s: float = 0.05,
    stop: Callable[[], bool] | None = None,
) -> MemberPlay:
    """A scripted member plays the open round to its end: `chooser` decides `think_s` (sim
    seconds) after each decision appears. Returns the play (its session at the end)."""
    rng = random.Random(seed)
    member = MemberPlay(client, comp)
    due: dict[tuple[str, int], float] = {}
    beat = 0.0
    while not member.closed and (stop is None or not stop()):
        try:
            member.advance()
        except ConnectionLost:
            time.sleep(RETRY_S)
            continue
        s = member.session
        now = s.now
        for p in s.pending_decisions():
            cid = p["contact_id"]
            made = sum(1 for d in s.decision_log if d[1] == cid)
            at = due.setdefault((cid, made), now + think_s)
            if at <= now + 1e-9:
                run = s.center.active[cid].play.run
                member.decide(cid, chooser(dict(p), run, rng))
                break
        if time.monotonic() - beat >= HEARTBEAT_S:
            beat = time.monotonic()
            member.heartbeat()
        if member.clock() >= member.limit_s - 1e-9 and not member.paused:
            member.heartbeat()
            if member.closed:
                break
        time.sleep(tick_s)
    return member


__all__ = ["DeskClaims", "LeagueClient", "MemberPlay", "play_round", "policy_chooser"]
