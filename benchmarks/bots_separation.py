"""The bots' skill ladder over the shipped library: per journey and policy, the mean journey
score, predicted CSAT and resolution rate with their bootstrap 95% intervals, and whether every
neighbour in expert > competent > novice > random is apart on all three (docs/bots.md).

Run: .venv/bin/python benchmarks/bots_separation.py [--runs RUNS] [--seed S] [--markdown]
(default 500 runs per policy, seed 0: the figures of `shapan journey bots PATH --runs 500`).
"""

from __future__ import annotations

import argparse
import time

from journeys.library import shipped_journey_paths
from sandbox.workbench.bots import RANKING, SEPARATED, BotsReport, run_bots


def _cell(value: float, ci: list[float] | None, pct: bool) -> str:
    if ci is None:
        return "-"
    if pct:
        return f"{value:.1%} [{ci[0]:.1%}, {ci[1]:.1%}]"
    return f"{value:.2f} [{ci[0]:.2f}, {ci[1]:.2f}]"


def rows(report: BotsReport) -> list[list[str]]:
    """One row per policy, best first: journey, policy, score, CSAT, resolution."""
    by = {s.policy: s for s in report.policies}
    out = []
    for p in RANKING:
        s = by[p]
        ci = s.intervals
        out.append(
            [
                report.journey_id,
                p,
                _cell(s.mean_score, ci.get("mean_score"), False),
                _cell(s.csat_mean or 0.0, ci.get("csat_mean"), False),
                _cell(s.resolution_rate, ci.get("resolution_rate"), True),
            ]
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown", action="store_true", help="a Markdown table")
    args = parser.parse_args(argv)
    head = ["journey", "policy", "score [95% CI]", "CSAT [95% CI]", "resolved [95% CI]"]
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
    apart_everywhere = True
    t0 = time.perf_counter()
    for path in shipped_journey_paths():
        report = run_bots(path, runs=args.runs, seed=args.seed, progress=False)
        apart_everywhere &= bool(report.separation["holds"])
        for row in rows(report):
            print(("| " + " | ".join(row) + " |") if args.markdown else "  ".join(row))
        if not args.markdown:
            flags = ", ".join(
                f"{m} {'apart' if all(p['disjoint'] for p in report.separation[m]) else 'OVERLAP'}"
                for m in SEPARATED
            )
            print(f"  -> {flags}")
    print(
        f"\nevery neighbour apart on score, CSAT and resolution: {apart_everywhere} "
        f"({args.runs} runs per policy, seed {args.seed}, {time.perf_counter() - t0:.1f} s)"
    )
    return 0 if apart_everywhere else 1


if __name__ == "__main__":
    raise SystemExit(main())
