"""Calibration rows 1, 3-11 and 15 of shared/calibration.md, measured on the trained models.

A fresh evaluation population is drawn from the ground-truth generator (a seed independent of
training); the relationships are measured on the *models' predictions* for it, so a row passes
only if the generator encodes the relationship and the models learned it.
Row 2 (a competent bot's FCR) needs journeys and bots: `sandbox.calibration_rows` adds it.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np

from customer_models import features, ground_truth
from customer_models.models import OutcomeModels

CALIBRATION_SEED = 7_000_003
EVAL_SIZE = 60_000
CENTER_QUALITIES = tuple(np.round(np.linspace(0.2, 0.9, 8), 3))
CENTER_SIZE = 5_000


#: Relationship names in Simplified Chinese, by row id (the English name is in each row).
RELATIONSHIP_ZH: dict[int, str] = {
    1: "首次解决率 → 客户满意度",
    2: "普通中心的首次解决率",
    3: "同一问题每多一次来电",
    4: "解决情况 → 客户流失",
    5: "投诉类来电",
    6: "客户费力度 → 不忠诚",
    7: "致歉加补救",
    8: "服务补救悖论",
    9: "失误严重度 → 补救后忠诚度",
    10: "服务来电次数 → 流失",
    11: "合约与支持 → 流失",
    15: "服务转销售转化率",
}


def _finite(v: float | np.floating[Any]) -> float | None:
    v = float(v)
    return round(v, 4) if np.isfinite(v) else None


def _row(
    rid: int,
    relationship: str,
    target: str,
    measured: str,
    tolerance: str,
    passed: bool,
    value: float,
    **details: Any,
) -> dict[str, Any]:
    return {
        "id": rid,
        "relationship": relationship,
        "relationship_zh": RELATIONSHIP_ZH[rid],
        "target": target,
        "measured": measured,
        "tolerance": tolerance,
        "passed": bool(passed),
        "value": _finite(value),
        "details": {k: _clean(v) for k, v in details.items()},
    }


def _clean(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, list | tuple | np.ndarray):
        return [_clean(x) for x in v]
    if isinstance(v, float | np.floating):
        return _finite(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _mean(a: np.ndarray, m: np.ndarray) -> float:
    return float(a[m].mean()) if m.any() else float("nan")


def compute_rows(
    models: OutcomeModels | None = None, seed: int = CALIBRATION_SEED, n: int = EVAL_SIZE
) -> list[dict[str, Any]]:
    """The calibration table rows (dicts with id, relationship, target, measured, tolerance,
    passed, value, details), in row order."""
    models = models or OutcomeModels.load_default()
    ss = np.random.SeedSequence(seed)
    pop_seed, *center_seeds = ss.spawn(1 + len(CENTER_QUALITIES))
    gen = ground_truth.generate(np.random.default_rng(pop_seed), n)
    c = gen.columns
    pred = models.predict(features.encode_columns(c))
    tb, churn = pred.csat_top_box, pred.churn
    sat = pred.csat_probs[:, 3:].sum(axis=1)  # satisfied = CSAT 4-5
    prior = c["prior_contacts"]
    resolved = c["resolved"] > 0
    complaint = c["kind"] == "complaint"
    rows = []

    # 1: FCR -> CSAT across centers of different agent quality
    fcr_pct, tb_pct = [], []
    for qm, s in zip(CENTER_QUALITIES, center_seeds, strict=True):
        g = ground_truth.generate(np.random.default_rng(s), CENTER_SIZE, quality_mean=float(qm))
        p = models.predict(features.encode_columns(g.columns))
        first = g.columns["prior_contacts"] == 0
        fcr_pct.append(float(g.columns["resolved"][first].mean()))
        tb_pct.append(float(p.csat_top_box.mean()))
    slope = float(np.polyfit(fcr_pct, tb_pct, 1)[0])
    rows.append(
        _row(
            1,
            "First-contact resolution → CSAT",
            "+1 pt FCR ≈ +1 pt top-box CSAT",
            f"slope {slope:.2f} across {len(fcr_pct)} centers (FCR {_pct(min(fcr_pct))}–{_pct(max(fcr_pct))})",
            "slope 0.5–1.5",
            0.5 <= slope <= 1.5,
            slope,
            fcr=fcr_pct,
            top_box=tb_pct,
        )
    )

    # 3: each repeat contact lowers top-box CSAT
    by_prior = [_mean(tb, prior == k) for k in range(4)]
    drop = 100 * (by_prior[0] - by_prior[3]) / 3
    mono = all(a > b for a, b in pairwise(by_prior))
    rows.append(
        _row(
            3,
            "Each repeat contact for the same issue",
            "−15 to −20 top-box pts per callback",
            f"−{drop:.1f} pts per callback (0→3 earlier contacts)",
            "7.5–30 pts, decreasing",
            mono and 7.5 <= drop <= 30,
            drop,
            top_box_by_prior=by_prior,
        )
    )

    # 4: resolution -> churn
    g1 = _mean(churn, resolved & (prior == 0))
    g2 = _mean(churn, resolved & (prior >= 1))
    g3 = _mean(churn, ~resolved)
    r2, r3 = g2 / g1, g3 / g1
    ok = g1 < g2 < g3 and 0.9 <= r2 <= 2.7 and 2.5 <= r3 <= 7.5
    rows.append(
        _row(
            4,
            "Resolution → defection",
            "5% FCR, 9% after 2+ contacts, 25% unresolved",
            f"{_pct(g1)} / {_pct(g2)} / {_pct(g3)} (ratios {r2:.2f}×, {r3:.2f}×)",
            "ordering; ratios 0.9–2.7× and 2.5–7.5×",
            ok,
            r3,
            churn_fcr=g1,
            churn_repeat_resolved=g2,
            churn_unresolved=g3,
        )
    )

    # 5: complaints vs other contacts
    tc, to = _mean(tb, complaint), _mean(tb, ~complaint)
    gap = 100 * (to - tc)
    rows.append(
        _row(
            5,
            "Complaint contacts",
            "top-box 55% complaints vs 82% others (gap 27 pts)",
            f"{_pct(tc)} vs {_pct(to)} (gap {gap:.1f} pts)",
            "complaints lower; gap 13.5–40.5 pts",
            tc < to and 13.5 <= gap <= 40.5,
            gap,
            complaint=tc,
            other=to,
        )
    )

    # 6: customer effort -> disloyalty (churn)
    effort = ground_truth.effort_score(c)
    edges = np.quantile(effort, [0.2, 0.4, 0.6, 0.8])
    band = np.digitize(effort, edges)
    by_effort = [_mean(churn, band == k) for k in range(5)]
    ratio = by_effort[-1] / by_effort[0]
    mono = all(a < b for a, b in pairwise(by_effort))
    rows.append(
        _row(
            6,
            "Customer effort → disloyalty",
            "high effort far more disloyal (96% vs 9%)",
            f"churn by effort quintile {' < '.join(_pct(v) for v in by_effort)} ({ratio:.1f}×)",
            "monotone, highest ≥ 3× lowest",
            mono and ratio >= 3,
            ratio,
            churn_by_quintile=by_effort,
        )
    )

    # 7: apology plus remedy
    remedy = (c["beh_offer_solution"] + c["beh_compensate"]) > 0
    apology = c["beh_apology"] > 0
    s_only = _mean(sat, complaint & remedy & ~apology)
    s_both = _mean(sat, complaint & remedy & apology)
    ratio7 = s_both / s_only
    rows.append(
        _row(
            7,
            "Apology plus remedy",
            "satisfied 37% remedy only → 74% with apology (2×)",
            f"{_pct(s_only)} → {_pct(s_both)} ({ratio7:.2f}×)",
            "ratio 1.5–2.5×",
            1.5 <= ratio7 <= 2.5,
            ratio7,
            remedy_only=s_only,
            apology_and_remedy=s_both,
        )
    )

    # 8: service-recovery paradox
    recovered = complaint & remedy & apology & resolved & (c["anger_final"] <= 3)
    failure_free = ~complaint & resolved
    d_csat = _mean(pred.csat_mean, recovered) - _mean(pred.csat_mean, failure_free)
    d_churn = _mean(churn, recovered) - _mean(churn, failure_free)
    rows.append(
        _row(
            8,
            "Service-recovery paradox",
            "recovery raises satisfaction, not repurchase",
            f"CSAT {d_csat:+.2f}, churn {100 * d_churn:+.1f} pts vs failure-free contacts",
            "CSAT difference > 0; churn difference ≥ 0",
            d_csat > 0 and d_churn >= 0,
            d_csat,
            csat_difference=d_csat,
            churn_difference=d_churn,
            recovered_n=int(recovered.sum()),
        )
    )

    # 9: failure severity (peak anger of a resolved complaint) -> post-recovery churn
    bands = ((0, 4), (4, 7), (7, 10.01))
    peak = c["anger_peak"]
    by_sev = [_mean(churn, complaint & resolved & (peak >= lo) & (peak < hi)) for lo, hi in bands]
    mono = all(a < b for a, b in pairwise(by_sev))
    rows.append(
        _row(
            9,
            "Failure severity → loyalty after recovery",
            "more severe, less loyal",
            f"churn by peak anger 0–4 / 4–7 / 7–10: {' < '.join(_pct(v) for v in by_sev)}",
            "monotone",
            mono,
            by_sev[-1] - by_sev[0],
            churn_by_severity=by_sev,
        )
    )

    # 10: service calls -> churn
    calls = prior + 1
    by_calls = [_mean(churn, calls == k) for k in range(1, 6)]
    low = _mean(churn, calls <= 3)
    mono = all(a <= b for a, b in pairwise(by_calls))
    jump = by_calls[3] / low
    rows.append(
        _row(
            10,
            "Service calls → churn",
            "~11% for 0–3 calls, 44% at 4, 60% at 5",
            f"{_pct(low)} for 1–3 calls, {_pct(by_calls[3])} at 4, {_pct(by_calls[4])} at 5",
            "monotone, churn at 4 calls ≥ 2× churn at 1–3",
            mono and jump >= 2,
            jump,
            churn_by_calls=by_calls,
        )
    )

    # 11: contract and support -> churn
    by_con = [_mean(churn, c["contract"] == k) for k in ("month_to_month", "one_year", "two_year")]
    sup = (_mean(churn, ~resolved), _mean(churn, resolved))
    ok = by_con[0] > by_con[1] > by_con[2] and sup[0] > sup[1]
    rows.append(
        _row(
            11,
            "Contract and support → churn",
            "month-to-month 42.7% > 1-year 11.3% > 2-year 2.8%; no support 41.6% > 15.2%",
            f"{' > '.join(_pct(v) for v in by_con)}; unsupported (unresolved) {_pct(sup[0])} vs {_pct(sup[1])}",
            "ordering",
            ok,
            by_con[0] / by_con[2],
            churn_by_contract=by_con,
            churn_by_support=sup,
        )
    )

    # 15: cross-sell acceptance by fit
    offered = c["cross_sell_offered"] > 0
    by_fit = [_mean(pred.cross_sell, offered & (c["cross_sell_fit"] == f)) for f in (1, 2, 3)]
    ok = all(0.01 <= v <= 0.40 for v in by_fit) and by_fit[0] < by_fit[1] < by_fit[2]
    rows.append(
        _row(
            15,
            "Service-to-sales conversion",
            "acceptance 1–40% depending on fit",
            f"low / medium / high fit: {' / '.join(_pct(v) for v in by_fit)}",
            "each 1–40%, rising with fit",
            ok,
            by_fit[2],
            acceptance_by_fit=by_fit,
        )
    )
    return rows
