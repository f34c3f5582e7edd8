"""Team figures and round scores from real played sessions (sandbox.league.scoring).

The "teams" here are bot policies taking the cs-cert-en exam forms: one form seed gives the same
k-th customer to every policy, as a round's team form does to every team. The builders are
shared by test_board.py and test_debrief.py.
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace
from typing import Any

import pytest

from journeys.vocabulary import RUBRIC
from sandbox.league.model import SCORE_KPIS, Competition, Round, ScoreItem
from sandbox.league.scoring import (
    CustomerFate,
    TeamRound,
    contact_figures,
    contact_score,
    customer_k,
    round_score,
    team_figures,
)

#: team id -> (display name, bot policy); t5 plays exactly as t1 (a tie).
TEAMS: dict[str, tuple[str, str]] = {
    "t1": ("Experts", "expert"),
    "t2": ("Competent crew", "competent"),
    "t3": ("Novices", "novice"),
    "t4": ("<script>alert(1)</script>", "random"),
    "t5": ('=HYPERLINK("http://x")', "expert"),
}


@functools.cache
def exam() -> Any:
    from sandbox.exam.loader import load_exam

    return load_exam("cs-cert-en")


@functools.cache
def played(form: int, policy: str) -> dict[str, Any]:
    """results() of a seat that took exam form `form` with a bot policy."""
    from sandbox.exam.replay import play, policy_chooser, replay

    ex = exam()
    return replay(ex, form, play(ex, form, policy_chooser(policy))).results()


def team_round(team_id: str, round_index: int, policy: str, *, member: int = 1) -> TeamRound:
    """A TeamRound from a played form: the seat's contacts (ids already `<seat>-<kkk>`) with the
    member added, one customer fate per contact (taken when answered)."""
    res = played(round_index, policy)
    records = tuple({**r, "member": member} for r in res["contacts"])
    fates = tuple(
        CustomerFate(
            k=customer_k(r) or 0,
            arrived_s=float(r["arrived_at"]),
            taken_s=float(r["answered_at"]),
            member=member,
            abandoned=False,
        )
        for r in records
    )
    return TeamRound(team_id, round_index, records, fates, float(res["threshold_s"]))


def competition(**changes: Any) -> Competition:
    ex = exam()
    rounds = tuple(
        Round(
            id=f"r{i + 1}",
            title={"zh-CN": f"第 {i + 1} 轮", "en": f"Round {i + 1}"},
            scenario_ref="practice",
            scenario=ex.scenario,
            seat=ex.seat,
            seed=form.seed,
            duration_s=2700.0,
            weight=float(i + 1),
            gap_s=5.0,
            arrivals_per_hour=12.0,
            patience_s=120.0,
        )
        for i, form in enumerate(ex.forms)
    )
    comp = Competition(
        id="class-test",
        version=1,
        title={"zh-CN": "课堂竞赛（测试）", "en": "Class competition (test)"},
        description={"zh-CN": "", "en": ""},
        lang="en",
        path="<test>",
        teams=(),
        signup=None,
        rounds=rounds,
        scorecard=(
            ScoreItem("csat_mean", 3, 1.0, 5.0),
            ScoreItem("fcr", 2, 0.0, 1.0),
            ScoreItem("aht_s", 1, 900.0, 240.0),
            ScoreItem("service_level", 1, 0.0, 1.0),
            ScoreItem("risk_points", 2, 3.0, 0.0),
            ScoreItem("rubric", 3, 0.0, 100.0),
            ScoreItem("rubric.empathy", 1, 0.0, 100.0),
        ),
        freeze_s=0.0,
        tie_breaks=("csat_mean", "risk_points"),
        content_hash="test",
    )
    return replace(comp, **changes)


def class_rounds(rounds: tuple[int, ...] = (0, 1)) -> list[TeamRound]:
    return [team_round(t, i, policy) for i in rounds for t, (_, policy) in TEAMS.items()]


def names() -> dict[str, str]:
    return {t: name for t, (name, _) in TEAMS.items()}


# -- tests ---------------------------------------------------------------------------------------


def test_team_figures_match_the_session_kpis_of_the_seat() -> None:
    tr = team_round("t1", 0, "expert")
    res = played(0, "expert")
    seat = next(a for a in res["agents"] if a["agent_id"] == res["contacts"][0]["agent_id"])
    fig = team_figures(tr)
    assert set(fig) == set(SCORE_KPIS)
    # contact KPIs mean what the session's per-agent row of the seat says (sandbox.kpis)
    for key in ("csat_mean", "fcr", "aht_s", "cross_sell_rate"):
        assert fig[key] == pytest.approx(seat[key]) if seat[key] is not None else fig[key] is None
    for dim in RUBRIC:
        got, want = fig[f"rubric.{dim}"], seat["rubric"][dim]
        assert (got is None and want is None) or got == pytest.approx(want)
    assert fig["handled"] == len(res["contacts"]) == seat["finished"]
    assert fig["risk_points"] == pytest.approx(seat["risk_points"] / seat["finished"])
    scores = [r["rubric_score"] for r in res["contacts"]]
    assert fig["rubric"] == pytest.approx(sum(scores) / len(scores))
    assert fig["service_level"] == 1.0 and fig["abandonment_rate"] == 0.0


def test_record_order_does_not_change_the_figures() -> None:
    tr = team_round("t3", 1, "novice")
    shuffled = replace(tr, records=tuple(reversed(tr.records)))
    assert team_figures(shuffled) == team_figures(tr)


def test_queue_figures_from_customer_fates() -> None:
    tr = team_round("t1", 0, "expert")
    threshold = tr.service_threshold_s
    fates = (
        CustomerFate(1, 0.0, threshold, 1, False),  # on the threshold: in time
        CustomerFate(2, 10.0, 10.0 + threshold + 1, 2, False),  # late
        CustomerFate(3, 20.0, None, None, True),  # abandoned: not in time
        CustomerFate(4, 30.0, None, None, False),  # still waiting at the end
    )
    fig = team_figures(replace(tr, customers=fates))
    assert fig["service_level"] == pytest.approx(1 / 4)
    assert fig["abandonment_rate"] == pytest.approx(1 / 3)  # abandoned / (taken + abandoned)


def test_no_records_no_evidence() -> None:
    fig = team_figures(TeamRound("t9", 0, (), (), 20.0))
    assert fig["handled"] == 0.0
    assert all(fig[k] is None for k in SCORE_KPIS if k != "handled")
    comp = competition()
    total, points = round_score(comp, fig)
    assert total == 0.0 and set(points) == {i.kpi for i in comp.scorecard}


def test_round_score_is_the_weighted_mean_of_points() -> None:
    comp = competition()
    fig = team_figures(team_round("t3", 0, "novice"))
    total, points = round_score(comp, fig)
    weights = {i.kpi: i.weight for i in comp.scorecard}
    want = sum(weights[k] * p for k, p in points.items()) / sum(weights.values())
    assert total == pytest.approx(want, abs=1e-6)
    assert 0.0 <= total <= 100.0
    assert points["csat_mean"] == pytest.approx(100 * (fig["csat_mean"] - 1) / 4, abs=1e-5)


def test_better_policies_score_higher_in_every_round() -> None:
    comp = competition()
    for form in (0, 1):
        score = {p: round_score(comp, team_figures(team_round(p, form, p)))[0]
                 for p in ("expert", "novice", "random")}  # fmt: skip
        assert score["expert"] > score["novice"] > score["random"], score


def test_contact_score_leaves_out_team_only_and_missing_items() -> None:
    comp = competition()
    rec = played(1, "expert")["contacts"][0]
    fig = contact_figures(rec)
    assert fig["service_level"] is None and fig["handled"] is None
    assert fig["cross_sell_rate"] is None  # no offer on this contact
    assert fig["fcr"] == (1.0 if rec["outcome"] in ("resolved", "sale") else 0.0)
    used = [i for i in comp.scorecard if i.kpi not in ("service_level",)]
    want = sum(i.weight * i.points(fig[i.kpi]) for i in used) / sum(i.weight for i in used)
    assert contact_score(comp, rec) == pytest.approx(want, abs=1e-6)
    only_queue = competition(scorecard=(ScoreItem("service_level", 1, 0, 1),))
    assert contact_score(only_queue, rec) is None


def test_figures_are_finite_numbers_or_none() -> None:
    for tr in class_rounds((0,)):
        for key, value in team_figures(tr).items():
            assert value is None or (isinstance(value, float) and math.isfinite(value)), key
