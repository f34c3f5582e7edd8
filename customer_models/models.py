"""The trained outcome models at run time: batch prediction and plain-language explanations.

Each model is a scikit-learn pipeline (StandardScaler + LogisticRegression) persisted with
skops, plus calibration parameters fitted on a held-out split (temperature for CSAT, Platt
scaling for churn and cross-sell). At load time the scaler, coefficients and calibration are
folded into one weight matrix per model, so predicting a single contact is a small dot product
and an explanation is exact: a factor's effect is how the prediction changes when that factor's
columns are set to the training average.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from customer_models import features
from customer_models.wording import describe

CSAT_LEVELS = np.arange(1, 6, dtype=float)
#: CSAT top-box = share answering 4 or 5 ("satisfied" or "very satisfied"); see the doc.
TOP_BOX_MIN = 4
TARGETS: tuple[str, ...] = ("csat", "churn", "cross_sell")
DEFAULT_DIR = Path(__file__).with_name("data")


@dataclass(frozen=True)
class Predictions:
    """Per-contact predictions (numpy arrays of length n; `csat_probs` is (n, 5))."""

    csat_probs: np.ndarray
    csat_mean: np.ndarray
    csat_top_box: np.ndarray
    churn: np.ndarray
    cross_sell: np.ndarray  # acceptance probability if an offer is (or were) made

    def __len__(self) -> int:
        return len(self.csat_mean)


@dataclass(frozen=True)
class Factor:
    """One reason behind a prediction. `effect` is in the target's units: CSAT points for
    csat, probability (0..1) for churn and cross_sell; positive raises the prediction."""

    text: str
    effect: float
    key: str = ""


@dataclass(frozen=True)
class LinearParams:
    """A folded linear model: logits = X @ weights + bias (weights (F, k))."""

    weights: np.ndarray
    bias: np.ndarray


def _unfold(data: Mapping[str, Any], k: int) -> LinearParams:
    weights = np.asarray(data["weights"], dtype=float)
    bias = np.asarray(data["bias"], dtype=float)
    if weights.shape != (len(features.FEATURES), k) or bias.shape != (k,):
        raise ValueError(
            f"folded weights have shape {weights.shape}, expected ({len(features.FEATURES)}, {k})"
        )
    return LinearParams(weights=weights, bias=bias)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


def fold(pipeline: Any, scale: float = 1.0, shift: float = 0.0) -> LinearParams:
    """Fold StandardScaler + LogisticRegression (+ a linear calibration) into one matrix."""
    scaler = pipeline.named_steps["scale"]
    lr = pipeline.named_steps["model"]
    sd = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    coef = lr.coef_ / sd[None, :]  # (k, F)
    bias = lr.intercept_ - coef @ scaler.mean_
    return LinearParams(weights=(coef * scale).T.copy(), bias=bias * scale + shift)


class OutcomeModels:
    """CSAT distribution, churn probability and cross-sell acceptance from contact features."""

    def __init__(
        self,
        pipelines: Mapping[str, Any] | None,
        params: Mapping[str, Any],
        card: Mapping[str, Any],
        *,
        pipeline_loader: Callable[[], dict[str, Any]] | None = None,
    ):
        """From fitted pipelines, or from the folded plain parameters in `params["folded"]`
        (then the scikit-learn pipelines load lazily through `pipeline_loader` — a default
        model load needs numpy only, not scikit-learn)."""
        if tuple(params["features"]) != features.FEATURES:
            raise ValueError(
                "model was trained on a different feature schema "
                f"({params.get('feature_schema_version')}); retrain with `shapan model train`"
            )
        self._pipelines = dict(pipelines) if pipelines is not None else None
        self._loader = pipeline_loader
        self.params = dict(params)
        self.card = dict(card)
        self.version: str = str(params["version"])
        folded = params.get("folded")
        if folded is not None:
            self._csat, self._churn, self._xs = (
                _unfold(folded[t], k) for t, k in (("csat", 5), ("churn", 1), ("cross_sell", 1))
            )
        elif pipelines is not None:
            cal = params["calibration"]
            self._csat = fold(pipelines["csat"], scale=1.0 / cal["csat_temperature"])
            self._churn = fold(pipelines["churn"], *cal["churn_platt"])
            self._xs = fold(pipelines["cross_sell"], *cal["cross_sell_platt"])
        else:
            raise ValueError("model parameters hold neither pipelines nor folded weights")
        self.reference = np.asarray(params["reference"], dtype=float)
        self._groups = [
            (
                name,
                np.asarray(
                    [j for j, f in enumerate(features.FEATURES) if features.FACTOR_OF[f] == name]
                ),
            )
            for name in features.FACTORS
        ]

    @property
    def pipelines(self) -> dict[str, Any]:
        """The scikit-learn pipelines (loaded from their skops files on first use)."""
        if self._pipelines is None:
            if self._loader is None:
                raise ValueError("these models carry no scikit-learn pipelines")
            self._pipelines = self._loader()
        return self._pipelines

    def folded(self) -> dict[str, dict[str, list]]:
        """The folded weights as plain JSON-able parameters (stored in params.json)."""
        return {
            name: {"weights": lp.weights.tolist(), "bias": lp.bias.tolist()}
            for name, lp in (("csat", self._csat), ("churn", self._churn), ("cross_sell", self._xs))
        }

    # --- loading --------------------------------------------------------------------------
    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> OutcomeModels:
        from customer_models.persistence import load_dir

        return load_dir(directory)

    @classmethod
    def load_default(cls) -> OutcomeModels:
        """The models shipped in customer_models/data (loaded once per process)."""
        return _load_default()

    # --- prediction -----------------------------------------------------------------------
    def predict(self, X: np.ndarray) -> Predictions:
        """Predict for an encoded matrix (n, len(FEATURES)) or one encoded row."""
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X[None, :]
        if X.shape[1] != len(features.FEATURES):
            raise ValueError(f"expected {len(features.FEATURES)} feature columns, got {X.shape[1]}")
        probs = _softmax(X @ self._csat.weights + self._csat.bias)
        churn = _sigmoid(X @ self._churn.weights[:, 0] + self._churn.bias[0])
        xs = _sigmoid(X @ self._xs.weights[:, 0] + self._xs.bias[0])
        return Predictions(
            csat_probs=probs,
            csat_mean=probs @ CSAT_LEVELS,
            csat_top_box=probs[:, TOP_BOX_MIN - 1 :].sum(axis=1),
            churn=churn,
            cross_sell=xs,
        )

    def predict_records(self, records: list[Mapping[str, Any]]) -> Predictions:
        return self.predict(features.encode(records))

    def _target(self, X: np.ndarray, target: str, link: bool = False) -> np.ndarray:
        """Prediction in natural units, or on the link scale (log-odds) when `link`."""
        if target == "csat":
            probs = _softmax(X @ self._csat.weights + self._csat.bias)
            if link:
                top = np.clip(probs[:, TOP_BOX_MIN - 1 :].sum(axis=1), 1e-300, None)
                rest = np.clip(probs[:, : TOP_BOX_MIN - 1].sum(axis=1), 1e-300, None)
                return np.log(top) - np.log(rest)
            return probs @ CSAT_LEVELS
        if target == "churn":
            z = X @ self._churn.weights[:, 0] + self._churn.bias[0]
        elif target == "cross_sell":
            z = X @ self._xs.weights[:, 0] + self._xs.bias[0]
        else:
            raise ValueError(f"target must be one of {', '.join(TARGETS)}, got {target!r}")
        return z if link else _sigmoid(z)

    # --- explanation ----------------------------------------------------------------------
    def contributions(
        self, row: np.ndarray, target: str = "csat", link: bool = False
    ) -> dict[str, float]:
        """Effect of every factor: prediction minus prediction with the factor at average
        (in log-odds when `link`: still informative when the prediction is saturated)."""
        row = np.asarray(row, dtype=float).reshape(-1)
        batch = np.repeat(row[None, :], len(self._groups) + 1, axis=0)
        for i, (_, cols) in enumerate(self._groups, start=1):
            batch[i, cols] = self.reference[cols]
        values = self._target(batch, target, link)
        return {
            name: float(values[0] - values[i]) for i, (name, _) in enumerate(self._groups, start=1)
        }

    def explain(
        self,
        record_or_row: Mapping[str, Any] | np.ndarray,
        lang: str = "en",
        top: int = 4,
        target: str = "csat",
    ) -> list[Factor]:
        """The `top` factors that moved this contact's prediction most, in plain words.

        Ranked by effect in the target's units; when the prediction is saturated (every effect
        below 0.001, e.g. a certain CSAT of 5) the ranking falls back to log-odds effects so
        the customer still sees what drove it.
        """
        if isinstance(record_or_row, Mapping):
            record = dict(record_or_row)
            row = features.encode([record])[0]
        else:
            row = np.asarray(record_or_row, dtype=float).reshape(-1)
            record = features.decode_row(row)
        effects = self.contributions(row, target)
        rank_by = effects
        floor = 1e-3
        if max(abs(v) for v in effects.values()) < floor:
            rank_by = self.contributions(row, target, link=True)
            floor = 1e-6
        ranked = sorted(rank_by, key=lambda k: -abs(rank_by[k]))
        out: list[Factor] = []
        for key in ranked:
            if len(out) >= top or abs(rank_by[key]) < floor:
                break
            text = describe(key, record, lang)
            if text is not None:
                out.append(Factor(text=text, effect=round(effects[key], 4), key=key))
        return out


@lru_cache(maxsize=1)
def _load_default() -> OutcomeModels:
    from customer_models.persistence import load_dir

    return load_dir(DEFAULT_DIR)
