"""Helpers of the fault tests (imported by the tests; fixtures are in conftest.py): the real `shapan` CLI in a subprocess, measured.

Each run reports its exit status, stdout, stderr, wall and CPU seconds and peak memory
(ru_maxrss from os.wait4, the child's own high-water mark). CPU time is what the limits are
judged on: the CI machine (and this one) is shared, so wall time also counts other jobs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sandbox.scenario import SCENARIO_DIR

ROOT = Path(__file__).resolve().parents[2]
ERLANG_JOURNEY = SCENARIO_DIR / "journeys" / "erlang_call.yaml"
SHAPAN = [sys.executable, "-c", "import sys; from sandbox.cli import main; sys.exit(main())"]


@dataclass
class Ran:
    argv: Sequence[str]
    code: int
    out: str
    err: str
    wall_s: float
    cpu_s: float
    maxrss_mb: float

    def one_line_error(self) -> bool:
        """Exactly one line on stderr, an error, no traceback."""
        lines = self.err.strip().splitlines()
        return len(lines) == 1 and "error" in lines[0] and "Traceback" not in self.err


def run_cli(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
    preexec: Callable[[], None] | None = None,
    argv: Sequence[str] | None = None,
) -> Ran:
    """Run `shapan ARGS` (or `argv`), kill it after `timeout` s; measure it with wait4."""
    full = list(argv) if argv is not None else [*SHAPAN, *args]
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    started = time.perf_counter()
    proc = subprocess.Popen(
        full,
        cwd=cwd,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        preexec_fn=preexec,
    )
    out: list[bytes] = []
    err: list[bytes] = []
    readers = [
        threading.Thread(target=lambda: out.append(proc.stdout.read())),  # type: ignore[union-attr]
        threading.Thread(target=lambda: err.append(proc.stderr.read())),  # type: ignore[union-attr]
    ]
    for r in readers:
        r.start()
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for r in readers:
        r.join()
    return Ran(
        full,
        proc.returncode,
        b"".join(out).decode("utf-8", "replace"),
        b"".join(err).decode("utf-8", "replace"),
        time.perf_counter() - started,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024.0,
    )


def tiny_scenario(**fields: str) -> str:
    """A small valid scenario (20 min, ~20 customers, 2 bots); `fields` replace lines by key."""
    base = {
        "scenario": "tiny",
        "title": "Tiny",
        "duration": "20m",
        "seed": "3",
        "drain": "10m",
        "channels": "\n  phone: {arrivals_per_hour: 60, patience: {mean: 90s}}",
        "service": "{model: exponential, mean: 120s}",
        "journey_files": f"[{ERLANG_JOURNEY}]",
        "journeys": "{erlang_call: 1}",
        "agents": "\n  - {id: bot, count: 2, policy: expert, channels: [phone]}",
    }
    base.update(fields)
    return "".join(f"{k}: {v}\n" for k, v in base.items() if v is not None)
