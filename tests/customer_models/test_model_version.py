"""The model version is a content hash of the model files, whatever the card claims."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from customer_models import features
from customer_models.fingerprint import content_version, manifest
from customer_models.models import DEFAULT_DIR, OutcomeModels, compare_files
from customer_models.persistence import CARD_FILE, VERSIONED_FILES, dumps, loads, sha256


@pytest.fixture(scope="module")
def models() -> OutcomeModels:
    return OutcomeModels.load_default()


def _swap_params(files: dict[str, bytes], edit: bytes, to: bytes) -> dict[str, bytes]:
    """Edit params.json and update its hash in the card, as someone hiding a swap would."""
    files = dict(files)
    assert edit in files["params.json"]
    files["params.json"] = files["params.json"].replace(edit, to, 1)
    card = json.loads(files[CARD_FILE])
    card["files"]["params.json"] = sha256(files["params.json"])
    files[CARD_FILE] = json.dumps(card).encode()
    return files


def test_version_is_the_hash_of_the_shipped_files_bytes(models):
    hashes = {name: sha256((DEFAULT_DIR / name).read_bytes()) for name in VERSIONED_FILES}
    assert models.file_hashes() == hashes
    # what `sha256sum churn.skops cross_sell.skops csat.skops params.json | sha256sum` prints
    lines = "".join(f"{hashes[n]}  {n}\n" for n in sorted(hashes))
    assert manifest(hashes) == lines
    assert models.version == "sha256:" + hashlib.sha256(lines.encode()).hexdigest()
    assert models.card["version"] == models.version


def test_a_swapped_params_file_changes_the_version_even_with_the_card_updated(models):
    files = dumps(models)
    first_weight = json.loads(files["params.json"])["folded"]["churn"]["bias"][0]
    swapped = loads(_swap_params(files, repr(first_weight).encode(), b"0.5"))
    X = features.encode([features.blank_record()])
    assert swapped.predict(X).churn[0] != models.predict(X).churn[0]  # a real change ...
    assert swapped.card["version"] == swapped.version != models.version  # ... is seen
    message = compare_files(models.file_hashes(), swapped.file_hashes())
    assert message is not None and "params.json" in message and "\n" not in message


def test_the_card_cannot_claim_a_version(models):
    files = dumps(models)
    card = json.loads(files[CARD_FILE])
    card["version"] = "1.0-88da4c8632a5"
    files[CARD_FILE] = json.dumps(card).encode()
    assert loads(files).version == models.version


def test_trained_in_memory_and_loaded_agree(tmp_path):
    from customer_models.ground_truth import generate
    from customer_models.training import train

    gen = generate(np.random.default_rng(11), 2500)
    trained = train(gen.columns, gen.csat, gen.churn, gen.cross_sell, seed=2)
    loaded = loads(dumps(trained))
    assert trained.version == loaded.version == trained.card["version"]
    assert trained.file_hashes() == loaded.file_hashes()
    assert set(loaded.file_hashes()) == set(VERSIONED_FILES)


def test_compare_files_names_the_first_difference():
    a = {"csat.skops": "aa" * 32, "params.json": "bb" * 32}
    assert compare_files(a, dict(a)) is None
    changed = compare_files(a, {**a, "params.json": "cc" * 32})
    assert changed == (
        f"outcome model file params.json differs: expected sha256 {'bb' * 6}…, found {'cc' * 6}…"
    )
    assert "csat.skops" in (compare_files(a, {"params.json": a["params.json"]}) or "")
    assert "missing" in (compare_files(a, {"params.json": a["params.json"]}) or "")
    extra = compare_files(a, {**a, "extra.json": "dd" * 32})
    assert extra is not None and "extra.json" in extra
    # the first file by name, not an arbitrary one
    both = compare_files(a, {"csat.skops": "ee" * 32, "params.json": "ff" * 32})
    assert both is not None and "csat.skops" in both


def test_content_version_depends_on_every_file_and_name():
    a = {"csat.skops": "aa" * 32, "params.json": "bb" * 32}
    assert content_version(a) == content_version(dict(reversed(list(a.items()))))
    assert content_version(a) != content_version({**a, "params.json": "bc" * 32})
    assert content_version(a) != content_version({"csat.skops": "aa" * 32, "p.json": "bb" * 32})
