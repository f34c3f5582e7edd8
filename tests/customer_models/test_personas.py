"""Personas: the contract with journeys.vocabulary, seeded sampling, mixes and mood."""

from __future__ import annotations

import numpy as np
import pytest

from customer_models.personas import PersonaMix, sample_personas
from journeys import vocabulary


def _batch(seed: int = 1, n: int = 4000, mix: PersonaMix | None = None):
    return sample_personas(np.random.default_rng(seed), n, mix)


def test_every_persona_field_with_its_type_and_allowed_values():
    batch = _batch(n=500)
    for persona in batch:
        fields = persona.journey_fields()
        assert list(fields) == list(vocabulary.PERSONA_FIELDS)
        for name, typ in vocabulary.PERSONA_FIELDS.items():
            assert type(fields[name]) is typ, name
        for name, values in vocabulary.PERSONA_VALUES.items():
            assert fields[name] in values
        for mood in ("anger", "trust", "patience"):
            assert 0 <= fields[mood] <= 10
        assert 0.0 < fields["churn_risk"] < 1.0
        assert set(persona.patience_s) == set(vocabulary.CHANNELS)


def test_same_seed_same_people_other_seed_other_people():
    a, b, c = _batch(7, 300), _batch(7, 300), _batch(8, 300)
    assert [p for p in a] == [p for p in b]
    assert [p.persona_id for p in a] != [p.persona_id for p in c]
    for key in a.columns:
        np.testing.assert_array_equal(a.columns[key], b.columns[key])


def test_queue_patience_matches_calibration_row_13_and_channels():
    cols = _batch(n=20000).columns
    assert 37.0 <= cols["patience_phone_s"].mean() <= 72.0
    assert (cols["patience_chat_s"] > cols["patience_phone_s"]).all()
    assert (cols["patience_email_s"] > 10 * cols["patience_chat_s"]).all()


def test_mood_follows_temperament_and_repeat_contacts():
    cols = _batch(n=20000).columns
    temp, prior, anger = cols["temperament"], cols["prior_contacts"], cols["anger"]
    means = [anger[temp == t].mean() for t in ("calm", "anxious", "irritable")]
    assert means[0] < means[1] < means[2]
    irritable_repeat = anger[(temp == "irritable") & (prior >= 2)].mean()
    irritable_first = anger[(temp == "irritable") & (prior == 0)].mean()
    assert irritable_repeat > irritable_first + 1.5
    assert cols["patience"][temp == "calm"].mean() > cols["patience"][temp == "irritable"].mean()


def test_baseline_churn_follows_contract():
    cols = _batch(n=20000).columns
    by = [
        cols["churn_risk"][cols["contract"] == c].mean()
        for c in ("month_to_month", "one_year", "two_year")
    ]
    assert by[0] > by[1] > by[2]


def test_mix_reweights_the_population():
    mix = PersonaMix.from_mapping({"segment": {"vip": 1.0}, "prior_contacts": {"3": 1}})
    cols = _batch(n=1000, mix=mix).columns
    assert set(cols["segment"]) == {"vip"}
    assert set(cols["prior_contacts"].tolist()) == {3}
    elderly = PersonaMix.from_mapping({"age_band": {"elderly": 0.5, "adult": 0.5}})
    share = (_batch(n=4000, mix=elderly).columns["age_band"] == "elderly").mean()
    assert 0.45 < share < 0.55


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"segmnt": {"vip": 1}}, "unknown persona field 'segmnt'"),
        ({"segment": {"gold": 1}}, "unknown segment value 'gold'"),
        ({"segment": {"vip": -1}}, "must be >= 0"),
        ({"segment": {"vip": "many"}}, "must be a number"),
        ({"segment": {"vip": 0}}, "at least one positive weight"),
        ({"prior_contacts": {"9": 1}}, "prior_contacts value"),
        ({"segment": ["vip"]}, "must map values to weights"),
    ],
)
def test_mix_errors_name_the_bad_key_or_value(data, fragment):
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(")):
        PersonaMix.from_mapping(data)


def test_card_in_both_languages():
    p = _batch(n=50).persona(3)
    zh, en = p.card("zh-CN"), p.card("en")
    keys = {
        "segment",
        "age_band",
        "temperament",
        "tenure",
        "products",
        "contract",
        "value",
        "prior_contacts",
    }
    assert set(zh) == set(en) == keys
    assert zh != en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in "".join(zh.values()))
    assert str(p.products) in en["products"]
