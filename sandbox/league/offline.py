"""A competition's board and debrief recomputed from its journals alone.

Why: the board is computed by the server from the members' journals, never reported by a
desk; anyone holding the export (`GET /api/v1/league/<pk>/export`, or `shapan competition
board --export FILE`) can replay every member's round and get the same board, byte for byte.
The server uses these same functions for closed rounds, so there is one way to turn plays
into team rounds.

A play export (one member, one round), plain JSON:
`{"team": id, "member": m, "round": i, "offset_s": s, "limit_s": s,
  "claims": [[k, asked_s, ring_s, [skipped k...]], ...], "decisions": [[t, contact_id, choice_id], ...]}`
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sandbox.league.model import Competition
from sandbox.league.scoring import CustomerFate, TeamRound
from sandbox.league.team_form import Claim, replay_member, schedule_of


def claims_of(play: Mapping[str, Any]) -> list[Claim]:
    return [Claim(int(c[0]), float(c[1]), float(c[2]), tuple(int(x) for x in c[3]))
            for c in play.get("claims", ())]  # fmt: skip


def seat_records(comp: Competition, session: Any, round_index: int) -> list[dict[str, Any]]:
    """The finished contacts of the member's seat (predicted, as results.json keeps them)."""
    seat = comp.rounds[round_index].seat
    return [
        dict(r)
        for r in session.recorder.human
        if str(r.get("contact_id", "")).startswith(f"{seat}-")
    ]


def replay_play(comp: Competition, play: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The member's finished seat contacts, by replaying its claims and decisions."""
    i = int(play["round"])
    session = replay_member(
        comp, i, float(play["limit_s"]), float(play["offset_s"]), claims_of(play),
        play.get("decisions", ()),
    )  # fmt: skip
    try:
        return seat_records(comp, session, i)
    finally:
        session.close()


def team_round(
    comp: Competition,
    round_index: int,
    team_id: str,
    members: Sequence[tuple[int, Sequence[Claim], Sequence[Mapping[str, Any]]]],
    now_s: float,
) -> TeamRound:
    """A team's round from its members' (member, claims, finished records) at round time
    `now_s` (the round's end once it is closed): every team customer that arrived by then is
    taken (by the member that claimed it), abandoned (it gave up unanswered) or still
    waiting."""
    rnd = comp.rounds[round_index]
    schedule = schedule_of(rnd)
    taken: dict[int, tuple[float, int]] = {}
    skipped: set[int] = set()
    records: list[dict[str, Any]] = []
    for member, claims, recs in members:
        for c in claims:
            taken[c.k] = (c.ring_s, member)
            skipped.update(c.skipped)
        records.extend({**r, "member": member} for r in recs)
    fates = []
    for k in range(1, schedule.arrived_before(now_s) + 1):
        arrived = schedule.arrival(k)
        if k in taken:
            ring, member = taken[k]
            fates.append(CustomerFate(k, arrived, ring, member, False))
        else:
            gave_up = k in skipped or schedule.gives_up(k) <= now_s
            fates.append(CustomerFate(k, arrived, None, None, gave_up))
    records.sort(key=lambda r: (float(r.get("ended_at") or 0.0), str(r.get("contact_id"))))
    return TeamRound(team_id, round_index, tuple(records), tuple(fates),
                     float(rnd.scenario.threshold_s))  # fmt: skip


def team_rounds_from_export(comp: Competition, export: Mapping[str, Any]) -> list[TeamRound]:
    """Every (team, round) of an export, each member's play replayed."""
    grouped: dict[tuple[str, int], list[tuple[int, list[Claim], list[dict[str, Any]]]]] = {}
    for play in export["plays"]:
        key = (str(play["team"]), int(play["round"]))
        grouped.setdefault(key, []).append(
            (int(play["member"]), claims_of(play), replay_play(comp, play))
        )
    ends = {int(i): float(r["now_s"]) for i, r in export["rounds"].items()}
    out = []
    for (team, i), members in sorted(grouped.items()):
        out.append(team_round(comp, i, team, sorted(members, key=lambda m: m[0]), ends[i]))
    return out


def board_from_export(comp: Competition, export: Mapping[str, Any]) -> dict[str, Any]:
    """The board the server shows (unfrozen), recomputed from an export's journals."""
    from sandbox.league.board import compute_board

    rounds = export["rounds"]
    live = [int(i) for i, r in rounds.items() if r.get("status") == "open"]
    played = [int(i) for i, r in rounds.items() if r.get("status") in ("open", "closed")]
    return compute_board(
        comp, team_rounds_from_export(comp, export), dict(export["teams"]),
        upto_round=max(played) if played else None, live_round=live[0] if live else None,
    )  # fmt: skip


def plays_by_team(plays: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for p in plays:
        out.setdefault(str(p["team"]), []).append(p)
    return out
