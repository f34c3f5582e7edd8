"""Who calls: a seeded, vectorised population model of customers.

A persona carries every field a journey may read (`segment`, `age_band`, ..., the starting mood)
plus queue patience per channel. Sampling is columnar numpy so the engine can draw a whole day
of callers at once; a scenario reweights the mix of any categorical field with `PersonaMix`.
All coefficients live in `POPULATION` so docs/customer-model.md can mirror them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from customer_models import portable  # exp with the same bits on any CPU

CHANNELS: tuple[str, ...] = ("phone", "chat", "email")

#: Categorical persona values, in a fixed order (same as journeys.vocabulary.PERSONA_VALUES).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "segment": ("mass", "vip", "small_business"),
    "age_band": ("young", "adult", "senior", "elderly"),
    "temperament": ("calm", "anxious", "irritable"),
    "contract": ("month_to_month", "one_year", "two_year"),
}
#: Prior contacts for the same issue: values 0..MAX_PRIOR (repeat callers).
MAX_PRIOR = 6

#: Field names and types, in the order of journeys.vocabulary.PERSONA_FIELDS.
FIELD_TYPES: dict[str, type] = {
    "segment": str,
    "age_band": str,
    "temperament": str,
    "tenure_years": float,
    "contract": str,
    "products": int,
    "value": float,
    "prior_contacts": int,
    "churn_risk": float,
    "anger": int,
    "trust": int,
    "patience": int,
}

#: Every coefficient of the population model, in one place (mirrored in docs/customer-model.md).
POPULATION: dict[str, Any] = {
    # default mix weights of the categorical fields (normalised at sampling)
    "mix": {
        "segment": {"mass": 0.78, "vip": 0.08, "small_business": 0.14},
        "age_band": {"young": 0.22, "adult": 0.45, "senior": 0.20, "elderly": 0.13},
        "temperament": {"calm": 0.50, "anxious": 0.30, "irritable": 0.20},
        "contract": {"month_to_month": 0.45, "one_year": 0.25, "two_year": 0.30},
        "prior_contacts": {0: 0.55, 1: 0.18, 2: 0.10, 3: 0.07, 4: 0.05, 5: 0.03, 6: 0.02},
    },
    # tenure_years ~ Gamma(shape, scale) x contract factor
    "tenure_shape": 1.6,
    "tenure_scale": 2.5,
    "tenure_contract": {"month_to_month": 0.6, "one_year": 1.0, "two_year": 1.6},
    # products = 1 + Poisson(rate by segment), at most 8
    "products_rate": {"mass": 0.8, "vip": 1.8, "small_business": 1.2},
    # value (yuan / year) = lognormal(median by segment, sigma) x (1 + per_product x (products-1))
    "value_median": {"mass": 1200.0, "vip": 12000.0, "small_business": 6000.0},
    "value_sigma": 0.5,
    "value_per_product": 0.3,
    # baseline 90-day churn: logit = intercept + contract + tenure + products + temperament + vip
    "churn_intercept": -2.6,
    "churn_contract": {"month_to_month": 1.0, "one_year": -0.3, "two_year": -1.3},
    "churn_tenure": -0.08,  # per year, tenure capped at 10
    "churn_products": -0.15,  # per product beyond the first
    "churn_temperament": {"calm": 0.0, "anxious": 0.1, "irritable": 0.25},
    "churn_segment": {"mass": 0.0, "vip": -0.3, "small_business": 0.1},
    "churn_noise_sd": 0.3,
    # starting mood, 0..10
    "anger_base": {"calm": 1.0, "anxious": 2.0, "irritable": 4.0},
    "anger_per_prior": 1.0,  # per earlier contact on the same issue ...
    "anger_prior_irritable": 1.5,  # ... times this for irritable customers
    "trust_base": {"calm": 6.5, "anxious": 5.0, "irritable": 4.5},
    "trust_per_tenure_year": 0.15,  # tenure capped at 10
    "trust_per_prior": -0.7,
    "patience_base": {"calm": 7.5, "anxious": 5.5, "irritable": 3.5},
    "patience_age": {"young": -0.5, "adult": 0.0, "senior": 0.5, "elderly": 1.0},
    "patience_segment": {"mass": 0.0, "vip": -0.5, "small_business": -1.0},
    "patience_per_prior": -0.5,
    "mood_noise_sd": 1.0,
    # queue patience in seconds (mean time before abandoning): phone base x factors x lognormal
    "queue_patience_phone_s": 55.0,  # calibration row 13: 37 s (US) - 72 s (APAC)
    "queue_patience_channel": {"phone": 1.0, "chat": 3.0, "email": 480.0},  # email ~7 h
    "queue_patience_temperament": {"calm": 1.25, "anxious": 0.95, "irritable": 0.65},
    "queue_patience_age": {"young": 0.85, "adult": 1.0, "senior": 1.15, "elderly": 1.3},
    "queue_patience_segment": {"mass": 1.0, "vip": 0.85, "small_business": 0.8},
    "queue_patience_sigma": 0.25,
}

_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "segment": {
        "mass": ("大众客户", "mass market"),
        "vip": ("VIP 客户", "VIP"),
        "small_business": ("小微企业主", "small business"),
    },
    "age_band": {
        "young": ("青年", "young"),
        "adult": ("中年", "adult"),
        "senior": ("中老年", "senior"),
        "elderly": ("老年", "elderly"),
    },
    "temperament": {
        "calm": ("平和", "calm"),
        "anxious": ("焦虑", "anxious"),
        "irritable": ("易怒", "irritable"),
    },
    "contract": {
        "month_to_month": ("按月合约", "month-to-month"),
        "one_year": ("一年合约", "one-year contract"),
        "two_year": ("两年合约", "two-year contract"),
    },
}


def label(field_name: str, value: str, lang: str) -> str:
    """Display label of a categorical persona value in zh-CN or en."""
    zh, en = _LABELS[field_name][value]
    return zh if lang == "zh-CN" else en


@dataclass(frozen=True)
class Persona:
    """One customer. Immutable: the engine keeps the evolving mood in `reaction.Mood`."""

    persona_id: str
    segment: str
    age_band: str
    temperament: str
    tenure_years: float
    contract: str
    products: int
    value: float
    prior_contacts: int
    churn_risk: float
    anger: int
    trust: int
    patience: int
    #: mean seconds before abandoning the queue, per channel
    patience_s: dict[str, float] = field(default_factory=dict, hash=False, compare=True)

    def journey_fields(self) -> dict[str, Any]:
        """Exactly the fields a journey may read (journeys.vocabulary.PERSONA_FIELDS)."""
        return {name: getattr(self, name) for name in FIELD_TYPES}

    def card(self, lang: str = "en") -> dict[str, str]:
        """Display strings for the UI customer card."""
        zh = lang == "zh-CN"
        years = f"{self.tenure_years:.1f}"
        return {
            "segment": label("segment", self.segment, lang),
            "age_band": label("age_band", self.age_band, lang),
            # the disposition, said as one (a calm person can be angry today: the desk shows
            # the mood now beside it)
            "temperament": (
                f"性格：{label('temperament', self.temperament, lang)}"
                if zh
                else f"temperament: {label('temperament', self.temperament, lang)}"
            ),
            "tenure": f"在网 {years} 年" if zh else f"customer for {years} years",
            "products": (
                f"持有 {self.products} 个产品"
                if zh
                else f"{self.products} product{'' if self.products == 1 else 's'}"
            ),
            "contract": label("contract", self.contract, lang),
            "value": (f"年贡献 ¥{self.value:,.0f}" if zh else f"¥{self.value:,.0f} / year"),
            "prior_contacts": (
                ("首次来电" if zh else "first contact on this issue")
                if self.prior_contacts == 0
                else (
                    f"同一问题已来电 {self.prior_contacts} 次"
                    if zh
                    else f"{self.prior_contacts} earlier contacts on this issue"
                )
            ),
        }


@dataclass(frozen=True)
class PersonaMix:
    """Scenario weights per field, e.g. `{"segment": {"vip": 0.3, "mass": 0.7}}`.

    Fields not named keep the default mix; weights need not sum to 1 (they are normalised).
    """

    weights: Mapping[str, Mapping[Any, float]] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PersonaMix:
        """Validate a scenario's `persona_mix`; raises ValueError naming the bad key/value."""
        if not isinstance(data, Mapping):
            raise ValueError("persona mix must be a mapping of field -> {value: weight}")
        out: dict[str, dict[Any, float]] = {}
        allowed = [*CATEGORIES, "prior_contacts"]
        for key, values in data.items():
            if key not in allowed:
                raise ValueError(
                    f"unknown persona field {key!r} in mix; use one of {', '.join(allowed)}"
                )
            if not isinstance(values, Mapping) or not values:
                raise ValueError(f"persona mix {key!r} must map values to weights")
            clean: dict[Any, float] = {}
            for value, weight in values.items():
                value = _check_value(key, value)
                if isinstance(weight, bool) or not isinstance(weight, int | float):
                    raise ValueError(f"weight of {key}.{value} must be a number, got {weight!r}")
                if not math.isfinite(weight) or weight < 0:
                    raise ValueError(f"weight of {key}.{value} must be >= 0, got {weight!r}")
                clean[value] = float(weight)
            if sum(clean.values()) <= 0:
                raise ValueError(f"persona mix {key!r} needs at least one positive weight")
            out[key] = clean
        return cls(out)

    def probabilities(self, key: str) -> np.ndarray:
        """Normalised probabilities of `key`'s values in their fixed order."""
        values = _values(key)
        default = POPULATION["mix"][key]
        given = self.weights.get(key)
        raw = [float(given.get(v, 0.0)) if given is not None else default[v] for v in values]
        arr = np.asarray(raw, dtype=float)
        return arr / arr.sum()


def _values(key: str) -> tuple[Any, ...]:
    if key == "prior_contacts":
        return tuple(range(MAX_PRIOR + 1))
    return CATEGORIES[key]


def _check_value(key: str, value: Any) -> Any:
    if key == "prior_contacts":
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = -1
        if isinstance(value, bool) or number < 0 or number > MAX_PRIOR or str(number) != str(value):
            raise ValueError(
                f"prior_contacts value must be an integer 0..{MAX_PRIOR}, got {value!r}"
            )
        return number
    if value not in CATEGORIES[key]:
        raise ValueError(f"unknown {key} value {value!r}; use one of {', '.join(CATEGORIES[key])}")
    return value


class PersonaBatch:
    """Columns of sampled personas (numpy arrays), with per-row `Persona` access."""

    def __init__(self, columns: dict[str, np.ndarray], codes: dict[str, np.ndarray] | None = None):
        """`codes`: the category columns as indices into CATEGORIES[key], when the sampler
        has them (the reaction model's persona types are computed from them, no strings)."""
        self.columns = columns
        self.codes = codes
        self._lists: dict[str, list[Any]] | None = None  # columns as lists, on demand

    def __len__(self) -> int:
        return len(self.columns["persona_id"])

    def column(self, key: str) -> list[Any]:
        """A column as a Python list, converted once per batch (one C call) instead of one
        numpy-scalar conversion per customer, and only if some customer's field is read."""
        lists = self._lists
        if lists is None:
            lists = self._lists = {}
        values = lists.get(key)
        if values is None:
            values = lists[key] = self.columns[key].tolist()
        return values

    def persona(self, i: int) -> Persona:
        c = self._lists
        if c is None or len(c) < len(self.columns):
            c = {k: self.column(k) for k in self.columns}
        # The frozen dataclass's generated __init__ sets each field through
        # object.__setattr__; filling the instance dict directly gives the same object
        # (same fields, equality and hash) at a fraction of the cost, for every arrival.
        p = _new_persona(Persona)
        p.__dict__.update(
            persona_id=str(c["persona_id"][i]),
            segment=c["segment"][i],
            age_band=c["age_band"][i],
            temperament=c["temperament"][i],
            tenure_years=float(c["tenure_years"][i]),
            contract=c["contract"][i],
            products=int(c["products"][i]),
            value=float(c["value"][i]),
            prior_contacts=int(c["prior_contacts"][i]),
            churn_risk=float(c["churn_risk"][i]),
            anger=int(c["anger"][i]),
            trust=int(c["trust"][i]),
            patience=int(c["patience"][i]),
            patience_s={ch: c[key][i] for ch, key in _PATIENCE_KEYS},
        )
        return p

    def __iter__(self):
        return (self.persona(i) for i in range(len(self)))


_new_persona = object.__new__
_IRRITABLE = CATEGORIES["temperament"].index("irritable")
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _hex_ids(ids: np.ndarray) -> np.ndarray:
    """`f"C{v:010x}"` for each id below 2**40, as one array operation (a formatted string
    per customer cost half a microsecond, a third of drawing the whole persona)."""
    chars = np.empty((len(ids), 11), dtype=np.uint8)
    chars[:, 0] = ord("C")
    chars[:, 1:] = _HEX[(ids[:, None] >> np.arange(36, -1, -4)) & 0xF]
    return chars.view("S11").reshape(-1).astype("U11")


_PATIENCE_KEYS: tuple[tuple[str, str], ...] = tuple((ch, f"patience_{ch}_s") for ch in CHANNELS)


def _lookup(table: Mapping[str, float], key: str, idx: np.ndarray) -> np.ndarray:
    """`table[category]` per row (0.0 for a category the table leaves out), by the rows'
    category indices: one integer gather, where comparing strings cost a pass per key."""
    coefs = np.array([table.get(v, 0.0) for v in CATEGORIES[key]], dtype=float)
    return coefs[idx]


def sample_personas(
    rng: np.random.Generator, n: int, mix: PersonaMix | None = None
) -> PersonaBatch:
    """Draw `n` personas from `rng` (a fixed draw order, so a seed gives the same people)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    mix = mix or PersonaMix()
    p = POPULATION
    cols: dict[str, np.ndarray] = {}
    at: dict[str, np.ndarray] = {}  # each category column as indices into CATEGORIES[key]
    for key in CATEGORIES:
        at[key] = idx = rng.choice(len(CATEGORIES[key]), size=n, p=mix.probabilities(key))
        cols[key] = np.asarray(CATEGORIES[key])[idx]
    prior = rng.choice(MAX_PRIOR + 1, size=n, p=mix.probabilities("prior_contacts"))
    cols["prior_contacts"] = prior.astype(np.int64)
    seg, age, temp, con = at["segment"], at["age_band"], at["temperament"], at["contract"]

    tenure = rng.gamma(p["tenure_shape"], p["tenure_scale"], size=n)
    tenure = tenure * _lookup(p["tenure_contract"], "contract", con)
    cols["tenure_years"] = np.round(np.clip(tenure, 0.1, 40.0), 1)
    products = 1 + rng.poisson(_lookup(p["products_rate"], "segment", seg))
    cols["products"] = np.minimum(products, 8).astype(np.int64)
    value = _lookup(p["value_median"], "segment", seg) * portable.exp(
        rng.normal(0.0, p["value_sigma"], size=n)
    )
    value = value * (1.0 + p["value_per_product"] * (cols["products"] - 1))
    cols["value"] = np.round(value, 2)

    tenure10 = np.minimum(cols["tenure_years"], 10.0)
    logit = (
        p["churn_intercept"]
        + _lookup(p["churn_contract"], "contract", con)
        + p["churn_tenure"] * tenure10
        + p["churn_products"] * (cols["products"] - 1)
        + _lookup(p["churn_temperament"], "temperament", temp)
        + _lookup(p["churn_segment"], "segment", seg)
        + rng.normal(0.0, p["churn_noise_sd"], size=n)
    )
    cols["churn_risk"] = np.round(1.0 / (1.0 + portable.exp(-logit)), 4)

    noise = rng.normal(0.0, p["mood_noise_sd"], size=(3, n))
    prior_anger = (
        p["anger_per_prior"] * prior * np.where(temp == _IRRITABLE, p["anger_prior_irritable"], 1.0)
    )
    anger = _lookup(p["anger_base"], "temperament", temp) + prior_anger + noise[0]
    trust = (
        _lookup(p["trust_base"], "temperament", temp)
        + p["trust_per_tenure_year"] * tenure10
        + p["trust_per_prior"] * prior
        + noise[1]
    )
    patience = (
        _lookup(p["patience_base"], "temperament", temp)
        + _lookup(p["patience_age"], "age_band", age)
        + _lookup(p["patience_segment"], "segment", seg)
        + p["patience_per_prior"] * prior
        + noise[2]
    )
    for name, arr in (("anger", anger), ("trust", trust), ("patience", patience)):
        cols[name] = np.clip(np.rint(arr), 0, 10).astype(np.int64)

    base = (
        p["queue_patience_phone_s"]
        * _lookup(p["queue_patience_temperament"], "temperament", temp)
        * _lookup(p["queue_patience_age"], "age_band", age)
        * _lookup(p["queue_patience_segment"], "segment", seg)
        * portable.exp(rng.normal(0.0, p["queue_patience_sigma"], size=n))
    )
    for ch in CHANNELS:
        cols[f"patience_{ch}_s"] = np.round(base * p["queue_patience_channel"][ch], 1)
    ids = rng.integers(0, 2**40, size=n)
    cols["persona_id"] = _hex_ids(ids)
    return PersonaBatch(cols, at)
