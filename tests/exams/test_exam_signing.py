"""Signed exam results with real keys and real Ed25519 (cryptography): keygen writes a private
key only its owner can read and never overwrites one; a signed result verifies; every edit of a
test's list of edits is detected and the altered field or contact is named; another key, a
damaged block or a damaged file is refused in one line."""

from __future__ import annotations

import copy
import json
import os
import stat
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from sandbox.cli import main
from sandbox.exam import grade, load_exam, play, policy_chooser
from sandbox.exam.signing import (
    SigningError,
    generate_keypair,
    load_private_key,
    load_public_key,
    sign_document,
    verify_document,
)


@cache
def _journal() -> tuple[tuple[Any, ...], ...]:
    exam = load_exam("cs-cert-en")
    return tuple(tuple(e) for e in play(exam, 0, policy_chooser("competent")))


@cache
def _result_text() -> str:
    exam = load_exam("cs-cert-en")
    return json.dumps(grade(exam, 0, [list(e) for e in _journal()]).to_json())


def _result() -> dict[str, Any]:
    return json.loads(_result_text())


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    private, public, _ = generate_keypair(tmp_path / "keys")
    return private, public


def _signed(private: Path) -> dict[str, Any]:
    # through the file, as a verifier meets it
    return json.loads(json.dumps(sign_document(_result(), load_private_key(private))))


# -- keygen ----------------------------------------------------------------------------------
def test_keygen_writes_a_private_key_only_its_owner_reads_and_a_public_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "keys"
    assert main(["exam", "keygen", "--out", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    private, public = Path(doc["private_key"]), Path(doc["public_key"])
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE(public.stat().st_mode) & 0o077 != 0o077  # an ordinary public file
    assert private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS8 PEM
    assert public.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert len(doc["key_id"]) == 16
    load_private_key(private)
    load_public_key(public)
    assert sorted(os.listdir(out)) == ["private.pem", "public.pem"]  # no temporary files left


def test_keygen_refuses_to_overwrite_either_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "keys"
    assert main(["exam", "keygen", "--out", str(out)]) == 0
    capsys.readouterr()
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(["exam", "keygen", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "refusing to overwrite" in err and "Traceback" not in err and err.count("\n") == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    # only the public key present: still refused, nothing written
    (out / "private.pem").unlink()
    with pytest.raises(SigningError, match="refusing to overwrite"):
        generate_keypair(out)
    assert sorted(os.listdir(out)) == ["public.pem"]


# -- sign and verify -------------------------------------------------------------------------
def test_a_signed_result_verifies_and_stays_marked_unproctored(keys: tuple[Path, Path]) -> None:
    private, public = keys
    signed = _signed(private)
    block = signed["signature"]
    assert block["algorithm"] == "ed25519" and len(block["key_id"]) == 16
    assert {k: v for k, v in signed.items() if k != "signature"} == _result()
    check = verify_document(signed, load_public_key(public))
    assert check.ok and check.status == "valid" and check.changes == ()
    assert check.proctoring == "unproctored"


def _mutate(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list):
        return [*value, {"forged": True}]
    if isinstance(value, dict):
        return {**value, "forged": True}
    return "forged"


def _cases(signed: dict[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    """(what, edited document, the change verify must name)."""
    cases: list[tuple[str, dict[str, Any], str]] = []
    fields = [k for k in signed if k != "signature"]
    for name in fields:
        doc = copy.deepcopy(signed)
        doc[name] = _mutate(doc[name])
        cases.append((f"change {name}", doc, name))
        doc = copy.deepcopy(signed)
        del doc[name]
        cases.append((f"delete {name}", doc, f"{name} deleted"))
    doc = copy.deepcopy(signed)
    doc["bonus"] = 10
    cases.append(("add a field", doc, "bonus added"))
    for i in range(len(signed["contacts"])):
        doc = copy.deepcopy(signed)
        doc["contacts"][i]["score"] = round(doc["contacts"][i]["score"] + 0.1, 6)
        cases.append((f"contact {i} score", doc, f"contacts[{i}].score changed"))
        doc = copy.deepcopy(signed)
        doc["contacts"][i]["passed"] = not doc["contacts"][i]["passed"]
        cases.append((f"contact {i} passed", doc, f"contacts[{i}].passed changed"))
    doc = copy.deepcopy(signed)
    doc["contacts"][0], doc["contacts"][1] = doc["contacts"][1], doc["contacts"][0]
    cases.append(("swap contacts 0 and 1", doc, "contacts[0] and contacts[1] swapped"))
    doc = copy.deepcopy(signed)
    del doc["contacts"][1]
    cases.append(("delete contact 1", doc, "contacts[1] deleted"))
    doc = copy.deepcopy(signed)
    doc["contacts"].append(copy.deepcopy(doc["contacts"][0]))
    cases.append(
        ("duplicate contact 0 at the end", doc, f"contacts[{len(signed['contacts'])}] added")
    )
    doc = copy.deepcopy(signed)
    doc["contacts"][2]["measures"]["csat"] = 100.0
    cases.append(("a measure", doc, "contacts[2].measures.csat changed"))
    doc = copy.deepcopy(signed)
    doc["score"] = float(doc["score"]) + 1e-9  # the smallest edit still counts
    cases.append(("score by 1e-9", doc, "score changed"))
    return cases


def test_every_edit_of_a_signed_result_is_detected_and_named(keys: tuple[Path, Path]) -> None:
    private, public = keys
    key = load_public_key(public)
    signed = _signed(private)
    cases = _cases(signed)
    assert len(cases) > 40
    detected = named = 0
    for what, doc, expected in cases:
        check = verify_document(json.loads(json.dumps(doc)), key)
        assert check.status == "altered", what
        detected += 1
        assert any(c == expected or c.startswith(expected) for c in check.changes), (
            what, check.changes,
        )  # fmt: skip
        named += 1
    assert detected == named == len(cases)  # 100 %


def test_one_edit_is_named_alone(keys: tuple[Path, Path]) -> None:
    private, public = keys
    doc = _signed(private)
    doc["contacts"][2]["score"] = 100.0
    doc["passed"] = not doc["passed"]
    check = verify_document(doc, load_public_key(public))
    assert check.changes == ("contacts[2].score changed", "passed changed")


def test_verify_from_the_command_line(
    keys: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    private, public = keys
    journal = tmp_path / "j.json"
    journal.write_text(json.dumps([list(e) for e in _journal()]))
    result = tmp_path / "result.json"
    assert main(["exam", "grade", "cs-cert-en", "--form", "A", "--journal", str(journal),
                 "--sign-key", str(private), "--out", str(result)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "unproctored" in out and "signed with key" in out
    signed = json.loads(result.read_text())
    assert signed["proctoring"] == "unproctored"
    assert {k: v for k, v in signed.items() if k != "signature"} == _result()
    assert main(["exam", "verify", str(result), "--key", str(public)]) == 0
    assert "VALID" in capsys.readouterr().out
    signed["contacts"][2]["score"] = 99.0
    result.write_text(json.dumps(signed, indent=1))
    assert main(["exam", "verify", str(result), "--key", str(public)]) == 1
    out = capsys.readouterr().out
    assert "ALTERED" in out and "contacts[2].score changed" in out
    assert main(["exam", "verify", str(result), "--key", str(public), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "altered" and doc["changes"] == ["contacts[2].score changed"]


def test_the_wrong_key_is_refused(
    keys: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    private, _ = keys
    _, other, other_id = generate_keypair(tmp_path / "other")
    check = verify_document(_signed(private), load_public_key(other))
    assert check.status == "wrong_key" and other_id in check.message
    path = tmp_path / "r.json"
    path.write_text(json.dumps(_signed(private)))
    assert main(["exam", "verify", str(path), "--key", str(other)]) == 1
    err = capsys.readouterr().err
    assert "signed with key" in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    "damage",
    ["unsigned", "digests", "key_id", "value", "not_base64", "algorithm", "block_type"],
)
def test_a_missing_or_invalid_signature_is_refused(
    keys: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    private, public = keys
    doc = _signed(private)
    block = doc["signature"]
    if damage == "unsigned":
        del doc["signature"]
    elif damage == "digests":  # hide an edit by re-digesting: the block no longer verifies
        doc["passed"] = not doc["passed"]
        block["digests"]["d"]["passed"]["h"] = "0" * 16
    elif damage == "key_id":
        block["key_id"] = "0" * 16
    elif damage == "value":
        raw = bytearray(__import__("base64").b64decode(block["value"]))
        raw[0] ^= 1
        block["value"] = __import__("base64").b64encode(bytes(raw)).decode()
    elif damage == "not_base64":
        block["value"] = "***"
    elif damage == "algorithm":
        block["algorithm"] = "rsa"
    else:
        doc["signature"] = "trust me"
    status = verify_document(doc, load_public_key(public)).status
    assert status in {"unsigned", "malformed", "bad_signature", "wrong_key"}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc))
    assert main(["exam", "verify", str(path), "--key", str(public)]) == 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err


def test_damaged_files_and_keys_give_one_line_errors(
    keys: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    private, public = keys
    path = tmp_path / "r.json"
    path.write_text(json.dumps(_signed(private))[:-40])
    not_a_key = tmp_path / "k.pem"
    not_a_key.write_text("hello\n")
    for argv in (
        ["exam", "verify", str(path), "--key", str(public)],  # damaged JSON
        ["exam", "verify", str(tmp_path / "missing.json"), "--key", str(public)],
        ["exam", "verify", str(path), "--key", str(not_a_key)],
        ["exam", "verify", str(path), "--key", str(private)],  # a private key
        ["exam", "verify", str(path), "--key", str(tmp_path / "missing.pem")],
    ):
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "error:" in err and "Traceback" not in err, (argv, err)
    with pytest.raises(SigningError):
        load_private_key(public)


def test_the_command_line_loads_cryptography_only_for_commands_that_use_keys() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from sandbox.cli import build_parser; build_parser()\n"
        "import sandbox.exam.signing, sandbox.exam.journal, sandbox.cli.exam_integrity\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'cryptography'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_atomic_writer_keeps_a_secret_private_and_refuses_to_replace_a_file(
    tmp_path: Path,
) -> None:
    from sandbox.fileio import atomic_write_bytes

    path = atomic_write_bytes(tmp_path / "secret", b"one", mode=0o600, exclusive=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_bytes() == b"one"
    with pytest.raises(FileExistsError):
        atomic_write_bytes(path, b"two", exclusive=True)
    assert path.read_bytes() == b"one" and sorted(os.listdir(tmp_path)) == ["secret"]


def test_grade_with_a_bad_signing_key_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "j.json"
    journal.write_text("[]")
    bad = tmp_path / "k.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    for key in (bad, tmp_path / "missing.pem"):
        argv = ["exam", "grade", "cs-cert-en", "--form", "A", "--journal", str(journal),
                "--sign-key", str(key), "--out", str(tmp_path / "r.json")]  # fmt: skip
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, err
    assert not (tmp_path / "r.json").exists()


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict) and value:
        return [p for k, v in value.items() for p in _leaves(v, (*path, k))]
    if isinstance(value, list) and value:
        return [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))]
    return [path]


def _name(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.replace("_", "a").replace("-", "a").isalnum() and not part[0].isdigit():
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
    return out


def test_every_leaf_of_a_signed_result_changed_alone_is_named(keys: tuple[Path, Path]) -> None:
    """Each value anywhere in the result, changed on its own: one change, naming the value
    (or, below the digest depth, its nearest digested ancestor; or the item added to an empty
    list)."""
    private, public = keys
    key = load_public_key(public)
    signed = _signed(private)
    body = {k: v for k, v in signed.items() if k != "signature"}
    leaves = _leaves(body)
    assert len(leaves) > 100
    for path in leaves:
        doc = copy.deepcopy(signed)
        holder = doc
        for part in path[:-1]:
            holder = holder[part]
        holder[path[-1]] = _mutate(holder[path[-1]])
        check = verify_document(json.loads(json.dumps(doc)), key)
        assert check.status == "altered", path
        assert len(check.changes) == 1, (path, check.changes)
        named = check.changes[0].rsplit(" ", 1)[0]
        leaf = _name(path)  # an empty list or object that got an item: the item is named
        assert named and (leaf.startswith(named) or named.startswith(leaf)), (path, check.changes)
