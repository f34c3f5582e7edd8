"""The reaction model of `customer_models.reaction`, for many contacts at once.

The engine plays bot contacts in batches (numpy arrays of hundreds of contacts). The reaction
model reads three persona fields (age band, temperament, segment: 36 persona types), so each
contact carries its type's index and every per-persona number is the scalar model's own,
computed once per type by the scalar functions (`reaction.action_terms`, the `REACTION` tables) and
gathered by index: a batch-played contact meets exactly the rules a trainee meets, with the
same float operations in the same order (bit-identical). Nothing here draws random numbers:
the caller passes the normals `react` would have drawn, which keeps batch play on the caller's
seeded streams.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple, cast

import numpy as np

from customer_models.personas import CATEGORIES
from customer_models.reaction import BASE_EFFECTS, REACTION, action_terms, drain_factor

if TYPE_CHECKING:
    from customer_models.personas import Persona, PersonaBatch

_FIELDS = ("age_band", "temperament", "segment")


class _TypeKey(NamedTuple):
    """A persona type: the three fields the scalar reaction model reads (duck-types Persona)."""

    age_band: str
    temperament: str
    segment: str


#: The persona types in code order: code = (age * 3 + temperament) * 3 + segment.
TYPES = tuple(_TypeKey(*t) for t in itertools.product(*(CATEGORIES[f] for f in _FIELDS)))
_r = REACTION
#: Per type: `reaction.drain_factor` and the temperament factor of `hangup_probability`.
_DRAIN = np.array([drain_factor(cast("Persona", t)) for t in TYPES])
_HANGUP_PROVOCATION = np.array([_r["provocation_temperament"][t.temperament] for t in TYPES])


def _codes(field: str, values: np.ndarray) -> np.ndarray:
    """Index of each value in CATEGORIES[field], via np.unique (no per-element Python loop)."""
    uniq, inverse = np.unique(np.asarray(values), return_inverse=True)
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
    """Each contact's persona type: an index into `TYPES`, one per contact."""

    code: np.ndarray

    @classmethod
    def from_codes(
        cls, age: np.ndarray, temperament: np.ndarray, segment: np.ndarray
    ) -> PersonaTypes:
        """From category indices (into CATEGORIES[field]), as `sample_personas` draws them."""
        if not len(age) == len(temperament) == len(segment):
            raise ValueError(
                "age_band, temperament and segment must have the same length, got "
                f"{len(age)}, {len(temperament)}, {len(segment)}"
            )
        n_temp, n_seg = len(CATEGORIES["temperament"]), len(CATEGORIES["segment"])
        return cls(((age * n_temp + temperament) * n_seg + segment).astype(np.intp))

    @classmethod
    def from_arrays(
        cls, age_band: np.ndarray, temperament: np.ndarray, segment: np.ndarray
    ) -> PersonaTypes:
        """From string arrays like `sample_personas(...).columns["age_band"]` etc."""
        return cls.from_codes(
            *(_codes(f, v) for f, v in zip(_FIELDS, (age_band, temperament, segment), strict=True))
        )

    @classmethod
    def from_batch(cls, batch: PersonaBatch) -> PersonaTypes:
        """Types of every persona of a `sample_personas` batch (from its codes when it has them)."""
        if batch.codes is not None:
            return cls.from_codes(*(batch.codes[f] for f in _FIELDS))
        return cls.from_arrays(*(batch.columns[f] for f in _FIELDS))

    def __len__(self) -> int:
        return len(self.code)

    def take(self, index: np.ndarray | slice) -> PersonaTypes:
        """The types of a subset of contacts (e.g. the group sharing one behaviour tuple)."""
        return PersonaTypes(self.code[index])


#: One known tag of an action, per persona type: its (anger, trust, patience) change arrays
#: (indexed by type), whether its anger needs relief and whether it is a cross-sell offer.
_Term = tuple[np.ndarray, np.ndarray, np.ndarray, bool, bool]


@lru_cache(maxsize=4096)
def _type_terms(kind: str, behaviours: tuple[str, ...]) -> tuple[_Term, ...]:
    """`reaction.action_terms` of every persona type for one (kind, tags) pair, as arrays by type.
    Whether a term's anger needs relief follows the sign of its base effect (every multiplier
    is positive), so it is the same for every type."""
    per_type = [action_terms(cast("Persona", t), kind, behaviours) or () for t in TYPES]
    terms = []
    for j, (_, _, _, calming, offer) in enumerate(per_type[0]):
        if any(pt[j][3] != calming for pt in per_type):  # pragma: no cover - a table error
            raise ValueError(f"the relief of {behaviours[j]!r} differs between persona types")
        a, t, p = (np.array([pt[j][x] for pt in per_type]) for x in range(3))
        terms.append((a, t, p, calming, offer))
    return tuple(terms)


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
    terms = _type_terms(kind, tuple(behaviours))
    if not terms:
        return np.zeros(n), np.zeros(n), np.zeros(n)
    if normals is None or np.shape(normals) != (n, 3):
        raise ValueError(f"normals of shape ({n}, 3) are required when a known tag is present")
    code = types.code
    floor = _r["relief_floor"]
    relief = floor + (1.0 - floor) * anger / 10.0
    da, dt, dp = np.zeros(n), np.zeros(n), np.zeros(n)
    for a, t, p, calming, offer in terms:
        a_arr = a[code] * relief if calming else a[code]
        if offer:
            a_arr = np.where(
                anger > 5.0, a_arr + _r["cross_sell_anger_per_point"] * (anger - 5.0), a_arr
            )
        da += a_arr
        dt += t[code]
        dp += p[code]
    sd = _r["noise_sd"]
    return da + sd * normals[:, 0], dt + sd * normals[:, 1], dp + sd * normals[:, 2]


def clamp_mood_many(x: np.ndarray) -> np.ndarray:
    """`reaction.clamp_mood` for an array of moods (which are never NaN): 0..10."""
    return np.minimum(10.0, np.maximum(0.0, x))


def drain_many(
    types: PersonaTypes, anger: np.ndarray, seconds: np.ndarray | float, activity: str
) -> np.ndarray:
    """Patience change (<= 0) of n contacts spending `seconds` waiting, talking or on hold."""
    try:
        rate = _r["drain_per_min"][activity]
    except KeyError:
        raise ValueError(f"activity must be wait, talk or hold, got {activity!r}") from None
    rate = rate * (_DRAIN[types.code] * (1.0 + _r["drain_anger"] * anger))
    return -rate * np.maximum(0.0, seconds) / 60.0


def hangup_probability_many(
    types: PersonaTypes, anger: np.ndarray, patience: np.ndarray
) -> np.ndarray:
    """Probability that each of n customers hangs up now (as `hangup_probability`)."""
    threshold = _r["hangup_low_threshold"]
    p = np.where(
        patience <= 0.0,
        _r["hangup_exhausted"],
        np.where(patience < threshold, _r["hangup_low_patience"] * (threshold - patience), 0.0),
    )
    calm_down = 1.0 - np.minimum(1.0, _r["hangup_furious"] * _HANGUP_PROVOCATION[types.code])
    return np.where(anger >= _r["hangup_anger_threshold"], 1.0 - (1.0 - p) * calm_down, p)
