"""The workforce plan of a scenario: required agents per interval against the agents scheduled.

Why: a real centre is staffed by a planner, not by hand. For each channel and interval the
planner takes the forecast contacts (the channel's mean rate × the profile; the day factor is
the forecast error nobody knows in advance), the forecast AHT (talk + hold + after-call work)
and patience from history (the scenario's `staffing:` block), finds the fewest agents that
reach the service-level target with Erlang A (`sandbox.erlang`; Erlang C without patience),
and divides by (1 − shrinkage) for the paid time spent off the phones (breaks, lunch,
meetings). `shapan plan` prints this next to the agents the scenario schedules, and the agents
actually available once the planned breaks are taken out.

Queues: a channel whose agents all take every kind is one pool; a channel whose agents are
split into teams by journey kind (complaint, inquiry, sales — skills-based routing) is planned
queue by queue, each kind's forecast being its share of the channel's journey mix. Chat: an
agent holding `chat_concurrency` chats is that many servers, so the required chat servers are
divided by the chat agents' mean concurrency. A group that serves several channels (or kinds)
counts toward each in equal shares (an approximation; the shipped full-day has none).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from sandbox.erlang import QueueFigures, agents_for_service_level, erlang_a, erlang_c
from sandbox.scenario import AgentGroup, ChannelSpec, Scenario


class PlanError(ValueError):
    """The scenario has no `staffing:` block (nothing to plan from)."""


@dataclass(frozen=True)
class PlanRow:
    """One channel's interval of the plan (times in seconds from the start)."""

    channel: str
    kind: str | None  # the journey kind of a team's queue; None: the channel's one pool
    start_s: float
    end_s: float
    forecast: float  # contacts expected in the interval (day factor 1)
    aht_s: float  # the planner's AHT, talk + hold + after-call work
    required: int  # agents Erlang A needs for the target (Erlang C without patience)
    required_with_shrinkage: int  # required / (1 − shrinkage), rounded up
    scheduled: float  # agents on shift (paid), mean over the interval
    available: float  # scheduled minus those planned on a break, mean over the interval
    predicted_sl: float | None  # Erlang A's service level with the available agents

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _servers_sl(
    rate_s: float, aht_s: float, servers: int, patience_s: float | None, threshold_s: float
) -> float:
    """Service level with `servers` (0 when Erlang C has no steady state)."""
    if servers < 1:
        return 0.0
    fig: QueueFigures
    if patience_s is None:
        if servers <= rate_s * aht_s:
            return 0.0
        fig = erlang_c(rate_s, aht_s, servers, threshold_s)
    else:
        fig = erlang_a(rate_s, aht_s, servers, patience_s, threshold_s)
    return fig.service_level


def required_servers(
    rate_s: float, aht_s: float, target: float, patience_s: float | None, threshold_s: float
) -> int:
    """The fewest servers reaching `target` (`sandbox.erlang.agents_for_service_level`)."""
    if rate_s <= 0:
        return 0
    return agents_for_service_level(rate_s, aht_s, target, threshold_s, patience_s).agents


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _serves(g: AgentGroup, channel: str, kind: str | None) -> float:
    """The share of a group's agents counted on `channel` (and `kind`'s queue)."""
    if channel not in g.channels:
        return 0.0
    share = 1.0 / len(g.channels)
    if kind is None:
        return share
    return share / len(g.kinds) if kind in g.kinds else 0.0


def kind_shares(scenario: Scenario, channel: str) -> dict[str, float] | None:
    """Each journey kind's share of a channel's contacts when its agents are split into
    teams by kind; None when every agent on the channel takes every kind (one pool)."""
    weights: dict[str, float] = {}
    for jid, w in scenario.journey_mix:
        journey = scenario.journeys[jid]
        if channel in journey.channels:
            weights[journey.kind] = weights.get(journey.kind, 0.0) + w
    kinds = set(weights)
    if all(kinds <= set(g.kinds) for g in scenario.agents if channel in g.channels):
        return None
    total = sum(weights.values())
    return {k: weights[k] / total for k in sorted(weights)}


def _concurrency(scenario: Scenario, channel: str) -> float:
    """Servers per agent on `channel`: chat slots (count-weighted mean), else 1."""
    if channel != "chat":
        return 1.0
    groups = [g for g in scenario.agents if channel in g.channels]
    total = sum(g.count for g in groups)
    if not total:
        return 1.0
    return sum(g.count * g.chat_concurrency for g in groups) / total


def _staff(
    scenario: Scenario, channel: str, kind: str | None, t0: float, t1: float
) -> tuple[float, float]:
    """(scheduled, available) agents on a queue over [t0, t1), as means over it."""
    span = t1 - t0
    day = scenario.day_s
    scheduled = away = 0.0
    for g in scenario.agents:
        share = _serves(g, channel, kind)
        if not share:
            continue
        k = math.floor(t0 / day) if day > 0 else 0
        s0, s1 = g.shift_start_s + k * day, g.shift_end_s + k * day
        on = _overlap(s0, s1, t0, t1)
        if not on:
            continue
        scheduled += share * g.count * on / span
        for b in g.breaks:
            for i in range(g.count):
                b0 = s0 + b.at_s + b.spread_s * i / g.count
                away += share * _overlap(b0, b0 + b.length_s, t0, t1) / span
    return scheduled, scheduled - away


def plan(scenario: Scenario) -> list[PlanRow]:
    """The plan of every channel with a `staffing:` forecast, interval by interval."""
    spec = scenario.staffing
    if spec is None:
        raise PlanError(
            f"scenario {scenario.name!r} has no staffing: block (target, shrinkage and each "
            "channel's forecast AHT and patience; docs/scenario-format.md § Staffing plan)"
        )
    rows: list[PlanRow] = []
    threshold = scenario.threshold_s
    for ch in scenario.channels:
        forecast = spec.channels.get(ch.name)
        if forecast is None or ch.arrivals_per_hour <= 0:
            continue
        servers_per_agent = _concurrency(scenario, ch.name)
        shares = kind_shares(scenario, ch.name)
        queues = [(None, 1.0)] if shares is None else list(shares.items())
        for kind, share in queues:
            for t0, t1, channel_rate_h in intervals(ch, scenario.duration_s):
                rate_h = channel_rate_h * share
                rate_s = rate_h / 3600.0
                servers = required_servers(
                    rate_s, forecast.aht_s, spec.target, forecast.patience_s, threshold
                )
                required = math.ceil(servers / servers_per_agent - 1e-9)
                scheduled, available = _staff(scenario, ch.name, kind, t0, t1)
                avail_servers = int(available * servers_per_agent + 1e-9)
                sl = _servers_sl(
                    rate_s, forecast.aht_s, avail_servers, forecast.patience_s, threshold
                )
                rows.append(
                    PlanRow(
                        channel=ch.name,
                        kind=kind,
                        start_s=t0,
                        end_s=t1,
                        forecast=rate_h * (t1 - t0) / 3600.0,
                        aht_s=forecast.aht_s,
                        required=required,
                        required_with_shrinkage=math.ceil(required / (1.0 - spec.shrinkage) - 1e-9),
                        scheduled=scheduled,
                        available=available,
                        predicted_sl=sl if rate_s > 0 else None,
                    )
                )
    return rows


def intervals(ch: ChannelSpec, duration_s: float) -> list[tuple[float, float, float]]:
    """(start, end, forecast rate per hour) of each of the channel's intervals up to
    `duration_s` (the profile normalised to mean 1, repeating; no day factor)."""
    weights = list(ch.profile)
    mean = sum(weights) / len(weights)
    out = []
    t = 0.0
    i = 0
    while t < duration_s:
        end = min(t + ch.interval_s, duration_s)
        w = weights[i % len(weights)] / mean if mean > 0 else 0.0
        out.append((t, end, ch.arrivals_per_hour * w))
        i += 1
        t = i * ch.interval_s
    return out


__all__ = ["PlanError", "PlanRow", "intervals", "kind_shares", "plan", "required_servers"]
