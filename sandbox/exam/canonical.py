"""Canonical JSON: the one byte form that exam signatures and journal hashes are computed over.

Why one function: a signature or a hash chain is only as good as the agreement on which bytes
were hashed. Sorted keys, compact separators (`,` and `:`), UTF-8 text (no `\\uXXXX` escapes
for non-ASCII), strict numbers (NaN and infinities are refused) and Python's shortest
round-trip float text — the float formatting results.json already uses, so a float read back
from a result or a journal gives the same bytes again.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_bytes(value: Any) -> bytes:
    """The canonical UTF-8 JSON bytes of `value` (plain JSON data). Raises ValueError on NaN or
    infinity, TypeError on anything that is not JSON."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_hex(value: Any) -> str:
    """The sha256 (hex) of `value`'s canonical bytes."""
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


def plain(value: Any) -> Any:
    """`value` as it reads back from its JSON text (tuples become lists, and so on)."""
    return json.loads(canonical_bytes(value))
