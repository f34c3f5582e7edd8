"""Replay workers (sandbox/server/workers.py): the server's simulation work in worker processes.

What must hold: a result graded through the workers is byte for byte the offline `grade()` of
the same journal; a worker killed mid-exam is restarted and the attempt completes and grades
identically; decisions are checked on the attempt's own worker (sticky), the journal is read
only when that worker's session is not at the journal's head, an uncommitted decision is
dropped; a worker refuses an exam that is not the published one; a request that does not answer
in time fails (and its worker is restarted); `shapan serve` stops its workers when it stops.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.exam import grade, load_exam
from sandbox.exam.canonical import canonical_bytes
from sandbox.exam.replay import play, policy_chooser
from sandbox.exam.signing import SIGNATURE_KEY, load_public_key, verify_document
from sandbox.server import clock
from sandbox.server.live import ExamMismatch, NotReplayable, Replayer
from sandbox.server.store import ExamStore, StoreError
from sandbox.server.workers import ReplayWorkers, WorkerFailure
from tests.server.test_store import EXAM, FakeWall, published, take


@pytest.fixture
def wall(monkeypatch: pytest.MonkeyPatch) -> FakeWall:
    fake = FakeWall()
    monkeypatch.setattr(clock, "wall_now", fake)
    return fake


@pytest.fixture(scope="module")
def workers() -> Iterator[ReplayWorkers]:
    pool = ReplayWorkers(2)
    pool.wait_ready()
    yield pool
    pool.close()


@pytest.fixture
def worker_store(sqlite_url: str, tmp_path: Path) -> Iterator[ExamStore]:
    """A store whose replays run in two worker processes of its own."""
    pool = ReplayWorkers(2)
    store = ExamStore.open(sqlite_url, tmp_path / "keys")
    store.close()  # reopened below with the pool (ExamStore(engine, key, workers=...))
    from sandbox.exam.signing import PRIVATE_KEY_FILE, load_private_key
    from sandbox.server.db import make_engine

    key = load_private_key(tmp_path / "keys" / PRIVATE_KEY_FILE)
    st = ExamStore(make_engine(sqlite_url), key, workers=pool)
    yield st
    st.close()
    assert all(not alive(pid) for pid in pool.pids())  # the store's close stops its workers


def alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (not yet reaped) counts as stopped
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def unsigned(signed: dict[str, Any]) -> dict[str, Any]:
    """A signed result without what the store adds to the replay's result (proctoring, the
    attempt block, the journal's head, the signature): what `grade()` itself computes."""
    doc = {k: v for k, v in signed.items() if k not in ("attempt", SIGNATURE_KEY)}
    doc["proctoring"] = "unproctored"
    doc["journal"] = {k: v for k, v in signed["journal"].items() if k != "head"}
    return doc


def test_a_result_graded_through_workers_is_the_offline_grade_byte_for_byte(
    worker_store: ExamStore,
    wall: FakeWall,
    tmp_path: Path,
) -> None:
    assert worker_store.replay_workers == 2
    _, codes = published(worker_store, ["Ann"])
    attempt, log = take(worker_store, wall, codes[0].code)
    signed = worker_store.finish(attempt)
    offline = grade(load_exam(EXAM), codes[0].form_index, log).to_json()
    assert canonical_bytes(unsigned(signed)) == canonical_bytes(offline)
    assert signed["proctoring"] == "proctored" and signed["attempt"]["id"] == attempt
    assert verify_document(signed, load_public_key(tmp_path / "keys" / "public.pem")).ok
    assert worker_store.audit() == []


def test_workers_grade_exactly_what_the_in_process_replayer_grades(
    workers: ReplayWorkers,
) -> None:
    exam = load_exam(EXAM)
    journals = [play(exam, i % len(exam.forms), policy_chooser(p), seed=i)
                for i, p in enumerate(["competent", "novice", "random"])]  # fmt: skip
    local = Replayer()
    for i, journal in enumerate(journals):
        form = i % len(exam.forms)
        here = local.grade(EXAM, exam.content_hash, form, journal)
        there = workers.grade(EXAM, exam.content_hash, form, journal)
        assert canonical_bytes(there) == canonical_bytes(here)
        assert canonical_bytes(there) == canonical_bytes(grade(exam, form, journal).to_json())


def test_gradings_run_in_parallel_on_the_least_busy_workers(workers: ReplayWorkers) -> None:
    exam = load_exam(EXAM)
    journal = play(exam, 0, policy_chooser("competent"))
    want = canonical_bytes(grade(exam, 0, journal).to_json())
    got: list[bytes] = []

    def one() -> None:
        got.append(canonical_bytes(workers.grade(EXAM, exam.content_hash, 0, journal)))

    threads = [threading.Thread(target=one) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert got == [want] * 4


def test_checks_are_sticky_and_read_the_journal_only_on_a_miss(workers: ReplayWorkers) -> None:
    exam = load_exam(EXAM)
    journal = play(exam, 1, policy_chooser("competent"))[:6]
    loads: list[int] = []

    def loader(n: int) -> Any:
        def load() -> list[list[Any]]:
            loads.append(n)
            return journal[:n]

        return load

    attempt = 7_001
    for n, (t, contact, choice) in enumerate(journal[:3]):
        workers.check(attempt, EXAM, exam.content_hash, 1, n, t, contact, choice, loader(n))
        workers.commit(attempt, n + 1)
    assert loads == [0]  # only the first check (a worker without the attempt) read the journal
    # a checked but uncommitted decision is not kept: the next check rebuilds from the journal
    t, contact, choice = journal[3]
    workers.check(attempt, EXAM, exam.content_hash, 1, 3, t, contact, choice, loader(3))
    workers.forget(attempt)
    workers.check(attempt, EXAM, exam.content_hash, 1, 3, t, contact, choice, loader(3))
    assert loads == [0, 3]
    workers.commit(attempt, 4)
    # a decision the replay cannot apply is refused and leaves nothing behind
    with pytest.raises(NotReplayable):
        workers.check(attempt, EXAM, exam.content_hash, 1, 4, journal[4][0], contact,
                      "no-such-choice", loader(4))  # fmt: skip
    with pytest.raises(NotReplayable, match="seat"):
        workers.check(attempt, EXAM, exam.content_hash, 1, 4, journal[4][0], "x-001", "a",
                      loader(4))  # fmt: skip
    t, contact, choice = journal[4]
    workers.check(attempt, EXAM, exam.content_hash, 1, 4, t, contact, choice, loader(4))
    assert loads == [0, 3, 4, 4]  # the first refusal used the committed session
    # the attempt's session lives on worker attempt % K only
    sessions = [workers.ping(i)["sessions"] for i in range(workers.count)]
    assert sessions[attempt % workers.count] >= 1


def test_a_worker_refuses_an_exam_that_is_not_the_published_one(workers: ReplayWorkers) -> None:
    exam = load_exam(EXAM)
    with pytest.raises(ExamMismatch, match="changed"):
        workers.grade(EXAM, "0" * 64, 0, [])
    with pytest.raises(ExamMismatch, match="changed"):
        workers.check(1, EXAM, exam.content_hash, 0, 0, 1.0, "x", "y", list,
                      provenance='{"scenario":"other"}')  # fmt: skip
    with pytest.raises(ExamMismatch, match="no longer loads"):
        workers.grade("/nonexistent/exam.yaml", exam.content_hash, 0, [])


def test_a_worker_killed_mid_exam_is_restarted_and_the_attempt_grades_identically(
    worker_store: ExamStore,
    wall: FakeWall,
) -> None:
    pool = worker_store._replays
    assert isinstance(pool, ReplayWorkers)
    _, codes = published(worker_store, ["Ann"])
    attempt, _ = take(worker_store, wall, codes[0].code, stop_after=8)
    index = attempt % pool.count
    victim = pool.pids()[index]
    assert victim is not None
    os.kill(victim, signal.SIGKILL)
    time.sleep(0.2)
    attempt_again, log = take(worker_store, wall, codes[0].code)  # resumes from the journal
    assert attempt_again == attempt and len(log) > 8
    assert pool.pids()[index] != victim and pool.restarts >= 1
    # and once more while it grades: the grading is retried on the restarted worker
    grading: list[dict[str, Any]] = []
    th = threading.Thread(target=lambda: grading.append(worker_store.finish(attempt)))
    th.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(k.grading for k in pool._links):
        time.sleep(0.005)
    busy = [k for k in pool._links if k.grading]
    if busy:
        time.sleep(0.05)
        os.kill(busy[0].proc.pid or 0, signal.SIGKILL)
    th.join(120)
    while time.monotonic() < deadline and pool.restarts < 2:
        time.sleep(0.01)
    assert busy and pool.restarts >= 2  # the grading's worker was killed and restarted
    signed = grading[0]
    offline = grade(load_exam(EXAM), codes[0].form_index, log).to_json()
    assert canonical_bytes(unsigned(signed)) == canonical_bytes(offline)
    assert worker_store.audit() == []


def test_a_request_that_does_not_answer_in_time_fails_and_its_worker_restarts() -> None:
    exam = load_exam(EXAM)
    journal = play(exam, 0, policy_chooser("competent"))
    pool = ReplayWorkers(1, grade_timeout_s=0.001)
    try:
        pool.wait_ready()
        first = pool.pids()[0]
        with pytest.raises(WorkerFailure, match="did not answer"):
            pool.grade(EXAM, exam.content_hash, 0, journal)
        assert pool.restarts == 2 and pool.pids()[0] != first  # tried twice, both too slow
        pool.grade_timeout_s = 120.0
        assert pool.grade(EXAM, exam.content_hash, 0, journal)["journal"]["entries"] == len(journal)
    finally:
        pool.close()
    assert not alive(pool.pids()[0])
    with pytest.raises(WorkerFailure):
        pool.grade(EXAM, exam.content_hash, 0, journal)


def test_a_store_maps_worker_errors_to_store_errors(
    worker_store: ExamStore,
    wall: FakeWall,
) -> None:
    pk, codes = published(worker_store, ["Ann"])
    attempt = worker_store.open_attempt(codes[0].code).attempt_pk
    worker_store._published_refs[pk] = (EXAM, "0" * 64, "{}")
    with pytest.raises(StoreError, match="publish it again"):
        worker_store.append_decision(attempt, 1, 0.0, "x", "y")


def test_shapan_serve_runs_its_replay_workers_and_stops_them(serve: Any, sqlite_url: str) -> None:
    server = serve(sqlite_url, extra=["--replay-workers", "2"])
    assert "replay workers 重放进程: 2" in server.output()
    pid = server.proc.pid
    children = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(children) < 2:
        children = [int(p) for p in os.listdir("/proc") if p.isdigit() and _ppid(int(p)) == pid]
        time.sleep(0.1)
    assert len(children) >= 2
    assert server.stop() == 0
    time.sleep(0.5)
    assert not any(alive(c) for c in children)


def _ppid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def test_a_decision_after_time_up_closes_and_grades_the_attempt_without_hanging(
    worker_store: ExamStore, wall: FakeWall
) -> None:
    from sandbox.server.store import AttemptClosed

    _, codes = published(worker_store, ["Ann"])
    attempt = worker_store.open_attempt(codes[0].code).attempt_pk
    wall.now += 4 * 3600
    answer: list[BaseException] = []

    def late() -> None:
        try:
            worker_store.append_decision(attempt, 1, 2700.0, "x", "y")
        except BaseException as err:
            answer.append(err)

    th = threading.Thread(target=late, daemon=True)
    th.start()
    th.join(60)
    assert not th.is_alive(), "append_decision hung (the attempt's lock taken twice)"
    assert isinstance(answer[0], AttemptClosed)
    assert worker_store.result(attempt) is not None  # graded as time_up


def test_ctrl_c_to_the_whole_process_group_stops_serve_and_its_workers_cleanly(
    sqlite_url: str, tmp_path: Path
) -> None:
    """A terminal's Ctrl-C reaches the workers too: they ignore it and the server stops them."""
    import subprocess
    import sys
    import urllib.request

    from tests.server.live_server import ROOT, free_port

    port = free_port()
    err_path = tmp_path / "serve.err"
    with err_path.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; from sandbox.cli import main; sys.exit(main())",
             "serve", "--db", sqlite_url, "--port", str(port), "--keys", str(tmp_path / "keys"),
             "--replay-workers", "2"],
            stdout=subprocess.DEVNULL, stderr=err, cwd=tmp_path, start_new_session=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        children: list[int] = []
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/public-key", timeout=2)
                children = [int(p) for p in os.listdir("/proc")
                            if p.isdigit() and _ppid(int(p)) == proc.pid]  # fmt: skip
                if len(children) >= 2:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        assert len(children) >= 2
        time.sleep(1.0)  # the workers are past their start-up
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    time.sleep(0.5)
    assert not any(alive(c) for c in children)
    assert "Traceback" not in err_path.read_text(errors="replace")
