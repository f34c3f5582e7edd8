"""The competition model: what a competition file says, as immutable values
(docs/competition-format.md).

Why frozen dataclasses: a class competition is a fixed set of rules; once loaded nothing may
change it between two teams, and its `content_hash` names exactly the rules a board was
computed by. A round is played like an exam form (sandbox.exam): every team meets the same
customers of the round's *team form*, in the same order; the members of a team take the next
customer of that form when they are free (sandbox.league.team_form).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from journeys.vocabulary import RUBRIC

#: What a scorecard may weigh: team KPIs (sandbox.league.scoring) and rubric dimensions.
SCORE_KPIS: tuple[str, ...] = (
    "csat_mean",
    "fcr",
    "aht_s",
    "service_level",
    "abandonment_rate",
    "cross_sell_rate",
    "risk_points",
    "handled",
    "rubric",
    *(f"rubric.{d}" for d in RUBRIC),
)

#: Default (worst, best) raw values that map to 0 and 100 points, per scorecard KPI.
#: Rates are fractions, times seconds, CSAT the 1..5 mean, risk points per contact handled.
DEFAULT_RANGES: dict[str, tuple[float, float]] = {
    "csat_mean": (1.0, 5.0),
    "fcr": (0.0, 1.0),
    "aht_s": (900.0, 240.0),
    "service_level": (0.0, 1.0),
    "abandonment_rate": (0.5, 0.0),
    "cross_sell_rate": (0.0, 1.0),
    "risk_points": (3.0, 0.0),
    "handled": (0.0, 20.0),
    "rubric": (0.0, 100.0),
    **{f"rubric.{d}": (0.0, 100.0) for d in RUBRIC},
}


@dataclass(frozen=True)
class ScoreItem:
    """One scorecard line: `kpi` (one of SCORE_KPIS) scored 0..100 points, linear from
    `worst` (0 points) to `best` (100 points), clamped; `weight` in the round score."""

    kpi: str
    weight: float
    worst: float
    best: float

    def points(self, value: float | None) -> float:
        """0..100 points for a raw value; a KPI with no value (no contact) scores 0."""
        if value is None or value != value:  # None or NaN
            return 0.0
        span = self.best - self.worst
        frac = (value - self.worst) / span if span else 0.0
        return round(100.0 * min(1.0, max(0.0, frac)), 6)


@dataclass(frozen=True)
class Team:
    """A listed team: `id` (stable key), display `name` (any text; shown escaped), `seats`
    (1..8 desks sharing the team's customers)."""

    id: str
    name: str
    seats: int


@dataclass(frozen=True)
class Signup:
    """Open sign-up: teams register themselves with the competition's join code, up to
    `max_teams`, each with `seats` desks."""

    max_teams: int
    seats: int


@dataclass(frozen=True)
class Round:
    """One round: the scenario the team's seat plays, the team form's seed, the time the
    round runs, its weight in the cumulative total and what changes in it.

    - `arrivals_per_hour`: how fast the team's customers come (one queue per team; members
      take the next waiting customer); `patience_s`: mean time a waiting customer holds on.
    - `personas`: a harder persona mix for this round (the scenario's `personas:` grammar,
      as parsed by sandbox.scenario), or None for the scenario's own.
    - `journeys`: a journey mix override {journey id: weight} (e.g. a new product's
      journeys), or None for the scenario's own.
    - `briefing`: text shown on every desk when the round opens (the round's new rule)."""

    id: str
    title: dict[str, str]
    scenario_ref: str
    scenario: Any
    seat: str
    seed: int
    duration_s: float
    weight: float
    gap_s: float
    arrivals_per_hour: float
    patience_s: float
    personas: Any = None
    journeys: tuple[tuple[str, float], ...] | None = None
    briefing: dict[str, str] | None = None


@dataclass(frozen=True)
class Competition:
    """A validated competition. Exactly one of `teams` (listed) and `signup` is set."""

    id: str
    version: int
    title: dict[str, str]
    description: dict[str, str]
    lang: str
    path: str
    teams: tuple[Team, ...]
    signup: Signup | None
    rounds: tuple[Round, ...]
    scorecard: tuple[ScoreItem, ...]
    #: the board freezes this long before the end of the last round (0 = never by itself)
    freeze_s: float
    #: scorecard KPIs compared in order when totals tie (then the teams share the rank)
    tie_breaks: tuple[str, ...]
    content_hash: str

    def round_index(self, rid: str | int) -> int:
        """The index of a round given by id or by 0-based index; ValueError lists them."""
        ids = [r.id for r in self.rounds]
        raw = str(rid)
        if raw in ids:
            return ids.index(raw)
        if raw.isdigit() and int(raw) < len(ids):
            return int(raw)
        raise ValueError(f"no round {raw!r}; this competition's rounds: {', '.join(ids)}")
