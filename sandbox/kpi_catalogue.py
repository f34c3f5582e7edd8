"""The KPI catalogue: every session KPI's name, unit, direction, target test and display format.

Why one table: the HTML report, the desk's KPI bar, the results screen and the `shapan run`
table each kept their own labels and number formats, and they drifted (9 of 15 labels differed,
service level showed as 80% on screen and 80.4% in the report). Everything that names or shows
a KPI now reads this module; a test checks that every KPI on every surface comes from it.

It is pure data plus pure functions (no engine, no SimPy, no pygame), so the UI may read it
directly, like a vocabulary (docs/architecture.md). Definitions of the values themselves live
with the code that computes them (`sandbox.kpis`).

Display rules, the same in every surface and both languages:
- rate: a fraction shown as a percentage with one decimal, `80.4%`;
- seconds: a clock, `m:ss` (`h:mm:ss` from an hour up), `5:12`;
- csat: the 1..5 mean with two decimals, `3.84`;
- count: a whole number with thousands separators, `9,579`;
- no value yet (None or NaN): an em dash `—`.
Differences to a target carry the unit in the reader's language (`−6.0 pp` / `−6.0 个百分点`,
`+48 s` / `+48 秒`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypedDict

Unit = Literal["count", "rate", "seconds", "csat"]
Better = Literal["higher", "lower"]

LANGS: tuple[str, ...] = ("zh-CN", "en")
#: What every surface shows for a KPI with no value yet.
NO_VALUE = "—"


@dataclass(frozen=True)
class Kpi:
    """One KPI: its key in results, its names, how it is measured and which way is good."""

    key: str
    zh: str
    en: str
    unit: Unit
    better: Better

    def label(self, lang: str) -> str:
        """The KPI's name in `lang` (English for any other language)."""
        return self.zh if lang == "zh-CN" else self.en


#: Every session KPI, in the order results and reports list them.
CATALOGUE: tuple[Kpi, ...] = (
    Kpi("contacts", "呼入量", "Contacts", "count", "higher"),
    Kpi("handled", "接通量", "Handled", "count", "higher"),
    Kpi("abandoned", "放弃量", "Abandoned", "count", "lower"),
    Kpi("abandonment_rate", "放弃率", "Abandonment rate", "rate", "lower"),
    Kpi("asa_s", "平均应答速度", "ASA", "seconds", "lower"),
    Kpi("service_level", "服务水平", "Service level", "rate", "higher"),
    Kpi("occupancy", "占用率", "Occupancy", "rate", "higher"),
    Kpi("aht_s", "平均处理时长", "AHT", "seconds", "lower"),
    Kpi("fcr", "一次解决率", "FCR", "rate", "higher"),
    Kpi("csat_mean", "客户满意度（预测）", "Predicted CSAT", "csat", "higher"),
    Kpi("csat_top_box", "满意度高分率", "CSAT top-box", "rate", "higher"),
    Kpi("churn_risk_mean", "平均流失风险", "Churn risk", "rate", "lower"),
    Kpi("cross_sell_offered", "交叉销售推荐数", "Cross-sell offers", "count", "higher"),
    Kpi("cross_sell_rate", "交叉销售率", "Cross-sell rate", "rate", "higher"),
    Kpi("risk_points", "风险点", "Risk points", "count", "lower"),
    Kpi("hangup_rate", "通话中挂断率", "Hang-ups", "rate", "lower"),
    Kpi("abandon_wait_s", "平均放弃前等待", "Time to abandon", "seconds", "lower"),
)

KPIS: dict[str, Kpi] = {k.key: k for k in CATALOGUE}
KPI_KEYS: tuple[str, ...] = tuple(KPIS)
#: KPIs where a smaller value is better (targets are maxima for them).
LOWER_IS_BETTER: frozenset[str] = frozenset(k.key for k in CATALOGUE if k.better == "lower")

_DELTA_UNITS: dict[str, dict[str, str]] = {
    "rate": {"zh-CN": "个百分点", "en": " pp"},
    "seconds": {"zh-CN": "秒", "en": " s"},
}


def label(key: str, lang: str) -> str:
    """The name of KPI `key` in `lang`."""
    return KPIS[key].label(lang)


def labels(lang: str) -> dict[str, str]:
    """Every KPI's name in `lang`, in catalogue order."""
    return {k.key: k.label(lang) for k in CATALOGUE}


def _number(value: object) -> float | None:
    """A finite float, or None for no value (None, NaN, text that is not a number)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def clock(seconds: float) -> str:
    """m:ss, or h:mm:ss from an hour up (rounded to the second)."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def duration_text(value: object) -> str:
    """A duration as `clock` shows it, or NO_VALUE when there is no number (exam clocks,
    handle times and time left on every surface)."""
    number = _number(value)
    return NO_VALUE if number is None else clock(number)


def format_value(key: str, value: object, lang: str = "en") -> str:
    """KPI `key`'s value as every surface shows it (see the module docstring).

    Values read the same in zh-CN and en (digits, %, m:ss); `lang` is taken so every surface
    asks for a value and its delta in one way, and a language-specific format has one place.
    """
    number = _number(value)
    if number is None:
        return NO_VALUE
    unit = KPIS[key].unit
    if unit == "rate":
        return f"{100 * number:.1f}%"
    if unit == "seconds":
        return clock(number)
    if unit == "csat":
        return f"{number:.2f}"
    return f"{round(number):,}"


def format_delta(key: str, delta: object, lang: str = "en") -> str:
    """A signed difference to target in the KPI's unit (`+1.5 pp`, `−48 s`); "" for none."""
    number = _number(delta)
    if number is None:
        return ""
    unit = KPIS[key].unit
    if unit == "rate":
        text = f"{abs(100 * number):.1f}"
    elif unit == "csat":
        text = f"{abs(number):.2f}"
    else:
        text = f"{round(abs(number)):,}"
    sign = "±" if text.strip("0.,") == "" else ("+" if number > 0 else "−")
    units = _DELTA_UNITS.get(unit, {})
    return f"{sign}{text}{units.get(lang, units.get('en', ''))}"


def comparison(key: str) -> str:
    """How a value must compare with its target: "≥" (higher is better) or "≤"."""
    return "≤" if KPIS[key].better == "lower" else "≥"


def format_target(key: str, target: object, lang: str = "en") -> str:
    """A target as a condition, `≥80.0%` or `≤5:00`; "" when there is none."""
    if _number(target) is None:
        return ""
    return f"{comparison(key)}{format_value(key, target, lang)}"


def met(key: str, value: object, target: object) -> bool | None:
    """Whether `value` meets `target` (at most for lower-is-better KPIs); None without data."""
    v, t = _number(value), _number(target)
    if v is None or t is None:
        return None
    return v <= t if KPIS[key].better == "lower" else v >= t


class TargetRow(TypedDict):
    """One targeted KPI in results.json `kpi_vs_target` (docs/results-schema.md)."""

    value: float | None
    target: float
    delta: float | None
    better: Better
    met: bool | None


def target_rows(kpis: Mapping[str, object], targets: Mapping[str, float]) -> dict[str, TargetRow]:
    """Each targeted KPI: value, target, delta (value − target), better, met (None if no data)."""
    out: dict[str, TargetRow] = {}
    for key in KPI_KEYS:
        if key not in targets:
            continue
        target = float(targets[key])
        value = _number(kpis.get(key))
        out[key] = {
            "value": value,
            "target": target,
            "delta": None if value is None else value - target,
            "better": KPIS[key].better,
            "met": met(key, value, target),
        }
    return out


__all__ = [
    "CATALOGUE",
    "KPIS",
    "KPI_KEYS",
    "LANGS",
    "LOWER_IS_BETTER",
    "NO_VALUE",
    "Kpi",
    "TargetRow",
    "clock",
    "comparison",
    "format_delta",
    "format_target",
    "format_value",
    "label",
    "labels",
    "met",
    "target_rows",
]
