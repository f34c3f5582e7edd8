"""Finished contacts held as columns (one list or numpy array per record key), and back.

Why columns: at 40,000+ contacts a day, one dict per bot contact costs more than the engine's
whole per-contact budget once it is counted and written. Downstream of the engine a finished
contact exists only as a row of a column batch (a single contact is a batch of one): the
recorder turns the engine's dict records into columns once (`columns_from_records`), and the
predictions, the KPIs and contacts.csv take only batches (`apply_predictions_columns`,
`KpiAccumulator.contacts_finished`, `ContactsCsvWriter.write_columns`). Consumers that want
dicts (record sinks, results.json's human-seat records, tools) get them from
`records_from_columns`, which rebuilds the records exactly as the engine gives them.

A column batch `cols` has n rows in completion order. Keys are the record keys, flat:
- str keys (`STR_COLUMNS`): lists of str or None;
- numeric keys: 1-D numpy arrays (float64 or int64); NaN stands for None. Count keys
  (`COUNT_COLUMNS`) become Python ints in a record, `human` a bool, the rest floats;
- the nested `rubric` dict as `rubric_<dim>` float columns (NaN = not applicable);
- `csat_probs` as an (n, 5) float array (a row with a NaN = no prediction).
Any other key is passed through as a list (values as they are).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import chain
from typing import Any

import numpy as np

from journeys.vocabulary import RUBRIC
from sandbox import record_schema

#: Keys whose column is a list of str (or None) — from the one record schema.
STR_COLUMNS: frozenset[str] = record_schema.names("str")

#: Numeric keys that are Python ints in a record (counts, 0/1 flags, levels).
COUNT_COLUMNS: frozenset[str] = record_schema.names("count")

#: Numeric keys that are bools in a record.
BOOL_COLUMNS: frozenset[str] = record_schema.names("bool")

#: The flat columns of the nested `rubric` dict, in vocabulary order.
RUBRIC_COLUMNS: tuple[str, ...] = tuple(f"rubric_{d}" for d in RUBRIC)
_RUBRIC_DIM: dict[str, str] = {f"rubric_{d}": d for d in RUBRIC}

#: Numeric keys that are floats in a record (None where the column holds NaN).
FLOAT_COLUMNS: frozenset[str] = record_schema.names("float")


def column_length(cols: Mapping[str, Any]) -> int:
    """The number of rows of a column batch (every column must have it)."""
    lengths = {len(col) for col in cols.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths: {sorted(lengths)}")
    return lengths.pop() if lengths else 0


def float_list(col: Any) -> list[float | None]:
    """A numeric column as Python floats, NaN as None."""
    arr = np.asarray(col, dtype=np.float64)
    nan = np.isnan(arr)
    if nan.any():
        out = arr.astype(object)
        out[nan] = None
        return out.tolist()
    return arr.tolist()


def int_list(col: Any) -> list[int | None]:
    """A numeric column as Python ints (truncated like `int()`), NaN as None."""
    arr = np.asarray(col)
    if arr.dtype.kind in "iu":
        return arr.tolist()
    if arr.dtype.kind == "b":
        return arr.astype(np.int64).tolist()
    arr = arr.astype(np.float64)
    nan = np.isnan(arr)
    if nan.any():
        out = arr.astype(object)
        out[~nan] = arr[~nan].astype(np.int64).tolist()
        out[nan] = None
        return out.tolist()
    return arr.astype(np.int64).tolist()


def column_list(key: str, col: Any) -> list[Any]:
    """One column converted to the values a record holds under `key`."""
    if not isinstance(col, np.ndarray):
        return list(col)
    if key in COUNT_COLUMNS:
        return int_list(col)
    if key in FLOAT_COLUMNS:
        return float_list(col)
    if key in BOOL_COLUMNS:
        if col.dtype.kind == "f":
            return (np.nan_to_num(col) != 0).tolist()
        return col.astype(bool).tolist()
    kind = col.dtype.kind
    if kind in "iub":
        return col.tolist()
    if kind == "f":
        return float_list(col)
    return list(col)


def probs_list(col: Any) -> list[list[float] | None]:
    """The (n, 5) `csat_probs` array as lists; a row with a NaN is None (no prediction)."""
    arr = np.asarray(col, dtype=np.float64)
    out: list[Any] = arr.tolist()
    bad = np.isnan(arr).any(axis=1) if arr.ndim == 2 else np.isnan(arr)
    for i in np.flatnonzero(bad).tolist():
        out[i] = None
    return out


def records_from_columns(cols: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The dict records of a column batch, as the engine builds them, in row order.

    Key order follows `cols` (the `rubric_<dim>` columns become one nested `rubric` dict where
    the first of them stands), so `records_from_columns(columns_from_records(rs)) == rs`.
    """
    n = column_length(cols)
    if n == 0:
        return []
    keys: list[str] = []
    lists: list[list[Any]] = []
    dims = [(key, _RUBRIC_DIM[key]) for key in cols if key in _RUBRIC_DIM]
    for key, col in cols.items():
        if key in _RUBRIC_DIM:
            if key == dims[0][0]:
                names = [d for _, d in dims]
                values = [float_list(cols[k]) for k, _ in dims]
                keys.append("rubric")
                lists.append(
                    [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]
                )
            continue
        keys.append(key)
        lists.append(probs_list(col) if key == "csat_probs" else column_list(key, col))
    return [dict(zip(keys, row, strict=True)) for row in zip(*lists, strict=True)]


def _numeric(values: Sequence[Any], integer: bool) -> np.ndarray:
    if integer and None not in values:
        return np.array(values, dtype=np.int64)
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def columns_from_records(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The column batch of some records (the inverse of `records_from_columns`).

    Keys in first-seen order; a key a record lacks counts as None there. Counts become int64
    arrays (float64 with NaN if a value is None), other numbers float64 (None as NaN), the
    nested `rubric` dict `rubric_<dim>` columns and `csat_probs` an (n, 5) array.
    """
    recs = list(records)
    keys = list(dict.fromkeys(chain.from_iterable(recs)))
    # one row of values per record, transposed: the look-ups run in C (a per-key, per-record
    # loop in Python was most of the cost: ~110 keys x every contact)
    columns = zip(*[list(map(r.get, keys)) for r in recs], strict=True) if recs else ()
    cols: dict[str, Any] = {}
    for key, column in zip(keys, columns, strict=True):
        values = list(column)
        if key == "rubric":
            dicts = [v or {} for v in values]
            for dim in dict.fromkeys(d for v in dicts for d in v):
                cols[f"rubric_{dim}"] = _numeric([v.get(dim) for v in dicts], integer=False)
        elif key == "csat_probs":
            rows = [[np.nan] * 5 if v is None else [float(p) for p in v] for v in values]
            cols[key] = np.array(rows, dtype=np.float64).reshape(len(rows), 5)
        elif key in STR_COLUMNS:
            cols[key] = values
        elif key in COUNT_COLUMNS or key in BOOL_COLUMNS:
            cols[key] = _numeric([None if v is None else int(v) for v in values], integer=True)
        elif key in FLOAT_COLUMNS:
            cols[key] = _numeric(values, integer=False)
        elif values and all(
            v is None or (isinstance(v, (int, float, np.number)) and not isinstance(v, bool))
            for v in values
        ):
            integer = all(isinstance(v, (int, np.integer)) for v in values)
            cols[key] = _numeric(values, integer=integer)
        else:
            cols[key] = values
    return cols


def take_rows(cols: Mapping[str, Any], rows: Any) -> dict[str, Any]:
    """The column batch of some rows of `cols` (`rows`: indices, in the order wanted)."""
    idx = np.asarray(rows, dtype=np.intp)
    return {
        key: col[idx] if isinstance(col, np.ndarray) else [col[i] for i in idx.tolist()]
        for key, col in cols.items()
    }


def codes(values: Sequence[Any]) -> tuple[list[Any], np.ndarray]:
    """The distinct values in first-seen order and each row's index into them.

    Why not `np.unique`: the columns are Python lists that may hold None (which numpy cannot
    sort among strings); dict look-ups mapped in C cost ~80 ns a row and keep a stable order.
    """
    uniq = list(dict.fromkeys(values))
    index = {v: i for i, v in enumerate(uniq)}
    return uniq, np.fromiter(map(index.__getitem__, values), dtype=np.intp, count=len(values))


__all__ = [
    "BOOL_COLUMNS",
    "COUNT_COLUMNS",
    "FLOAT_COLUMNS",
    "RUBRIC_COLUMNS",
    "STR_COLUMNS",
    "codes",
    "column_length",
    "column_list",
    "columns_from_records",
    "float_list",
    "int_list",
    "probs_list",
    "records_from_columns",
    "take_rows",
]
