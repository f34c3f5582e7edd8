"""A round's team form: the customers every team meets, and how a team's members share them.

Why a queue per team: a team of three "handles the load together" only if its customers come
whatever its members do — customer k arrives at the same round time `arrival(k)` for every
team and holds on for `patience(k)`; a member who is free takes the next waiting customer
(the first free member gets it, like an automatic call distributor). Who takes which customer
depends on when the members are free, which only the server sees, so the server *claims*
customers for members (`allocate`) and journals each claim; a member's session is then a pure
function of its decisions and its claims (`ReplayClaims`), and customer k's journey, persona
and every random number of its contact come from the round's form streams (the engine's
`FormFeed`), the same in every team.

Times: `arrival`/`patience` are in round seconds (0 = the round opened); a member who joined
the round at round time `offset` runs a session whose time 0 is that moment, so a claim made
at session time t is at round time `offset + t`, and its ring time goes back by `offset`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sandbox.engine.form_queue import Claim, TeamSchedule, allocate
from sandbox.league.model import Competition, Round

__all__ = [
    "Claim",
    "ReplayClaims",
    "TeamSchedule",
    "allocate",
    "member_session",
    "replay_member",
    "round_scenario",
    "schedule_of",
]


def schedule_of(rnd: Round) -> TeamSchedule:
    """The round's team schedule (shared: drawing it is most of a live board's cost)."""
    return TeamSchedule.shared(rnd.seed, rnd.arrivals_per_hour, rnd.patience_s)


class ReplayClaims:
    """A member's claims for replay and for the server's live check: the n-th `take` returns
    the n-th journaled claim (its ring time moved to session time), None past the last one.
    `reserve` checks that the session asks when the journal says it asked (a journal whose
    claims do not fit its decisions does not replay)."""

    def __init__(self, claims: Sequence[Claim], offset_s: float) -> None:
        self.claims = list(claims)
        self.offset_s = offset_s
        self.asked: dict[int, float] = {}

    def add(self, claim: Claim) -> None:
        self.claims.append(claim)

    def reserve(self, n: int, t: float) -> None:
        self.asked[n] = t

    def take(self, n: int) -> tuple[int, float] | None:
        if n > len(self.claims):
            return None
        c = self.claims[n - 1]
        if c.k == 0:  # journaled as "no customer for this seat before the end"
            return None
        asked = self.asked.get(n)
        if asked is not None and c.asked_s + 1e-6 < self.offset_s + asked:
            raise ValueError(
                f"claim {n} (customer {c.k}) was made at round time {c.asked_s:g} s, before "
                f"the seat was free ({self.offset_s + asked:g} s)"
            )
        return c.k, c.ring_s - self.offset_s


def round_scenario(rnd: Round, limit_s: float) -> Any:
    """The round's scenario as a member plays it: the round's persona and journey mixes, the
    seat's form (the round's seed and gap, no customer cap) and the horizon at `limit_s`."""
    from sandbox.scenario import FormSpec

    sc = rnd.scenario
    if rnd.personas is not None:
        sc = replace(sc, persona_mix=rnd.personas)
    if rnd.journeys is not None:
        sc = replace(sc, journey_mix=tuple(rnd.journeys))
    spec = FormSpec(seed=rnd.seed, customers=None, gap_s=rnd.gap_s)
    seats = tuple(replace(s, form=spec) if s.id == rnd.seat else s for s in sc.seats)
    sc = replace(sc, seats=seats)
    return sc.with_overrides(hours=max(limit_s, 1.0) / 3600.0)


def member_session(comp: Competition, round_index: int, limit_s: float, claims: Any) -> Any:
    """A fresh session of one member in one round: the round seed is the master seed (the
    bots around the seat included), `claims` gives the seat its team customers."""
    from sandbox.session import Session

    rnd = comp.rounds[round_index]
    return Session(
        round_scenario(rnd, limit_s), seed=rnd.seed, form_claims={rnd.seat: claims}, mode=None
    )


def replay_member(
    comp: Competition,
    round_index: int,
    limit_s: float,
    offset_s: float,
    claims: Sequence[Claim],
    decisions: Sequence[Sequence[Any]],
) -> Any:
    """A member's session with its claims and decisions `[[t, contact_id, choice_id], …]`
    applied, run to its end. Raises ValueError naming the decision that does not replay."""
    from sandbox.session import SessionError

    session = member_session(comp, round_index, limit_s, ReplayClaims(claims, offset_s))
    seat = comp.rounds[round_index].seat
    last = 0.0
    for i, entry in enumerate(decisions, start=1):
        t, contact_id, choice_id = float(entry[0]), str(entry[1]), str(entry[2])
        if t < last or t > limit_s or not contact_id.startswith(f"{seat}-"):
            raise ValueError(f"decision {i} {list(entry)!r} is out of order or not the seat's")
        last = t
        session.run_until(t)
        try:
            session.decide(contact_id, choice_id)
        except SessionError as err:
            raise ValueError(f"decision {i} {list(entry)!r} does not replay: {err}") from None
    session.run_to_end()
    return session
