"""`shapan exam keygen | verify | audit`, and the signing / chained-journal parts of `grade` and
`play` (docs/exam-format.md § Signed results and journals).

Not a `*_cmd` module: `sandbox.cli.exam_cmd` calls `register_integrity` for the `exam` group.
Nothing heavy is imported here at import time; `cryptography` is loaded only by the commands
that make, load or use a key.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from sandbox.cli.common import UserError, add_command, add_json_flag, emit_json


def register_integrity(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = add_command(
        sub, "keygen", _keygen,
        "make an Ed25519 key pair for signing exam results / 生成签名密钥",
    )  # fmt: skip
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder for private.pem (mode 0600) and public.pem; never overwritten")  # fmt: skip
    add_json_flag(p)

    p = add_command(
        sub, "verify", _verify,
        "check a signed exam result offline; name what was altered / 校验签名结果",
    )  # fmt: skip
    p.add_argument("result", metavar="RESULT.json", help="a result signed by exam grade --sign-key")
    p.add_argument("--key", required=True, metavar="PUBLIC.pem", help="the signer's public key")
    add_json_flag(p)

    p = add_command(
        sub, "audit", _audit,
        "check a hash-chained journal: edits, deletions, insertions, reordering / 审计答题日志",
    )  # fmt: skip
    p.add_argument("journal", metavar="JOURNAL.jsonl", nargs="?",
                   help="a chained journal (play --chained); or use --db")  # fmt: skip
    p.add_argument("--db", metavar="URL",
                   help="audit the proctoring server's database instead: every attempt's "
                        "journal chain, anchor and signed grade")  # fmt: skip
    p.add_argument("--keys", metavar="DIR",
                   help="with --db: the server's key folder (default: as shapan serve)")  # fmt: skip
    p.add_argument("--attempt", type=int, metavar="N", help="with --db: only this attempt")
    p.add_argument("--anchor", metavar="HASH",
                   help="SEQ:HASH of the last entry as kept elsewhere (or just HASH): finds a "
                        "cut, extended or rewritten end")  # fmt: skip
    p.add_argument("--result", metavar="RESULT.json",
                   help="a graded result: the journal's decisions must be the ones it was graded from")  # fmt: skip
    add_json_flag(p)


def add_grade_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sign-key", metavar="PRIVATE.pem",
                   help="sign the result with this Ed25519 private key (exam keygen)")  # fmt: skip
    p.add_argument("--out", metavar="FILE", help="also write the result document (JSON) here")


def add_play_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--chained", action="store_true",
                   help="write the journal hash-chained (JSONL; exam audit checks it)")  # fmt: skip


def read_journal_arg(path: str) -> list[list[Any]]:
    """The decision log of `--journal FILE`: a chained journal is audited first (a broken chain
    is a JournalError naming the first bad seq); otherwise the plain forms of read_journal."""
    from sandbox.exam import journal
    from sandbox.exam.replay import read_journal

    if journal.is_chained(path):
        return journal.verified_decisions(journal.read(path))
    return read_journal(path)


def write_journal(path: str, decisions: list[list[Any]], chained: bool) -> None:
    from sandbox.exam import journal
    from sandbox.fileio import atomic_write_text

    if chained:
        journal.write(path, journal.chain(decisions))
    else:
        atomic_write_text(path, json.dumps(decisions, ensure_ascii=False) + "\n")


def finish_grade(result: Any, args: argparse.Namespace, lang: str) -> int:
    """Sign the result with `--sign-key`, write it to `--out`, print it (report or JSON)."""
    from sandbox.exam.signing import SigningError, load_private_key, sign_document

    document: dict[str, Any] = result.to_json()
    if args.sign_key:
        try:
            document = sign_document(document, load_private_key(args.sign_key))
        except SigningError as err:
            raise UserError(str(err), location=args.sign_key) from None
    if args.out:
        from sandbox.fileio import atomic_write_text

        try:
            atomic_write_text(args.out, json.dumps(document, ensure_ascii=False, indent=1) + "\n")
        except OSError as err:
            raise UserError(f"cannot write: {err.strerror or err}", location=args.out) from None
    if args.json:
        emit_json(document)
    else:
        print(result.render(args.lang or lang))
        if args.sign_key:
            key = document["signature"]["key_id"]
            where = f" -> {args.out}" if args.out else ""
            print(f"signed with key {key}{where} / 已签名（密钥 {key}）")
    return 0


def _keygen(args: argparse.Namespace) -> int:
    from sandbox.exam.signing import SigningError, generate_keypair

    try:
        private, public, key = generate_keypair(args.out)
    except SigningError as err:
        raise UserError(str(err), location=args.out) from None
    if args.json:
        emit_json({"command": "exam keygen", "private_key": str(private),
                   "public_key": str(public), "key_id": key})  # fmt: skip
    else:
        print(f"key {key}: {private} (private, mode 0600: keep it secret), {public} (public)")
        print(f"已生成签名密钥 {key}：私钥 {private}（仅本人可读，请妥善保管），公钥 {public}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from sandbox.exam.signing import SigningError, load_public_key, read_document, verify_document

    try:
        key = load_public_key(args.key)
    except SigningError as err:
        raise UserError(str(err), location=args.key) from None
    try:
        document = read_document(args.result)
    except SigningError as err:
        raise UserError(str(err), location=args.result) from None
    check = verify_document(document, key)
    if args.json:
        emit_json({"command": "exam verify", "path": args.result, **check.to_json()})
        return 0 if check.ok else 1
    if check.ok:
        marked = f" · {check.proctoring}" if check.proctoring else ""
        print(f"VALID: signed by key {check.key_id}{marked} / 签名有效")
        return 0
    if check.status == "altered":
        print(f"ALTERED: {check.message} / 结果在签名后被修改")
        for change in check.changes:
            print(f"  - {change}")
        return 1
    raise UserError(f"{check.message} / 签名无效", location=args.result)


def _audit_db(args: argparse.Namespace) -> int:
    """Audit the server's database (sandbox.server.store.ExamStore.audit)."""
    from sandbox.exam.signing import SigningError
    from sandbox.server.db import DatabaseError
    from sandbox.server.store import ExamStore, StoreError

    try:
        store = ExamStore.open(args.db, args.keys, create_keys=False)
    except (DatabaseError, SigningError) as err:
        raise UserError(str(err), location=args.db) from None
    try:
        findings = store.audit(args.attempt)
        attempts = store.attempt_count() if args.attempt is None else 1
    except StoreError as err:
        raise UserError(err.message["en"], location=args.db) from None
    finally:
        store.close()
    if args.json:
        emit_json({"command": "exam audit", "db": args.db, "ok": not findings,
                   "attempts": attempts, "findings": [f.to_json() for f in findings]})  # fmt: skip
    elif findings:
        print(f"TAMPERED: {len(findings)} finding(s) in {len({f.attempt_pk for f in findings})} "
              f"attempt(s) / 数据库记录被篡改")  # fmt: skip
        for f in findings:
            print(f"  - attempt {f.attempt_pk} ({f.candidate}) {f.kind}: {f.message}")
    else:
        print(f"INTACT: {attempts} attempt(s): journals, anchors and signed grades check "
              f"/ {attempts} 次考试记录完整")  # fmt: skip
    return 1 if findings else 0


def _audit(args: argparse.Namespace) -> int:
    from sandbox.exam import journal

    if args.db is not None:
        return _audit_db(args)
    if args.journal is None:
        raise UserError("give a journal file or --db URL", exit_code=2)
    from sandbox.exam.errors import JournalError
    from sandbox.exam.signing import SigningError, read_document

    try:
        entries = journal.read(args.journal)  # unreadable or a damaged line: its own error
        if entries and not journal.is_chained(args.journal):
            raise JournalError("not a hash-chained journal (write one with: exam play --chained)")
        findings = journal.audit(entries, anchor=args.anchor)
        if args.result and not findings:
            try:
                graded = read_document(args.result)
            except SigningError as err:
                raise UserError(str(err), location=args.result) from None
            mismatch = journal.check_against_result(entries, graded)
            if mismatch is not None:
                findings.append(mismatch)
    except JournalError as err:
        raise UserError(str(err), location=args.journal) from None
    wellformed = [e for e in entries if isinstance(e, dict) and isinstance(e.get("hash"), str)]
    anchor = journal.anchor_of(wellformed)
    if args.json:
        emit_json({"command": "exam audit", "path": args.journal, "ok": not findings,
                   "entries": len(entries), "anchor": anchor,
                   "findings": [f.to_json() for f in findings]})  # fmt: skip
    elif findings:
        print(f"BROKEN: {len(findings)} finding(s); first bad seq {findings[0].seq} "
              f"/ 日志链已被破坏，首个异常序号 {findings[0].seq}")  # fmt: skip
        for f in findings:
            print(f"  - seq {f.seq} (line {f.position}) {f.kind}: {f.message}")
    else:
        print(f"INTACT: {len(entries)} entries, anchor {anchor} / 日志完整（{len(entries)} 条）")
    return 1 if findings else 0


__all__ = [
    "add_grade_options",
    "add_play_options",
    "finish_grade",
    "read_journal_arg",
    "register_integrity",
    "write_journal",
]
