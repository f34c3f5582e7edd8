"""The standard contact feature schema: one raw record per contact, and its numeric encoding.

`RAW_FIELDS` is the record the engine builds at the end of a contact and the column list of a
contact center's CSV export (`shapan model train --data`). `encode`/`encode_columns` turn
records into the matrix the outcome models read; `FEATURES` names its columns and
`FACTOR_OF` groups them into the plain-language factors used in explanations.
Bump `FEATURE_SCHEMA_VERSION` whenever a raw field or an encoded column changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import repeat
from operator import is_
from typing import Any

import numpy as np

from customer_models import portable

FEATURE_SCHEMA_VERSION = "1.0"

CHANNELS: tuple[str, ...] = ("phone", "chat", "email")
KINDS: tuple[str, ...] = ("complaint", "inquiry", "sales")

#: Behaviour tags with their labels (zh-CN, en) — equal to journeys.vocabulary.BEHAVIOURS.
BEHAVIOUR_LABELS: dict[str, tuple[str, str]] = {
    "greeting": ("问候", "greeting"),
    "verify_identity": ("核验身份", "verify identity"),
    "skip_verification": ("跳过身份核验", "skip verification"),
    "protect_privacy": ("保护隐私", "protect privacy"),
    "disclose_private": ("泄露他人信息", "disclose private data"),
    "summarize": ("总结确认", "summarize"),
    "close_politely": ("礼貌结束", "close politely"),
    "empathy": ("共情", "empathy"),
    "apology": ("致歉", "apology"),
    "active_listening": ("倾听", "active listening"),
    "calm": ("冷静安抚", "calm the customer"),
    "restate": ("复述问题", "restate the problem"),
    "interrupt": ("打断客户", "interrupt"),
    "argue": ("与客户争辩", "argue"),
    "blame_customer": ("指责客户", "blame the customer"),
    "blame_system": ("推给系统", "blame the system"),
    "scripted": ("机械背诵话术", "robotic script"),
    "rush": ("催促", "rush the customer"),
    "explain": ("清晰解释", "clear explanation"),
    "accurate_info": ("准确信息", "accurate information"),
    "wrong_info": ("错误信息", "wrong information"),
    "vague_info": ("含糊其辞", "vague answer"),
    "jargon": ("术语堆砌", "jargon"),
    "check_knowledge": ("查询知识库", "check the knowledge base"),
    "offer_solution": ("给出具体方案", "concrete solution"),
    "compensate": ("补偿", "remedy / compensation"),
    "promise_callback": ("承诺回电", "promise a callback"),
    "follow_up": ("主动跟进", "follow up"),
    "hold": ("保持等待", "put on hold"),
    "transfer": ("转接", "transfer"),
    "escalate": ("升级处理", "escalate"),
    "refuse": ("直接拒绝", "flat refusal"),
    "overpromise": ("过度承诺", "overpromise"),
    "needs_discovery": ("挖掘需求", "needs discovery"),
    "cross_sell_offer": ("交叉销售推荐", "cross-sell offer"),
    "pushy_sales": ("强行推销", "pushy selling"),
    "ask_consent": ("征得同意", "ask consent"),
}
BEHAVIOURS: tuple[str, ...] = tuple(BEHAVIOUR_LABELS)

#: Risk types with labels — equal to journeys.vocabulary.RISK_TYPES.
RISK_LABELS: dict[str, tuple[str, str]] = {
    "privacy_breach": ("隐私泄露", "privacy breach"),
    "wrong_info": ("错误信息", "wrong information"),
    "compliance_breach": ("合规违规", "compliance breach"),
    "escalation_risk": ("升级投诉风险", "escalation risk"),
    "mis_selling": ("不当销售", "mis-selling"),
}
RISK_TYPES: tuple[str, ...] = tuple(RISK_LABELS)

CATEGORICAL: dict[str, tuple[str, ...]] = {
    "channel": CHANNELS,
    "kind": KINDS,
    "segment": ("mass", "vip", "small_business"),
    "age_band": ("young", "adult", "senior", "elderly"),
    "temperament": ("calm", "anxious", "irritable"),
    "contract": ("month_to_month", "one_year", "two_year"),
}

#: Raw field -> (type, description). Types: "cat", "bin" (0/1), "count" (int >= 0),
#: "seconds" / "years" / "yuan" (float >= 0), "mood" (0..10), "fit" (0..3), "prob" (0..1).
RAW_SPEC: dict[str, tuple[str, str]] = {
    "channel": ("cat", "phone | chat | email"),
    "kind": ("cat", "journey kind: complaint | inquiry | sales"),
    "wait_s": ("seconds", "time in queue before an agent answered"),
    "handle_s": ("seconds", "handle time: talk + hold + wrap of the contact"),
    "holds": ("count", "number of holds"),
    "hold_s": ("seconds", "total time on hold"),
    "transfers": ("count", "number of transfers"),
    **{
        f"beh_{t}": ("count", f"times the agent did '{BEHAVIOUR_LABELS[t][1]}'") for t in BEHAVIOURS
    },
    "anger_peak": ("mood", "highest anger during the contact, 0..10"),
    "anger_final": ("mood", "anger at the end, 0..10"),
    "trust_final": ("mood", "trust at the end, 0..10"),
    "patience_final": ("mood", "patience at the end, 0..10"),
    "resolved": ("bin", "the issue was resolved in this contact"),
    "fcr": (
        "bin",
        "resolved on the first contact for this issue (resolved and prior_contacts = 0)",
    ),
    "repeat_contact": ("bin", "this contact is a repeat for the same issue (prior_contacts >= 1)"),
    "escalated": ("bin", "the contact was escalated"),
    "hung_up": ("bin", "the customer hung up before the end"),
    **{f"risk_{r}": ("count", f"risk events of type '{RISK_LABELS[r][1]}'") for r in RISK_TYPES},
    "cross_sell_offered": ("bin", "a cross-sell offer was made"),
    "cross_sell_fit": ("fit", "fit of the offer to the customer: 0 none, 1 low, 2 medium, 3 high"),
    "segment": ("cat", "mass | vip | small_business"),
    "age_band": ("cat", "young | adult | senior | elderly"),
    "temperament": ("cat", "calm | anxious | irritable"),
    "tenure_years": ("years", "years as a customer"),
    "contract": ("cat", "month_to_month | one_year | two_year"),
    "products": ("count", "number of products held"),
    "value": ("yuan", "yearly revenue from the customer, yuan"),
    "prior_contacts": ("count", "earlier contacts for this same issue"),
    "churn_risk": ("prob", "baseline 90-day churn probability before this contact"),
}
RAW_FIELDS: tuple[str, ...] = tuple(RAW_SPEC)

_Col = Mapping[str, np.ndarray]


def _f(name: str) -> Callable[[_Col], np.ndarray]:
    return lambda c: c[name]


def _onehot(name: str, value: str) -> Callable[[_Col], np.ndarray]:
    code = CATEGORICAL[name].index(value)  # categorical columns arrive as codes (`_categorical`)
    return lambda c: c[name] == code


def _capped(name: str, cap: float) -> Callable[[_Col], np.ndarray]:
    return lambda c: np.minimum(c[name], cap)


def _equals(name: str, value: float) -> Callable[[_Col], np.ndarray]:
    return lambda c: c[name] == value


_complaint = _onehot("kind", "complaint")


def _remedy(c: _Col) -> np.ndarray:
    return (c["beh_offer_solution"] + c["beh_compensate"]) > 0


def _apology(c: _Col) -> np.ndarray:
    return c["beh_apology"] > 0


# (encoded name, factor, function of the validated columns: numbers are float64 rows and
# categories codes; a function may return bools, written into the float matrix as 1.0/0.0
# without a copy of its own)
_SPEC: list[tuple[str, str, Callable[[_Col], np.ndarray]]] = [
    *[(f"channel_{v}", "channel", _onehot("channel", v)) for v in CHANNELS],
    *[(f"kind_{v}", "kind", _onehot("kind", v)) for v in KINDS],
    ("wait_min", "wait", lambda c: c["wait_s"] / 60.0),
    # portable log1p / log: the same bits on any CPU (np.log is SIMD-dispatched).
    ("wait_log", "wait", lambda c: portable.log1p(c["wait_s"] / 60.0)),
    ("handle_min", "handle", lambda c: c["handle_s"] / 60.0),
    ("handle_over8", "handle", lambda c: np.maximum(c["handle_s"] / 60.0 - 8.0, 0.0)),
    ("holds", "holds", lambda c: np.minimum(c["holds"], 5)),
    ("hold_min", "holds", lambda c: c["hold_s"] / 60.0),
    ("transfers", "transfers", lambda c: np.minimum(c["transfers"], 4)),
    *[
        (
            f"beh_{t}",
            f"beh_{t}",
            _capped(f"beh_{t}", 5),
        )
        for t in BEHAVIOURS
    ],
    ("beh_apology_any", "beh_apology", _apology),
    ("anger_peak", "anger_peak", _f("anger_peak")),
    ("anger_final", "anger_final", _f("anger_final")),
    ("trust_final", "trust_final", _f("trust_final")),
    ("patience_final", "patience_final", _f("patience_final")),
    ("resolved", "resolution", _f("resolved")),
    ("fcr", "resolution", _f("fcr")),
    ("resolved_after_repeat", "resolution", lambda c: c["resolved"] * (c["prior_contacts"] > 0)),
    ("repeat_contact", "repeat", _f("repeat_contact")),
    ("prior_contacts", "repeat", lambda c: np.minimum(c["prior_contacts"], 6)),
    ("prior_ge3", "repeat", lambda c: c["prior_contacts"] >= 3),
    ("prior_ge4", "repeat", lambda c: c["prior_contacts"] >= 4),
    ("escalated", "escalated", _f("escalated")),
    ("hung_up", "hung_up", _f("hung_up")),
    *[
        (
            f"risk_{r}",
            f"risk_{r}",
            _capped(f"risk_{r}", 3),
        )
        for r in RISK_TYPES
    ],
    ("cross_sell_offered", "cross_sell", _f("cross_sell_offered")),
    *[
        (
            f"cross_sell_fit_{k}",
            "cross_sell",
            _equals("cross_sell_fit", v),
        )
        for v, k in ((1, "low"), (2, "medium"), (3, "high"))
    ],
    (
        "complaint_apology_remedy",
        "complaint_handling",
        lambda c: _complaint(c) * _apology(c) * _remedy(c),
    ),
    ("complaint_remedy", "complaint_handling", lambda c: _complaint(c) * _remedy(c)),
    ("complaint_no_apology", "complaint_handling", lambda c: _complaint(c) * (1.0 - _apology(c))),
    ("complaint_resolved", "complaint_handling", lambda c: _complaint(c) * c["resolved"]),
    (
        "complaint_recovered",
        "complaint_handling",
        lambda c: _complaint(c) * _apology(c) * _remedy(c) * c["resolved"],
    ),
    ("complaint_severity", "complaint_handling", lambda c: _complaint(c) * c["anger_peak"]),
    *[(f"segment_{v}", "segment", _onehot("segment", v)) for v in CATEGORICAL["segment"]],
    *[(f"age_{v}", "age_band", _onehot("age_band", v)) for v in CATEGORICAL["age_band"]],
    *[
        (f"temperament_{v}", "temperament", _onehot("temperament", v))
        for v in CATEGORICAL["temperament"]
    ],
    ("tenure_years", "tenure", lambda c: np.minimum(c["tenure_years"], 20.0)),
    *[(f"contract_{v}", "contract", _onehot("contract", v)) for v in CATEGORICAL["contract"]],
    ("products", "products", lambda c: np.minimum(c["products"], 8)),
    ("value_log", "value", lambda c: portable.log1p(c["value"])),
    (
        "churn_risk_logit",
        "churn_risk",
        lambda c: portable.log(
            np.clip(c["churn_risk"], 1e-4, 1 - 1e-4)
            / (1 - np.clip(c["churn_risk"], 1e-4, 1 - 1e-4))
        ),
    ),
]

FEATURES: tuple[str, ...] = tuple(name for name, _, _ in _SPEC)
FACTOR_OF: dict[str, str] = {name: factor for name, factor, _ in _SPEC}
FACTORS: tuple[str, ...] = tuple(dict.fromkeys(FACTOR_OF.values()))


def _check_columns(columns: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The raw columns as arrays (numbers as float64), each checked: known categories,
    numbers within their kind's range, one length.

    Why one matrix for the numbers: their range check is one min and one max over all
    columns at once; column by column it was four numpy calls each, half of encoding."""
    missing = [f for f in RAW_FIELDS if f not in columns]
    if missing:
        raise ValueError(f"missing feature field(s): {', '.join(missing)}")
    out: dict[str, np.ndarray] = {}
    n = len(columns[RAW_FIELDS[0]])
    numbers = np.empty((len(_NUMERIC), n))
    j = 0
    for name in RAW_FIELDS:
        kind = RAW_SPEC[name][0]
        arr = _categorical(name, columns[name]) if kind == "cat" else np.asarray(columns[name])
        if arr.ndim != 1:
            arr = arr.reshape(-1)
        if len(arr) != n:
            raise ValueError(f"column {name} has {len(arr)} rows, expected {n}")
        if kind == "cat":
            out[name] = arr
            continue
        try:
            numbers[j] = arr
        except (TypeError, ValueError):
            raise ValueError(f"{name}: values must be numbers") from None
        out[name] = numbers[j]
        j += 1
    # NaN fails both comparisons
    if n and not ((numbers.min(axis=1) >= _LOW).all() and (numbers.max(axis=1) <= _HIGH).all()):
        for name, arr in zip(_NUMERIC, numbers, strict=True):
            lo, hi = _RANGE[RAW_SPEC[name][0]]
            if not np.isfinite(arr).all():
                raise ValueError(f"{name}: values must be finite numbers")
            if not (lo <= arr.min() and arr.max() <= hi):
                raise ValueError(f"{name}: values must be between {lo} and {hi}")
    return out


_CODES: dict[str, dict[str, int]] = {
    name: {v: i for i, v in enumerate(values)} for name, values in CATEGORICAL.items()
}


def _categorical(name: str, values: Any) -> np.ndarray:
    """A categorical column as codes (indices into CATEGORICAL[name]), every value checked.

    Why a dict lookup per value: numpy's string conversion and `isin` cost 0.5 µs a row
    over the six categorical columns, three times as much."""
    if isinstance(values, np.ndarray):
        values = values.reshape(-1).tolist()
    codes = _CODES[name]
    n = len(values)
    try:
        if n and all(map(is_, values, repeat(values[0]))):  # one value (one channel…)
            return np.full(n, codes[values[0]], dtype=np.intp)
        at = np.fromiter(map(codes.__getitem__, values), np.intp, n)
    except (KeyError, TypeError):
        bad = next(v for v in values if not isinstance(v, str) or v not in codes)
        allowed = CATEGORICAL[name]
        raise ValueError(
            f"{name}: unknown value {bad!r}; use one of {', '.join(allowed)}"
        ) from None
    return at


_RANGE: dict[str, tuple[float, float]] = {
    "bin": (0.0, 1.0),
    "count": (0.0, 1e6),
    "seconds": (0.0, 1e7),
    "years": (0.0, 150.0),
    "yuan": (0.0, 1e12),
    "mood": (0.0, 10.0),
    "fit": (0.0, 3.0),
    "prob": (0.0, 1.0),
}


_NUMERIC: tuple[str, ...] = tuple(f for f in RAW_FIELDS if RAW_SPEC[f][0] != "cat")
_LOW = np.array([_RANGE[RAW_SPEC[f][0]][0] for f in _NUMERIC])
_HIGH = np.array([_RANGE[RAW_SPEC[f][0]][1] for f in _NUMERIC])


def encode_columns(columns: Mapping[str, Any]) -> np.ndarray:
    """Encode columnar raw records (name -> 1-D array) into an (n, len(FEATURES)) matrix."""
    cols = _check_columns(columns)
    n = len(cols["channel"])
    # filled feature by feature (contiguous rows), then turned into one row per contact:
    # writing the columns of an (n, F) matrix in place cost more than the copy
    out = np.empty((len(_SPEC), n), dtype=float)
    for j, (_, _, fn) in enumerate(_SPEC):
        out[j] = fn(cols)
    return np.ascontiguousarray(out.T)


def records_to_columns(records: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Raw records -> columns; raises ValueError naming the record index and the field.

    Why one list comprehension per field: it runs at C speed per element; a per-record,
    per-field Python loop cost ~10 µs per record of a simulated day.
    """
    out: dict[str, np.ndarray] = {}
    try:
        for f in RAW_FIELDS:
            values = [rec[f] for rec in records]
            try:
                out[f] = np.asarray(values, dtype=object if RAW_SPEC[f][0] == "cat" else float)
            except (TypeError, ValueError):
                out[f] = np.asarray(values, dtype=object)  # `_check_columns` names the field
    except KeyError:
        for i, rec in enumerate(records):
            for f in RAW_FIELDS:
                if f not in rec:
                    raise ValueError(f"record {i}: missing field {f!r}") from None
        raise
    return out


def encode(records: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Encode raw per-contact records (mappings with every RAW_FIELDS key)."""
    if not records:
        return np.empty((0, len(FEATURES)), dtype=float)
    return encode_columns(records_to_columns(records))


def decode_row(row: np.ndarray) -> dict[str, Any]:
    """Recover the raw record from one encoded row (explanations of an encoded row).

    Counts above the encoding caps come back at the cap.
    """
    x = dict(zip(FEATURES, np.asarray(row, dtype=float).tolist(), strict=True))
    rec: dict[str, Any] = {}
    for name, values in CATEGORICAL.items():
        prefix = {"age_band": "age", "channel": "channel", "kind": "kind"}.get(name, name)
        picked = [v for v in values if x.get(f"{prefix}_{v}", 0.0) > 0.5]
        rec[name] = picked[0] if picked else values[0]
    rec["wait_s"] = x["wait_min"] * 60.0
    rec["handle_s"] = x["handle_min"] * 60.0
    rec["holds"] = round(x["holds"])
    rec["hold_s"] = x["hold_min"] * 60.0
    rec["transfers"] = round(x["transfers"])
    for t in BEHAVIOURS:
        rec[f"beh_{t}"] = round(x[f"beh_{t}"])
    for name in ("anger_peak", "anger_final", "trust_final", "patience_final"):
        rec[name] = x[name]
    for name in ("resolved", "fcr", "repeat_contact", "escalated", "hung_up", "cross_sell_offered"):
        rec[name] = round(x[name])
    for r in RISK_TYPES:
        rec[f"risk_{r}"] = round(x[f"risk_{r}"])
    rec["cross_sell_fit"] = next(
        (v for v, k in ((1, "low"), (2, "medium"), (3, "high")) if x[f"cross_sell_fit_{k}"] > 0.5),
        0,
    )
    rec["tenure_years"] = x["tenure_years"]
    rec["products"] = round(x["products"])
    rec["value"] = float(np.expm1(x["value_log"]))
    rec["prior_contacts"] = round(x["prior_contacts"])
    rec["churn_risk"] = float(1.0 / (1.0 + np.exp(-x["churn_risk_logit"])))
    return rec


def blank_record(**overrides: Any) -> dict[str, Any]:
    """A neutral record (calm adult mass customer, short resolved inquiry) to build from."""
    rec: dict[str, Any] = {f: 0 for f in RAW_FIELDS}
    rec.update(
        channel="phone",
        kind="inquiry",
        wait_s=20.0,
        handle_s=300.0,
        anger_peak=2.0,
        anger_final=1.0,
        trust_final=6.0,
        patience_final=6.0,
        resolved=1,
        fcr=1,
        segment="mass",
        age_band="adult",
        temperament="calm",
        tenure_years=3.0,
        contract="one_year",
        products=2,
        value=1500.0,
        churn_risk=0.08,
    )
    unknown = set(overrides) - set(RAW_FIELDS)
    if unknown:
        raise ValueError(f"unknown feature field(s): {', '.join(sorted(unknown))}")
    rec.update(overrides)
    return rec
