"""Bot policies: deterministic, distinct, and doing what docs/bots.md says."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest

from journeys.model import CrossSell
from journeys.policies import POLICIES, PolicyError, choose, is_mistake


@dataclass
class View:
    id: str
    score: float = 0.0
    behaviours: tuple = ()
    risk: tuple = ()
    time_s: float = 15.0
    cross_sell: object = None
    fallback: bool = False
    available: bool = True


@dataclass
class FakeRun:
    """Only the public JourneyRun surface the policies may use."""

    views: list
    required_behaviours: tuple = ()
    state: dict = field(default_factory=dict)
    node_id: str = "n"

    def choices(self, include_unavailable: bool = False):
        return [v for v in self.views if include_unavailable or v.available]


NODE = [
    View("empathize", 3, ("empathy", "apology"), time_s=30),
    View("ok", 1, ("accurate_info",), time_s=12),
    View("vague", -2, ("vague_info",), time_s=5),
    View("leak", -6, ("disclose_private",), ("privacy_breach",), time_s=10),
]


def test_policies_are_the_documented_four():
    assert POLICIES == ("random", "novice", "competent", "expert")


def test_expert_picks_best_practice_and_never_a_risk():
    views = [View("risky_high", 9, ("overpromise",), ("compliance_breach",)), *NODE]
    assert choose("expert", FakeRun(views), random.Random(0)) == "empathize"


def test_expert_satisfies_a_pending_calm_three_step_first():
    views = [View("solve", 4, ("offer_solution",)), View("calm", 2, ("calm", "restate"))]
    run = FakeRun(views, required_behaviours=("calm", "restate", "offer_solution"))
    assert choose("expert", run, random.Random(0)) == "calm"


@pytest.mark.parametrize("policy", POLICIES)
def test_same_seed_same_decisions(policy):
    a = [choose(policy, FakeRun(NODE), rng) for rng in [random.Random(5)] for _ in range(50)]
    b = [choose(policy, FakeRun(NODE), rng) for rng in [random.Random(5)] for _ in range(50)]
    assert a == b


def _rates(policy: str, n: int = 4000) -> dict[str, float]:
    rng = random.Random(1)
    picks = [choose(policy, FakeRun(NODE), rng) for _ in range(n)]
    return {v.id: picks.count(v.id) / n for v in NODE}


def test_competent_is_mostly_the_expert_with_lesser_options_and_mild_lapses():
    r = _rates("competent")
    assert 0.55 <= r["empathize"] <= 0.65  # the expert's choice
    assert 0.20 <= r["ok"] <= 0.30  # a lesser sound option (COMPETENT_SLIP)
    assert 0.10 <= r["vague"] <= 0.20  # a mild lapse (COMPETENT_LAPSE)
    assert r["leak"] == 0  # never a risk


def test_competent_lapses_less_while_a_three_step_is_pending():
    views = [
        View("three", 4, ("calm", "restate", "offer_solution")),
        View("canned", -1, ("scripted",)),
    ]
    rng = random.Random(2)
    calm = [choose("competent", FakeRun(views), rng) for _ in range(4000)]
    alert = [
        choose("competent", FakeRun(views, ("calm", "restate", "offer_solution")), rng)
        for _ in range(4000)
    ]
    assert 0.12 <= calm.count("canned") / 4000 <= 0.18
    assert 0.04 <= alert.count("canned") / 4000 <= 0.10


def test_novice_rushes_into_typical_slips_but_still_tries_to_resolve():
    r = _rates("novice")
    assert 0.40 <= r["vague"] <= 0.50  # the quick typical slip
    assert r["leak"] == 0  # hostile/illegal acts are not what novices tend to do
    # not slipping, it takes the quick answer that does the task, never the empathy work
    assert r["ok"] >= 0.5 and r["empathize"] == 0


def test_novice_never_invents_an_answer_or_turns_hostile():
    views = [
        View("right", 3, ("accurate_info", "explain"), time_s=40),
        View("wrong", -4, ("wrong_info",), ("wrong_info",), time_s=6),
        View("argue", -3, ("argue",), time_s=5),
        View("unsure", -2, ("vague_info",), time_s=5),
    ]
    rng = random.Random(4)
    picks = [choose("novice", FakeRun(views), rng) for _ in range(2000)]
    assert picks.count("wrong") == picks.count("argue") == 0
    assert 0.40 <= picks.count("unsure") / 2000 <= 0.50


def test_random_is_uniform():
    r = _rates("random")
    assert all(0.2 <= v <= 0.3 for v in r.values())


def test_competent_sometimes_forgets_the_three_step():
    views = [View("solve", 4, ("offer_solution",)), View("calm", 2, ("calm", "restate"))]
    rng = random.Random(3)
    picks = [
        choose("competent", FakeRun(views, ("calm", "restate", "offer_solution")), rng)
        for _ in range(2000)
    ]
    forgot = picks.count("solve") / len(picks)
    # forgets the three-step 20% of the time, plus the usual 25% slip to the lesser option
    assert 0.38 <= forgot <= 0.52


def test_low_fit_cross_sell_is_a_mistake():
    assert is_mistake(
        View("sell", 1, ("cross_sell_offer",), cross_sell=CrossSell("x", "low"))
    )
    assert not is_mistake(
        View("sell", 1, ("cross_sell_offer",), cross_sell=CrossSell("x", "high"))
    )


def test_unknown_policy_and_empty_node_are_clear_errors():
    with pytest.raises(PolicyError, match="unknown policy"):
        choose("genius", FakeRun(NODE), random.Random(0))
    with pytest.raises(PolicyError, match="no choice available"):
        choose("expert", FakeRun([View("x", available=False)]), random.Random(0))


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("pending", [(), ("calm", "restate", "offer_solution")])
def test_one_contact_and_many_at_once_decide_alike(policy: str, pending: tuple) -> None:
    """`choose` (one contact, three draws from its rng) and `choose_many` (an array of
    draws) pick the same choice for the same numbers: batch play and one-at-a-time play of
    the engine cannot drift apart."""
    import numpy as np

    from journeys.policies import choose_many

    views = [*NODE, View("calm", 2, ("empathy",), time_s=20), View("rush", 0, ("rush",), time_s=3)]
    draws = np.random.default_rng(7).random((400, 3))
    candidates, index = choose_many(policy, views, frozenset(pending), draws)
    many = [candidates[int(k)].id for k in index]

    class Draws:
        def __init__(self, row):
            self.row = list(row)

        def random(self):
            return self.row.pop(0)

    one = [choose(policy, FakeRun(views, pending), Draws(row)) for row in draws]
    assert one == many
    assert len(set(many)) >= (1 if policy == "expert" else 2)
