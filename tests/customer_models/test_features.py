"""The contact feature schema: vocabulary agreement, encoding, decoding, validation."""

from __future__ import annotations

import numpy as np
import pytest

from customer_models import features
from customer_models.features import RAW_FIELDS, blank_record, decode_row, encode, encode_columns
from customer_models.ground_truth import generate
from journeys import vocabulary

ENGINE_KEYS = [
    "channel",
    "kind",
    "wait_s",
    "handle_s",
    "holds",
    "hold_s",
    "transfers",
    "anger_peak",
    "anger_final",
    "trust_final",
    "patience_final",
    "resolved",
    "fcr",
    "repeat_contact",
    "escalated",
    "hung_up",
    "cross_sell_offered",
    "cross_sell_fit",
    "segment",
    "age_band",
    "temperament",
    "tenure_years",
    "contract",
    "products",
    "value",
    "prior_contacts",
    "churn_risk",
]


def test_duplicated_vocabulary_equals_journeys_vocabulary():
    assert tuple(vocabulary.BEHAVIOURS) == features.BEHAVIOURS
    for tag, b in vocabulary.BEHAVIOURS.items():
        assert features.BEHAVIOUR_LABELS[tag] == (b.zh, b.en)
    assert tuple(vocabulary.RISK_TYPES) == features.RISK_TYPES
    for risk, labels in vocabulary.RISK_TYPES.items():
        assert features.RISK_LABELS[risk] == (labels["zh-CN"], labels["en"])
    assert features.CHANNELS == vocabulary.CHANNELS and features.KINDS == vocabulary.KINDS
    for name, values in vocabulary.PERSONA_VALUES.items():
        assert features.CATEGORICAL[name] == values


def test_raw_fields_are_the_engine_record_keys():
    expected = (
        set(ENGINE_KEYS)
        | {f"beh_{t}" for t in vocabulary.BEHAVIOURS}
        | {f"risk_{r}" for r in vocabulary.RISK_TYPES}
    )
    assert set(RAW_FIELDS) == expected
    assert len(RAW_FIELDS) == len(set(RAW_FIELDS))
    assert features.FEATURE_SCHEMA_VERSION == "1.0"
    assert set(features.FACTOR_OF) == set(features.FEATURES)


def test_encode_records_equals_encode_columns_and_ignores_extra_keys():
    gen = generate(np.random.default_rng(4), 200)
    X = encode_columns(gen.columns)
    records = [
        {**{k: gen.columns[k][i] for k in RAW_FIELDS}, "contact_id": f"c{i}"} for i in range(200)
    ]
    np.testing.assert_allclose(encode(records), X)
    assert X.shape == (200, len(features.FEATURES))
    assert np.isfinite(X).all()


def test_encoding_of_a_known_record():
    rec = blank_record(
        kind="complaint", wait_s=250.0, beh_apology=0, beh_offer_solution=2, channel="chat"
    )
    x = dict(zip(features.FEATURES, encode([rec])[0], strict=True))
    assert x["wait_min"] == pytest.approx(250 / 60)
    assert x["channel_chat"] == 1 and x["channel_phone"] == 0
    assert x["kind_complaint"] == 1
    assert x["complaint_no_apology"] == 1 and x["complaint_remedy"] == 1
    assert x["complaint_apology_remedy"] == 0


def test_decode_row_recovers_the_record():
    gen = generate(np.random.default_rng(5), 50)
    X = encode_columns(gen.columns)
    for i in range(50):
        rec = decode_row(X[i])
        np.testing.assert_allclose(encode([rec])[0], X[i], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"channel": "fax"}, "channel: unknown value 'fax'"),
        ({"wait_s": -3}, "wait_s: values must be between"),
        ({"anger_final": 11}, "anger_final"),
        ({"resolved": "yes"}, "resolved: values must be numbers"),
        ({"churn_risk": None}, "churn_risk: values must be finite numbers"),
        ({"tenure_years": float("nan")}, "tenure_years: values must be finite numbers"),
        ({"segment": 3}, "segment: unknown value 3"),
    ],
)
def test_bad_values_are_named(override, fragment):
    with pytest.raises(ValueError, match=fragment):
        encode([blank_record(**override)])


def test_columns_of_different_lengths_are_named():
    cols = generate(np.random.default_rng(5), 10).columns
    cols["holds"] = cols["holds"][:7]
    with pytest.raises(ValueError, match="column holds has 7 rows, expected 10"):
        encode_columns(cols)


def test_the_first_bad_column_is_named_among_many_rows():
    cols = generate(np.random.default_rng(5), 300).columns
    cols["value"] = np.where(np.arange(300) == 250, -1.0, cols["value"])
    with pytest.raises(ValueError, match=r"value: values must be between 0\.0 and"):
        encode_columns(cols)


def test_missing_field_is_named():
    rec = blank_record()
    del rec["holds"]
    with pytest.raises(ValueError, match="record 0: missing field 'holds'"):
        encode([rec])
    with pytest.raises(ValueError, match="unknown feature field"):
        blank_record(colour="red")


def _record_strategy():
    from hypothesis import strategies as st

    fields = {}
    for name, (kind, _) in features.RAW_SPEC.items():
        if kind == "cat":
            fields[name] = st.sampled_from(features.CATEGORICAL[name])
        elif kind == "bin":
            fields[name] = st.integers(0, 1)
        elif kind == "count":
            fields[name] = st.integers(0, 5 if name.startswith(("beh_", "risk_")) else 3)
        elif kind == "fit":
            fields[name] = st.integers(0, 3)
        elif kind == "mood":
            fields[name] = st.floats(0, 10)
        elif kind == "prob":
            fields[name] = st.floats(0.001, 0.999)
        elif kind == "years":
            fields[name] = st.floats(0, 60)
        else:
            fields[name] = st.floats(0, 5000)
    return st.fixed_dictionaries(fields)


def test_any_valid_record_encodes_decodes_and_predicts():
    from hypothesis import given, settings

    from customer_models.models import OutcomeModels

    models = OutcomeModels.load_default()

    @settings(max_examples=60, deadline=None)
    @given(_record_strategy())
    def check(rec):
        row = encode([rec])[0]
        assert np.isfinite(row).all()
        np.testing.assert_allclose(encode([decode_row(row)])[0], row, rtol=1e-7, atol=1e-7)
        pred = models.predict(row)
        assert 1.0 <= pred.csat_mean[0] <= 5.0
        assert 0.0 <= pred.churn[0] <= 1.0 and 0.0 <= pred.cross_sell[0] <= 1.0
        for lang in ("en", "zh-CN"):
            factors = models.explain(rec, lang)
            assert factors and all(f.text for f in factors)

    check()
