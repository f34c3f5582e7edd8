"""Ground-truth generator: determinism per seed, valid records, documented relationships."""

from __future__ import annotations

import numpy as np

from customer_models import features
from customer_models.ground_truth import effort_score, generate


def test_same_seed_same_contacts_and_labels():
    a, b = generate(np.random.default_rng(5), 2000), generate(np.random.default_rng(5), 2000)
    c = generate(np.random.default_rng(6), 2000)
    for name in features.RAW_FIELDS:
        np.testing.assert_array_equal(a.columns[name], b.columns[name])
    np.testing.assert_array_equal(a.csat, b.csat)
    np.testing.assert_array_equal(a.churn, b.churn)
    np.testing.assert_array_equal(a.cross_sell, b.cross_sell)
    assert not np.array_equal(a.csat, c.csat)


def test_records_are_valid_and_consistent():
    g = generate(np.random.default_rng(8), 5000)
    c = g.columns
    features.encode_columns(c)  # validates every field's type and range
    assert set(np.unique(g.csat)) == {1, 2, 3, 4, 5}
    assert (c["fcr"] == c["resolved"] * (c["prior_contacts"] == 0)).all()
    assert (c["repeat_contact"] == (c["prior_contacts"] > 0)).all()
    assert (g.cross_sell[c["cross_sell_offered"] == 0] == 0).all()
    assert ((c["cross_sell_fit"] > 0) == (c["cross_sell_offered"] > 0)).all()
    assert (c["resolved"][c["hung_up"] > 0] == 0).all()
    assert (c["anger_peak"] >= c["anger_final"] - 1e-9).all()
    assert (c["hold_s"] <= c["handle_s"]).all()
    median_handle_min = np.median(c["handle_s"][c["channel"] == "phone"]) / 60
    assert 3.0 <= median_handle_min <= 7.0  # calibration row 12


def test_better_agents_resolve_more_and_satisfy_more():
    weak = generate(np.random.default_rng(1), 4000, quality_mean=0.2)
    strong = generate(np.random.default_rng(1), 4000, quality_mean=0.9)
    assert strong.columns["resolved"].mean() > weak.columns["resolved"].mean() + 0.25
    assert strong.csat.mean() > weak.csat.mean() + 0.5
    assert strong.columns["beh_wrong_info"].mean() < weak.columns["beh_wrong_info"].mean()
    assert effort_score(strong.columns).mean() < effort_score(weak.columns).mean()


def test_kind_can_be_fixed():
    g = generate(np.random.default_rng(2), 300, kind="complaint")
    assert set(g.columns["kind"]) == {"complaint"}
