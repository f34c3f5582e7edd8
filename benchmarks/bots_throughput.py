"""Throughput of `shapan journey bots`: contacts played per second, serial and on all cores.

Run: .venv/bin/python benchmarks/bots_throughput.py [--runs RUNS]   (default 500 per policy)
"""

from __future__ import annotations

import argparse
import os
import time

from journeys.library import library_dir
from sandbox.workbench.bots import run_bots


def decision_cost() -> None:
    """Microseconds per policy decision on a real run's choice node."""
    import random

    from journeys import policies
    from journeys.library import load_shipped
    from journeys.runtime import JourneyRun

    run = JourneyRun(load_shipped("package_downgrade_refund"), 1)
    run.start()
    rng = random.Random(0)
    for policy in policies.POLICIES:
        n = 20_000
        t = time.perf_counter()
        for _ in range(n):
            policies.choose(policy, run, rng)
        print(f"policy {policy}: {(time.perf_counter() - t) / n * 1e6:.1f} µs per decision")


def main(argv: list[str] | None = None) -> None:
    from sandbox.cli.common import int_arg
    from sandbox.limits import MAX_BOT_RUNS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs_pos", nargs="?", type=int_arg(1, MAX_BOT_RUNS), metavar="RUNS",
                        help=argparse.SUPPRESS)  # fmt: skip
    parser.add_argument("--runs", type=int_arg(1, MAX_BOT_RUNS), default=None,
                        help="runs per policy (default 500)")  # fmt: skip
    args = parser.parse_args(argv)
    runs = args.runs or args.runs_pos or 500
    decision_cost()
    path = library_dir() / "package_downgrade_refund.yaml"
    for workers in (1, os.cpu_count() or 1):
        t = time.perf_counter()
        run_bots(path, runs=runs, seed=0, workers=workers, predict=False, progress=False)
        dt = time.perf_counter() - t
        print(f"workers={workers}: {4 * runs} contacts in {dt:.2f} s = {4 * runs / dt:.0f}/s")
    t = time.perf_counter()
    run_bots(path, runs=runs, seed=0, workers=os.cpu_count(), predict=True, progress=False)
    print(f"with CSAT/churn predictions: {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
