"""Live replays of active attempts: the server checks every decision by playing it.

Why: the server is the judge (DOMjudge-style). A decision that the attempt's own replay cannot
apply — a contact the seat never had, a choice that is not offered — is refused before it is
written, so an acknowledged journal always grades. Each active attempt keeps its form session,
advanced to its last decision; a bounded LRU keeps memory flat with many desks, and a session
that fell out (or a server restart) is rebuilt from the journal (a few hundred milliseconds).

`Replayer` is the whole of the simulation work the server does — checking a decision against an
attempt's live session, and grading a journal — in one process. The store drives it either in
its own process (`replay_workers=0`) or through `sandbox.server.workers.ReplayWorkers`, which
runs one `Replayer` in each worker process: the same code either way, so results are the same
bytes. A Replayer loads an exam itself by its published ref and refuses it unless its content
hash (and, when given, its provenance) is the one the store published.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sandbox.exam.errors import JournalError
from sandbox.exam.model import Exam
from sandbox.exam.replay import check_entries, form_session

#: the journal's decisions `[[t, contact_id, choice_id], ...]`, read only when needed
LoadDecisions = Callable[[], Sequence[Sequence[Any]]]


class NotReplayable(Exception):
    """The decision cannot be applied to the attempt's replay (the message says why)."""


class ExamMismatch(Exception):
    """The exam at the published ref is not the published one (file, scenario, journeys or
    models changed since publishing), or it no longer loads."""


def _apply(session: Any, seat: str, t: float, contact_id: str, choice_id: str) -> None:
    from sandbox.session import SessionError

    if not contact_id.startswith(f"{seat}-"):
        raise NotReplayable(f"contact {contact_id!r} is not one of seat {seat!r}")
    if t < session.now:
        raise NotReplayable(f"time {t:g} s is before the replay's clock {session.now:g} s")
    session.run_until(t)
    try:
        session.decide(contact_id, choice_id)
    except SessionError as err:
        raise NotReplayable(str(err)) from None


class LiveReplays:
    """Form sessions of active attempts, keyed by attempt, at most `capacity` kept.

    A session is kept with the number of decisions applied to it and whether the last one is
    committed (durable in the journal). Only a committed session is reused; a decision that was
    checked but whose commit failed (or was never confirmed) is dropped with its session."""

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = max(1, capacity)
        self._sessions: OrderedDict[int, tuple[Any, int, bool]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def session_at(
        self, attempt: int, exam: Exam, form_index: int, count: int, load: LoadDecisions
    ) -> Any:
        """The attempt's session after its first `count` decisions: the cached one (taken out
        of the cache), or one rebuilt from `load()` (the journal's decisions)."""
        with self._lock:
            cached = self._sessions.pop(attempt, None)
        if cached is not None and cached[1] == count and cached[2]:
            return cached[0]
        decisions = load()
        try:
            entries = check_entries([list(d) for d in decisions], exam)
        except JournalError as err:
            raise NotReplayable(str(err)) from None
        if len(entries) != count:
            raise NotReplayable(f"the journal holds {len(entries)} decisions, not {count}")
        session = form_session(exam, form_index)
        for t, contact_id, choice_id in entries:
            _apply(session, exam.seat, t, contact_id, choice_id)
        return session

    def apply(
        self, attempt: int, session: Any, exam: Exam, t: float, contact_id: str, choice_id: str
    ) -> None:
        """Play one decision on `session` (raises NotReplayable, leaving the cache without it)."""
        self.drop(attempt)
        _apply(session, exam.seat, t, contact_id, choice_id)

    def keep(self, attempt: int, session: Any, decisions: int, *, committed: bool = True) -> None:
        """Remember `session` as the attempt's replay after `decisions` decisions."""
        with self._lock:
            self._sessions[attempt] = (session, decisions, committed)
            self._sessions.move_to_end(attempt)
            while len(self._sessions) > self.capacity:
                self._sessions.popitem(last=False)

    def commit(self, attempt: int, decisions: int) -> None:
        """The attempt's decision number `decisions` is durable: its session may be reused."""
        with self._lock:
            cached = self._sessions.get(attempt)
            if cached is not None:
                if cached[1] == decisions:
                    self._sessions[attempt] = (cached[0], decisions, True)
                else:
                    del self._sessions[attempt]

    def drop(self, attempt: int) -> None:
        with self._lock:
            self._sessions.pop(attempt, None)


class Replays(Protocol):
    """What the store needs of the simulation side: `Replayer` in process, `ReplayWorkers` in
    worker processes. `parallelism`: how many gradings can usefully run at once."""

    @property
    def parallelism(self) -> int: ...

    def check(self, attempt: int, exam_ref: str, content_hash: str, form_index: int,
              head_seq: int, t: float, contact_id: str, choice_id: str,
              load_decisions: LoadDecisions, *, provenance: str | None = None) -> None: ...  # fmt: skip

    def commit(self, attempt: int, seq: int) -> None: ...

    def forget(self, attempt: int) -> None: ...

    def grade(self, exam_ref: str, content_hash: str, form_index: int,
              decisions: Sequence[Sequence[Any]], *, provenance: str | None = None
              ) -> dict[str, Any]: ...  # fmt: skip

    def close(self) -> None: ...


def exam_provenance(exam: Exam) -> dict[str, Any]:
    """What must match for two machines to play the same exam: scenario, journeys, models."""
    prov = form_session(exam, 0).provenance()
    return {"scenario": prov["scenario"]["hash"], "journeys": prov["journeys"],
            "model_version": prov["model_version"]}  # fmt: skip


class Replayer:
    """The simulation work of one process: live checks of decisions and grading by replay.

    Thread-safe; the store serialises the calls of one attempt (check, then commit or forget).
    """

    parallelism = 1  # one process: gradings share its GIL

    def __init__(self, capacity: int = 256) -> None:
        self.live = LiveReplays(capacity)
        self._exams: dict[tuple[str, str, str | None], Exam] = {}
        self._exams_lock = threading.Lock()

    def exam(self, exam_ref: str, content_hash: str, provenance: str | None = None) -> Exam:
        """The exam at `exam_ref`, loaded once; refused unless it is the published one."""
        from sandbox.exam import ExamError, load_exam
        from sandbox.exam.canonical import canonical_bytes

        key = (exam_ref, content_hash, provenance)
        with self._exams_lock:
            known = self._exams.get(key)
            if known is not None:
                return known
            try:
                exam = load_exam(exam_ref)
            except ExamError as err:
                first = err.render().splitlines()[0] if hasattr(err, "render") else str(err)
                raise ExamMismatch(f"the exam {exam_ref} no longer loads: {first}") from None
            if exam.content_hash != content_hash:
                raise ExamMismatch(
                    f"the exam file {exam_ref} changed since it was published "
                    f"(hash {exam.content_hash[:12]}…, published {content_hash[:12]}…)"
                )
            if provenance is not None:
                now = canonical_bytes(exam_provenance(exam)).decode("utf-8")
                if now != provenance:
                    raise ExamMismatch(
                        f"the scenario, journeys or models of {exam_ref} changed since it was "
                        "published"
                    )
            self._exams[key] = exam
            return exam

    def check(self, attempt: int, exam_ref: str, content_hash: str, form_index: int,
              head_seq: int, t: float, contact_id: str, choice_id: str,
              load_decisions: LoadDecisions, *, provenance: str | None = None) -> None:  # fmt: skip
        """Apply decision `head_seq + 1` to the attempt's live session (rebuilt from
        `load_decisions()` when the cached one is not at `head_seq`). Raises NotReplayable.
        The session is kept uncommitted until `commit(attempt, head_seq + 1)`."""
        exam = self.exam(exam_ref, content_hash, provenance)
        session = self.live.session_at(attempt, exam, form_index, head_seq, load_decisions)
        self.live.apply(attempt, session, exam, float(t), contact_id, choice_id)
        self.live.keep(attempt, session, head_seq + 1, committed=False)

    def commit(self, attempt: int, seq: int) -> None:
        self.live.commit(attempt, seq)

    def forget(self, attempt: int) -> None:
        self.live.drop(attempt)

    def grade(self, exam_ref: str, content_hash: str, form_index: int,
              decisions: Sequence[Sequence[Any]], *, provenance: str | None = None
              ) -> dict[str, Any]:  # fmt: skip
        """The result JSON of replaying `decisions` (raises JournalError naming an entry)."""
        from sandbox.exam.grading import grade

        exam = self.exam(exam_ref, content_hash, provenance)
        return grade(exam, form_index, [list(d) for d in decisions]).to_json()

    def close(self) -> None:
        with self._exams_lock:
            self._exams.clear()
        with self.live._lock:
            self.live._sessions.clear()
