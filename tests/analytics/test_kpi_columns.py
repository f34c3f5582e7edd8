"""Column batches, the one representation of finished contacts downstream of the engine:
`KpiAccumulator.contacts_finished` and `ContactsCsvWriter.write_columns` give the same results
however the contacts are cut into batches (a single contact is a batch of one) and whatever
the batches mix (bots, seats, abandoned contacts); `records_from_columns` /
`columns_from_records` round-trip; the skip-based reservoir keeps the same sample one by one
and in batches; contacts.csv holds what the csv module writes for each record."""

from __future__ import annotations

import copy
import csv
import io
import math
import random
from inspect import signature
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from analytics_records import make_record

from sandbox.columns import (
    COUNT_COLUMNS,
    FLOAT_COLUMNS,
    STR_COLUMNS,
    columns_from_records,
    records_from_columns,
)
from sandbox.kpis import KpiAccumulator, _Reservoir
from sandbox.results import CSV_COLUMNS, ContactsCsvWriter, _cell, build_results, round6


# -- a real session's records ----------------------------------------------------------------
@pytest.fixture(scope="module")
def session_records() -> list[dict[str, Any]]:
    """Every finished record of half an hour of full-day, in completion order, as the engine
    builds them one by one (with batch play, if the session offers it, turned off)."""
    # imported here: the engine imports customer_models, which must not be loaded while
    # pytest collects tests/customer_models (a package of that name)
    from sandbox.scenario import load_scenario
    from sandbox.session import Session

    one_by_one = {"batch_play": False} if "batch_play" in signature(Session).parameters else {}
    session = Session(
        load_scenario("full-day").with_overrides(hours=0.5),
        seed=3,
        human_policy="competent",
        **one_by_one,
    )
    records: list[dict[str, Any]] = []
    session.recorder.sinks.append(lambda rec: records.append(copy.deepcopy(rec)))
    session.run_to_end()
    return records


def _is_bot_answered(rec: dict[str, Any]) -> bool:
    return not rec.get("abandoned") and not rec.get("seat") and not rec.get("human")


@pytest.fixture(scope="module")
def bots(session_records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = [r for r in session_records if _is_bot_answered(r)]
    assert len(out) > 1000
    assert any(r["cross_sell_offered"] for r in out)
    assert any(r["rubric"]["sales"] is None for r in out)
    return out


# -- helpers ---------------------------------------------------------------------------------
def assert_same(a: Any, b: Any, path: str = "$") -> None:
    """Equal structure, identical non-floats (type included: counts stay ints), floats within
    rtol 1e-9 (sums added in another order may differ in the last bits)."""
    if isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0) or (a != a and b != b), path
        return
    assert type(a) is type(b), f"{path}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            assert_same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def queue_events(acc: KpiAccumulator, records: list[dict[str, Any]]) -> None:
    """The queue-side calls the engine makes (identical for both accumulators compared)."""
    for r in records:
        acc.arrival(r["channel"], r["arrived_at"])
        if r.get("abandoned"):
            acc.abandoned(r["wait_s"], r["channel"], r["arrived_at"])
        else:
            acc.answered(r["wait_s"], r["channel"], r["arrived_at"])
            acc.agent_busy(r["agent_id"], r["handle_s"])
            acc.staffed(r["agent_id"], 2 * r["handle_s"])


def feed(acc: KpiAccumulator, records: list[dict[str, Any]], chunks: list[int]) -> KpiAccumulator:
    """Records in order, as column batches cut at the given sizes (cycling); [1]: one by one."""
    i = k = 0
    while i < len(records):
        size = chunks[k % len(chunks)]
        acc.contacts_finished(columns_from_records(records[i : i + size]))
        i += size
        k += 1
    return acc


def document(acc: KpiAccumulator) -> dict[str, Any]:
    """What results.json takes from the accumulator (`Session.results` -> `build_results`)."""
    return build_results(
        acc,
        seed=3,
        scenario={"name": "t", "hash": "h"},
        journeys={},
        model_version=None,
        duration_s=1800.0,
        shapan_version="test",
    )


def accumulators(records, **kwargs) -> tuple[KpiAccumulator, KpiAccumulator]:
    """Two accumulators fed the same contacts: one by one, and in batches of `chunks`."""
    chunks = kwargs.pop("chunks", None) or [256]
    a, b = KpiAccumulator(**kwargs), KpiAccumulator(**kwargs)
    first = next(r["agent_id"] for r in records if r.get("agent_id"))
    for acc in (a, b):
        queue_events(acc, records)
        acc.agent_info(first, policy=None, human=False)  # policy from its records
    return feed(a, records, [1]), feed(b, records, chunks)


# -- records <-> columns ---------------------------------------------------------------------
def test_round_trip_records_columns_records(bots: list[dict[str, Any]]) -> None:
    cols = columns_from_records(bots)
    back = records_from_columns(cols)
    assert back == bots
    assert all(list(x) == list(y) for x, y in zip(back, bots, strict=True))  # key order too


def test_round_trip_columns_records_columns(bots: list[dict[str, Any]]) -> None:
    cols = columns_from_records(bots)
    again = columns_from_records(records_from_columns(cols))
    assert list(again) == list(cols)
    for key, col in cols.items():
        if isinstance(col, np.ndarray):
            assert again[key].dtype == col.dtype, key
            np.testing.assert_array_equal(again[key], col, err_msg=key)
        else:
            assert again[key] == col, key


def test_columns_follow_the_contract(bots: list[dict[str, Any]]) -> None:
    cols = columns_from_records(bots)
    n = len(bots)
    assert cols["csat_probs"].shape == (n, 5)
    assert cols["seat"] == [None] * n and not cols["human"].any() and not cols["abandoned"].any()
    for key, col in cols.items():
        if key in STR_COLUMNS:
            assert isinstance(col, list) and all(v is None or isinstance(v, str) for v in col)
        elif key in COUNT_COLUMNS:
            assert col.dtype == np.int64, key
        elif key in FLOAT_COLUMNS:
            assert col.dtype == np.float64, key
    assert np.isnan(cols["rubric_sales"]).any() and np.isnan(cols["cross_sell_p"]).any()
    rec = records_from_columns(cols)[0]
    assert type(rec["holds"]) is int and type(rec["beh_greeting"]) is int
    assert type(rec["handle_s"]) is float and type(rec["human"]) is bool
    assert isinstance(rec["rubric"], dict) and isinstance(rec["csat_probs"], list)


def test_nan_is_none_in_records() -> None:
    cols = {
        "contact_id": ["a", "b"],
        "holds": np.array([1.0, np.nan]),
        "wait_s": np.array([np.nan, 2.5]),
        "rubric_empathy": np.array([50.0, np.nan]),
        "rubric_sales": np.array([np.nan, 70.0]),
        "csat_probs": np.array([[0.2] * 5, [np.nan] * 5]),
        "cross_sell_p": np.array([np.nan, 0.4]),
    }
    a, b = records_from_columns(cols)
    assert a == {
        "contact_id": "a",
        "holds": 1,
        "wait_s": None,
        "rubric": {"empathy": 50.0, "sales": None},
        "csat_probs": [0.2] * 5,
        "cross_sell_p": None,
    }
    assert b["holds"] is None and b["csat_probs"] is None and b["cross_sell_p"] == 0.4
    assert records_from_columns({}) == [] and records_from_columns({"x": []}) == []
    with pytest.raises(ValueError):
        records_from_columns({"a": [1, 2], "b": [1]})


# -- KPIs ------------------------------------------------------------------------------------
def test_batches_equal_single_contacts(session_records: list[dict[str, Any]]) -> None:
    """Sums are added in row order from the running totals, so the documents are equal to the
    last bit however the batches are cut (abandoned contacts included)."""
    a, b = accumulators(session_records, seed=3)
    assert_same(a.kpis(), b.kpis())
    assert_same(a.breakdowns(), b.breakdowns())
    assert_same(a.timeline_sample(), b.timeline_sample())
    assert document(a) == document(b)
    policies = {x["agent_id"]: x["policy"] for x in b.breakdowns()["agents"]}
    first = next(r for r in session_records if r.get("agent_id"))
    assert policies[first["agent_id"]] == first["policy"] == "competent"
    assert any(r.get("abandoned") for r in session_records)  # mixed into the batches


@pytest.mark.parametrize(
    ("chunks", "sample_size", "seed"),
    [([2], 400, 0), ([7, 64, 3, 256, 1], 30, 1), ([97], 5, 2), ([5000], 0, 3), ([13, 2], 1, 4)],
)
def test_chunked_and_interleaved_batches(
    session_records: list[dict[str, Any]], chunks: list[int], sample_size: int, seed: int
) -> None:
    a, b = accumulators(session_records, seed=seed, sample_size=sample_size, chunks=chunks)
    assert document(a) == document(b)
    answered = [r for r in session_records if not r.get("abandoned")]
    assert len(b.timeline_sample()) == min(sample_size, len(answered))


def test_synthetic_records_with_every_fit_and_channel() -> None:
    rng = random.Random(11)
    records = [make_record(i, rng) for i in range(1500)]
    for r in records[::50]:
        r["rubric"] = {k: None for k in r["rubric"]}  # no rubric at all
    for r in records[::70]:
        r["outcome"] = None  # the `resolved` flag decides
    for r in records[::90]:
        r["cross_sell_fit_label"] = None  # the numeric level names the fit
    a, b = accumulators(records, seed=5, sample_size=40, chunks=[33, 256])
    assert document(a) == document(b)
    assert set(b.breakdowns()["cross_sell_funnel"]["by_fit"]) == {"low", "medium", "high"}
    assert set(b.breakdowns()["channels"]) == {"chat", "phone"}


def test_same_agent_in_batches_of_every_size(bots: list[dict[str, Any]]) -> None:
    """An agent's contacts spread over batches of one and of a hundred: the same figures."""
    a, b = KpiAccumulator(seed=1), KpiAccumulator(seed=1)
    feed(a, bots, [len(bots)])
    feed(b, bots, [100, *[1] * 100])
    assert document(a) == document(b)


def test_batch_with_abandoned_and_human_rows() -> None:
    rng = random.Random(2)
    records = [make_record(i, rng, human=(i % 40 == 0)) for i in range(200)]
    for r in records[5::17]:
        r.update(abandoned=1, outcome="abandoned")
    a, b = KpiAccumulator(seed=9, sample_size=20), KpiAccumulator(seed=9, sample_size=20)
    feed(a, records, [1])
    b.contacts_finished(columns_from_records(records))
    assert document(a) == document(b)
    assert [r["contact_id"] for r in b.human_records()] == [
        r["contact_id"] for r in records if r["seat"] and not r["abandoned"]
    ]
    kept = b.human_records()[0]  # the seat's full record, as a dict
    assert kept["transcript"] == records[0]["transcript"] and kept["rubric"] == records[0]["rubric"]
    assert b.breakdowns()["outcomes"]["abandoned"] == len(records[5::17])
    answered = [r for r in records if not r["abandoned"]]
    assert b.kpis()["aht_s"] == pytest.approx(sum(r["handle_s"] for r in answered) / len(answered))
    seat = next(x for x in b.breakdowns()["agents"] if x["agent_id"] == "seat1")
    assert seat["human"] and seat["policy"] == "human"


def test_empty_batch_changes_nothing() -> None:
    acc = KpiAccumulator()
    acc.contacts_finished({})
    acc.contacts_finished({"contact_id": [], "handle_s": np.zeros(0)})
    assert acc.kpis() == KpiAccumulator().kpis()
    assert acc.breakdowns() == KpiAccumulator().breakdowns()


def test_deep_copy_mid_session_continues_identically(bots: list[dict[str, Any]]) -> None:
    acc = KpiAccumulator(seed=4, sample_size=50)
    acc.contacts_finished(columns_from_records(bots[:300]))
    twin = copy.deepcopy(acc)
    for x in (acc, twin):
        x.contacts_finished(columns_from_records(bots[300:]))
    assert document(acc) == document(twin)


# -- the reservoir ---------------------------------------------------------------------------
@pytest.mark.parametrize("size", [0, 1, 5, 50])
def test_reservoir_one_by_one_and_in_batches_agree(size: int) -> None:
    rng = random.Random(size)
    one, many = _Reservoir(size, 7), _Reservoir(size, 7)
    total = 0
    for _ in range(60):
        n = rng.choice([0, 1, 3, 40, 200])
        for _ in range(n):
            total += 1
            one.seen += 1
            if one.seen >= one.next:
                one.put(one.advance(), {"i": total})
        for row, slot in many.plan(n):
            many.put(slot, {"i": total - n + row + 1})
    assert one.items == many.items and one.seen == many.seen == total
    assert len(one.items) == min(size, total)


def test_reservoir_is_uniform() -> None:
    size, n, runs = 10, 200, 3000
    hits = np.zeros(n)
    for seed in range(runs):
        res = _Reservoir(size, seed)
        for row, slot in res.plan(n):
            res.put(slot, {"i": row})
        hits[[e["i"] for e in res.items]] += 1
    blocks = hits.reshape(10, 20).sum(axis=1)  # each block: expected runs * size / 10
    expected = runs * size / 10
    assert np.all(np.abs(blocks - expected) < 0.1 * expected), blocks


def test_sample_is_seeded(bots: list[dict[str, Any]]) -> None:
    cols = columns_from_records(bots)

    def sample(seed: int) -> list[str]:
        acc = KpiAccumulator(seed=seed, sample_size=25)
        acc.contacts_finished(cols)
        return [e["contact_id"] for e in acc.timeline_sample()]

    assert sample(1) == sample(1) != sample(2)


# -- contacts.csv ----------------------------------------------------------------------------
def _csv(path: Path, write, strict: bool = False) -> bytes:
    w = ContactsCsvWriter(path)
    if strict:
        w.strict()
    write(w)
    w.close()
    return path.read_bytes()


def reference_csv(records: list[dict[str, Any]], strict: bool = False) -> bytes:
    """What contacts.csv must hold: the csv module's row of each record, nested fields flat
    (rubric_<dim>, csat_p1..csat_p5), floats as `round(v, 6)`, None as an empty cell."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for rec in records:
        flat = dict(rec)
        for dim, value in (rec.get("rubric") or {}).items():
            flat[f"rubric_{dim}"] = value
        for i, p in enumerate(rec.get("csat_probs") or ()):
            flat[f"csat_p{i + 1}"] = float(p)
        row = [flat.get(c) for c in CSV_COLUMNS]
        row = [round(v, 6) if type(v) is float else v for v in row]
        writer.writerow([_cell(v) for v in row] if strict else row)
    return buf.getvalue().encode("utf-8")


def test_csv_bytes_equal_the_records_rows(bots: list[dict[str, Any]], tmp_path: Path) -> None:
    cols = columns_from_records(bots)
    expected = reference_csv(bots)
    assert reference_csv(records_from_columns(cols)) == expected

    def chunked(w: ContactsCsvWriter) -> None:
        for i in range(0, len(bots), 300):
            w.write_columns(columns_from_records(bots[i : i + 300]))
        w.write_columns({})

    def singles(w: ContactsCsvWriter) -> None:
        for rec in bots[:200]:
            w.write_columns(columns_from_records([rec]))

    assert _csv(tmp_path / "b.csv", lambda w: w.write_columns(cols)) == expected
    assert _csv(tmp_path / "c.csv", chunked) == expected
    assert _csv(tmp_path / "s.csv", singles) == reference_csv(bots[:200])
    strict = reference_csv(records_from_columns(cols), strict=True)
    assert _csv(tmp_path / "e.csv", lambda w: w.write_columns(cols), True) == strict


def test_csv_awkward_values(bots: list[dict[str, Any]], tmp_path: Path) -> None:
    """Near-ties, signed zeros, huge, infinite and missing values, cells the csv module quotes,
    counts held as floats with NaN, rows without a prediction."""
    cols = columns_from_records(bots[:64])
    odd = [-0.0, -1e-9, 5e-7, -5e-7, 2.5e-6, 1e12, -3e15, np.inf, -np.inf, np.nan, 1e-5]
    ties = np.nextafter(np.array([0.0000015, 1.2345675, 98.7654325]), np.inf)
    values = np.array(odd + ties.tolist() + [0.0] * 50)
    cols["hold_s"] = values[:64]
    cols["wait_s"] = -values[:64]
    cols["churn_risk"] = np.resize(values, 64)[::-1].copy()
    cols["holds"] = np.where(np.arange(64) % 9 == 0, np.nan, 2.0)
    cols["csat_probs"][3] = np.nan
    plain = copy.deepcopy(cols)
    expected = reference_csv(records_from_columns(cols))
    assert _csv(tmp_path / "b.csv", lambda w: w.write_columns(cols)) == expected
    assert b",-0.0," in expected and b",inf," in expected
    for text in ('offer, with "quotes"', "two\nlines"):
        quoted = copy.deepcopy(plain)
        quoted["cross_sell_offer"] = [text, *quoted["cross_sell_offer"][1:]]
        expected = reference_csv(records_from_columns(quoted))
        assert _csv(tmp_path / "d.csv", lambda w, c=quoted: w.write_columns(c)) == expected
        assert b'"' in expected


def test_round6_is_python_round() -> None:
    rng = np.random.default_rng(1)
    k = rng.integers(0, 10**9, 20000)
    values = np.concatenate(
        [
            rng.random(20000) * 10.0 ** rng.integers(-8, 12, 20000),
            -rng.random(2000) * 100,
            (k + 0.5) / 1e6,  # ties as decimals: just above or below in binary
            np.nextafter((k + 0.5) / 1e6, np.inf),
            np.nextafter((k + 0.5) / 1e6, -np.inf),
            -(k[:2000] + 0.5) / 1e6,
            [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-7, -5e-7, 1.5e-6, 2.5e-6, 1e300, -1e-300],
        ]
    )
    got = round6(values)
    want = [None if v != v else round(v, 6) for v in values.tolist()]
    assert [repr(x) for x in got] == [repr(x) for x in want]
    matrix = values[: 4 * 1000].reshape(4, 1000)
    assert round6(matrix) == [round6(row) for row in matrix]
