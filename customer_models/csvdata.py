"""Contact records with labels as CSV: the format `shapan model train --data` reads.

Columns: every name of `features.RAW_FIELDS` plus the labels `csat` (1-5), `churn` (0/1, churned
within 90 days) and `cross_sell` (0/1, accepted the offer; must be 0 when no offer was made).
Other columns (ids, dates) are ignored. Every cell is checked; errors name the line and column.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from customer_models.features import CATEGORICAL, RAW_FIELDS, RAW_SPEC

LABELS: dict[str, tuple[int, int]] = {"csat": (1, 5), "churn": (0, 1), "cross_sell": (0, 1)}
COLUMNS: tuple[str, ...] = (*RAW_FIELDS, *LABELS)
MAX_ERRORS = 20

_INT_KINDS = {"bin", "count", "fit"}
_BOUNDS = {
    "bin": (0, 1),
    "count": (0, 1_000_000),
    "seconds": (0, 1e7),
    "years": (0, 150),
    "yuan": (0, 1e12),
    "mood": (0, 10),
    "fit": (0, 3),
    "prob": (0, 1),
}


@dataclass
class CsvProblem:
    """One mistake: its line, the column's name, and the character column where the cell
    starts (1 for a whole row or the header), so an editor can jump to `path:line:col` like
    a journey diagnostic."""

    line: int
    column: str | None
    message: str
    col: int = 1

    def location(self, path: str) -> str:
        return f"{path}:{self.line}:{self.col}"

    def text(self) -> str:
        return f"column {self.column!r}: {self.message}" if self.column else self.message

    def render(self, path: str) -> str:
        return f"{self.location(path)}: {self.text()}"


@dataclass
class CsvDataError(ValueError):
    """A training CSV with mistakes; `problems` lists up to MAX_ERRORS of them."""

    path: str
    problems: list[CsvProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(p.render(self.path) for p in self.problems)


@dataclass
class TrainingData:
    columns: dict[str, np.ndarray]
    csat: np.ndarray
    churn: np.ndarray
    cross_sell: np.ndarray
    ignored_columns: list[str]

    def __len__(self) -> int:
        return len(self.csat)


def cell_starts(line: str) -> list[int]:
    """1-based character column where each cell of one physical CSV line starts (quotes
    respected), so an error can point at `line:column` of the cell."""
    starts, quoted = [1], False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            starts.append(i + 2)
    return starts


class Lines:
    """The physical lines of a CSV text (as `csv.reader` counts them) and the cells' columns."""

    def __init__(self, text: str):
        self._lines = text.split("\n")

    def col(self, line: int, index: int) -> int:
        """Character column of cell `index` (0-based) on `line`; 1 when not on that line."""
        if not 1 <= line <= len(self._lines):
            return 1
        starts = cell_starts(self._lines[line - 1].rstrip("\r"))
        return starts[index] if index < len(starts) else 1


def parse_cell(kind: str, text: str) -> tuple[Any, str | None]:
    """Parse one cell; returns (value, error message or None)."""
    text = text.strip()
    if kind == "cat":
        return text, None
    try:
        value = float(text)
    except ValueError:
        return None, f"{text!r} is not a number"
    if not np.isfinite(value):
        return None, f"{text!r} is not a finite number"
    lo, hi = _BOUNDS[kind]
    if kind in _INT_KINDS and value != int(value):
        return None, f"{text!r} must be a whole number"
    if value < lo or value > hi:
        return None, f"{text!r} is out of range {lo:g}..{hi:g}"
    return value, None


def parse_text(text: str, path: str = "<csv>", *, max_rows: int | None = None) -> TrainingData:
    """Parse CSV text; raises CsvDataError naming line and column of each mistake.

    A cell longer than the csv module's field limit (131,072 characters) or more than
    `max_rows` data rows is refused with the line where it happened."""
    reader = csv.reader(io.StringIO(text))
    lines = Lines(text)
    problems: list[CsvProblem] = []
    try:
        header = next(reader)
    except StopIteration:
        raise CsvDataError(
            path, [CsvProblem(1, None, "the file is empty; expected a header row")]
        ) from None
    except csv.Error as bad:
        raise CsvDataError(path, [_csv_error(reader.line_num or 1, bad)]) from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        at = lines.col(1, len(header) - 1 - header[::-1].index(dupes[0]))
        problems.append(CsvProblem(1, dupes[0], "column appears more than once in the header", at))
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        problems.append(
            CsvProblem(
                1,
                None,
                f"missing column(s): {', '.join(missing)} "
                "(see docs/customer-model.md, 'CSV columns'; a customer table with a churned "
                "column: § 5a, --table customers)",
            )
        )
    if problems:
        raise CsvDataError(path, problems)
    index = {name: header.index(name) for name in COLUMNS}
    values: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    rows = 0
    for line, row in data_rows(reader, problems):
        if max_rows is not None and rows >= max_rows:
            problems.append(
                CsvProblem(
                    line,
                    None,
                    f"more than {max_rows:,} data rows; the limit is {max_rows:,} "
                    "(docs/limits.md): train on a sample of the export",
                )
            )
            break
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(
                CsvProblem(line, None, f"has {len(row)} cells, the header has {len(header)}")
            )
        else:
            ok = True
            parsed: dict[str, Any] = {}
            for name in COLUMNS:
                kind = RAW_SPEC[name][0] if name in RAW_SPEC else "label"
                text_value = row[index[name]]
                if kind == "cat":
                    v = text_value.strip()
                    if v not in CATEGORICAL[name]:
                        problems.append(
                            CsvProblem(
                                line,
                                name,
                                f"{v!r} is not one of {', '.join(CATEGORICAL[name])}",
                                lines.col(line, index[name]),
                            )
                        )
                        ok = False
                    parsed[name] = v
                    continue
                if kind == "label":
                    lo, hi = LABELS[name]
                    v, err = parse_cell("count", text_value)
                    if err is None and not lo <= v <= hi:
                        err = f"{text_value.strip()!r} must be a whole number {lo}..{hi}"
                else:
                    v, err = parse_cell(kind, text_value)
                if err:
                    problems.append(CsvProblem(line, name, err, lines.col(line, index[name])))
                    ok = False
                parsed[name] = v
            if ok and parsed["cross_sell"] == 1 and parsed["cross_sell_offered"] == 0:
                problems.append(
                    CsvProblem(
                        line,
                        "cross_sell",
                        "is 1 but cross_sell_offered is 0",
                        lines.col(line, index["cross_sell"]),
                    )
                )
                ok = False
            if ok:
                for name in COLUMNS:
                    values[name].append(parsed[name])
                rows += 1
        if len(problems) >= MAX_ERRORS:
            break
    if problems:
        raise CsvDataError(path, problems)
    if rows == 0:
        raise CsvDataError(path, [CsvProblem(2, None, "no data rows after the header")])
    columns = {
        name: np.asarray(values[name], dtype=str if RAW_SPEC[name][0] == "cat" else float)
        for name in RAW_FIELDS
    }
    return TrainingData(
        columns=columns,
        csat=np.asarray(values["csat"], dtype=np.int64),
        churn=np.asarray(values["churn"], dtype=np.int64),
        cross_sell=np.asarray(values["cross_sell"], dtype=np.int64),
        ignored_columns=[h for h in header if h not in COLUMNS],
    )


def data_rows(
    reader: Any, problems: list[CsvProblem], limit: int | None = None
) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each row `reader` gives; a CSV syntax error ends the rows as a
    problem. With `limit`, no row is read once that many problems are listed."""
    while limit is None or len(problems) < limit:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as bad:
            problems.append(_csv_error(reader.line_num, bad))
            return
        yield reader.line_num, row


def _csv_error(line: int, err: csv.Error) -> CsvProblem:
    text = str(err)
    if "field limit" in text:
        limit = csv.field_size_limit()
        text = f"a cell is longer than {limit:,} characters (an unclosed quote?)"
    return CsvProblem(line, None, f"not a readable CSV row: {text}")


def read_csv(path: str | os.PathLike[str]) -> TrainingData:
    """Read a training CSV (UTF-8, optional BOM)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise CsvDataError(
            str(p),
            [CsvProblem(1, None, f"not UTF-8 text ({err.reason}); save the export as UTF-8")],
        ) from None
    return parse_text(text, str(p))


def to_csv_text(
    columns: dict[str, np.ndarray], csat: np.ndarray, churn: np.ndarray, cross_sell: np.ndarray
) -> str:
    """Write records + labels in the training CSV format (e.g. a generated sample)."""
    data = {**columns, "csat": csat, "churn": churn, "cross_sell": cross_sell}
    return csv_table(COLUMNS, data, len(csat), digits=6)


def csv_table(names: Sequence[str], data: Mapping[str, Any], n: int, *, digits: int) -> str:
    """`n` rows of the columns `names` as CSV text: strings as they are, whole numbers without
    a decimal point, other numbers rounded to `digits` (the generated samples' one writer)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(names)
    for i in range(n):
        row = []
        for name in names:
            v = data[name][i]
            if isinstance(v, str | np.str_):
                row.append(str(v))
            else:
                f = float(v)
                row.append(str(int(f)) if f == int(f) else repr(round(f, digits)))
        w.writerow(row)
    return out.getvalue()
