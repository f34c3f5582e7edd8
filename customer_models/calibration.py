"""The calibration rows of shared/calibration.md: what each row claims and how it is measured.

Why the statistics live here and the play does not: a row is a relationship between the
features of a finished contact and the outcome models' predictions, so it can be computed on
any population of contacts with those columns. `sandbox.calibration_rows` builds that
population by playing contacts **through the engine** (queues, patience, the reaction model,
hang-ups, bot policies) and bootstraps every statistic; this module never imports the engine.

Each row has a *role*:
- ``outcome`` — measured on played contacts and judged against the tolerance (pass / fail);
- ``generator`` — the relationship is written into the ground-truth generator as its own term
  (the row's figure was put there, e.g. the jump in churn after 3 calls); it is shown as an
  input with the coefficients used and the engine measurement for information, never "pass";
- ``input`` — a parameter of the scenario (handle times, arrivals), shown with its value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from customer_models import features, ground_truth
from customer_models.models import OutcomeModels

CONTRACTS = ("month_to_month", "one_year", "two_year")
SEVERITY_BANDS = ((0.0, 4.0), (4.0, 7.0), (7.0, 10.01))
#: Final anger at most this for both groups of row 8 (the same filter on both sides).
CALM_ANGER = 3.0


@dataclass(frozen=True)
class RowSpec:
    """What a row of shared/calibration.md claims: names, target, tolerance and role."""

    id: int
    relationship: str
    relationship_zh: str
    target: str
    tolerance: str
    role: str  # outcome | generator | input
    basis: str = ""  # generator terms (or scenario parameters) the relationship rests on


def _g(table: Mapping[str, Any], *keys: str) -> str:
    return ", ".join(f"{k} {table[k]:+g}" for k in keys)


ROWS: dict[int, RowSpec] = {
    r.id: r
    for r in (
        RowSpec(1, "First-contact resolution → CSAT", "首次解决率 → 客户满意度",
                "+1 pt FCR ≈ +1 pt top-box CSAT", "slope 0.5–1.5", "outcome",
                "emerges: bot policies resolve more or less in play; CSAT resolved/fcr terms"),
        RowSpec(2, "FCR level of an average center", "普通中心的首次解决率",
                "67–72% average; world class ≥ 80%", "a competent bot lands in 60–80%",
                "outcome", "emerges: journeys, the competent policy, the reaction model"),
        RowSpec(3, "Each repeat contact for the same issue", "同一问题每多一次来电",
                "−15 to −20 top-box pts per callback", "7.5–30 pts, decreasing", "outcome",
                f"CSAT {_g(ground_truth.CSAT, 'prior_contacts')} per earlier contact"),
        RowSpec(4, "Resolution → defection", "解决情况 → 客户流失",
                "5% FCR, 9% after 2+ contacts, 25% unresolved",
                "ordering; ratios 0.9–2.7× and 2.5–7.5×", "outcome",
                f"CHURN {_g(ground_truth.CHURN, 'unresolved', 'resolved_after_repeat')}"),
        RowSpec(5, "Complaint contacts", "投诉类来电",
                "top-box 55% complaints vs 82% others (gap 27 pts)",
                "complaints lower; gap 13.5–40.5 pts", "outcome",
                f"CSAT {_g(ground_truth.CSAT, 'complaint')} (+ complaint handling)"),
        RowSpec(6, "Customer effort → disloyalty", "客户费力度 → 不忠诚",
                "high effort far more disloyal (96% vs 9%)", "monotone, highest ≥ 3× lowest",
                "generator",
                "CHURN " + _g(ground_truth.CHURN, "wait_per_min", "holds", "transfers",
                              "handle_over8_per_min", "prior_contacts") + " — each part of "
                "the effort index is its own churn term"),
        RowSpec(7, "Apology plus remedy", "致歉加补救",
                "satisfied 37% remedy only → 74% with apology (2×)", "ratio 1.5–2.5×",
                "outcome",
                f"CSAT {_g(ground_truth.CSAT, 'complaint_apology', 'complaint_recovered')}"),
        RowSpec(8, "Service-recovery paradox", "服务补救悖论",
                "recovery raises satisfaction, not repurchase",
                f"CSAT difference > 0; churn difference ≥ 0 (both groups resolved, final "
                f"anger ≤ {CALM_ANGER:g})", "outcome",
                "CSAT " + _g(ground_truth.CSAT, "complaint", "complaint_apology",
                             "complaint_recovered") + "; CHURN " +
                _g(ground_truth.CHURN, "complaint", "complaint_severity")),
        RowSpec(9, "Failure severity → loyalty after recovery", "失误严重度 → 补救后忠诚度",
                "more severe, less loyal", "monotone", "generator",
                f"CHURN {_g(ground_truth.CHURN, 'complaint_severity')} per point of peak "
                "anger in a complaint"),
        RowSpec(10, "Service calls → churn", "服务来电次数 → 流失",
                "~11% for 0–3 calls, 44% at 4, 60% at 5",
                "monotone, churn at 4 calls ≥ 2× churn at 1–3", "generator",
                f"CHURN {_g(ground_truth.CHURN, 'prior_ge3', 'prior_ge4')} (the jump is a term)"),
        RowSpec(11, "Contract and support → churn", "合约与支持 → 流失",
                "month-to-month 42.7% > 1-year 11.3% > 2-year 2.8%; no support 41.6% > 15.2%",
                "ordering in play, and by contract alone on the same contacts (baseline risk "
                "held)", "outcome",
                "persona churn_risk by contract; CHURN contract "
                + ", ".join(f"{k} {v:+g}" for k, v in ground_truth.CHURN["contract"].items())),
        RowSpec(12, "Handle time", "处理时长", "typical 3–7 min per call; log(service time) ≈ normal",
                "scenario default", "input"),
        RowSpec(13, "Patience", "耐心", "abandoners' observed mean wait 37 s (US) – 72 s (APAC)",
                "abandoners' mean wait in full-day in 37–72 s", "outcome",
                "emerges: persona patience, queue load and staffing of full-day"),
        RowSpec(14, "Arrivals", "来电到达", "time-varying Poisson, peak hour ≈ 3× early hour; "
                "overdispersed day to day", "shape", "input"),
        RowSpec(15, "Service-to-sales conversion", "服务转销售转化率",
                "inbound cross-sell acceptance 1–40% depending on fit",
                "full-day's overall conversion in 1–40%; rising with fit (observed, and by fit "
                "alone on the same offers)", "outcome",
                "CROSS_SELL fit " + " / ".join(f"{v:+g}" for v in
                                               ground_truth.CROSS_SELL["fit"].values())),
    )
}  # fmt: skip


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def prepare(cols: Mapping[str, Any], models: OutcomeModels | None = None) -> dict[str, np.ndarray]:
    """Predictions and derived columns of answered contacts (raw columns, RAW_FIELDS at least):
    top-box, satisfied (CSAT 4-5), mean CSAT, churn, cross-sell acceptance, the effort index,
    and the counterfactuals rows 11 and 15 compare on the *same* contacts: churn with each
    contract (baseline risk held) and acceptance with each fit (offers only)."""
    models = models or OutcomeModels.load_default()
    raw = {f: np.asarray(cols[f]) for f in features.RAW_FIELDS}
    pred = models.predict(features.encode_columns(raw))
    out: dict[str, np.ndarray] = {
        "top_box": np.asarray(pred.csat_top_box, dtype=float),
        "satisfied": np.asarray(pred.csat_probs, dtype=float)[:, 3:].sum(axis=1),
        "csat": np.asarray(pred.csat_mean, dtype=float),
        "churn": np.asarray(pred.churn, dtype=float),
        "xs": np.asarray(pred.cross_sell, dtype=float),
        "effort": ground_truth.effort_score(raw),
    }
    for key in ("resolved", "prior_contacts", "anger_final", "anger_peak", "cross_sell_fit"):
        out[key] = raw[key].astype(float)
    out["offered"] = raw["cross_sell_offered"].astype(float) > 0
    out["complaint"] = raw["kind"] == "complaint"
    out["apology"] = raw["beh_apology"].astype(float) > 0
    out["remedy"] = (raw["beh_offer_solution"].astype(float) + raw["beh_compensate"]) > 0
    for i, contract in enumerate(CONTRACTS):
        out[f"contract_{i}"] = raw["contract"] == contract
        alt = dict(raw, contract=np.full(len(raw["contract"]), contract, dtype=object))
        out[f"churn_if_{i}"] = np.asarray(
            models.predict(features.encode_columns(alt)).churn, dtype=float
        )
    offered = out["offered"]
    for fit in (1, 2, 3):
        alt = dict(raw, cross_sell_fit=np.where(offered, float(fit), 0.0))
        out[f"xs_if_{fit}"] = np.where(
            offered, np.asarray(models.predict(features.encode_columns(alt)).cross_sell), np.nan
        )
    return out


def statistics(
    p: Mapping[str, np.ndarray],
    center: np.ndarray,
    n_centers: int,
    competent: int,
    realistic: int,
    weights: np.ndarray | None = None,
) -> dict[str, float]:
    """Every scalar the rows judge, from answered contacts `p` (`prepare`) with their center
    index. `competent` is the center staffed with the competent policy only (row 2),
    `realistic` the shipped full-day center (rows 15's overall conversion). `weights` counts
    each contact (a bootstrap resample's multiplicities; None: once each)."""
    s: dict[str, float] = {}
    w = np.ones(len(center)) if weights is None else np.asarray(weights, dtype=float)

    def _mean(a: np.ndarray, m: np.ndarray) -> float:
        wm = w * m
        total = wm.sum()
        # (no np.dot: BLAS threads spin on a shared machine; a plain sum is faster here)
        return float((wm * np.where(m, a, 0.0)).sum() / total) if total > 0 else float("nan")

    res = p["resolved"] > 0
    prior = p["prior_contacts"]
    tb, churn = p["top_box"], p["churn"]
    complaint = p["complaint"]
    every = np.ones(len(res), dtype=bool)

    # 1, 2: FCR (resolved share of answered contacts, the KPI) and top-box by center
    fcr = [_mean(res.astype(float), center == k) for k in range(n_centers)]
    tbc = [_mean(tb, center == k) for k in range(n_centers)]
    for k in range(n_centers):
        s[f"fcr_{k}"], s[f"top_box_{k}"] = fcr[k], tbc[k]
    ok = np.isfinite(fcr) & np.isfinite(tbc)
    s["r1_slope"] = (
        float(np.polyfit(np.asarray(fcr)[ok], np.asarray(tbc)[ok], 1)[0])
        if ok.sum() >= 2 else float("nan")
    )  # fmt: skip
    s["r2_fcr"] = fcr[competent]

    # 3: top-box by earlier contacts 0..3
    for k in range(4):
        s[f"r3_top_box_{k}"] = _mean(tb, prior == k)
    s["r3_drop"] = 100 * (s["r3_top_box_0"] - s["r3_top_box_3"]) / 3

    # 4: churn of resolved first contacts, resolved repeats, unresolved
    s["r4_fcr"] = _mean(churn, res & (prior == 0))
    s["r4_repeat"] = _mean(churn, res & (prior >= 1))
    s["r4_unresolved"] = _mean(churn, ~res)
    s["r4_ratio_repeat"] = _ratio(s["r4_repeat"], s["r4_fcr"])
    s["r4_ratio_unresolved"] = _ratio(s["r4_unresolved"], s["r4_fcr"])

    # 5: complaints vs other contacts
    s["r5_complaint"], s["r5_other"] = _mean(tb, complaint), _mean(tb, ~complaint)
    s["r5_gap"] = 100 * (s["r5_other"] - s["r5_complaint"])

    # 6: churn by effort quintile (by mid-rank: equal effort, same band; a band may be empty
    # when many contacts tie, e.g. no wait, hold or transfer on a first contact)
    band = p["effort_band"] if "effort_band" in p else quintile_bands(p["effort"])
    for k in range(5):
        s[f"r6_q{k}"] = _mean(churn, band == k)
    filled = [s[f"r6_q{k}"] for k in range(5) if np.isfinite(s[f"r6_q{k}"])]
    s["r6_ratio"] = _ratio(filled[-1], filled[0]) if filled else float("nan")

    # 7: satisfied share of complaints with a remedy, without vs with an apology
    rem = complaint & p["remedy"]
    s["r7_remedy_only"] = _mean(p["satisfied"], rem & ~p["apology"])
    s["r7_both"] = _mean(p["satisfied"], rem & p["apology"])
    s["r7_ratio"] = _ratio(s["r7_both"], s["r7_remedy_only"])

    # 8: recovered complaints vs failure-free contacts, the same filter on both sides
    calm = res & (p["anger_final"] <= CALM_ANGER)
    recovered = calm & complaint & p["apology"] & p["remedy"]
    failure_free = calm & ~complaint
    s["r8_csat"] = _mean(p["csat"], recovered) - _mean(p["csat"], failure_free)
    s["r8_churn"] = 100 * (_mean(churn, recovered) - _mean(churn, failure_free))
    s["r8_n_recovered"] = float(recovered.sum())

    # 9: churn of resolved complaints by peak anger band
    for k, (lo, hi) in enumerate(SEVERITY_BANDS):
        s[f"r9_band_{k}"] = _mean(
            churn, complaint & res & (p["anger_peak"] >= lo) & (p["anger_peak"] < hi)
        )
    s["r9_spread"] = 100 * (s["r9_band_2"] - s["r9_band_0"])

    # 10: churn by service calls (earlier contacts + 1)
    calls = prior + 1
    for k in range(1, 6):
        s[f"r10_calls_{k}"] = _mean(churn, calls == k)
    s["r10_low"] = _mean(churn, calls <= 3)
    s["r10_jump"] = _ratio(s["r10_calls_4"], s["r10_low"])

    # 11: churn by contract in play; by contract alone on the same contacts; support
    for i in range(len(CONTRACTS)):
        s[f"r11_contract_{i}"] = _mean(churn, p[f"contract_{i}"])
        s[f"r11_same_{i}"] = _mean(p[f"churn_if_{i}"], every)
    s["r11_unsupported"], s["r11_supported"] = _mean(churn, ~res), _mean(churn, res)
    s["r11_same_gap"] = 100 * (s["r11_same_0"] - s["r11_same_2"])

    # 15: overall conversion of the realistic center; by fit observed and on the same offers
    offered = p["offered"]
    accepted = p.get("accepted")
    real_offers = offered & (center == realistic)
    s["r15_overall"] = _mean(accepted if accepted is not None else p["xs"], real_offers)
    s["r15_offers"] = float(real_offers.sum())
    for fit in (1, 2, 3):
        s[f"r15_fit_{fit}"] = _mean(p["xs"], offered & (p["cross_sell_fit"] == fit))
        s[f"r15_same_{fit}"] = _mean(p[f"xs_if_{fit}"], offered)
    return s


def quintile_bands(x: np.ndarray) -> np.ndarray:
    """Quintile band 0..4 of each value by its mid-rank (ties share a band)."""
    n = len(x)
    if n == 0:
        return np.zeros(0, dtype=int)
    order = np.sort(x)
    mid = (np.searchsorted(order, x, "left") + np.searchsorted(order, x, "right")) / 2.0
    return np.minimum((5 * mid / n).astype(int), 4)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%" if np.isfinite(x) else "n/a"


def _up(values: Sequence[float]) -> bool:
    return all(np.isfinite(v) for v in values) and all(a < b for a, b in pairwise(values))


def _down(values: Sequence[float]) -> bool:
    return all(np.isfinite(v) for v in values) and all(a > b for a, b in pairwise(values))


#: Per row: (headline statistic, how it is printed, the judgement, the measured text).
Judge = Callable[[Mapping[str, float]], bool]
Text = Callable[[Mapping[str, float]], str]


def _t(fmt: str) -> Callable[[float], str]:
    return lambda v: fmt.format(v) if np.isfinite(v) else "n/a"


JUDGES: dict[int, tuple[str, str, Callable[[float], str], Judge, Text]] = {
    1: ("r1_slope", "slope", _t("{:.2f}"),
        lambda s: 0.5 <= s["r1_slope"] <= 1.5,
        lambda s: "across the centers (FCR {} … {})".format(
            _pct(min(v for k, v in s.items() if k.startswith("fcr_"))),
            _pct(max(v for k, v in s.items() if k.startswith("fcr_"))))),
    2: ("r2_fcr", "FCR", _pct, lambda s: 0.60 <= s["r2_fcr"] <= 0.80,
        lambda s: "FCR of the all-competent center"),
    3: ("r3_drop", "top-box drop per callback", _t("{:.1f} pts"),
        lambda s: _down([s[f"r3_top_box_{k}"] for k in range(4)]) and 7.5 <= s["r3_drop"] <= 30,
        lambda s: "top-box by 0/1/2/3 earlier contacts " + " > ".join(
            _pct(s[f"r3_top_box_{k}"]) for k in range(4))),
    4: ("r4_ratio_unresolved", "churn unresolved / FCR", _t("{:.2f}×"),
        lambda s: _up([s["r4_fcr"], s["r4_repeat"], s["r4_unresolved"]])
        and 0.9 <= s["r4_ratio_repeat"] <= 2.7 and 2.5 <= s["r4_ratio_unresolved"] <= 7.5,
        lambda s: f"churn {_pct(s['r4_fcr'])} / {_pct(s['r4_repeat'])} / "
        f"{_pct(s['r4_unresolved'])} (repeat {s['r4_ratio_repeat']:.2f}×)"),
    5: ("r5_gap", "top-box gap", _t("{:.1f} pts"),
        lambda s: s["r5_complaint"] < s["r5_other"] and 13.5 <= s["r5_gap"] <= 40.5,
        lambda s: f"top-box {_pct(s['r5_complaint'])} complaints vs {_pct(s['r5_other'])}"),
    6: ("r6_ratio", "churn highest / lowest effort band", _t("{:.1f}×"),
        lambda s: _up([s[f"r6_q{k}"] for k in range(5) if np.isfinite(s[f"r6_q{k}"])])
        and s["r6_ratio"] >= 3,
        lambda s: "churn by effort quintile " + " < ".join(
            _pct(s[f"r6_q{k}"]) for k in range(5) if np.isfinite(s[f"r6_q{k}"]))),
    7: ("r7_ratio", "satisfied with apology / remedy only", _t("{:.2f}×"), lambda s: 1.5 <= s["r7_ratio"] <= 2.5,
        lambda s: f"satisfied {_pct(s['r7_remedy_only'])} remedy only → {_pct(s['r7_both'])} "
        "with apology"),
    8: ("r8_csat", "CSAT recovered − failure-free", _t("{:+.2f}"), lambda s: s["r8_csat"] > 0 and s["r8_churn"] >= 0,
        lambda s: f"churn {s['r8_churn']:+.1f} pts; {int(s['r8_n_recovered'])} recovered "
        "complaints vs resolved non-complaints"),
    9: ("r9_spread", "churn severe − mild", _t("{:+.1f} pts"),
        lambda s: _up([s[f"r9_band_{k}"] for k in range(3)]),
        lambda s: "churn by peak anger 0–4 / 4–7 / 7–10: " + " < ".join(
            _pct(s[f"r9_band_{k}"]) for k in range(3))),
    10: ("r10_jump", "churn at 4 calls / 1–3 calls", _t("{:.2f}×"),
         lambda s: _up([s[f"r10_calls_{k}"] for k in range(1, 6)]) and s["r10_jump"] >= 2,
         lambda s: f"{_pct(s['r10_low'])} for 1–3 calls, {_pct(s['r10_calls_4'])} at 4, "
         f"{_pct(s['r10_calls_5'])} at 5"),
    11: ("r11_same_gap", "churn month-to-month − 2-year, same contacts", _t("{:+.1f} pts"),
         lambda s: _down([s[f"r11_contract_{i}"] for i in range(3)])
         and _down([s[f"r11_same_{i}"] for i in range(3)])
         and s["r11_unsupported"] > s["r11_supported"],
         lambda s: "in play " + " > ".join(_pct(s[f"r11_contract_{i}"]) for i in range(3))
         + "; same contacts " + " > ".join(_pct(s[f"r11_same_{i}"]) for i in range(3))
         + f"; unresolved {_pct(s['r11_unsupported'])} vs {_pct(s['r11_supported'])}"),
    15: ("r15_overall", "full-day conversion", _pct,
         lambda s: 0.01 <= s["r15_overall"] <= 0.40
         and _up([s[f"r15_fit_{f}"] for f in (1, 2, 3)])
         and _up([s[f"r15_same_{f}"] for f in (1, 2, 3)]),
         lambda s: f"full-day converts {_pct(s['r15_overall'])} of "
         f"{int(s['r15_offers'])} offers; by fit low/medium/high "
         + " / ".join(_pct(s[f"r15_fit_{f}"]) for f in (1, 2, 3)) + " (same offers "
         + " / ".join(_pct(s[f"r15_same_{f}"]) for f in (1, 2, 3)) + ")"),
}  # fmt: skip


def _clean(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, list | tuple | np.ndarray):
        return [_clean(x) for x in v]
    if isinstance(v, float | np.floating):
        v = float(v)
        return round(v, 4) if np.isfinite(v) else None
    if isinstance(v, np.integer):
        return int(v)
    return v


def make_row(
    rid: int,
    measured: str,
    value: float | None,
    ci: tuple[float, float] | None,
    verdict: str,
    **details: Any,
) -> dict[str, Any]:
    """One row of the table: the spec's words plus what was measured and the verdict
    (``pass`` / ``fail`` for outcomes, ``input`` for inputs and generator-asserted rows)."""
    spec = ROWS[rid]
    return {
        "id": rid,
        "relationship": spec.relationship,
        "relationship_zh": spec.relationship_zh,
        "role": spec.role,
        "target": spec.target,
        "measured": measured,
        "value": _clean(value),
        "ci95": _clean(list(ci)) if ci is not None else None,
        "tolerance": spec.tolerance,
        "verdict": verdict,
        "passed": verdict == "pass" if verdict != "input" else None,
        "basis": spec.basis,
        "details": _clean(details),
    }


def judged_row(
    rid: int, stats: Mapping[str, float], cis: Mapping[str, tuple[float, float]]
) -> dict[str, Any]:
    """A customer row from the statistics and their bootstrap intervals: outcome rows pass
    or fail on the point estimates; generator-asserted rows are reported as inputs."""
    key, label, fmt, judge, text = JUDGES[rid]
    value = stats[key]
    ci = cis.get(key)
    shown = f"{label} {fmt(value)}" + (f" [95% CI {fmt(ci[0])} … {fmt(ci[1])}]" if ci else "")
    ok = bool(np.isfinite(value)) and bool(judge(stats))
    spec = ROWS[rid]
    if spec.role == "generator":
        verdict = "input"
        measured = (
            f"generator-asserted ({spec.basis}); in play: {shown}; {text(stats)}"
            f" — {'reproduced' if ok else 'NOT reproduced'}"
        )
    else:
        verdict = "pass" if ok else "fail"
        measured = f"{shown}; {text(stats)}"
    # rows 1 and 2 share the per-center figures; the others own the keys of their prefix
    prefix = ("fcr_", "top_box_", "r1_", "r2_") if rid in (1, 2) else key.split("_")[0] + "_"
    details = {k: v for k, v in stats.items() if k.startswith(prefix)}
    return make_row(
        rid, measured, value, ci, verdict, reproduced_in_play=ok, **details,
        ci95={k: list(v) for k, v in cis.items() if k in details},
    )  # fmt: skip
