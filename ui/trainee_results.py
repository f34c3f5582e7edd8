"""The results screen about the trainee (docs/ui.md § Results): the trainee's own KPIs and rubric
first, against the bot colleagues and the targets; the centre second.

Pure functions over the `shapan.results/1` document (`Session.results()`): the trainee is the
human seat's row of `agents`; colleagues are the bot rows (weighted by contacts finished). A
customer who hung up on the trainee — mid-contact, or waiting in the trainee's own queue
(`seat_queues` in results) — counts against them (its own tile, in red). The trainee's
rubric is averaged only over their contacts whose decisions gave a dimension evidence (a
behaviour, a risk or a rule that touches it; efficiency once any decision was taken): a
dimension without evidence is None ("no data"), never a number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from journeys.vocabulary import BEHAVIOURS, RUBRIC
from sandbox import kpi_catalogue as kc

#: The trainee's tiles, in order.
TRAINEE_KPIS: tuple[str, ...] = (
    "handled", "hung_up", "csat_mean", "fcr", "aht_s", "risk_points", "churn_risk_mean",
    "cross_sell_rate",
)  # fmt: skip

#: Risk type -> the rubric dimensions it counts against (as the scoring does).
_RISK_DIMS: dict[str, tuple[str, ...]] = {
    "privacy_breach": ("compliance",),
    "wrong_info": ("accuracy",),
    "compliance_breach": ("compliance",),
    "escalation_risk": ("soothing",),
    "mis_selling": ("compliance", "sales"),
}

_AGENT_FIELD = {"handled": "finished", "churn_risk_mean": "churn_risk_mean"}


def seat_contacts(results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in results.get("contacts") or () if c.get("seat")]


def hung_up(contact: Mapping[str, Any]) -> bool:
    return bool(contact.get("hung_up")) or contact.get("outcome") == "customer_hung_up"


def evidence(contact: Mapping[str, Any]) -> set[str]:
    """The rubric dimensions a contact's decisions gave evidence for."""
    dims: set[str] = set()
    decisions = list(contact.get("decisions") or ())
    if decisions:
        dims.add("efficiency")
    for d in decisions:
        for tag in d.get("behaviours") or ():
            b = BEHAVIOURS.get(tag)
            if b is not None:
                dims.update(dim for dim, _ in b.rubric)
        for risk in d.get("risks") or ():
            dims.update(_RISK_DIMS.get(str(risk), ()))
        if any(t.get("status") in ("satisfied", "missed") for t in d.get("triggers") or ()):
            dims.add("soothing")
    if contact.get("cross_sell_offered"):
        dims.add("sales")
    return dims


def trainee_rubric(results: Mapping[str, Any]) -> dict[str, float | None]:
    """The trainee's rubric: per dimension the mean over their contacts with evidence for it."""
    sums: dict[str, list[float]] = {dim: [] for dim in RUBRIC}
    for c in seat_contacts(results):
        rubric = c.get("rubric") or {}
        for dim in evidence(c):
            value = rubric.get(dim)
            if dim in sums and value is not None:
                sums[dim].append(float(value))
    return {dim: (sum(v) / len(v) if v else None) for dim, v in sums.items()}


def _weighted(rows: Sequence[Mapping[str, Any]], field: str) -> float | None:
    raw = [(float(r.get("finished") or 0), r.get(field)) for r in rows]
    pairs = [(w, float(v)) for w, v in raw if v is not None and w > 0]
    total = sum(w for w, _ in pairs)
    return sum(w * v for w, v in pairs) / total if total else None


def colleagues_rubric(results: Mapping[str, Any]) -> dict[str, float | None]:
    bots = [a for a in results.get("agents") or () if not a.get("human")]
    out: dict[str, float | None] = {}
    for dim in RUBRIC:
        rows = [
            {"finished": a.get("finished"), "v": (a.get("rubric") or {}).get(dim)} for a in bots
        ]
        out[dim] = _weighted(rows, "v")
    return out


def trainee_tiles(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One tile per trainee KPI: the trainee's value, the colleagues' (weighted mean or, for
    counts, per colleague), the target and whether it is met."""
    agents = list(results.get("agents") or ())
    mine = [a for a in agents if a.get("human")]
    bots = [a for a in agents if not a.get("human")]
    targets = results.get("targets") or {}
    contacts = seat_contacts(results)
    tiles = []
    for key in TRAINEE_KPIS:
        if key == "hung_up":  # mid-contact, or waiting in the trainee's own queue
            queued = sum(
                int(q.get("gave_up") or 0) for q in (results.get("seat_queues") or {}).values()
            )
            value: Any = sum(1 for c in contacts if hung_up(c)) + queued
            colleagues = None
        elif key in ("handled", "risk_points"):
            field = _AGENT_FIELD.get(key, key)
            value = sum(int(a.get(field) or 0) for a in mine) if mine else 0
            colleagues = (sum(float(a.get(field) or 0) for a in bots) / len(bots)) if bots else None
        else:
            field = _AGENT_FIELD.get(key, key)
            value = _weighted(mine, field)
            colleagues = _weighted(bots, field)
        target = targets.get(key)
        met = (value == 0) if key == "hung_up" else kc.met(key, value, target)
        tiles.append({"key": key, "value": value, "colleagues": colleagues, "target": target,
                      "met": met})  # fmt: skip
    return tiles


def tile_value(key: str, value: Any, lang: str) -> str:
    if key == "hung_up":
        return "—" if value is None else str(int(value))
    if key in ("handled", "risk_points") and value is not None:
        return f"{float(value):.0f}" if float(value).is_integer() else f"{float(value):.1f}"
    return kc.format_value(key, value, lang)


def tile_label(key: str, lang: str) -> str:
    if key == "hung_up":
        return {"zh-CN": "客户挂断", "en": "Hung up on you"}[lang if lang == "zh-CN" else "en"]
    return kc.label(key, lang)
