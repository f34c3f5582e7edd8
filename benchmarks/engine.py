"""Engine speed and memory against its targets, each measured in a fresh subprocess.

Prints, in one run:
1. contacts/s of the shapan engine on the `erlang` scenario next to a bare, hand-written SimPy
   M/M/n+M model with the same parameters (read from the scenario file) — target ratio >= 0.8;
2. the `full-day` scenario's wall time (setup + run to the end + results) and peak memory —
   target <= 12 s of CPU on a 2-core machine;
3. peak memory of `full-day` at 10x the contacts (the day repeated ten times) — target
   < 1.3x the peak at 1x;
4. the line counts of the code that plays contacts (physical lines / code lines: no blank,
   comment or docstring lines) before (commit 87e73f2, main when issue 11 was filed, read
   with `git show`) and after (the working tree), their totals, and whether the one contact
   kernel is smaller than the paths it replaces, by code lines (issue 11). Counted from the
   source, without importing the engine, in well under a second; `--lines-only` prints just
   this (with `--json`: just its JSON); without git or the base commit it says so.

Speeds are per CPU second of the measuring process (time.process_time): the engine is single
threaded, so on an idle machine CPU time equals wall time, and on a machine shared with other
jobs CPU time is the figure that does not depend on them (wall time is printed too).
Peak memory is the child process's ru_maxrss, so each figure is a clean process's high-water
mark (interpreter, numpy, models included). The RSS after setup is printed too, so the growth
due to contacts is visible separately.

Run:  python benchmarks/engine.py [--json] [--erlang-hours 200] [--rounds 7] [--seed 1]
      [--skip-10x] [--scale 10] [--memory-base-hours H] [--profile] [--breakdown]
      [--lines-only]
The engine/bare ratio is the median of `--rounds` pairs measured back to back (the target is
judged on it); the ratio of each side's best round is printed too.
`--breakdown` adds the engine's per-contact CPU time by stage (ablation runs of the erlang
scenario): queueing and routing, then batch play with predictions and KPIs.
The full 10x run repeats the 8 h day ten times (~400,000 contacts); `--memory-base-hours 0.8`
checks the same flatness property an order of magnitude cheaper (0.8 h vs 8 h).
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tokenize
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.8  # issue 11 (was 0.67)
TARGET_FULL_DAY_S = 12.0  # CPU seconds, issue 11 (was 30)
TARGET_MEMORY_RATIO = 1.3


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _rss_mb() -> float:
    """Current resident set size (Linux /proc), to separate setup from growth."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # pragma: no cover - non-Linux
        return float("nan")


# -- line counts (issue 11: "the kernel should be smaller than the paths it replaces") ------
#: main when issue 11 was filed: the contact-playing paths the kernel replaces are read here.
LINES_BASE = "87e73f2"

#: Entries are "path" (a whole module) or "path:name" (one function or "Class.method", counted
#: over its ast span, decorators included), each with a one-line why.
#: Before (at LINES_BASE): every path that played a contact. sandbox/engine/center.py (999
#: lines, five jobs) drove the players but played no contact itself, so it is left out.
BEFORE_PATHS: tuple[tuple[str, str], ...] = (
    ("sandbox/engine/contact.py", "ContactPlay: one contact at a time (trainees, bots)"),
    ("sandbox/engine/batch_play.py", "BatchPlayer: bot contacts in numpy batches"),
    ("customer_models/reaction.py", "the scalar reaction model (mood, drain, hang-ups)"),
    ("customer_models/reaction_batch.py", "the same reaction model for batches"),
    ("journeys/policies.py", "the bot policies, scalar and batch"),
    ("sandbox/engine/offline.py:play_journey", "its own loop over ContactPlay (journey bots)"),
    ("sandbox/calibration_rows.py:row2", "calibration row 2: its own policy loop on JourneyRun"),
    ("journeys/transcripts.py:record", "a transcript: its own loop on JourneyRun"),
)
#: After (the working tree): the one contact kernel both players share.
KERNEL_PATHS: tuple[tuple[str, str], ...] = (
    ("sandbox/engine/contact.py", "ContactPlay, one contact at a time"),
    ("sandbox/engine/batch_play.py", "BatchPlayer, bot contacts in batches"),
    ("sandbox/engine/journey_table.py", "the stepper table and count_step both players use"),
    ("customer_models/reaction.py", "the scalar reaction model"),
    ("customer_models/reaction_batch.py", "the batch reaction model"),
    ("journeys/policies.py", "the bot policies, one implementation for one or many"),
)
#: After: paths that still play a journey with their own loop (not replaced: in the total).
SEPARATE_PATHS: tuple[tuple[str, str], ...] = (
    ("journeys/transcripts.py:record", "still steps a bare JourneyRun (no customer model)"),
)
#: After: code that plays contacts only by calling the kernel (listed, not in the totals).
CALLER_PATHS: tuple[tuple[str, str], ...] = (
    ("sandbox/engine/offline.py:play_journey", "a bot's offline contact: loop over ContactPlay"),
    ("sandbox/engine/service.py:Service.play_bot", "the engine's bot loop over ContactPlay"),
    ("sandbox/engine/foresight.py:by_the_book", "practice foresight: expert over a fork"),
    ("sandbox/workbench/bots.py:_play_chunk", "journey bots: calls offline.play_journey"),
    ("sandbox/calibration_rows.py:play_center", "calibration: a Session of the engine"),
)


def count_lines(source: str, name: str | None = None) -> tuple[int, int]:
    """(physical lines, code lines) of `source`, or of its function/method `name` ("f" or
    "Class.f", decorators included). Code lines carry a token that is not a comment and not
    part of a docstring (module, class or function); only the counted span is tokenized."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    lo, hi = 1, len(lines)
    if name is not None:
        body: list[ast.stmt] = tree.body
        node: ast.stmt | None = None
        for part in name.split("."):
            node = next((n for n in body if isinstance(n, _DEFS) and n.name == part), None)
            if node is None:
                raise LookupError(f"no {name!r}")
            body = node.body  # type: ignore[attr-defined]
        assert node is not None
        lo = min([node.lineno, *(d.lineno for d in node.decorator_list)])  # type: ignore[attr-defined]
        hi = node.end_lineno or node.lineno
    docstrings = [
        (n.body[0].lineno, n.body[0].end_lineno or n.body[0].lineno)
        for n in ast.walk(tree)
        if isinstance(n, (ast.Module, *_DEFS))
        and n.body
        and isinstance(n.body[0], ast.Expr)
        and isinstance(n.body[0].value, ast.Constant)
        and isinstance(n.body[0].value.value, str)
    ]
    code: set[int] = set()
    span = io.StringIO("".join(lines[lo - 1 : hi]))
    for tok in tokenize.generate_tokens(span.readline):
        if tok.type in _NOT_CODE:
            continue
        first, last = tok.start[0] + lo - 1, tok.end[0] + lo - 1
        if tok.type == tokenize.STRING and any(a <= first and last <= b for a, b in docstrings):
            continue
        code.update(range(first, last + 1))
    return hi - lo + 1, len(code)


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_NOT_CODE = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
             tokenize.ENCODING, tokenize.ENDMARKER}  # fmt: skip


def _count_entries(
    entries: tuple[tuple[str, str], ...], read: Any
) -> dict[str, dict[str, int | str]]:
    """Entry -> {"lines", "code", "why"}, each file read once by `read(path) -> source`."""
    sources: dict[str, str] = {}
    out: dict[str, dict[str, int | str]] = {}
    for entry, why in entries:
        path, _, name = entry.partition(":")
        if path not in sources:
            sources[path] = read(path)
        lines, code = count_lines(sources[path], name or None)
        out[entry] = {"lines": lines, "code": code, "why": why}
    return out


def line_counts(base: str = LINES_BASE) -> dict[str, Any]:
    """Line counts of the contact-playing code before (`base`, read with `git show`) and
    after (the working tree); no engine import, well under a second. If git or the base
    commit is missing (e.g. a shallow clone), {"base", "unavailable": why}."""

    def at_base(path: str) -> str:
        return subprocess.run(["git", "show", f"{base}:{path}"], cwd=ROOT, capture_output=True,
                              text=True, encoding="utf-8", check=True).stdout  # fmt: skip

    try:
        before = _count_entries(BEFORE_PATHS, at_base)
        after = _count_entries(KERNEL_PATHS + SEPARATE_PATHS + CALLER_PATHS,
                               lambda p: (ROOT / p).read_text(encoding="utf-8"))  # fmt: skip
    except (OSError, LookupError, SyntaxError, subprocess.CalledProcessError) as err:
        why = err.stderr.strip().splitlines()[-1] if getattr(err, "stderr", None) else str(err)
        return {"base": base, "unavailable": why}

    def total(d: dict[str, dict[str, Any]], keys: Any) -> dict[str, int]:
        return {k: sum(d[e][k] for e in keys) for k in ("lines", "code")}

    kernel = [e for e, _ in KERNEL_PATHS]
    separate = [e for e, _ in SEPARATE_PATHS]
    replaced = [e for e in before if e not in separate]
    totals = {
        "before": total(before, before),
        "replaced": total(before, replaced),
        "kernel": total(after, kernel),
        "separate": total(after, separate),
        "after": total(after, kernel + separate),
        "callers": total(after, [e for e, _ in CALLER_PATHS]),
    }
    return {"base": base, "before": before, "kernel": kernel, "separate": separate,
            "callers": [e for e, _ in CALLER_PATHS], "after": after, "totals": totals,
            "kernel_smaller": totals["kernel"]["code"] < totals["replaced"]["code"]}  # fmt: skip


def print_line_counts(doc: dict[str, Any]) -> None:
    """The table of `line_counts`: lines / code lines per entry, totals, and the verdict."""
    if "unavailable" in doc:
        print(f"line counts unavailable (base {doc['base']}): {doc['unavailable']}")
        return

    def cell(d: dict[str, Any] | None) -> str:
        return f"{d['lines']:>5} / {d['code']:>4}" if d else f"{'-':>12}"

    before, after, t = doc["before"], doc["after"], doc["totals"]
    role = dict.fromkeys(doc["kernel"], "kernel")
    role.update(dict.fromkeys(doc["separate"], "separate (in the total)"))
    role.update(dict.fromkeys(doc["callers"], "caller (not in the total)"))
    print(f"contact-playing code, lines / code lines: before = {doc['base']} (issue 11's base), "
          f"after = working tree")  # fmt: skip
    print(f"  {'entry':<45} {'before':>12}  {'after':>12}")
    for entry in [*before, *(e for e in after if e not in before)]:
        note = role.get(entry, "gone")
        print(f"  {entry:<45} {cell(before.get(entry))}  {cell(after.get(entry))}  {note}")
    print(f"  {'total (after: kernel + separate)':<45} {cell(t['before'])}  {cell(t['after'])}")
    print(f"  {'kernel':<45} {'':>12}  {cell(t['kernel'])}")
    print(f"  {'callers of the kernel':<45} {'':>12}  {cell(t['callers'])}")
    k, r = t["kernel"]["code"], t["replaced"]["code"]
    print(f"kernel smaller than the paths it replaces (code lines): "
          f"{'YES' if doc['kernel_smaller'] else 'NO'} — kernel {k:,} vs {r:,} before "
          f"({(k - r) / r:+.0%}; the replaced paths exclude {', '.join(doc['separate'])}, "
          f"which still plays on its own)")  # fmt: skip


def erlang_parameters(hours: float) -> dict[str, Any]:
    """The M/M/n+M parameters of the shipped `erlang` scenario."""
    from sandbox.scenario import load_scenario

    sc = load_scenario("erlang")
    (channel,) = sc.channels
    agents = sum(g.count for g in sc.agents)
    patience = channel.patience_mean_s if channel.patience == "exponential" else None
    return {
        "arrivals_per_s": channel.arrivals_per_hour / 3600.0,
        "aht_s": float(sc.service.mean_s),
        "patience_s": patience,
        "agents": agents,
        "duration_s": hours * 3600.0,
    }


# -- children --------------------------------------------------------------------------------
def child_bare(hours: float, seed: int) -> dict[str, Any]:
    """A bare, hand-written SimPy M/M/n+M: arrivals, one Resource, patience by `any_of`."""
    import random

    import simpy

    p = erlang_parameters(hours)
    rng = random.Random(seed)
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=p["agents"])
    stats = {"arrived": 0, "answered": 0, "abandoned": 0, "wait": 0.0}
    lam, mu = p["arrivals_per_s"], 1.0 / p["aht_s"]
    theta = 1.0 / p["patience_s"] if p["patience_s"] else None

    def customer(env: simpy.Environment):
        arrived = env.now
        with agents.request() as req:
            if theta is None:
                yield req
            else:
                patience = env.timeout(rng.expovariate(theta))
                result = yield req | patience
                if req not in result:
                    stats["abandoned"] += 1
                    return
            stats["answered"] += 1
            stats["wait"] += env.now - arrived
            yield env.timeout(rng.expovariate(mu))

    def source(env: simpy.Environment):
        while True:
            yield env.timeout(rng.expovariate(lam))
            if env.now >= p["duration_s"]:
                return
            stats["arrived"] += 1
            env.process(customer(env))

    env.process(source(env))
    start, cpu0 = time.perf_counter(), time.process_time()
    env.run()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
    return {"contacts": stats["arrived"], "wall_s": wall, "cpu_s": cpu,
            "rate": stats["arrived"] / cpu, "rate_wall": stats["arrived"] / wall,
            "asa_s": stats["wait"] / max(1, stats["answered"]),
            "p_abandon": stats["abandoned"] / max(1, stats["answered"] + stats["abandoned"]),
            "peak_mb": _maxrss_mb()}  # fmt: skip


def child_engine_erlang(hours: float, seed: int) -> dict[str, Any]:
    from sandbox.scenario import load_scenario
    from sandbox.session import Session

    t0 = time.perf_counter()
    sc = load_scenario("erlang").with_overrides(hours=hours)
    session = Session(sc, seed=seed, human_policy="expert")
    setup = time.perf_counter() - t0
    start, cpu0 = time.perf_counter(), time.process_time()
    session.run_to_end()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
    k = session.kpi.kpis()
    return {"contacts": k["contacts"], "wall_s": wall, "cpu_s": cpu, "setup_s": setup,
            "rate": k["contacts"] / cpu, "rate_wall": k["contacts"] / wall, "asa_s": k["asa_s"],
            "p_abandon": k["abandonment_rate"], "peak_mb": _maxrss_mb()}  # fmt: skip


#: Ablations for `--breakdown`: "no-flush" drops finished bot contacts instead of playing,
#: predicting and counting them, so "full" minus "no-flush" is the batch stage's cost.
#: Measurement only.
BREAKDOWN_MODES = ("full", "no-flush")


def child_breakdown(hours: float, seed: int, rounds: int = 3) -> dict[str, Any]:
    """Per-contact CPU µs of the erlang engine run in each of BREAKDOWN_MODES. The modes run
    round-robin in one process, `rounds` times, and each keeps its least time: differences
    of timings need the noise of a shared machine to hit every mode alike."""
    from sandbox.scenario import load_scenario
    from sandbox.session import Session

    sc = load_scenario("erlang").with_overrides(hours=hours)
    best = dict.fromkeys(BREAKDOWN_MODES, float("inf"))
    for _ in range(rounds):
        for mode in BREAKDOWN_MODES:
            session = Session(sc, seed=seed, human_policy="expert")
            center = session.center
            if mode == "no-flush":
                center.hooks.deferred = lambda c: None
            cpu0 = time.process_time()
            session.run_to_end()
            cpu = time.process_time() - cpu0
            best[mode] = min(best[mode], cpu / center.counts["arrived"] * 1e6)
    return best


def child_full_day(hours: float, seed: int, profile: bool) -> dict[str, Any]:
    """`full-day` run for `hours` (0 = as written; more repeats the day) like `shapan run`."""
    from sandbox.scenario import load_scenario
    from sandbox.session import Session

    t0, cpu0 = time.perf_counter(), time.process_time()
    sc = load_scenario("full-day")
    if hours:
        sc = sc.with_overrides(hours=hours)
    with tempfile.TemporaryDirectory(prefix="shapan-bench-") as out:
        session = Session(sc, seed=seed, human_policy="competent", out_dir=out)
        setup = time.perf_counter() - t0
        rss_setup = _rss_mb()
        prof = None
        if profile:
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
        start = time.perf_counter()
        session.run_to_end()
        run = time.perf_counter() - start
        if prof is not None:
            prof.disable()
        start = time.perf_counter()
        results = session.results()
        session.close()
        results_s = time.perf_counter() - start
        cpu = time.process_time() - cpu0
        start = time.perf_counter()
        from sandbox.results import write_exports

        write_exports(results, out, lang="zh-CN")
        export = time.perf_counter() - start
        sizes = {
            p.name: p.stat().st_size for p in Path(out).iterdir() if not p.name.startswith(".")
        }
    out_doc = {"contacts": results["kpis"]["contacts"], "setup_s": setup, "run_s": run,
               "results_s": results_s, "export_s": export, "wall_s": setup + run + results_s, "cpu_s": cpu,
               "rate": results["kpis"]["contacts"] / run, "rss_setup_mb": rss_setup,
               "peak_mb": _maxrss_mb(), "file_bytes": sizes,
               "kpis": {k: results["kpis"][k] for k in ("service_level", "asa_s", "aht_s",
                                                       "abandonment_rate", "csat_mean")}}  # fmt: skip
    if prof is not None:
        import io
        import pstats

        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(15)
        out_doc["profile"] = buf.getvalue()
    return out_doc


# -- parent ----------------------------------------------------------------------------------
def _spawn(*args: str) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    # one BLAS thread: the engine is single threaded (it limits BLAS itself around its
    # predictions), and an idle BLAS pool still burns CPU time that `process_time` would
    # charge to whichever child imported numpy (the bare model too: it reads the scenario)
    env = dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--erlang-hours",
        type=float,
        default=200.0,
        help="simulated hours for the engine-vs-bare comparison (default 200, ~40,000 "
        "contacts: long enough that the bare model's time is well above timer noise)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--rounds",
        type=int,
        default=7,
        help="bare/engine pairs measured back to back; the median pair is reported (default 7)",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=10.0,
        help="contacts multiple for the memory-growth run (default 10)",
    )
    parser.add_argument(
        "--skip-10x",
        action="store_true",
        help="skip the long 10x memory run (about 10x the full-day time)",
    )
    parser.add_argument(
        "--memory-base-hours",
        type=float,
        default=0.0,
        help="1x of the memory comparison: full-day cut to this many hours (default: the "
        "whole 8 h day, so 10x = 80 h and ~400,000 contacts)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print the full-day run's top functions (cProfile); the full-day time then "
        "includes the profiler's overhead (about 2x) and is not comparable with the target",
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also print the engine's per-contact CPU time by stage on the erlang scenario "
        "(queueing, journey play, record building, predictions + KPIs), by ablation: up to "
        "100 simulated hours per run, 4 modes round-robin x 3, least time each",
    )
    parser.add_argument(
        "--lines-only",
        action="store_true",
        help="print only the contact-playing code's line counts before (87e73f2) and after "
        "(the working tree): no benchmark runs, well under a second",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)  # fmt: skip

    if args.child:
        kind, *rest = args.child
        if kind == "bare":
            doc = child_bare(float(rest[0]), int(rest[1]))
        elif kind == "engine":
            doc = child_engine_erlang(float(rest[0]), int(rest[1]))
        elif kind == "breakdown":
            doc = child_breakdown(float(rest[0]), int(rest[1]))
        else:
            doc = child_full_day(float(rest[0]), int(rest[1]), rest[2] == "1")
        print(json.dumps(doc))
        return 0

    if args.lines_only:
        lines = line_counts()
        if args.json:
            print(json.dumps(lines, indent=2))
        else:
            print_line_counts(lines)
        return 0

    hours, seed = str(args.erlang_hours), str(args.seed)
    # bare and engine back to back, several rounds: on a shared machine the speed drifts by
    # tens of percent within a minute, so each round's ratio compares like with like and the
    # median round is reported
    pairs = [
        (_spawn("bare", hours, seed), _spawn("engine", hours, seed)) for _ in range(args.rounds)
    ]
    pairs.sort(key=lambda p: p[1]["rate"] / p[0]["rate"])
    bare, engine = pairs[len(pairs) // 2]
    round_ratios = [e["rate"] / b["rate"] for b, e in pairs]
    # best of the rounds on each side (noise on a shared machine only ever adds time)
    best_ratio = max(e["rate"] for _, e in pairs) / max(b["rate"] for b, _ in pairs)
    day = _spawn("full-day", "0", seed, "1" if args.profile else "0")
    base, big = day, None
    if not args.skip_10x:
        if args.memory_base_hours:
            base = _spawn("full-day", str(args.memory_base_hours), seed, "0")
        from sandbox.scenario import load_scenario

        day_hours = load_scenario("full-day").duration_s / 3600.0
        big_hours = (args.memory_base_hours or day_hours) * args.scale
        # e.g. 0.8 h x 10 is the full day itself: reuse that measurement
        if abs(big_hours - day_hours) < 1e-9:
            big = day
        else:
            big = _spawn("full-day", str(big_hours), seed, "0")
    breakdown = None
    if args.breakdown:
        parts = _spawn("breakdown", str(min(args.erlang_hours, 100.0)), seed)
        bare_us = bare["cpu_s"] / bare["contacts"] * 1e6
        breakdown = {
            "bare_model_us": bare_us,
            "engine_us": parts["full"],
            "queueing_routing_us": parts["no-flush"],
            "batch_play_predictions_kpis_us": parts["full"] - parts["no-flush"],
            "budget_us_for_target": bare_us / TARGET_RATIO,
        }
    ratio = engine["rate"] / bare["rate"]
    mem_ratio = big["peak_mb"] / base["peak_mb"] if big else None
    growth_ratio = (
        (big["peak_mb"] - big["rss_setup_mb"]) / max(1e-9, base["peak_mb"] - base["rss_setup_mb"])
        if big
        else None
    )
    doc = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "erlang": {"hours": args.erlang_hours, "bare": bare, "engine": engine,
                   "ratio": ratio, "round_ratios": round_ratios, "best_ratio": best_ratio,
                   "target": TARGET_RATIO,
                   "met": ratio >= TARGET_RATIO,
                   "breakdown": breakdown},
        "full_day": {**{k: v for k, v in day.items() if k != "profile"},
                     "target_s": TARGET_FULL_DAY_S, "met": day["cpu_s"] < TARGET_FULL_DAY_S},
        "memory": None if big is None else {
            "scale": args.scale, "contacts_1x": base["contacts"], "contacts_nx": big["contacts"],
            "peak_mb_1x": base["peak_mb"], "peak_mb_nx": big["peak_mb"], "ratio": mem_ratio,
            "growth_ratio": growth_ratio, "wall_s_nx": big["wall_s"],
            "target": TARGET_MEMORY_RATIO, "met": mem_ratio < TARGET_MEMORY_RATIO},
        "lines": line_counts(),
    }  # fmt: skip
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        e = doc["erlang"]
        print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
        print(f"erlang scenario, {args.erlang_hours:g} simulated hours (speed per CPU second):")
        for label, r in (("bare SimPy M/M/n+M", bare), ("shapan engine", engine)):
            print(
                f"  {label:<20} {r['rate']:>10,.0f} contacts/s  ({r['contacts']:,} contacts, "
                f"CPU {r['cpu_s']:.2f} s, wall {r['wall_s']:.2f} s)"
            )
        print(
            f"  ratio engine/bare    {ratio:>10.2f}   target >= {TARGET_RATIO}  "
            f"{'MET' if e['met'] else 'MISSED'}  (median of {len(round_ratios)} back-to-back "
            f"rounds; range {min(round_ratios):.2f}-{max(round_ratios):.2f}; best rounds "
            f"{best_ratio:.2f})"
        )
        if breakdown is not None:
            b = breakdown
            print(
                f"  per contact (CPU µs, by ablation): engine {b['engine_us']:.1f} = queueing + "
                f"routing {b['queueing_routing_us']:.1f} + batch play, predictions and KPIs "
                f"{b['batch_play_predictions_kpis_us']:.1f}; bare model "
                f"{b['bare_model_us']:.1f}; the target allows {b['budget_us_for_target']:.1f}"
            )
        print(
            f"full-day: {day['contacts']:,} contacts; CPU {day['cpu_s']:.1f} s "
            f"(target < {TARGET_FULL_DAY_S:g} s) {'MET' if doc['full_day']['met'] else 'MISSED'}; "
            f"wall: setup {day['setup_s']:.1f} + run {day['run_s']:.1f} + results "
            f"{day['results_s']:.1f} = {day['wall_s']:.1f} s"
        )
        print(
            f"  exports (results.json + report.html) {day['export_s']:.1f} s; "
            f"peak RSS {day['peak_mb']:.0f} MB (after setup {day['rss_setup_mb']:.0f} MB)"
        )
        if big is not None:
            m = doc["memory"]
            print(
                f"memory: 1x = {base['contacts']:,} contacts, peak RSS {base['peak_mb']:.0f} MB; "
                f"{args.scale:g}x the time = {big['contacts']:,} contacts "
                f"({big['contacts'] / base['contacts']:.1f}x), peak RSS {big['peak_mb']:.0f} MB "
                f"-> {mem_ratio:.2f}x (target < {TARGET_MEMORY_RATIO}) "
                f"{'MET' if m['met'] else 'MISSED'}; growth beyond setup {growth_ratio:.2f}x"
            )
        if args.profile and "profile" in day:
            print("full-day profile (its CPU time above includes the profiler's overhead):")
            print(day["profile"])
        print_line_counts(doc["lines"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
