"""The portable float kernels: accurate, batch-size independent, and predictions rounded."""

from __future__ import annotations

import numpy as np
import pytest

from customer_models import features, portable
from customer_models.ground_truth import generate
from customer_models.models import OutcomeModels


def _ulps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a - b) / np.spacing(np.abs(b))


def test_exp_is_accurate_to_a_few_ulp():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(-700, 700, 50_000), rng.normal(size=50_000), [0.0, 1.0]])
    assert _ulps(portable.exp(x), np.exp(x)).max() <= 2
    assert portable.exp(np.array([0.0]))[0] == 1.0
    assert portable.exp(np.array([-1e4, 1e4])).tolist() == np.exp([-700.0, 700.0]).tolist()


def test_log_and_log1p_are_accurate():
    rng = np.random.default_rng(2)
    x = np.concatenate([10 ** rng.uniform(-300, 300, 50_000), rng.uniform(0.5, 2.0, 50_000)])
    ref = np.log(x)
    big = np.abs(ref) > 1e-3
    assert _ulps(portable.log(x)[big], ref[big]).max() <= 4
    assert np.abs(portable.log(x) - ref).max() < 1e-15 * np.abs(ref).max()
    y = np.concatenate([rng.uniform(0, 1e-9, 1000), rng.uniform(0, 1e4, 50_000), [0.0]])
    assert np.allclose(portable.log1p(y), np.log1p(y), rtol=1e-15, atol=0)
    assert portable.log(np.array([1.0]))[0] == 0.0
    special = portable.log(np.array([0.0, -1.0, np.inf, np.nan]))
    assert special[0] == -np.inf and np.isnan(special[1]) and special[2] == np.inf
    assert np.isnan(special[3])


def test_linear_gives_a_row_the_same_bits_alone_or_in_any_batch():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 80)) * rng.integers(0, 2, size=(3000, 80))
    W = rng.normal(size=(7, 80))
    b = rng.normal(size=7)
    batch = portable.linear(X, W, b)  # crosses the 1024-row blocks
    rows = np.concatenate([portable.linear(X[i : i + 1], W, b) for i in range(0, 3000, 7)])
    assert np.array_equal(batch[::7], rows)
    assert np.array_equal(portable.linear(X[5:2500], W, b), batch[5:2500])
    np.testing.assert_allclose(batch, X @ W.T + b, rtol=1e-12, atol=1e-12)


def test_predictions_are_rounded_to_1e_12_and_independent_of_the_batch():
    models = OutcomeModels.load_default()
    X = features.encode_columns(generate(np.random.default_rng(4), 1500).columns)
    batch = models.predict(X)
    for name in ("csat_probs", "csat_mean", "csat_top_box", "churn", "cross_sell"):
        values = getattr(batch, name)
        assert np.array_equal(portable.round_fixed(values), values), name
    for i in (0, 1, 777, 1499):
        one = models.predict(X[i])
        assert np.array_equal(one.csat_probs[0], batch.csat_probs[i])
        assert (one.churn[0], one.cross_sell[0], one.csat_mean[0]) == (
            batch.churn[i],
            batch.cross_sell[i],
            batch.csat_mean[i],
        )


@pytest.mark.parametrize("value", [0.1234567890123456, 0.9999999999996, 3.5e-13])
def test_round_fixed_keeps_twelve_decimals(value):
    rounded = float(portable.round_fixed(np.array([value]))[0])
    assert abs(rounded - value) <= 5e-13
    assert rounded == round(value, 12)


def test_scalar_exp_and_log_give_the_bits_of_the_array_versions():
    rng = np.random.default_rng(6)
    x = np.concatenate([rng.uniform(-800, 800, 2000), rng.normal(size=2000), [0.0, -0.0]])
    assert [portable.exp1(v) for v in x.tolist()] == portable.exp(x).tolist()
    y = np.concatenate([10 ** rng.uniform(-300, 300, 2000), rng.uniform(0, 3, 2000), [1.0]])
    assert [portable.log1(v) for v in y.tolist()] == portable.log(y).tolist()
    assert portable.log1(0.0) == -np.inf and np.isnan(portable.log1(-1.0))


def test_log1p_for_one_float_has_the_bits_of_the_array_form() -> None:
    import numpy as np

    from customer_models.portable import log1p, log1p1

    rng = np.random.default_rng(3)
    xs = np.concatenate([-rng.random(500) * 0.999, rng.random(500) * 5, -rng.random(200) * 1e-12])
    assert np.array_equal(log1p(xs), np.array([log1p1(float(x)) for x in xs]))
