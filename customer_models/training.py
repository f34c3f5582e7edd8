"""Train, calibrate and evaluate the outcome models; write their model card.

Split: 60% train, 20% calibration (temperature scaling for the CSAT distribution, Platt scaling
for churn and cross-sell), 20% held out for the reported metrics. Logistic models on the
standard features keep predictions fast and explanations exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from customer_models import features
from customer_models.models import CSAT_LEVELS, TOP_BOX_MIN, OutcomeModels

MODEL_NAME = "shapan-outcome-models"
DEFAULT_TRAIN_SIZE = 100_000
DEFAULT_SEED = 20261122
C_REGULARISATION = 1.0
MIN_ROWS = 200


class TrainingDataError(ValueError):
    """Labels or features cannot train a model (too few rows, a missing class...)."""


def _pipeline():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("model", LogisticRegression(C=C_REGULARISATION, max_iter=2000)),
        ]
    )


def _raw_logit(pipe: Any, X: np.ndarray) -> np.ndarray:
    return pipe.decision_function(X)


def _temperature(pipe: Any, X: np.ndarray, y: np.ndarray) -> float:
    from scipy.optimize import minimize_scalar

    z = _raw_logit(pipe, X)
    idx = y.astype(int) - 1

    def nll(t: float) -> float:
        s = z / t
        s = s - s.max(axis=1, keepdims=True)
        logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(y)), idx].mean())

    return float(minimize_scalar(nll, bounds=(0.25, 4.0), method="bounded").x)


def _platt(pipe: Any, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    z = _raw_logit(pipe, X).reshape(-1, 1)
    lr = LogisticRegression(C=1e6, max_iter=1000).fit(z, y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def _ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over equal-width probability bins."""
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.sum() * abs(p[m].mean() - y[m].mean())
    return float(total / max(len(p), 1))


def _binary_metrics(p: np.ndarray, y: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import brier_score_loss, roc_auc_score

    auc = float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan")
    return {
        "n": len(y),
        "base_rate": round(float(y.mean()), 4),
        "mean_prediction": round(float(p.mean()), 4),
        "auc": round(auc, 4),
        "brier": round(float(brier_score_loss(y, p)), 4),
        "ece": round(_ece(p, y), 4),
    }


def _check_labels(
    csat: np.ndarray, churn: np.ndarray, cross_sell: np.ndarray, offered: np.ndarray
) -> None:
    n = len(csat)
    if n < MIN_ROWS:
        raise TrainingDataError(f"need at least {MIN_ROWS} contacts to train, got {n}")
    missing = sorted(set(range(1, 6)) - set(np.unique(csat).astype(int).tolist()))
    if missing:
        raise TrainingDataError(f"csat labels must include every score 1-5; missing {missing}")
    if len(np.unique(churn)) < 2:
        raise TrainingDataError("churn labels need both 0 and 1")
    if len(np.unique(cross_sell[offered])) < 2:
        raise TrainingDataError(
            "cross_sell labels need both 0 and 1 among rows with cross_sell_offered = 1"
        )


def _split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    perm = np.random.default_rng(seed).permutation(n)
    a, b = int(0.6 * n), int(0.8 * n)
    return perm[:a], perm[a:b], perm[b:]


def train(
    columns: Mapping[str, np.ndarray],
    csat: np.ndarray,
    churn: np.ndarray,
    cross_sell: np.ndarray,
    *,
    seed: int = DEFAULT_SEED,
    source: Mapping[str, Any] | None = None,
) -> OutcomeModels:
    """Fit the three models on raw feature columns and labels; returns them with their card."""
    X = features.encode_columns(columns)
    csat = np.asarray(csat).astype(int)
    churn = np.asarray(churn).astype(int)
    cross_sell = np.asarray(cross_sell).astype(int)
    offered = np.asarray(columns["cross_sell_offered"], dtype=float) > 0
    _check_labels(csat, churn, cross_sell, offered)
    tr, ca, te = _split(len(csat), seed)

    pipes = {"csat": _pipeline().fit(X[tr], csat[tr]), "churn": _pipeline().fit(X[tr], churn[tr])}
    xtr, xca, xte = tr[offered[tr]], ca[offered[ca]], te[offered[te]]
    if min(len(np.unique(cross_sell[xtr])), len(np.unique(cross_sell[xca]))) < 2:
        raise TrainingDataError(
            "too few cross-sell offers to train and calibrate the cross-sell model"
        )
    pipes["cross_sell"] = _pipeline().fit(X[xtr], cross_sell[xtr])
    calibration = {
        "csat_temperature": _temperature(pipes["csat"], X[ca], csat[ca]),
        "churn_platt": list(_platt(pipes["churn"], X[ca], churn[ca])),
        "cross_sell_platt": list(_platt(pipes["cross_sell"], X[xca], cross_sell[xca])),
    }
    params: dict[str, Any] = {
        "feature_schema_version": features.FEATURE_SCHEMA_VERSION,
        "features": list(features.FEATURES),
        "calibration": calibration,
        "reference": [round(float(v), 8) for v in X[tr].mean(axis=0)],
        "top_box_min": TOP_BOX_MIN,
    }
    draft = OutcomeModels(pipes, params, {})
    params["folded"] = draft.folded()
    metrics = evaluate(draft, X[te], csat[te], churn[te], cross_sell[te], offered[te])
    card = model_card(
        params,
        metrics,
        n=len(csat),
        split=(len(tr), len(ca), len(te)),
        seed=seed,
        source=source,
        offers=(len(xtr), len(xca), len(xte)),
    )
    models = OutcomeModels(pipes, params, card)
    # The version is the content hash of the files these models write (`fingerprint`).
    models.card["version"] = models.version
    return models


def evaluate(
    models: OutcomeModels,
    X: np.ndarray,
    csat: np.ndarray,
    churn: np.ndarray,
    cross_sell: np.ndarray,
    offered: np.ndarray,
) -> dict[str, Any]:
    """Held-out metrics: AUC, Brier, ECE for each probability; MAE for the CSAT mean."""
    pred = models.predict(X)
    onehot = (csat[:, None] == CSAT_LEVELS[None, :]).astype(float)
    top = (csat >= TOP_BOX_MIN).astype(int)
    csat_metrics = {
        "n": len(csat),
        "mae": round(float(np.abs(pred.csat_mean - csat).mean()), 4),
        "mean_label": round(float(csat.mean()), 4),
        "mean_prediction": round(float(pred.csat_mean.mean()), 4),
        "accuracy": round(float((pred.csat_probs.argmax(axis=1) + 1 == csat).mean()), 4),
        "brier_multiclass": round(float(((pred.csat_probs - onehot) ** 2).sum(axis=1).mean()), 4),
        "log_loss": round(
            float(
                -np.log(np.clip(pred.csat_probs[np.arange(len(csat)), csat - 1], 1e-12, 1)).mean()
            ),
            4,
        ),
        "top_box": _binary_metrics(pred.csat_top_box, top),
    }
    return {
        "csat": csat_metrics,
        "churn": _binary_metrics(pred.churn, churn),
        "cross_sell": _binary_metrics(pred.cross_sell[offered], cross_sell[offered]),
    }


def model_card(
    params: Mapping[str, Any],
    metrics: Mapping[str, Any],
    *,
    n: int,
    split: tuple[int, int, int],
    seed: int,
    source: Mapping[str, Any] | None,
    offers: tuple[int, int, int],
) -> dict[str, Any]:
    return {
        "name": MODEL_NAME,
        "feature_schema_version": params["feature_schema_version"],
        "training_data": {
            **(source or {"kind": "csv export", "description": "user-supplied contact records"}),
            "rows": n,
            "split": {"train": split[0], "calibration": split[1], "test": split[2]},
            "cross_sell_offers": {"train": offers[0], "calibration": offers[1], "test": offers[2]},
            "split_seed": seed,
        },
        "models": {
            "csat": "multinomial logistic regression on standardised features, temperature-scaled; "
            "CSAT distribution over 1-5, mean, top-box = P(CSAT >= 4)",
            "churn": "logistic regression, Platt-scaled; probability of churn within 90 days",
            "cross_sell": "logistic regression on contacts with an offer, Platt-scaled; "
            "acceptance probability if an offer is made",
        },
        "calibration": params["calibration"],
        "features": list(params["features"]),
        "metrics_held_out": metrics,
        "software": software_versions(),
        "format": "skops pipelines + JSON parameters; loaded with an explicit trusted-type list",
        "intended_use": "training simulations: predicted outcomes of simulated contacts. "
        "Not for decisions about real customers.",
    }


def software_versions() -> dict[str, str]:
    """The libraries whose versions decide the trained numbers (and the skops format)."""
    import platform

    import scipy
    import sklearn
    import skops

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "skops": skops.__version__,
    }


def train_default(n: int = DEFAULT_TRAIN_SIZE, seed: int = DEFAULT_SEED) -> OutcomeModels:
    """Train on the ground-truth generator (the shipped default models)."""
    from customer_models import ground_truth

    gen = ground_truth.generate(np.random.default_rng(seed), n)
    source = {
        "kind": "generated",
        "description": "customer_models.ground_truth.generate: sampled personas, contacts by "
        "agents of varied quality, ground-truth CSAT/churn/cross-sell labels "
        "calibrated to shared/calibration.md rows 1, 3-11, 15",
        "generator_seed": seed,
        "label_rates": {
            "csat_mean": round(float(gen.csat.mean()), 4),
            "churn": round(float(gen.churn.mean()), 4),
            "cross_sell_offered": round(float(gen.columns["cross_sell_offered"].mean()), 4),
        },
    }
    return train(gen.columns, gen.csat, gen.churn, gen.cross_sell, seed=seed, source=source)
