"""Peak memory and CPU time of the largest runs the limits allow (docs/limits.md).

Two runs, each `shapan run` in a fresh process measured with wait4 (ru_maxrss = that
process's high-water mark, interpreter, numpy and models included):

1. served: `full-day` with the most agents (MAX_AGENTS) for as many hours as the customer
   limit allows (MAX_EXPECTED_CONTACTS expected customers) — the largest run that is served;
2. queued: the most customers the limit allows arriving at the highest rate on one channel
   with one agent and no patience, so nearly all of them wait in the queue at once — the
   worst case for memory (a waiting customer costs ~2 KB).

Run:  python benchmarks/limits.py [--scale 0.1] [--json]
`--scale` runs a fraction of each (hours × scale) for a quick look; the figures in
docs/limits.md are at scale 1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox import limits as L  # noqa: E402

QUEUED = """\
scenario: limits-queued
title: Largest queue the limits allow
duration: {hours}h
drain: 0s
channels:
  phone: {{arrivals_per_hour: {rate}, interval: 1h, patience: none}}
service: {{model: exponential, mean: 300s}}
journeys: {{policy_terms_explanation: 1}}
agents:
  - {{id: one, count: 1, policy: competent, channels: [phone]}}
"""


def measure(args: list[str], cwd: str) -> dict[str, Any]:
    """Run `shapan ARGS` in a fresh process; its exit status, CPU, wall and peak memory."""
    argv = [sys.executable, "-c", "import sys; from sandbox.cli import main; sys.exit(main())"]
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*argv, *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    err = proc.stderr.read().decode() if proc.stderr else ""
    return {
        "exit": os.waitstatus_to_exitcode(status),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "wall_s": round(time.perf_counter() - started, 1),
        "peak_mb": round(usage.ru_maxrss / 1024.0, 1),
        "error": err.strip()[-300:] if status else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of each run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from sandbox.scenario import load_scenario

    full_day = load_scenario("full-day")
    per_hour = L.expected_contacts(full_day) / (full_day.duration_s / 3600)
    served_h = int(L.MAX_EXPECTED_CONTACTS / per_hour)
    rate = L.MAX_ARRIVALS_PER_HOUR
    queued_h = L.MAX_EXPECTED_CONTACTS / rate
    out: dict[str, Any] = {"scale": args.scale, "limits": {
        "MAX_AGENTS": L.MAX_AGENTS, "MAX_EXPECTED_CONTACTS": L.MAX_EXPECTED_CONTACTS,
        "MAX_ARRIVALS_PER_HOUR": L.MAX_ARRIVALS_PER_HOUR}}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        hours = round(served_h * args.scale, 3)
        out["served"] = {
            "run": f"full-day --agents {L.MAX_AGENTS} --hours {hours:g} "
            f"(~{per_hour * hours:,.0f} customers expected)",
            **measure(["run", "--scenario", "full-day", "--agents", str(L.MAX_AGENTS),
                       "--hours", f"{hours:g}", "--no-db", "--no-report", "--out",
                       str(Path(tmp) / "served")], tmp),
        }  # fmt: skip
        print(json.dumps(out["served"]), file=sys.stderr)
        scenario = Path(tmp) / "queued.yaml"
        hours = round(queued_h * args.scale, 4)
        scenario.write_text(QUEUED.format(hours=hours, rate=rate), encoding="utf-8")
        out["queued"] = {
            "run": f"{rate:,.0f} customers/h for {hours:g} h, one agent, no patience",
            **measure(["run", "--scenario", str(scenario), "--no-db", "--no-report", "--out",
                       str(Path(tmp) / "queued")], tmp),
        }  # fmt: skip
    if args.json:
        print(json.dumps(out, indent=1))
        return
    for key in ("served", "queued"):
        r = out[key]
        print(f"{key:7} {r['run']}: exit {r['exit']}, peak {r['peak_mb']:.0f} MB, "
              f"CPU {r['cpu_s']:.0f} s, wall {r['wall_s']:.0f} s {r['error']}")  # fmt: skip


if __name__ == "__main__":
    main()
