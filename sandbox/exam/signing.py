"""Signed exam results: Ed25519 keys, signing a graded result, verifying it offline.

Why a signed manifest of digests and not just a signature over the document: a signature alone
says *that* a result was altered, never *what*. The signature block therefore holds, besides
the algorithm and the key id, the sha256 of the whole document and a tree of short digests —
one per top-level field and, below it, per member down to `DIGEST_DEPTH` levels (each contact
row, each field of a row, each measure). The Ed25519 signature covers that block (everything in
it but the signature value itself). Verifying checks the signature over the block first; once
the block is known to be the signer's, the full sha256 decides whether the document is intact
(the short digests carry no security weight), and the digests name what changed:
`contacts[2].score changed`, `passed changed`, `journal deleted`, `contacts[0] and contacts[1]
swapped`.

The bytes hashed are the canonical JSON of `sandbox.exam.canonical`. `cryptography` is imported
only by the functions that make, load or use keys, so importing this module stays cheap.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.exam.canonical import canonical_bytes, plain, sha256_hex

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

ALGORITHM = "ed25519"
CANONICAL = "shapan.canonical-json/1"
#: The key of the signature block inside a signed document.
SIGNATURE_KEY = "signature"
#: Levels of the document that get their own digest: 1 = top-level fields, 2 = each contact row
#: (each member of `exam`, `form`, ...), 3 = each field of a row, 4 = each measure of a row.
DIGEST_DEPTH = 4
#: Hex characters of a locating digest (64 bits: names a change, does not prove anything).
SHORT = 16
PRIVATE_KEY_FILE = "private.pem"
PUBLIC_KEY_FILE = "public.pem"


class SigningError(Exception):
    """A key or a signed document that cannot be used: one line, said to the user as is."""


# -- keys ------------------------------------------------------------------------------------
def generate_keypair(out_dir: str | Path) -> tuple[Path, Path, str]:
    """Write a new Ed25519 key pair into `out_dir`: `private.pem` (PKCS8 PEM, mode 0600) and
    `public.pem` (SubjectPublicKeyInfo PEM), each atomically. Refuses to overwrite either file.
    Returns (private path, public path, key id)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from sandbox.fileio import atomic_write_bytes

    folder = Path(out_dir)
    if folder.exists() and not folder.is_dir():
        raise SigningError(f"{folder} is not a folder")
    private_path, public_path = folder / PRIVATE_KEY_FILE, folder / PUBLIC_KEY_FILE
    for path in (private_path, public_path):
        if path.exists() or path.is_symlink():
            raise SigningError(f"{path} already exists; refusing to overwrite a key")
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    try:
        atomic_write_bytes(private_path, private_pem, mode=0o600, exclusive=True)
        atomic_write_bytes(public_path, public_pem, exclusive=True)
    except FileExistsError as err:
        raise SigningError(f"{err.filename} already exists; refusing to overwrite a key") from None
    except OSError as err:
        raise SigningError(f"cannot write the keys into {folder}: {err.strerror or err}") from None
    return private_path, public_path, key_id(key.public_key())


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short name of a public key: the first 16 hex characters of the sha256 of its 32 raw
    bytes."""
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _read_pem(path: str | Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise SigningError(f"cannot read the {what} {path}: {err.strerror or err}") from None


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM file (as `generate_keypair` writes it)."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    data = _read_pem(path, "private key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise SigningError(
            f"{path}: the private key is encrypted; give an unencrypted key"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise SigningError(f"{path} is not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file (as `generate_keypair` writes it)."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    data = _read_pem(path, "public key")
    if b"PRIVATE KEY" in data:
        raise SigningError(f"{path} is a private key; verify with the public key")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise SigningError(f"{path} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningError(f"{path} is not an Ed25519 public key")
    return key


# -- digests ---------------------------------------------------------------------------------
def _short(value: Any) -> str:
    try:
        return sha256_hex(value)[:SHORT]
    except (TypeError, ValueError):  # NaN or infinity read back from an edited file
        return "not-canonical"


def digest_tree(value: Any, depth: int = 1) -> dict[str, Any]:
    """`{"h": digest}`, plus `"d": {key: node}` for an object or `"l": [node, ...]` for a list
    while `depth <= DIGEST_DEPTH`."""
    node: dict[str, Any] = {"h": _short(value)}
    if depth <= DIGEST_DEPTH:
        if isinstance(value, dict):
            node["d"] = {k: digest_tree(v, depth + 1) for k, v in value.items()}
        elif isinstance(value, list):
            node["l"] = [digest_tree(v, depth + 1) for v in value]
    return node


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _key_path(path: str, key: str) -> str:
    if _NAME.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _diff_object(old: dict[str, Any], new: dict[str, Any], path: str, out: list[str]) -> None:
    for key in sorted(set(old) | set(new)):
        where = _key_path(path, key)
        if key not in new:
            out.append(f"{where} deleted")
        elif key not in old:
            out.append(f"{where} added")
        else:
            _diff(old[key], new[key], where, out)


def _diff_list(old: list[Any], new: list[Any], path: str, out: list[str]) -> None:
    old_h = [n.get("h") if isinstance(n, dict) else None for n in old]
    new_h = [_short(v) for v in new]
    if len(old) == len(new):
        done: set[int] = set()
        for i, h in enumerate(new_h):
            if h == old_h[i] or i in done:
                continue
            j = next((j for j, oh in enumerate(old_h) if oh == h and j != i), None)
            if j is not None and new_h[j] == old_h[i]:
                out.append(f"{path}[{min(i, j)}] and {path}[{max(i, j)}] swapped")
                done.update((i, j))
            elif j is not None:
                out.append(f"{path}[{i}] replaced by a copy of the original {path}[{j}]")
            else:
                _diff(old[i], new[i], f"{path}[{i}]", out)
        return
    longer, shorter = (new_h, old_h) if len(new) > len(old) else (old_h, new_h)
    kept = _subsequence(shorter, longer)
    if kept is not None:  # items only added, or only deleted, the rest in order
        verb = "added" if len(new) > len(old) else "deleted"
        out.extend(f"{path}[{i}] {verb}" for i in range(len(longer)) if i not in kept)
        return
    lost = [j for j, h in enumerate(old_h) if h not in new_h]
    extra = [i for i, h in enumerate(new_h) if h not in old_h]
    out.append(f"{path} has {len(new)} items, signed with {len(old)}")
    out.extend(f"{path}[{j}] deleted or changed (signed position)" for j in lost)
    out.extend(f"{path}[{i}] added or changed" for i in extra)


def _subsequence(short: list[Any], long: list[Any]) -> set[int] | None:
    """The positions in `long` that `short` occupies in order, or None if it is not a
    subsequence of `long`."""
    kept: set[int] = set()
    i = 0
    for h in short:
        while i < len(long) and long[i] != h:
            i += 1
        if i == len(long):
            return None
        kept.add(i)
        i += 1
    return kept


def _diff(old: Any, new: Any, path: str, out: list[str]) -> None:
    """Append to `out` what differs between the signed digest node `old` and the value `new`."""
    if not isinstance(old, dict) or old.get("h") == _short(new):
        return
    before = len(out)
    if isinstance(old.get("d"), dict) and isinstance(new, dict):
        _diff_object(old["d"], new, path, out)
    elif isinstance(old.get("l"), list) and isinstance(new, list):
        _diff_list(old["l"], new, path, out)
    if len(out) == before:
        out.append(f"{path} changed")


def changes(digests: dict[str, Any], document: dict[str, Any]) -> list[str]:
    """What differs between a signed digest tree and a document (without its signature)."""
    out: list[str] = []
    signed = digests.get("d")
    if isinstance(signed, dict):
        _diff_object(signed, document, "", out)
    return out


# -- sign and verify -------------------------------------------------------------------------
def _unsigned(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != SIGNATURE_KEY}


def sign_document(document: dict[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """`document` (plain JSON data; an existing signature block is replaced) with a signature
    block: algorithm, key id, canonical form, the document's sha256, the digest tree, and the
    base64 Ed25519 signature over the canonical bytes of the block without `value`."""
    body = _unsigned(plain(document))
    block: dict[str, Any] = {
        "algorithm": ALGORITHM,
        "key_id": key_id(private_key.public_key()),
        "canonical": CANONICAL,
        "sha256": sha256_hex(body),
        "digests": digest_tree(body),
    }
    value = private_key.sign(canonical_bytes(block))
    block["value"] = base64.b64encode(value).decode("ascii")
    return {**body, SIGNATURE_KEY: block}


@dataclass(frozen=True)
class Verification:
    """The outcome of `verify_document`. `status`: valid | altered | unsigned | malformed
    (the signature block is damaged) | bad_signature (the block was altered) | wrong_key.
    `changes` names each alteration of an `altered` document."""

    status: str
    message: str
    key_id: str
    signed_key_id: str | None = None
    changes: tuple[str, ...] = field(default_factory=tuple)
    proctoring: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "valid"

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "status": self.status,
            "message": self.message,
            "key_id": self.key_id,
            "signed_key_id": self.signed_key_id,
            "proctoring": self.proctoring,
            "changes": list(self.changes),
        }


def _block_problem(block: Any) -> str | None:
    if not isinstance(block, dict):
        return "the signature block is not an object"
    for name in ("algorithm", "key_id", "canonical", "sha256", "value"):
        if not isinstance(block.get(name), str):
            return f"the signature block has no {name!r} text"
    if block["algorithm"] != ALGORITHM:
        return f"unknown signature algorithm {block['algorithm']!r} (expected {ALGORITHM!r})"
    if block["canonical"] != CANONICAL:
        return f"unknown canonical form {block['canonical']!r} (expected {CANONICAL!r})"
    if not isinstance(block.get("digests"), dict):
        return "the signature block has no digests"
    unknown = sorted(
        set(block) - {"algorithm", "key_id", "canonical", "sha256", "digests", "value"}
    )
    if unknown:
        return f"the signature block has unknown field(s) {', '.join(map(repr, unknown))}"
    return None


def verify_document(document: Any, public_key: Ed25519PublicKey) -> Verification:
    """Check a signed result against `public_key` and name every alteration."""
    from cryptography.exceptions import InvalidSignature

    mine = key_id(public_key)
    if not isinstance(document, dict):
        return Verification("malformed", "the result is not a JSON object", mine)
    proctoring = document.get("proctoring")
    proctoring = proctoring if isinstance(proctoring, str) else None
    if SIGNATURE_KEY not in document:
        return Verification("unsigned", "the result is not signed (no signature block)", mine,
                            proctoring=proctoring)  # fmt: skip
    block = document[SIGNATURE_KEY]
    problem = _block_problem(block)
    if problem is not None:
        return Verification("malformed", problem, mine, proctoring=proctoring)
    signed_id = block["key_id"]
    try:
        value = base64.b64decode(block["value"], validate=True)
    except (binascii.Error, ValueError):
        value = b""
    if len(value) != 64:
        return Verification("malformed", "the signature value is not a base64 Ed25519 signature",
                            mine, signed_id, proctoring=proctoring)  # fmt: skip
    signed_block = {k: v for k, v in block.items() if k != "value"}
    try:
        public_key.verify(value, canonical_bytes(signed_block))
    except InvalidSignature:
        if signed_id != mine:
            return Verification(
                "wrong_key",
                f"signed with key {signed_id}, not with this public key ({mine})",
                mine, signed_id, proctoring=proctoring,
            )  # fmt: skip
        return Verification(
            "bad_signature",
            "the signature does not match its signature block: the block (digests, key id or "
            "signature) was altered",
            mine, signed_id, proctoring=proctoring,
        )  # fmt: skip
    body = _unsigned(document)
    try:
        digest = sha256_hex(body)
    except (TypeError, ValueError):
        digest = ""
    if digest == block["sha256"]:
        return Verification("valid", f"signature valid (key {mine})", mine, signed_id,
                            proctoring=proctoring)  # fmt: skip
    found = changes(block["digests"], body) or ["the document changed (could not locate where)"]
    return Verification(
        "altered",
        f"the result was altered after signing: {len(found)} change(s)",
        mine, signed_id, tuple(found), proctoring=proctoring,
    )  # fmt: skip


def read_document(path: str | Path) -> Any:
    """A JSON document from `path`; `SigningError` (one line) if it cannot be read or parsed."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise SigningError(f"cannot read {path}: {reason}") from None
    try:
        return json.loads(text)
    except ValueError as err:
        raise SigningError(f"{path} is damaged: not valid JSON ({err})") from None
