"""Realistic contact records for the analytics tests (the shape the engine produces)."""

from __future__ import annotations

import random
from typing import Any

from journeys.vocabulary import RISK_TYPES, RUBRIC
from sandbox import scoring
from sandbox.columns import columns_from_records
from sandbox.kpis import KpiAccumulator

JOURNEYS = (
    ("billing_complaint", "complaint"),
    ("plan_inquiry", "inquiry"),
    ("upgrade_sale", "sales"),
)


def make_record(i: int, rng: random.Random, *, human: bool = False) -> dict[str, Any]:
    """One answered contact with predictions, as a flat record (contacts.csv row shape)."""
    journey_id, kind = JOURNEYS[i % 3]
    arrived = i * 7.0 + rng.random() * 5
    wait = rng.expovariate(1 / 25)
    handle = 60 + rng.expovariate(1 / 200)
    risks = {k: 0 for k in RISK_TYPES}
    if rng.random() < 0.1:
        risks[rng.choice(list(RISK_TYPES))] += 1
    p = [rng.random() for _ in range(5)]
    total = sum(p)
    probs = [x / total for x in p]
    offered = kind == "sales" or rng.random() < 0.2
    rubric = {d: round(rng.uniform(30, 95), 2) for d in RUBRIC}
    if kind != "sales" and not offered:
        rubric["sales"] = None  # not applicable, as scoring.score_contact reports it
    outcome = rng.choice(["resolved", "resolved", "sale", "unresolved", "escalated"])
    rec: dict[str, Any] = {
        "contact_id": f"c{i:06d}",
        "agent_id": "seat1" if human else f"a{i % 4:02d}",
        "seat": "seat1" if human else None,
        "channel": "chat" if i % 5 == 0 else "phone",
        "journey_id": journey_id,
        "journey_kind": kind,
        "segment": rng.choice(["mass", "vip"]),
        "arrived_at": arrived,
        "answered_at": arrived + wait,
        "ended_at": arrived + wait + handle,
        "wait_s": wait,
        "handle_s": handle,
        "holds": 0,
        "hold_s": 0.0,
        "transfers": 0,
        "outcome": outcome,
        "resolved": int(outcome in ("resolved", "sale")),
        "fcr": int(outcome in ("resolved", "sale")),
        "abandoned": 0,
        "hung_up": 0,
        "escalated": int(outcome == "escalated"),
        **{f"risk_{k}": v for k, v in risks.items()},
        "risk_points": scoring.contact_risk_points(risks),
        "rubric": rubric,
        "csat_mean": sum((k + 1) * q for k, q in enumerate(probs)),
        "csat_top_box": probs[4],
        "csat_probs": probs,
        "churn": rng.uniform(0.02, 0.6),
        "cross_sell_offered": int(offered),
        "cross_sell_fit": rng.choice([1, 2, 3]) if offered else 0,
        "cross_sell_fit_label": None,
        "cross_sell_accepted": int(offered and rng.random() < 0.3),
        "score": rng.randint(-5, 20),
    }
    if offered:
        rec["cross_sell_fit_label"] = ("low", "medium", "high")[rec["cross_sell_fit"] - 1]
    if human:
        rec["transcript"] = [
            {
                "t": arrived + wait,
                "speaker": "customer",
                "text": {"zh-CN": "你们多扣了我两百块！", "en": "You overcharged me 200!"},
                "tags": [],
            },
            {
                "t": arrived + wait + 20,
                "speaker": "agent",
                "text": {"zh-CN": "非常抱歉，我马上核实。", "en": "So sorry, let me check."},
                "tags": [],
            },
        ]
        rec["decisions"] = [
            {
                "t": arrived + wait + 20,
                "node_id": "opening",
                "choice_id": "empathize",
                "text": {"zh-CN": "非常抱歉，我马上核实。", "en": "So sorry, let me check."},
                "behaviours": ["apology", "empathy"],
                "feedback": {"zh-CN": "先共情再处理。", "en": "Empathy first, then the fix."},
                "knowledge": [
                    {
                        "id": "kb.empathy.acknowledge",
                        "title": {"zh-CN": "先认可情绪", "en": "Acknowledge feelings"},
                    }
                ],
                "score": 2,
                "risks": [],
                "csat_after": 3.9,
            },
        ]
        rec["explanation"] = {
            "zh-CN": [{"text": "首次解决提升满意度", "effect": 0.041}],
            "en": [{"text": "Resolved first time", "effect": 0.041}],
        }
        rec["persona_card"] = {
            "zh-CN": {"segment": "大众客户", "age_band": "老年"},
            "en": {"segment": "mass market", "age_band": "elderly"},
        }
        rec["journey_title"] = {"zh-CN": "账单投诉", "en": "Billing complaint"}
    return rec


def finish(acc: KpiAccumulator, *records: dict[str, Any]) -> None:
    """Count finished contacts as the recorder hands them over: one column batch (a single
    contact is a batch of one)."""
    acc.contacts_finished(columns_from_records(records))
