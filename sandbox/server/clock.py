"""The server clock of an attempt: time runs on the server, not on the desk.

`server_now_s` is simulated seconds since the attempt started: wall seconds since `started_at`
times `clock_speed` (1 in a real exam), capped at the exam's limit. A desk that crashes or goes
offline does not stop it. The tolerances say which decision times the server accepts: not in
the future beyond network jitter, not older than a desk that briefly lost its connection.
"""

from __future__ import annotations

import time

#: A decision may be stamped at most this many wall seconds ahead of the server clock.
AHEAD_S = 2.0
#: ... and at most this many wall seconds behind it (older: stale, refused; the desk resyncs).
BEHIND_S = 20.0


def wall_now() -> float:
    return time.time()


def server_now_s(started_at: float, clock_speed: float, limit_s: float, now: float) -> float:
    """Simulated seconds the attempt has run at wall time `now`, capped at `limit_s`."""
    return min(limit_s, max(0.0, (now - started_at) * clock_speed))


def decision_window(server_now: float, clock_speed: float) -> tuple[float, float]:
    """The simulated times a decision may carry when the server clock reads `server_now`."""
    return server_now - BEHIND_S * clock_speed, server_now + AHEAD_S * clock_speed
