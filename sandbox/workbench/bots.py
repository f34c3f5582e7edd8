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
import math
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from journeys.vocabulary import RESOLVING_OUTCOMES

#: Runs per worker task: big enough to amortise process overhead, small for a smooth progress bar.
CHUNK = 50
#: Sequential sweep: runs per policy at the first look; each look doubles, up to the cap.
FIRST_BATCH = 100
#: The default cap of a sequential sweep (runs per policy; `--max-runs`).
DEFAULT_MAX_RUNS = 3200
#: The family-wise error of the ranking verdict: each pair is tested at ALPHA / looks
#: (Bonferroni over the looks of the sequential sweep, so peeking cannot inflate it).
ALPHA = 0.05
#: Bootstrap resamples behind every 95% interval of the report.
RESAMPLES = 1000
#: The expected ranking, best first.
RANKING = ("expert", "competent", "novice", "random")
#: A policy "does unexpectedly badly" when it loses to a policy it should beat, or when an
#: expert / competent bot's customers hang up, or its contacts carry a risk, this often.
UNEXPECTED_RATE = {"expert": 0.10, "competent": 0.25}
#: How many places to name per list in the loss report.
TOP = 5
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
    hang_up_rate: float = 0.0
    intervals: dict[str, list[float] | None] = field(default_factory=dict)
    losses: dict[str, Any] = field(default_factory=dict)

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
            "hang_up_rate": round(self.hang_up_rate, 4),
            "ci95": self.intervals,
            "losses": self.losses,
        }


NAMES_ZH = {"expert": "专家", "competent": "熟练", "novice": "新手", "random": "随机"}


@dataclass
class PairTest:
    """The paired comparison of two policies on the same runs (common random numbers)."""

    better: str  # the policy that should score higher
    worse: str
    difference: float  # mean of (better - worse) per run
    ci95: tuple[float, float]  # bootstrap 95% interval of that mean
    p: float  # two-sided paired z-test
    decided: bool
    holds: bool | None  # decided: better > worse; None while undecided

    def to_json(self) -> dict[str, Any]:
        return {
            "better": self.better,
            "worse": self.worse,
            "difference": round(self.difference, 4),
            "ci95": [round(self.ci95[0], 4), round(self.ci95[1], 4)],
            "p": float(f"{self.p:.3g}"),
            "decided": self.decided,
            "holds": self.holds,
        }


@dataclass
class Verdict:
    """holds | fails | undecided | none (fewer than two ranked policies)."""

    status: str
    runs: int
    looks: int
    level: float  # each pair's test level (ALPHA / looks)
    cap: int
    sequential: bool
    pairs: list[PairTest] = field(default_factory=list)

    def words(self, lang: str) -> str:
        return verdict_words(self, lang)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "runs": self.runs,
            "cap": self.cap,
            "looks": self.looks,
            "pair_test_level": round(self.level, 6),
            "pairs": [p.to_json() for p in self.pairs],
            "en": self.words("en"),
            "zh-CN": self.words("zh-CN"),
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
    verdict: Verdict | None = None
    sequential: bool = False
    max_runs: int = 0
    workers: str = ""
    flagged: dict[str, list[str]] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)
    separation: dict[str, Any] = field(default_factory=dict)

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
            "sequential": self.sequential,
            "max_runs": self.max_runs,
            "verdict": self.verdict.to_json() if self.verdict else None,
            "unexpectedly_bad": self.flagged,
            "coverage": self.coverage,
            "separation": self.separation,
        }


# ----------------------------------------------------------------------------- workers
_JOURNEY_CACHE: dict[str, Any] = {}


def _journey(path: str, content_hash: str | None = None) -> Any:
    """The journey at `path` (cached per process); a worker checks it is the one the command
    loaded (a Dask worker reads it from its own disk: a shared folder)."""
    j = _JOURNEY_CACHE.get(path)
    if j is None or (content_hash is not None and j.content_hash != content_hash):
        from journeys.loader import load_journey

        j = _JOURNEY_CACHE[path] = load_journey(path)
    if content_hash is not None and j.content_hash != content_hash:
        raise RuntimeError(f"{path} on this worker differs from the journey being balanced")
    return j


Task = tuple[str, str, tuple[str, ...], int, int, int]


def _play_chunk(task: Task) -> list[list[dict[str, Any]]]:
    """Worker: play runs [start, stop) of every policy (with traces), one list per policy.
    Run i's customer is drawn once and met by every policy. Top-level so it pickles."""
    from sandbox.engine.offline import offline_persona, play_journey

    path, content_hash, policies, seed, start, stop = task
    journey = _journey(path, content_hash)
    out: list[list[dict[str, Any]]] = [[] for _ in policies]
    for i in range(start, stop):
        s = run_seed(seed, i)
        persona = offline_persona(journey, s)
        for k, policy in enumerate(policies):
            out[k].append(play_journey(journey, policy, s, persona, trace=True))
    return out


def _tasks(
    path: str, content_hash: str, policies: Sequence[str], seed: int, start: int, stop: int
) -> list[Task]:
    per = max(1, CHUNK // max(1, len(policies)) * 2)
    return [
        (path, content_hash, tuple(policies), seed, lo, min(lo + per, stop))
        for lo in range(start, stop, per)
    ]


def schedule(max_runs: int, first: int = FIRST_BATCH) -> list[int]:
    """Runs per policy at each look of a sequential sweep: `first`, doubling, up to the cap."""
    looks = []
    n = min(first, max_runs)
    while n < max_runs:
        looks.append(n)
        n *= 2
    looks.append(max_runs)
    return looks


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
        filled = min(width, int(width * self.done / self.total))
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
    runs: int | None = None,
    seed: int = 0,
    policies: Sequence[str] | None = None,
    workers: int | None = None,
    predict: bool = True,
    progress: bool | None = None,
    on_records: Callable[[str, list[dict[str, Any]]], None] | None = None,
    *,
    max_runs: int = DEFAULT_MAX_RUNS,
    scheduler: str | None = None,
    sweep: Any = None,
) -> BotsReport:
    """Play the bot policies on the journey at `path` and summarise them.

    `runs` given: exactly that many runs per policy. `runs=None`: sequential — batches are
    added (`schedule(max_runs)`) until the ranking expert > competent > novice > random is
    decided either way (`decide`), or the cap is reached. Run i is the same customer for
    every policy and for any batch boundaries, so a sequential report of N runs equals a
    fixed report of N runs. Work goes through `sandbox.sweeps` (`sweep`, or one opened from
    `workers`/`scheduler`)."""
    from journeys.policies import POLICIES
    from sandbox.sweeps import open_sweep

    path = str(Path(path))
    journey = _journey(path)
    policies = list(policies or POLICIES)
    for p in policies:
        if p not in POLICIES:
            raise ValueError(f"unknown policy '{p}'; choose from {', '.join(POLICIES)}")
    if runs is not None and runs < 1:
        raise ValueError("--runs must be at least 1")
    if max_runs < 1:
        raise ValueError("--max-runs must be at least 1")
    looks = [runs] if runs is not None else schedule(max_runs)
    cap = looks[-1]
    bar = _Progress(cap * len(policies), journey.id, progress)
    own = sweep is None
    if sweep is None:
        small = runs is not None and runs * len(policies) < MIN_PARALLEL_RUNS
        sweep = open_sweep(1 if small else workers, scheduler)
    by_policy: dict[str, list[dict[str, Any]]] = {p: [] for p in policies}
    boot = _boot_seed(seed)
    done = 0
    verdict: Verdict | None = None
    try:
        for look in looks:
            tasks = _tasks(path, journey.content_hash, policies, seed, done, look)
            chunks = sweep.map(
                _play_chunk, tasks, on_result=lambda i, chunk: bar.advance(sum(map(len, chunk)))
            )
            for chunk in chunks:
                for policy, records in zip(policies, chunk, strict=True):
                    by_policy[policy].extend(records)
            done = look
            scores = {p: [float(r["score"]) for r in by_policy[p]] for p in policies}
            verdict = decide(
                scores, looks=len(looks), cap=cap, sequential=runs is None, boot_seed=boot
            )
            if verdict.status != "undecided":
                break
    finally:
        if own:
            sweep.close()
    bar.close()
    assert verdict is not None
    traces = {p: [r.pop("trace") for r in by_policy[p]] for p in policies}
    if predict:
        from sandbox.engine.offline import predict_records

        everything = [r for p in policies for r in by_policy[p]]
        predict_records(everything, seed)
    report = BotsReport(journey.id, path, journey.content_hash, seed, done)
    report.sequential = runs is None
    report.max_runs = cap
    report.workers = sweep.describe()
    for p in policies:
        if on_records:
            on_records(p, by_policy[p])
        stats = summarise(p, by_policy[p])
        stats.intervals = intervals(by_policy[p], boot)
        stats.losses = losses(traces[p], len(by_policy[p]))
        report.policies.append(stats)
    report.pass_mark, report.pass_mark_basis = suggest_pass_mark(report.policies)
    report.verdict = verdict
    report.ranking_ok = verdict.status == "holds"
    report.flagged = flag_unexpected(report.policies, verdict)
    report.coverage = coverage(journey, [t for p in policies for t in traces[p]])
    report.separation = separation(report.policies)
    return report


def _boot_seed(seed: int) -> int:
    from sandbox.sweeps import task_seed

    return task_seed(seed, 0xB007)


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
        hang_up_rate=sum(1 for r in records if r.get("hung_up")) / n if n else 0.0,
    )


# ----------------------------------------------------------------------------- verdict
def decide(
    scores: dict[str, list[float]],
    looks: int = 1,
    cap: int = 0,
    sequential: bool = False,
    boot_seed: int = 0,
) -> Verdict:
    """Test every adjacent pair of RANKING among the policies that ran, on the same runs:
    d_i = score(better, run i) - score(worse, run i); a pair is decided when the paired
    z-test rejects "no difference" at ALPHA / looks (two-sided), or when d is the same on
    every run (then the pair is decided by its sign; equal scores fail the ranking). The ranking holds when every pair is decided with
    better > worse, fails as soon as one pair is decided the other way (or the two score
    the same on every run), and is undecided otherwise."""
    import numpy as np

    from sandbox.bootstrap import mean_intervals

    order = [p for p in RANKING if p in scores]
    n = min((len(scores[p]) for p in order), default=0)
    level = ALPHA / max(1, looks)
    verdict = Verdict("none", n, looks, level, cap or n, sequential)
    if len(order) < 2 or n == 0:
        return verdict
    diffs = np.array([np.subtract(scores[a][:n], scores[b][:n]) for a, b in pairwise(order)])
    cis = mean_intervals(diffs.T, boot_seed, RESAMPLES)
    for (a, b), d, ci in zip(pairwise(order), diffs, cis, strict=True):
        mean = float(d.mean())
        sd = float(d.std(ddof=1)) if n > 1 else 0.0
        z = math.inf if sd == 0.0 else abs(mean) / (sd / math.sqrt(n))
        p = math.erfc(z / math.sqrt(2.0))
        decided = p < level
        holds = (mean > 0) if decided else None
        verdict.pairs.append(PairTest(a, b, mean, ci, p, decided, holds))
    if any(pt.holds is False for pt in verdict.pairs):
        verdict.status = "fails"
    elif all(pt.holds for pt in verdict.pairs):
        verdict.status = "holds"
    else:
        verdict.status = "undecided"
    return verdict


def _name(policy: str, lang: str) -> str:
    return NAMES_ZH.get(policy, policy) if lang == "zh-CN" else policy


def _ci(ci: tuple[float, float] | list[float]) -> str:
    return f"{ci[0]:+.2f}..{ci[1]:+.2f}"


def verdict_words(v: Verdict, lang: str) -> str:
    """The verdict in words (en or zh-CN)."""
    zh = lang == "zh-CN"
    chain = " > ".join(_name(pt.better, lang) for pt in v.pairs)
    if v.pairs:
        chain += " > " + _name(v.pairs[-1].worse, lang)
    if v.status == "none":
        return "只有一个策略，无排名可判定。" if zh else "Only one policy ran: no ranking to judge."
    if v.status == "holds":
        if zh:
            return (
                f"平衡：每个策略试玩 {v.runs} 次后，{chain} 的排名已确定"
                f"（每对配对检验 p < {v.level:.2g}）。"
            )
        return (
            f"Balanced: the ranking {chain} is decided after {v.runs} runs per policy "
            f"(every adjacent pair's paired test p < {v.level:.2g})."
        )
    if v.status == "fails":
        wrong = [pt for pt in v.pairs if pt.holds is False]
        parts = []
        for pt in wrong:
            a, b = _name(pt.better, lang), _name(pt.worse, lang)
            if zh:
                parts.append(
                    f"{b}得分不低于{a}（{a} − {b} = {pt.difference:+.2f} 分，95% 区间 {_ci(pt.ci95)}）"
                )
            else:
                parts.append(
                    f"{b} scores at least as well as {a} ({a} - {b} = {pt.difference:+.2f} "
                    f"points, 95% CI {_ci(pt.ci95)})"
                )
        if zh:
            return f"不平衡：{'；'.join(parts)}；每个策略试玩 {v.runs} 次。"
        return f"NOT balanced: {'; '.join(parts)}, after {v.runs} runs per policy."
    open_pairs = [pt for pt in v.pairs if not pt.decided]
    parts = []
    for pt in open_pairs:
        a, b = _name(pt.better, lang), _name(pt.worse, lang)
        if zh:
            parts.append(f"{a}与{b}相差 {pt.difference:+.2f} 分（95% 区间 {_ci(pt.ci95)}）")
        else:
            parts.append(
                f"{a} vs {b} differ by {pt.difference:+.2f} points (95% CI {_ci(pt.ci95)})"
            )
    if v.sequential:
        if zh:
            return (
                f"无法判定：达到上限 {v.runs} 次试玩仍未分出高下——{'；'.join(parts)}；"
                "旅程几乎区分不出这些策略。"
            )
        return (
            f"Cannot be decided at the cap of {v.runs} runs per policy: {'; '.join(parts)}; "
            "the journey barely separates them."
        )
    if zh:
        return f"{v.runs} 次试玩尚不足以判定：{'；'.join(parts)}。去掉 --runs，由工具自行决定试玩次数。"
    return (
        f"Not decided at {v.runs} runs per policy: {'; '.join(parts)}. Leave out --runs to "
        "let the bots choose the number of runs."
    )


# ----------------------------------------------------------------------------- evidence
def _risky(r: dict[str, Any]) -> bool:
    return any(
        k.startswith("risk_") and k != "risk_points" and isinstance(v, (int, float)) and v
        for k, v in r.items()
    )


def intervals(records: list[dict[str, Any]], boot_seed: int) -> dict[str, list[float] | None]:
    """Bootstrap 95% intervals of a policy's mean score, CSAT and rates."""
    from sandbox.bootstrap import mean_intervals

    nan = float("nan")
    cols = [
        [
            float(r["score"]),
            nan if r.get("csat_mean") is None else float(r["csat_mean"]),
            float(r["outcome"] in RESOLVING_OUTCOMES),
            float(bool(r.get("hung_up"))),
            float(_risky(r)),
        ]
        for r in records
    ]
    names = ("mean_score", "csat_mean", "resolution_rate", "hang_up_rate", "risk_rate")
    if not cols:
        return dict.fromkeys(names)
    out: dict[str, list[float] | None] = {}
    for name, (lo, hi) in zip(names, mean_intervals(cols, boot_seed, RESAMPLES), strict=True):
        out[name] = None if math.isnan(lo) else [round(lo, 4), round(hi, 4)]
    return out


#: The measures whose 95% intervals must rank the policies apart (docs/bots.md).
SEPARATED = ("mean_score", "csat_mean", "resolution_rate")


def separation(stats: list[PolicyStats]) -> dict[str, Any]:
    """Do the policies' 95% intervals tell neighbours in RANKING apart? For each measure of
    SEPARATED and each adjacent pair that ran: both intervals and whether the better policy's
    lies wholly above the worse one's (`disjoint`); `holds` when every pair is disjoint.

    Why beside the paired verdict: the verdict compares policies customer by customer; this
    asks the stricter question an exam's reader asks of the bare figures — are the skill
    levels apart on score, predicted CSAT and resolution, each on its own."""
    by = {s.policy: s for s in stats}
    order = [p for p in RANKING if p in by]
    out: dict[str, Any] = {}
    holds = len(order) > 1
    for measure in SEPARATED:
        pairs = []
        for better, worse in pairwise(order):
            hi_ci, lo_ci = by[better].intervals.get(measure), by[worse].intervals.get(measure)
            disjoint = hi_ci is not None and lo_ci is not None and hi_ci[0] > lo_ci[1]
            holds = holds and disjoint
            pairs.append(
                {
                    "better": better,
                    "worse": worse,
                    "better_ci95": hi_ci,
                    "worse_ci95": lo_ci,
                    "disjoint": disjoint,
                }
            )
        out[measure] = pairs
    out["holds"] = holds
    return out


def _split(qid: str) -> tuple[str, str]:
    node, _, choice = qid.rpartition(".")
    return node, choice


def losses(traces: list[dict[str, Any]], n: int) -> dict[str, Any]:
    """Where a policy's customers and score are lost: hang-ups by node (and the choice just
    made), risks by choice, triggers left unsatisfied, score lost by choice (points per run
    below the best choice on offer). The TOP of each, as shares of the runs."""
    hang: Counter[str] = Counter()
    risk: Counter[tuple[str, str]] = Counter()
    missed: Counter[tuple[str, str]] = Counter()
    missing: dict[tuple[str, str], Counter[str]] = {}
    lost: Counter[str] = Counter()
    for t in traces:
        if t.get("hangup"):
            hang[t["hangup"]] += 1
        for qid, r in t["risks"]:
            risk[(qid, r)] += 1
        for trig, at, need in t["missed"]:
            missed[(trig, at)] += 1
            missing.setdefault((trig, at), Counter()).update(need)
        for qid, pts in zip(t["path"], t["lost"], strict=False):
            if pts:
                lost[qid] += pts
    n = max(n, 1)
    by_node: Counter[str] = Counter()
    for qid, c in hang.items():
        by_node[_split(qid)[0]] += c
    return {
        "hang_ups_by_node": [
            {
                "node": node,
                "rate": round(c / n, 4),
                "after_choice": [
                    _split(q)[1] for q, _ in hang.most_common() if _split(q)[0] == node
                ][:3],
            }
            for node, c in by_node.most_common(TOP)
        ],
        "risks_by_choice": [
            {"choice": qid, "risk": r, "rate": round(c / n, 4)}
            for (qid, r), c in risk.most_common(TOP)
        ],
        "triggers_unsatisfied": [
            {
                "trigger": trig,
                "at": at or "(end)",
                "missing": [b for b, _ in missing[(trig, at)].most_common()],
                "rate": round(c / n, 4),
            }
            for (trig, at), c in missed.most_common(TOP)
        ],
        "score_lost_by_choice": [
            {"choice": qid, "points_per_run": round(v / n, 4)} for qid, v in lost.most_common(TOP)
        ],
    }


def flag_unexpected(stats: list[PolicyStats], verdict: Verdict | None) -> dict[str, list[str]]:
    """Policies that do unexpectedly badly, with the reasons (codes a report renders)."""
    out: dict[str, list[str]] = {}
    for pt in verdict.pairs if verdict else ():
        if pt.holds is False:
            out.setdefault(pt.better, []).append(f"ranks_below:{pt.worse}")
    for s in stats:
        limit = UNEXPECTED_RATE.get(s.policy)
        if limit is None:
            continue
        if s.hang_up_rate >= limit:
            out.setdefault(s.policy, []).append(f"hang_ups:{s.hang_up_rate:.4f}")
        if s.risk_rate >= limit:
            out.setdefault(s.policy, []).append(f"risks:{s.risk_rate:.4f}")
    return out


def coverage(journey: Any, traces: list[dict[str, Any]]) -> dict[str, Any]:
    """Like ChoiceScript's quicktest: the nodes no policy ever entered and the choices no
    policy ever took, over every run of every policy."""
    seen_nodes: set[str] = set()
    seen_choices: set[str] = set()
    for t in traces:
        seen_nodes.update(t["visited"])
        seen_choices.update(t["path"])
    nodes = list(journey.nodes)
    choices = [c.qid for node in journey.nodes.values() for c in node.choices]
    return {
        "nodes": len(nodes),
        "nodes_reached": sum(1 for x in nodes if x in seen_nodes),
        "choices": len(choices),
        "choices_taken": sum(1 for x in choices if x in seen_choices),
        "nodes_never_reached": [x for x in nodes if x not in seen_nodes],
        "choices_never_taken": [x for x in choices if x not in seen_choices],
    }


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
    lines.extend(_evidence_lines(report))
    return "\n".join(lines)


def _pct_ci(ci: list[float] | None) -> str:
    return "-" if ci is None else f"[{ci[0]:.0%}..{ci[1]:.0%}]"


def _evidence_lines(report: BotsReport) -> list[str]:
    lines = [
        f"95% intervals 置信区间 (bootstrap, {RESAMPLES} resamples):",
        f"{'policy 策略':<12}{'score 得分':>22}{'CSAT':>20}{'resolved 解决':>20}"
        f"{'hang-up 挂断':>20}{'risk 风险':>20}",
    ]
    for s in report.policies:
        ci = s.intervals
        sc = ci.get("mean_score")
        cs = ci.get("csat_mean")
        score = f"{s.mean_score:.2f} " + ("-" if sc is None else f"[{sc[0]:.2f}..{sc[1]:.2f}]")
        csat = (
            "-"
            if s.csat_mean is None or cs is None
            else f"{s.csat_mean:.2f} [{cs[0]:.2f}..{cs[1]:.2f}]"
        )
        lines.append(
            f"{s.policy:<12}{score:>22}{csat:>20}"
            f"{f'{s.resolution_rate:.0%} ' + _pct_ci(ci.get('resolution_rate')):>20}"
            f"{f'{s.hang_up_rate:.0%} ' + _pct_ci(ci.get('hang_up_rate')):>20}"
            f"{f'{s.risk_rate:.0%} ' + _pct_ci(ci.get('risk_rate')):>20}"
        )
    v = report.verdict
    if v is not None and v.pairs:
        how = (
            "chosen by the bots, sequential 自动确定" if report.sequential else "fixed --runs 固定"
        )
        lines.append(
            f"ranking 排名 — paired test on the same customers 同一批客户的配对检验, each pair at "
            f"p < {v.level:.2g}; runs per policy 每策略试玩 {v.runs} ({how}, cap 上限 {v.cap}):"
        )
        for pt in v.pairs:
            state = (
                "decided 已判定 ✓"
                if pt.holds
                else ("decided WRONG 判定相反 ✗" if pt.holds is False else "undecided 未判定 ?")
            )
            lines.append(
                f"  {pt.better} > {pt.worse}: {pt.difference:+.2f} points 分, 95% CI "
                f"{_ci(pt.ci95)}, p = {pt.p:.2g}  {state}"
            )
    if v is not None:
        lines.append(f"verdict 结论: {v.words('en')}")
        lines.append(f"         {v.words('zh-CN')}")
    sep = report.separation
    if sep and len(report.policies) > 1:
        apart = [
            f"{m} {'✓' if all(p['disjoint'] for p in sep.get(m, ())) else '✗'}" for m in SEPARATED
        ]
        lines.append("intervals apart 区间不重叠 (every neighbour 相邻策略): " + ", ".join(apart))
    by = {s.policy: s for s in report.policies}
    for policy, reasons in report.flagged.items():
        lines.append(
            f"where {policy} loses 失分之处 — unexpectedly bad 表现异常: "
            + ", ".join(_reason(r) for r in reasons)
        )
        lines.extend(_loss_lines(by[policy].losses))
    cov = report.coverage
    if cov:
        lines.append(
            f"coverage 覆盖 (every policy, every run 所有策略与试玩): nodes 节点 "
            f"{cov['nodes_reached']}/{cov['nodes']}, choices 选项 "
            f"{cov['choices_taken']}/{cov['choices']}"
        )
        if cov["nodes_never_reached"]:
            lines.append("  nodes never reached 从未到达: " + ", ".join(cov["nodes_never_reached"]))
        if cov["choices_never_taken"]:
            lines.append("  choices never taken 从未选择: " + ", ".join(cov["choices_never_taken"]))
    return lines


def _reason(code: str) -> str:
    what, _, arg = code.partition(":")
    if what == "ranks_below":
        return f"scores no better than {arg} 不优于{NAMES_ZH.get(arg, arg)}"
    if what == "hang_ups":
        return f"hang-ups 挂断 {float(arg):.0%}"
    if what == "risks":
        return f"contacts with a risk 含风险 {float(arg):.0%}"
    return code


def _loss_lines(loss: dict[str, Any]) -> list[str]:
    out = []
    if loss.get("hang_ups_by_node"):
        out.append("  hang-ups by node 挂断节点:")
        for h in loss["hang_ups_by_node"]:
            after = ", ".join(h["after_choice"])
            out.append(f"    {h['node']}: {h['rate']:.0%} (after 选择后: {after})")
    if loss.get("risks_by_choice"):
        out.append("  risks by choice 风险选项:")
        for r in loss["risks_by_choice"]:
            out.append(f"    {r['choice']}: {r['risk']} {r['rate']:.0%}")
    if loss.get("triggers_unsatisfied"):
        out.append("  triggers unsatisfied 未满足的触发:")
        for t in loss["triggers_unsatisfied"]:
            missing = ", ".join(t["missing"]) or "-"
            out.append(
                f"    {t['trigger']} at 于 {t['at']}: {t['rate']:.0%} (missing 缺少: {missing})"
            )
    if loss.get("score_lost_by_choice"):
        out.append("  score lost by choice 失分选项 (below the best choice on offer 低于最优选项):")
        for c in loss["score_lost_by_choice"]:
            out.append(f"    {c['choice']}: -{c['points_per_run']:.2f} per run 每次")
    return out
