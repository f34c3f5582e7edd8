"""Reaction model: every tag covered, the direction of each effect, persona dependence."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from customer_models.personas import sample_personas
from customer_models.reaction import BASE_EFFECTS, Mood, drain, hangs_up, hangup_probability, react
from journeys import vocabulary

BASE = sample_personas(np.random.default_rng(3), 1).persona(0)


def persona(**kw):
    fields = {"segment": "mass", "age_band": "adult", "temperament": "anxious"} | kw
    return dataclasses.replace(BASE, **fields)


def mean_delta(p, tags, kind="inquiry", mood=None, n=400):
    rng = np.random.default_rng(11)
    mood = mood or Mood(5.0, 5.0, 5.0)
    out = np.array(
        [dataclasses.astuple(react(p, mood, tags, rng, kind=kind, seconds=10.0)) for _ in range(n)]
    )
    return out.mean(axis=0)


def test_table_covers_every_behaviour_tag():
    assert set(BASE_EFFECTS) == set(vocabulary.BEHAVIOURS)


@pytest.mark.parametrize("tag", sorted(vocabulary.BEHAVIOURS))
def test_direction_of_every_tag(tag):
    expected = BASE_EFFECTS[tag]
    got = mean_delta(persona(), [tag])
    for base, measured in zip(expected, got, strict=True):
        if base == 0:
            assert abs(measured) < 0.1
        else:
            assert np.sign(measured) == np.sign(base), (tag, expected, got)


def test_empathy_calms_anxious_elderly_more_than_hurried_business_owner():
    elderly = mean_delta(persona(age_band="elderly", temperament="anxious"), ["empathy"])
    owner = mean_delta(persona(segment="small_business", temperament="irritable"), ["empathy"])
    assert elderly[0] < owner[0] < 0
    assert elderly[0] < 2 * owner[0]


def test_wrong_information_destroys_trust():
    assert mean_delta(persona(), ["wrong_info"])[1] < -2.5
    assert mean_delta(persona(), ["wrong_info"])[1] < mean_delta(persona(), ["vague_info"])[1]


def test_interrupting_angers_an_irritable_customer_most():
    calm = mean_delta(persona(temperament="calm"), ["interrupt"])[0]
    irritable = mean_delta(persona(temperament="irritable"), ["interrupt"])[0]
    assert 0 < calm < irritable


def test_concrete_solution_after_complaint_relieves_more_than_words():
    p = persona()
    solution = mean_delta(p, ["offer_solution"], kind="complaint")[0]
    words = mean_delta(p, ["calm"], kind="complaint")[0]
    assert solution < words < 0
    assert solution < mean_delta(p, ["offer_solution"], kind="inquiry")[0]


def test_cross_sell_to_an_angry_customer_backfires():
    angry = mean_delta(persona(), ["cross_sell_offer"], mood=Mood(9.0, 5.0, 5.0))[0]
    calm = mean_delta(persona(), ["cross_sell_offer"], mood=Mood(2.0, 5.0, 5.0))[0]
    assert angry > calm + 1.0


def test_unknown_tags_are_ignored_and_draw_nothing():
    rng = np.random.default_rng(5)
    state = rng.bit_generator.state
    d = react(persona(), Mood(5, 5, 5), ["sing_a_song"], rng, kind="inquiry", seconds=3)
    assert (d.anger, d.trust, d.patience) == (0.0, 0.0, 0.0)
    assert rng.bit_generator.state == state


def test_same_seed_same_reactions():
    def run(seed):
        rng = np.random.default_rng(seed)
        return [
            react(persona(), Mood(5, 5, 5), ["empathy", "hold"], rng, kind="complaint", seconds=5)
            for _ in range(20)
        ]

    assert run(9) == run(9)
    assert run(9) != run(10)


def test_patience_drains_fastest_on_hold_and_for_irritable_customers():
    m = Mood(3.0, 5.0, 8.0)
    p = persona()
    hold, wait, talk = (drain(p, m, 60, a) for a in ("hold", "wait", "talk"))
    assert hold < wait < talk < 0
    assert drain(persona(temperament="irritable"), m, 60, "wait") < drain(
        persona(temperament="calm"), m, 60, "wait"
    )
    assert drain(p, m, 120, "wait") == pytest.approx(2 * wait)
    with pytest.raises(ValueError, match="activity"):
        drain(p, m, 10, "nap")


def test_hang_up_when_patience_runs_out_never_when_content():
    p = persona()
    rng = np.random.default_rng(1)
    assert not any(hangs_up(p, Mood(2.0, 6.0, 8.0), rng) for _ in range(200))
    exhausted = sum(hangs_up(p, Mood(5.0, 5.0, 0.0), rng) for _ in range(1000))
    assert 780 < exhausted < 920
    assert hangup_probability(p, Mood(5.0, 5.0, 1.0)) < hangup_probability(p, Mood(5.0, 5.0, 0.5))
    assert hangup_probability(p, Mood(10.0, 5.0, 8.0)) > 0


def test_mood_apply_clamps():
    m = Mood(9.0, 1.0, 0.5)
    m.apply(
        react(
            persona(),
            m,
            ["blame_customer", "wrong_info"],
            np.random.default_rng(1),
            kind="complaint",
            seconds=1,
        )
    )
    assert m.anger == 10.0 and m.trust == 0.0 and 0.0 <= m.patience <= 10.0


def test_doc_table_mirrors_the_code():
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "customer-model.md").read_text(encoding="utf-8")
    for tag, (a, t, p) in BASE_EFFECTS.items():
        assert f"| `{tag}` | {a:+.1f} | {t:+.1f} | {p:+.1f} |" in doc, tag
    for key in ("soothing_age", "provocation_temperament", "drain_per_min", "complaint_multiplier"):
        assert f"| `{key}` |" in doc
