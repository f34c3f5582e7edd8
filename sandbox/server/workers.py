"""Replay workers: the server's simulation work in K worker processes (docs/exam-server.md).

Why processes: checking a decision (its attempt's live replay, ~8 ms of pure Python) and grading
an attempt (a whole replay, a few hundred ms) are CPU work; in the server's own process they hold
the GIL, so acknowledgements queue behind them and a burst of gradings at an exam's end stalls
every desk. Here each worker process runs one `Replayer` (sandbox.server.live) — the very code the
in-process path runs, so results are the same bytes — and the server process keeps HTTP, SQL and
signing (the private key never leaves it).

- Sticky routing: attempt `a` is always checked on worker `a % K`, which keeps its live session
  in its own LRU (memory bounded per worker). Grading needs no state and goes to the least busy
  worker, so gradings of different attempts run in parallel.
- A check whose worker has no session at `head_seq` answers "need decisions"; only then does
  the store read the journal and send it. `commit`/`forget` are one-way messages on the same
  ordered pipe, so they reach the worker before that attempt's next check.
- A worker that dies is restarted; its requests in flight are retried once on the new worker
  (which rebuilds the attempts it is asked about from the journal). A request that does not
  answer in time raises `WorkerFailure`, and its worker is restarted (it is hung or hopelessly
  behind). `close()` stops them all.
- Messages are plain JSON (bytes on a multiprocessing pipe); workers are started with the
  "spawn" context (the server has threads, so no fork).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import queue
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from sandbox.exam.errors import JournalError
from sandbox.server.live import ExamMismatch, LoadDecisions, NotReplayable, Replayer

log = logging.getLogger("shapan.server.workers")

CHECK_TIMEOUT_S = 30.0
GRADE_TIMEOUT_S = 300.0
START_TIMEOUT_S = 60.0


class WorkerFailure(Exception):
    """A worker died, did not answer in time, or failed unexpectedly (the request may be
    retried later; nothing was decided)."""


def default_count() -> int:
    """`min(os.cpu_count(), 4)` workers."""
    return max(1, min(os.cpu_count() or 1, 4))


def _dumps(msg: dict[str, Any]) -> bytes:
    return json.dumps(msg, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- the worker process -----------------------------------------------------------------------


class _NeedDecisions(Exception):
    pass


def _no_decisions() -> Sequence[Sequence[Any]]:
    raise _NeedDecisions


def _serve(replayer: Replayer, msg: dict[str, Any]) -> dict[str, Any] | None:
    """One request -> its answer (None for the one-way commit/forget)."""
    op = msg.get("op")
    try:
        if op == "check":
            given = msg.get("decisions")

            def load() -> Sequence[Sequence[Any]]:
                return _no_decisions() if given is None else given

            try:
                replayer.check(msg["attempt"], msg["ref"], msg["hash"], msg["form"], msg["head"],
                               msg["t"], msg["contact"], msg["choice"], load,
                               provenance=msg.get("provenance"))  # fmt: skip
            except _NeedDecisions:
                return {"need": "decisions"}
            return {"ok": True}
        if op == "commit":
            replayer.commit(msg["attempt"], msg["seq"])
            return None
        if op == "forget":
            replayer.forget(msg["attempt"])
            return None
        if op == "grade":
            result = replayer.grade(msg["ref"], msg["hash"], msg["form"], msg["decisions"],
                                    provenance=msg.get("provenance"))  # fmt: skip
            return {"result": result}
        if op == "ping":
            return {"pid": os.getpid(), "sessions": len(replayer.live)}
        return {"error": "internal", "message": f"unknown operation {op!r}"}
    except NotReplayable as err:
        return {"error": "not_replayable", "message": str(err)}
    except JournalError as err:
        return {"error": "journal", "message": str(err)}
    except ExamMismatch as err:
        return {"error": "exam", "message": str(err)}
    except Exception as err:  # a bug: reported to the server, the worker lives on
        tb = traceback.format_exc(limit=8)
        return {"error": "internal", "message": f"{type(err).__name__}: {err}", "trace": tb}


def _worker_main(conn: Any, capacity: int) -> None:
    """A worker process: requests in, answers out, until the server's end of the pipe closes.

    Checks (with the one-way commit/forget, in order) run on one thread and gradings on another,
    so a check is not held behind a whole grading replay."""
    import signal

    # Ctrl-C in a terminal reaches the whole process group: the server stops its workers
    # itself (after its graceful shutdown), so a worker ignores it. The server started this
    # process with SIGINT blocked (see _Link), so a Ctrl-C during its start-up waits here and
    # is dropped instead of raising KeyboardInterrupt half-way through an import.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

    import sandbox.exam.grading  # the simulation, imported before the first request
    import sandbox.session  # noqa: F401

    replayer = Replayer(capacity)
    send_lock = threading.Lock()
    lanes: dict[str, queue.SimpleQueue[dict[str, Any] | None]] = {
        "check": queue.SimpleQueue(),
        "grade": queue.SimpleQueue(),
    }

    def lane(q: queue.SimpleQueue[dict[str, Any] | None]) -> None:
        while True:
            msg = q.get()
            if msg is None:
                return
            answer = _serve(replayer, msg)
            if answer is not None:
                answer["id"] = msg.get("id")
                data = _dumps(answer)
                with send_lock:
                    try:
                        conn.send_bytes(data)
                    except OSError:
                        return

    threads = [threading.Thread(target=lane, args=(q,), daemon=True) for q in lanes.values()]
    for th in threads:
        th.start()
    try:
        while True:
            try:
                msg = json.loads(conn.recv_bytes())
            except (EOFError, OSError):
                break
            if msg.get("op") == "stop":
                break
            lanes["grade" if msg.get("op") == "grade" else "check"].put(msg)
    finally:
        for q in lanes.values():
            q.put(None)
        for th in threads:
            th.join(5.0)


# --- the server's side ------------------------------------------------------------------------


class _Link:
    """One worker process and the server's end of its pipe; a reader thread hands each answer
    to the request waiting for it."""

    def __init__(
        self, ctx: Any, index: int, capacity: int, on_exit: Callable[[_Link], None]
    ) -> None:
        here, there = ctx.Pipe(duplex=True)
        self.index = index
        self.on_exit = on_exit
        self.proc = ctx.Process(
            target=_worker_main, args=(there, capacity), name=f"shapan-replay-{index}", daemon=True
        )
        import signal

        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # inherited
        try:
            self.proc.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        there.close()
        self.conn = here
        self.lock = threading.Lock()  # the pipe's send side and `pending`
        self.pending: dict[int, Future[dict[str, Any]]] = {}
        self.grading = 0  # gradings in flight (the least busy worker grades next)
        self.dead = False
        self.reader = threading.Thread(
            target=self._read, name=f"shapan-replay-{index}-reader", daemon=True
        )
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                answer = json.loads(self.conn.recv_bytes())
            except (EOFError, OSError, ValueError):
                break
            with self.lock:
                fut = self.pending.pop(answer.get("id"), None)
            if fut is not None:
                fut.set_result(answer)
        self._fail(f"replay worker {self.index} (pid {self.proc.pid}) exited")
        self.on_exit(self)

    def _fail(self, why: str) -> None:
        with self.lock:
            self.dead = True
            pending, self.pending = self.pending, {}
        for fut in pending.values():
            if not fut.done():
                fut.set_exception(WorkerFailure(why))

    def send(self, msg: dict[str, Any], rid: int | None) -> Future[dict[str, Any]] | None:
        """Send `msg`; with a request id, the future of its answer."""
        fut: Future[dict[str, Any]] | None = None
        data = _dumps(msg if rid is None else {**msg, "id": rid})
        with self.lock:
            if self.dead:
                raise WorkerFailure(f"replay worker {self.index} is not running")
            if rid is not None:
                fut = Future()
                self.pending[rid] = fut
            try:
                self.conn.send_bytes(data)
            except OSError as err:
                self.dead = True
                if rid is not None:
                    self.pending.pop(rid, None)
                raise WorkerFailure(f"replay worker {self.index}: {err}") from None
        return fut

    def forget_request(self, rid: int) -> None:
        with self.lock:
            self.pending.pop(rid, None)

    def ask_to_stop(self) -> None:
        """Tell the worker to stop once its current request is done (it exits on its own)."""
        with self.lock:
            self.dead = True
            with contextlib.suppress(OSError):
                self.conn.send_bytes(_dumps({"op": "stop"}))

    def stop(self, wait_s: float = 5.0) -> None:
        """Wait for the worker to stop (after `ask_to_stop`); terminate it after `wait_s`."""
        self.proc.join(wait_s)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(wait_s)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(wait_s)
        self.conn.close()
        self._fail(f"replay worker {self.index} stopped")

    def kill(self) -> None:
        """A hung worker: killed now (its reader fails the requests in flight)."""
        with self.lock:
            self.dead = True
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5.0)
        self.conn.close()
        self._fail(f"replay worker {self.index} was restarted")


class ReplayWorkers:
    """K worker processes doing the store's replays (see the module docstring).

    `count` defaults to `default_count()`; `capacity` is the number of live sessions kept over
    all workers (each keeps `ceil(capacity / count)`)."""

    def __init__(
        self,
        count: int | None = None,
        *,
        capacity: int = 256,
        check_timeout_s: float = CHECK_TIMEOUT_S,
        grade_timeout_s: float = GRADE_TIMEOUT_S,
        context: str = "spawn",
    ) -> None:
        import multiprocessing

        self.count = default_count() if count is None else count
        if self.count < 1:
            raise ValueError("ReplayWorkers needs at least one worker (0 = use Replayer)")
        self.capacity = -(-max(1, capacity) // self.count)
        self.check_timeout_s = check_timeout_s
        self.grade_timeout_s = grade_timeout_s
        self.restarts = 0
        self._ctx = multiprocessing.get_context(context)
        self._ids = itertools.count(1)
        self._guard = threading.Lock()
        self._closed = False
        self._links: list[_Link] = [self._start(i) for i in range(self.count)]

    def _start(self, index: int) -> _Link:
        return _Link(self._ctx, index, self.capacity, self._exited)

    def _exited(self, link: _Link) -> None:
        """A worker's pipe closed (it died, was killed or stopped): start its successor now,
        unless it was already replaced or the pool is closing. Its attempts are rebuilt from
        their journals at their next check."""
        with self._guard:
            if self._closed or self._links[link.index] is not link:
                return
            log.warning("replay worker %d (pid %s) exited; restarting it", link.index,
                        link.proc.pid)  # fmt: skip
            link.proc.join(1.0)
            self._links[link.index] = self._start(link.index)
            self.restarts += 1

    # -- plumbing --------------------------------------------------------------------------
    def _link(self, index: int) -> _Link:
        """The running worker `index`, restarted if it died."""
        with self._guard:
            if self._closed:
                raise WorkerFailure("the replay workers are stopped")
            link = self._links[index]
            if link.dead or not link.proc.is_alive():
                if not link.dead:
                    link.kill()
                log.warning("replay worker %d (pid %s) died; restarting it", index, link.proc.pid)
                link = self._start(index)
                self._links[index] = link
                self.restarts += 1
            return link

    def _restart(self, link: _Link) -> None:
        with self._guard:
            if self._links[link.index] is link and not self._closed:
                log.warning("replay worker %d (pid %s) did not answer in time; restarting it",
                            link.index, link.proc.pid)  # fmt: skip
                self._links[link.index] = self._start(link.index)
                link.kill()
                self.restarts += 1

    def _ask(self, index: int, msg: dict[str, Any], timeout: float) -> dict[str, Any]:
        link = self._link(index)
        rid = next(self._ids)
        fut = link.send(msg, rid)
        assert fut is not None
        try:
            answer = fut.result(timeout)
        except FutureTimeout:
            link.forget_request(rid)
            self._restart(link)
            raise WorkerFailure(
                f"replay worker {index} did not answer within {timeout:g} s"
            ) from None
        if answer.get("error") == "internal":
            log.error("replay worker %d failed: %s\n%s", index, answer.get("message"),
                      answer.get("trace", ""))  # fmt: skip
        return answer

    def _post(self, index: int, msg: dict[str, Any]) -> None:
        """A one-way message; a worker that is gone has lost the session it was about anyway."""
        with contextlib.suppress(WorkerFailure):
            self._link(index).send(msg, None)

    def _retrying(self, index: Callable[[], int], msg: dict[str, Any], timeout: float,
                  load: LoadDecisions | None = None) -> dict[str, Any]:  # fmt: skip
        """Ask; on a dead worker, once more on its restarted successor. A "need decisions"
        answer is answered with `load()`."""
        for tries in (1, 2):
            i = index()
            try:
                answer = self._ask(i, msg, timeout)
                if answer.get("need") == "decisions" and load is not None:
                    decisions = [list(d) for d in load()]
                    answer = self._ask(i, {**msg, "decisions": decisions}, timeout)
                return answer
            except WorkerFailure:
                if tries == 2 or self._closed:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    def _raise(answer: dict[str, Any]) -> None:
        kind, message = answer.get("error"), str(answer.get("message", ""))
        if kind == "not_replayable":
            raise NotReplayable(message)
        if kind == "journal":
            raise JournalError(message)
        if kind == "exam":
            raise ExamMismatch(message)
        if kind is not None:
            raise WorkerFailure(f"replay worker error: {message}")

    # -- the operations --------------------------------------------------------------------
    def check(self, attempt: int, exam_ref: str, content_hash: str, form_index: int,
              head_seq: int, t: float, contact_id: str, choice_id: str,
              load_decisions: LoadDecisions, *, provenance: str | None = None) -> None:  # fmt: skip
        """Apply decision `head_seq + 1` on worker `attempt % K` (raises NotReplayable,
        ExamMismatch, WorkerFailure); then `commit` or `forget` it."""
        msg = {"op": "check", "attempt": attempt, "ref": exam_ref, "hash": content_hash,
               "provenance": provenance, "form": form_index, "head": head_seq, "t": float(t),
               "contact": contact_id, "choice": choice_id}  # fmt: skip
        answer = self._retrying(
            lambda: attempt % self.count, msg, self.check_timeout_s, load_decisions
        )
        self._raise(answer)

    def commit(self, attempt: int, seq: int) -> None:
        self._post(attempt % self.count, {"op": "commit", "attempt": attempt, "seq": seq})

    def forget(self, attempt: int) -> None:
        self._post(attempt % self.count, {"op": "forget", "attempt": attempt})

    def grade(self, exam_ref: str, content_hash: str, form_index: int,
              decisions: Sequence[Sequence[Any]], *, provenance: str | None = None
              ) -> dict[str, Any]:  # fmt: skip
        """The result JSON of replaying `decisions`, on the least busy worker (raises
        JournalError, ExamMismatch, WorkerFailure)."""
        msg = {"op": "grade", "ref": exam_ref, "hash": content_hash, "provenance": provenance,
               "form": form_index, "decisions": [list(d) for d in decisions]}  # fmt: skip
        chosen: list[_Link] = []

        def least_busy() -> int:
            with self._guard:
                link = min(self._links, key=lambda k: (k.dead, k.grading, len(k.pending)))
                link.grading += 1
            chosen.append(link)
            return link.index

        try:
            answer = self._retrying(least_busy, msg, self.grade_timeout_s)
        finally:
            with self._guard:
                for link in chosen:
                    link.grading -= 1
        self._raise(answer)
        result = answer.get("result")
        if not isinstance(result, dict):
            raise WorkerFailure("replay worker answered a grading without a result")
        return result

    # -- management ------------------------------------------------------------------------
    @property
    def parallelism(self) -> int:
        return self.count

    def ping(self, index: int, timeout: float = START_TIMEOUT_S) -> dict[str, Any]:
        """`{"pid", "sessions"}` of worker `index` (waits for it to start)."""
        return self._ask(index, {"op": "ping"}, timeout)

    def pids(self) -> list[int | None]:
        with self._guard:
            return [link.proc.pid for link in self._links]

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        """Every worker answers (imported and ready); raises WorkerFailure otherwise."""
        end = time.monotonic() + timeout
        for i in range(self.count):
            self.ping(i, max(0.1, end - time.monotonic()))

    def close(self) -> None:
        """Stop every worker (idempotent)."""
        with self._guard:
            if self._closed:
                return
            self._closed = True
            links = list(self._links)
        for link in links:
            link.ask_to_stop()
        for link in links:
            link.stop()
