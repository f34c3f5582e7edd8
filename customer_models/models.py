"""The trained outcome models at run time: batch prediction and plain-language explanations.

Each model is a scikit-learn pipeline (StandardScaler + LogisticRegression) persisted with
skops, plus calibration parameters fitted on a held-out split (temperature for CSAT, Platt
scaling for churn and cross-sell). At load time the scaler, coefficients and calibration are
folded into one weight matrix per model, so predicting a single contact is a small dot product
and an explanation is exact: a factor's effect is how the prediction changes when that factor's
columns are set to the training average.

Predictions are computed with `customer_models.portable` (no BLAS, no SIMD-dispatched exp) and
rounded to 1e-12 at this boundary, so every caller gets the same bits on any CPU. The model
version is a content hash of the model files (`customer_models.fingerprint`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from customer_models import features, portable
from customer_models.fingerprint import compare_files, content_version, sha256
from customer_models.wording import describe

__all__ = [
    "TARGETS",
    "Factor",
    "LinearParams",
    "OutcomeModels",
    "Predictions",
    "compare_files",
    "content_version",
]

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

    def logits(self, X: np.ndarray) -> np.ndarray:
        """X @ weights + bias, (n, k), with the same bits on any CPU (`portable.linear`)."""
        return portable.linear(X, self.weights.T, self.bias)


def _unfold(data: Mapping[str, Any], k: int) -> LinearParams:
    weights = np.asarray(data["weights"], dtype=float)
    bias = np.asarray(data["bias"], dtype=float)
    if weights.shape != (len(features.FEATURES), k) or bias.shape != (k,):
        raise ValueError(
            f"folded weights have shape {weights.shape}, expected ({len(features.FEATURES)}, {k})"
        )
    return LinearParams(weights=weights, bias=bias)


_softmax = portable.softmax
_sigmoid = portable.sigmoid


def _csat_mean(probs: np.ndarray) -> np.ndarray:
    """probs @ [1..5], added left to right (a matrix product would go through BLAS)."""
    total = probs[:, 0] * CSAT_LEVELS[0]
    for j in range(1, len(CSAT_LEVELS)):
        total = total + probs[:, j] * CSAT_LEVELS[j]
    return total


def _top_box(probs: np.ndarray) -> np.ndarray:
    total = probs[:, TOP_BOX_MIN - 1]
    for j in range(TOP_BOX_MIN, probs.shape[1]):
        total = total + probs[:, j]
    return total


def fold(pipeline: Any, scale: float = 1.0, shift: float = 0.0) -> LinearParams:
    """Fold StandardScaler + LogisticRegression (+ a linear calibration) into one matrix."""
    scaler = pipeline.named_steps["scale"]
    lr = pipeline.named_steps["model"]
    sd = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    coef = lr.coef_ / sd[None, :]  # (k, F)
    # coef @ mean without BLAS, so retraining folds to the same bits on any CPU.
    bias = lr.intercept_ - portable.linear(scaler.mean_[None, :], coef, np.zeros(len(coef)))[0]
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
        file_hashes: Mapping[str, str] | None = None,
    ):
        """From fitted pipelines, or from the folded plain parameters in `params["folded"]`
        (then the scikit-learn pipelines load lazily through `pipeline_loader` — a default
        model load needs numpy only, not scikit-learn).

        `file_hashes` (file name -> sha256) are those of the bytes the loader read; without
        them (models trained in memory) they are computed from the bytes `persistence.dumps`
        would write. The card's own "version" and "files" are never trusted for the version."""
        if tuple(params["features"]) != features.FEATURES:
            raise ValueError(
                "model was trained on a different feature schema "
                f"({params.get('feature_schema_version')}); retrain with `shapan model train`"
            )
        self._pipelines = dict(pipelines) if pipelines is not None else None
        self._loader = pipeline_loader
        self.params = dict(params)
        self.card = dict(card)
        self._file_hashes = dict(file_hashes) if file_hashes is not None else None
        if self._file_hashes is not None:
            self.card["version"] = self.version  # what the files are, not what the card said
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
        # All seven logits in one pass: CSAT (5), churn, cross-sell; rows of (7, F).
        self._all = LinearParams(
            weights=np.concatenate([self._csat.weights, self._churn.weights, self._xs.weights], 1),
            bias=np.concatenate([self._csat.bias, self._churn.bias, self._xs.bias]),
        )
        self._all_t = np.ascontiguousarray(self._all.weights.T)
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

    # --- identity -------------------------------------------------------------------------
    def file_hashes(self) -> dict[str, str]:
        """File name -> sha256 of every file the version covers (the three skops files and
        params.json): of the bytes read when loaded, of the bytes that would be written when
        trained in memory. Store it with a save; check it with `compare_files`."""
        if self._file_hashes is None:
            from customer_models.persistence import model_file_bytes

            files = model_file_bytes(self)
            self._file_hashes = {name: sha256(data) for name, data in files.items()}
        return dict(self._file_hashes)

    @property
    def version(self) -> str:
        """The content hash of the model files ("sha256:<64 hex>", `fingerprint`)."""
        return content_version(self.file_hashes())

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
        z = portable.linear(X, self._all_t, self._all.bias)
        # One exp call for all seven outputs: the softmax's shifted logits, then -z of the two
        # sigmoids; the same operations (and bits) as `portable.softmax` and `portable.sigmoid`.
        k = len(CSAT_LEVELS)
        shifted = np.empty_like(z)
        shifted[:, :k] = z[:, :k] - z[:, :k].max(axis=1, keepdims=True)
        shifted[:, k:] = -np.clip(z[:, k:], -40.0, 40.0)
        e = portable.exp(shifted)
        total = e[:, 0].copy()
        for j in range(1, k):
            total = total + e[:, j]
        probs = e[:, :k] / total[:, None]
        binary = 1.0 / (1.0 + e[:, k:])
        r = portable.round_fixed
        probs = r(probs)  # mean and top box from the probabilities as written
        return Predictions(
            csat_probs=probs,
            csat_mean=r(_csat_mean(probs)),
            csat_top_box=r(_top_box(probs)),
            churn=r(binary[:, 0]),
            cross_sell=r(binary[:, 1]),
        )

    def predict_records(self, records: list[Mapping[str, Any]]) -> Predictions:
        return self.predict(features.encode(records))

    def _target(self, X: np.ndarray, target: str, link: bool = False) -> np.ndarray:
        """Prediction in natural units, or on the link scale (log-odds) when `link`."""
        if target == "csat":
            probs = _softmax(self._csat.logits(X))
            if link:
                top = np.clip(probs[:, TOP_BOX_MIN - 1 :].sum(axis=1), 1e-300, None)
                rest = np.clip(probs[:, : TOP_BOX_MIN - 1].sum(axis=1), 1e-300, None)
                return portable.log(top) - portable.log(rest)
            return _csat_mean(probs)
        if target == "churn":
            z = self._churn.logits(X)[:, 0]
        elif target == "cross_sell":
            z = self._xs.logits(X)[:, 0]
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
