"""The recorder is where a finished contact stops being a dict: every group of records it
flushes becomes one column batch, predicted in one batch (abandoned contacts get no
predictions, a seat's contact keeps those made when it finished), and the KPIs, contacts.csv
and record sinks take that batch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sandbox.columns import records_from_columns


@pytest.fixture(scope="module")
def engine_records() -> list[dict[str, Any]]:
    """A short practice session's records (a seat played by a bot, bots, abandonments) as the
    engine hands them to the recorder: without predictions."""
    # imported here: the engine imports customer_models, which must not be loaded while
    # pytest collects tests/customer_models (a package of that name)
    from sandbox.engine.recorder import PREDICTED
    from sandbox.scenario import load_scenario
    from sandbox.session import Session

    session = Session(load_scenario("practice").with_overrides(hours=0.5), 2, human_policy="novice")
    got: list[dict[str, Any]] = []
    session.recorder.sinks.append(got.append)
    session.run_to_end()
    out = [{k: v for k, v in r.items() if k not in (*PREDICTED, "explanation")} for r in got]
    assert any(r["abandoned"] for r in out) and any(r["seat"] for r in out)
    return out


def test_a_group_is_predicted_as_one_batch_of_its_answered_rows(
    engine_records: list[dict[str, Any]],
) -> None:
    from sandbox.engine.recorder import PREDICTED, predicted_columns

    group = engine_records[:60]
    answered = [i for i, r in enumerate(group) if not r["abandoned"]]
    gone = [i for i, r in enumerate(group) if r["abandoned"]]
    assert answered and gone
    cols = predicted_columns(group, seed=5)
    alone = predicted_columns([group[i] for i in answered], seed=5)
    for key in PREDICTED:
        np.testing.assert_array_equal(cols[key][answered], alone[key], err_msg=key)
        assert np.isnan(cols[key][gone]).all(), key
    rows = records_from_columns(cols)
    assert all(rows[i]["csat_mean"] is None and rows[i]["csat_probs"] is None for i in gone)
    assert all(rows[i]["cross_sell_accepted"] is None for i in gone)
    assert all(type(rows[i]["cross_sell_accepted"]) is int for i in answered)
    # a record that has its predictions (a seat's, made when it finished) keeps them
    seat = dict(records_from_columns(alone)[0], csat_mean=9.0)
    again = records_from_columns(predicted_columns([seat, *group[1:]], seed=5))
    assert again[0]["csat_mean"] == 9.0


class _Kpi:
    def __init__(self) -> None:
        self.batches: list[dict[str, Any]] = []

    def contacts_finished(self, cols: dict[str, Any]) -> None:
        self.batches.append(cols)


class _Writer:
    def __init__(self) -> None:
        self.rows = 0

    def write_columns(self, cols: dict[str, Any]) -> None:
        self.rows += len(cols["contact_id"])


def test_the_recorder_hands_over_column_batches_only(
    engine_records: list[dict[str, Any]],
) -> None:
    from sandbox.engine.recorder import Recorder

    kpi, writer, seen = _Kpi(), _Writer(), []
    rec = Recorder(kpi, 5, batch=10_000, sinks=[seen.append], writers=[writer])
    group = engine_records[:60]
    for r in group:
        rec.record(dict(r), human=bool(r["seat"]))
    seats = [r for r in group if r["seat"] and not r["abandoned"]]
    assert seats
    assert [h["contact_id"] for h in rec.human] == [r["contact_id"] for r in seats]
    assert all(h["explanation"]["en"] and h["csat_mean"] is not None for h in rec.human)
    assert kpi.batches == []  # nothing leaves before the flush point
    rec.flush()
    (cols,) = kpi.batches
    assert cols["contact_id"] == [r["contact_id"] for r in group]
    assert writer.rows == len(group) == rec.finished
    assert [r["contact_id"] for r in seen] == cols["contact_id"]
    assert seen == records_from_columns(cols)
    by_id = {r["contact_id"]: r for r in seen}
    for h in rec.human:  # the seat's row carries the predictions made when it finished
        assert by_id[h["contact_id"]]["csat_mean"] == h["csat_mean"]
