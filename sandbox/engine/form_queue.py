"""A form whose customers arrive on a schedule and wait in a queue for the seat (or the team).

Why: a seat whose next customer simply rings `gap` after the last one never makes anyone wait,
so slow handling costs nothing visible. With a schedule, customer k of the form arrives at a
fixed time and holds on for a fixed patience — the same for every candidate or team on the
form, whatever their speed — and whoever is free takes the next one still waiting (`allocate`).
A team's members share one queue through the server (sandbox.league.team_form); a practice
seat has its own (`SeatQueue`). Both are the engine's `FormClaims`.
"""

from __future__ import annotations

import bisect
import functools
import threading
from dataclasses import dataclass

from sandbox.engine.streams import Streams

#: Arrivals and patience are drawn in chunks of this size (so extending a round draws more
#: without changing the customers already drawn).
CHUNK = 256


class TeamSchedule:
    """When customer k (1-based) of a round's team form arrives and how long it waits.

    Customer 1 is waiting when the round opens; the gaps after it are exponential with mean
    3600 / arrivals_per_hour; patience is exponential with mean `patience_s` (at least 5 s).
    Both come from the round seed's own streams, so every team gets the same schedule."""

    def __init__(self, seed: int, arrivals_per_hour: float, patience_s: float) -> None:
        streams = Streams(seed)
        self._gaps = streams.generator("team:arrivals")
        self._waits = streams.generator("team:patience")
        self.mean_gap = 3600.0 / arrivals_per_hour
        self.mean_patience = patience_s
        self.arrivals: list[float] = []
        self.patience: list[float] = []
        self._lock = threading.Lock()

    @staticmethod
    def shared(seed: int, arrivals_per_hour: float, patience_s: float) -> TeamSchedule:
        """One schedule per (seed, rate, patience) in the process (they are deterministic)."""
        return _schedule(seed, arrivals_per_hour, patience_s)

    def _more(self) -> None:
        gaps = self._gaps.standard_exponential(CHUNK)
        waits = self._waits.standard_exponential(CHUNK)
        t = self.arrivals[-1] if self.arrivals else None
        for g, w in zip(gaps.tolist(), waits.tolist(), strict=True):
            t = 0.0 if t is None else round(t + g * self.mean_gap, 6)
            self.arrivals.append(t)
            self.patience.append(round(max(5.0, w * self.mean_patience), 6))

    def arrival(self, k: int) -> float:
        if len(self.arrivals) < k:
            with self._lock:  # schedules are shared between the server's threads
                while len(self.arrivals) < k:
                    self._more()
        return self.arrivals[k - 1]

    def gives_up(self, k: int) -> float:
        """Round time at which customer k hangs up if nobody has taken it."""
        return self.arrival(k) + self.patience[k - 1]

    def arrived_before(self, end_s: float) -> int:
        """How many customers arrive before round time `end_s`."""
        k = 1
        while self.arrival(k) < end_s:
            k = max(k + 1, len(self.arrivals))  # draws on until one arrives at or after it
        return bisect.bisect_left(self.arrivals, end_s)


@functools.lru_cache(maxsize=64)
def _schedule(seed: int, arrivals_per_hour: float, patience_s: float) -> TeamSchedule:
    return TeamSchedule(seed, arrivals_per_hour, patience_s)


@dataclass(frozen=True)
class Claim:
    """One member's n-th customer: team customer `k`, claimed at round time `asked_s` (the
    member was free), ringing at round time `ring_s`; `skipped` customers gave up unanswered
    before it (they count as abandoned for the team)."""

    k: int
    asked_s: float
    ring_s: float
    skipped: tuple[int, ...] = ()


def allocate(
    schedule: TeamSchedule, next_k: int, asked_s: float, gap_s: float, end_s: float
) -> Claim | None:
    """The customer a member free at round time `asked_s` takes: the first of `next_k`,
    `next_k + 1`, … that is still holding on when the member can pick up (`asked_s + gap_s`,
    or its arrival if later). None when no customer arrives before the round's end."""
    ready = asked_s + gap_s
    k = next_k
    skipped: list[int] = []
    while True:
        arrival = schedule.arrival(k)
        if arrival >= end_s:
            return None
        ring = max(ready, arrival)
        if ring >= end_s:
            return None
        if ring <= schedule.gives_up(k):
            return Claim(k, round(asked_s, 6), round(ring, 6), tuple(skipped))
        skipped.append(k)
        k += 1


class SeatQueue:
    """A single seat's queue (`FormClaims`): the seat takes its form's next customer still
    waiting when it is free; customers who waited past their patience are lost to it."""

    def __init__(self, schedule: TeamSchedule, gap_s: float, end_s: float) -> None:
        self.schedule = schedule
        self.gap_s = gap_s
        self.end_s = end_s
        self.next_k = 1
        self.answers: dict[int, Claim | None] = {}
        self.skipped: list[int] = []

    def reserve(self, n: int, t: float) -> None:
        got = allocate(self.schedule, self.next_k, t, self.gap_s, self.end_s)
        self.answers[n] = got
        if got is not None:
            self.next_k = got.k + 1
            self.skipped.extend(got.skipped)

    def take(self, n: int) -> tuple[int, float] | None:
        got = self.answers.get(n)
        return None if got is None else (got.k, got.ring_s)

    def waiting(self, now: float) -> list[tuple[int, float]]:
        """(k, arrived at) of the customers waiting at `now` (arrived, not taken, holding on)."""
        out = []
        k = self.next_k
        while self.schedule.arrival(k) <= now and self.schedule.arrival(k) < self.end_s:
            if self.schedule.gives_up(k) > now:
                out.append((k, self.schedule.arrival(k)))
            k += 1
        return out

    def gave_up(self, now: float) -> int:
        """How many customers hung up unanswered by `now`."""
        later = 0
        k = self.next_k
        while self.schedule.arrival(k) <= now and self.schedule.arrival(k) < self.end_s:
            later += self.schedule.gives_up(k) <= now
            k += 1
        return len(self.skipped) + later
