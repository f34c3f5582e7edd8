"""Safe persistence: skops + JSON round trip, hash checks, untrusted types refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from customer_models import features, persistence
from customer_models.ground_truth import generate
from customer_models.models import OutcomeModels
from customer_models.persistence import CARD_FILE, ModelFileError, dumps, load_dir, loads, sha256, write_dir


@pytest.fixture(scope="module")
def models():
    return OutcomeModels.load_default()


def test_round_trip_gives_identical_predictions(models, tmp_path):
    X = features.encode_columns(generate(np.random.default_rng(3), 500).columns)
    write_dir(models, tmp_path)
    again = load_dir(tmp_path)
    a, b = models.predict(X), again.predict(X)
    np.testing.assert_array_equal(a.csat_probs, b.csat_probs)
    np.testing.assert_array_equal(a.churn, b.churn)
    np.testing.assert_array_equal(a.cross_sell, b.cross_sell)
    assert again.version == models.version
    card = json.loads((tmp_path / CARD_FILE).read_text())
    for name, digest in card["files"].items():
        assert sha256((tmp_path / name).read_bytes()) == digest


def test_shipped_files_are_small_and_hashed():
    total = sum(p.stat().st_size for p in persistence.Path(OutcomeModels.load_default.__globals__["DEFAULT_DIR"]).iterdir())
    assert total < 2_000_000
    card = OutcomeModels.load_default().card
    assert set(card["files"]) == {*persistence.MODEL_FILES.values(), persistence.PARAMS_FILE}
    for key in ("training_data", "features", "metrics_held_out", "version"):
        assert key in card


def test_tampered_file_is_refused(models):
    files = dumps(models)
    files["params.json"] = files["params.json"].replace(b'"top_box_min": 4', b'"top_box_min": 5')
    with pytest.raises(ModelFileError, match="does not match the sha256"):
        loads(files)


def test_untrusted_type_is_refused_even_with_matching_hash(models):
    import skops.io as sio
    from sklearn.tree import DecisionTreeClassifier

    files = dumps(models)
    files["churn.skops"] = sio.dumps(DecisionTreeClassifier().fit([[0], [1]], [0, 1]))
    card = json.loads(files[CARD_FILE])
    card["files"]["churn.skops"] = sha256(files["churn.skops"])
    files[CARD_FILE] = json.dumps(card).encode()
    with pytest.raises(ModelFileError, match="untrusted types"):
        loads(files)


def test_missing_file_and_directory(models, tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        load_dir(tmp_path / "nope")
    write_dir(models, tmp_path)
    (tmp_path / "csat.skops").unlink()
    with pytest.raises(ModelFileError, match="csat.skops: model file is missing"):
        load_dir(tmp_path)
