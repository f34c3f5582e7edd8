"""ExamTaking: one candidate taking one attempt (sandbox/exam/taking.py).

Offline taking grades exactly like `grade()` of its journal; a resume from a journal prefix ends
in the same result as an uninterrupted run; decisions carry the session time and the session
never runs ahead of the clock. Online behaviour runs against `FakeServer`, an in-process stand-in
that keeps the contract of docs/exam-server.md (seq, time window, hash chain, 409/410), so the
desk's side — acknowledge before apply, retry with the same seq, resynchronise on a refusal,
refuse a different exam — is tested without HTTP; the real server has its own end-to-end test.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

import pytest

from sandbox.exam import grade, load_exam
from sandbox.exam import journal as chain
from sandbox.exam.replay import form_session
from sandbox.exam.taking import (
    CONNECTED,
    RECONNECTING,
    UNPROCTORED,
    ExamTaking,
    TakingError,
    bot_choice,
    run_bot,
)
from sandbox.server.client import AttemptClosed, ConnectionLost, Rejected

EXAM = "cs-cert-zh"


class FakeWall:
    """Virtual wall time: `sleep` moves it, so a paced run takes no real time."""

    def __init__(self) -> None:
        self.t = 0.0

    def wall(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


@pytest.fixture(scope="module")
def exam() -> Any:
    return load_exam(EXAM)


@pytest.fixture(scope="module")
def provenance(exam: Any) -> dict[str, Any]:
    return form_session(exam, 0).provenance()


def take_offline(exam: Any, **kw: Any) -> ExamTaking:
    taking = ExamTaking.offline(
        exam, 0, **{k: v for k, v in kw.items() if k in ("entries", "now_s")}
    )
    fake = FakeWall()
    run_bot(taking, kw.get("policy", "competent"), think_s=5.0, seed=kw.get("seed", 3),
            wall=fake.wall, sleep=fake.sleep, max_sleep_s=1.0)  # fmt: skip
    return taking


@pytest.fixture(scope="module")
def uninterrupted(exam: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    taking = take_offline(exam)
    return [dict(e) for e in taking.journal], taking.finish()


# ---- offline -------------------------------------------------------------------------------
def test_offline_result_is_grade_of_its_journal(exam: Any, uninterrupted: Any) -> None:
    entries, result = uninterrupted
    assert len(entries) >= 10
    assert chain.audit(entries) == []
    assert result == grade(exam, 0, chain.decisions(entries)).to_json()
    assert result["proctoring"] == "unproctored" and "signature" not in result
    assert [c["status"] for c in result["contacts"]] == ["graded"] * exam.customers


def test_offline_state_and_exam_mode(exam: Any) -> None:
    taking = ExamTaking.offline(EXAM)
    assert taking.state == UNPROCTORED and not taking.is_online
    assert taking.time_left_s == exam.exam_limit_s
    while not taking.pending():
        taking.advance(1.0)
    p = taking.pending()[0]
    assert p["choices"] and all(c["available"] for c in p["choices"])
    offered = taking.session.pending_decisions()[0]["choices"]
    assert len(p["choices"]) == sum(1 for c in offered if c["available"])


def test_resume_from_a_journal_prefix_gives_the_same_result(exam: Any, uninterrupted: Any) -> None:
    entries, result = uninterrupted
    for k in (1, len(entries) // 2, len(entries) - 1):
        prefix = [dict(e) for e in entries[:k]]
        resumed = take_offline(exam, entries=prefix, now_s=prefix[-1]["t"])
        assert chain.decisions(resumed.journal) == chain.decisions(entries), k
        assert resumed.finish() == result


def test_bot_choices_depend_on_contact_number_and_seed_only(exam: Any) -> None:
    a = ExamTaking.offline(exam, 0)
    while not a.pending():
        a.advance(1.0)
    p = a.pending()[0]
    picks = {bot_choice(a, p, "random", seed) for seed in range(12)}
    assert len(picks) > 1  # the seed matters
    assert bot_choice(a, p, "random", 5) == bot_choice(a, p, "random", 5)


def test_time_cannot_be_gamed(exam: Any) -> None:
    taking = ExamTaking.offline(exam, 0)
    taking.advance(7.5, stop_at=10**9)  # asking for more does not run past the clock
    assert taking.now == pytest.approx(7.5) and taking.clock_s == pytest.approx(7.5)
    while not taking.pending():
        taking.advance(0.5)
    p = taking.pending()[0]
    with pytest.raises(TakingError):
        taking.decide(p["contact_id"], "no-such-choice")
    with pytest.raises(TakingError):
        taking.decide("bot-000001", p["choices"][0]["id"])
    taking.advance(3.0)
    when = taking.now
    taking.decide(p["contact_id"], p["choices"][0]["id"])
    assert taking.journal[-1]["t"] == when == taking.session.decision_log[-1][0]
    taking.advance(10**6)  # past the limit: capped, time is up
    assert taking.clock_s == exam.exam_limit_s and taking.time_left_s == 0 and taking.finished
    with pytest.raises(TakingError):
        taking.decide(p["contact_id"], p["choices"][0]["id"])


def test_resume_runs_to_the_clock_not_to_the_last_decision(exam: Any, uninterrupted: Any) -> None:
    entries, _ = uninterrupted
    resumed = ExamTaking.offline(exam, 0, entries=entries[:3], now_s=entries[2]["t"] + 40.0)
    assert resumed.now == pytest.approx(entries[2]["t"] + 40.0)
    assert resumed.journal == entries[:3]


def test_a_journal_that_does_not_replay_is_refused(exam: Any, uninterrupted: Any) -> None:
    entries, _ = uninterrupted
    bad = [dict(e) for e in entries[:2]]
    bad[1]["choice_id"] = "no-such-choice"
    with pytest.raises(TakingError, match="seq 2"):
        ExamTaking.offline(exam, 0, entries=bad, now_s=bad[1]["t"])


# ---- online, against a stand-in server -----------------------------------------------------
class FakeServer:
    """The server's side of the contract, in process: clock = wall x speed, a hash-chained
    journal, seq and time-window checks, 409/410 answers."""

    def __init__(self, exam: Any, provenance: dict[str, Any], wall: FakeWall, speed: float = 1.0):
        self.exam, self.wall, self.speed = exam, wall, speed
        self.provenance = copy.deepcopy(provenance)
        self.content_hash = exam.content_hash
        self.journal: list[dict[str, Any]] = []
        self.started: float | None = None
        self.closed = False
        self.result: dict[str, Any] | None = None
        self.heartbeats: list[Any] = []

    def now(self) -> float:
        assert self.started is not None
        return min(self.exam.exam_limit_s, (self.wall.t - self.started) * self.speed)

    def open(self) -> dict[str, Any]:
        if self.closed:
            raise AttemptClosed(410, {"result": self.result})
        if self.started is None:
            self.started = self.wall.t
        return {
            "token": "tok",
            "attempt": {"status": "active", "form_index": 0, "limit_s": self.exam.exam_limit_s,
                        "contact_limit_s": self.exam.contact_limit_s, "clock_speed": self.speed,
                        "server_now_s": self.now(), "lang": "zh-CN", "candidate": "Li Lei"},
            "exam": {"ref": EXAM, "yaml": "", "content_hash": self.content_hash,
                     "provenance": self.provenance},
            "journal": copy.deepcopy(self.journal),
        }  # fmt: skip

    def decide(self, seq: int, t: float, contact_id: str, choice_id: str) -> dict[str, Any]:
        if self.closed:
            raise AttemptClosed(410, {"result": self.result})
        now = self.now()
        last = self.journal[-1]["t"] if self.journal else 0.0
        ok = seq == len(self.journal) + 1 and last <= t <= now + 2 * self.speed
        if not ok or t < now - 20 * self.speed:
            raise Rejected(409, {"error": {"en": "refused", "zh-CN": "拒绝"},
                                 "head_seq": len(self.journal), "server_now_s": now})  # fmt: skip
        entry = chain.append(self.journal, t, contact_id, choice_id)
        return {"seq": seq, "hash": entry["hash"], "received_at": entry["received_at"],
                "server_now_s": now}  # fmt: skip

    def heartbeat(self, contact_id: str | None) -> dict[str, Any]:
        if self.closed:
            raise AttemptClosed(410, {"result": self.result})
        self.heartbeats.append(contact_id)
        return {"server_now_s": self.now(), "status": "active"}

    def finish(self) -> dict[str, Any]:
        if not self.closed:
            self.closed = True
            result = grade(self.exam, 0, chain.decisions(self.journal)).to_json()
            self.result = {**result, "proctoring": "proctored"}
        assert self.result is not None
        return self.result


class FakeClient:
    """ExamClient's interface over a FakeServer; `down` loses the connection, `lose_ack`
    records the next decision and then loses its acknowledgement. `stall_s` > 0: the server
    stalls — each call hangs for `stall_s` real seconds (the client's timeout) and then fails
    as `ConnectionLost`, unless `release` is set meanwhile (the server answers after all).
    `gate`: each call waits until it is set (a slow server that does answer)."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.down = False
        self.lose_ack = False
        self.calls: list[str] = []
        self.stall_s = 0.0
        self.release = threading.Event()
        self.gate: threading.Event | None = None
        self.threads: set[str] = set()

    def _net(self, name: str) -> None:
        self.calls.append(name)
        self.threads.add(threading.current_thread().name)
        if self.gate is not None:
            assert self.gate.wait(30.0), "the test never opened the gate"
        if self.stall_s > 0 and not self.release.wait(self.stall_s):
            raise ConnectionLost({"en": "timed out", "zh-CN": "超时"})
        if self.down:
            raise ConnectionLost({"en": "down", "zh-CN": "断开"})

    def open(self) -> dict[str, Any]:
        self._net("open")
        return self.server.open()

    def decide(self, seq: int, t: float, contact_id: str, choice_id: str) -> dict[str, Any]:
        self._net("decide")
        ack = self.server.decide(seq, t, contact_id, choice_id)
        if self.lose_ack:
            self.lose_ack = False
            raise ConnectionLost({"en": "ack lost", "zh-CN": "应答丢失"})
        return ack

    def heartbeat(self, contact_id: str | None) -> dict[str, Any]:
        self._net("heartbeat")
        return self.server.heartbeat(contact_id)

    def finish(self) -> dict[str, Any]:
        self._net("finish")
        return self.server.finish()

    def result(self) -> dict[str, Any]:
        self._net("result")
        assert self.server.result is not None
        return self.server.result


def online(server: FakeServer, background: bool = True) -> tuple[ExamTaking, FakeClient]:
    client = FakeClient(server)
    return ExamTaking.online(client, background=background), client  # type: ignore[arg-type]


def settle(taking: ExamTaking) -> None:
    """Let the calls out be answered and applied (the network thread is real; the wall of
    these tests is not, so they wait for the answers instead of sleeping past them)."""
    while taking.busy:
        assert taking.wait(5.0), "the stand-in server did not answer"


@pytest.fixture(params=[True, False], ids=["background", "inline"])
def background(request: Any) -> bool:
    """Online tests run both ways: calls on the network thread, and inline (synchronous)."""
    return bool(request.param)


def test_online_full_attempt_matches_the_servers_journal(
    exam: Any, provenance: Any, background: bool
) -> None:
    wall = FakeWall()
    server = FakeServer(exam, provenance, wall, speed=60.0)
    taking, client = online(server, background)
    assert taking.candidate == "Li Lei" and taking.clock_speed == 60.0
    run_bot(taking, "competent", seed=3, wall=wall.wall, sleep=wall.sleep)
    result = taking.finish()
    assert taking.journal == server.journal  # the same chain, hash for hash
    assert result == server.result
    assert {k: v for k, v in result.items() if k != "proctoring"} == {
        k: v for k, v in grade(exam, 0, chain.decisions(server.journal)).to_json().items()
        if k != "proctoring"
    }  # fmt: skip
    assert "heartbeat" in client.calls and server.heartbeats


def test_online_resume_after_a_crash_loses_nothing(
    exam: Any, provenance: Any, background: bool
) -> None:
    wall = FakeWall()
    server = FakeServer(exam, provenance, wall, speed=60.0)
    first, _ = online(server, background)
    while len(server.journal) < 6:  # the desk dies after six acknowledged decisions
        p = first.pending()
        if p:
            first.decide(p[0]["contact_id"], bot_choice(first, p[0], "competent", 3))
            settle(first)
        else:
            wall.sleep(0.05)
            first.advance(0.05)
    acked = copy.deepcopy(server.journal)
    wall.sleep(3.0)  # ... and restarts 3 wall seconds (180 sim s) later
    second, _ = online(server, background)
    assert second.journal == acked
    assert second.now == pytest.approx(server.now())  # the clock honest: it ran on meanwhile
    run_bot(second, "competent", seed=3, wall=wall.wall, sleep=wall.sleep)
    assert second.finish() == server.result
    assert server.journal[:6] == acked


def test_connection_lost_keeps_the_decision_and_retries_the_same_seq(
    exam: Any, provenance: Any, background: bool
) -> None:
    wall = FakeWall()
    server = FakeServer(exam, provenance, wall)
    taking, client = online(server, background)
    while not taking.pending():
        wall.sleep(0.5)
        taking.advance(0.5)
        settle(taking)
    p = taking.pending()[0]
    client.down = True
    at = taking.now
    assert taking.decide(p["contact_id"], p["choices"][0]["id"]) is None
    settle(taking)
    assert taking.sending and taking.state == RECONNECTING and server.journal == []
    assert taking.pending() == []  # nothing else can be decided meanwhile
    wall.sleep(2.0)
    taking.advance(2.0)
    settle(taking)
    assert taking.now == at  # the session waits at the decision's time
    client.down = False
    wall.sleep(1.0)
    taking.advance(1.0)
    settle(taking)
    assert not taking.sending and taking.state == CONNECTED
    assert [e["seq"] for e in server.journal] == [1] and server.journal[0]["t"] == at
    assert taking.journal == server.journal
    assert taking.session.decision_log == [[at, p["contact_id"], p["choices"][0]["id"]]]


def test_a_lost_acknowledgement_is_not_a_lost_decision(
    exam: Any, provenance: Any, background: bool
) -> None:
    wall = FakeWall()
    server = FakeServer(exam, provenance, wall)
    taking, client = online(server, background)
    while not taking.pending():
        wall.sleep(0.5)
        taking.advance(0.5)
        settle(taking)
    p = taking.pending()[0]
    client.lose_ack = True
    assert taking.decide(p["contact_id"], p["choices"][0]["id"]) is None
    settle(taking)
    assert len(server.journal) == 1 and taking.sending
    wall.sleep(1.0)
    taking.advance(1.0)  # retry: seq 1 is already there -> refused -> resync from the journal
    settle(taking)
    assert not taking.sending and taking.journal == server.journal
    assert taking.pop_notices() == []  # it was recorded: nothing to tell the candidate


def test_a_stale_decision_is_refused_and_the_desk_resyncs(
    exam: Any, provenance: Any, background: bool
) -> None:
    wall = FakeWall()
    server = FakeServer(exam, provenance, wall)
    taking, client = online(server, background)
    while not taking.pending():
        wall.sleep(0.5)
        taking.advance(0.5)
        settle(taking)
    p = taking.pending()[0]
    client.down = True
    taking.decide(p["contact_id"], p["choices"][0]["id"])
    settle(taking)
    wall.sleep(30.0)  # offline longer than the server's 20 s window
    client.down = False
    taking.advance(30.0)
    settle(taking)
    assert server.journal == [] and not taking.sending
    assert taking.now == pytest.approx(server.now())
    notes = taking.pop_notices()
    assert len(notes) == 1 and "NOT recorded" in notes[0]["en"] and "未被记录" in notes[0]["zh-CN"]


def test_a_different_exam_or_provenance_is_refused(exam: Any, provenance: Any) -> None:
    wall = FakeWall()
    server = FakeServer(exam, provenance, wall)
    jid = sorted(provenance["journeys"])[0]
    server.provenance["journeys"][jid] = "0" * 64
    with pytest.raises(TakingError, match=f"journey {jid}") as err:
        online(server)
    assert "\n" not in err.value.line() and "服务器" in err.value.words["zh-CN"]
    server = FakeServer(exam, provenance, wall)
    server.provenance["model_version"] = "other"
    with pytest.raises(TakingError, match="outcome models"):
        online(server)
    server = FakeServer(exam, provenance, wall)
    server.content_hash = "f" * 64
    with pytest.raises(TakingError, match="content hash"):
        online(server)


def test_a_closed_attempt_ends_the_taking(exam: Any, provenance: Any, background: bool) -> None:
    wall = FakeWall()
    server = FakeServer(exam, provenance, wall)
    taking, _ = online(server, background)
    server.finish()
    from sandbox.exam.taking import HEARTBEAT_S

    wall.sleep(HEARTBEAT_S + 1.0)
    taking.advance(HEARTBEAT_S + 1.0)  # the next heartbeat learns it
    settle(taking)
    assert taking.finished and taking.closed and taking.result == server.result
    with pytest.raises(AttemptClosed):
        online(server)


# ---- the network off the frame thread ------------------------------------------------------
def first_decision(wall: FakeWall, taking: ExamTaking) -> dict[str, Any]:
    while not taking.pending():
        wall.sleep(0.5)
        taking.advance(0.5)
        settle(taking)
    return taking.pending()[0]


def timed(fn: Any, *args: Any, **kw: Any) -> float:
    start = time.perf_counter()
    fn(*args, **kw)
    return time.perf_counter() - start


def test_a_stalled_server_never_blocks_the_frame(exam: Any, provenance: Any) -> None:
    """Each call hangs 1.2 s then times out: `decide`, `advance` and `poll` still return in a
    few ms, the clock and the session move on, the desk says "reconnecting", and once the
    server answers again the decision is recorded with its seq and time."""
    from sandbox.exam.taking import SLOW_S

    wall = FakeWall()
    server = FakeServer(exam, provenance, wall)
    taking, client = online(server)
    client.threads.clear()  # opening happens before the desk does, on its own thread
    p = first_decision(wall, taking)
    client.stall_s = 1.2
    at, left = taking.now, taking.time_left_s
    costs = [timed(taking.decide, p["contact_id"], p["choices"][0]["id"])]
    assert taking.sending and taking.sending_choice == (p["contact_id"], p["choices"][0]["id"])
    assert taking.connection == "sending"
    end = time.perf_counter() + 2.0  # longer than one stalled call: it times out meanwhile
    while time.perf_counter() < end:
        wall.sleep(0.05)
        costs.append(timed(taking.advance, 0.05, budget_s=0.01))
        costs.append(timed(taking.poll))
        time.sleep(0.01)
    assert max(costs) < 0.03, max(costs)
    assert taking.time_left_s < left - SLOW_S  # the clock kept moving
    assert taking.connection == RECONNECTING and taking.state == RECONNECTING
    assert taking.now == at and server.journal == []  # the session waits at the decision
    assert taking.pending() == [] and taking.sending
    with pytest.raises(TakingError, match="still being sent"):
        taking.decide(p["contact_id"], p["choices"][0]["id"])
    # the server is back: the retry (same seq, same time) is acknowledged and applied
    client.stall_s = 0.0
    for _ in range(100):
        wall.sleep(0.05)
        taking.advance(0.05)
        settle(taking)
        if not taking.sending:
            break
    assert [(e["seq"], e["t"]) for e in server.journal] == [(1, at)]
    assert taking.journal == server.journal and taking.connection == CONNECTED
    assert client.threads == {"shapan-exam-net"}  # every call after opening, off the frame


def test_a_stalled_heartbeat_does_not_stop_the_session(exam: Any, provenance: Any) -> None:
    from sandbox.exam.taking import HEARTBEAT_S

    wall = FakeWall()
    server = FakeServer(exam, provenance, wall)
    taking, client = online(server)
    client.stall_s = 5.0
    wall.sleep(HEARTBEAT_S + 0.5)
    taking.advance(HEARTBEAT_S + 0.5)
    for _ in range(100):  # the network thread has it
        if client.calls[-1] == "heartbeat":
            break
        time.sleep(0.01)
    assert taking.busy and client.calls[-1] == "heartbeat"
    before = taking.now
    for _ in range(30):
        wall.sleep(0.1)
        assert timed(taking.advance, 0.1) < 0.5  # the simulation's own work, no network
    assert taking.busy and taking.now == pytest.approx(before + 3.0)
    assert taking.connection == RECONNECTING  # out for longer than SLOW_S
    client.release.set()  # the server answers after all
    settle(taking)
    assert taking.connection == CONNECTED and server.heartbeats


def test_an_acknowledgement_is_applied_once_in_order_when_polled(
    exam: Any, provenance: Any
) -> None:
    """The server acknowledges while the frame thread is elsewhere: nothing changes until the
    frame thread polls; then the decision is applied exactly once, and the next one after it."""
    wall = FakeWall()
    server = FakeServer(exam, provenance, wall)
    taking, client = online(server)
    acked: list[int] = []
    taking.on_ack = lambda entry: acked.append(entry["seq"])
    for n in (1, 2):
        p = first_decision(wall, taking)
        client.gate = threading.Event()
        choice = p["choices"][0]["id"]
        assert taking.decide(p["contact_id"], choice) is None
        time.sleep(0.05)
        assert server.journal[n - 1 :] == [] and taking.sending
        client.gate.set()  # the server answers while the frame thread does something else
        for _ in range(500):
            if len(server.journal) == n:
                break
            time.sleep(0.01)
        time.sleep(0.05)  # the acknowledgement is on its way back, not yet applied
        assert len(server.journal) == n and len(taking.journal) == n - 1 and taking.sending
        assert len(taking.session.decision_log) == n - 1
        taking.poll()
        assert len(taking.journal) == n and not taking.sending
        for _ in range(3):
            taking.poll()
            taking.advance(0.0)
        assert taking.journal == server.journal and acked == list(range(1, n + 1))
        assert [d[1:] for d in taking.session.decision_log][-1] == [p["contact_id"], choice]
        assert len(taking.session.decision_log) == n
        client.gate = None


def test_background_and_synchronous_paths_take_the_same_attempt(exam: Any, provenance: Any) -> None:
    """The same bot through the network thread and inline: the same decisions at the same
    times, the same journal (but for the server's receipt stamps) and the same result."""
    runs = []
    for background_ in (False, True):
        wall = FakeWall()
        server = FakeServer(exam, provenance, wall, speed=60.0)
        taking, client = online(server, background_)
        client.threads.clear()
        run_bot(taking, "novice", seed=11, wall=wall.wall, sleep=wall.sleep)
        runs.append((taking.finish(), taking.journal, server.journal, client.threads))
    (sync_result, sync_journal, sync_server, sync_threads), (result, journal, srv, threads) = runs
    assert sync_threads == {threading.current_thread().name} and threads == {"shapan-exam-net"}
    assert journal == srv and sync_journal == sync_server
    assert chain.decisions(journal) == chain.decisions(sync_journal) and len(journal) >= 10
    assert [e["seq"] for e in journal] == [e["seq"] for e in sync_journal]
    assert result == sync_result


def test_the_result_is_fetched_without_waiting(exam: Any, provenance: Any) -> None:
    wall = FakeWall()
    server = FakeServer(exam, provenance, wall)
    taking, client = online(server)
    client.stall_s = 1.0
    assert timed(taking.request_result) < 0.03
    assert taking.request_result() is None and taking.busy
    for _ in range(300):
        if taking.state == RECONNECTING:
            break
        time.sleep(0.01)
        taking.tick(0.01)
    assert taking.state == RECONNECTING and taking.result is None
    client.stall_s = 0.0
    wall.sleep(1.5)
    taking.tick(1.5)  # the retry, after RETRY_S
    settle(taking)
    assert taking.result == server.result and taking.closed
    assert taking.request_result() == server.result
