"""Safe persistence of the outcome models: skops for the pipelines, JSON for the rest.

Never pickle: `loads` accepts only the scikit-learn and numpy types listed in `TRUSTED`, so a
swapped model file cannot run code. The card records a sha256 per file; loading checks it.
The model version is the content hash of the bytes loaded (`fingerprint`), not the card's word.

This layer turns models into bytes (`dumps`) and bytes back into models (`loads`, `load_dir`);
it never writes files. Writing is the caller's job, through the project's one crash-safe
writer (`sandbox.fileio.atomic_write_files(folder, dumps(models))`, as `shapan model train`
does): `customer_models` may not import `sandbox`, and a second copy of the temp-file, fsync,
rename and permissions logic here is exactly what drifted before.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from customer_models.fingerprint import content_version, sha256

if TYPE_CHECKING:
    from customer_models.models import OutcomeModels

MODEL_FILES: dict[str, str] = {
    "csat": "csat.skops",
    "churn": "churn.skops",
    "cross_sell": "cross_sell.skops",
}
PARAMS_FILE = "params.json"
CARD_FILE = "model_card.json"
#: The files the model version covers: everything that decides a prediction (not the card).
VERSIONED_FILES: tuple[str, ...] = (*MODEL_FILES.values(), PARAMS_FILE)

#: The only types a model file may contain.
TRUSTED: list[str] = [
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.linear_model._logistic.LogisticRegression",
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.float64",
    "numpy.int64",
]


class ModelFileError(ValueError):
    """A model directory is missing a file, fails its hash check or holds untrusted types."""


def _json_bytes(doc: Any) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def model_file_bytes(models: OutcomeModels) -> dict[str, bytes]:
    """The bytes of the `VERSIONED_FILES` (skops pipelines and params.json), no card."""
    import skops.io as sio

    files: dict[str, bytes] = {}
    for target, name in MODEL_FILES.items():
        files[name] = _reproducible_zip(sio.dumps(models.pipelines[target]))
    files[PARAMS_FILE] = _json_bytes(models.params)
    return files


def dumps(models: OutcomeModels) -> dict[str, bytes]:
    """File name -> bytes for a model directory (skops pipelines, params, card with hashes
    and the content version they make)."""
    files = model_file_bytes(models)
    card = dict(models.card)
    card["files"] = {name: sha256(data) for name, data in sorted(files.items())}
    card["version"] = content_version(card["files"])
    files[CARD_FILE] = _json_bytes(card)
    return files


def _reproducible_zip(data: bytes) -> bytes:
    """Rewrite a skops zip reproducibly: same model, same bytes, same sha256.

    skops names array files and object ids after `id()` of the objects and stamps the current
    time; we renumber both in order of first mention in schema.json (a consistent renaming, so
    shared references stay shared) and fix every timestamp.
    """
    import io
    import re
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as src:
        members = {name: src.read(name) for name in src.namelist()}
    schema = members.pop("schema.json").decode("utf-8")
    renames: dict[str, str] = {}
    for match in re.finditer(r'"([^"/]+\.npy)"', schema):
        old = match.group(1)
        if old in members and old not in renames:
            renames[old] = f"array_{len(renames):04d}.npy"
    schema = re.sub(
        r'"([^"/]+\.npy)"', lambda m: f'"{renames.get(m.group(1), m.group(1))}"', schema
    )
    ids: dict[str, str] = {}

    def renumber(m: re.Match[str]) -> str:
        return f'"__id__": {ids.setdefault(m.group(1), str(len(ids) + 1))}'

    schema = re.sub(r'"__id__": (\d+)', renumber, schema)
    renamed = {renames.get(name, name): blob for name, blob in members.items()}
    renamed["schema.json"] = schema.encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in sorted(renamed):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, renamed[name])
    return out.getvalue()


def loads(files: Mapping[str, bytes], *, check_hashes: bool = True) -> OutcomeModels:
    """Build `OutcomeModels` from the bytes of a model directory (hashes checked first)."""
    from customer_models.models import OutcomeModels

    for name in (*MODEL_FILES.values(), PARAMS_FILE, CARD_FILE):
        if name not in files:
            raise ModelFileError(f"model file {name} is missing")
    try:
        card = json.loads(files[CARD_FILE].decode("utf-8"))
        params = json.loads(files[PARAMS_FILE].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelFileError(f"model card or params is not valid JSON: {err}") from None
    if check_hashes:
        expected = card.get("files", {})
        for name, data in files.items():
            if name == CARD_FILE:
                continue
            if expected.get(name) != sha256(data):
                raise ModelFileError(
                    f"{name} does not match the sha256 in {CARD_FILE}; the file was changed "
                    "after training — retrain with `shapan model train`"
                )
    skops_files = {target: files[name] for target, name in MODEL_FILES.items()}
    hashes = {name: sha256(files[name]) for name in VERSIONED_FILES}
    try:
        if "folded" in params:
            return OutcomeModels(
                None,
                params,
                card,
                pipeline_loader=lambda: load_pipelines(skops_files),
                file_hashes=hashes,
            )
        return OutcomeModels(load_pipelines(skops_files), params, card, file_hashes=hashes)
    except (KeyError, TypeError, ValueError) as err:
        if isinstance(err, ModelFileError):
            raise
        raise ModelFileError(f"{PARAMS_FILE} is incomplete or inconsistent: {err}") from None


def load_pipelines(skops_files: Mapping[str, bytes]) -> dict[str, Any]:
    """Load the skops pipelines, refusing any type outside `TRUSTED` (never pickle)."""
    import skops.io as sio

    pipelines = {}
    for target, data in skops_files.items():
        name = MODEL_FILES[target]
        untrusted = [t for t in sio.get_untrusted_types(data=data) if t not in TRUSTED]
        if untrusted:
            raise ModelFileError(f"{name} contains untrusted types: {', '.join(untrusted)}")
        try:
            pipelines[target] = sio.loads(data, trusted=TRUSTED)
        except Exception as err:  # skops raises many types on corrupt input
            raise ModelFileError(f"{name} could not be loaded: {err}") from None
    return pipelines


def load_dir(directory: str | os.PathLike[str]) -> OutcomeModels:
    """Load a model directory (the files of `dumps`, as `shapan model train` writes them)."""
    base = Path(directory)
    if not base.is_dir():
        raise ModelFileError(f"{base}: model directory not found")
    files = {}
    for name in (*MODEL_FILES.values(), PARAMS_FILE, CARD_FILE):
        path = base / name
        if not path.is_file():
            raise ModelFileError(f"{path}: model file is missing")
        files[name] = path.read_bytes()
    return loads(files)
