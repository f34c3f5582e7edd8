"""The hash-chained journal: every single-entry edit, deletion, insertion and swap of a generated
journal is found and the first bad seq named; what a chain alone cannot see (a cut or extended
end) is found against an anchor or the graded result; a chained journal from `exam play` grades
to the same result as its plain decision log, and a broken one is refused."""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from sandbox.cli import main
from sandbox.exam import JournalError
from sandbox.exam import journal as jr

N = 12


def _generated() -> list[dict[str, Any]]:
    log = [[10.0 * i + 0.25, f"trainee-{1 + i // 3:03d}", f"choice_{i}"] for i in range(N)]
    return jr.chain(log, received_at="2026-12-04T18:00:00.000000Z")


def _first(entries: list[Any], anchor: str | None = None) -> jr.Finding:
    findings = jr.audit(json.loads(json.dumps(entries)), anchor=anchor)
    assert findings, "not detected"
    return findings[0]


def _forged(prev: dict[str, Any] | None, seq: int) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "seq": seq, "t": 1.0, "contact_id": "trainee-001", "choice_id": "forged",
        "received_at": "2026-12-04T18:00:00.000000Z",
        "prev_hash": prev["hash"] if prev else jr.GENESIS,
    }  # fmt: skip
    entry["hash"] = jr.entry_hash(entry)
    return entry


def test_a_generated_journal_is_intact_and_round_trips_through_its_file(tmp_path: Path) -> None:
    entries = _generated()
    assert [e["seq"] for e in entries] == list(range(1, N + 1))
    assert entries[0]["prev_hash"] == jr.GENESIS
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(entries))
    assert jr.audit(entries) == [] and jr.audit(entries, anchor=jr.head(entries)) == []
    path = jr.write(tmp_path / "j.jsonl", entries)
    assert jr.is_chained(path) and jr.read(path) == entries
    assert path.read_text().count("\n") == N
    assert jr.decisions(entries)[3] == [30.25, "trainee-002", "choice_3"]
    # appending seals onto the head
    more = copy.deepcopy(entries)
    jr.append(more, 200.0, "trainee-005", "x")
    assert more[-1]["prev_hash"] == entries[-1]["hash"] and jr.audit(more) == []


def test_every_single_entry_edit_is_found_at_its_seq() -> None:
    base = _generated()
    fields = {"t": 999.0, "contact_id": "trainee-009", "choice_id": "other",
              "received_at": "2030-01-01T00:00:00.000000Z", "seq": 77, "prev_hash": "f" * 64}  # fmt: skip
    cases = 0
    for k in range(1, N + 1):
        for name, value in fields.items():
            entries = copy.deepcopy(base)
            entries[k - 1][name] = value  # edited, not re-hashed
            first = _first(entries)
            assert (first.seq, first.kind) == (77 if name == "seq" else k, "edited"), (k, name)
            cases += 1
        # edited and re-hashed: the next entry's prev_hash gives it away (the last one needs
        # the anchor)
        entries = copy.deepcopy(base)
        entries[k - 1]["choice_id"] = "other"
        entries[k - 1]["hash"] = jr.entry_hash(entries[k - 1])
        first = _first(entries, anchor=jr.anchor_of(base) if k == N else None)
        assert first.seq == k, (k, first)
        if k == N:  # a bare hash as the anchor names it too
            assert _first(entries, anchor=jr.head(base)).seq == k
        cases += 1
    assert cases == N * (len(fields) + 1)


def test_every_single_deletion_is_found_and_names_the_deleted_seq() -> None:
    base = _generated()
    for k in range(1, N):
        entries = copy.deepcopy(base)
        del entries[k - 1]
        first = _first(entries)
        assert (first.seq, first.kind) == (k, "deleted"), (k, first)
    # the last entry: only an anchor (or the graded result) can tell
    cut = base[:-1]
    assert jr.audit(cut) == []
    first = _first(cut, anchor=jr.anchor_of(base))
    assert (first.seq, first.kind) == (N, "truncated")
    assert _first(cut, anchor=jr.head(base)).kind == "truncated"  # a bare hash: cut or rewritten
    assert _first(base[:-3], anchor=jr.anchor_of(base)).seq == N - 2


def test_every_single_insertion_is_found_where_it_was_made() -> None:
    base = _generated()
    for k in range(1, N + 1):  # a well-forged entry chained onto seq k-1, claiming seq k
        entries = copy.deepcopy(base)
        entries.insert(k - 1, _forged(base[k - 2] if k > 1 else None, k))
        first = _first(entries)
        assert (first.seq, first.kind) == (k, "inserted"), (k, first)
        # a forged entry that is not even hashed
        entries = copy.deepcopy(base)
        bad = _forged(base[k - 2] if k > 1 else None, k)
        bad["choice_id"] = "changed after hashing"
        entries.insert(k - 1, bad)
        assert _first(entries).seq == k
    appended = [*copy.deepcopy(base), _forged(base[-1], N + 1)]
    assert jr.audit(appended) == []  # a valid extension: only the anchor tells
    for anchor in (jr.anchor_of(base), jr.head(base)):
        first = _first(appended, anchor=anchor)
        assert (first.seq, first.kind) == (N + 1, "inserted")


def test_every_swap_of_neighbours_and_any_move_is_found() -> None:
    base = _generated()
    for k in range(1, N):
        entries = copy.deepcopy(base)
        entries[k - 1], entries[k] = entries[k], entries[k - 1]
        first = _first(entries)
        assert (first.seq, first.kind) == (k, "reordered"), (k, first)
    entries = copy.deepcopy(base)
    entries.append(entries.pop(2))  # seq 3 moved to the end
    assert _first(entries).seq == 3


def test_a_damaged_line_or_shape_is_named(tmp_path: Path) -> None:
    entries = _generated()
    path = jr.write(tmp_path / "j.jsonl", entries)
    lines = path.read_text().splitlines()
    lines[4] = lines[4][:-10]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(JournalError, match="line 5 is damaged"):
        jr.read(path)
    broken: list[Any] = copy.deepcopy(entries)
    del broken[3]["hash"]
    assert _first(broken).kind == "malformed" and _first(broken).seq == 4
    broken = copy.deepcopy(entries)
    broken[5] = [1, 2, 3]
    assert _first(broken).seq == 6


def test_audit_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    entries = _generated()
    path = jr.write(tmp_path / "j.jsonl", entries)
    assert main(["exam", "audit", str(path)]) == 0
    assert "INTACT" in capsys.readouterr().out
    assert main(["exam", "audit", str(path), "--anchor", jr.anchor_of(entries)]) == 0
    capsys.readouterr()
    assert main(["exam", "audit", str(path), "--anchor", jr.anchor_of(entries[:-1])]) == 1
    assert "first bad seq" in capsys.readouterr().out
    assert main(["exam", "audit", str(path), "--anchor", "x:y"]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    swapped = copy.deepcopy(entries)
    swapped[4], swapped[5] = swapped[5], swapped[4]
    jr.write(path, swapped)
    assert main(["exam", "audit", str(path), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False and doc["findings"][0]["seq"] == 5
    assert doc["findings"][0]["kind"] == "reordered"
    assert main(["exam", "audit", str(path)]) == 1
    assert "first bad seq 5" in capsys.readouterr().out
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(jr.decisions(entries)))
    assert main(["exam", "audit", str(plain)]) == 1
    err = capsys.readouterr().err
    assert "not a hash-chained journal" in err and err.count("\n") == 1


def test_a_chained_journal_from_play_grades_like_its_plain_log_and_a_broken_one_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chained, plain = tmp_path / "j.jsonl", tmp_path / "j.json"
    base = ["exam", "play", "cs-cert-zh", "--form", "B", "--policy", "competent", "--json"]
    assert main([*base, "--journal-out", str(chained), "--chained"]) == 0
    played = json.loads(capsys.readouterr().out)
    assert main([*base, "--journal-out", str(plain)]) == 0
    capsys.readouterr()
    entries = jr.read(chained)
    assert jr.audit(entries) == [] and jr.decisions(entries) == json.loads(plain.read_text())
    grade = ["exam", "grade", "cs-cert-zh", "--form", "B", "--json", "--journal"]
    assert main([*grade, str(chained)]) == 0
    from_chain = json.loads(capsys.readouterr().out)
    assert main([*grade, str(plain)]) == 0
    from_plain = json.loads(capsys.readouterr().out)
    assert from_chain == from_plain == played
    # the result anchors the journal: a cut end passes the chain but not the result
    result = tmp_path / "r.json"
    result.write_text(json.dumps(from_chain))
    assert main(["exam", "audit", str(chained), "--result", str(result)]) == 0
    capsys.readouterr()
    jr.write(chained, entries[:-1])
    assert main(["exam", "audit", str(chained)]) == 0
    capsys.readouterr()
    assert main(["exam", "audit", str(chained), "--result", str(result), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["findings"][0]["kind"] == "truncated"
    # grading refuses a broken chain with the finding
    broken = copy.deepcopy(entries)
    broken[6]["choice_id"] = broken[7]["choice_id"]
    jr.write(chained, broken)
    assert main([*grade, str(chained)]) == 1
    err = capsys.readouterr().err
    assert "hash chain is broken at seq 7" in err and err.count("\n") == 1
