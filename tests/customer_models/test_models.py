"""Shipped outcome models: predictions, directions, explanations in both languages."""

from __future__ import annotations

import numpy as np
import pytest

from customer_models import features
from customer_models.features import blank_record, encode
from customer_models.models import OutcomeModels


@pytest.fixture(scope="module")
def models():
    return OutcomeModels.load_default()


def test_default_models_predict_batches(models):
    from customer_models.ground_truth import generate

    gen = generate(np.random.default_rng(21), 3000)
    pred = models.predict(features.encode_columns(gen.columns))
    assert pred.csat_probs.shape == (3000, 5) and len(pred) == 3000
    np.testing.assert_allclose(pred.csat_probs.sum(axis=1), 1.0)
    np.testing.assert_allclose(pred.csat_mean, pred.csat_probs @ np.arange(1, 6))
    np.testing.assert_allclose(pred.csat_top_box, pred.csat_probs[:, 3:].sum(axis=1))
    for p in (pred.churn, pred.cross_sell):
        assert ((p > 0) & (p < 1)).all()
    # predictions track the ground truth they were trained on
    assert abs(pred.csat_mean.mean() - gen.csat.mean()) < 0.05
    assert abs(pred.churn.mean() - gen.churn.mean()) < 0.02
    assert np.corrcoef(pred.csat_mean, gen.csat)[0, 1] > 0.7
    assert models.version == models.card["version"]
    assert OutcomeModels.load_default() is models


def test_single_row_equals_batch_row(models):
    X = encode([blank_record(), blank_record(resolved=0, fcr=0)])
    one = models.predict(X[1])
    both = models.predict(X)
    assert one.churn[0] == pytest.approx(both.churn[1])


@pytest.mark.parametrize(
    ("change", "csat_up", "churn_up"),
    [
        ({"resolved": 0, "fcr": 0}, False, True),
        ({"wait_s": 600.0}, False, True),
        ({"transfers": 2}, False, True),
        ({"beh_wrong_info": 1, "risk_wrong_info": 1}, False, True),
        ({"prior_contacts": 3, "repeat_contact": 1, "fcr": 0}, False, True),
        ({"hung_up": 1, "resolved": 0, "fcr": 0}, False, True),
        ({"anger_final": 8.0}, False, True),
        ({"trust_final": 9.0}, True, False),
    ],
)
def test_direction_of_outcome_effects(models, change, csat_up, churn_up):
    base = models.predict(encode([blank_record()]))
    new = models.predict(encode([blank_record(**change)]))
    assert (new.csat_mean[0] > base.csat_mean[0]) == csat_up
    assert (new.churn[0] > base.churn[0]) == churn_up


def test_apology_with_remedy_helps_a_complaint(models):
    base = dict(kind="complaint", beh_offer_solution=1, anger_peak=7.0, anger_final=3.0)
    without = models.predict(encode([blank_record(**base)]))
    with_apology = models.predict(encode([blank_record(**base, beh_apology=1)]))
    assert with_apology.csat_top_box[0] > without.csat_top_box[0] + 0.05


def test_cross_sell_rises_with_fit(models):
    p = [
        models.predict(
            encode([blank_record(cross_sell_offered=1, cross_sell_fit=f, beh_cross_sell_offer=1)])
        ).cross_sell[0]
        for f in (1, 2, 3)
    ]
    assert p[0] < p[1] < p[2]


def test_explanations_in_plain_words_both_languages(models):
    rec = blank_record(
        kind="complaint",
        wait_s=250.0,
        resolved=0,
        fcr=0,
        anger_peak=9.0,
        anger_final=7.0,
        beh_offer_solution=1,
        beh_apology=0,
    )
    en = models.explain(rec, "en", top=6)
    zh = models.explain(rec, "zh-CN", top=6)
    assert [f.key for f in en] == [f.key for f in zh]
    assert [f.effect for f in en] == [f.effect for f in zh]
    texts_en = [f.text for f in en]
    texts_zh = [f.text for f in zh]
    assert "remedy but no apology after the complaint" in texts_en
    assert "投诉后只给补救、未致歉" in texts_zh
    assert "issue not resolved" in texts_en and "问题未解决" in texts_zh
    assert all(f.effect < 0 for f in en if f.key in ("resolution", "complaint_handling"))
    assert abs(en[0].effect) >= abs(en[-1].effect)
    no_apology = models.explain(blank_record(kind="complaint", beh_apology=0), "en", top=10)
    assert "no apology after a complaint" in [f.text for f in no_apology]


def test_wait_is_explained_with_minutes_and_seconds(models):
    rec = blank_record(wait_s=250.0)
    for lang, text in (("en", "waited 4 min 10 s"), ("zh-CN", "排队等待 4 分 10 秒")):
        factors = models.explain(rec, lang, top=30)
        assert text in [f.text for f in factors]
        assert next(f.effect for f in factors if f.key == "wait") < 0


def test_explain_row_equals_explain_record_and_other_targets(models):
    rec = blank_record(prior_contacts=4, repeat_contact=1, fcr=0, contract="month_to_month")
    row = encode([rec])[0]
    assert models.explain(rec, "en") == models.explain(row, "en")
    churn = models.explain(rec, "en", target="churn")
    assert churn and any(f.key == "repeat" and f.effect > 0 for f in churn)
    assert "4 earlier contacts about the same issue" in [f.text for f in churn]
    with pytest.raises(ValueError, match="target"):
        models.explain(rec, "en", target="nps")


def test_contributions_are_exact_what_ifs(models):
    rec = blank_record(wait_s=900.0)
    row = encode([rec])[0]
    eff = models.contributions(row, "csat")
    cols = [j for j, f in enumerate(features.FEATURES) if features.FACTOR_OF[f] == "wait"]
    moved = row.copy()
    moved[cols] = models.reference[cols]
    expect = models.predict(row).csat_mean[0] - models.predict(moved).csat_mean[0]
    assert eff["wait"] == pytest.approx(expect)
