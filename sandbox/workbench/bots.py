"""Seeded Monte-Carlo of bot policies on a journey: the designer's difficulty balance.

Why: before a trainee sees a journey, a designer wants to know how it plays — does best
practice pay, do typical mistakes hurt, what score separates "competent" from "not yet"? Each
policy plays the same `runs` customers (run i of every policy uses the same derived seed, hence
the same persona and the same random branches as far as choices allow), through the engine's
own contact logic (`sandbox.engine.offline.play_journey`: reaction model, patience, hang-ups,
triggers, scoring), and the outcome models predict CSAT and churn for every contact in one batch.

Determinism: run seeds derive from the master seed with `numpy.random.SeedSequence([seed, i])`,
work is split into chunks whose results are put back in (policy, run) order, so the report is
identical whatever the number of worker processes.

Suggested pass mark: the 25th percentile of the `competent` policy's scores (documented in
docs/bots.md): a trainee who plays like a competent agent passes three times out of four, one
who plays like the novice bot rarely does. Without a competent run, the median of all runs.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from journeys.vocabulary import RESOLVING_OUTCOMES

#: Runs per worker task: big enough to amortise process overhead, small for a smooth progress bar.
CHUNK = 50
#: Below this many runs in total, stay in-process (starting workers costs more than it saves).
MIN_PARALLEL_RUNS = 400
PERCENTILES = (5, 25, 50, 75, 95)


def run_seed(seed: int, index: int) -> int:
    """The seed of run `index`: the same for every policy, so policies meet the same customers."""
    import numpy as np

    return int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1, np.uint32)[0])


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default), on a sorted list."""
    if not sorted_values:
        return 0.0
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return float(sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo))


@dataclass
class PolicyStats:
    policy: str
    runs: int
    mean_score: float
    percentiles: dict[str, float]
    outcomes: dict[str, int]
    resolution_rate: float
    risk_rate: float
    risks: dict[str, int]
    mean_handle_s: float
    csat_mean: float | None = None
    csat_top_box: float | None = None
    churn_mean: float | None = None
    cross_sell_offer_rate: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "runs": self.runs,
            "mean_score": round(self.mean_score, 4),
            "score_percentiles": {k: round(v, 4) for k, v in self.percentiles.items()},
            "outcomes": self.outcomes,
            "resolution_rate": round(self.resolution_rate, 4),
            "risk_rate": round(self.risk_rate, 4),
            "risks": self.risks,
            "mean_handle_s": round(self.mean_handle_s, 2),
            "csat_mean": None if self.csat_mean is None else round(self.csat_mean, 4),
            "csat_top_box": None if self.csat_top_box is None else round(self.csat_top_box, 4),
            "churn_mean": None if self.churn_mean is None else round(self.churn_mean, 4),
            "cross_sell_offer_rate": round(self.cross_sell_offer_rate, 4),
        }


@dataclass
class BotsReport:
    journey_id: str
    path: str
    content_hash: str
    seed: int
    runs: int
    policies: list[PolicyStats] = field(default_factory=list)
    pass_mark: float = 0.0
    pass_mark_basis: str = ""
    ranking_ok: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "journey": self.journey_id,
            "path": self.path,
            "content_hash": self.content_hash,
            "seed": self.seed,
            "runs": self.runs,
            "policies": [p.to_json() for p in self.policies],
            "suggested_pass_mark": round(self.pass_mark, 2),
            "pass_mark_basis": self.pass_mark_basis,
            "ranking_ok": self.ranking_ok,
        }


# ----------------------------------------------------------------------------- workers
_JOURNEY_CACHE: dict[str, Any] = {}


def _journey(path: str) -> Any:
    j = _JOURNEY_CACHE.get(path)
    if j is None:
        from journeys.loader import load_journey

        j = _JOURNEY_CACHE[path] = load_journey(path)
    return j


def _play_chunk(task: tuple[str, str, int, int, int]) -> list[dict[str, Any]]:
    """Worker: play runs [start, stop) of one policy. Top-level so it pickles."""
    from sandbox.engine.offline import play_journey

    path, policy, seed, start, stop = task
    journey = _journey(path)
    return [play_journey(journey, policy, run_seed(seed, i)) for i in range(start, stop)]


def _tasks(path: str, policies: Sequence[str], runs: int, seed: int) -> list[tuple]:
    return [
        (path, policy, seed, start, min(start + CHUNK, runs))
        for policy in policies
        for start in range(0, runs, CHUNK)
    ]


# ----------------------------------------------------------------------------- progress
class _Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, total: int, label: str, enabled: bool | None = None):
        self.total = max(total, 1)
        self.done = 0
        self.label = label
        self.enabled = sys.stderr.isatty() if enabled is None else enabled

    def advance(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        width = 30
        filled = int(width * self.done / self.total)
        sys.stderr.write(
            f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}"
        )
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


# ----------------------------------------------------------------------------- main entry
def run_bots(
    path: str | Path,
    runs: int = 200,
    seed: int = 0,
    policies: Sequence[str] | None = None,
    workers: int | None = None,
    predict: bool = True,
    progress: bool | None = None,
    on_records: Callable[[str, list[dict[str, Any]]], None] | None = None,
) -> BotsReport:
    """Play `runs` contacts per policy on the journey at `path` and summarise them."""
    from journeys.policies import POLICIES

    path = str(Path(path))
    journey = _journey(path)
    policies = list(policies or POLICIES)
    for p in policies:
        if p not in POLICIES:
            raise ValueError(f"unknown policy '{p}'; choose from {', '.join(POLICIES)}")
    if runs < 1:
        raise ValueError("--runs must be at least 1")
    tasks = _tasks(path, policies, runs, seed)
    bar = _Progress(runs * len(policies), journey.id, progress)
    n_workers = workers if workers is not None else (os.cpu_count() or 1)
    chunks: list[list[dict[str, Any]]] = []
    if n_workers <= 1 or runs * len(policies) < MIN_PARALLEL_RUNS:
        for task in tasks:
            chunks.append(_play_chunk(task))
            bar.advance(task[4] - task[3])
    else:
        with ProcessPoolExecutor(max_workers=n_workers) as pool:
            for task, chunk in zip(tasks, pool.map(_play_chunk, tasks), strict=True):
                chunks.append(chunk)
                bar.advance(task[4] - task[3])
    bar.close()
    by_policy: dict[str, list[dict[str, Any]]] = {p: [] for p in policies}
    for task, chunk in zip(tasks, chunks, strict=True):
        by_policy[task[1]].extend(chunk)
    if predict:
        from sandbox.engine.offline import predict_records

        everything = [r for p in policies for r in by_policy[p]]
        predict_records(everything, seed)
    report = BotsReport(journey.id, path, journey.content_hash, seed, runs)
    for p in policies:
        if on_records:
            on_records(p, by_policy[p])
        report.policies.append(summarise(p, by_policy[p]))
    report.pass_mark, report.pass_mark_basis = suggest_pass_mark(report.policies)
    report.ranking_ok = ranking_holds(report.policies)
    return report


def summarise(policy: str, records: list[dict[str, Any]]) -> PolicyStats:
    """Outcome mix, score percentiles, risks and predictions of one policy's runs."""
    n = len(records)
    scores = sorted(float(r["score"]) for r in records)
    outcomes = Counter(r["outcome"] for r in records)
    risks: Counter[str] = Counter()
    risky = 0
    for r in records:
        mine = {
            k[5:]: int(v)
            for k, v in r.items()
            if k.startswith("risk_") and k != "risk_points" and isinstance(v, (int, float)) and v
        }
        risks.update(mine)
        risky += bool(mine)
    csat = [r["csat_mean"] for r in records if r.get("csat_mean") is not None]
    top = [r["csat_top_box"] for r in records if r.get("csat_top_box") is not None]
    churn = [r["churn"] for r in records if r.get("churn") is not None]
    return PolicyStats(
        policy=policy,
        runs=n,
        mean_score=sum(scores) / n if n else 0.0,
        percentiles={f"p{q}": _percentile(scores, q) for q in PERCENTILES},
        outcomes=dict(sorted(outcomes.items())),
        resolution_rate=sum(outcomes[o] for o in RESOLVING_OUTCOMES) / n if n else 0.0,
        risk_rate=risky / n if n else 0.0,
        risks=dict(sorted(risks.items())),
        mean_handle_s=sum(float(r.get("handle_s", 0.0)) for r in records) / n if n else 0.0,
        csat_mean=sum(csat) / len(csat) if csat else None,
        csat_top_box=sum(top) / len(top) if top else None,
        churn_mean=sum(churn) / len(churn) if churn else None,
        cross_sell_offer_rate=(
            sum(1 for r in records if r.get("cross_sell_offered")) / n if n else 0.0
        ),
    )


def suggest_pass_mark(stats: list[PolicyStats]) -> tuple[float, str]:
    by = {s.policy: s for s in stats}
    if "competent" in by:
        return by["competent"].percentiles["p25"], "25th percentile of the competent policy"
    allp = sorted(s.mean_score for s in stats)
    return (_percentile(allp, 50), "median of the policies' mean scores") if allp else (0.0, "")


def ranking_holds(stats: list[PolicyStats]) -> bool:
    """expert > competent > novice > random on mean score, among the policies that ran."""
    order = ["expert", "competent", "novice", "random"]
    means = [
        next(s.mean_score for s in stats if s.policy == p)
        for p in order
        if any(s.policy == p for s in stats)
    ]
    return all(a > b for a, b in itertools.pairwise(means))


def format_report(report: BotsReport) -> str:
    """A fixed-width table (bilingual headers)."""
    head = f"{report.path}: {report.journey_id} — {report.runs} runs per policy, seed {report.seed}"
    cols = (
        f"{'policy 策略':<12}{'mean 均分':>10}{'p5':>7}{'p25':>7}{'p50':>7}{'p75':>7}"
        f"{'p95':>7}{'resolved 解决':>15}{'risk 风险':>11}{'CSAT':>7}{'churn 流失':>12}"
        f"{'AHT':>7}"
    )
    lines = [head, cols]
    for s in report.policies:
        pc = s.percentiles
        csat = "-" if s.csat_mean is None else f"{s.csat_mean:.2f}"
        churn = "-" if s.churn_mean is None else f"{s.churn_mean:.1%}"
        lines.append(
            f"{s.policy:<12}{s.mean_score:>10.2f}{pc['p5']:>7.1f}{pc['p25']:>7.1f}"
            f"{pc['p50']:>7.1f}{pc['p75']:>7.1f}{pc['p95']:>7.1f}{s.resolution_rate:>15.0%}"
            f"{s.risk_rate:>11.0%}{csat:>7}{churn:>12}{s.mean_handle_s:>7.0f}"
        )
    lines.append("outcomes 结局分布:")
    for s in report.policies:
        mix = ", ".join(f"{k} {v / s.runs:.0%}" for k, v in s.outcomes.items())
        lines.append(f"  {s.policy:<10} {mix}")
    lines.append(
        f"suggested pass mark 建议及格线: {report.pass_mark:.1f} ({report.pass_mark_basis})"
    )
    if not report.ranking_ok:
        lines.append(
            "WARNING: the policies do not rank expert > competent > novice > random "
            "/ 警告：机器人排名不符合预期，请检查评分设计"
        )
    return "\n".join(lines)
