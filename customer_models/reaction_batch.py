"""The reaction model of `customer_models.reaction`, for many contacts at once.

The engine plays bot contacts in batches (numpy arrays of hundreds of contacts). These functions
compute the same numbers as the scalar `react`, `drain`, `hangup_probability` and `Mood.apply`,
with the same formulas, the same `REACTION` / `BASE_EFFECTS` tables and the same order of float
operations, so a batch-played contact meets exactly the rules a trainee meets (results agree to
~1e-12 and are usually bit-identical). Nothing here draws random numbers: the caller passes the
normals `react` would have drawn, which keeps the batch path on the caller's seeded streams.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple, cast

import numpy as np

from customer_models.personas import CATEGORIES
from customer_models.reaction import BASE_EFFECTS, REACTION, multipliers

if TYPE_CHECKING:
    from customer_models.personas import Persona, PersonaBatch

_AGES = CATEGORIES["age_band"]
_TEMPS = CATEGORIES["temperament"]
_SEGS = CATEGORIES["segment"]


class _TypeKey(NamedTuple):
    """The three persona fields `reaction.multipliers` reads (it caches per this key)."""

    age_band: str
    temperament: str
    segment: str


def _codes(field: str, values: np.ndarray) -> np.ndarray:
    """Index of each value in CATEGORIES[field], via np.unique (no per-element Python loop)."""
    values = np.asarray(values)
    if values.ndim != 1:
        raise ValueError(f"{field} must be a 1-d array, got shape {values.shape}")
    uniq, inverse = np.unique(values, return_inverse=True)
    order = CATEGORIES[field]
    unknown = [u for u in uniq.tolist() if u not in order]
    if unknown:
        raise ValueError(
            f"unknown {field} value(s) {', '.join(map(repr, unknown))}; "
            f"use one of {', '.join(order)}"
        )
    lut = np.array([order.index(u) for u in uniq.tolist()], dtype=np.intp)
    return lut[inverse.reshape(-1)]


@dataclass(frozen=True, eq=False)
class PersonaTypes:
    """Per-contact reaction multipliers, resolved from persona strings once per batch.

    Each attribute is a float array of length n. `soothing`, `provocation`, `trust_loss` are
    `reaction.multipliers`; `jargon` and `rush` the tag-specific factors of `react`; `drain`
    the persona product of `drain` (temperament x segment x age, in that order);
    `hangup_provocation` the temperament factor of `hangup_probability`.
    """

    soothing: np.ndarray
    provocation: np.ndarray
    trust_loss: np.ndarray
    jargon: np.ndarray
    rush: np.ndarray
    drain: np.ndarray
    hangup_provocation: np.ndarray

    @classmethod
    def from_arrays(
        cls, age_band: np.ndarray, temperament: np.ndarray, segment: np.ndarray
    ) -> PersonaTypes:
        """Resolve string arrays like `sample_personas(...).columns["age_band"]` etc."""
        age = _codes("age_band", age_band)
        temp = _codes("temperament", temperament)
        seg = _codes("segment", segment)
        if not len(age) == len(temp) == len(seg):
            raise ValueError(
                "age_band, temperament and segment must have the same length, got "
                f"{len(age)}, {len(temp)}, {len(seg)}"
            )
        # 36 persona types at most: compute each present type once with the scalar formulas,
        # then broadcast through the inverse codes.
        combo = (age * len(_TEMPS) + temp) * len(_SEGS) + seg
        uniq, inverse = np.unique(combo, return_inverse=True)
        inverse = inverse.reshape(-1)
        r = REACTION
        table = np.empty((len(uniq), 7), dtype=float)
        for row, code in enumerate(uniq.tolist()):
            rest, s = divmod(code, len(_SEGS))
            a, t = divmod(rest, len(_TEMPS))
            key = _TypeKey(_AGES[a], _TEMPS[t], _SEGS[s])
            # The scalar function itself (duck-typed key), so a formula change there follows here.
            soothing, provocation, trust_loss = multipliers(cast("Persona", key))
            table[row] = (
                soothing,
                provocation,
                trust_loss,
                r["jargon_age"][key.age_band],
                r["rush_segment"][key.segment],
                r["drain_temperament"][key.temperament]
                * r["drain_segment"][key.segment]
                * r["drain_age"][key.age_band],
                r["provocation_temperament"][key.temperament],
            )
        cols = table[inverse].T
        return cls(*(np.ascontiguousarray(c) for c in cols))

    @classmethod
    def from_batch(cls, batch: PersonaBatch) -> PersonaTypes:
        """Types of every persona of a `sample_personas` batch."""
        c = batch.columns
        return cls.from_arrays(c["age_band"], c["temperament"], c["segment"])

    def __len__(self) -> int:
        return len(self.soothing)

    def take(self, index: np.ndarray | slice) -> PersonaTypes:
        """The types of a subset of contacts (e.g. the group sharing one behaviour tuple)."""
        return PersonaTypes(
            self.soothing[index],
            self.provocation[index],
            self.trust_loss[index],
            self.jargon[index],
            self.rush[index],
            self.drain[index],
            self.hangup_provocation[index],
        )


class _Step(NamedTuple):
    """One known tag of a behaviour tuple, with everything `react` decides from the tag alone."""

    a: float
    t: float
    p: float
    k_source: str | None  # None (k = 1.0), "soothing", "jargon" or "rush"
    complaint: float | None  # complaint multiplier, when kind == "complaint" and the tag has one
    cross_sell: bool


@lru_cache(maxsize=4096)
def _plan(behaviours: tuple[str, ...], complaint: bool) -> tuple[_Step, ...]:
    """The per-tag branches of `react`, resolved once per (behaviours, kind) pair."""
    cm = REACTION["complaint_multiplier"]
    soothing = REACTION["soothing_tags"]
    steps = []
    for tag in behaviours:
        base = BASE_EFFECTS.get(tag)
        if base is None:
            continue
        if tag in soothing:
            source: str | None = "soothing"
        elif tag == "jargon":
            source = "jargon"
        elif tag == "rush":
            source = "rush"
        else:
            source = None
        factor = float(cm[tag]) if complaint and tag in cm else None
        steps.append(_Step(*base, source, factor, tag == "cross_sell_offer"))
    return tuple(steps)


def consumes_noise(behaviours: Sequence[str]) -> bool:
    """Whether `react` would draw its 3 normals for these tags (any known tag present).

    The caller uses this to draw normals only for the contacts whose scalar twin would have,
    which keeps the random stream aligned with the one-at-a-time path.
    """
    return any(tag in BASE_EFFECTS for tag in behaviours)


def react_many(
    types: PersonaTypes,
    anger: np.ndarray,
    behaviours: tuple[str, ...],
    normals: np.ndarray | None,
    *,
    kind: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(anger, trust, patience) changes of n contacts that all get the same agent action.

    Same as `reaction.react(persona_i, mood_i, behaviours, rng, kind=kind)` for each contact,
    where `rng.standard_normal(3)` returns `normals[i]`. When no tag is known the result is
    zeros and `normals` is not read (may be None): see `consumes_noise`.
    """
    n = len(types)
    anger = np.asarray(anger, dtype=float)
    if anger.shape != (n,):
        raise ValueError(f"anger must have shape ({n},), got {anger.shape}")
    steps = _plan(tuple(behaviours), kind == "complaint")
    if not steps:
        return np.zeros(n), np.zeros(n), np.zeros(n)
    if normals is None:
        raise ValueError("normals are required when a known behaviour tag is present")
    normals = np.asarray(normals, dtype=float)
    if normals.shape != (n, 3):
        raise ValueError(f"normals must have shape ({n}, 3), got {normals.shape}")

    r = REACTION
    floor = r["relief_floor"]
    relief = floor + (1.0 - floor) * anger / 10.0
    per_point = r["cross_sell_anger_per_point"]
    provocation, trust_loss = types.provocation, types.trust_loss
    da = np.zeros(n)
    dt = np.zeros(n)
    dp = np.zeros(n)
    for step in steps:
        if step.k_source is None:
            # k == 1.0, or exactly the complaint multiplier: scalars decide the branches once.
            k = 1.0 if step.complaint is None else 1.0 * step.complaint
            a, t, p = step.a * k, step.t * k, step.p * k
            a_arr = a * provocation if a > 0 else a * relief
            t_arr: np.ndarray | float = t * trust_loss if t < 0 else t
            p_arr: np.ndarray | float = p
        else:
            k_arr = getattr(types, step.k_source)
            if step.complaint is not None:
                k_arr = k_arr * step.complaint
            a_arr = step.a * k_arr
            a_arr = np.where(a_arr > 0, a_arr * provocation, a_arr * relief)
            t_arr = step.t * k_arr
            t_arr = np.where(t_arr < 0, t_arr * trust_loss, t_arr)
            p_arr = step.p * k_arr
        if step.cross_sell:
            a_arr = np.where(anger > 5.0, a_arr + per_point * (anger - 5.0), a_arr)
        da += a_arr
        dt += t_arr
        dp += p_arr
    sd = r["noise_sd"]
    return da + sd * normals[:, 0], dt + sd * normals[:, 1], dp + sd * normals[:, 2]


def drain_many(
    types: PersonaTypes, anger: np.ndarray, seconds: np.ndarray | float, activity: str
) -> np.ndarray:
    """Patience change (<= 0) of n contacts spending `seconds` waiting, talking or on hold."""
    r = REACTION
    try:
        rate = r["drain_per_min"][activity]
    except KeyError:
        raise ValueError(f"activity must be wait, talk or hold, got {activity!r}") from None
    anger = np.asarray(anger, dtype=float)
    rate = rate * (types.drain * (1.0 + r["drain_anger"] * anger))
    return -rate * np.maximum(0.0, seconds) / 60.0


def hangup_probability_many(
    types: PersonaTypes, anger: np.ndarray, patience: np.ndarray
) -> np.ndarray:
    """Probability that each of n customers hangs up now (as `hangup_probability`)."""
    r = REACTION
    anger = np.asarray(anger, dtype=float)
    patience = np.asarray(patience, dtype=float)
    threshold = r["hangup_low_threshold"]
    p = np.where(
        patience <= 0.0,
        r["hangup_exhausted"],
        np.where(patience < threshold, r["hangup_low_patience"] * (threshold - patience), 0.0),
    )
    calm_down = 1.0 - np.minimum(1.0, r["hangup_furious"] * types.hangup_provocation)
    return np.where(anger >= r["hangup_anger_threshold"], 1.0 - (1.0 - p) * calm_down, p)


def apply_delta(
    anger: np.ndarray,
    trust: np.ndarray,
    patience: np.ndarray,
    da: np.ndarray,
    dt: np.ndarray,
    dp: np.ndarray,
    *,
    index: np.ndarray | slice | None = None,
) -> None:
    """Add deltas to the mood arrays IN PLACE, clamped to 0..10 like `Mood.apply`.

    In place because the engine keeps one float64 mood array per batch and updates it every
    step. With `index`, only those rows change and the deltas are given for those rows only
    (the group of contacts a `react_many` call covered).
    """
    for mood, delta in ((anger, da), (trust, dt), (patience, dp)):
        if not (isinstance(mood, np.ndarray) and mood.dtype.kind == "f"):
            raise TypeError("mood arrays must be float numpy arrays (they are updated in place)")
        if index is None:
            np.add(mood, delta, out=mood)
            np.clip(mood, 0.0, 10.0, out=mood)
        else:
            mood[index] = np.clip(mood[index] + delta, 0.0, 10.0)
