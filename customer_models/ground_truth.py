"""The documented ground-truth world the outcome models learn from.

`generate` samples personas, plausible contacts handled by agents of varied quality, the
customer's mood (using the reaction model's coefficients in expectation), and three labels:
CSAT (1-5, ordinal logit), churn within 90 days (logit on the persona's baseline risk) and
cross-sell acceptance (logit, when an offer was made). The coefficients in `CSAT`, `CHURN`,
`CROSS_SELL` and `CONTACT` were tuned so the published relationships of
shared/calibration.md rows 1, 3-11 and 15 hold **for contacts played through the engine**
(`shapan model calibrate`, `sandbox.calibration_rows`): the engine's bots resolve and soothe
more than this generator's average agent, so levels were set on played contacts, not here.
Rows 6, 9 and 10 are asserted by their own terms (effort parts, `complaint_severity`,
`prior_ge3`/`prior_ge4`); the table reports them as generator inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from customer_models.features import BEHAVIOURS, RAW_FIELDS, RISK_TYPES
from customer_models.personas import PersonaMix, sample_personas
from customer_models.reaction import BASE_EFFECTS, REACTION

#: How contacts happen: channel/kind mix, agent quality, behaviour rates, times, resolution.
CONTACT: dict[str, Any] = {
    "channel_mix": {"phone": 0.6, "chat": 0.3, "email": 0.1},
    "kind_mix": {"complaint": 0.3, "inquiry": 0.5, "sales": 0.2},
    # agent quality q in [0, 1] ~ Beta(a, b), or Beta with mean m and concentration k
    "quality_beta": (2.2, 1.6),
    "quality_concentration": 12.0,
    # behaviour tag -> (Poisson rate for the worst agent q=0, for the best q=1)
    "rates": {
        "greeting": (0.6, 1.0),
        "verify_identity": (0.4, 1.0),
        "skip_verification": (0.4, 0.0),
        "protect_privacy": (0.05, 0.4),
        "disclose_private": (0.08, 0.0),
        "summarize": (0.1, 0.9),
        "close_politely": (0.4, 1.0),
        "empathy": (0.2, 1.6),
        "apology": (0.15, 1.3),
        "active_listening": (0.2, 1.2),
        "calm": (0.1, 0.9),
        "restate": (0.1, 0.8),
        "interrupt": (0.8, 0.05),
        "argue": (0.35, 0.0),
        "blame_customer": (0.25, 0.0),
        "blame_system": (0.5, 0.02),
        "scripted": (0.8, 0.1),
        "rush": (0.6, 0.05),
        "explain": (0.4, 1.3),
        "accurate_info": (0.5, 1.4),
        "wrong_info": (0.45, 0.02),
        "vague_info": (0.7, 0.05),
        "jargon": (0.5, 0.05),
        "check_knowledge": (0.2, 0.9),
        "offer_solution": (0.25, 1.1),
        "compensate": (0.15, 0.7),
        "promise_callback": (0.3, 0.2),
        "follow_up": (0.05, 0.5),
        "escalate": (0.25, 0.08),
        "refuse": (0.5, 0.05),
        "overpromise": (0.3, 0.03),
        "needs_discovery": (0.1, 0.9),
        "pushy_sales": (0.5, 0.02),
        "ask_consent": (0.1, 0.8),
    },
    # rate multipliers by kind (complaint, inquiry, sales) where a tag depends on the journey
    "kind_rate": {
        "apology": (1.0, 0.3, 0.2),
        "calm": (1.0, 0.3, 0.2),
        "argue": (1.0, 0.5, 0.4),
        "offer_solution": (1.0, 0.6, 0.3),
        "compensate": (1.0, 0.1, 0.05),
        "escalate": (1.0, 0.3, 0.2),
        "needs_discovery": (0.3, 0.6, 1.5),
        "pushy_sales": (0.3, 0.4, 1.0),
        "ask_consent": (0.3, 0.5, 1.0),
    },
    "holds_rate": (1.05, 0.15),
    "hold_median_s": 50.0,
    "transfers_rate": (0.5, 0.05),
    "wait_median_s": {"phone": 30.0, "chat": 45.0, "email": 600.0},
    "wait_sigma": 1.0,
    "handle_median_s": 270.0,  # calibration row 12: 3-7 min, lognormal
    "handle_sigma": 0.4,
    "handle_kind": {"complaint": 1.3, "inquiry": 1.0, "sales": 1.15},
    "handle_channel": {"phone": 1.0, "chat": 1.5, "email": 0.6},
    "handle_bad_agent": 0.3,  # x (1 + k (1 - q))
    "complaint_anger": 2.0,  # a complaint starts with this much extra anger
    "wait_anger_per_min": 0.25,  # x provocation sensitivity
    "mood_noise_sd": 0.8,
    # resolution logit
    "resolve_intercept": -1.0,
    "resolve_quality": 3.4,
    "resolve_solution": 0.6,
    "resolve_accurate": 0.4,
    "resolve_wrong": -1.0,
    "resolve_transfer": -0.4,
    "resolve_kind": {"complaint": -0.6, "inquiry": 0.3, "sales": 0.2},
    "resolve_prior": -0.15,
    # hang-up and escalation logits
    "hangup_intercept": -4.5,
    "hangup_wait_per_min": 0.15,
    "hangup_anger": 0.35,
    "hangup_patience": -0.25,
    "escalate_intercept": -3.2,
    "escalate_tag": 1.6,
    "escalate_anger": 0.25,
    # cross-sell offer probability: sales journeys / others (x quality)
    "offer_sales": 0.9,
    "offer_other": (0.08, 0.35),
    "fit_p": 0.3,
    "fit_discovery": 0.15,
}

#: CSAT: latent η + Logistic noise, CSAT = 1 + number of thresholds below it.
CSAT: dict[str, Any] = {
    "thresholds": (-2.2, -0.9, 0.3, 1.6),
    "intercept": 1.25,
    "resolved": 1.5,
    "fcr": 0.3,
    "prior_contacts": -0.8,  # per earlier contact, max 5
    # complaints (rows 5, 7, 8): a heavy penalty that only apology + remedy + resolution
    # lifts, and then above a failure-free contact (the service-recovery paradox)
    "complaint": -4.2,
    "complaint_apology": 1.6,
    "complaint_remedy": 0.3,
    "complaint_recovered": 3.7,
    "anger_final": -0.2,
    "trust_final": 0.15,
    "wait_per_min": -0.12,
    "holds": -0.25,
    "transfers": -0.4,
    "handle_over8_per_min": -0.15,
    "behaviour": {
        "empathy": 0.12,
        "active_listening": 0.1,
        "summarize": 0.1,
        "explain": 0.1,
        "follow_up": 0.15,
        "wrong_info": -0.6,
        "argue": -0.5,
        "blame_customer": -0.7,
        "interrupt": -0.3,
        "pushy_sales": -0.3,
        "rush": -0.2,
        "jargon": -0.2,
        "vague_info": -0.3,
        "scripted": -0.15,
        "refuse": -0.3,
        "blame_system": -0.2,
    },
    "behaviour_cap": 3,
    "hung_up": -1.5,
    "escalated": -0.4,
    "risk_privacy_breach": -0.5,
    "segment": {"mass": 0.0, "vip": -0.3, "small_business": -0.1},
    "temperament": {"calm": 0.2, "anxious": 0.0, "irritable": -0.3},
    "age_band": {"young": -0.1, "adult": 0.0, "senior": 0.1, "elderly": 0.2},
}

#: Churn within 90 days: logit = logit(baseline churn_risk) + contact effects.
CHURN: dict[str, Any] = {
    "intercept": -0.85,
    "unresolved": 0.8,
    # a repeat contact defects more (SQM: 9% after 2+ contacts vs 5% first time), unless
    # this contact finally resolves the issue
    "repeat_contact": 0.3,
    "resolved_after_repeat": -0.7,
    "prior_contacts": 0.05,
    "prior_ge3": 1.5,
    "prior_ge4": 0.5,
    "wait_per_min": 0.06,
    "holds": 0.15,
    "transfers": 0.3,
    "handle_over8_per_min": 0.04,
    "anger_final": 0.12,
    "trust_final": -0.1,
    "mood_centre": (3.0, 5.0),
    "complaint": 0.35,
    "complaint_severity": 0.08,  # per point of peak anger in a complaint
    # contract on top of the baseline risk (IBM telco, calibration row 11): the contract
    # itself changes what a bad contact does, not only the persona's baseline
    "contract": {"month_to_month": 0.45, "one_year": 0.0, "two_year": -0.5},
    "hung_up": 0.5,
    "escalated": 0.3,
    "risk": {
        "privacy_breach": 0.8,
        "wrong_info": 0.3,
        "mis_selling": 0.4,
        "compliance_breach": 0.1,
        "escalation_risk": 0.2,
    },
}

#: Cross-sell acceptance (only when offered): logit by fit plus behaviour and mood.
CROSS_SELL: dict[str, Any] = {
    # inbound service-to-sales converts 1-40% (row 15): even a well-made, high-fit offer
    # to a calm customer is taken about one time in three
    "fit": {1: -5.2, 2: -4.1, 3: -3.2},
    "needs_discovery": 0.5,
    "ask_consent": 0.4,
    "pushy_sales": -1.0,
    "anger_final": -0.15,
    "trust_final": 0.12,
    "mood_centre": (3.0, 5.0),
    "resolved": 0.4,
    "sales": 0.5,
    "vip": 0.3,
}

#: Customer-effort index for calibration row 6 (Gartner CES analogue), in "effort points".
EFFORT: dict[str, float] = {
    "wait_per_min": 0.5,
    "holds": 1.0,
    "transfers": 1.5,
    "prior_contacts": 1.5,
    "handle_over6_per_3min": 1.0,
}


@dataclass
class Generated:
    """Generated contacts: raw columns (RAW_FIELDS), labels and the agent quality used."""

    columns: dict[str, np.ndarray]
    csat: np.ndarray  # int 1..5
    churn: np.ndarray  # int 0/1
    cross_sell: np.ndarray  # int 0/1 (0 when not offered)
    quality: np.ndarray

    def __len__(self) -> int:
        return len(self.csat)


def _sig(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _pick(rng: np.random.Generator, table: dict[str, float], n: int) -> np.ndarray:
    keys = list(table)
    p = np.asarray([table[k] for k in keys], dtype=float)
    return np.asarray(keys)[rng.choice(len(keys), size=n, p=p / p.sum())]


def _lookup(table: dict[str, float], values: np.ndarray) -> np.ndarray:
    out = np.zeros(len(values))
    for k, v in table.items():
        out[values == k] = v
    return out


def effort_score(c: dict[str, np.ndarray]) -> np.ndarray:
    """Customer effort index (row 6): waiting, holds, transfers, repeat contacts, long calls."""
    e = EFFORT
    return (
        e["wait_per_min"] * np.minimum(c["wait_s"] / 60.0, 15.0)
        + e["holds"] * c["holds"]
        + e["transfers"] * c["transfers"]
        + e["prior_contacts"] * c["prior_contacts"]
        + e["handle_over6_per_3min"] * np.maximum(c["handle_s"] / 60.0 - 6.0, 0.0) / 3.0
    )


def generate(
    rng: np.random.Generator,
    n: int,
    *,
    quality_mean: float | None = None,
    mix: PersonaMix | None = None,
    kind: str | None = None,
) -> Generated:
    """Sample `n` contacts and their labels. `quality_mean` fixes a center's agent quality."""
    g = CONTACT
    r_pers, r_ctx, r_beh, r_mood, r_out, r_lab = rng.spawn(6)
    pb = sample_personas(r_pers, n, mix)
    p = pb.columns
    c: dict[str, np.ndarray] = {
        f: p[f]
        for f in (
            "segment",
            "age_band",
            "temperament",
            "tenure_years",
            "contract",
            "products",
            "value",
            "prior_contacts",
            "churn_risk",
        )
    }
    prior = p["prior_contacts"].astype(float)
    if quality_mean is None:
        qa, qb = g["quality_beta"]
        q = r_ctx.beta(qa, qb, size=n)
    else:
        k = g["quality_concentration"]
        m = min(max(quality_mean, 0.02), 0.98)
        q = r_ctx.beta(m * k, (1 - m) * k, size=n)
    c["channel"] = _pick(r_ctx, g["channel_mix"], n)
    c["kind"] = np.full(n, kind) if kind else _pick(r_ctx, g["kind_mix"], n)
    kidx = np.select([c["kind"] == "complaint", c["kind"] == "inquiry"], [0, 1], 2)
    complaint = (c["kind"] == "complaint").astype(float)

    # cross-sell offer and fit come first: they decide whether sales tags can appear
    p_offer = np.where(
        c["kind"] == "sales", g["offer_sales"], g["offer_other"][0] + g["offer_other"][1] * q
    )
    offered = (r_ctx.random(n) < p_offer).astype(float)

    beh: dict[str, np.ndarray] = {}
    for tag in BEHAVIOURS:
        if tag in ("hold", "transfer", "cross_sell_offer"):
            continue
        lo, hi = g["rates"][tag]
        rate = lo + (hi - lo) * q
        if tag in g["kind_rate"]:
            rate = rate * np.asarray(g["kind_rate"][tag])[kidx]
        beh[tag] = r_beh.poisson(rate).astype(float)
    for tag in ("pushy_sales", "ask_consent"):
        beh[tag] = beh[tag] * offered
    holds = r_beh.poisson(
        g["holds_rate"][0] + (g["holds_rate"][1] - g["holds_rate"][0]) * q
    ).astype(float)
    transfers = r_beh.poisson(
        g["transfers_rate"][0] + (g["transfers_rate"][1] - g["transfers_rate"][0]) * q**0.5
    ).astype(float)
    beh["hold"], beh["transfer"] = holds, transfers
    beh["cross_sell_offer"] = offered * (1 + r_beh.poisson(0.2, size=n))
    fit_p = np.clip(g["fit_p"] + g["fit_discovery"] * np.minimum(beh["needs_discovery"], 2), 0, 1)
    c["cross_sell_offered"] = offered
    c["cross_sell_fit"] = offered * (1 + r_beh.binomial(2, fit_p))

    wait_med = _lookup(g["wait_median_s"], c["channel"])
    c["wait_s"] = np.round(wait_med * np.exp(r_ctx.normal(0, g["wait_sigma"], n)), 1)
    hold_s = holds * g["hold_median_s"] * np.exp(r_ctx.normal(0, 0.5, n))
    handle = (
        g["handle_median_s"]
        * np.exp(r_ctx.normal(0, g["handle_sigma"], n))
        * _lookup(g["handle_kind"], c["kind"])
        * _lookup(g["handle_channel"], c["channel"])
        * (1 + g["handle_bad_agent"] * (1 - q))
    )
    c["hold_s"] = np.round(hold_s, 1)
    c["handle_s"] = np.round(handle + hold_s, 1)
    c["holds"], c["transfers"] = holds, transfers

    # mood: the reaction model's expected effects, vectorised
    R = REACTION
    seg, age, temp = c["segment"], c["age_band"], c["temperament"]
    soothing = (
        _lookup(R["soothing_age"], age)
        * _lookup(R["soothing_temperament"], temp)
        * _lookup(R["soothing_segment"], seg)
    )
    provoc = _lookup(R["provocation_temperament"], temp) * _lookup(R["provocation_segment"], seg)
    tloss = _lookup(R["trust_loss_segment"], seg) * _lookup(R["trust_loss_age"], age)
    anger0 = (
        p["anger"]
        + g["complaint_anger"] * complaint
        + g["wait_anger_per_min"] * provoc * np.minimum(c["wait_s"] / 60.0, 10.0)
    )
    anger0 = np.minimum(anger0, 10.0)
    relief = R["relief_floor"] + (1 - R["relief_floor"]) * anger0 / 10.0
    up = np.zeros(n)
    down = np.zeros(n)
    dtrust = np.zeros(n)
    dpat = np.zeros(n)
    for tag, (a, t, pt) in BASE_EFFECTS.items():
        cnt = beh[tag]
        k = np.ones(n)
        if tag in R["soothing_tags"]:
            k = soothing.copy()
        elif tag == "jargon":
            k = _lookup(R["jargon_age"], age)
        elif tag == "rush":
            k = _lookup(R["rush_segment"], seg)
        if tag in R["complaint_multiplier"]:
            k = k * np.where(complaint > 0, R["complaint_multiplier"][tag], 1.0)
        if a > 0:
            up += cnt * a * k * provoc
        else:
            down += cnt * a * k * relief
        dtrust += cnt * t * k * (tloss if t < 0 else 1.0)
        dpat += cnt * pt * k
    noise = r_mood.normal(0, g["mood_noise_sd"], size=(3, n))
    c["anger_peak"] = np.round(np.clip(anger0 + up, 0, 10), 1)
    anger_f = np.clip(anger0 + up + down + noise[0], 0, 10)
    trust_f = np.clip(p["trust"] + dtrust + noise[1], 0, 10)
    drain = (
        (
            R["drain_per_min"]["wait"] * np.minimum(c["wait_s"], 900.0)
            + R["drain_per_min"]["hold"] * hold_s
            + R["drain_per_min"]["talk"] * (c["handle_s"] - hold_s)
        )
        / 60.0
        * _lookup(R["drain_temperament"], temp)
        * _lookup(R["drain_segment"], seg)
        * _lookup(R["drain_age"], age)
    )
    pat_f = np.clip(p["patience"] + dpat - drain + noise[2], 0, 10)

    hang = _sig(
        g["hangup_intercept"]
        + g["hangup_wait_per_min"] * np.minimum(c["wait_s"] / 60, 20)
        + g["hangup_anger"] * anger_f
        + g["hangup_patience"] * pat_f
    )
    hung_up = (r_out.random(n) < hang).astype(float)
    esc = _sig(
        g["escalate_intercept"]
        + g["escalate_tag"] * (beh["escalate"] > 0)
        + g["escalate_anger"] * anger_f
    )
    escalated = (r_out.random(n) < esc).astype(float) * (1 - hung_up)
    res = _sig(
        g["resolve_intercept"]
        + g["resolve_quality"] * q
        + g["resolve_solution"] * (beh["offer_solution"] > 0)
        + g["resolve_accurate"] * (beh["accurate_info"] > 0)
        + g["resolve_wrong"] * (beh["wrong_info"] > 0)
        + g["resolve_transfer"] * transfers
        + np.asarray([g["resolve_kind"][k] for k in ("complaint", "inquiry", "sales")])[kidx]
        + g["resolve_prior"] * prior
    )
    resolved = (r_out.random(n) < res).astype(float) * (1 - hung_up)
    # resolution settles the customer; failure leaves them angrier
    anger_f = np.clip(anger_f - 1.0 * resolved + 0.8 * (1 - resolved), 0, 10)
    c["anger_peak"] = np.maximum(c["anger_peak"], np.round(anger_f, 1))
    c["anger_final"] = np.round(anger_f, 1)
    c["trust_final"] = np.round(trust_f, 1)
    c["patience_final"] = np.round(pat_f, 1)
    c["resolved"], c["hung_up"], c["escalated"] = resolved, hung_up, escalated
    c["fcr"] = resolved * (prior == 0)
    c["repeat_contact"] = (prior > 0).astype(float)
    for tag in BEHAVIOURS:
        c[f"beh_{tag}"] = beh[tag]
    c["risk_privacy_breach"] = beh["disclose_private"]
    c["risk_wrong_info"] = beh["wrong_info"]
    c["risk_compliance_breach"] = (
        r_out.binomial(beh["skip_verification"].astype(int), 0.5) + beh["overpromise"]
    )
    c["risk_escalation_risk"] = (anger_f >= 8).astype(float)
    c["risk_mis_selling"] = ((beh["pushy_sales"] > 0) & (c["cross_sell_fit"] == 1)).astype(float)
    cols = {f: np.asarray(c[f]) for f in RAW_FIELDS}
    csat, churn, xs = labels(cols, r_lab)
    return Generated(cols, csat, churn, xs, q)


def csat_latent(c: dict[str, np.ndarray]) -> np.ndarray:
    """The ground-truth CSAT latent η of each contact (before the logistic noise)."""
    s = CSAT
    complaint = (c["kind"] == "complaint").astype(float)
    apology = (c["beh_apology"] > 0).astype(float)
    remedy = ((c["beh_offer_solution"] + c["beh_compensate"]) > 0).astype(float)
    eta = (
        s["intercept"]
        + s["resolved"] * c["resolved"]
        + s["fcr"] * c["fcr"]
        + s["prior_contacts"] * np.minimum(c["prior_contacts"], 5)
        + complaint
        * (
            s["complaint"]
            + s["complaint_apology"] * apology
            + s["complaint_remedy"] * remedy
            + s["complaint_recovered"] * apology * remedy * c["resolved"]
        )
        + s["anger_final"] * c["anger_final"]
        + s["trust_final"] * c["trust_final"]
        + s["wait_per_min"] * np.minimum(c["wait_s"] / 60.0, 15.0)
        + s["holds"] * c["holds"]
        + s["transfers"] * c["transfers"]
        + s["handle_over8_per_min"] * np.maximum(c["handle_s"] / 60.0 - 8.0, 0.0)
        + s["hung_up"] * c["hung_up"]
        + s["escalated"] * c["escalated"]
        + s["risk_privacy_breach"] * c["risk_privacy_breach"]
        + _lookup(s["segment"], c["segment"])
        + _lookup(s["temperament"], c["temperament"])
        + _lookup(s["age_band"], c["age_band"])
    )
    for tag, coef in s["behaviour"].items():
        eta = eta + coef * np.minimum(c[f"beh_{tag}"], s["behaviour_cap"])
    return eta


def churn_logit(c: dict[str, np.ndarray]) -> np.ndarray:
    s = CHURN
    base = np.clip(c["churn_risk"], 1e-4, 1 - 1e-4)
    complaint = (c["kind"] == "complaint").astype(float)
    prior = c["prior_contacts"]
    z = (
        np.log(base / (1 - base))
        + s["intercept"]
        + s["unresolved"] * (1 - c["resolved"])
        + s["repeat_contact"] * (prior > 0)
        + s["resolved_after_repeat"] * c["resolved"] * (prior > 0)
        + s["prior_contacts"] * np.minimum(prior, 6)
        + s["prior_ge3"] * (prior >= 3)
        + s["prior_ge4"] * (prior >= 4)
        + s["wait_per_min"] * np.minimum(c["wait_s"] / 60.0, 15.0)
        + s["holds"] * c["holds"]
        + s["transfers"] * c["transfers"]
        + s["handle_over8_per_min"] * np.maximum(c["handle_s"] / 60.0 - 8.0, 0.0)
        + s["anger_final"] * (c["anger_final"] - s["mood_centre"][0])
        + s["trust_final"] * (c["trust_final"] - s["mood_centre"][1])
        + complaint * (s["complaint"] + s["complaint_severity"] * c["anger_peak"])
        + s["hung_up"] * c["hung_up"]
        + s["escalated"] * c["escalated"]
        + _lookup(s["contract"], c["contract"])
    )
    for risk in RISK_TYPES:
        z = z + s["risk"][risk] * np.minimum(c[f"risk_{risk}"], 3)
    return z


def cross_sell_logit(c: dict[str, np.ndarray]) -> np.ndarray:
    s = CROSS_SELL
    fit = c["cross_sell_fit"]
    z = np.select([fit == 1, fit == 2, fit == 3], [s["fit"][1], s["fit"][2], s["fit"][3]], -6.0)
    return (
        z
        + s["needs_discovery"] * (c["beh_needs_discovery"] > 0)
        + s["ask_consent"] * (c["beh_ask_consent"] > 0)
        + s["pushy_sales"] * (c["beh_pushy_sales"] > 0)
        + s["anger_final"] * (c["anger_final"] - s["mood_centre"][0])
        + s["trust_final"] * (c["trust_final"] - s["mood_centre"][1])
        + s["resolved"] * c["resolved"]
        + s["sales"] * (c["kind"] == "sales")
        + s["vip"] * (c["segment"] == "vip")
    )


def labels(
    c: dict[str, np.ndarray], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw CSAT, churn and cross-sell labels for raw columns `c`."""
    n = len(c["resolved"])
    u = csat_latent(c) + rng.logistic(0.0, 1.0, size=n)
    csat = 1 + (u[:, None] > np.asarray(CSAT["thresholds"])[None, :]).sum(axis=1)
    churn = (rng.random(n) < _sig(churn_logit(c))).astype(np.int64)
    xs = ((rng.random(n) < _sig(cross_sell_logit(c))) & (c["cross_sell_offered"] > 0)).astype(
        np.int64
    )
    return csat.astype(np.int64), churn, xs
