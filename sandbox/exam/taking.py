"""One candidate taking one exam attempt: the only exam logic the pygame desk and the scripted
desk (`shapan exam take`) share (docs/exam-server.md).

Why one class for both: what an attempt *is* — the form's session, the journal, the clock, the
rules of exam mode (timed, no coaching, unavailable choices hidden, no pause) — must not differ
between a human at the desk and a bot in a test, or the tests would prove nothing.

- **Online** (`ExamTaking.online(client)`): the server owns the journal and the clock. A
  decision is sent first and applied to the local session only once acknowledged (durable on
  the server); while it cannot be sent the local session waits at the decision's time and the
  desk shows "connection lost". A refused decision (stale, out of order) rebuilds the session
  from the server's journal. Opening rebuilds from the journal and runs to the server clock,
  so a desk that crashed resumes with nothing lost and the clock honest.
- **The network never blocks the desk.** Every call of an online attempt (a decision, a
  heartbeat, a retry, a resynchronising re-open, the result) goes through `_Link`: one
  background thread fed by a queue, one call out at a time, in order. The thread only runs the
  client's call and hands back its answer; it never touches the session. The frame thread
  applies the answers with `poll()` (`advance()` polls first), so `decide()` returns at once
  with the decision "sending" and the picture and the clock keep moving while the server is
  slow or gone. `ExamTaking.online(client, background=False)` runs the same calls inline
  (the synchronous path: the same code, answers applied at once).
- **Offline** (`ExamTaking.offline(ref)`): an unproctored practice exam; the local clock is
  the clock, the result is `grade()` of the local journal (marked "unproctored", unsigned).

The local session never runs ahead of the clock: `advance(wall_dt)` moves it at `clock_speed`
sim seconds per wall second up to the clock as this desk knows it (re-anchored from the
server's `server_now_s` by heartbeats and acknowledgements), and every decision carries the
session time it was taken at.
"""

from __future__ import annotations

import queue
import tempfile
import threading
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.exam import journal as chain
from sandbox.exam.errors import ExamError, JournalError
from sandbox.exam.model import Exam

if TYPE_CHECKING:  # pragma: no cover
    from sandbox.server.client import ExamClient

#: Connection states the desk shows.
CONNECTED, RECONNECTING, UNPROCTORED, CLOSED = "connected", "reconnecting", "unproctored", "closed"
#: Wall seconds between heartbeats (each re-anchors the clock and reports the contact).
HEARTBEAT_S = 4.0
#: Wall seconds between two tries of a call that lost its connection.
RETRY_S = 1.0
#: Wall seconds a call may be out before the desk says "reconnecting" (the server is slow or
#: unreachable; the client's own timeout ends the call later).
SLOW_S = 2.0

Words = dict[str, str]


class TakingError(Exception):
    """A one-line, bilingual refusal (a changed exam, a decision that cannot be taken)."""

    def __init__(self, words: Words) -> None:
        super().__init__(words["en"])
        self.words = words

    def message(self, lang: str = "en") -> str:
        return self.words.get(lang) or self.words["en"]

    def line(self) -> str:
        """Both languages in one line, for a terminal."""
        return f"{self.words['en']} / {self.words['zh-CN']}"


def _w(en: str, zh: str) -> Words:
    return {"en": en, "zh-CN": zh}


def _num(value: Any, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return float(value)


def load_exam_ref(ref: str | Path) -> Exam:
    """A shipped exam id or an exam file; a broken one is a `TakingError` (its first error)."""
    from sandbox.exam.loader import load_exam

    try:
        return load_exam(ref)
    except ExamError as err:
        first = err.render().splitlines()[0] if err.render() else str(err)
        raise TakingError(_w(f"the exam has errors: {first}", f"考试文件有错误：{first}")) from None


def _server_exam(block: dict[str, Any]) -> Exam:
    """The server's exam: the shipped one by its ref, else its YAML text loaded from a temp
    file; either way compared with the server's content hash by the caller."""
    from sandbox.exam.loader import shipped_exams

    ref = str(block.get("ref") or "")
    if ref in shipped_exams():
        return load_exam_ref(ref)
    text = block.get("yaml")
    if not isinstance(text, str) or not text:
        raise TakingError(
            _w(
                f"the exam {ref!r} is not installed here and the server sent no exam file",
                f"本机没有考试 {ref!r}，服务器也未发送考试文件",
            )
        )
    with tempfile.TemporaryDirectory(prefix="shapan-exam-") as tmp:
        path = Path(tmp) / f"{Path(ref).stem or 'exam'}.yaml"
        path.write_text(text, encoding="utf-8")
        return load_exam_ref(path)


def _scenario_hash(prov: dict[str, Any]) -> Any:
    sc = prov.get("scenario")
    return sc.get("hash") if isinstance(sc, dict) else sc


def provenance_differences(local: dict[str, Any], server: dict[str, Any]) -> list[str]:
    """What differs between this machine's form session and the server's: the scenario hash,
    each journey hash, the outcome-model version. Only what the server states is compared."""
    out: list[str] = []
    if "scenario" in server and _scenario_hash(server) != _scenario_hash(local):
        out.append("the scenario")
    theirs, ours = server.get("journeys"), local.get("journeys") or {}
    if isinstance(theirs, dict):
        for jid in sorted(set(theirs) | set(ours)):
            if theirs.get(jid) != ours.get(jid):
                out.append(f"journey {jid}")
    if "model_version" in server and server.get("model_version") != local.get("model_version"):
        out.append("the outcome models")
    return out


class _Call:
    """One call to the server: its `kind` (decide, heartbeat, resync, finish), what it runs
    (`run`: the client's call only — never the session), the decision it carries (`meta`), the
    desk's wall time it was started at, and its answer: `value`, or `error` (the exception)."""

    __slots__ = ("error", "kind", "meta", "run", "sent_wall", "value")

    def __init__(
        self,
        kind: str,
        run: Callable[[], Any],
        sent_wall: float,
        meta: tuple[int, float, str, str] | None = None,
    ) -> None:
        self.kind, self.run, self.sent_wall, self.meta = kind, run, sent_wall, meta
        self.value: Any = None
        self.error: Exception | None = None

    def __call__(self) -> _Call:
        try:
            self.value = self.run()
        except Exception as err:  # a ClientError, or a bug: handed to the frame thread either way
            self.error = err
        return self


def _work(todo: queue.SimpleQueue[_Call | None], done: queue.SimpleQueue[_Call]) -> None:
    """The network thread: run each call as it comes, hand its answer back; `None` ends it."""
    while (call := todo.get()) is not None:
        done.put(call())


class _Link:
    """Carries an attempt's calls to the server, one at a time, in order. In the background
    (one daemon thread fed by a queue), `start` returns at once and `answer()` picks the answer
    up when it has come, never waiting unless asked to; inline (`background=False`) `start`
    runs the call there and then. At most one call is out (`out`)."""

    def __init__(self, background: bool) -> None:
        self.background = background
        self.out: _Call | None = None
        self._todo: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._done: queue.SimpleQueue[_Call] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        # a taking dropped without `shutdown` still ends its thread
        weakref.finalize(self, self._todo.put, None)

    @property
    def busy(self) -> bool:
        return self.out is not None

    def start(self, call: _Call) -> None:
        assert self.out is None, "one call at a time"
        self.out = call
        if not self.background:
            self._done.put(call())
            return
        if self._thread is None:
            self._thread = threading.Thread(
                target=_work, args=(self._todo, self._done), name="shapan-exam-net", daemon=True
            )
            self._thread.start()
        self._todo.put(call)

    def answer(self, timeout: float | None = 0.0) -> _Call | None:
        """The call out, once answered (waiting up to `timeout` real seconds; `None`: until
        it is); else None."""
        if self.out is None:
            return None
        try:
            if timeout is not None and timeout <= 0:
                call = self._done.get_nowait()
            else:
                call = self._done.get(timeout=timeout)
        except queue.Empty:
            return None
        self.out = None
        return call

    def close(self) -> None:
        """End the thread once the call out (if any) is done."""
        if self._thread is not None:
            self._todo.put(None)
            self._thread = None


class ExamTaking:
    """One attempt at one form. Build it with `offline` or `online`."""

    def __init__(
        self,
        exam: Exam,
        form_index: int,
        *,
        client: ExamClient | None = None,
        clock_speed: float = 1.0,
        limit_s: float | None = None,
        contact_limit_s: float | None = None,
        entries: Sequence[dict[str, Any]] = (),
        now_s: float = 0.0,
        candidate: str = "",
        lang: str | None = None,
        background: bool = True,
    ) -> None:
        if not (0 <= form_index < len(exam.forms)):
            raise TakingError(
                _w(
                    f"form {form_index} does not exist; exam {exam.id} has forms 0..{len(exam.forms) - 1}",
                    f"卷 {form_index} 不存在；考试 {exam.id} 只有卷 0..{len(exam.forms) - 1}",
                )
            )
        if clock_speed <= 0:
            raise TakingError(_w("the clock speed must be above 0", "时钟倍速必须大于 0"))
        self.exam = exam
        self.form_index = form_index
        self.form = exam.forms[form_index]
        self.client = client
        self.is_online = client is not None
        self.clock_speed = float(clock_speed)
        self.limit_s = float(limit_s if limit_s is not None else exam.exam_limit_s)
        self.contact_limit_s = (
            contact_limit_s if contact_limit_s is not None else exam.contact_limit_s
        )
        self.candidate = candidate
        self.lang = lang if lang in ("zh-CN", "en") else exam.lang
        self.state = CONNECTED if self.is_online else UNPROCTORED
        self.closed = False
        #: the signed result once the server sent it (online), or the graded one (offline)
        self.result: dict[str, Any] | None = None
        #: messages for the candidate (bilingual), taken by the desk with `pop_notices`
        self.notices: list[Words] = []
        #: called with each journal entry the server acknowledged (e.g. to log it)
        self.on_ack: Callable[[dict[str, Any]], None] | None = None
        self.session: Any = None
        self.journal: list[dict[str, Any]] = []
        self._prefix = f"{exam.seat}-"
        self._queued: tuple[int, float, str, str] | None = None
        self._need_resync = False
        self._wall = 0.0  # wall seconds this desk has run (the sum of advance's wall_dt)
        self._anchor_clock = 0.0  # the clock (sim s) at wall `_anchor_wall`
        self._anchor_wall = 0.0
        self._next_beat = HEARTBEAT_S
        self._next_retry = 0.0
        self._last_contact: str | None = None
        #: the calls to the server (online): in the background, or inline (the synchronous path)
        self._link = _Link(background) if client is not None else None
        self._want_result = False  # the desk asked for the result: fetch it (and retry)
        self._outcome: Any = None  # what the last applied decision returned
        #: the last failed call's words (e.g. why the result cannot be fetched yet)
        self.last_error: Words | None = None
        self._rebuild(entries, now_s)

    # ---- building ----------------------------------------------------------------------
    @classmethod
    def offline(
        cls,
        exam_ref: str | Path | Exam,
        form_index: int = 0,
        *,
        entries: Sequence[dict[str, Any]] = (),
        now_s: float = 0.0,
        clock_speed: float = 1.0,
        candidate: str = "",
        lang: str | None = None,
    ) -> ExamTaking:
        """An unproctored practice attempt on the local clock. `entries` and `now_s` resume
        one from a journal prefix (the same path an online resume takes)."""
        exam = exam_ref if isinstance(exam_ref, Exam) else load_exam_ref(exam_ref)
        return cls(
            exam,
            form_index,
            entries=entries,
            now_s=now_s,
            clock_speed=clock_speed,
            candidate=candidate,
            lang=lang,
        )

    @classmethod
    def online(
        cls,
        client: ExamClient,
        *,
        candidate: str = "",
        lang: str | None = None,
        background: bool = True,
    ) -> ExamTaking:
        """Open (or resume) the client's attempt: check the exam and the provenance against
        the server's, rebuild from the server's journal, run to the server clock. Raises the
        client's errors (`UnknownCode`, `NotYet`, `AttemptClosed` with its result,
        `ConnectionLost`) and `TakingError` when this machine's exam differs. This first call
        is made here and now (before a desk opens); every later one goes through the
        background thread (`background=False`: inline, the synchronous path)."""
        opened = client.open()
        exam, form_index, attempt = cls._check_opened(opened)
        name = candidate or str(attempt.get("candidate") or "")
        return cls(
            exam,
            form_index,
            client=client,
            clock_speed=_num(attempt.get("clock_speed"), 1.0),
            limit_s=_num(attempt.get("limit_s"), exam.exam_limit_s),
            contact_limit_s=(
                _num(attempt.get("contact_limit_s"), 0.0)
                if attempt.get("contact_limit_s") is not None
                else None
            ),
            entries=list(opened.get("journal") or []),
            now_s=_num(attempt.get("server_now_s"), 0.0),
            candidate=name,
            lang=lang or str(attempt.get("lang") or "") or None,
            background=background,
        )

    @staticmethod
    def _check_opened(opened: dict[str, Any]) -> tuple[Exam, int, dict[str, Any]]:
        from sandbox.exam.replay import form_session

        raw_attempt, raw_block = opened.get("attempt"), opened.get("exam")
        attempt: dict[str, Any] = raw_attempt if isinstance(raw_attempt, dict) else {}
        block: dict[str, Any] = raw_block if isinstance(raw_block, dict) else {}
        exam = _server_exam(block)
        ref = block.get("ref") or exam.id
        if block.get("content_hash") != exam.content_hash:
            raise TakingError(
                _w(
                    f"exam {ref} here differs from the server's (content hash "
                    f"{str(block.get('content_hash'))[:12]} on the server, {exam.content_hash[:12]} here); "
                    "install the same shapan version",
                    f"本机考试 {ref} 与服务器上的不同（内容哈希不同），请安装相同版本的 shapan",
                )
            )
        form_index = int(_num(attempt.get("form_index"), 0))
        server_prov = block.get("provenance")
        if isinstance(server_prov, dict):
            local = form_session(exam, form_index).provenance()
            diff = provenance_differences(local, server_prov)
            if diff:
                what = ", ".join(diff)
                raise TakingError(
                    _w(
                        f"this machine's {what} differ(s) from the server's for exam {ref}; the "
                        "attempt cannot be replayed identically (install the same shapan version)",
                        f"本机的{what}与服务器不同（考试 {ref}），无法一致重放，请安装相同版本的 shapan",
                    )
                )
        return exam, form_index, attempt

    def _rebuild(
        self, entries: Sequence[dict[str, Any]], now_s: float, at_wall: float | None = None
    ) -> None:
        """The form's session with `entries` replayed (run_until(t), decide), then run to the
        clock `now_s`: what every resume and resynchronisation does."""
        from sandbox.exam.replay import form_session
        from sandbox.session import SessionError

        session = form_session(self.exam, self.form_index)
        kept: list[dict[str, Any]] = []
        for i, entry in enumerate(entries, start=1):
            try:
                t, cid, choice = (
                    float(entry["t"]),
                    str(entry["contact_id"]),
                    str(entry["choice_id"]),
                )
                session.run_until(t)
                session.decide(cid, choice)
            except (KeyError, TypeError, ValueError, SessionError) as err:
                raise TakingError(
                    _w(
                        f"the journal does not replay at seq {i}: {err}",
                        f"考试记录在第 {i} 条无法重放：{err}",
                    )
                ) from None
            kept.append(dict(entry))
        self.session, self.journal = session, kept
        self._queued = None
        self._anchor(now_s, at_wall)
        session.run_until(min(max(now_s, session.now), self.limit_s))

    def _anchor(self, clock_s: float, at_wall: float | None = None) -> None:
        """The clock read `clock_s` at this desk's wall time `at_wall` (default now)."""
        self._anchor_clock = float(clock_s)
        self._anchor_wall = self._wall if at_wall is None else at_wall

    # ---- the clock ---------------------------------------------------------------------
    @property
    def clock_s(self) -> float:
        """The attempt's clock (sim seconds) as this desk knows it: the last server reading
        (or the local start) plus `clock_speed` x the wall seconds since, capped at the limit."""
        run = self._anchor_clock + self.clock_speed * (self._wall - self._anchor_wall)
        return min(self.limit_s, run)

    @property
    def now(self) -> float:
        """The local session's time: what a decision is stamped with."""
        return float(self.session.now)

    @property
    def time_left_s(self) -> float:
        return max(0.0, self.limit_s - self.clock_s)

    @property
    def sending(self) -> bool:
        """A decision is waiting for the server's acknowledgement (the session waits too)."""
        return self._queued is not None

    @property
    def sending_choice(self) -> tuple[str, str] | None:
        """(contact id, choice id) of the decision being sent, for the desk to show."""
        return None if self._queued is None else (self._queued[2], self._queued[3])

    @property
    def busy(self) -> bool:
        """A call to the server is out (its answer has not been applied yet)."""
        return self._link is not None and self._link.busy

    @property
    def connection(self) -> str:
        """What the desk shows: closed, unproctored, reconnecting (a call failed, or has been
        out for more than `SLOW_S` wall seconds), sending (a decision or a resynchronisation
        under way) or connected."""
        if self.closed:
            return CLOSED
        if self._link is None:
            return UNPROCTORED
        out = self._link.out
        if self.state == RECONNECTING or (out is not None and self._wall - out.sent_wall > SLOW_S):
            return RECONNECTING
        if self._queued is not None or self._need_resync:
            return "sending"
        return CONNECTED

    def tick(self, wall_dt: float) -> None:
        """Move this desk's wall time on by `wall_dt` and `poll()`; the session stays where it
        is (the desk's frame while it waits for the result)."""
        self._wall += max(0.0, float(wall_dt))
        self.poll()

    def advance(
        self,
        wall_dt: float,
        *,
        budget_s: float | None = None,
        stop_at: float | None = None,
        until_decision: bool = False,
    ) -> float:
        """Move on by `wall_dt` wall seconds: `poll()` (apply the server's answers, start the
        call that is due: heartbeat, retry of a queued decision, resynchronisation), then run
        the session toward the clock (or `stop_at`, if earlier), within `budget_s` of wall time
        per call when given, or event by event stopping when a decision appears at the seat
        (`until_decision`: a bot sees it at the instant it appears, whatever the wall pacing).
        While a decision is being sent the session does not move. Never waits on the network.
        Returns the session time."""
        self.tick(wall_dt)
        if self.closed or self._queued is not None or self._need_resync:
            return self.now
        target = self.clock_s if stop_at is None else min(self.clock_s, stop_at)
        if target > self.now and not self.session.finished:
            if until_decision:
                self._run_to_decision(target)
            elif budget_s is None:
                self.session.run_until(target)
            else:
                self.session.advance_frame(target - self.now, budget_s)
        return self.now

    def _run_to_decision(self, target: float) -> None:
        session = self.session
        while self.now < target and not session.finished:
            upcoming = float(session.env.peek())
            session.run_until(min(target, upcoming))
            if any(c.id.startswith(self._prefix) for c in session.center.pending()):
                return

    # ---- the network: started and applied by the frame thread, carried by `_Link` ---------
    def poll(self) -> None:
        """Apply what the server answered (in order), then start the call that is due. Never
        waits: the frame thread calls it every frame (`advance` and `tick` do)."""
        link = self._link
        if link is None:
            return
        while True:
            call = link.answer()
            if call is not None:
                self._apply(call)
                continue
            if not self._start_due() or link.background:
                return

    def wait(self, timeout_s: float | None) -> bool:
        """Wait up to `timeout_s` real seconds (None: until the client's own timeout ends it)
        for the answer of the call out, then `poll()`. For the scripted desk and tests (a
        virtual wall must not run ahead of the server's answer); the pygame desk never waits.
        Returns whether the answer came."""
        link = self._link
        if link is None or link.out is None:
            return True
        call = link.answer(timeout_s)
        if call is None:
            return False
        self._apply(call)
        self.poll()
        return True

    def shutdown(self) -> None:
        """End the network thread (a desk that quits); the attempt lives on on the server."""
        if self._link is not None:
            self._link.close()

    def _start(self, kind: str, run: Callable[[], Any], meta: Any = None) -> bool:
        assert self._link is not None
        self._link.start(_Call(kind, run, self._wall, meta))
        return True

    def _start_due(self) -> bool:
        """Start the call that is due, if none is out: the result (once asked for), a
        resynchronisation, a queued decision (first try or retry), a heartbeat."""
        client = self.client
        assert self._link is not None and client is not None
        if self._link.busy:
            return False
        due = self._wall >= self._next_retry
        if self._want_result:
            fetch = self.result is None and due
            return fetch and self._start("finish", lambda: _finish_call(client))
        if self.closed:
            return False
        if self._need_resync:
            return due and self._start("resync", client.open)
        if self._queued is not None:
            seq, t, contact_id, choice_id = queued = self._queued
            return due and self._start(
                "decide", lambda: client.decide(seq, t, contact_id, choice_id), queued
            )
        if self._wall >= self._next_beat:
            self._next_beat = self._wall + HEARTBEAT_S
            contact = self.current_contact()  # read here: the thread never reads the session
            return self._start("heartbeat", lambda: client.heartbeat(contact))
        return False

    def _apply(self, call: _Call) -> None:
        """One answer, on the frame thread. A non-client error is a bug: raised here, as the
        synchronous path would have raised it."""
        from sandbox.server.client import ClientError

        err = call.error
        if err is not None and not isinstance(err, ClientError):
            raise err
        if err is not None:
            self.last_error = err.words
        getattr(self, f"_on_{call.kind}")(call)

    def _mid_wall(self, call: _Call) -> float:
        """When the server read its clock, as well as this desk can tell: half-way through
        the call (the synchronous path: the instant it was made)."""
        return (call.sent_wall + self._wall) / 2.0

    def _lost(self, call: _Call) -> None:
        """The call could not reach the server: try again `RETRY_S` after it was made (a call
        that hung until its timeout is tried again at once)."""
        self.state = RECONNECTING
        self._next_retry = call.sent_wall + RETRY_S

    def _on_heartbeat(self, call: _Call) -> None:
        from sandbox.server.client import AttemptClosed, ConnectionLost

        err = call.error
        if isinstance(err, ConnectionLost):
            self.state = RECONNECTING
            return
        if isinstance(err, AttemptClosed):
            self._close(err.result)
            return
        if err is not None:  # refused: the next heartbeat tries again
            return
        beat: dict[str, Any] = call.value
        self.state, self.last_error = CONNECTED, None
        now = beat.get("server_now_s")
        if isinstance(now, (int, float)) and not isinstance(now, bool):
            self._anchor(float(now), self._mid_wall(call))
        status = beat.get("status")
        if isinstance(status, str) and status not in ("active", "open", "opened"):
            self._close(None)

    def _on_decide(self, call: _Call) -> None:
        """A decision's answer: applied to the session only now that the server has it."""
        from sandbox.server.client import AttemptClosed, ConnectionLost

        if call.meta is None or call.meta != self._queued:
            return  # no longer wanted (the attempt closed or was resynchronised meanwhile)
        seq, t, contact_id, choice_id = call.meta
        err = call.error
        if isinstance(err, ConnectionLost):  # retried with the same seq
            self._lost(call)
            return
        if isinstance(err, AttemptClosed):
            self._close(err.result)
            self.notices.append(
                _w("the exam is over: the decision was not recorded", "考试已结束：该操作未被记录")
            )
            return
        if err is not None:  # refused (late, out of order): take the server's journal
            self._resync_now()
            return
        ack: dict[str, Any] = call.value
        entry: dict[str, Any] = {
            "seq": seq,
            "t": float(t),
            "contact_id": contact_id,
            "choice_id": choice_id,
            "received_at": str(ack.get("received_at") or ""),
            "prev_hash": chain.head(self.journal),
        }
        entry["hash"] = str(ack.get("hash") or "")
        self.state, self.last_error = CONNECTED, None
        if chain.entry_hash(entry) != entry["hash"]:
            # the server's chain is not the one this desk holds: take the server's word
            self._resync_now()
            return
        self._queued = None
        self._outcome = self.session.decide(contact_id, choice_id)
        self.journal.append(entry)
        if self.on_ack is not None:
            self.on_ack(entry)
        now = ack.get("server_now_s")
        if isinstance(now, (int, float)) and not isinstance(now, bool):
            self._anchor(float(now), self._mid_wall(call))

    def _resync_now(self) -> None:
        self._need_resync = True
        self._next_retry = self._wall

    def _on_resync(self, call: _Call) -> None:
        """Rebuild from the server's journal (the attempt re-opened). The queued decision, if
        any, either is in it (its acknowledgement was lost) or was not recorded: say so."""
        from sandbox.server.client import AttemptClosed, ConnectionLost

        err = call.error
        if isinstance(err, ConnectionLost):
            self._lost(call)
            return
        if isinstance(err, AttemptClosed):
            self._close(err.result)
            return
        if err is not None:  # unknown code, retake wait: as the synchronous path, it is raised
            raise err
        opened: dict[str, Any] = call.value
        queued = self._queued
        exam, form_index, attempt = self._check_opened(opened)
        entries = list(opened.get("journal") or [])
        self.exam, self.form_index, self.form = exam, form_index, exam.forms[form_index]
        # the server read its clock `server_now_s` half-way through the call
        self._rebuild(
            entries, _num(attempt.get("server_now_s"), self.clock_s), self._mid_wall(call)
        )
        self._need_resync = False
        self.state, self.last_error = CONNECTED, None
        if queued is not None:
            seq, _t, contact_id, choice_id = queued
            done = any(
                e.get("seq") == seq
                and e.get("contact_id") == contact_id
                and e.get("choice_id") == choice_id
                for e in entries
            )
            if not done:
                self.notices.append(
                    _w(
                        "your last decision was NOT recorded (the server refused it as late); "
                        "the desk has caught up with the server — decide again",
                        "你的上一个操作未被记录（服务器判定已过时），工作台已与服务器同步，请重新选择",
                    )
                )

    def _on_finish(self, call: _Call) -> None:
        err = call.error
        if err is not None:  # the server cannot be reached (or refuses for now): try again
            self._lost(call)
            return
        self._close(call.value)
        if self._link is not None:
            self._link.close()

    def _close(self, result: dict[str, Any] | None) -> None:
        self.closed = True
        self.state = CLOSED
        self._queued = None
        self._need_resync = False
        if result is not None:
            self.result = result

    # ---- decisions ---------------------------------------------------------------------
    def current_contact(self) -> str | None:
        """The seat's contact waiting for a decision, else the last one decided on."""
        for p in self.session.pending_decisions():
            if str(p["contact_id"]).startswith(self._prefix):
                return str(p["contact_id"])
        return self._last_contact

    def pending(self) -> list[dict[str, Any]]:
        """The seat's pending decisions in exam mode: unavailable choices are hidden."""
        if self.closed or self._queued is not None or self._need_resync:
            return []
        out = []
        for p in self.session.pending_decisions():
            if str(p["contact_id"]).startswith(self._prefix):
                q = dict(p)
                q["choices"] = [c for c in p["choices"] if c.get("available", True)]
                out.append(q)
        return out

    def decisions_made(self, contact_id: str) -> int:
        """How many decisions of the journal are on `contact_id` (the bot's decision number)."""
        return sum(1 for e in self.journal if e["contact_id"] == contact_id)

    def pending_since(self, contact_id: str) -> float:
        """The session time the contact's pending decision appeared."""
        return float(self.session.center.active[contact_id].pending_since)

    def journey_run(self, contact_id: str) -> Any:
        """The journey run of a pending contact: what a bot policy reads to choose."""
        return self.session.center.active[contact_id].play.run

    def decide(self, contact_id: str, choice_id: str) -> Any:
        """Take a decision at the session's time. Offline: applied and journaled at once.
        Online: queued ("sending") and returns at once; it is applied when the server's
        acknowledgement is polled (`poll`/`advance`) — a lost connection retries it with the
        same seq, a refusal resynchronises. Returns the outcome when it was applied before
        returning (inline calls), else None. One decision at a time: a second one while the
        first is being sent is a `TakingError`."""
        from sandbox.session import SessionError

        if self.closed or self.finished:
            raise TakingError(_w("the exam is over", "考试已结束"))
        if self._queued is not None or self._need_resync:
            raise TakingError(
                _w("the previous decision is still being sent", "上一个操作仍在发送中")
            )
        if not contact_id.startswith(self._prefix):
            raise TakingError(
                _w(f"contact {contact_id} is not at your seat", f"联络 {contact_id} 不在你的席位")
            )
        offered = next((p for p in self.pending() if p["contact_id"] == contact_id), None)
        if offered is None or choice_id not in [c["id"] for c in offered["choices"]]:
            raise TakingError(
                _w(
                    f"choice {choice_id} is not on offer for {contact_id} now",
                    f"当前不能对 {contact_id} 选择 {choice_id}",
                )
            )
        self._last_contact = contact_id
        if not self.is_online:
            try:
                outcome = self.session.decide(contact_id, choice_id)
            except SessionError as err:
                raise TakingError(_w(str(err), str(err))) from None
            t = float(self.session.decision_log[-1][0])
            chain.append(self.journal, t, contact_id, choice_id)
            return outcome
        self._queued = (len(self.journal) + 1, self.now, contact_id, choice_id)
        self._next_retry = self._wall  # due now
        self._outcome = None
        self.poll()
        return self._outcome if self._queued is None else None

    def pop_notices(self) -> list[Words]:
        out, self.notices = self.notices, []
        return out

    # ---- the end -----------------------------------------------------------------------
    def contacts_done(self) -> int:
        """How many of the form's customers have ended at the seat."""
        human = getattr(self.session.recorder, "human", [])
        return sum(1 for r in human if str(r.get("contact_id", "")).startswith(self._prefix))

    def contact_number(self, contact_id: str | None) -> int | None:
        """k of the form's customer `contact_id` (`trainee-003` -> 3)."""
        if not contact_id or not contact_id.startswith(self._prefix):
            return None
        tail = contact_id[len(self._prefix) :]
        return int(tail) if tail.isdigit() else None

    @property
    def finished(self) -> bool:
        """Closed by the server, time up, or every customer of the form done."""
        return (
            self.closed
            or self.clock_s >= self.limit_s
            or self.session.finished
            or self.contacts_done() >= self.form.customers
        )

    def decisions(self) -> list[list[Any]]:
        """The plain decision log of the journal (what grading replays)."""
        return chain.decisions(self.journal)

    def finish(self) -> dict[str, Any]:
        """The attempt's result. Online: the server closes the attempt, grades it by replay and
        signs it (`ConnectionLost` propagates: call again). Offline: `grade()` of the local
        journal, "unproctored" and unsigned."""
        if self.result is not None:
            return self.result
        if not self.is_online:
            from sandbox.exam.grading import grade

            try:
                graded = grade(self.exam, self.form_index, self.decisions())
            except JournalError as err:  # pragma: no cover - the journal replayed already
                raise TakingError(_w(str(err), str(err))) from None
            self.result = graded.to_json()
            self.closed, self.state = True, CLOSED
            return self.result
        client, link = self.client, self._link
        assert client is not None and link is not None
        while link.out is not None:  # the call out is answered (and applied) first, in order
            answered = link.answer(None)
            if answered is not None:
                self._apply(answered)
        if self.result is not None:
            return self.result
        call = _Call("finish", lambda: _finish_call(client), self._wall)
        link.start(call)
        while link.answer(None) is None:
            pass
        if call.error is not None:
            raise call.error
        result: dict[str, Any] = call.value
        self._close(result)
        link.close()
        return result

    def request_result(self) -> dict[str, Any] | None:
        """The desk's `finish`, which never waits: the result when it is here (offline: at
        once); online otherwise None, having asked the server in the background (retried
        every `RETRY_S` while it cannot be reached; `tick`/`advance` carry it on)."""
        if self.result is not None or self._link is None:
            return self.finish()
        if not self._want_result:
            self._want_result = True
            self._next_retry = self._wall
        self.poll()
        return self.result


def _finish_call(client: ExamClient) -> dict[str, Any]:
    """Close the attempt on the server and return its signed result (a closed one's too)."""
    from sandbox.server.client import AttemptClosed

    try:
        return client.finish()
    except AttemptClosed as err:
        return client.result() if err.result is None else err.result


# ---- the scripted desk's candidate ---------------------------------------------------------
def due_at(taking: ExamTaking, pending: dict[str, Any], think_s: float) -> float:
    """When a bot decides: `think_s` after the decision appeared (the engine's record of it,
    a function of the contact's state), so a resumed run decides at the same times."""
    return taking.pending_since(str(pending["contact_id"])) + think_s


def bot_choice(taking: ExamTaking, pending: dict[str, Any], policy: str, seed: int) -> str:
    """The bot's choice, from (contact, its decision number, bot seed) only: an interrupted
    and an uninterrupted run choose alike."""
    import random

    from sandbox.exam.replay import policy_chooser

    cid = str(pending["contact_id"])
    rng = random.Random(f"{seed}:{cid}:{taking.decisions_made(cid)}")
    return policy_chooser(policy)(pending, taking.journey_run(cid), rng)


def run_bot(
    taking: ExamTaking,
    policy: str,
    *,
    think_s: float = 5.0,
    seed: int = 1,
    wall: Any = None,
    sleep: Any = None,
    max_sleep_s: float = 0.05,
) -> None:
    """Take the attempt with a bot policy, paced in wall time against the clock (`wall()`
    seconds, `sleep(s)`; default the real ones) until it is finished. Each decision is taken
    `think_s` after it appears, at exactly that session time."""
    import math
    import time

    wall = wall or time.monotonic
    sleep = sleep or time.sleep
    last = wall()
    while not taking.finished:
        due = math.inf
        decided = False
        for p in taking.pending():
            at = due_at(taking, p, think_s)
            if taking.now >= at:
                taking.decide(str(p["contact_id"]), bot_choice(taking, p, policy, seed))
                decided = True
                break
            due = min(due, at)
        if decided:
            continue
        current = wall()
        taking.advance(
            current - last, stop_at=None if due == math.inf else due, until_decision=True
        )
        last = current
        if taking.finished:
            break
        if taking.busy:
            # a call is out: wait for its answer in real time (polled at once) rather than let
            # the wall — a test's virtual one too — run ahead of the server
            taking.wait(max_sleep_s)
        elif taking.now < due or taking.sending:
            ahead = (due - taking.clock_s) / taking.clock_speed if due < math.inf else max_sleep_s
            sleep(min(max_sleep_s, max(0.001, ahead)))
