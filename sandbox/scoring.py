"""Rubric scores and risk points for one contact (formulas documented in docs/scoring.md).

Why a transparent evidence count rather than a model: trainees and trainers must be able to see
*why* a dimension scored what it did. Every dimension collects positive evidence P and negative
evidence N from the contact's decisions and scores

    score = 100 · (P + 1.5) / (P + 2·N + 2.5)

so no evidence gives 60 ("met expectations, nothing notable"), good evidence approaches 100,
and one mistake weighs as much as two good actions.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from journeys.vocabulary import BEHAVIOURS, RUBRIC

#: Risk points per risk event, by type: what a QA reviewer would weigh (docs/scoring.md).
RISK_WEIGHTS: dict[str, int] = {
    "privacy_breach": 5,
    "compliance_breach": 5,
    "mis_selling": 3,
    "wrong_info": 3,
    "escalation_risk": 2,
}

#: Which rubric dimensions a risk event counts against (negative evidence 2 each).
RISK_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "privacy_breach": ("compliance",),
    "compliance_breach": ("compliance",),
    "mis_selling": ("compliance", "sales"),
    "wrong_info": ("accuracy",),
    "escalation_risk": ("soothing",),
}
RISK_EVIDENCE = 2.0
TRIGGER_EVIDENCE = 2.0  # a satisfied trigger is positive soothing evidence, a missed one negative
FIT_EVIDENCE: dict[str, tuple[float, float]] = {  # cross-sell fit -> (positive, negative) sales
    "high": (2.0, 0.0),
    "medium": (1.0, 0.0),
    "low": (0.0, 2.0),  # offering what the customer does not need counts against
}
#: Ending outcomes that are evidence too: (dimension, positive, negative).
OUTCOME_EVIDENCE: dict[str, tuple[tuple[str, float, float], ...]] = {
    "resolved": (("accuracy", 1.0, 0.0),),
    "sale": (("sales", 2.0, 0.0), ("accuracy", 1.0, 0.0)),
    "compliance_breach": (("compliance", 0.0, 2.0),),
    "customer_hung_up": (("soothing", 0.0, 1.0),),
}
#: Efficiency time score: full marks up to the journey's pace, zero at this multiple of it.
PACE_ZERO_AT = 2.5

SALES_BEHAVIOURS = frozenset(
    tag for tag, b in BEHAVIOURS.items() if any(dim == "sales" for dim, _ in b.rubric)
)


def evidence_score(positive: float, negative: float) -> float:
    """100·(P + 1.5)/(P + 2N + 2.5): 60 without evidence, bounded in (0, 100)."""
    return 100.0 * (positive + 1.5) / (positive + 2.0 * negative + 2.5)


def _field(item: Any, name: str, default: Any = None) -> Any:
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


def _risk_types(risks: Any) -> list[str]:
    """Risk types from strings, dicts/objects with `type`, or None."""
    if not risks:
        return []
    if isinstance(risks, str):
        return [risks]
    out = []
    for r in risks:
        kind = r if isinstance(r, str) else _field(r, "type") or _field(r, "risk")
        if kind:
            out.append(str(kind))
    return out


#: Per behaviour tag: (dimension index, +1/-1) pairs, and whether it is a sales behaviour.
_DIMS: tuple[str, ...] = tuple(RUBRIC)
_DIM_INDEX = {d: i for i, d in enumerate(_DIMS)}
_TAG_EFFECTS: dict[str, tuple[tuple[int, int], ...]] = {
    tag: tuple((_DIM_INDEX[dim], direction) for dim, direction in b.rubric)
    for tag, b in BEHAVIOURS.items()
}
_SOOTHING = _DIM_INDEX["soothing"]
_SALES = _DIM_INDEX["sales"]
_EFFICIENCY = _DIM_INDEX["efficiency"]
_RISK_EFFECTS: dict[str, tuple[int, ...]] = {
    risk: tuple(_DIM_INDEX[d] for d in dims) for risk, dims in RISK_DIMENSIONS.items()
}


def score_contact(
    decisions: Sequence[Mapping[str, Any]],
    *,
    kind: str,
    outcome: str | None,
    handle_s: float,
    wait_s: float = 0.0,
    pace_s: float | None = None,
    risks: Iterable[Any] | None = None,
) -> dict[str, float | None]:
    """The six rubric dimensions (0..100) of one contact.

    `decisions`: `{behaviours, risks, time_s, score, triggers, cross_sell}` per agent action
    (`triggers` are TriggerEvents or dicts with a `status` of armed|satisfied|missed;
    `cross_sell` is `{offer, fit}` or None). `pace_s`: the journey's expected handle time (the
    efficiency time score is skipped without it). `risks`: extra contact-level risk events not
    attached to a decision (e.g. raised by a missed trigger at the end). `wait_s` is accepted
    but not scored: queue wait is a staffing result, not the agent's behaviour.
    `sales` is None when the contact had no sales opportunity (not a sales journey, no sales
    behaviour, no offer) so it does not drag radar averages.

    Runs once per contact (40,000+ per full day), hence the precomputed tables.
    """
    del wait_s  # documented: not part of the agent's rubric
    key = _evidence_key(decisions, kind, outcome, risks)
    if key is None:
        values, sales_seen = _evidence_values(decisions, kind, outcome, risks)
    else:
        hit = _EVIDENCE_MEMO.get(key)
        if hit is None:
            if len(_EVIDENCE_MEMO) >= _EVIDENCE_MEMO_MAX:
                _EVIDENCE_MEMO.clear()
            hit = _EVIDENCE_MEMO[key] = _evidence_values(decisions, kind, outcome, risks)
        values, sales_seen = hit
    dims = list(values)
    if pace_s and pace_s > 0:
        ratio = max(0.0, float(handle_s)) / pace_s
        time_score = 100.0 * min(1.0, max(0.0, (PACE_ZERO_AT - ratio) / (PACE_ZERO_AT - 1.0)))
        dims[_EFFICIENCY] = round(0.5 * dims[_EFFICIENCY] + 0.5 * time_score, 2)
    scores: dict[str, float | None] = dict(zip(_DIMS, dims, strict=True))
    if not sales_seen:
        scores["sales"] = None
    return scores


#: Evidence scores memoised by what they depend on: per decision its behaviour tags, risk
#: types, trigger statuses and offer fit; the kind, outcome and extra risks. Why: a simulated
#: day scores 40,000 contacts that follow a few hundred distinct paths, and the scores are
#: a pure function of this key (only the efficiency's time part varies, applied after).
_EVIDENCE_MEMO: dict[tuple, tuple[tuple[float, ...], bool]] = {}
_EVIDENCE_MEMO_MAX = 50_000


def _evidence_key(
    decisions: Sequence[Any], kind: str, outcome: str | None, risks: Any
) -> tuple | None:
    """The memo key, or None for inputs that are not plain dicts of plain values."""
    parts: list[Any] = [kind, outcome, tuple(_risk_types(risks)) if risks else ()]
    for d in decisions:
        if type(d) is not dict:
            return None
        behaviours = d.get("behaviours") or ()
        d_risks = d.get("risks")
        triggers = d.get("triggers")
        offer = d.get("cross_sell")
        try:
            parts.append(
                (
                    tuple(behaviours),
                    tuple(_risk_types(d_risks)) if d_risks else (),
                    tuple(str(_field(e, "status")) for e in triggers) if triggers else (),
                    str(_field(offer, "fit", "medium")) if offer else None,
                )
            )
        except TypeError:
            return None
    return tuple(parts)


def _evidence_values(
    decisions: Sequence[Any], kind: str, outcome: str | None, risks: Any
) -> tuple[tuple[float, ...], bool]:
    """The six evidence scores (efficiency without its time part) and whether any sales
    opportunity was seen."""
    pos = [0.0] * len(_DIMS)
    neg = [0.0] * len(_DIMS)
    sales_seen = kind == "sales"
    all_risks: list[str] = _risk_types(risks) if risks else []
    effects = _TAG_EFFECTS
    for decision in decisions:
        get = (
            decision.get if isinstance(decision, Mapping) else functools.partial(getattr, decision)
        )
        for tag in get("behaviours", None) or ():
            for dim, direction in effects.get(tag, ()):
                if direction > 0:
                    pos[dim] += 1.0
                else:
                    neg[dim] += 1.0
            if tag in SALES_BEHAVIOURS:
                sales_seen = True
        decision_risks = get("risks", None)
        if decision_risks:
            all_risks.extend(_risk_types(decision_risks))
        for event in get("triggers", None) or ():
            status = _field(event, "status")
            if status == "satisfied":
                pos[_SOOTHING] += TRIGGER_EVIDENCE
            elif status == "missed":
                neg[_SOOTHING] += TRIGGER_EVIDENCE
        offer = get("cross_sell", None)
        if offer:
            sales_seen = True
            p, n = FIT_EVIDENCE.get(str(_field(offer, "fit", "medium")), (0.0, 0.0))
            pos[_SALES] += p
            neg[_SALES] += n
    for risk in all_risks:
        for dim in _RISK_EFFECTS.get(risk, ()):
            neg[dim] += RISK_EVIDENCE
            if dim == _SALES:
                sales_seen = True
    for dim_name, p, n in OUTCOME_EVIDENCE.get(outcome or "", ()):
        pos[_DIM_INDEX[dim_name]] += p
        neg[_DIM_INDEX[dim_name]] += n
    values = tuple(
        round(100.0 * (p + 1.5) / (p + 2.0 * n + 2.5), 2) for p, n in zip(pos, neg, strict=True)
    )
    return values, sales_seen


def efficiency_with_pace(evidence: Any, handle_s: Any, pace_s: Any) -> Any:
    """`score_contact`'s efficiency for arrays of contacts (batch play): half evidence, half
    time against the pace; rows without a pace (NaN or <= 0) keep the evidence score."""
    import numpy as np

    evidence = np.asarray(evidence, dtype=float)
    pace = np.asarray(pace_s, dtype=float)
    ok = np.isfinite(pace) & (pace > 0)
    ratio = np.maximum(0.0, np.asarray(handle_s, dtype=float)) / np.where(ok, pace, 1.0)
    time_score = 100.0 * np.minimum(
        1.0, np.maximum(0.0, (PACE_ZERO_AT - ratio) / (PACE_ZERO_AT - 1.0))
    )
    return np.where(ok, round_like_python(0.5 * evidence + 0.5 * time_score, 2), evidence)


def round_like_python(values: Any, digits: int) -> Any:
    """Python's `round` for an array: numpy's differs on decimal ties (88.455 -> 88.46 where
    Python gives 88.45), and a contact's record must not depend on whether it was played
    alone or in a batch. numpy rounds everything; the rare near-ties are redone by Python."""
    import numpy as np

    values = np.asarray(values, dtype=float)
    out = np.round(values, digits)
    scaled = values * 10.0**digits
    near = np.flatnonzero(~(np.abs(scaled - np.floor(scaled) - 0.5) >= 1e-6))
    for i in near.tolist():
        if values[i] == values[i]:  # NaN stays NaN
            out[i] = round(float(values[i]), digits)
    return out


def overall_score(rubric: Mapping[str, float | None]) -> float | None:
    """Mean of the applicable rubric dimensions (None ones are skipped)."""
    total = 0.0
    n = 0
    for v in rubric.values():
        if v is not None:
            total += float(v)
            n += 1
    return round(total / n, 2) if n else None


def contact_risk_points(risks: Iterable[Any] | Mapping[str, int]) -> int:
    """Risk points of a contact: Σ weight(type) over its risk events.

    Accepts a list of risk types (or dicts/objects with `type`) or a mapping type -> count.
    Unknown types raise ValueError: a typo must not silently score zero.
    """
    if isinstance(risks, Mapping):
        items = [(str(k), int(v)) for k, v in risks.items()]
    else:
        items = [(r, 1) for r in _risk_types(risks)]
    total = 0
    for kind, count in items:
        if kind not in RISK_WEIGHTS:
            raise ValueError(f"unknown risk type {kind!r}; known: {', '.join(RISK_WEIGHTS)}")
        total += RISK_WEIGHTS[kind] * count
    return total
