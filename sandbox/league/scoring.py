"""Pure scoring of a competition round: a team's figures, its round score, one contact's score.

Why pure: the board is computed by the server from replayed journals, never reported by a
desk, and a test computes it offline from the same journals; both must get the same bytes.
Everything here is a function of its arguments (no clock, no I/O, no randomness), and records
are taken in a fixed order (customer k, member, contact id) so float sums do not depend on the
order the server collected them in.

Team figures of a round (`team_figures`; rates are fractions, None = no evidence):

- contact KPIs come from `sandbox.kpis.KpiAccumulator` fed with the finished seat records of
  all members, so they mean exactly what they mean in a session's results: `csat_mean` (mean
  predicted CSAT), `fcr` (share resolved on the contact), `aht_s`, `cross_sell_rate`
  (accepted / offered), rubric dimension means (over the contacts where a dimension applies);
- `handled`: finished contacts (records) of the team in the round;
- `risk_points`: risk points per handled contact (sum / handled);
- `rubric`: mean `rubric_score` of the handled contacts that have one;
- queue KPIs from the customers' fates (`CustomerFate`): `service_level` = customers taken
  within `service_threshold_s` of arriving / every customer that arrived in the round (an
  abandoned customer, or one still waiting at the end, counts as not taken in time);
  `abandonment_rate` = abandoned / (taken + abandoned), as `sandbox.kpis` defines it.

`round_score` is the weighted mean of the scorecard items' points (`ScoreItem.points`, 0..100).
`contact_score` applies the same scorecard to one contact (items without a per-contact meaning —
service level, abandonment, handled — and items the contact has no value for are left out, the
weights renormalised over the rest); the debrief uses it to compare decisions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from journeys.vocabulary import RESOLVING_OUTCOMES, RUBRIC
from sandbox.league.model import SCORE_KPIS, Competition, ScoreItem

#: Record keys the KPI accumulator reads (the transcript, decisions and cards are left behind).
_KPI_KEYS: tuple[str, ...] = (
    "contact_id", "agent_id", "seat", "human", "channel", "journey_id", "abandoned", "outcome",
    "resolved", "handle_s", "csat_mean", "csat_top_box", "csat_probs", "churn",
    "cross_sell_offered", "cross_sell_accepted", "cross_sell_fit", "cross_sell_fit_label",
    "risk_points", "rubric", "rubric_score",
)  # fmt: skip

#: Scorecard KPIs with no meaning for a single contact (queue figures and a count).
TEAM_ONLY_KPIS: frozenset[str] = frozenset({"service_level", "abandonment_rate", "handled"})

_K_RE = re.compile(r"-(\d+)$")


@dataclass(frozen=True)
class CustomerFate:
    k: int  # 1-based index of the customer in the round's team form
    arrived_s: float  # round clock (s) when the customer came
    taken_s: float | None  # round clock when a member picked it up, None if never
    member: int | None  # 1-based seat of the team that took it
    abandoned: bool  # waited past its patience with nobody taking it


@dataclass(frozen=True)
class TeamRound:
    team_id: str
    round_index: int
    # finished seat contact records of all members (results.json "contacts" rows of the seat);
    # contact_id "<seat>-<kkk>" where kkk is the team customer k; each has a "member" int key
    records: tuple[dict[str, Any], ...]
    customers: tuple[CustomerFate, ...]  # every team customer that arrived, in k order
    service_threshold_s: float  # the scenario's service-level threshold


def customer_k(record: Mapping[str, Any]) -> int | None:
    """The team customer k of a record (the number at the end of its contact id)."""
    m = _K_RE.search(str(record.get("contact_id") or ""))
    return int(m.group(1)) if m else None


def ordered_records(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Records in the one order every sum runs in: customer k, member, contact id."""

    def key(r: Mapping[str, Any]) -> tuple[int, int, str]:
        k = customer_k(r)
        member = r.get("member")
        return (
            k if k is not None else 1 << 30,
            member if isinstance(member, int) else 0,
            str(r.get("contact_id")),
        )

    return sorted(records, key=key)


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None


def _mean(values: Iterable[float | None]) -> float | None:
    got = [v for v in values if v is not None]
    return sum(got) / len(got) if got else None


def team_figures(tr: TeamRound) -> dict[str, float | None]:
    """Every scorecard KPI (model.SCORE_KPIS) of one team in one round (module docstring)."""
    from sandbox.columns import columns_from_records
    from sandbox.kpis import KpiAccumulator

    records = [r for r in ordered_records(tr.records) if not r.get("abandoned")]
    acc = KpiAccumulator(threshold_s=tr.service_threshold_s, sample_size=0)
    if records:
        acc.contacts_finished(
            columns_from_records([{k: r.get(k) for k in _KPI_KEYS} for r in records])
        )
    kpis = acc.kpis()
    rubric = acc.breakdowns()["rubric"]
    handled = len(records)
    arrived = len(tr.customers)
    taken = sum(1 for c in tr.customers if c.taken_s is not None)
    abandoned = sum(1 for c in tr.customers if c.abandoned and c.taken_s is None)
    in_time = sum(
        1
        for c in tr.customers
        if c.taken_s is not None and c.taken_s - c.arrived_s <= tr.service_threshold_s
    )
    out: dict[str, float | None] = {
        "csat_mean": _num(kpis["csat_mean"]),
        "fcr": _num(kpis["fcr"]),
        "aht_s": _num(kpis["aht_s"]),
        "service_level": in_time / arrived if arrived else None,
        "abandonment_rate": abandoned / (taken + abandoned) if taken + abandoned else None,
        "cross_sell_rate": _num(kpis["cross_sell_rate"]),
        "risk_points": float(kpis["risk_points"] or 0) / handled if handled else None,
        "handled": float(handled),
        "rubric": _mean(_num(r.get("rubric_score")) for r in records),
    }
    for dim in RUBRIC:
        out[f"rubric.{dim}"] = _num(rubric.get(dim))
    return {k: out[k] for k in SCORE_KPIS}


def contact_figures(record: Mapping[str, Any]) -> dict[str, float | None]:
    """The per-contact meaning of each scorecard KPI (None where it has none or no value):
    csat_mean, fcr (1 resolved / 0), aht_s (handle time), cross_sell_rate (1 accepted / 0, only
    when an offer was made), risk_points, rubric (rubric_score) and rubric.<dim>."""
    offered = bool(record.get("cross_sell_offered"))
    rubric = record.get("rubric") or {}
    out: dict[str, float | None] = dict.fromkeys(SCORE_KPIS)
    out.update(
        csat_mean=_num(record.get("csat_mean")),
        fcr=1.0 if record.get("outcome") in RESOLVING_OUTCOMES else 0.0,
        aht_s=_num(record.get("handle_s")),
        cross_sell_rate=(1.0 if record.get("cross_sell_accepted") else 0.0) if offered else None,
        risk_points=float(record.get("risk_points") or 0),
        rubric=_num(record.get("rubric_score")),
    )
    for dim in RUBRIC:
        out[f"rubric.{dim}"] = _num(rubric.get(dim)) if isinstance(rubric, Mapping) else None
    return out


def _weighted(items: Iterable[tuple[ScoreItem, float | None]]) -> float:
    pairs = list(items)
    total_w = sum(item.weight for item, _ in pairs)
    if not total_w:
        return 0.0
    return round(sum(item.weight * item.points(v) for item, v in pairs) / total_w, 6)


def round_score(
    comp: Competition, figures: Mapping[str, float | None]
) -> tuple[float, dict[str, float]]:
    """(total 0..100, points per scorecard KPI): the weighted mean of the items' points; a KPI
    without a value scores 0 points (ScoreItem.points)."""
    points = {item.kpi: item.points(figures.get(item.kpi)) for item in comp.scorecard}
    return _weighted((item, figures.get(item.kpi)) for item in comp.scorecard), points


def contact_score(comp: Competition, record: Mapping[str, Any]) -> float | None:
    """The scorecard applied to one contact (module docstring); None if no item applies."""
    figures = contact_figures(record)
    used = [
        (item, figures[item.kpi])
        for item in comp.scorecard
        if item.kpi not in TEAM_ONLY_KPIS and figures.get(item.kpi) is not None
    ]
    if not used or not sum(item.weight for item, _ in used):
        return None
    return _weighted(used)


__all__ = [
    "TEAM_ONLY_KPIS",
    "CustomerFate",
    "TeamRound",
    "contact_figures",
    "contact_score",
    "customer_k",
    "ordered_records",
    "round_score",
    "team_figures",
]
