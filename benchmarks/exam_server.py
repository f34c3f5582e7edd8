"""Many scripted desks taking one exam at once against a real `shapan serve` on localhost.

Prints: decisions acknowledged (p50/p95/max round trip, measured at the desk), grading time
per attempt (the server's replay + signature, measured as the finish round trip), the wall and
CPU time of the whole run, and lost decisions — every acknowledged decision must be in the
server's journal, and the database must audit clean. Bounded and self-stopping: at most
`--desks` (≤ 500) desks, each attempt ends at the exam's time limit on the server clock, and the
whole run is stopped after `--deadline` seconds.

    .venv/bin/python benchmarks/exam_server.py                 # 200 desks, SQLite
    .venv/bin/python benchmarks/exam_server.py --desks 50 --db postgresql+psycopg://…

The server runs with `--clock-speed` (default 10: a 45-minute exam takes 4.5 minutes of wall
time, and the desks decide ten times as often as real candidates);
the desks are real `ExamTaking` + `ExamClient` objects (the pygame desk's own logic) driven by
a bot policy, spread over `--procs` processes of threads.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MAX_DESKS = 500


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen[bytes], wait_s: float = 60.0) -> None:
    import urllib.request

    end = time.monotonic() + wait_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"shapan serve exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url + "/api/v1/public-key", timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("shapan serve did not answer within 60 s")


def _desks(
    url: str, codes: list[str], policies: list[str], think_s: float, deadline: float
) -> dict[str, Any]:
    """One worker process: a thread per desk. Returns latencies and acknowledged counts."""
    from sandbox.exam.taking import ExamTaking, run_bot
    from sandbox.server.client import ConnectionLost, ExamClient

    acks: list[float] = []
    grading: list[float] = []
    acknowledged: dict[str, int] = {}
    errors: list[str] = []
    lock = threading.Lock()

    class TimedClient(ExamClient):
        def decide(self, seq: int, t: float, contact_id: str, choice_id: str) -> dict[str, Any]:
            start = time.perf_counter()
            answer = super().decide(seq, t, contact_id, choice_id)
            with lock:
                acks.append(time.perf_counter() - start)
            return answer

        def finish(self) -> dict[str, Any]:
            start = time.perf_counter()
            answer = super().finish()
            with lock:
                grading.append(time.perf_counter() - start)
            return answer

    def one(code: str, policy: str) -> None:
        try:
            for tries in range(5):  # a desk that cannot connect tries again, as a person would
                try:
                    taking = ExamTaking.online(TimedClient(url, code, timeout=30.0))
                    break
                except ConnectionLost:
                    if tries == 4:
                        raise
                    time.sleep(2.0 * (tries + 1))
            run_bot(taking, policy, think_s=think_s, seed=int.from_bytes(code.encode(), 'big') % 65536,
                    wall=time.monotonic, sleep=lambda s: time.sleep(min(s, max(0.0, deadline - time.time()))))  # fmt: skip
            result = taking.finish()
            with lock:
                acknowledged[code] = len(taking.journal)
                if result.get("journal", {}).get("entries") != len(taking.journal):
                    errors.append(f"{code}: result graded {result.get('journal')} entries, "
                                  f"desk holds {len(taking.journal)}")  # fmt: skip
        except Exception as err:  # a benchmark reports every failure
            with lock:
                errors.append(f"{code}: {type(err).__name__}: {err}")

    threads = [threading.Thread(target=one, args=(c, pol), daemon=True)
               for c, pol in zip(codes, policies, strict=True)]  # fmt: skip
    for th in threads:
        th.start()
    for th in threads:
        th.join(max(0.0, deadline - time.time()))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"acks": acks, "grading": grading, "acknowledged": acknowledged, "errors": errors,
            "cpu_s": usage.ru_utime + usage.ru_stime, "max_rss_mb": usage.ru_maxrss / 1024}  # fmt: skip


def _cpu_of(pid: int) -> float | None:
    """User + system CPU seconds of a running process (Linux /proc), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    """The running child processes of `pid` (the server's replay workers)."""
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return [int(c) for t in tasks for c in (t / "children").read_text().split()]
    except OSError:
        return []


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--desks", type=int, default=200, help=f"scripted desks (1..{MAX_DESKS})")
    p.add_argument("--procs", type=int, default=4, help="desk processes (threads inside)")
    p.add_argument("--exam", default="cs-cert-en", help="shipped exam id or exam file")
    p.add_argument("--policy", default="mixed",
                   choices=("mixed", "random", "novice", "competent", "expert"),
                   help="the desks' bot; mixed (default): desk i plays expert, competent, novice, "
                        "random in turn — a cohort of mixed ability")  # fmt: skip
    p.add_argument("--think", type=float, default=5.0, help="bot think time, sim seconds")
    p.add_argument(
        "--clock-speed",
        type=float,
        default=10.0,
        help="server clock speed (default 10: ten times a real exam's decision rate)",
    )
    p.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    p.add_argument("--deadline", type=float, default=900.0, help="stop everything after this")
    p.add_argument("--keep", metavar="DIR", help="keep the database and keys in DIR")
    args = p.parse_args(argv)
    if not 1 <= args.desks <= MAX_DESKS:
        p.error(f"--desks must be 1..{MAX_DESKS}")
    if not 1 <= args.procs <= 16 or args.clock_speed <= 0 or args.deadline <= 0:
        p.error("--procs 1..16, --clock-speed > 0 and --deadline > 0")

    from sandbox.server.store import ExamStore

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="shapan-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    db = args.db or f"sqlite:///{work / 'server.db'}"
    keys = work / "keys"
    store = ExamStore.open(db, keys)
    exam = store.publish(args.exam)
    codes = [
        c.code for c in store.issue_codes(exam.pk, [f"Desk {i + 1:03d}" for i in range(args.desks)])
    ]
    store.close()

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(work / "serve.log", "wb")  # noqa: SIM115 — lives as long as the server
    server = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--db", db, "--port", str(port),
         "--keys", str(keys), "--clock-speed", str(args.clock_speed)],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
    )  # fmt: skip
    try:
        _wait_http(url, server)
        wall0, deadline = time.time(), time.time() + args.deadline
        cohort = ("expert", "competent", "novice", "random")
        policies = [cohort[i % 4] if args.policy == "mixed" else args.policy
                    for i in range(len(codes))]  # fmt: skip
        shares = [codes[i :: args.procs] for i in range(args.procs)]
        bots = [policies[i :: args.procs] for i in range(args.procs)]
        with ProcessPoolExecutor(args.procs) as pool:
            parts = list(pool.map(_desks, [url] * args.procs, shares, bots,
                                  [args.think] * args.procs, [deadline] * args.procs))  # fmt: skip
        wall = time.time() - wall0
        server_cpu = _cpu_of(server.pid)
        workers_cpu = sum(_cpu_of(c) or 0.0 for c in _children(server.pid))
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()

    acks = [a for part in parts for a in part["acks"]]
    grading = [g for part in parts for g in part["grading"]]
    acknowledged = {k: v for part in parts for k, v in part["acknowledged"].items()}
    errors = [e for part in parts for e in part["errors"]]

    store = ExamStore.open(db, keys)
    try:
        stored = {}
        for row in store.progress(exam.pk):
            if row.attempt_pk is not None:
                stored[row.candidate] = len(store.journal(row.attempt_pk))
        findings = store.audit()
        graded = len(store.results(exam.pk))
    finally:
        store.close()
    names = {c: f"Desk {i + 1:03d}" for i, c in enumerate(codes)}
    lost = sum(max(0, n - stored.get(names[c], 0)) for c, n in acknowledged.items())
    ms = 1000.0
    report = {
        "desks": args.desks, "procs": args.procs, "clock_speed": args.clock_speed,
        "db": db.split("://")[0], "exam": args.exam, "policy": args.policy,
        "finished_desks": len(acknowledged), "graded_attempts": graded,
        "decisions_acknowledged": len(acks),
        "ack_ms": {"p50": round(_pct(acks, 0.5) * ms, 1), "p95": round(_pct(acks, 0.95) * ms, 1),
                   "max": round(max(acks, default=float("nan")) * ms, 1),
                   "mean": round(statistics.fmean(acks) * ms, 1) if acks else None},
        "grading_ms": {"p50": round(_pct(grading, 0.5) * ms, 1),
                       "p95": round(_pct(grading, 0.95) * ms, 1),
                       "max": round(max(grading, default=float("nan")) * ms, 1)},
        "lost_decisions": lost, "audit_findings": len(findings), "errors": errors[:10],
        "error_count": len(errors), "wall_s": round(wall, 1),
        "desk_cpu_s": round(sum(part["cpu_s"] for part in parts), 1),
        "server_cpu_s": None if server_cpu is None else round(server_cpu, 1),
        "replay_workers_cpu_s": round(workers_cpu, 1),
        "desk_max_rss_mb": round(max(part["max_rss_mb"] for part in parts), 1),
    }  # fmt: skip
    print(json.dumps(report, indent=2))
    print(
        f"{len(acknowledged)}/{args.desks} desks finished in {wall:.0f} s; "
        f"{len(acks)} decisions acknowledged p50 {report['ack_ms']['p50']} ms, "
        f"p95 {report['ack_ms']['p95']} ms; grading p50 {report['grading_ms']['p50']} ms, "
        f"p95 {report['grading_ms']['p95']} ms per attempt; lost decisions: {lost}; "
        f"audit findings: {len(findings)}; errors: {len(errors)}"
    )
    if not args.keep and not args.db:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return 0 if lost == 0 and not findings and not errors and len(acknowledged) == args.desks else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
