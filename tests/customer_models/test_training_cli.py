"""Retraining from a CSV export, its errors, and the `shapan model` commands."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from customer_models import csvdata
from customer_models.ground_truth import generate
from customer_models.models import OutcomeModels
from customer_models.training import TrainingDataError, train
from sandbox.cli import main


@pytest.fixture(scope="module")
def sample_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "contacts.csv"
    gen = generate(np.random.default_rng(77), 4000)
    path.write_text(
        csvdata.to_csv_text(gen.columns, gen.csat, gen.churn, gen.cross_sell), encoding="utf-8"
    )
    return path, gen


def _rewrite(src, dst, edit):
    rows = list(csv.reader(src.open(encoding="utf-8")))
    edit(rows)
    with dst.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return dst


def test_csv_round_trip_keeps_every_value(sample_csv):
    path, gen = sample_csv
    data = csvdata.read_csv(path)
    assert len(data) == len(gen)
    for name, col in gen.columns.items():
        if col.dtype.kind in "US":
            assert (data.columns[name] == col).all()
        else:
            np.testing.assert_allclose(data.columns[name], col, rtol=1e-6)
    np.testing.assert_array_equal(data.csat, gen.csat)


def test_train_from_csv_with_the_cli(sample_csv, tmp_path, capsys):
    path, _ = sample_csv
    out = tmp_path / "models"
    assert main(["model", "train", "--data", str(path), "--out", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    loaded = OutcomeModels.load(out)
    assert doc["version"] == loaded.version and doc["rows"] == 4000
    assert loaded.card["training_data"]["kind"] == "csv export"
    assert doc["metrics_held_out"]["churn"]["auc"] > 0.75
    assert main(["model", "card", "--dir", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == loaded.version
    assert main(["model", "card", "--dir", str(out)]) == 0
    assert "held-out metrics" in capsys.readouterr().out


def test_same_data_same_seed_same_model(sample_csv):
    data = csvdata.read_csv(sample_csv[0])
    cols = {k: v[:1200] for k, v in data.columns.items()}
    labels = (data.csat[:1200], data.churn[:1200], data.cross_sell[:1200])
    a = train(cols, *labels, seed=3)
    b = train(cols, *labels, seed=3)
    c = train(cols, *labels, seed=4)
    assert a.version == b.version != c.version


@pytest.mark.parametrize(
    ("edit", "expect"),
    [
        (
            lambda r: r[5].__setitem__(r[0].index("wait_s"), "abc"),
            ":6:{col}: error: column 'wait_s': 'abc' is not a number",
        ),
        (
            lambda r: r[9].__setitem__(r[0].index("channel"), "fax"),
            ":10:{col}: error: column 'channel': 'fax' is not one of",
        ),
        (
            lambda r: r[3].__setitem__(r[0].index("csat"), "7"),
            ":4:{col}: error: column 'csat': '7' must be a whole number 1..5",
        ),
        (
            lambda r: r[3].__setitem__(r[0].index("holds"), "1.5"),
            ":4:{col}: error: column 'holds': '1.5' must be a whole number",
        ),
        (lambda r: r[2].pop(), ":3:1: error: has"),
        (
            lambda r: [row.pop(i) for i in [r[0].index("transfers")] for row in r],
            ":1:1: error: missing column(s): transfers",
        ),
    ],
)
def test_bad_csv_names_line_and_column(sample_csv, tmp_path, capsys, edit, expect):
    bad = _rewrite(sample_csv[0], tmp_path / "bad.csv", edit)
    assert main(["model", "train", "--data", str(bad), "--out", str(tmp_path / "m")]) == 1
    err = capsys.readouterr().err
    if "{col}" in expect:  # the character column where the named cell starts on its line
        line = int(expect.split(":")[1])
        column = expect.split("column '")[1].split("'")[0]
        rows = bad.read_text(encoding="utf-8").split("\n")
        cells = rows[line - 1].split(",")
        k = rows[0].split(",").index(column)
        expect = expect.format(col=len(",".join(cells[:k])) + 2 if k else 1)
    assert expect in err
    assert "Traceback" not in err
    assert not (tmp_path / "m").exists()


def test_cross_sell_without_offer_is_an_error(sample_csv, tmp_path):
    def edit(rows):
        h = rows[0]
        for row in rows[1:]:
            if row[h.index("cross_sell_offered")] == "0":
                row[h.index("cross_sell")] = "1"
                break

    bad = _rewrite(sample_csv[0], tmp_path / "bad.csv", edit)
    with pytest.raises(
        csvdata.CsvDataError, match="column 'cross_sell': is 1 but cross_sell_offered is 0"
    ):
        csvdata.read_csv(bad)


def test_empty_and_tiny_files(tmp_path, sample_csv):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(csvdata.CsvDataError, match="empty"):
        csvdata.read_csv(empty)
    tiny = _rewrite(sample_csv[0], tmp_path / "tiny.csv", lambda r: r.__delitem__(slice(50, None)))
    data = csvdata.read_csv(tiny)
    with pytest.raises(TrainingDataError, match="at least 200"):
        train(data.columns, data.csat, data.churn, data.cross_sell)


def test_cli_usage_and_missing_files(tmp_path, capsys):
    assert main(["model", "train", "--data", str(tmp_path / "no.csv"), "--out", str(tmp_path)]) == 1
    assert "file not found" in capsys.readouterr().err
    assert main(["model", "card", "--dir", str(tmp_path / "none")]) == 1
    assert "model directory not found" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["model", "train"])
    assert exc.value.code == 2


def test_sample_command_writes_a_trainable_csv(tmp_path, capsys):
    out = tmp_path / "s.csv"
    assert main(["model", "sample", "--out", str(out), "--rows", "300", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 300
    assert len(csvdata.read_csv(out)) == 300
