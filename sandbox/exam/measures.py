"""Per-contact measures, each 0..100, and their weighted mean (docs/exam-format.md#scoring).

Every measure reads the seat's contact record (docs/results-schema.md) and nothing else, so a
grade is a pure function of the replayed session.
"""

from __future__ import annotations

from typing import Any

from journeys.vocabulary import RESOLVING_OUTCOMES
from sandbox.exam.model import CriticalError, Measure


def time_score(handle_s: float, pace_s: float) -> float:
    """Full marks up to the pace, zero at 2.5x the pace (the rubric's efficiency curve)."""
    return 100.0 * min(1.0, max(0.0, (2.5 - handle_s / pace_s) / 1.5))


def measure_value(m: Measure, rec: dict[str, Any], pace_s: float | None) -> float | None:
    """One measure of one contact; None when it does not apply (e.g. sales on a service call)."""
    name = m.name
    if name == "rubric":
        value = rec.get("rubric_score")
    elif name.startswith("rubric."):
        value = (rec.get("rubric") or {}).get(name.split(".", 1)[1])
    elif name == "csat":
        csat = rec.get("csat_mean")
        value = None if csat is None else (float(csat) - 1.0) / 4.0 * 100.0
    elif name == "resolution":
        value = 100.0 if rec.get("outcome") in RESOLVING_OUTCOMES else 0.0
    elif name == "handle_time":
        pace = m.against_s if m.against_s is not None else pace_s
        value = None if not pace else time_score(float(rec["handle_s"]), pace)
    elif name == "risk_points":
        value = 100.0 * max(0.0, 1.0 - float(rec.get("risk_points") or 0) / m.zero_at)
    else:  # pragma: no cover - the loader admits only known measures
        raise ValueError(name)
    return None if value is None else round(float(value), 6)


def contact_score(
    measures: tuple[Measure, ...], rec: dict[str, Any], pace_s: float | None
) -> tuple[float, dict[str, float | None]]:
    """Weighted mean of the measures that apply (weights renormalised over them)."""
    values = {m.name: measure_value(m, rec, pace_s) for m in measures}
    used = [(m.weight, values[m.name]) for m in measures if values[m.name] is not None]
    total = sum(w for w, _ in used)
    score = sum(w * v for w, v in used if v is not None) / total if total else 0.0
    return round(score, 6), values


def critical_hits(critical: tuple[CriticalError, ...], rec: dict[str, Any]) -> list[dict[str, Any]]:
    """The critical errors a contact committed, with the decision that raised a risk."""
    hits = []
    for ce in critical:
        if ce.risk is not None:
            count = int(rec.get(f"risk_{ce.risk}") or 0)
            if not count:
                continue
            where = next(
                (d for d in rec.get("decisions", ()) if ce.risk in d.get("risks", ())), None
            )
            hits.append({
                "risk": ce.risk, "outcome": None, "fails": ce.fails, "count": count,
                "choice_id": where["choice_id"] if where else None,
                "t": where["t"] if where else None,
            })  # fmt: skip
        elif rec.get("outcome") == ce.outcome:
            hits.append({"risk": None, "outcome": ce.outcome, "fails": ce.fails, "count": 1,
                         "choice_id": None, "t": rec.get("ended_at")})  # fmt: skip
    return hits
