"""The batch reaction model gives the scalar model's numbers, contact by contact."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from customer_models.personas import CATEGORIES, PersonaMix, sample_personas
from customer_models.reaction import (
    BASE_EFFECTS,
    REACTION,
    Mood,
    MoodDelta,
    drain,
    hangup_probability,
    multipliers,
    react,
)
from customer_models.reaction_batch import TYPES as PERSONA_TYPES
from customer_models.reaction_batch import (
    PersonaTypes,
    consumes_noise,
    drain_many,
    hangup_probability_many,
    react_many,
)

N = 2000
# A flat mix so every one of the 36 persona types is well represented.
_MIX = PersonaMix.from_mapping({key: dict.fromkeys(CATEGORIES[key], 1.0) for key in CATEGORIES})
BATCH = sample_personas(np.random.default_rng(20261122), N, _MIX)
PERSONAS = list(BATCH)
TYPES = PersonaTypes.from_batch(BATCH)

_rng = np.random.default_rng(7)
# Continuous moods plus the edge values the branches turn on (5 for cross-sell, 9.5 for hang-up).
EDGES = np.array([0.0, 5.0, 5.0000001, 9.5, 9.4999999, 10.0, 2.0, 1.9999999])
ANGER = _rng.uniform(0.0, 10.0, N)
ANGER[: len(EDGES)] = EDGES
ANGER[len(EDGES) : 200] = np.rint(ANGER[len(EDGES) : 200])
TRUST = _rng.uniform(0.0, 10.0, N)
PATIENCE = _rng.uniform(0.0, 10.0, N)
NORMALS = _rng.standard_normal((N, 3))

MULTI_TAGS: list[tuple[str, ...]] = [
    ("greeting", "verify_identity"),
    ("cross_sell_offer", "needs_discovery"),
    ("empathy", "cross_sell_offer", "pushy_sales"),
    ("apology", "offer_solution", "compensate"),
    ("jargon", "rush", "explain"),
    ("rush", "not_a_tag", "jargon", "apology"),
    ("offer_solution", "offer_solution", "wrong_info"),
    ("argue", "calm", "blame_customer", "active_listening"),
]


class FixedNormals:
    """Stands in for the rng `react` draws from: returns a given row of normals."""

    def __init__(self, row: np.ndarray):
        self.row = row
        self.calls = 0

    def standard_normal(self, size: int) -> np.ndarray:
        assert size == 3
        self.calls += 1
        return self.row


def scalar_react(tags: tuple[str, ...], kind: str) -> np.ndarray:
    out = np.empty((N, 3))
    for i, persona in enumerate(PERSONAS):
        mood = Mood(float(ANGER[i]), float(TRUST[i]), float(PATIENCE[i]))
        d = react(persona, mood, tags, FixedNormals(NORMALS[i]), kind=kind)
        out[i] = d.anger, d.trust, d.patience
    return out


def check_react(tags: tuple[str, ...], kind: str) -> None:
    expected = scalar_react(tags, kind)
    got = np.column_stack(react_many(TYPES, ANGER, tags, NORMALS, kind=kind))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12, err_msg=f"{tags} {kind}")


def test_sample_covers_every_persona_type():
    types = {(p.age_band, p.temperament, p.segment) for p in PERSONAS}
    assert len(types) == 4 * 3 * 3
    assert (ANGER > 5.0).sum() > 500 and (ANGER >= 9.5).sum() > 50


def test_each_contact_gets_its_persona_type_from_codes_or_strings():
    assert BATCH.codes is not None  # the sampler's indices: no strings are compared
    from_strings = PersonaTypes.from_arrays(
        *(BATCH.columns[f] for f in ("age_band", "temperament", "segment"))
    )
    np.testing.assert_array_equal(from_strings.code, TYPES.code)
    for i, p in enumerate(PERSONAS):
        assert PERSONA_TYPES[TYPES.code[i]] == (p.age_band, p.temperament, p.segment)


@pytest.mark.parametrize("tag", sorted(BASE_EFFECTS))
def test_every_tag_alone_matches_scalar(tag):
    kinds = ["inquiry", "complaint"] if tag in REACTION["complaint_multiplier"] else ["inquiry"]
    for kind in kinds:
        check_react((tag,), kind)


@pytest.mark.parametrize("tags", MULTI_TAGS, ids="+".join)
@pytest.mark.parametrize("kind", ["complaint", "inquiry"])
def test_multi_tag_actions_match_scalar(tags, kind):
    check_react(tags, kind)


def test_cross_sell_backfires_only_above_anger_five():
    # guards the test data itself: the branch must actually change results here
    calm = react_many(TYPES, np.full(N, 5.0), ("cross_sell_offer",), NORMALS, kind="sales")[0]
    angry = react_many(TYPES, np.full(N, 8.0), ("cross_sell_offer",), NORMALS, kind="sales")[0]
    np.testing.assert_allclose(angry - calm, 0.3 * 3.0, atol=1e-12)


def test_unknown_tags_give_zeros_and_consume_no_noise():
    for tags in [(), ("not_a_tag",), ("nope", "also_nope")]:
        assert consumes_noise(tags) is False
        out = react_many(TYPES, ANGER, tags, None, kind="complaint")
        for arr in out:
            np.testing.assert_array_equal(arr, np.zeros(N))
        rng = FixedNormals(NORMALS[0])
        assert react(PERSONAS[0], Mood(5.0, 5.0, 5.0), tags, rng, kind="x") == MoodDelta(0, 0, 0)
        assert rng.calls == 0
    assert consumes_noise(("nope", "greeting")) is True


def test_react_many_rejects_missing_or_misshaped_normals():
    with pytest.raises(ValueError, match="normals"):
        react_many(TYPES, ANGER, ("greeting",), None, kind="inquiry")
    with pytest.raises(ValueError, match="shape"):
        react_many(TYPES, ANGER, ("greeting",), NORMALS[:10], kind="inquiry")


@pytest.mark.parametrize("activity", sorted(REACTION["drain_per_min"]))
def test_drain_matches_scalar(activity):
    seconds = np.random.default_rng(3).uniform(-30.0, 600.0, N)
    expected = np.array(
        [
            drain(p, Mood(float(ANGER[i]), 5.0, 5.0), float(seconds[i]), activity)
            for i, p in enumerate(PERSONAS)
        ]
    )
    got = drain_many(TYPES, ANGER, seconds, activity)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    # a scalar duration is broadcast
    expected = np.array(
        [drain(p, Mood(float(ANGER[i]), 5.0, 5.0), 45.0, activity) for i, p in enumerate(PERSONAS)]
    )
    np.testing.assert_allclose(drain_many(TYPES, ANGER, 45.0, activity), expected, atol=1e-12)


def test_drain_rejects_unknown_activity():
    with pytest.raises(ValueError, match="wait, talk or hold"):
        drain_many(TYPES, ANGER, 10.0, "nap")


def test_hangup_probability_matches_scalar():
    patience = np.random.default_rng(5).choice(
        [-1.0, 0.0, 0.5, 1.0, 1.9999, 2.0, 2.5, 7.0, 10.0], size=N
    )
    expected = np.array(
        [
            hangup_probability(p, Mood(float(ANGER[i]), 5.0, float(patience[i])))
            for i, p in enumerate(PERSONAS)
        ]
    )
    got = hangup_probability_many(TYPES, ANGER, patience)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    # all three regimes (exhausted, low patience, furious) were exercised
    assert (patience <= 0).any() and ((patience > 0) & (patience < 2)).any()
    assert (ANGER >= 9.5).any() and (got > 0.85).any()


def test_persona_types_reject_unknown_values_and_length_mismatch():
    with pytest.raises(ValueError, match=r"unknown temperament value.*'grumpy'"):
        PersonaTypes.from_arrays(np.array(["adult"]), np.array(["grumpy"]), np.array(["mass"]))
    with pytest.raises(ValueError, match="same length"):
        PersonaTypes.from_arrays(
            np.array(["adult", "young"]), np.array(["calm"]), np.array(["mass"])
        )


def test_take_and_empty_batches():
    sub = TYPES.take(slice(10, 20))
    assert len(sub) == 10
    np.testing.assert_array_equal(sub.code, TYPES.code[10:20])
    got = np.column_stack(react_many(sub, ANGER[10:20], ("empathy",), NORMALS[10:20], kind="x"))
    expected = np.column_stack(react_many(TYPES, ANGER, ("empathy",), NORMALS, kind="x"))[10:20]
    np.testing.assert_array_equal(got, expected)
    empty = PersonaTypes.from_batch(sample_personas(np.random.default_rng(1), 0))
    assert len(empty) == 0
    for arr in react_many(empty, np.zeros(0), ("greeting",), np.zeros((0, 3)), kind="x"):
        assert arr.shape == (0,)


def test_every_persona_type_is_coded_to_its_own_fields():
    triples = list(
        itertools.product(CATEGORIES["age_band"], CATEGORIES["temperament"], CATEGORIES["segment"])
    )
    ages, temps, segs = (np.array(col) for col in zip(*triples, strict=True))
    types = PersonaTypes.from_arrays(ages, temps, segs)
    assert [PERSONA_TYPES[c] for c in types.code] == triples
    # and the scalar multipliers follow each type's fields
    for i, (a, t, s) in enumerate(triples):
        persona = dataclasses.replace(PERSONAS[0], age_band=a, temperament=t, segment=s)
        assert multipliers(persona) == multipliers(PERSONA_TYPES[types.code[i]])
