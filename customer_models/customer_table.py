"""A customer-level table with a churn flag: the most common real data a centre has.

`shapan model train --data customers.csv` reads it to refit the churn model's customer
baseline (`churn_baseline`). Columns: the customer attributes personas have plus `churned`;
`churned` and `tenure_years` are required, the other attributes optional (a missing one is
reported and the baseline does not depend on it), any other column (ids, dates) is ignored.
Every cell is checked with the training CSV's checker (`csvdata`): mistakes come back as
`path:line:column` with what to do, never a traceback.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from customer_models.csvdata import (
    MAX_ERRORS,
    CsvDataError,
    CsvProblem,
    Lines,
    _csv_error,
    csv_table,
    data_rows,
    parse_cell,
)
from customer_models.personas import CATEGORIES

#: column -> (type, meaning); "flag" is 0/1 (also yes/no, true/false), others as in csvdata.
SPEC: dict[str, tuple[str, str]] = {
    "churned": ("flag", "the customer left within the period (90 days after the contact)"),
    "tenure_years": ("years", "years as a customer"),
    "contract": ("cat", "month_to_month | one_year | two_year"),
    "segment": ("cat", "mass | vip | small_business"),
    "age_band": ("cat", "young | adult | senior | elderly"),
    "temperament": ("cat", "calm | anxious | irritable"),
    "products": ("count", "number of products held"),
    "value": ("yuan", "yearly revenue from the customer, yuan"),
}
REQUIRED: tuple[str, ...] = ("churned", "tenure_years")
OPTIONAL: tuple[str, ...] = tuple(c for c in SPEC if c not in REQUIRED)
ATTRIBUTES: tuple[str, ...] = tuple(c for c in SPEC if c != "churned")
#: Fewer rows, or fewer customers of either class, cannot fit and hold out a test split.
MIN_ROWS = 100
MIN_PER_CLASS = 20
DOC = "docs/customer-model.md § 5a"

_FLAGS = {"0": 0, "1": 1, "no": 0, "yes": 1, "false": 0, "true": 1}


@dataclass
class CustomerTable:
    """Checked columns of a customer table: the attributes present, and the churn flags."""

    columns: dict[str, np.ndarray]
    churned: np.ndarray
    missing_optional: list[str]
    ignored_columns: list[str]

    def __len__(self) -> int:
        return len(self.churned)


def is_customer_header(text: str) -> bool:
    """True unless the header has a `csat` column (then it is a contact export)."""
    try:
        header = next(csv.reader(io.StringIO(text.split("\n", 1)[0])))
    except (StopIteration, csv.Error):
        return True
    return "csat" not in {h.strip().lstrip("\ufeff") for h in header}


def _cell(name: str, text: str) -> tuple[Any, str | None]:
    kind = SPEC[name][0]
    value = text.strip()
    if not value:
        need = "a required column" if name in REQUIRED else "or drop the column"
        return None, f"empty cell; fill it in ({need})"
    if kind == "flag":
        flag = _FLAGS.get(value.lower())
        if flag is None:
            return None, f"{value!r} is not a churn flag; use 0 or 1 (yes/no, true/false)"
        return flag, None
    if kind == "cat":
        allowed = CATEGORIES[name]
        if value in allowed:
            return value, None
        close = difflib.get_close_matches(value.lower().replace("-", "_"), allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return None, (
            f"{value!r} is not one of {', '.join(allowed)}{hint}; "
            "map your values to these or drop the column"
        )
    parsed, err = parse_cell(kind, value)
    if err is not None:
        what = {
            "years": "give years as a number, e.g. 2.5",
            "yuan": "give yuan per year as a number, e.g. 1200",
            "count": "give the count as a whole number, e.g. 2",
        }[kind]
        return None, f"{err}; {what}"
    return parsed, None


def _header_problems(header: list[str], lines: Lines) -> list[CsvProblem]:
    problems: list[CsvProblem] = []
    for name in sorted({h for h in header if h in SPEC and header.count(h) > 1}):
        at = lines.col(1, len(header) - 1 - header[::-1].index(name))
        problems.append(CsvProblem(1, name, "appears more than once in the header; keep one", at))
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        hints = []
        for name in missing:
            close = difflib.get_close_matches(name, header, n=1)
            if close:
                hints.append(f"{close[0]!r} -> {name!r}")
        hint = f"; rename {', '.join(hints)}" if hints else ""
        problems.append(
            CsvProblem(
                1,
                None,
                f"missing required column(s): {', '.join(missing)}{hint} (see {DOC}; "
                "a contact export has a csat column, or pass --table contacts)",
                1,
            )
        )
    return problems


def parse_text(text: str, path: str = "<csv>", *, max_rows: int | None = None) -> CustomerTable:
    """Parse a customer table; raises `CsvDataError` naming line and column of each mistake,
    including a table that cannot train (too few rows, one class only)."""
    reader = csv.reader(io.StringIO(text))
    lines = Lines(text)
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    except StopIteration:
        raise CsvDataError(
            path, [CsvProblem(1, None, "the file is empty; expected a header row", 1)]
        ) from None
    except csv.Error as bad:
        raise CsvDataError(path, [_csv_error(reader.line_num or 1, bad)]) from None
    problems = _header_problems(header, lines)
    if problems:
        raise CsvDataError(path, problems)
    present = [c for c in SPEC if c in header]
    index = {name: header.index(name) for name in present}
    values: dict[str, list[Any]] = {c: [] for c in present}
    first_line, last_line = 0, 1
    for line, row in data_rows(reader, problems, MAX_ERRORS):
        if not row or all(not cell.strip() for cell in row):
            continue
        if max_rows is not None and len(values["churned"]) >= max_rows:
            problems.append(
                CsvProblem(
                    line,
                    None,
                    f"more than {max_rows:,} data rows; the limit is {max_rows:,} "
                    "(docs/limits.md): train on a sample",
                    1,
                )
            )
            break
        if len(row) != len(header):
            problems.append(
                CsvProblem(line, None, f"has {len(row)} cells, the header has {len(header)}", 1)
            )
            continue
        parsed: dict[str, Any] = {}
        for name in present:
            value, err = _cell(name, row[index[name]])
            if err is not None:
                problems.append(CsvProblem(line, name, err, lines.col(line, index[name])))
            parsed[name] = value
        if all(v is not None for v in parsed.values()):
            for name in present:
                values[name].append(parsed[name])
            first_line, last_line = first_line or line, line
    if problems:
        raise CsvDataError(path, problems[:MAX_ERRORS])
    churned = np.asarray(values["churned"], dtype=np.int64)
    _check_trainable(
        path, churned, first_line, last_line, lines.col(max(first_line, 1), index["churned"])
    )
    columns = {
        name: np.asarray(values[name], dtype=str if SPEC[name][0] == "cat" else float)
        for name in present
        if name != "churned"
    }
    return CustomerTable(
        columns=columns,
        churned=churned,
        missing_optional=[c for c in OPTIONAL if c not in header],
        ignored_columns=[h for h in header if h not in SPEC],
    )


def _check_trainable(path: str, churned: np.ndarray, first: int, last: int, col: int) -> None:
    """Refuse a table that cannot fit and hold out a test split, at the line that shows it:
    after the last row when rows are too few, at the first `churned` cell for the classes."""
    n = len(churned)
    need = (
        f"training needs at least {MIN_ROWS} customers, at least {MIN_PER_CLASS} churned (1) "
        f"and {MIN_PER_CLASS} retained (0)"
    )
    if n < MIN_ROWS:
        msg = f"the table ends after {n} data row(s); {need} — export more rows"
        raise CsvDataError(path, [CsvProblem(last + 1, None, msg, 1)])
    counts = {flag: int((churned == flag).sum()) for flag in (0, 1)}
    if min(counts.values()) == 0:
        only = 0 if counts[0] else 1
        msg = f"all {n} rows are {only}; {need} — export churned and retained customers"
        raise CsvDataError(path, [CsvProblem(first, "churned", msg, col)])
    for flag, word in ((1, "churned (1)"), (0, "retained (0)")):
        if counts[flag] < MIN_PER_CLASS:
            msg = f"only {counts[flag]} of {n} rows are {word}; {need} — export more rows"
            raise CsvDataError(path, [CsvProblem(first, "churned", msg, col)])


def read_csv(path: str | os.PathLike[str]) -> CustomerTable:
    """Read a customer table (UTF-8, optional BOM); the CLI reads within docs/limits.md."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        msg = f"not UTF-8 text ({err.reason}); save the table as UTF-8"
        raise CsvDataError(str(path), [CsvProblem(1, None, msg, 1)]) from None
    return parse_text(text, str(path))


def generate(rng: np.random.Generator, n: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """A made-up customer table (no real data): the customers of `n` generated contacts
    (`ground_truth.generate`) with the ground truth's churn label after their contact, and
    the contact columns dropped, as a customer export would. Month-to-month, short-tenure,
    single-product customers churn more (`personas.POPULATION`), and so do badly served ones."""
    from customer_models import ground_truth

    gen = ground_truth.generate(rng, n)
    cols = {name: gen.columns[name] for name in ATTRIBUTES}
    cols["customer_id"] = np.asarray([f"C{i:07d}" for i in range(1, n + 1)])
    return cols, gen.churn.astype(np.int64)


def to_csv_text(columns: Mapping[str, np.ndarray], churned: np.ndarray) -> str:
    """Write a customer table: `customer_id` (if given), `churned`, then the attributes."""
    names = [
        *(["customer_id"] if "customer_id" in columns else []),
        "churned",
        *(a for a in ATTRIBUTES if a in columns),
    ]
    return csv_table(names, {**columns, "churned": churned}, len(churned), digits=2)
