"""Where finished contacts go: batched outcome predictions, then KPIs and streamed exports.

Why batches: the outcome models are numpy/scikit-learn; predicting 256 rows at once costs
about what one row costs, so bot contacts wait in a small buffer (flushed every `batch`
records, when a live screen asks, and at the end). Human-seat contacts are predicted at once,
with explanations, because the trainee sees them. After a record is counted and written it is
dropped: memory does not grow with the number of contacts.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from sandbox.columns import (
    column_length,
    columns_from_records,
    records_from_columns,
    take_rows,
)

_MODELS: Any = None
_BLAS: Any = None


@contextmanager
def single_threaded() -> Iterator[None]:
    """A context in which numpy's BLAS uses one thread.

    Why: the engine predicts a few thousand rows at a time; at that size BLAS threads cost
    far more than they save (measured 3.8 µs a row with two threads on a busy 2-core
    machine, 0.16 µs with one), and the engine itself is single threaded. The BLAS
    libraries are found once; threadpoolctl's `limit()` looked them up on every call, which
    cost 0.7 ms a batch."""
    libs = blas_libraries()
    before = [lib.num_threads for lib in libs]
    if all(n == 1 for n in before):
        yield
        return
    for lib in libs:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, n in zip(libs, before, strict=True):
            lib.set_num_threads(n)


def blas_libraries() -> list[Any]:
    """numpy's BLAS libraries, as threadpoolctl controllers (looked up once per process,
    ~5 ms: a recorder does it when it is set up rather than at its first batch)."""
    global _BLAS
    if _BLAS is None:
        from threadpoolctl import ThreadpoolController

        _BLAS = list(ThreadpoolController().select(user_api="blas").lib_controllers)
    return list(_BLAS)


def load_models() -> Any:
    """The shipped outcome models (loaded once per process)."""
    global _MODELS
    if _MODELS is None:
        from customer_models.models import OutcomeModels

        _MODELS = OutcomeModels.load_default()
    return _MODELS


def accept_draw(seed: int, contact_id: str) -> float:
    """The uniform draw that decides a cross-sell acceptance: the contact's own stream."""
    return random.Random(f"cross_sell:{seed}:{contact_id}").random()


#: The fields the outcome models fill in, in the order a record gets them.
PREDICTED: tuple[str, ...] = (
    "csat_probs", "csat_mean", "csat_top_box", "churn", "cross_sell_p", "cross_sell_accepted",
)  # fmt: skip


def apply_predictions_columns(
    cols: dict[str, Any], seed: int, models: Any = None, rows: Sequence[int] | None = None
) -> None:
    """Fill csat/churn/cross-sell predictions into a column batch (in place), in one batch.

    `rows` (indices) predicts only those rows (answered contacts not yet predicted); the
    others keep what they hold, NaN where they hold nothing (abandoned contacts)."""
    from customer_models.features import encode_columns

    sub = cols if rows is None else take_rows(cols, rows)
    if column_length(sub) == 0:
        return
    models = models or load_models()
    X = encode_columns(sub)
    with single_threaded():
        pred = models.predict(X)
    xsell = np.asarray(pred.cross_sell, dtype=float)
    offered = np.asarray(sub["cross_sell_offered"], dtype=bool)
    accepted = np.zeros(len(offered), dtype=np.int64)
    ids = sub["contact_id"]
    for i in np.flatnonzero(offered).tolist():
        accepted[i] = int(accept_draw(seed, ids[i]) < xsell[i])
    out: dict[str, np.ndarray] = dict(zip(PREDICTED, (
        np.asarray(pred.csat_probs, dtype=float),
        np.asarray(pred.csat_mean, dtype=float),
        np.asarray(pred.csat_top_box, dtype=float),
        np.asarray(pred.churn, dtype=float),
        np.where(offered, xsell, np.nan),
        accepted,
    ), strict=True))  # fmt: skip
    if rows is None:
        cols.update(out)
        return
    n = column_length(cols)
    idx = np.asarray(rows, dtype=np.intp)
    for key, values in out.items():
        shape = (n, 5) if key == "csat_probs" else (n,)
        old = cols.get(key)
        full = np.full(shape, np.nan) if old is None else np.array(old, dtype=float).reshape(shape)
        full[idx] = values
        if key == "cross_sell_accepted" and not np.isnan(full).any():
            full = full.astype(np.int64)
        cols[key] = full


def predicted_columns(records: list[dict[str, Any]], seed: int) -> dict[str, Any]:
    """The column batch of some engine records, predicted in one batch: the boundary where a
    finished contact stops being a dict. Abandoned contacts get no predictions; records that
    have theirs already (seat contacts, predicted when they finished) keep them. The records
    are not changed."""
    cols = columns_from_records(records)
    todo = [
        i for i, r in enumerate(records) if not r.get("abandoned") and r.get("csat_mean") is None
    ]
    if todo:
        apply_predictions_columns(cols, seed, rows=None if len(todo) == len(records) else todo)
    return cols


def practice_outcome(rec: dict[str, Any], seed: int) -> None:
    """A practice-room seat contact's outcome (in place): predicted as the practice room reads
    the record (`sandbox.engine.foresight.practice_record`), with the later cost of its
    breaches blended in (`customer_models.later`). The record keeps what the models said of
    the contact alone as `csat_now`/`churn_now`, and the later cost as `later`."""
    from customer_models.later import blend, later_record, surfacing_probability, surfacing_risks
    from sandbox.engine.foresight import practice_record

    base = practice_record({**rec, **dict.fromkeys(PREDICTED)})
    p = surfacing_probability(rec)
    rows = [base] + ([later_record(base)] if p > 0 else [])
    pred = records_from_columns(predicted_columns(rows, seed))
    now = pred[0]
    rec["csat_now"], rec["churn_now"] = float(now["csat_mean"]), float(now["churn"])
    probs = [float(x) for x in now["csat_probs"]]
    churn = float(now["churn"])
    if p > 0:
        later = pred[1]
        probs = [blend(a, float(b), p) for a, b in zip(probs, later["csat_probs"], strict=True)]
        churn = blend(churn, float(later["churn"]), p)
    rec["csat_probs"] = probs
    rec["csat_mean"] = float(sum((k + 1) * q for k, q in enumerate(probs)))
    rec["csat_top_box"] = float(probs[3] + probs[4])
    rec["churn"] = churn
    rec["later"] = {
        "repeat_contact": p,
        "risks": surfacing_risks(rec),
        "csat": rec["csat_mean"] - rec["csat_now"],
        "churn": churn - rec["churn_now"],
    }


def explain(record: dict[str, Any], models: Any = None) -> dict[str, list[dict[str, Any]]]:
    """Top contributing factors behind a record's predictions, in both languages."""
    models = models or load_models()
    out: dict[str, list[dict[str, Any]]] = {}
    for lang in ("zh-CN", "en"):
        factors = models.explain(record, lang)
        out[lang] = [
            {"text": getattr(f, "text", str(f)), "effect": float(getattr(f, "effect", 0.0))}
            for f in factors
        ]
    return out


class Recorder:
    """Buffers finished records, predicts in batches, feeds the KPI accumulator and writers.

    Records arrive as the engine builds them (dicts: abandoned, bot and seat contacts) and
    are turned into one column batch per flush group (`predicted_columns`); downstream there
    are only column batches: predictions, KPIs (`contacts_finished`) and contacts.csv
    (`write_columns`). Record consumers (`sinks`) get dicts from `records_from_columns`.
    """

    def __init__(
        self,
        kpi: Any,
        seed: int,
        *,
        batch: int = 256,
        sinks: list[Callable[[dict[str, Any]], None]] | None = None,
        writers: list[Any] | None = None,
    ):
        self.kpi = kpi
        self.seed = seed
        self.batch = batch
        self.sinks = sinks or []
        #: exports that take column batches (`write_columns`)
        self.writers = writers or []
        #: plays deferred bot contacts (set by the session when the centre batch-plays)
        self.player: Any = None
        blas_libraries()  # found now, at set-up, not during the first batch
        #: finished records (abandoned, bot, seat) in completion order
        self.pending: list[dict[str, Any]] = []
        #: finished bot contacts whose journeys are played at the next flush (batch play)
        self.deferred: list[Any] = []
        #: records of bot contacts of drawn-service scenarios played at their answer
        self.played: list[dict[str, Any]] = []
        #: seat contacts as results.json keeps them (predicted and explained at once)
        self.human: list[dict[str, Any]] = []
        self.finished = 0

    def record(self, rec: dict[str, Any], human: bool) -> None:
        """Buffer one finished record (abandoned, bot or human) in completion order.

        Why everything goes through the buffer: records reach the KPIs and the CSV in a
        fixed order (per flush, as `flush` says), and batches are cut only at points fixed
        in sim time (`batch` records or the centre's periodic flush), so a session and its
        replay predict identical batches and produce bit-identical results. A seat's contact is
        predicted at once (its batch of one) and explained, because the trainee sees it.
        """
        if human and not rec.get("abandoned"):
            practice = rec.get("practice_room")
            [rec] = records_from_columns(predicted_columns([rec], self.seed))
            if practice:
                practice_outcome(rec, self.seed)
            rec["explanation"] = explain(rec)
            self.human.append(rec)
        self.pending.append(rec)
        self._maybe_flush()

    def record_played(self, rec: dict[str, Any]) -> None:
        """A bot contact of a drawn-service scenario played at its answer (batch play off):
        it is emitted where batch play would emit it, with the bot contacts of its batch."""
        self.played.append(rec)
        self._maybe_flush()

    def defer(self, contact: Any) -> None:
        """Buffer a finished bot contact whose journey is played at the next flush, with
        the other deferred contacts of the batch (sandbox.engine.batch_play)."""
        self.deferred.append(contact)
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if len(self.pending) + len(self.deferred) + len(self.played) >= self.batch:
            self.flush()

    def flush(self) -> None:
        """Predict and count everything buffered: the bot contacts of drawn-service scenarios
        first (played as one batch, or already played one at a time: the same rows either
        way), in the order they finished, then the other records in the order they finished."""
        deferred, self.deferred = self.deferred, []
        played, self.played = self.played, []
        records, self.pending = self.pending, []
        if deferred:
            self._emit(self._played_columns(deferred))
        for group in (played, records):
            if group:
                self._emit(predicted_columns(group, self.seed))

    def count_buffered(self, kpi: Any) -> None:
        """Count what is still buffered into `kpi`, a copy of the accumulator (results in
        mid-session), leaving the buffers and the exports as they are."""
        if self.deferred:
            kpi.contacts_finished(self._played_columns(list(self.deferred)))
        for group in (self.played, self.pending):
            if group:
                kpi.contacts_finished(predicted_columns(group, self.seed))

    def _played_columns(self, contacts: list[Any]) -> dict[str, Any]:
        """Deferred bot contacts played as one batch, with their predictions (columns)."""
        cols: dict[str, Any] = self.player.play(contacts)
        apply_predictions_columns(cols, self.seed)
        return cols

    def _emit(self, cols: dict[str, Any]) -> None:
        self.finished += column_length(cols)
        self.kpi.contacts_finished(cols)
        for writer in self.writers:
            writer.write_columns(cols)
        if self.sinks:  # record consumers (tools, tests) see every record, as dicts
            for rec in records_from_columns(cols):
                for sink in self.sinks:
                    sink(rec)

    def predict_now(self, rec: dict[str, Any]) -> dict[str, Any]:
        """Predictions for one provisional record (the live "effect on CSAT"): its batch of
        one, as a record."""
        [out] = records_from_columns(predicted_columns([rec], self.seed))
        return out
