"""The results document (schema `shapan.results/1`) and the streamed export files.

Why this shape: exams need results nobody can edit unnoticed and that replay bit for bit, so the
document records everything that determines a session (seed, scenario hash, journey hashes,
model version, decision log) and nothing that varies between identical runs (no wall-clock
timestamps). Long runs stream contacts.csv and events.jsonl to temporary files and rename them
into place at close, so a crash never leaves a half-written export under the real name.
Every field is documented in docs/results-schema.md.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from journeys.vocabulary import RISK_TYPES
from sandbox import record_schema
from sandbox.columns import (
    BOOL_COLUMNS,
    COUNT_COLUMNS,
    FLOAT_COLUMNS,
    STR_COLUMNS,
    column_length,
    column_list,
    int_list,
)
from sandbox.fileio import AtomicFile, atomic_write_text
from sandbox.kpi_catalogue import KPI_KEYS, target_rows
from sandbox.kpis import KpiAccumulator

SCHEMA = "shapan.results/1"
TIMELINE_CAP = 400  # sampled (non-human) contacts in `timeline`

#: contacts.csv columns, in order. Nested record fields are flattened: `rubric` ->
#: `rubric_<dim>`, `csat_probs` -> `csat_p1..csat_p5`. Human-only fields (transcript,
#: decisions, explanation) stay in results.json.
CSV_COLUMNS: tuple[str, ...] = record_schema.csv_columns()
#: contacts.csv's first column in a `shapan run` export: the run the row belongs to
RUN_ID_COLUMN = "run_id"


# -- JSON ------------------------------------------------------------------------------------
def jsonable(value: Any) -> Any:
    """Plain JSON data: numpy scalars/arrays to Python, tuples to lists, NaN/inf to None."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # numpy scalar or array
        return jsonable(value.tolist())
    if isinstance(value, (set, frozenset)):
        return [jsonable(v) for v in sorted(value)]
    if hasattr(value, "__fspath__"):
        return os.fspath(value)
    raise TypeError(f"cannot put {type(value).__name__} into a results document")


def dumps(document: Mapping[str, Any]) -> str:
    """Deterministic JSON text (key order as built, UTF-8, strict numbers)."""
    return json.dumps(jsonable(document), ensure_ascii=False, indent=1, allow_nan=False) + "\n"


# -- streamed writers ------------------------------------------------------------------------
class _StreamedFile:
    """A text file written to a temp name beside the target and renamed into place at close
    (`sandbox.fileio.AtomicFile`: the project's one fsync / permissions / rename sequence)."""

    flush_every = 256

    def __init__(self, path: str | os.PathLike[str]):
        self._atomic = AtomicFile(path, newline="", suffix=".part")
        self.path = self._atomic.path
        self.tmp_path = self._atomic.tmp_path
        self._fh: io.TextIOWrapper | None = self._atomic.file  # type: ignore[assignment]
        self.rows = 0

    def _wrote(self, n: int = 1) -> None:
        before = self.rows
        self.rows += n
        if self.rows // self.flush_every != before // self.flush_every and self._fh is not None:
            self._fh.flush()

    @property
    def closed(self) -> bool:
        return self._fh is None

    def close(self) -> Path:
        """Flush, fsync and rename into place (then fsync the folder). Idempotent."""
        self._fh = None
        return self._atomic.commit()

    def abort(self) -> None:
        """Drop the partial file (the previous export, if any, stays untouched)."""
        self._fh = None
        self._atomic.abort()

    def __enter__(self) -> _StreamedFile:
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _handle(self) -> io.TextIOWrapper:
        if self._fh is None:
            raise ValueError(f"{self.path} is already closed")
        return self._fh


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return repr(round(value, 6)) if math.isfinite(value) else ""
    if hasattr(value, "item"):  # numpy scalar
        return _cell(value.item())
    return value


_INF = float("inf")


class ContactsCsvWriter(_StreamedFile):
    """contacts.csv, one row per finished contact, streamed (see `CSV_COLUMNS`) from column
    batches (`write_columns`); floats are rounded to 6 decimals. Columns hold plain ints,
    floats, strings and None; call `strict()` for anything else (bools, numpy scalars)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        columns: Sequence[str] = CSV_COLUMNS,
        *,
        run_id: str | None = None,
    ):
        super().__init__(path)
        self.columns = tuple(columns)
        #: `run_id` names the run in a first column of every row (a `shapan run` export), so
        #: a file that strayed into another run's folder says so (`shapan verify-export`)
        self.run_id = run_id
        self._lead = f"{run_id}," if run_id else ""
        self._writer = csv.writer(self._handle(), lineterminator="\n")
        self._writer.writerow((RUN_ID_COLUMN, *self.columns) if run_id else self.columns)
        self._check_types = False

    def strict(self) -> ContactsCsvWriter:
        """Convert every cell through `_cell` (bools to 0/1, numpy scalars, NaN to empty):
        slower; for records not produced by the engine."""
        self._check_types = True
        return self

    def write_columns(self, cols: Mapping[str, Any]) -> None:
        """Write a column batch (see `sandbox.columns`; one contact is a batch of one): the
        csv module's bytes for each row of `records_from_columns(cols)` (floats as
        `round(v, 6)`, None as an empty cell, the CSAT distribution as csat_p1..csat_p5), but
        each CSV column is converted once, as a whole.

        Why: per record, merging ~110 keys and rounding ~35 floats costs more than the engine's
        per-contact budget. Here floats are rounded with numpy (`round6`, identical to
        `round(v, 6)`), each column is turned into text once (`repr` of the rounded float, as
        the csv module writes it; small ints from a table) and the rows are joined in one
        string. Cells the csv module would quote (a comma, quote or line break in a string),
        cells that are not plain values, and `strict()` writers go through `csv.writer`.
        """
        n = column_length(cols)
        if n == 0:
            return
        fh = self._handle()
        if not self._check_types and len(self.columns) > 1:
            text = self._column_cells(cols, n, text=True)
            if text is not None:
                if self._lead:
                    text = [[self._lead[:-1]] * n, *text]
                fh.write("\n".join(map(",".join, zip(*text, strict=True))) + "\n")
                self._wrote(n)
                return
        cells = self._column_cells(cols, n, text=False)
        assert cells is not None
        if self._check_types:
            cells = [[_cell(v) for v in col] for col in cells]
        if self._lead:
            cells = [[self.run_id] * n, *cells]
        self._writer.writerows(zip(*cells, strict=True))
        self._wrote(n)

    def _column_cells(self, cols: Mapping[str, Any], n: int, text: bool) -> list[list[Any]] | None:
        """The cells of each CSV column as `write()` puts them in its rows; with `text`, as
        the strings the csv module would write (None if a cell needs quoting or is not a
        plain value)."""
        out: list[list[Any]] = [[]] * len(self.columns)
        floats: list[tuple[int, np.ndarray]] = []
        ints: list[tuple[int, np.ndarray]] = []
        lists: list[int] = []
        probs = cols.get("csat_probs")
        if probs is not None:  # a row with a NaN (no prediction) has empty cells
            probs = np.asarray(probs, dtype=np.float64).reshape(n, 5)
            probs = np.where(np.isnan(probs).any(axis=1, keepdims=True), np.nan, probs)
        for pos, name in enumerate(self.columns):
            col = cols.get(name)
            j = _CSAT_INDEX.get(name)
            if j is not None and probs is not None:
                floats.append((pos, probs[:, j]))
            elif col is None:
                out[pos] = [""] * n if text else [None] * n
            elif not isinstance(col, np.ndarray):
                if text and name in STR_COLUMNS:  # `_text_cells` checks them
                    out[pos] = col if isinstance(col, list) else list(col)
                else:
                    out[pos] = [round(v, 6) if type(v) is float else v for v in col]
                lists.append(pos)
            elif name in COUNT_COLUMNS:
                if col.dtype.kind in "iu":
                    ints.append((pos, col))
                else:
                    out[pos] = int_list(col)
                    lists.append(pos)
            elif name in FLOAT_COLUMNS or (name not in BOOL_COLUMNS and col.dtype.kind == "f"):
                floats.append((pos, col))
            elif name not in BOOL_COLUMNS and col.dtype.kind in "iu":
                ints.append((pos, col))
            else:
                out[pos] = column_list(name, col)
                lists.append(pos)
        if floats:
            stacked = np.stack([np.asarray(c, dtype=np.float64) for _, c in floats])
            rounded = round6(stacked)
            if text:  # -0.0 == 0.0 as a dict key: no memo where a value may round to -0.0
                signed: list[bool] = np.any(
                    np.signbit(stacked) & (stacked > -1e-6), axis=1
                ).tolist()
            for k, ((pos, _), values) in enumerate(zip(floats, rounded, strict=True)):
                out[pos] = _float_text(values, memo=not signed[k]) if text else values
        if ints:
            stacked = np.stack([np.asarray(c, dtype=np.int64) for _, c in ints])
            if text and stacked.min() >= 0 and stacked.max() < len(_INT_TEXT):
                values = _INT_TEXT[stacked].tolist()
            elif text:
                values = [list(map(str, row)) for row in stacked.tolist()]
            else:
                values = stacked.tolist()
            for (pos, _), column in zip(ints, values, strict=True):
                out[pos] = column
        if text:
            for pos in lists:
                column = _text_cells(out[pos])
                if column is None:
                    return None
                out[pos] = column
        return out


_float_repr = float.__repr__
_INT_TEXT = np.array([str(i) for i in range(1024)], dtype=object)  # counts, flags, levels
_PLAIN = (str, int, float, type(None))


def _text_cells(values: list[Any]) -> list[str] | None:
    """A list column as the text the csv module writes for it, or None if it would quote a
    cell (comma, quote, line break) or a cell is not str, int, float or None."""
    if None in values:
        values = ["" if v is None else v for v in values]
    try:
        joined = "".join(values)
    except TypeError:
        if not all(type(v) in _PLAIN for v in values):
            return None
        values = [
            v if type(v) is str else (_float_repr(round(v, 6)) if type(v) is float else str(v))
            for v in values
        ]
        joined = "".join(values)
    if "," in joined or '"' in joined or "\n" in joined or "\r" in joined:
        return None
    return values


_CSAT_INDEX = {f"csat_p{i}": i - 1 for i in range(1, 6)}


def round6(values: np.ndarray) -> list[Any]:
    """`round(v, 6)` of every element as Python floats (nested lists for 2-D), NaN as None.

    Why not `np.round`: it computes rint(v * 1e6) / 1e6, and the product's rounding error can
    flip a value lying within an ulp of a half-millionth to the other side, where Python
    rounds the exact binary value. Here k = rint(v * 1e6) is used only where v * 1e6 is
    provably clear of a half-integer (|frac - 0.5| above the product's error bound, |k| < 2^52);
    then k / 1e6 (one correctly rounded division) is the double nearest to k·10⁻⁶, which is
    what `round` returns. Everything else (near-ties, huge values, inf) takes `round(v, 6)`
    itself.
    """
    arr = np.asarray(values, dtype=np.float64)
    flat = arr.reshape(1, -1) if arr.ndim == 1 else arr
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = flat * 1e6
        rounded = np.rint(scaled) / 1e6
        clear = (np.abs(scaled - np.floor(scaled) - 0.5) > np.abs(scaled) * 2.0**-50) & (
            np.abs(scaled) < 2.0**52
        )
    nan = np.isnan(flat)
    result = rounded.tolist()
    for r in np.flatnonzero(nan.any(axis=1)).tolist():
        row = rounded[r].astype(object)
        row[nan[r]] = None
        result[r] = row.tolist()
    odd = ~clear & ~nan
    if odd.any():
        for r, c in zip(*np.nonzero(odd), strict=True):
            result[r][c] = round(float(flat[r, c]), 6)
    return result[0] if arr.ndim == 1 else result


def _float_text(values: list[float | None], memo: bool = True) -> list[str]:
    """The csv module's text of rounded floats (None as empty). Many columns repeat a few
    values (rubric scores, holds, trust, score), so each distinct value is formatted once."""
    known: dict[float | None, str] = dict.fromkeys(values, "") if memo else {}
    if not memo or len(known) * 2 > len(values):
        if None in values:
            return ["" if v is None else _float_repr(v) for v in values]
        return list(map(_float_repr, values))
    for v in known:
        known[v] = "" if v is None else _float_repr(v)
    return list(map(known.__getitem__, values))


class EventLog(_StreamedFile):
    """events.jsonl: one compact JSON object per line, in the order things happened; with a
    `run_id` (a `shapan run` export) the first line is `{"t":0,"type":"run","run_id":...}`."""

    def __init__(self, path: str | os.PathLike[str], *, run_id: str | None = None):
        super().__init__(path)
        if run_id:
            self.write({"t": 0.0, "type": "run", "run_id": run_id})

    def write(self, event: Mapping[str, Any]) -> None:
        # durations (`*_s`) to the millisecond: the engine hands them over unrounded
        plain = True
        out: dict[str, Any] = {}
        for k, v in event.items():
            kind = type(v)
            if kind is float:
                if k.endswith("_s"):
                    v = round(v, 3)
                plain = plain and math.isfinite(v)
            elif kind is not str and kind is not int and kind is not bool and v is not None:
                plain = False
            out[k] = v
        # the engine's events are flat dicts of plain values: they skip `jsonable`'s walk
        line = _EVENT_JSON.encode(out if plain else jsonable(out))
        self._handle().write(line + "\n")
        self._wrote()


#: events.jsonl's encoder, made once (`json.dumps` with options builds one per call)
_EVENT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


# -- the results document --------------------------------------------------------------------
def kpi_vs_target(kpis: Mapping[str, Any], targets: Mapping[str, float]) -> dict[str, Any]:
    """Each targeted KPI: value, target, delta (value − target), better, met (None if no data);
    the comparison is the KPI catalogue's (`sandbox.kpi_catalogue.target_rows`)."""
    return target_rows(kpis, targets)


def human_contact(record: Mapping[str, Any]) -> dict[str, Any]:
    """A human-seat record for the drill-down: the CSV fields plus transcript and decisions."""
    out = {k: v for k, v in record.items() if not k.startswith("beh_")}
    out["behaviour_counts"] = {k[4:]: v for k, v in record.items() if k.startswith("beh_") and v}
    out.setdefault("transcript", [])
    out.setdefault("decisions", [])
    out.setdefault("explanation", {"zh-CN": [], "en": []})
    return out


def build_results(
    accumulator: KpiAccumulator,
    *,
    seed: int,
    scenario: Mapping[str, Any],
    journeys: Mapping[str, str],
    model_version: str | None,
    duration_s: float,
    targets: Mapping[str, float] | None = None,
    decision_log: Sequence[Sequence[Any]] = (),
    human_records: Sequence[Mapping[str, Any]] | None = None,
    shapan_version: str | None = None,
    extra: Mapping[str, Any] | None = None,
    journey_titles: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble the `shapan.results/1` document from a session's accumulator and identity.

    `scenario` is `{name, hash}` (optionally `title{}`, `path`); `journeys` maps journey id to
    content hash; `human_records` defaults to the accumulator's human-seat records. `extra`
    adds namespaced fields (e.g. `{"run": {...}}`); it may not overwrite schema fields.
    `journey_titles` ({id: {lang: text}}) names the journeys of the per-journey breakdown.
    """
    if shapan_version is None:
        from sandbox import __version__ as shapan_version
    if "name" not in scenario or "hash" not in scenario:
        raise ValueError("scenario must give at least name and hash")
    targets = dict(targets or {})
    kpis = accumulator.kpis()
    br = accumulator.breakdowns()
    humans = list(accumulator.human_records() if human_records is None else human_records)
    human_ids = {str(r.get("contact_id")) for r in humans}
    sample = [e for e in accumulator.timeline_sample() if e["contact_id"] not in human_ids]
    from sandbox.kpis import timeline_entry

    timeline = sorted(
        [timeline_entry(r) for r in humans] + sample[:TIMELINE_CAP],
        key=lambda e: (e.get("arrived_at") or 0.0, e["contact_id"]),
    )
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "shapan_version": shapan_version,
        "seed": int(seed),
        "scenario": dict(scenario),
        "journeys": dict(sorted(journeys.items())),
        "model_version": model_version,
        "duration_s": float(duration_s),
        "threshold_s": accumulator.threshold_s,
        "kpis": kpis,
        "targets": {k: float(v) for k, v in targets.items()},
        "kpi_vs_target": kpi_vs_target(kpis, targets),
        "rubric": br["rubric"],
        "risk_points_by_type": br["risk_points_by_type"],
        "risk_counts_by_type": br["risk_counts_by_type"],
        "csat_distribution": br["csat_distribution"],
        "cross_sell_funnel": br["cross_sell_funnel"],
        "churn": br["churn"],
        "outcomes": br["outcomes"],
        "agents": br["agents"],
        "channels": br["channels"],
        "by_journey": {
            jid: {"title": (journey_titles or {}).get(jid), **figures}
            for jid, figures in br["journeys"].items()
        },
        "intervals": {"interval_s": br["interval_s"], "rows": br["intervals"]},
        "wait_histogram": br["wait_histogram"],
        "handle_histogram": br["handle_histogram"],
        "timeline": timeline,
        "risk_list": risk_list(humans),
        "contacts": [human_contact(r) for r in humans],
        "decision_log": [list(entry) for entry in decision_log],
    }
    for key, value in (extra or {}).items():
        if key in doc:
            raise ValueError(f"extra field {key!r} would overwrite a schema field")
        doc[key] = value
    return jsonable(doc)


def risk_list(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every risk event of the human-seat contacts, with the decision that raised it.

    Risks raised outside a decision (a trigger missed at the end of the contact) appear with
    `choice_id` None at the contact's end time, so the list adds up to the record's counts.
    """
    out: list[dict[str, Any]] = []
    for rec in records:
        cid = rec.get("contact_id")
        mine: list[dict[str, Any]] = []
        for d in rec.get("decisions") or ():
            for risk in d.get("risks") or ():
                kind = risk if isinstance(risk, str) else risk.get("type")
                mine.append(
                    {
                        "contact_id": cid,
                        "t": d.get("t"),
                        "type": kind,
                        "choice_id": d.get("choice_id"),
                        "node_id": d.get("node_id"),
                    }
                )
        for kind in RISK_TYPES:
            missing = int(rec.get(f"risk_{kind}") or 0) - sum(e["type"] == kind for e in mine)
            mine.extend(
                {
                    "contact_id": cid,
                    "t": rec.get("ended_at"),
                    "type": kind,
                    "choice_id": None,
                    "node_id": None,
                }
                for _ in range(max(0, missing))
            )
        out.extend(mine)
    return out


REQUIRED_FIELDS: dict[str, type | tuple[type, ...]] = {
    "schema": str,
    "shapan_version": str,
    "seed": int,
    "scenario": dict,
    "journeys": dict,
    "model_version": (str, type(None)),
    "duration_s": (int, float),
    "threshold_s": (int, float),
    "kpis": dict,
    "targets": dict,
    "kpi_vs_target": dict,
    "rubric": dict,
    "risk_points_by_type": dict,
    "csat_distribution": dict,
    "cross_sell_funnel": dict,
    "churn": dict,
    "agents": list,
    "timeline": list,
    "contacts": list,
    "decision_log": list,
}


def validate_results(doc: Mapping[str, Any]) -> list[str]:
    """Problems with a results document (empty list = valid `shapan.results/1`)."""
    problems = []
    for key, kind in REQUIRED_FIELDS.items():
        if key not in doc:
            problems.append(f"missing field {key!r}")
        elif not isinstance(doc[key], kind):
            problems.append(f"field {key!r} has type {type(doc[key]).__name__}")
    if doc.get("schema") not in (None, SCHEMA):
        problems.append(f"schema is {doc.get('schema')!r}, expected {SCHEMA!r}")
    kpis = doc.get("kpis")
    if isinstance(kpis, Mapping):
        missing = [k for k in KPI_KEYS if k not in kpis]
        if missing:
            problems.append(f"kpis lacks {', '.join(missing)}")
    return problems


def write_exports(
    results: Mapping[str, Any],
    out_dir: str | os.PathLike[str],
    *,
    lang: str = "zh-CN",
    report: bool = True,
    step: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """Write results.json and report.html into `out_dir`, each atomically.

    contacts.csv and events.jsonl are streamed during the run by `ContactsCsvWriter` and
    `EventLog` (into the same folder) and are not rewritten here. `step(name)` is called after
    results.json and half-way through report.html (crash tests, `sandbox.export`).
    """
    problems = validate_results(results)
    if problems:
        raise ValueError("not a valid results document: " + "; ".join(problems))
    step = step or (lambda _name: None)
    out = Path(out_dir)
    paths = {"results": atomic_write_text(out / "results.json", dumps(results))}
    step("after_results_json")
    if report:
        from sandbox.report import render_report

        html = render_report(results, lang=lang)
        writer = AtomicFile(out / "report.html")
        with writer as fh:
            half = len(html) // 2
            fh.write(html[:half])
            fh.flush()
            step("during_report")
            fh.write(html[half:])
        paths["report"] = writer.path
    return paths


def load_results(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a results.json back (plain JSON; refuses another schema with a clear error)."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{p}:{err.lineno}:{err.colno}: not valid JSON: {err.msg}") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise ValueError(f"{p}: not a {SCHEMA} results document")
    return doc


__all__ = [
    "CSV_COLUMNS",
    "RUN_ID_COLUMN",
    "SCHEMA",
    "ContactsCsvWriter",
    "EventLog",
    "build_results",
    "dumps",
    "jsonable",
    "kpi_vs_target",
    "load_results",
    "round6",
    "validate_results",
    "write_exports",
]
