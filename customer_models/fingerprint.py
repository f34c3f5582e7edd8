"""Model version = a content hash of the model files' bytes, and a one-line "which file differs".

Why: a version string written by the training code (or copied into the model card) can be
kept while a file is edited — a swapped params.json resumed an old save and moved its CSAT.
The version here is computed from the bytes the loader actually read, so any edit to a model
file changes it, whatever the card claims.

The version is the sha256 of `sha256sum`-style lines ("<hex>  <name>\\n", sorted by name), so
it can be checked from a shell:

    cd customer_models/data && sha256sum churn.skops cross_sell.skops csat.skops params.json \\
        | sha256sum

(prefixed with "sha256:"). model_card.json is not part of it: the card documents the model
(metrics, training data, software) and is derived from the other files; the loader checks its
recorded file hashes but takes nothing from it that changes a prediction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

VERSION_PREFIX = "sha256:"


def sha256(data: bytes) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


def manifest(file_hashes: Mapping[str, str]) -> str:
    """`sha256sum` output for the files, sorted by name (what the version hashes)."""
    return "".join(f"{file_hashes[name]}  {name}\n" for name in sorted(file_hashes))


def content_version(file_hashes: Mapping[str, str]) -> str:
    """The model version for these file hashes: "sha256:" + sha256 of their manifest."""
    return VERSION_PREFIX + sha256(manifest(file_hashes).encode("ascii"))


def compare_files(expected: Mapping[str, str], actual: Mapping[str, str]) -> str | None:
    """None when both name the same files with the same hashes; else one line naming the
    first file (by name) that differs, is missing or is extra, for a user-facing error."""
    for name in sorted(set(expected) | set(actual)):
        want, have = expected.get(name), actual.get(name)
        if want == have:
            continue
        if have is None:
            return f"outcome model file {name} is expected but missing from the current models"
        if want is None:
            return f"outcome model file {name} is new: the expected models have no such file"
        return (
            f"outcome model file {name} differs: expected sha256 {want[:12]}…, found {have[:12]}…"
        )
    return None
