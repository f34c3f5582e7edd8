"""A desk killed (SIGKILL) at 20 random points of an exam resumes with nothing lost.

The desk is the real scripted desk (`shapan exam take URL --code`, a separate process) against
a real `shapan serve`; it logs every decision the server acknowledged (`--acks`) the moment
the acknowledgement arrives. After 20 kills and a last uninterrupted run: every acknowledged
decision is in the server's journal, the journal is one unbroken chain, and the signed result
is exactly the offline grading of that journal — the result of an uninterrupted run with the
same decisions.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sandbox.exam import grade, load_exam
from sandbox.exam import journal as chain
from sandbox.exam.signing import load_public_key, verify_document
from sandbox.server.store import ExamStore
from tests.server.live_server import ROOT, start_server

EXAM = "cs-cert-en"
KILLS = 20
#: 45 exam minutes in 90 s of wall time: room for 20 restarts of a desk process, even slow ones
CLOCK_SPEED = 30.0


def _desk(url: str, code: str, acks: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", "import sys; from sandbox.cli import main; sys.exit(main())",
         "exam", "take", url, "--code", code, "--policy", "competent", "--think", "5s",
         "--acks", str(acks), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT,
    )  # fmt: skip


def _acked(acks: Path) -> list[tuple[int, str]]:
    if not acks.exists():
        return []
    out = []
    for line in acks.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit():  # a kill can cut the last line short
            out.append((int(parts[0]), parts[1]))
    return out


def test_a_desk_killed_twenty_times_loses_no_acknowledged_decision(
    sqlite_url: str, tmp_path: Path
) -> None:
    keys = tmp_path / "srv" / "keys"
    store = ExamStore.open(sqlite_url, keys)
    exam_pk = store.publish(EXAM).pk
    (issued,) = store.issue_codes(exam_pk, ["Killed Desk"])
    store.close()
    server = start_server(sqlite_url, tmp_path / "srv", clock_speed=CLOCK_SPEED)
    acks = tmp_path / "acks.txt"
    rng = random.Random(20261204)
    kills = mid_exam_kills = 0
    try:
        while kills < KILLS:
            before = len(_acked(acks))
            desk = _desk(server.url, issued.code, acks)
            if kills % 2 == 0:
                # a random instant: while it starts, replays the journal, or decides (the first
                # ~1 s of a desk's life is its start-up)
                time.sleep(rng.uniform(0.3, 3.5))
            else:
                # right after a random number of new acknowledgements, plus a little: during the
                # next decision's round trip or between decisions
                target, give_up = before + rng.randint(1, 3), time.monotonic() + 30.0
                while len(_acked(acks)) < target and time.monotonic() < give_up:
                    if desk.poll() is not None:
                        break
                    time.sleep(0.01)
                time.sleep(rng.uniform(0.0, 0.3))
            if desk.poll() is not None:
                out, err = desk.communicate()
                raise AssertionError(f"the desk ended before kill {kills + 1}: {err.decode()}")
            desk.send_signal(signal.SIGKILL)
            desk.wait(10)
            kills += 1
            mid_exam_kills += len(_acked(acks)) > before
        last = _desk(server.url, issued.code, acks)
        out, err = last.communicate(timeout=240)
        assert last.returncode == 0, err.decode()
        result = json.loads(out)
    finally:
        server.stop()

    assert mid_exam_kills >= KILLS // 2, "most kills should land after decisions were made"
    store = ExamStore.open(sqlite_url, keys)
    try:
        attempt = store.progress(exam_pk)[0].attempt_pk
        assert attempt is not None
        entries = store.journal(attempt)
        stored = store.result(attempt)
        assert store.audit() == []
    finally:
        store.close()
    # nothing acknowledged was lost, and nothing was acknowledged twice under one number
    by_seq = {e["seq"]: e["hash"] for e in entries}
    acknowledged = _acked(acks)
    assert acknowledged, "the desk acknowledged nothing"
    for seq, digest in acknowledged:
        assert by_seq.get(seq) == digest, f"acknowledged seq {seq} is not in the journal"
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert chain.audit(entries) == []
    # the signed result is the server's, and equals grading the same decisions offline
    assert result == stored
    assert verify_document(result, load_public_key(keys / "public.pem")).ok
    offline = grade(load_exam(EXAM), issued.form_index, chain.decisions(entries)).to_json()
    for key in ("score", "passed", "contacts", "critical_errors", "reasons", "exam", "form"):
        assert result[key] == offline[key], key
    assert result["journal"]["sha256"] == offline["journal"]["sha256"]
