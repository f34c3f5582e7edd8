"""The hash-chained decision journal: every decision sealed to the one before it.

Why a chain: a journal is the evidence a grade is recomputed from, so an edit, a deletion, an
insertion or a reordering of its entries must be visible to anyone holding the file. Each entry
— `seq` (1, 2, ...), `t` (sim seconds), `contact_id`, `choice_id`, `received_at` (when the
decision was recorded: a UTC wall-clock stamp; the proctoring server will put its own) —
carries `prev_hash`, the `hash` of the entry before it (`GENESIS` for the first), and its own
`hash`: the sha256 of the canonical JSON (sandbox.exam.canonical) of the entry without `hash`.
`audit` walks the chain and names the first sequence number at which it no longer is what was
written.

What a chain alone cannot show: that entries were cut off the end, or that the whole tail was
rewritten and re-hashed. That needs an anchor kept elsewhere — the hash of the last entry
(`head`, which the server acknowledges and stores), or the graded result, whose `journal`
block holds the number and sha256 of the decisions (`check_against_result`).

The file form is JSONL: one entry per line in canonical JSON, written atomically
(sandbox.fileio). Grading uses only `[t, contact_id, choice_id]` of each entry
(`decisions`), after `verified_decisions` has audited the chain.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox.exam.canonical import canonical_bytes, sha256_hex
from sandbox.exam.errors import JournalError

SCHEMA = "shapan.exam-journal/1"
#: `prev_hash` of the first entry.
GENESIS = "0" * 64
FIELDS: tuple[str, ...] = (
    "seq", "t", "contact_id", "choice_id", "received_at", "prev_hash", "hash",
)  # fmt: skip


def now_stamp() -> str:
    """The current UTC time as `2026-12-04T18:50:00.123456Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def stamp(epoch_s: float) -> str:
    """A UTC epoch time in the journal's stamp format (see `now_stamp`)."""
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(entry: dict[str, Any]) -> str:
    """The sha256 (hex) of the canonical JSON of `entry` without its `hash`."""
    return sha256_hex({k: v for k, v in entry.items() if k != "hash"})


def sealed(
    seq: int,
    prev_hash: str,
    t: float,
    contact_id: str,
    choice_id: str,
    received_at: str | None = None,
) -> dict[str, Any]:
    """The entry number `seq` following the entry whose hash is `prev_hash`, sealed."""
    entry: dict[str, Any] = {
        "seq": int(seq),
        "t": float(t),
        "contact_id": str(contact_id),
        "choice_id": str(choice_id),
        "received_at": received_at if received_at is not None else now_stamp(),
        "prev_hash": prev_hash,
    }
    entry["hash"] = entry_hash(entry)
    return entry


def append(
    entries: list[dict[str, Any]],
    t: float,
    contact_id: str,
    choice_id: str,
    received_at: str | None = None,
) -> dict[str, Any]:
    """Seal one decision onto the end of `entries` (in place) and return the new entry."""
    entry = sealed(len(entries) + 1, head(entries), t, contact_id, choice_id, received_at)
    entries.append(entry)
    return entry


def chain(
    decisions: Iterable[Sequence[Any]], received_at: str | None = None
) -> list[dict[str, Any]]:
    """A chained journal of a plain decision log `[[t, contact_id, choice_id], ...]`. Every
    entry gets `received_at` (default: now, stamped per entry)."""
    entries: list[dict[str, Any]] = []
    for d in decisions:
        append(entries, d[0], d[1], d[2], received_at)
    return entries


def decisions(entries: Iterable[dict[str, Any]]) -> list[list[Any]]:
    """The plain decision log `[[t, contact_id, choice_id], ...]` grading replays."""
    return [[e["t"], e["contact_id"], e["choice_id"]] for e in entries]


def head(entries: Sequence[dict[str, Any]]) -> str:
    """The hash of the last entry (`GENESIS` for an empty journal)."""
    return str(entries[-1]["hash"]) if entries else GENESIS


def anchor_of(entries: Sequence[dict[str, Any]]) -> str:
    """The anchor to keep apart from the journal: `"<last seq>:<hash of the last entry>"`."""
    return f"{len(entries)}:{head(entries)}"


def _parse_anchor(anchor: str) -> tuple[int | None, str]:
    count, sep, digest = anchor.strip().rpartition(":")
    if sep and count.isdigit():
        return int(count), digest.lower()
    if sep:
        raise JournalError(f"the anchor {anchor!r} is not SEQ:HASH or HASH")
    return None, digest.lower()


# -- files -----------------------------------------------------------------------------------
def dumps(entries: Iterable[dict[str, Any]]) -> str:
    """JSONL text: one canonical JSON entry per line."""
    return "".join(canonical_bytes(e).decode("utf-8") + "\n" for e in entries)


def write(path: str | Path, entries: Iterable[dict[str, Any]]) -> Path:
    """Write a chained journal file atomically (sandbox.fileio)."""
    from sandbox.fileio import atomic_write_text

    return atomic_write_text(path, dumps(entries))


def read(path: str | Path) -> list[Any]:
    """The entries of a journal file, as parsed (`audit` judges them). A line that is not JSON
    is a `JournalError` naming the line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise JournalError(f"cannot read the journal: {reason}") from None
    out: list[Any] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except ValueError as err:
            raise JournalError(f"line {n} is damaged: not a JSON entry ({err})") from None
    return out


def is_chained(path: str | Path) -> bool:
    """Whether the file's first non-blank line is a chained entry (a JSON object with a
    `prev_hash`); a plain journal is one JSON list or a document with a `decision_log`."""
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    first = json.loads(line)
                    return isinstance(first, dict) and "prev_hash" in first
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return False


# -- audit -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    """One break of the chain. `seq`: the first sequence number at which the journal is no
    longer what was written; `position`: the 1-based line of the entry where it shows;
    `kind`: malformed | edited | deleted | inserted | reordered | broken | truncated."""

    seq: int
    position: int
    kind: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "position": self.position, "kind": self.kind,
                "message": self.message}  # fmt: skip


def _shape_problem(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return "not a JSON object"
    missing = [f for f in FIELDS if f not in entry]
    if missing:
        return f"missing {', '.join(missing)}"
    extra = sorted(set(entry) - set(FIELDS))
    if extra:
        return f"unknown field(s) {', '.join(extra)}"
    seq, t = entry["seq"], entry["t"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        return f"seq {seq!r} is not a positive whole number"
    if not isinstance(t, (int, float)) or isinstance(t, bool) or not math.isfinite(t):
        return f"t {t!r} is not a number of seconds"
    for name in ("contact_id", "choice_id", "received_at", "prev_hash", "hash"):
        if not isinstance(entry[name], str):
            return f"{name} is not text"
    return None


def audit(entries: Sequence[Any], *, anchor: str | None = None) -> list[Finding]:
    """The breaks of the chain, in file order; empty when the journal is intact. Every entry
    that is malformed or whose hash does not match its contents is a finding; of the links
    between entries (seq numbers, prev_hash) the first break is reported — what follows it
    cannot be told apart from its consequences.

    `anchor` is the journal's end as recorded elsewhere: `anchor_of` (`"SEQ:HASH"`) or just
    the last entry's hash (`head`); with it, entries cut off the end, appended after it, or a
    re-hashed tail are found too (with the SEQ, a cut names the first deleted seq)."""
    findings: list[Finding] = []
    seqs = [e.get("seq") if isinstance(e, dict) else None for e in entries]
    prev: dict[str, Any] | None = None  # the last well-formed entry
    before_prev: dict[str, Any] | None = None
    linked = True  # no break of the links found yet
    for pos, entry in enumerate(entries, start=1):
        expect_seq = prev["seq"] + 1 if prev else 1
        expect_prev = prev["hash"] if prev else GENESIS
        problem = _shape_problem(entry)
        if problem is not None:
            findings.append(Finding(expect_seq, pos, "malformed",
                                    f"line {pos}: entry {problem}"))  # fmt: skip
            continue
        seq = entry["seq"]
        if entry_hash(entry) != entry["hash"]:
            findings.append(Finding(seq, pos, "edited",
                                    f"seq {seq} was edited: its hash does not match its contents"))  # fmt: skip
        elif linked and (entry["prev_hash"] != expect_prev or seq != expect_seq):
            findings.append(_break(entry, pos, prev, before_prev, seqs, expect_seq))
            linked = False
        before_prev, prev = prev, entry
    if anchor is not None and not findings:
        count, digest = _parse_anchor(anchor)
        if head(entries) != digest or (count is not None and count != len(entries)):
            findings.append(_off_anchor(entries, count, digest))
    return findings


def _break(
    entry: dict[str, Any],
    pos: int,
    prev: dict[str, Any] | None,
    before_prev: dict[str, Any] | None,
    seqs: list[Any],
    expect: int,
) -> Finding:
    """Why `entry` (well formed, its own hash right) does not follow `prev`."""
    seq = entry["seq"]
    after = f"seq {prev['seq']}" if prev else "the start"
    if seq > expect:
        if expect in seqs[pos:]:
            return Finding(expect, pos, "reordered",
                           f"seq {seq} comes before seq {expect}: entries were reordered")  # fmt: skip
        missing = f"seq {expect}" if seq == expect + 1 else f"seqs {expect}..{seq - 1}"
        return Finding(expect, pos, "deleted", f"{missing} deleted: seq {seq} follows {after}")
    if seq < expect:
        if prev is not None and prev["seq"] == seq and prev["prev_hash"] == entry["prev_hash"]:
            return Finding(seq, pos - 1, "inserted",
                           f"an entry was inserted as seq {seq}: two entries claim seq {seq} "
                           f"after {'seq ' + str(seq - 1) if seq > 1 else 'the start'}")  # fmt: skip
        return Finding(seq, pos, "reordered",
                       f"seq {seq} comes after {after}: entries were reordered or duplicated")  # fmt: skip
    # seq is right but prev_hash is not: the entry before was altered and re-hashed, or one was
    # inserted with a renumbered tail.
    if prev is not None and before_prev is not None and entry["prev_hash"] == before_prev["hash"]:
        return Finding(prev["seq"], pos - 1, "inserted",
                       f"seq {prev['seq']} was inserted: seq {seq} chains to seq "
                       f"{before_prev['seq']}")  # fmt: skip
    if prev is None:
        return Finding(seq, pos, "broken",
                       f"seq {seq} does not start the chain: its prev_hash is not the genesis")  # fmt: skip
    return Finding(prev["seq"], pos - 1, "broken",
                   f"seq {seq} does not chain to seq {prev['seq']}: seq {prev['seq']} (or seq "
                   f"{seq}'s prev_hash) was altered and re-hashed")  # fmt: skip


def _off_anchor(entries: Sequence[dict[str, Any]], count: int | None, digest: str) -> Finding:
    """An intact chain that does not end where the anchor says (every entry is well formed)."""
    hashes = [e["hash"] for e in entries]
    n = len(hashes)
    if digest in hashes or (digest == GENESIS and n):
        at = hashes.index(digest) + 1 if digest in hashes else 0
        return Finding(at + 1, at + 1, "inserted",
                       f"seqs {at + 1}..{n} were appended after the anchored end (seq {at})")  # fmt: skip
    if count is not None and count > n:
        return Finding(n + 1, n, "truncated",
                       f"seqs {n + 1}..{count} were deleted: the journal ends at seq {n}, "
                       f"the anchor at seq {count}")  # fmt: skip
    if count is not None and count < n:
        return Finding(count, count, "edited",
                       f"the anchor ends at seq {count} and its hash differs: the chain was "
                       f"rewritten from seq {count} on or before")  # fmt: skip
    return Finding(max(n, 1), n, "edited" if count == n else "truncated",
                   f"the journal does not end at the anchor: seq {n} was rewritten and re-hashed"
                   + ("" if count == n else f", or entries after seq {n} were deleted"))  # fmt: skip


def check_against_result(entries: Sequence[dict[str, Any]], result: Any) -> Finding | None:
    """Compare the journal's decisions with a graded result's `journal` block (entries and
    sha256 of the decision log): a finding when they differ."""
    from sandbox.exam.grading import journal_hash

    block = result.get("journal") if isinstance(result, dict) else None
    if not isinstance(block, dict) or not isinstance(block.get("sha256"), str):
        raise JournalError("the result has no journal block (entries, sha256)")
    plain = decisions(entries)
    if journal_hash(plain) == block["sha256"]:
        return None
    n = block.get("entries")
    return Finding(min(len(plain), n if isinstance(n, int) else len(plain)) + 1, len(plain),
                   "truncated" if isinstance(n, int) and n > len(plain) else "edited",
                   f"the journal's {len(plain)} decisions are not the {n} the result was graded "
                   "from (sha256 differs)")  # fmt: skip


def verified_decisions(entries: Sequence[Any], *, anchor: str | None = None) -> list[list[Any]]:
    """The decision log of a chained journal after auditing it; `JournalError` with the first
    finding when the chain is broken."""
    findings = audit(entries, anchor=anchor)
    if findings:
        first = findings[0]
        more = f" (+{len(findings) - 1} more finding(s))" if len(findings) > 1 else ""
        raise JournalError(f"the journal's hash chain is broken at seq {first.seq}: "
                           f"{first.message}{more}")  # fmt: skip
    return decisions(entries)
