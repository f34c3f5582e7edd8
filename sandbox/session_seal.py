"""The seal on a session save's identity (trainee name and mode): tamper-evident, not secret.

A desk session's save carries `trainee`, `mode` and `seal`: one HMAC-SHA256 per field over
(field, value, seed, scenario hash) under this installation's key. Resuming checks every field,
so a save edited by hand (a timed session turned into practice, another trainee's name, the seal
removed) is refused with one line naming what changed. The key is `$SHAPAN_SESSION_KEY` or a
random key kept in `<data dir>/shapan/session.key` (created on first use, mode 0600): a save
resumes on the installation that wrote it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MODES = ("practice", "timed")
FIELDS = ("trainee", "mode")
_LABELS = {"trainee": "trainee name", "mode": "mode"}


def key_path() -> Path:
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "shapan" / "session.key"


def load_key() -> bytes:
    """This installation's sealing key (made on first use)."""
    env = os.environ.get("SHAPAN_SESSION_KEY")
    if env:
        return env.encode("utf-8")
    path = key_path()
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex())
    try:  # another process may have made one first: theirs wins, so both agree
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


def _mac(key: bytes, field: str, value: Any, seed: Any, scenario_hash: Any) -> str:
    msg = json.dumps([field, value, seed, scenario_hash], ensure_ascii=False)
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).hexdigest()


def seal(identity: Mapping[str, Any], seed: int, scenario_hash: str) -> dict[str, str]:
    """The seal of `identity` ({trainee, mode}) for a save of this seed and scenario."""
    key = load_key()
    return {f: _mac(key, f, identity.get(f), seed, scenario_hash) for f in FIELDS}


def check(doc: Mapping[str, Any]) -> str | None:
    """What changed in a save's sealed identity, as one line; None when it is intact."""
    stamp = doc.get("seal")
    if not isinstance(stamp, Mapping) or not all(isinstance(stamp.get(f), str) for f in FIELDS):
        return "the trainee/mode seal is missing or damaged (the save was edited)"
    sc = doc.get("scenario") or {}
    seed, digest = doc.get("seed"), sc.get("hash") if isinstance(sc, Mapping) else None
    key = load_key()
    ok = {f: hmac.compare_digest(stamp[f], _mac(key, f, doc.get(f), seed, digest)) for f in FIELDS}
    if all(ok.values()):
        return None
    if not ok["mode"]:
        was = next(
            (
                m
                for m in MODES
                if hmac.compare_digest(stamp["mode"], _mac(key, "mode", m, seed, digest))
            ),
            None,
        )
        if was is not None:
            return f"the mode was changed from {was!r} to {doc.get('mode')!r} after the session was saved"
    bad = [f for f in FIELDS if not ok[f]]
    if len(bad) == len(FIELDS):
        return (
            "the trainee/mode seal does not match (the save was edited, or written on another "
            "installation)"
        )
    return " and ".join(
        f"the {_LABELS[f]} was changed (now {doc.get(f)!r}) after the session was saved"
        for f in bad
    )
