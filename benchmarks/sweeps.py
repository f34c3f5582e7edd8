"""Throughput of the sweep executor (sandbox/sweeps.py): contacts played per second by
`shapan journey bots` in process, on 1 and 2 local worker processes, and through a Dask
distributed LocalCluster (2 worker processes, reached by its address as `--scheduler` does).

Run: .venv/bin/python benchmarks/sweeps.py [--runs RUNS] [--journey ID]

Every configuration plays the same runs (seed 0) and the script checks that the reports are
identical. Start-up (process pool, cluster) is timed apart from the sweep itself: a warm-up
sweep runs first, so the figure is the steady rate a long sweep sees.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any


def _timed(label: str, runs: int, make: Callable[[], Any], path: str) -> dict[str, Any]:
    from sandbox.workbench.bots import run_bots

    started = time.perf_counter()
    sweep = make()
    with sweep:
        run_bots(path, runs=50, seed=99, predict=False, progress=False, sweep=sweep)  # warm-up
        ready = time.perf_counter()
        report = run_bots(path, runs=runs, seed=0, predict=False, progress=False, sweep=sweep)
        done = time.perf_counter()
    contacts = runs * len(report.policies)
    rate = contacts / (done - ready)
    print(
        f"{label:<34} {contacts:>7} contacts  {done - ready:>7.2f} s  {rate:>8.0f} contacts/s"
        f"   (start-up {ready - started:.1f} s)",
        flush=True,
    )
    return report.to_json()


def main(argv: list[str] | None = None) -> None:
    from sandbox.cli.common import int_arg
    from sandbox.limits import MAX_BOT_RUNS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int_arg(1, MAX_BOT_RUNS), default=1000,
                        help="runs per policy (default 1000)")  # fmt: skip
    parser.add_argument("--journey", default="package_downgrade_refund",
                        help="a shipped journey id (default package_downgrade_refund)")  # fmt: skip
    args = parser.parse_args(argv)

    from distributed import LocalCluster

    from journeys.library import library_dir
    from sandbox.sweeps import DaskSweep, LocalSweep, Sweep

    path = str(library_dir() / f"{args.journey}.yaml")
    print(f"journey bots on {args.journey}, {args.runs} runs x 4 policies, seed 0")
    results = [
        _timed("in process", args.runs, Sweep, path),
        _timed("1 local worker process", args.runs, lambda: LocalSweep(1), path),
        _timed("2 local worker processes", args.runs, lambda: LocalSweep(2), path),
    ]
    with LocalCluster(
        processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        results.append(
            _timed("Dask LocalCluster (2 processes)", args.runs, lambda: DaskSweep(address), path)
        )
    same = all(r == results[0] for r in results)
    print(f"identical reports in every configuration: {'yes' if same else 'NO'}")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
