"""Issue 14, the practice room: every decision moves the prediction the right way.

Over every shipped journey, for a few customers each, along the textbook path: at every node
the best reply's effect on the contact's predicted outcome (the outcome models of contact end,
with the later cost of a breach) is at least that of any reply the journey marks as a mistake
(`journeys.policies.is_mistake`), a path with one such mistake ends below the textbook path,
harmful replies never raise predicted CSAT at once, and a breach shows its later cost at the
decision."""

from __future__ import annotations

import pytest

from journeys.library import load_all_shipped
from journeys.policies import is_mistake
from sandbox.engine.contact import ContactPlay
from sandbox.engine.foresight import (
    NEVER_PLEASING,
    best_choice,
    decision_effect,
)
from sandbox.engine.offline import offline_persona
from sandbox.engine.pace import journey_pace

JOURNEYS = sorted(load_all_shipped().items()) if isinstance(load_all_shipped(), dict) else []
PERSONA_SEEDS = (3, 8, 21, 5, 13, 34, 55, 89)


def _journeys():
    shipped = load_all_shipped()
    items = shipped.items() if isinstance(shipped, dict) else ((j.id, j) for j in shipped)
    return sorted(items)


def _contact(journey, persona_seed: int) -> ContactPlay:
    persona = offline_persona(journey, persona_seed)
    play = ContactPlay(journey, persona, contact_id="t", seed=1000 + persona_seed,
                       channel=journey.channels[0], pace_s=journey_pace(journey, 6.0))  # fmt: skip
    play.begin(0.0)
    return play.fork()  # the expected customer: no noise


@pytest.mark.parametrize(
    "journey_id,journey", _journeys(), ids=lambda x: x if isinstance(x, str) else ""
)
def test_best_reply_beats_every_mistake_at_every_node(journey_id, journey) -> None:
    checked = 0
    for seed in PERSONA_SEEDS:
        play = _contact(journey, seed)
        for _ in range(40):
            if play.finished:
                break
            best = best_choice(play)
            assert best is not None
            views = [v for v in play.choices() if v.available]
            for v in views:
                if v.id == best or not is_mistake(v):
                    continue
                effect = decision_effect(play, v.id)
                where = f"{journey_id} node {play.run.node_id} reply {v.id} (persona seed {seed})"
                # the textbook path (the best reply here, then by the book) ends above this
                # path with one mistake, over the same routes
                assert effect["versus_best"]["csat"] < 0, where
                assert (
                    effect["outcome"]["csat"]
                    < effect["outcome"]["csat"] - effect["versus_best"]["csat"]
                ), where
                if set(v.behaviours) & NEVER_PLEASING:
                    assert effect["now"]["csat"] <= 0, where
                if v.risk:
                    later = effect["later"]
                    assert later["risk_points"] > 0 and later["repeat_contact"] > 0, where
                    assert later["csat"] < 0 and later["churn"] > 0, where
                checked += 1
            effect = decision_effect(play, best)
            assert effect["best"] and effect["versus_best"]["csat"] == 0
            play.act(best, 0.0)
    assert checked > 0
