"""Load on the competition server: T teams x S desks deciding at a human pace, plus L projector
listeners on the live channel, all on localhost, bounded in count and time (self-stopping).

Prints: decision acknowledgement p50/p95, claim acknowledgement p50/p95, board update latency
p95 (a decision's acknowledgement to the next board event a listener receives), and the
server process's CPU seconds and peak memory. Targets (issue 13): ack p95 < 100 ms and board
latency < 2 s on a 2-core machine.

    .venv/bin/python benchmarks/league_server.py --teams 40 --seats 3 --listeners 40 --seconds 120
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "benchmark-secret"
MAX_DESKS = 300
MAX_LISTENERS = 100
MAX_SECONDS = 900


def _cpu(p: object) -> float:
    try:
        t = p.cpu_times()  # type: ignore[attr-defined]
        return float(t.user + t.system)
    except Exception:  # the process has ended
        return 0.0


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def _desks(
    base: str, comp_ref: str, tokens: list[str], seconds: float, seed: int, out: mp.Queue
) -> None:
    """One process of desks: each thread plays its member with a human pace (8-20 s)."""
    from sandbox.league.desk import LeagueClient, MemberPlay
    from sandbox.league.loader import load_competition

    comp = load_competition(comp_ref)
    acks: list[tuple[float, float]] = []  # (ack wall time, latency)
    claims: list[float] = []
    lock = threading.Lock()
    stop_at = time.time() + seconds

    def desk(i: int, token: str) -> None:
        rng = random.Random(seed * 1000 + i)
        client = LeagueClient(base, token=token, timeout=30)
        orig_claim, orig_decide = client.claim, client.decide

        def timed_claim(n: int, t: float) -> dict:
            t0 = time.perf_counter()
            got = orig_claim(n, t)
            with lock:
                claims.append((time.perf_counter() - t0, got.get("server_ms", 0.0) / 1000))
            return got

        def timed_decide(*args: object) -> dict:
            t0 = time.perf_counter()
            got = orig_decide(*args)  # type: ignore[arg-type]
            with lock:
                acks.append(
                    (time.time(), time.perf_counter() - t0, got.get("server_ms", 0.0) / 1000)
                )
            return got

        client.claim, client.decide = timed_claim, timed_decide  # type: ignore[method-assign]
        from journeys.policies import choose

        play = MemberPlay(client, comp)
        next_at = time.time() + rng.uniform(8, 20)
        while time.time() < stop_at and not play.closed:
            play.advance()
            pending = play.session.pending_decisions()
            if pending and time.time() >= next_at:
                p = pending[0]
                run = play.session.center.active[p["contact_id"]].play.run
                play.decide(p["contact_id"], choose("competent", run, rng))
                next_at = time.time() + rng.uniform(8, 20)
            time.sleep(0.2)

    threads = [
        threading.Thread(target=desk, args=(i, t), daemon=True) for i, t in enumerate(tokens)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    out.put({"acks": acks, "claims": claims})


def _listen(base: str, pk: int, cookie: str, seconds: float, out: mp.Queue, n: int) -> None:
    """n listeners on the live channel; each records when a board event arrives."""
    host = base.split("//", 1)[1]
    got: list[float] = []
    lock = threading.Lock()

    def one() -> None:
        conn = http.client.HTTPConnection(host, timeout=seconds + 30)
        conn.request("GET", f"/api/v1/league/{pk}/stream", headers={"Cookie": cookie})
        resp = conn.getresponse()
        stop = time.time() + seconds
        while time.time() < stop:
            line = resp.readline()
            if not line:
                break
            if line.startswith(b"event: board"):
                with lock:
                    got.append(time.time())
        conn.close()

    threads = [threading.Thread(target=one, daemon=True) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 40)
    out.put({"boards": got, "listeners": n})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--teams", type=int, default=40)
    ap.add_argument("--seats", type=int, default=3)
    ap.add_argument("--listeners", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--procs", type=int, default=4, help="desk processes")
    args = ap.parse_args()
    if not (1 <= args.teams * args.seats <= MAX_DESKS and 0 <= args.listeners <= MAX_LISTENERS
            and 10 <= args.seconds <= MAX_SECONDS and 1 <= args.seats <= 8):  # fmt: skip
        print(f"at most {MAX_DESKS} desks, {MAX_LISTENERS} listeners, 10..{MAX_SECONDS} s, 1..8 seats",
              file=sys.stderr)  # fmt: skip
        return 2
    from sandbox.server.db import make_engine
    from sandbox.server.league_store import LeagueStore
    from tests.server.live_server import Admin, post_json, request, start_server

    tmp = Path(tempfile.mkdtemp(prefix="shapan-league-bench-"))
    url = f"sqlite:///{tmp / 'league.db'}"
    server = start_server(url, tmp / "srv", clock_speed=1.0, secret=SECRET)
    try:
        import psutil

        proc = psutil.Process(server.proc.pid)
        engine = make_engine(url)
        store = LeagueStore(engine)
        # a bench competition: class-en's rules with room for every team and seat
        shipped = Path(ROOT / "sandbox" / "competitions" / "class-en.yaml").read_text("utf-8")
        bench = tmp / "bench.yaml"
        bench.write_text(shipped.replace("max_teams: 12", f"max_teams: {max(2, args.teams)}")
                         .replace("seats: 2", f"seats: {args.seats}"), "utf-8")  # fmt: skip
        created = store.create(str(bench))
        pk = created["pk"]
        tokens: list[str] = []
        for t in range(args.teams):
            team = post_json(f"{server.url}/api/v1/league/signup",
                             {"join_code": created["join_code"], "name": f"Team {t + 1}"}).json()  # fmt: skip
            if "code" not in team:
                break
            for m in range(1, min(args.seats, team["seats"]) + 1):
                tokens.append(post_json(f"{server.url}/api/v1/league/join",
                                        {"code": team["code"], "member": m}).json()["token"])  # fmt: skip
        engine.dispose()
        admin = Admin(server.url)
        admin.login(SECRET)
        admin.get("/admin/exams")
        csrf = next(c.value for c in admin.jar if c.name == "shapan_csrf")
        cookie = "; ".join(f"{c.name}={c.value}" for c in admin.jar)
        request(f"{server.url}/api/v1/league/{pk}/control", "POST",
                json.dumps({"action": "open", "round": 0}).encode(),
                {"Content-Type": "application/json", "X-CSRF-Token": csrf}, admin.opener)  # fmt: skip
        print(f"{len(tokens)} desks in {len(tokens) // max(1, args.seats)} teams, "
              f"{args.listeners} listeners, {args.seconds:g} s", flush=True)  # fmt: skip
        cpu0 = proc.cpu_times()
        out: mp.Queue = mp.Queue()
        ctx_procs = []
        chunk = max(1, -(-len(tokens) // args.procs))
        for i in range(0, len(tokens), chunk):
            p = mp.Process(
                target=_desks,
                args=(server.url, str(bench), tokens[i : i + chunk], args.seconds, i, out),
            )
            p.start()
            ctx_procs.append(p)
        if args.listeners:
            p = mp.Process(
                target=_listen, args=(server.url, pk, cookie, args.seconds, out, args.listeners)
            )
            p.start()
            ctx_procs.append(p)
        kids = [psutil.Process(p.pid) for p in ctx_procs]
        gen_cpu = 0.0
        peak = 0
        t_end = time.time() + args.seconds + 90
        results = []
        while len(results) < len(ctx_procs) and time.time() < t_end:
            try:
                peak = max(peak, proc.memory_info().rss)
                gen_cpu = max(gen_cpu, sum(_cpu(k) for k in kids))
                results.append(out.get(timeout=1.0))
            except Exception:  # queue.Empty
                continue
        for p in ctx_procs:
            p.join(10)
            if p.is_alive():
                p.kill()
        cpu1 = proc.cpu_times()
        acks = [a for r in results for a in r.get("acks", [])]
        claims = [c for r in results for c in r.get("claims", [])]
        boards = sorted(b for r in results for b in r.get("boards", []))
        lat = [a[1] * 1000 for a in acks]
        srv = [a[2] * 1000 for a in acks]
        board_lat = []
        import bisect

        per = max(1, args.listeners)
        for at, *_ in acks:
            i = bisect.bisect_left(boards, at)
            if i < len(boards):
                board_lat.append(boards[i] - at)
        print(f"decisions acknowledged: {len(acks)}; in the server p50 {_pct(srv, .5):.1f} ms "
              f"p95 {_pct(srv, .95):.1f} ms; round trip at the desks p50 {_pct(lat, .5):.1f} ms "
              f"p95 {_pct(lat, .95):.1f} ms (includes the load generator's own CPU contention)")  # fmt: skip
        cl = [c[0] * 1000 for c in claims]
        cs = [c[1] * 1000 for c in claims]
        print(f"claims acknowledged: {len(claims)}; in the server p50 {_pct(cs, .5):.1f} ms "
              f"p95 {_pct(cs, .95):.1f} ms; round trip p50 {_pct(cl, .5):.1f} ms "
              f"p95 {_pct(cl, .95):.1f} ms")  # fmt: skip
        opened = min((a[0] for a in acks), default=0.0)
        steady = [a[2] * 1000 for a in acks if a[0] - opened >= 30.0]
        print(f"  after the round's first 30 s (every desk joining at once): {len(steady)} "
              f"decisions, in the server p50 {_pct(steady, .5):.1f} ms p95 {_pct(steady, .95):.1f} ms")  # fmt: skip
        print(f"board events received: {len(boards)} by {per} listeners; board latency after a "
              f"decision p50 {_pct(board_lat, .5):.2f} s  p95 {_pct(board_lat, .95):.2f} s")  # fmt: skip
        used = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
        print(f"server process: {used:.1f} CPU-s in {args.seconds:g} s "
              f"({100 * used / args.seconds:.0f}% of one core), peak RSS {peak / 2**20:.0f} MB")  # fmt: skip
        print(f"load generator (desks and listeners, same machine): {gen_cpu:.1f} CPU-s "
              f"({100 * gen_cpu / args.seconds:.0f}% of one core) of the {os.cpu_count()} cores")  # fmt: skip
        print(f"targets: ack p95 < 100 ms (in the server, after the first 30 s): "
              f"{'met' if _pct(steady, .95) < 100 else 'NOT met'}; "
              f"board p95 < 2 s: {'met' if _pct(board_lat, .95) < 2 else 'NOT met'}")  # fmt: skip
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
