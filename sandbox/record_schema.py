"""The finished-contact record, declared once: every field's name, type, contacts.csv column,
KPI role and whether the outcome models read it.

Why one table: the record is built by the engine (one contact or a batch of columns), counted
by the KPI accumulator, fed to the outcome models and written to contacts.csv; the column
sets of `sandbox.columns`, the CSV header of `sandbox.results` and the check that every model
input exists all come from here, so adding a field is one line and no copy can drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from journeys.vocabulary import BEHAVIOURS, PERSONA_FIELDS, RISK_TYPES, RUBRIC

#: str: text or None; count: a whole number; bool: true/false; float: a number or None;
#: probs: the CSAT distribution (five floats, written as csat_p1..csat_p5).
Kind = Literal["str", "count", "bool", "float", "probs"]


@dataclass(frozen=True)
class Field:
    """One field of a finished-contact record."""

    name: str
    kind: Kind
    #: written to contacts.csv (in the table's order); False: results.json or memory only
    csv: bool = True
    #: what the KPI accumulator uses it for ("" = not read by the KPIs)
    kpi: str = ""


def _persona(name: str) -> Field:
    kinds: dict[str, Kind] = {"tenure_years": "float", "products": "count", "value": "float",
                              "prior_contacts": "count", "churn_risk": "float"}  # fmt: skip
    return Field(name, kinds.get(name, "str"), kpi="fcr" if name == "prior_contacts" else "")


RECORD: tuple[Field, ...] = (
    Field("contact_id", "str", kpi="timeline, cross-sell draw"),
    Field("agent_id", "str", kpi="per-agent figures"),
    Field("seat", "str", kpi="the trainee's own figures"),
    Field("channel", "str", kpi="per-channel figures"),
    Field("journey_id", "str"),
    Field("journey_kind", "str"),
    Field("kind", "str", csv=False),  # the journey kind under the models' name
    Field("human", "bool", csv=False, kpi="per-agent figures"),
    Field("policy", "str", csv=False, kpi="per-agent figures"),
    Field("persona_id", "str"),
    *[_persona(f) for f in PERSONA_FIELDS if f not in ("anger", "trust", "patience")],
    Field("arrived_at", "float", kpi="timeline"),
    Field("answered_at", "float"),
    Field("ended_at", "float", kpi="timeline"),
    Field("wait_s", "float", kpi="ASA, service level"),
    Field("handle_s", "float", kpi="AHT, occupancy"),
    Field("holds", "count"),
    Field("hold_s", "float"),
    Field("transfers", "count"),
    Field("outcome", "str", kpi="outcome mix"),
    Field("resolved", "count", kpi="resolution rate"),
    Field("fcr", "count", kpi="FCR"),
    Field("repeat_contact", "count"),
    Field("abandoned", "count", kpi="abandonment"),
    Field("hung_up", "count"),
    Field("escalated", "count"),
    Field("anger_peak", "float"),
    Field("anger_final", "float"),
    Field("trust_final", "float"),
    Field("patience_final", "float"),
    *[Field(f"risk_{r}", "count", kpi="risk points by type") for r in RISK_TYPES],
    Field("risk_points", "count", kpi="risk points"),
    *[Field(f"rubric_{d}", "float", kpi="rubric radar") for d in RUBRIC],
    Field("rubric_score", "float"),
    Field("score", "float"),
    Field("csat_mean", "float", kpi="CSAT"),
    Field("csat_top_box", "float", kpi="CSAT top box"),
    Field("csat_probs", "probs"),
    Field("churn", "float", kpi="churn risk"),
    Field("cross_sell_p", "float", csv=False),
    Field("cross_sell_offered", "count", kpi="cross-sell rate"),
    Field("cross_sell_fit", "count"),
    Field("cross_sell_fit_label", "str"),
    Field("cross_sell_offer", "str"),
    Field("cross_sell_accepted", "count", kpi="cross-sell rate"),
    *[Field(f"beh_{t}", "count") for t in BEHAVIOURS],
)

BY_NAME: dict[str, Field] = {f.name: f for f in RECORD}


def names(kind: Kind) -> frozenset[str]:
    """The record fields of one kind (the rubric and CSAT distribution are flat columns)."""
    return frozenset(f.name for f in RECORD if f.kind == kind)


def csv_columns() -> tuple[str, ...]:
    """contacts.csv's header, in order (the CSAT distribution as csat_p1..csat_p5)."""
    out: list[str] = []
    for f in RECORD:
        if not f.csv:
            continue
        if f.kind == "probs":
            out.extend(f"csat_p{i}" for i in range(1, 6))
        else:
            out.append(f.name)
    return tuple(out)


#: A record held as a dict nests the rubric (`rubric: {dim: score}`; columns: rubric_<dim>).
NESTED: dict[str, tuple[str, ...]] = {"rubric": tuple(f"rubric_{d}" for d in RUBRIC)}
#: What a seat's record carries besides its fields (results.json and the debrief only).
SEAT_DETAIL: tuple[str, ...] = (
    "transcript",
    "decisions",
    "persona_card",
    "journey_title",
    "explanation",
)
