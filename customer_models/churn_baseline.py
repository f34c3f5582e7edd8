"""Refit the churn model's customer baseline on a customer table; keep its contact effects.

The churn model is one logit over the contact features: a customer part (segment, age band,
temperament, tenure, contract, products, value, the persona's `churn_risk`) plus a contact part
(resolution, repeat contacts, wait, holds, transfers, behaviours, mood, risks...). A customer
table has churn flags but no contacts, so it can teach only the customer part. We fit it on
the attributes the table has and put it in place of the shipped customer part (the persona's
`churn_risk` input gets weight 0: the centre's own data now sets the baseline). The contact part
is kept exactly, centred on the shipped training average, so decisions still move churn as
much as before. A customer's churn flag is read as the outcome after a typical contact: the
baseline is fitted so that its prediction averaged over the ground-truth generator's contact
mix matches the flags (`fit_over_mix`). CSAT and cross-sell stay the shipped models, bit for
bit.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from customer_models import features
from customer_models.customer_table import MIN_PER_CLASS, MIN_ROWS, CustomerTable
from customer_models.features import FACTOR_OF, FEATURES
from customer_models.models import OutcomeModels
from customer_models.training import (
    C_REGULARISATION,
    TrainingDataError,
    _binary_metrics,
    software_versions,
)

#: Factors of the churn model that describe the customer, not the contact.
CUSTOMER_FACTORS: tuple[str, ...] = (
    "segment",
    "age_band",
    "temperament",
    "tenure",
    "contract",
    "products",
    "value",
    "churn_risk",
)
_FACTOR_OF_COLUMN = {
    "segment": "segment",
    "age_band": "age_band",
    "temperament": "temperament",
    "tenure_years": "tenure",
    "contract": "contract",
    "products": "products",
    "value": "value",
}
#: Table column -> the encoded feature columns it sets.
ATTRIBUTE_FEATURES: dict[str, tuple[str, ...]] = {
    col: tuple(f for f in FEATURES if FACTOR_OF[f] == factor)
    for col, factor in _FACTOR_OF_COLUMN.items()
}
TEST_SHARE = 0.2
#: The contact mix the intercept is matched over: generated contacts, a fixed seed.
CONTACT_MIX_SEED = 20261205
CONTACT_MIX_SIZE = 20_000
MIX_QUANTILES = 41
CALIBRATION_BINS = 10


@dataclass
class BaselineFit:
    """The retrained models and what the report shows (also recorded in the model card)."""

    models: OutcomeModels
    report: dict[str, Any]


def split(churned: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified train / held-out indices (TEST_SHARE of each class held out), seeded."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for flag in (0, 1):
        idx = rng.permutation(np.flatnonzero(churned == flag))
        k = max(1, round(TEST_SHARE * len(idx)))
        test.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def encode(table: CustomerTable) -> np.ndarray:
    """The full feature matrix of the table's customers (contact fields at a neutral
    contact; only the attribute columns are read), encoded exactly as a contact would be."""
    n = len(table)
    blank = features.blank_record()
    cols: dict[str, np.ndarray] = {
        f: np.full(n, blank[f], dtype=object if isinstance(blank[f], str) else float)
        for f in features.RAW_FIELDS
    }
    cols.update(table.columns)
    return features.encode_columns(cols)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


def _over_mix(z: np.ndarray, mix: np.ndarray) -> np.ndarray:
    """Churn of a customer with baseline logit z, averaged over the contact mix."""
    out = np.empty(len(z))
    for start in range(0, len(z), 20_000):
        part = z[start : start + 20_000]
        out[start : start + 20_000] = _sigmoid(part[:, None] + mix[None, :]).mean(axis=1)
    return out


def contact_mix(weights: np.ndarray, reference: np.ndarray, contact: np.ndarray) -> np.ndarray:
    """Quantiles of the contact part (log-odds, centred on the reference contact) over
    generated contacts: how much contacts move churn, in a realistic mix."""
    from customer_models import ground_truth

    gen = ground_truth.generate(np.random.default_rng(CONTACT_MIX_SEED), CONTACT_MIX_SIZE)
    X = features.encode_columns(gen.columns)
    part = (X[:, contact] - reference[contact]) @ weights[contact]
    return np.quantile(part, (np.arange(MIX_QUANTILES) + 0.5) / MIX_QUANTILES)


def fit_over_mix(Z: np.ndarray, y: np.ndarray, mix: np.ndarray) -> tuple[np.ndarray, float]:
    """Logistic regression whose prediction is averaged over the contact mix: maximise
    Σ log P(y | x) with P(churn | x) = mean_q σ(b + w·x + c_q), L2 penalty as scikit-learn's
    (C = 1 on standardised columns). Why not a plain logistic fit: averaging a logit over the
    spread of contacts flattens it, so a plain fit's differences between customers would come
    out too small once contacts are added back. Returns (w, b) in the columns' own units."""
    from scipy.optimize import minimize

    mean = Z.mean(axis=0)
    sd = Z.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    S = (Z - mean) / sd
    rate = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:-1], theta[-1]
        s = _sigmoid((S @ w + b)[:, None] + mix[None, :])
        p = np.clip(s.mean(axis=1), 1e-12, 1 - 1e-12)
        dp = (s * (1.0 - s)).mean(axis=1)
        g = -(y / p - (1 - y) / (1 - p)) * dp
        nll = -float(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))
        penalty = 0.5 * float(w @ w) / C_REGULARISATION
        grad = np.append(S.T @ g + w / C_REGULARISATION, g.sum())
        return nll + penalty, grad

    start = np.append(np.zeros(S.shape[1]), np.log(rate / (1 - rate)))
    theta = minimize(loss, start, jac=True, method="L-BFGS-B").x
    w = theta[:-1] / sd
    return w, float(theta[-1] - mean @ w)


def calibration_bins(p: np.ndarray, y: np.ndarray) -> list[dict[str, float]]:
    """Predicted vs observed churn in equal-count bins of predicted churn (deciles when the
    held-out split has 200 customers or more, fewer bins below)."""
    bins = int(min(CALIBRATION_BINS, max(2, len(p) // 20)))
    order = np.argsort(p, kind="stable")
    out = []
    for part in np.array_split(order, bins):
        out.append(
            {
                "n": len(part),
                "predicted": round(float(p[part].mean()), 4),
                "observed": round(float(y[part].mean()), 4),
            }
        )
    return out


def _linear_pipeline(weights: np.ndarray, bias: float, n: int) -> Any:
    """The churn model as a scikit-learn pipeline (identity scaler + logistic regression on
    the raw features) whose fold is exactly `weights`, `bias`: what churn.skops stores."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    F = len(weights)
    scaler = StandardScaler()
    scaler.mean_ = np.zeros(F)
    scaler.var_ = np.ones(F)
    scaler.scale_ = np.ones(F)
    scaler.n_features_in_ = F
    scaler.n_samples_seen_ = np.int64(n)
    lr = LogisticRegression(max_iter=2000)
    lr.coef_ = weights[None, :].copy()
    lr.intercept_ = np.array([bias])
    lr.classes_ = np.array([0, 1], dtype=np.int64)
    lr.n_features_in_ = F
    lr.n_iter_ = np.array([0], dtype=np.int64)
    return Pipeline([("scale", scaler), ("model", lr)])


def fit(
    table: CustomerTable,
    base: OutcomeModels,
    *,
    seed: int,
    source: Mapping[str, Any] | None = None,
) -> BaselineFit:
    """Refit `base`'s churn baseline on `table`; CSAT, cross-sell and the churn model's
    contact-level effects stay `base`'s."""
    y = np.asarray(table.churned, dtype=np.int64)
    n = len(y)
    if n < MIN_ROWS or min((y == 0).sum(), (y == 1).sum()) < MIN_PER_CLASS:
        raise TrainingDataError(
            f"need at least {MIN_ROWS} customers with at least {MIN_PER_CLASS} churned and "
            f"{MIN_PER_CLASS} retained; got {n} ({int(y.sum())} churned)"
        )
    X = encode(table)
    used_cols = [c for c in ATTRIBUTE_FEATURES if c in table.columns]
    used = np.asarray(
        sorted(FEATURES.index(f) for c in used_cols for f in ATTRIBUTE_FEATURES[c]), dtype=int
    )
    customer = np.asarray(
        [j for j, f in enumerate(FEATURES) if FACTOR_OF[f] in CUSTOMER_FACTORS], dtype=int
    )
    contact = np.asarray(
        [j for j, f in enumerate(FEATURES) if FACTOR_OF[f] not in CUSTOMER_FACTORS], dtype=int
    )
    tr, te = split(y, seed)
    churn0 = base.params["folded"]["churn"]
    w0 = np.asarray(churn0["weights"], dtype=float)[:, 0]
    reference = np.asarray(base.params["reference"], dtype=float)
    mix = contact_mix(w0, reference, contact)
    w, b = fit_over_mix(X[np.ix_(tr, used)], y[tr].astype(float), mix)
    p_te = _over_mix(X[np.ix_(te, used)] @ w + b, mix)

    weights = w0.copy()
    weights[customer] = 0.0
    weights[used] = w
    bias = b - float(reference[contact] @ w0[contact])
    params = copy.deepcopy(dict(base.params))
    params["calibration"]["churn_platt"] = [1.0, 0.0]
    params["folded"]["churn"] = {"weights": weights[:, None].tolist(), "bias": [bias]}
    pipes = dict(base.pipelines)
    pipes["churn"] = _linear_pipeline(weights, bias, len(tr))

    metrics = {**_binary_metrics(p_te, y[te]), "calibration_bins": calibration_bins(p_te, y[te])}
    coefficients = {FEATURES[j]: round(float(weights[j]), 4) for j in used}
    report = {
        "rows": n,
        "churned": int(y.sum()),
        "split": {"train": len(tr), "test": len(te), "seed": seed, "stratified": True},
        "columns_used": used_cols,
        "missing_optional_columns": list(table.missing_optional),
        "ignored_columns": list(table.ignored_columns),
        "churn": metrics,
        "baseline": {
            "intercept": round(b, 4),
            "coefficients": coefficients,
            "contact_mix": {"generator_seed": CONTACT_MIX_SEED, "contacts": CONTACT_MIX_SIZE},
        },
        "kept": {
            "csat": "shipped, unchanged",
            "cross_sell": "shipped, unchanged",
            "churn_contact_effects": "shipped, unchanged (resolution, repeat contacts, wait, "
            "holds, transfers, behaviours, mood, risks, complaint handling)",
            "base_version": base.version,
        },
    }
    card = _card(base, report, source)
    models = OutcomeModels(pipes, params, card)
    models.card["version"] = models.version
    return BaselineFit(models=models, report=report)


def _card(
    base: OutcomeModels, report: Mapping[str, Any], source: Mapping[str, Any] | None
) -> dict[str, Any]:
    card = json.loads(json.dumps(base.card))
    card.pop("files", None)
    card.pop("version", None)
    split_ = report["split"]
    card["training_data"] = {
        **(source or {"description": "user-supplied customer table"}),
        "kind": "customer table",
        "rows": report["rows"],
        "churned": report["churned"],
        "split": {"train": split_["train"], "calibration": 0, "test": split_["test"]},
        "split_seed": split_["seed"],
        "stratified": True,
        "columns_used": report["columns_used"],
        "missing_optional_columns": report["missing_optional_columns"],
        "ignored_columns": report["ignored_columns"],
    }
    card["base_models"] = dict(report["kept"])
    card["churn_baseline"] = dict(report["baseline"])
    card["models"]["churn"] = (
        "customer baseline: logistic regression of churned on the customer table's attributes "
        f"({', '.join(report['columns_used'])}) with the prediction averaged over the "
        "generator's contact mix; contact-level effects: the base churn model's, unchanged; "
        "stored as one linear model on the raw features"
    )
    card["calibration"]["churn_platt"] = [1.0, 0.0]
    card["metrics_held_out"]["churn"] = {
        **report["churn"],
        "measured_on": "held-out customers of the table; prediction = the customer's baseline "
        "averaged over the generator's contact mix",
    }
    card["software"] = software_versions()
    return card
