"""Live replays of active attempts: the server checks every decision by playing it.

Why: the server is the judge (DOMjudge-style). A decision that the attempt's own replay cannot
apply — a contact the seat never had, a choice that is not offered — is refused before it is
written, so an acknowledged journal always grades. Each active attempt keeps its form session,
advanced to its last decision; a bounded LRU keeps memory flat with many desks, and a session
that fell out (or a server restart) is rebuilt from the journal (a few hundred milliseconds).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from sandbox.exam.errors import JournalError
from sandbox.exam.model import Exam
from sandbox.exam.replay import check_entries, form_session


class NotReplayable(Exception):
    """The decision cannot be applied to the attempt's replay (the message says why)."""


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
    """Form sessions of active attempts, keyed by attempt, at most `capacity` kept."""

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = capacity
        self._sessions: OrderedDict[int, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def session_at(
        self,
        attempt: int,
        exam: Exam,
        form_index: int,
        count: int,
        load: Callable[[], Sequence[Sequence[Any]]],
    ) -> Any:
        """The attempt's session after its first `count` decisions: the cached one, or one
        rebuilt from `load()` (the journal's decisions, read only when needed)."""
        with self._lock:
            cached = self._sessions.get(attempt)
            if cached is not None and cached[1] == count:
                self._sessions.move_to_end(attempt)
                return cached[0]
        decisions = load()
        try:
            entries = check_entries([list(d) for d in decisions], exam)
        except JournalError as err:
            raise NotReplayable(str(err)) from None
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

    def keep(self, attempt: int, session: Any, decisions: int) -> None:
        """Remember `session` as the attempt's replay after `decisions` decisions."""
        with self._lock:
            self._sessions[attempt] = (session, decisions)
            self._sessions.move_to_end(attempt)
            while len(self._sessions) > self.capacity:
                self._sessions.popitem(last=False)

    def drop(self, attempt: int) -> None:
        with self._lock:
            self._sessions.pop(attempt, None)
