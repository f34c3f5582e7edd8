"""Journey language figures: load time per shipped journey, and JourneyRun throughput.

Run: python benchmarks/journey_run.py [--runs 20000]
The engine target is 40,000+ contacts in under 30 s in total, so the journey part should stay a
small share: this prints runs/s, choose() and choices() cost, and to_json/from_json cost.
"""

from __future__ import annotations

import argparse
import random
import time

from journeys import JourneyRun, load_journey
from journeys.library import load_all_shipped, shipped_journey_paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20_000)
    args = parser.parse_args()

    paths = shipped_journey_paths()
    t0 = time.perf_counter()
    for p in paths:
        load_journey(p)
    load_ms = (time.perf_counter() - t0) * 1000 / max(1, len(paths))
    journeys = list(load_all_shipped().values())
    print(f"journeys: {len(journeys)}; load+validate: {load_ms:.1f} ms per journey")

    rng = random.Random(0)
    steps = choices_calls = 0
    t_choices = t_choose = 0.0
    t0 = time.perf_counter()
    for i in range(args.runs):
        journey = journeys[i % len(journeys)]
        run = JourneyRun(journey, i, {"anger": rng.randint(0, 10), "segment": "vip"})
        run.start()
        while not run.finished:
            a = time.perf_counter()
            options = run.choices()
            b = time.perf_counter()
            choices_calls += 1
            t_choices += b - a
            if not options:
                run.end("unresolved")
                break
            run.choose(rng.choice(options).id)
            t_choose += time.perf_counter() - b
            steps += 1
    total = time.perf_counter() - t0
    print(
        f"runs: {args.runs} in {total:.2f} s = {args.runs / total:,.0f} runs/s, {steps / args.runs:.1f} steps/run"
    )
    print(
        f"choices(): {t_choices / choices_calls * 1e6:.1f} us/call; choose(): {t_choose / steps * 1e6:.1f} us/call"
    )
    print(f"40,000 contacts of journey stepping: {40_000 / (args.runs / total):.2f} s")

    run = JourneyRun(journeys[0], 1)
    run.start()
    n = 2000
    t0 = time.perf_counter()
    for _ in range(n):
        JourneyRun.from_json(journeys[0], run.to_json())
    print(f"to_json + from_json: {(time.perf_counter() - t0) / n * 1e6:.0f} us")


if __name__ == "__main__":
    main()
