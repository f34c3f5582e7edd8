"""Calibrate an exam with the bot policies: score distributions, a suggested cut score, the
reliability the exam would have, and whether its parallel forms are equivalent.

Why bots: before a candidate sits an exam, the administrator wants evidence that the
instrument separates a novice from a competent agent, measures consistently across its
contacts, and does not depend on the form a candidate drew. The four bot policies of
`journeys.policies` (random, novice, competent, expert; docs/bots.md) stand in for candidates:
each plays every form `runs` times headless (`sandbox.exam.replay.play`) and every journal is
graded by the real `sandbox.exam.grading.grade`, exactly as a candidate's would be.

Runs and determinism: the customers of a form are fixed by the form (its seed); what varies
from run to run is the bot's own random seed and its think time (uniform in THINK_RANGE_S,
rounded to 0.1 s). Both derive from `numpy.random.SeedSequence([seed, form, run])`, the same
for every policy (common random numbers: policies are compared on the same runs). Work goes
through the sweep executor (`sandbox.sweeps`: local worker processes, or a Dask cluster with
`--scheduler`) and the results come back in (form, policy, run) order,
so the report is the same bytes whatever the number of workers.

The figures (docs/exam-format.md#calibration):

- per policy and form: the exam score's mean, sd (n-1), p5/p25/p50/p75/p95 (linear
  interpolation) and the pass rate under the exam's own pass rule (score >= cut, enough
  contacts passed, no exam-level critical error);
- the suggested cut (`contrasting_groups_cut`): contrasting groups between the novice and the
  competent runs of all forms;
- reliability (`cronbach_alpha`, `alpha_interval`): Cronbach's alpha per form, items = the
  form's contacts (each contact's counted score), persons = the runs of all policies pooled,
  with a seeded percentile-bootstrap 95% interval; the exam's reliability is the lowest form's;
- form equivalence (`form_pairs`): the competent bot's mean score per form; two forms are
  equivalent when their means differ by at most FORM_TOLERANCE points.

The exam is calibrated (`Calibration.ok`) when every form's alpha is >= RELIABILITY_TARGET and
every pair of forms is equivalent.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from sandbox.bootstrap import percentile_interval, resample_indices
from sandbox.exam.model import Exam

SCHEMA = "shapan.exam-calibration/1"
POLICIES: tuple[str, ...] = ("random", "novice", "competent", "expert")
PERCENTILES: tuple[int, ...] = (5, 25, 50, 75, 95)
#: Default runs per policy and form: the two shipped exams (2 forms each) calibrate in about
#: 20 s on 2 cores (docs/exam-format.md#calibration).
DEFAULT_RUNS = 10
#: At most this many runs per policy and form, and this many plays in all (one play and its
#: grading take about half a second of one core): a larger request is refused before starting.
MAX_RUNS = 1000
MAX_PLAYS = 20_000
MAX_WORKERS = 64
#: A run's think time (s): the bot decides this long after a decision appears.
THINK_RANGE_S: tuple[float, float] = (3.0, 8.0)
#: Reliability the exam must reach: the floor issue 12 sets, a common one for OSCE-style
#: exams (Nunnally & Bernstein, Psychometric Theory, 3rd ed., 1994, ask for 0.9 or more where
#: important decisions about individuals rest on the score).
RELIABILITY_TARGET = 0.8
#: Bootstrap resamples for alpha's interval.
BOOTSTRAP = 2000
#: Two forms are equivalent when the competent bot's mean scores differ by at most this many
#: points (0..100). Why 5: on the shipped exams (5-6 contacts) one contact handled acceptably
#: (60) instead of well (90) moves the exam score by 5-6 points; forms further apart than that
#: would reward or penalise a candidate by more than one contact's worth for the form drawn.
FORM_TOLERANCE = 5.0
#: Cut-score grid step and the smallest kernel bandwidth (score points).
CUT_STEP = 0.1
MIN_BANDWIDTH = 1.0

FloatArray = npt.NDArray[np.float64]


# ----------------------------------------------------------------------------- statistics
def describe(scores: Sequence[float]) -> dict[str, float]:
    """Mean, sample sd (n-1; 0 for one value) and the PERCENTILES (numpy's linear method)."""
    x = np.asarray(scores, dtype=np.float64)
    if x.size == 0:
        return {"mean": 0.0, "sd": 0.0, **{f"p{q}": 0.0 for q in PERCENTILES}}
    out = {"mean": float(x.mean()), "sd": float(x.std(ddof=1)) if x.size > 1 else 0.0}
    for q in PERCENTILES:
        out[f"p{q}"] = float(np.percentile(x, q))
    return out


def _bandwidth(x: FloatArray) -> float:
    """Silverman's rule of thumb, 0.9 · min(sd, IQR/1.34) · n^(-1/5), at least MIN_BANDWIDTH."""
    n = x.size
    sd = float(x.std(ddof=1)) if n > 1 else 0.0
    iqr = float(np.percentile(x, 75) - np.percentile(x, 25)) if n > 1 else 0.0
    spread = min(sd, iqr / 1.34) if iqr > 0 else sd
    return max(0.9 * spread * math.pow(n, -0.2), MIN_BANDWIDTH)


_erf = np.vectorize(math.erf, otypes=[np.float64])


def _smoothed_cdf(x: FloatArray, grid: FloatArray) -> FloatArray:
    """The Gaussian-kernel-smoothed P(score < c) of sample `x` at every c of `grid`."""
    h = _bandwidth(x)
    z = (grid[:, None] - x[None, :]) / (h * math.sqrt(2.0))
    cdf: FloatArray = (0.5 * (1.0 + _erf(z))).mean(axis=1)
    return cdf


@dataclass(frozen=True)
class CutScore:
    """A suggested cut and the empirical misclassification rates at it: novice runs scoring
    >= cut (would pass) and competent runs scoring < cut (would fail)."""

    cut: float
    novice_pass_rate: float
    competent_fail_rate: float

    def to_json(self) -> dict[str, float]:
        return {
            "cut": round(self.cut, 4),
            "novice_pass_rate": round(self.novice_pass_rate, 6),
            "competent_fail_rate": round(self.competent_fail_rate, 6),
        }


def misclassification(novice: Sequence[float], competent: Sequence[float], cut: float) -> CutScore:
    """The empirical rates at `cut` (a candidate passes at score >= cut, as the pass rule says)."""
    nov = np.asarray(novice, dtype=np.float64)
    comp = np.asarray(competent, dtype=np.float64)
    return CutScore(
        cut=cut,
        novice_pass_rate=float((nov >= cut).mean()) if nov.size else 0.0,
        competent_fail_rate=float((comp < cut).mean()) if comp.size else 0.0,
    )


def contrasting_groups_cut(novice: Sequence[float], competent: Sequence[float]) -> CutScore:
    """The contrasting-groups cut score between a non-competent and a competent group.

    Method (exactly): each group's scores are smoothed with a Gaussian kernel (bandwidth by
    Silverman's rule, at least MIN_BANDWIDTH points); the cut is the score c on a 0.1-point
    grid over 0..100 that minimises the smoothed misclassification

        E(c) = P_novice(score >= c) + P_competent(score < c),

    i.e. the two groups' rates weighted equally whatever the group sizes. Where E is smooth its
    minimum is where the two smoothed densities cross (dE/dc = f_competent(c) - f_novice(c)
    = 0), so this is also the density-crossing point of the method's usual statement. When
    several grid points share the minimum (groups far apart, both rates 0), the middle one is
    taken. The returned rates are the empirical ones at that cut.

    References: Livingston, S. A. & Zieky, M. J. (1982), Passing Scores: A Manual for Setting
    Standards of Performance on Educational and Occupational Tests, ETS (the contrasting-groups
    method; smoothing the groups' distributions and cutting where they cross); Cizek, G. J. &
    Bunch, M. B. (2007), Standard Setting, Sage (the contrasting-groups chapter: the cut that
    minimises the two kinds of misclassification, here with equal weights).
    """
    nov = np.asarray(novice, dtype=np.float64)
    comp = np.asarray(competent, dtype=np.float64)
    if nov.size == 0 or comp.size == 0:
        raise ValueError("contrasting groups needs scores in both groups")
    grid: FloatArray = np.arange(0, round(100 / CUT_STEP) + 1, dtype=np.float64) * CUT_STEP
    error = (1.0 - _smoothed_cdf(nov, grid)) + _smoothed_cdf(comp, grid)
    best = np.flatnonzero(error <= error.min() + 1e-12)
    cut = round(float(grid[best[(len(best) - 1) // 2]]), 4)
    return misclassification(novice, competent, cut)


def cronbach_alpha(matrix: npt.ArrayLike) -> float | None:
    """Cronbach's alpha of a persons x items matrix:
    k/(k-1) · (1 - Σ var(item) / var(total)), variances with n-1. None when it is undefined
    (fewer than 2 items or 2 persons, or the totals do not vary).

    Reference: Cronbach, L. J. (1951), Coefficient alpha and the internal structure of tests,
    Psychometrika 16(3), 297-334."""
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] < 2 or m.shape[1] < 2:
        return None
    k = m.shape[1]
    total_var = float(m.sum(axis=1).var(ddof=1))
    if total_var <= 1e-12:
        return None
    item_var = float(m.var(axis=0, ddof=1).sum())
    return float(k / (k - 1) * (1.0 - item_var / total_var))


def alpha_interval(
    matrix: npt.ArrayLike, seed: int, resamples: int = BOOTSTRAP
) -> tuple[float, float] | None:
    """A percentile-bootstrap 95% interval of Cronbach's alpha: persons resampled with
    replacement, `resamples` times, from `numpy.random.default_rng(seed)`; resamples whose
    alpha is undefined are dropped. None when none is defined."""
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] < 2 or m.shape[1] < 2:
        return None
    n, k = m.shape
    sample = m[resample_indices(n, seed, resamples)]  # resamples x n x k
    total_var = sample.sum(axis=2).var(axis=1, ddof=1)
    item_var = sample.var(axis=1, ddof=1).sum(axis=1)
    ok = total_var > 1e-12
    if not ok.any():
        return None
    alphas = k / (k - 1) * (1.0 - item_var[ok] / total_var[ok])
    return percentile_interval(alphas)


@dataclass(frozen=True)
class FormPair:
    a: str
    b: str
    difference: float  # mean(a) - mean(b), competent bot
    equivalent: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "forms": [self.a, self.b],
            "difference": round(self.difference, 4),
            "equivalent": self.equivalent,
        }


def form_pairs(means: Sequence[tuple[str, float]], tolerance: float) -> list[FormPair]:
    """Every pair of forms (in form order) with the difference of their means; equivalent when
    |difference| <= tolerance."""
    return [
        FormPair(a, b, ma - mb, abs(ma - mb) <= tolerance + 1e-9)
        for (a, ma), (b, mb) in itertools.combinations(means, 2)
    ]


# ----------------------------------------------------------------------------- runs
def run_params(seed: int, form_index: int, run: int) -> tuple[int, float]:
    """(bot seed, think time in s) of run `run` on form `form_index`: the same for every policy."""
    state = np.random.SeedSequence([int(seed), int(form_index), int(run)]).generate_state(
        2, np.uint32
    )
    lo, hi = THINK_RANGE_S
    think = round(lo + (hi - lo) * float(state[1]) / 2.0**32, 1)
    return int(state[0]), think


@dataclass(frozen=True)
class RunResult:
    form_index: int
    policy: str
    run: int
    bot_seed: int
    think_s: float
    score: float
    passed: bool
    contact_scores: tuple[float, ...]


#: The exam a worker grades against: inherited on fork, or loaded once from its path (a Dask
#: worker: the exam file at the same path, e.g. a shared folder) and checked by content hash.
_WORKER_EXAM: Exam | None = None

Task = tuple[int, str, int, int, float]
#: What a sweep ships to a worker: the exam's path and content hash, and the run.
SweepTask = tuple[str, str, Task]


def _exam_for(path: str, content_hash: str) -> Exam:
    global _WORKER_EXAM
    if _WORKER_EXAM is None or _WORKER_EXAM.content_hash != content_hash:
        from sandbox.exam.loader import load_exam

        exam = load_exam(path)
        if exam.content_hash != content_hash:
            raise RuntimeError(f"{path} changed while calibrating")
        _WORKER_EXAM = exam
    return _WORKER_EXAM


def _play_task(item: SweepTask) -> RunResult:
    path, content_hash, task = item
    return play_one(_exam_for(path, content_hash), task)


def play_one(exam: Exam, task: Task) -> RunResult:
    """Play and grade one run: (form index, policy, run, bot seed, think s)."""
    from sandbox.exam.grading import grade
    from sandbox.exam.replay import play, policy_chooser

    form_index, policy, run, bot_seed, think_s = task
    journal = play(exam, form_index, policy_chooser(policy), think_s=think_s, seed=bot_seed)
    result = grade(exam, form_index, journal)
    return RunResult(
        form_index, policy, run, bot_seed, think_s, float(result.score), bool(result.passed),
        tuple(float(c.score) for c in result.contacts),
    )  # fmt: skip


def check_bounds(exam: Exam, runs: int, workers: int | None) -> str | None:
    """Why a request is refused (one line), or None."""
    plays = runs * len(POLICIES) * len(exam.forms)
    if runs < 1:
        return f"--runs must be at least 1 (got {runs})"
    if runs > MAX_RUNS or plays > MAX_PLAYS:
        return (
            f"--runs {runs} is too many: {plays} plays ({len(POLICIES)} policies x "
            f"{len(exam.forms)} forms x {runs} runs, about 0.5 s of one core each); at most "
            f"{min(MAX_RUNS, MAX_PLAYS // (len(POLICIES) * len(exam.forms)))} runs"
        )
    if workers is not None and not (1 <= workers <= MAX_WORKERS):
        return f"--workers must be between 1 and {MAX_WORKERS} (got {workers})"
    return None


def play_all(
    exam: Exam,
    runs: int,
    seed: int,
    workers: int | None = None,
    scheduler: str | None = None,
) -> list[RunResult]:
    """Every policy through every form `runs` times, in (form, policy, run) order, through the
    sweep executor (`sandbox.sweeps`: local processes, or the Dask cluster at `scheduler`)."""
    from sandbox.sweeps import open_sweep

    global _WORKER_EXAM
    tasks: list[Task] = []
    for f in range(len(exam.forms)):
        params = [run_params(seed, f, r) for r in range(runs)]
        for policy in POLICIES:
            tasks.extend((f, policy, r, s, t) for r, (s, t) in enumerate(params))
    items: list[SweepTask] = [(str(exam.path), exam.content_hash, t) for t in tasks]
    _WORKER_EXAM = exam  # inherited by forked workers; others load it from its path
    try:
        with open_sweep(workers, scheduler, tasks=len(tasks), chunksize=2) as sweep:
            return sweep.map(_play_task, items)
    finally:
        _WORKER_EXAM = None


# ----------------------------------------------------------------------------- the report
@dataclass
class Calibration:
    exam: Exam
    runs: int
    seed: int
    tolerance: float
    distributions: list[dict[str, Any]] = field(default_factory=list)
    suggested: CutScore | None = None
    at_current: CutScore | None = None
    reliability: list[dict[str, Any]] = field(default_factory=list)
    competent_means: list[dict[str, Any]] = field(default_factory=list)
    pairs: list[FormPair] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def reliability_min(self) -> float | None:
        alphas = [r["alpha"] for r in self.reliability]
        return None if not alphas or None in alphas else min(alphas)

    def to_json(self) -> dict[str, Any]:
        exam = self.exam
        return {
            "schema": SCHEMA,
            "command": "exam calibrate",
            "ok": self.ok,
            "problems": list(self.problems),
            "exam": {"id": exam.id, "version": exam.version, "hash": exam.content_hash},
            "runs": self.runs,
            "seed": self.seed,
            "policies": list(POLICIES),
            "think_s": list(THINK_RANGE_S),
            "forms": [
                {"index": i, "id": f.id, "seed": f.seed, "customers": f.customers}
                for i, f in enumerate(exam.forms)
            ],
            "distributions": self.distributions,
            "cut": {
                "current": exam.pass_rule.cut,
                "at_current": self.at_current.to_json() if self.at_current else None,
                "suggested": self.suggested.to_json() if self.suggested else None,
                "method": "contrasting groups (novice vs competent, all forms): the score "
                "minimising smoothed P(novice >= c) + P(competent < c), where the smoothed "
                "densities cross",
            },
            "reliability": {
                "target": RELIABILITY_TARGET,
                "alpha_min": _r(self.reliability_min),
                "forms": self.reliability,
            },
            "equivalence": {
                "tolerance": self.tolerance,
                "competent_means": self.competent_means,
                "pairs": [p.to_json() for p in self.pairs],
            },
        }

    def render(self) -> str:
        exam = self.exam
        lines = [
            f"{exam.id} v{exam.version}: {len(POLICIES)} policies x {len(exam.forms)} forms x "
            f"{self.runs} runs, seed {self.seed} / 考试校准",
            f"{'policy 策略':<12}{'form 卷':<9}{'mean 均分':>10}{'sd':>7}{'p5':>7}{'p25':>7}"
            f"{'p50':>7}{'p75':>7}{'p95':>7}{'pass 通过率':>13}",
        ]
        for d in self.distributions:
            lines.append(
                f"{d['policy']:<12}{d['form']:<9}{d['mean']:>10.1f}{d['sd']:>7.1f}"
                f"{d['p5']:>7.1f}{d['p25']:>7.1f}{d['p50']:>7.1f}{d['p75']:>7.1f}"
                f"{d['p95']:>7.1f}{d['pass_rate']:>13.0%}"
            )
        cur = self.at_current
        sug = self.suggested
        if cur is not None:
            lines.append(
                f"current cut 当前合格线 {exam.pass_rule.cut:g}: novice pass 新手误过 "
                f"{cur.novice_pass_rate:.0%}, competent fail 胜任误挂 {cur.competent_fail_rate:.0%}"
            )
        if sug is not None:
            lines.append(
                f"suggested cut 建议合格线 {sug.cut:.1f} (contrasting groups 对照组法): "
                f"novice pass 新手误过 {sug.novice_pass_rate:.0%}, competent fail 胜任误挂 "
                f"{sug.competent_fail_rate:.0%}"
            )
        lines.append(
            f"{'reliability 信度':<18}{'alpha':>8}{'95% CI 区间':>18}{'items 题':>10}"
            f"{'persons 人次':>14}"
        )
        for r in self.reliability:
            alpha = "-" if r["alpha"] is None else f"{r['alpha']:.3f}"
            ci = "-" if r["ci95"] is None else f"{r['ci95'][0]:.3f}..{r['ci95'][1]:.3f}"
            flag = "" if r["meets_target"] else f"  below 低于 {RELIABILITY_TARGET}"
            lines.append(
                f"{'  form 卷 ' + r['form']:<18}{alpha:>8}{ci:>18}{r['items']:>10}"
                f"{r['persons']:>14}{flag}"
            )
        lines.append(
            f"form equivalence 平行卷等值 (competent mean 胜任均分, tolerance 容差 "
            f"±{self.tolerance:g}):"
        )
        for p in self.pairs:
            verdict = "equivalent 等值" if p.equivalent else "NOT equivalent 不等值"
            lines.append(f"  {p.a} vs {p.b}: {p.difference:+.1f}  {verdict}")
        if self.ok:
            lines.append("calibrated 校准通过")
        for problem in self.problems:
            lines.append(f"problem 问题: {problem}")
        return "\n".join(lines)


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None else round(x, nd)


def _dist(policy: str, form: str, rows: list[RunResult]) -> dict[str, Any]:
    stats = describe([r.score for r in rows])
    return {
        "policy": policy,
        "form": form,
        "runs": len(rows),
        **{k: round(v, 4) for k, v in stats.items()},
        "pass_rate": round(sum(r.passed for r in rows) / len(rows), 6) if rows else 0.0,
    }


def summarise(
    exam: Exam, results: Sequence[RunResult], runs: int, seed: int, tolerance: float
) -> Calibration:
    """The report of a set of runs (in any order: they are sorted first)."""
    rows = sorted(results, key=lambda r: (r.form_index, POLICIES.index(r.policy), r.run))
    cal = Calibration(exam, runs, seed, tolerance)
    forms = [f.id for f in exam.forms]
    for policy in POLICIES:
        for f, fid in enumerate(forms):
            cal.distributions.append(
                _dist(policy, fid, [r for r in rows if r.policy == policy and r.form_index == f])
            )
        if len(forms) > 1:
            cal.distributions.append(_dist(policy, "all", [r for r in rows if r.policy == policy]))
    novice = [r.score for r in rows if r.policy == "novice"]
    competent = [r.score for r in rows if r.policy == "competent"]
    if novice and competent:
        cal.suggested = contrasting_groups_cut(novice, competent)
        cal.at_current = misclassification(novice, competent, exam.pass_rule.cut)
    for f, fid in enumerate(forms):
        matrix = [r.contact_scores for r in rows if r.form_index == f]
        alpha = cronbach_alpha(matrix)
        ci = alpha_interval(matrix, _boot_seed(seed, f)) if alpha is not None else None
        meets = alpha is not None and alpha >= RELIABILITY_TARGET
        cal.reliability.append({
            "form": fid, "alpha": _r(alpha), "ci95": None if ci is None else [_r(ci[0]), _r(ci[1])],
            "items": exam.customers, "persons": len(matrix), "meets_target": meets,
        })  # fmt: skip
        if not meets:
            shown = "undefined" if alpha is None else f"{alpha:.3f}"
            cal.problems.append(
                f"reliability of form {fid}: Cronbach's alpha {shown} is below {RELIABILITY_TARGET}"
            )
    means: list[tuple[str, float]] = []
    for f, fid in enumerate(forms):
        scores = [r.score for r in rows if r.form_index == f and r.policy == "competent"]
        stats = describe(scores)
        means.append((fid, stats["mean"]))
        cal.competent_means.append(
            {"form": fid, "mean": round(stats["mean"], 4), "sd": round(stats["sd"], 4),
             "runs": len(scores)}
        )  # fmt: skip
    cal.pairs = form_pairs(means, tolerance)
    for p in cal.pairs:
        if not p.equivalent:
            cal.problems.append(
                f"forms {p.a} and {p.b} are not equivalent: competent means differ by "
                f"{abs(p.difference):.1f} points (tolerance {tolerance:g})"
            )
    return cal


def _boot_seed(seed: int, form_index: int) -> int:
    state = np.random.SeedSequence([int(seed), int(form_index), 0xA1FA]).generate_state(
        1, np.uint32
    )
    return int(state[0])


def calibrate(
    exam: Exam,
    runs: int = DEFAULT_RUNS,
    seed: int = 0,
    workers: int | None = None,
    tolerance: float = FORM_TOLERANCE,
    scheduler: str | None = None,
) -> Calibration:
    """Play, grade and summarise. Raises ValueError when the request is out of bounds (and
    `sandbox.sweeps.SweepError` when the Dask scheduler cannot be reached)."""
    why = check_bounds(exam, runs, workers)
    if why is not None:
        raise ValueError(why)
    return summarise(exam, play_all(exam, runs, seed, workers, scheduler), runs, seed, tolerance)
