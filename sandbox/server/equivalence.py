"""Forms shown equivalent by the bots (issue 16): when may a trainee's work on one exam form be
compared with their work on another?

The bots of the exam calibration (`sandbox.exam.calibration.play_all`: each policy plays every
form `runs` times, graded by the real grader) stand in for the same trainee on both forms.
**The rule**: two forms are equivalent when, for each of the novice, competent and expert bots,
the 95% percentile-bootstrap interval of the difference of its mean exam scores (form A minus
form B; runs resampled with replacement within each form) lies entirely within
±`tolerance` points (default `sandbox.exam.calibration.FORM_TOLERANCE`, 5 points: one contact's
worth on the shipped exams). An interval that reaches past the tolerance — a real difference,
or too few runs to tell — is *not shown equivalent*. This is an equivalence test (two
one-sided tests at 2.5% each, read off the interval), stricter than the calibration report's
"the competent means differ by at most the tolerance".

Equivalent forms are declared in the history (`History.declare_equivalent`) under their form
keys (`history.form_key` of each form's session: scenario, seed, journeys, models), so exam
attempts and practice on those forms are compared as one form by the effect reports.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from sandbox.bootstrap import percentile_interval, resample_indices

#: the bots whose scores must agree (random is noise, not a trainee)
POLICIES: tuple[str, ...] = ("novice", "competent", "expert")
RESAMPLES = 2000
RULE = ("for each of the novice, competent and expert bots, the 95% bootstrap interval of the "
        "difference of mean exam scores lies within ±{tol:g} points")  # fmt: skip


def form_keys(exam: Any) -> list[dict[str, Any]]:
    """Each form's key and label, as the history records an attempt on it."""
    from sandbox.engine.recorder import load_models
    from sandbox.exam.replay import form_scenario
    from sandbox.server.history import form_key, journeys_hash

    version = getattr(load_models(), "version", None)
    out = []
    for i, form in enumerate(exam.forms):
        sc = form_scenario(exam, i)
        out.append({"index": i, "id": form.id,
                    "label": f"{exam.id} v{exam.version} form {form.id}",
                    "key": form_key(sc.effective_hash(), form.seed,
                                    journeys_hash(sc.journey_hashes()), version)})  # fmt: skip
    return out


def difference(a: Sequence[float], b: Sequence[float], seed: int) -> dict[str, Any]:
    """mean(a) - mean(b) with its 95% bootstrap interval (each side resampled on its own)."""
    xa, xb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    diff = float(xa.mean() - xb.mean())
    boots = (xa[resample_indices(len(xa), seed, RESAMPLES)].mean(axis=1)
             - xb[resample_indices(len(xb), seed + 1, RESAMPLES)].mean(axis=1))  # fmt: skip
    lo, hi = percentile_interval(boots)
    return {"difference": round(diff, 4), "low": round(lo, 4), "high": round(hi, 4),
            "runs": [len(xa), len(xb)]}  # fmt: skip


def judge(scores: dict[tuple[str, str], list[float]], forms: Sequence[str], *,
          tolerance: float, seed: int = 0) -> list[dict[str, Any]]:  # fmt: skip
    """Every pair of forms: per bot the difference with its interval, and the verdict.
    `scores`: {(form id, policy): exam scores of its runs}."""
    out = []
    for n, (a, b) in enumerate(itertools.combinations(forms, 2)):
        per = {}
        for k, policy in enumerate(POLICIES):
            sa, sb = scores.get((a, policy)) or [], scores.get((b, policy)) or []
            if len(sa) < 2 or len(sb) < 2:
                per[policy] = {"difference": None, "low": None, "high": None,
                               "runs": [len(sa), len(sb)], "within": False}  # fmt: skip
                continue
            d = difference(sa, sb, seed + 1000 * n + 10 * k)
            d["within"] = -tolerance - 1e-9 <= d["low"] and d["high"] <= tolerance + 1e-9
            per[policy] = d
        out.append({"forms": [a, b], "bots": per,
                    "equivalent": all(p["within"] for p in per.values())})  # fmt: skip
    return out


def equivalence(exam: Any, *, runs: int, seed: int = 0, tolerance: float | None = None,
                workers: int | None = None) -> dict[str, Any]:  # fmt: skip
    """Play the bots through every form of `exam` and judge every pair of forms."""
    from sandbox.exam.calibration import FORM_TOLERANCE, check_bounds, play_all

    tol = FORM_TOLERANCE if tolerance is None else float(tolerance)
    why = check_bounds(exam, runs, workers)
    if why is not None:
        raise ValueError(why)
    results = play_all(exam, runs, seed, workers, None)
    forms = [f.id for f in exam.forms]
    scores: dict[tuple[str, str], list[float]] = {}
    for r in sorted(results, key=lambda r: (r.form_index, r.policy, r.run)):
        scores.setdefault((forms[r.form_index], r.policy), []).append(float(r.score))
    return {
        "exam": {"id": exam.id, "version": exam.version, "hash": exam.content_hash},
        "runs": runs, "seed": seed, "tolerance": tol, "rule": RULE.format(tol=tol),
        "forms": form_keys(exam), "pairs": judge(scores, forms, tolerance=tol, seed=seed),
    }  # fmt: skip


def declare(history: Any, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Declare every equivalent pair of `doc` (`equivalence`) in the history."""
    by_id = {f["id"]: f for f in doc["forms"]}
    out = []
    for pair in doc["pairs"]:
        if not pair["equivalent"]:
            continue
        a, b = (by_id[f] for f in pair["forms"])
        out.append(history.declare_equivalent(
            [(a["key"], a["label"]), (b["key"], b["label"])], rule=doc["rule"],
            evidence={"exam": doc["exam"], "runs": doc["runs"], "seed": doc["seed"],
                      "bots": pair["bots"]}))  # fmt: skip
    return out


def render(doc: dict[str, Any]) -> str:
    lines = [f"form equivalence of {doc['exam']['id']} v{doc['exam']['version']} "
             f"({doc['runs']} runs per bot and form)", f"rule: {doc['rule']}", ""]  # fmt: skip
    for pair in doc["pairs"]:
        a, b = pair["forms"]
        verdict = "equivalent" if pair["equivalent"] else "NOT shown equivalent"
        lines.append(f"forms {a} and {b}: {verdict}")
        for policy, d in pair["bots"].items():
            if d["difference"] is None:
                lines.append(f"  {policy:<10} too few runs")
                continue
            mark = "within" if d["within"] else "outside"
            lines.append(f"  {policy:<10} difference {d['difference']:+.2f} "
                         f"[{d['low']:+.2f}, {d['high']:+.2f}] {mark} ±{doc['tolerance']:g}")  # fmt: skip
    return "\n".join(lines)
