"""How a customer reacts during a contact, beyond what the journey designer scripted.

For one agent action with behaviour tags B, the mood change is

    Δx = Σ_{b∈B} base[b].x · m_x(b, persona, kind, mood) + ε_x,   x ∈ {anger, trust, patience}

with the persona multipliers of `REACTION` (one table, rendered in docs/customer-model.md) and
ε ~ N(0, noise_sd) when any known tag is present. Patience also drains with time
(`drain`), and a customer whose patience runs out or whose anger peaks may hang up (`hangs_up`).

Everything is plain Python floats: the engine calls `react` once per agent action for tens of
thousands of contacts, so each call must stay in the low microseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from customer_models.personas import Persona

#: Behaviour tag -> (anger, trust, patience) change per occurrence for a neutral customer.
BASE_EFFECTS: dict[str, tuple[float, float, float]] = {
    "greeting": (-0.2, 0.2, 0.0),
    "verify_identity": (0.0, 0.3, -0.1),
    "skip_verification": (0.0, -0.2, 0.1),
    "protect_privacy": (0.0, 0.4, 0.0),
    "disclose_private": (0.5, -2.0, 0.0),
    "summarize": (-0.3, 0.4, 0.0),
    "close_politely": (-0.2, 0.2, 0.0),
    "empathy": (-1.0, 0.5, 0.3),
    "apology": (-0.8, 0.3, 0.2),
    "active_listening": (-0.6, 0.4, 0.2),
    "calm": (-0.8, 0.2, 0.2),
    "restate": (-0.4, 0.5, 0.0),
    "interrupt": (1.2, -0.5, -0.5),
    "argue": (2.0, -1.0, -1.0),
    "blame_customer": (2.5, -1.5, -1.0),
    "blame_system": (0.8, -0.8, -0.3),
    "scripted": (0.4, -0.4, -0.2),
    "rush": (0.6, -0.3, -0.3),
    "explain": (-0.3, 0.6, 0.0),
    "accurate_info": (-0.3, 0.8, 0.0),
    "wrong_info": (0.5, -3.0, 0.0),
    "vague_info": (0.4, -0.8, -0.3),
    "jargon": (0.3, -0.5, -0.3),
    "check_knowledge": (0.0, 0.3, -0.2),
    "offer_solution": (-1.0, 0.8, 0.3),
    "compensate": (-1.2, 0.6, 0.3),
    "promise_callback": (-0.2, 0.1, 0.0),
    "follow_up": (-0.3, 0.5, 0.0),
    "hold": (0.3, -0.1, -0.8),
    "transfer": (0.8, -0.4, -1.0),
    "escalate": (-0.3, 0.2, -0.3),
    "refuse": (1.5, -0.8, -0.5),
    "overpromise": (-0.5, 0.3, 0.0),
    "needs_discovery": (-0.1, 0.3, -0.1),
    "cross_sell_offer": (0.2, -0.1, -0.2),
    "pushy_sales": (1.0, -0.8, -0.5),
    "ask_consent": (-0.1, 0.4, 0.0),
}

#: Every persona/context multiplier and constant of the reaction model, in one place.
REACTION: dict[str, Any] = {
    "base": BASE_EFFECTS,
    # emotion work (empathy, apology, active listening, calming) is multiplied by
    # age x temperament x segment sensitivity: an anxious elderly customer responds most,
    # a hurried small-business owner least.
    "soothing_tags": ("empathy", "apology", "active_listening", "calm"),
    "soothing_age": {"young": 0.8, "adult": 1.0, "senior": 1.25, "elderly": 1.5},
    "soothing_temperament": {"calm": 0.8, "anxious": 1.4, "irritable": 0.9},
    "soothing_segment": {"mass": 1.0, "vip": 1.0, "small_business": 0.6},
    # tags whose anger rise is multiplied by provocation sensitivity
    "provocation_temperament": {"calm": 0.7, "anxious": 1.0, "irritable": 1.6},
    "provocation_segment": {"mass": 1.0, "vip": 1.2, "small_business": 1.1},
    # trust losses are felt more by VIPs and elderly customers
    "trust_loss_segment": {"mass": 1.0, "vip": 1.3, "small_business": 1.0},
    "trust_loss_age": {"young": 1.0, "adult": 1.0, "senior": 1.1, "elderly": 1.2},
    # jargon confuses older customers
    "jargon_age": {"young": 0.7, "adult": 1.0, "senior": 1.5, "elderly": 2.0},
    # rushing annoys most customers but a hurried business owner barely minds
    "rush_segment": {"mass": 1.0, "vip": 1.3, "small_business": 0.3},
    # in a complaint, concrete action relieves more than words
    "complaint_multiplier": {"offer_solution": 2.0, "compensate": 1.5, "apology": 1.5},
    # a cross-sell offer to an angry customer backfires: extra anger per point above 5
    "cross_sell_anger_per_point": 0.3,
    # anger relief shrinks when the customer is already calm: x (floor + (1-floor)·anger/10)
    "relief_floor": 0.4,
    "noise_sd": 0.25,
    # patience drain per minute by activity, x temperament x segment x age x (1 + anger·k)
    "drain_per_min": {"wait": 0.6, "talk": 0.15, "hold": 1.0},
    "drain_temperament": {"calm": 0.7, "anxious": 1.0, "irritable": 1.5},
    "drain_segment": {"mass": 1.0, "vip": 1.2, "small_business": 1.4},
    "drain_age": {"young": 1.1, "adult": 1.0, "senior": 0.9, "elderly": 0.8},
    "drain_anger": 0.05,
    # hang-up probability per check
    "hangup_exhausted": 0.85,  # patience <= 0
    "hangup_low_patience": 0.15,  # per point below `hangup_low_threshold`
    "hangup_low_threshold": 2.0,
    "hangup_anger_threshold": 9.5,
    "hangup_furious": 0.3,  # anger >= threshold (x provocation sensitivity)
}


@dataclass
class Mood:
    """The customer's hidden state during a contact, each 0..10."""

    anger: float
    trust: float
    patience: float

    @classmethod
    def of(cls, persona: Persona) -> Mood:
        return cls(float(persona.anger), float(persona.trust), float(persona.patience))

    def apply(self, delta: MoodDelta) -> None:
        """Add a delta, clamped to 0..10."""
        self.anger = clamp_mood(self.anger + delta.anger)
        self.trust = clamp_mood(self.trust + delta.trust)
        self.patience = clamp_mood(self.patience + delta.patience)


def clamp_mood(x: float) -> float:
    """`min(10.0, max(0.0, x))` to the bit (0.0 for -0.0 and NaN, as `max` keeps its first
    argument), without two builtin calls: the engine applies a mood change every step."""
    x = x if x > 0.0 else 0.0
    return x if x < 10.0 else 10.0


@dataclass(frozen=True)
class MoodDelta:
    anger: float
    trust: float
    patience: float


_ZERO = MoodDelta(0.0, 0.0, 0.0)
_SOOTHING = frozenset(REACTION["soothing_tags"])


_MULT_CACHE: dict[tuple[str, str, str], tuple[float, float, float]] = {}


def multipliers(persona: Persona) -> tuple[float, float, float]:
    """(soothing, provocation, trust-loss) sensitivities of a persona (cached per type)."""
    key = (persona.age_band, persona.temperament, persona.segment)
    cached = _MULT_CACHE.get(key)
    if cached is None:
        cached = _MULT_CACHE[key] = _multipliers(persona)
    return cached


def _multipliers(persona: Persona) -> tuple[float, float, float]:
    r = REACTION
    soothing = (
        r["soothing_age"][persona.age_band]
        * r["soothing_temperament"][persona.temperament]
        * r["soothing_segment"][persona.segment]
    )
    provocation = (
        r["provocation_temperament"][persona.temperament]
        * r["provocation_segment"][persona.segment]
    )
    trust_loss = r["trust_loss_segment"][persona.segment] * r["trust_loss_age"][persona.age_band]
    return soothing, provocation, trust_loss


def react(
    persona: Persona,
    mood: Mood,
    behaviours: Sequence[str],
    rng: np.random.Generator,
    *,
    kind: str,
    seconds: float = 0.0,
) -> MoodDelta:
    """Mood change for one agent action's behaviour tags (unknown tags are ignored).

    `seconds` is the action's duration. Time-based patience drain is `drain`'s job (the engine
    calls it for talk and hold time), so the reaction itself does not depend on it.
    """
    terms = action_terms(persona, kind, behaviours)
    if terms is None:
        return _ZERO
    r = REACTION
    anger = mood.anger
    da = dt = dp = 0.0
    for a, t, p, calming, offer in terms:
        if calming:  # anger relief shrinks when the customer is already calm
            a *= r["relief_floor"] + (1.0 - r["relief_floor"]) * anger / 10.0
        if offer and anger > 5.0:
            a += r["cross_sell_anger_per_point"] * (anger - 5.0)
        da += a
        dt += t
        dp += p
    sd = r["noise_sd"]
    e = rng.standard_normal(3)
    return MoodDelta(da + sd * float(e[0]), dt + sd * float(e[1]), dp + sd * float(e[2]))


#: (anger, trust, patience, anger needs relief, is a cross-sell offer) per known tag.
_Term = tuple[float, float, float, bool, bool]
_TERMS: dict[tuple[Any, ...], tuple[_Term, ...] | None] = {}


def action_terms(
    persona: Persona, kind: str, behaviours: Sequence[str]
) -> tuple[_Term, ...] | None:
    """The mood-independent part of `react` for one persona type, contact kind and tag list
    (None: no known tag), cached. Why: the engine reacts ~100,000 times a simulated day with
    a few hundred distinct (type, kind, tags) keys; the cached factors are the very products
    `react` used to compute each call, so results are unchanged to the bit."""
    key = (persona.age_band, persona.temperament, persona.segment, kind, tuple(behaviours))
    try:
        return _TERMS[key]
    except KeyError:
        pass
    r = REACTION
    soothing, provocation, trust_loss = multipliers(persona)
    complaint = kind == "complaint"
    cm = r["complaint_multiplier"]
    terms: list[_Term] = []
    for tag in key[4]:
        base = BASE_EFFECTS.get(tag)
        if base is None:
            continue
        a, t, p = base
        k = 1.0
        if tag in _SOOTHING:
            k = soothing
        elif tag == "jargon":
            k = r["jargon_age"][persona.age_band]
        elif tag == "rush":
            k = r["rush_segment"][persona.segment]
        if complaint and tag in cm:
            k *= cm[tag]
        a *= k
        t *= k
        p *= k
        calming = not a > 0
        if not calming:
            a *= provocation
        if t < 0:
            t *= trust_loss
        terms.append((a, t, p, calming, tag == "cross_sell_offer"))
    _TERMS[key] = found = tuple(terms) if terms else None
    return found


def drain(persona: Persona, mood: Mood, seconds: float, activity: str) -> float:
    """Patience change (<= 0) for `seconds` spent waiting, talking or on hold."""
    r = REACTION
    try:
        rate = r["drain_per_min"][activity]
    except KeyError:
        raise ValueError(f"activity must be wait, talk or hold, got {activity!r}") from None
    rate *= drain_factor(persona) * (1.0 + r["drain_anger"] * mood.anger)
    return -rate * max(0.0, seconds) / 60.0


def drain_factor(persona: Persona) -> float:
    """How fast this persona's patience drains: temperament x segment x age (that order)."""
    r = REACTION
    return (
        r["drain_temperament"][persona.temperament]
        * r["drain_segment"][persona.segment]
        * r["drain_age"][persona.age_band]
    )


def hangup_probability(persona: Persona, mood: Mood) -> float:
    """Probability that the customer hangs up now (exposed for tests and the docs)."""
    r = REACTION
    p = 0.0
    if mood.patience <= 0.0:
        p = r["hangup_exhausted"]
    elif mood.patience < r["hangup_low_threshold"]:
        p = r["hangup_low_patience"] * (r["hangup_low_threshold"] - mood.patience)
    if mood.anger >= r["hangup_anger_threshold"]:
        provocation = r["provocation_temperament"][persona.temperament]
        p = 1.0 - (1.0 - p) * (1.0 - min(1.0, r["hangup_furious"] * provocation))
    return p


def hangs_up(persona: Persona, mood: Mood, rng: np.random.Generator) -> bool:
    """Whether the customer hangs up now; draws from `rng` only when it is possible."""
    r = REACTION
    patience = mood.patience
    calm = mood.anger < r["hangup_anger_threshold"]
    if calm and patience > 0.0 and patience >= r["hangup_low_threshold"]:
        return False  # the common case, checked every step: probability 0, no draw
    p = hangup_probability(persona, mood)
    if p <= 0.0:
        return False
    return bool(rng.random() < p)
