"""The finished-contact record is declared once (sandbox/record_schema.py): the engine's
records, the CSV header, the column types and the outcome models' inputs all agree with it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from customer_models.features import RAW_FIELDS
from sandbox import record_schema
from sandbox.columns import (
    BOOL_COLUMNS,
    COUNT_COLUMNS,
    FLOAT_COLUMNS,
    STR_COLUMNS,
    records_from_columns,
)
from sandbox.engine.recorder import Recorder
from sandbox.results import CSV_COLUMNS
from sandbox.scenario import load_scenario
from sandbox.session import Session


def _records(scenario: Any, out: Path, **options: Any) -> list[dict[str, Any]]:
    """The records as the engine hands them to the recorder (dicts: one contact at a time;
    batch play's rows, which it builds as columns, as dicts), before any conversion."""
    got: list[dict[str, Any]] = []
    with pytest.MonkeyPatch.context() as mp:
        for name in ("record", "record_played"):
            original = getattr(Recorder, name)

            def capture(self: Recorder, rec: dict[str, Any], *a: Any, _f: Any = original) -> None:
                got.append(dict(rec))
                _f(self, rec, *a)

            mp.setattr(Recorder, name, capture)
        played = Recorder._played_columns

        def capture_batch(self: Recorder, contacts: list[Any]) -> dict[str, Any]:
            cols = played(self, contacts)
            got.extend(records_from_columns(cols))
            return cols

        mp.setattr(Recorder, "_played_columns", capture_batch)
        session = Session(scenario, 4, out_dir=out, **options)
        session.run_to_end()
        session.export()
    return got


def test_every_model_input_and_csv_column_is_a_declared_field() -> None:
    declared = set(record_schema.BY_NAME)
    assert set(RAW_FIELDS) <= declared, sorted(set(RAW_FIELDS) - declared)
    assert record_schema.csv_columns() == CSV_COLUMNS
    flat = {c for c in CSV_COLUMNS if not c.startswith("csat_p")}
    assert flat <= declared
    typed = STR_COLUMNS | COUNT_COLUMNS | BOOL_COLUMNS | FLOAT_COLUMNS
    assert typed == {f.name for f in record_schema.RECORD if f.kind != "probs"}


def test_the_engine_builds_exactly_the_declared_record(tmp_path: Path) -> None:
    practice = load_scenario("practice")  # a seat (played by a bot), bots, abandonments
    erlang = load_scenario("erlang").with_overrides(hours=1)  # batch play (columns)
    drawn = replace(erlang, hangups=True)
    records = _records(practice, tmp_path / "p", human_policy="novice")
    records += _records(drawn, tmp_path / "e")
    records += _records(erlang, tmp_path / "o", batch_play=False)
    kinds = {("seat" if r.get("seat") else "abandoned" if r.get("abandoned") else "bot")
             for r in records}  # fmt: skip
    assert kinds == {"seat", "bot", "abandoned"}
    allowed = set(record_schema.BY_NAME) | set(record_schema.NESTED)
    allowed |= set(record_schema.SEAT_DETAIL)
    for r in records:
        extra = set(r) - allowed - set(record_schema.NESTED["rubric"])
        assert not extra, (r["contact_id"], sorted(extra))
        if not r.get("abandoned"):  # an answered contact has every model input
            assert set(RAW_FIELDS) <= set(r), sorted(set(RAW_FIELDS) - set(r))
    for sub in ("p", "e", "o"):
        header = (tmp_path / sub / "contacts.csv").read_text(encoding="utf-8").splitlines()[0]
        assert tuple(header.split(",")) == record_schema.csv_columns()
