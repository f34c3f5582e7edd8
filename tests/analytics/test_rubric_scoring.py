"""Rubric scoring and risk points."""

from __future__ import annotations

import pytest

from journeys.vocabulary import BEHAVIOURS, RISK_TYPES, RUBRIC
from sandbox import scoring


def _d(*behaviours: str, risks=(), triggers=(), cross_sell=None, time_s=15.0) -> dict:
    return {
        "behaviours": list(behaviours),
        "risks": list(risks),
        "time_s": time_s,
        "score": 0,
        "triggers": list(triggers),
        "cross_sell": cross_sell,
    }


def test_every_risk_type_has_a_weight_and_dimension() -> None:
    assert set(scoring.RISK_WEIGHTS) == set(RISK_TYPES)
    assert set(scoring.RISK_DIMENSIONS) == set(RISK_TYPES)


def test_no_evidence_is_sixty_and_sales_not_applicable() -> None:
    s = scoring.score_contact([], kind="inquiry", outcome=None, handle_s=100, wait_s=5)
    assert set(s) == set(RUBRIC)
    assert s["sales"] is None
    assert all(s[d] == 60.0 for d in RUBRIC if d != "sales")


def test_good_complaint_handling_beats_bad() -> None:
    good = [
        _d("greeting"),
        _d("verify_identity", "protect_privacy"),
        _d("apology", "empathy"),
        _d("restate", "calm"),
        _d("offer_solution", "accurate_info"),
        _d("summarize"),
    ]
    bad = [
        _d("skip_verification", risks=["privacy_breach"]),
        _d("argue", "blame_customer"),
        _d("wrong_info", risks=["wrong_info"]),
        _d("interrupt"),
    ]
    g = scoring.score_contact(good, kind="complaint", outcome="resolved", handle_s=300)
    b = scoring.score_contact(bad, kind="complaint", outcome="customer_hung_up", handle_s=300)
    for dim in ("empathy", "accuracy", "soothing", "compliance"):
        assert g[dim] > 75 > 40 > b[dim], dim
    assert all(0 <= v <= 100 for v in (*g.values(), *b.values()) if v is not None)


def test_every_behaviour_moves_its_rubric_dimensions_in_its_direction() -> None:
    base = scoring.score_contact([_d()], kind="sales", outcome=None, handle_s=60)
    for tag, behaviour in BEHAVIOURS.items():
        s = scoring.score_contact([_d(tag)], kind="sales", outcome=None, handle_s=60)
        for dim, direction in behaviour.rubric:
            assert (s[dim] - base[dim]) * direction > 0, (tag, dim)


def test_triggers_missed_and_satisfied_move_soothing() -> None:
    missed = scoring.score_contact(
        [_d(triggers=[{"status": "missed"}])], kind="complaint", outcome=None, handle_s=60
    )
    done = scoring.score_contact(
        [_d(triggers=[{"status": "satisfied"}])], kind="complaint", outcome=None, handle_s=60
    )
    assert missed["soothing"] < 60 < done["soothing"]


def test_cross_sell_fit_and_mis_selling() -> None:
    fit = scoring.score_contact(
        [_d("needs_discovery"), _d("cross_sell_offer", cross_sell={"offer": "x", "fit": "high"})],
        kind="inquiry",
        outcome="sale",
        handle_s=60,
    )
    unfit = scoring.score_contact(
        [
            _d(
                "cross_sell_offer",
                "pushy_sales",
                risks=["mis_selling"],
                cross_sell={"offer": "x", "fit": "low"},
            )
        ],
        kind="inquiry",
        outcome=None,
        handle_s=60,
    )
    assert fit["sales"] > 85 and unfit["sales"] < 30
    assert unfit["compliance"] < 60


def test_efficiency_uses_pace() -> None:
    quick = scoring.score_contact([_d()], kind="inquiry", outcome=None, handle_s=100, pace_s=120)
    slow = scoring.score_contact([_d()], kind="inquiry", outcome=None, handle_s=200, pace_s=120)
    very = scoring.score_contact([_d()], kind="inquiry", outcome=None, handle_s=400, pace_s=120)
    assert quick["efficiency"] == pytest.approx(80.0)  # (60 + 100) / 2
    assert quick["efficiency"] > slow["efficiency"] > very["efficiency"] == 30.0


def test_contact_risk_points() -> None:
    assert scoring.contact_risk_points([]) == 0
    assert scoring.contact_risk_points(["privacy_breach", "wrong_info"]) == 8
    assert scoring.contact_risk_points({"escalation_risk": 2, "mis_selling": 1}) == 7
    assert scoring.contact_risk_points([{"type": "compliance_breach"}]) == 5
    with pytest.raises(ValueError, match="unknown risk type 'privacy'"):
        scoring.contact_risk_points(["privacy"])


def test_overall_skips_not_applicable() -> None:
    assert scoring.overall_score({"a": 50.0, "b": None, "c": 70.0}) == 60.0
    assert scoring.overall_score({"a": None}) is None
