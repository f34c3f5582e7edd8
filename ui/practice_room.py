"""The practice room's feedback on the desk (practice mode only; docs/ui.md § Practice room).

- `effect_lines`: the last decision's predicted effect (from `Session.decide` / the contact's
  `last_decision["effect"]`): CSAT, churn and cross-sell now, the later cost of a breach, the
  contact's predicted outcome against the best reply, the rubric dimensions it moved and why,
  and the contact's rubric so far ("no data" for a dimension without evidence).
- `scorecard_lines`: a per-contact scorecard at contact end (outcome, predicted CSAT with the
  later cost, churn, risk points, rubric), shown with the customer's last lines until the
  trainee moves on.
- `keyword_hit`: whether a transcript line says one of the active rule's keywords.

Pure text builders: the desk draws them. Everything comes from `Session` data (no ids shown).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from journeys.vocabulary import RUBRIC
from sandbox import kpi_catalogue as kc
from ui import i18n, theme

Line = tuple[str, tuple[int, int, int]]


def _signed(value: float, digits: int = 2) -> str:
    return f"{value:+.{digits}f}"


def _pts(value: float) -> str:
    """A probability change in percentage points."""
    return f"{value * 100:+.1f}"


def rubric_text(rubric: Mapping[str, Any] | None, lang: str) -> str:
    """`Empathy 82 · Accuracy no data · …` over the six dimensions (no data = no evidence)."""
    parts = []
    for dim, names in RUBRIC.items():
        value = (rubric or {}).get(dim)
        shown = i18n.t("no_data", lang) if value is None else f"{float(value):.0f}"
        parts.append(f"{names[lang]} {shown}")
    return " · ".join(parts)


def effect_lines(effect: Mapping[str, Any] | None, lang: str, risk_points: int = 0) -> list[Line]:
    """The last decision's predicted effect in words, a line per fact, coloured."""
    if not effect:
        return []
    now = effect.get("now") or {}
    later = effect.get("later") or {}
    outcome = effect.get("outcome") or {}
    vs = effect.get("versus_best") or {}
    lines: list[Line] = []
    d_csat = float(now.get("csat") or 0.0)
    head = (
        f"{i18n.t('effect_now', lang)}: {i18n.t('csat_short', lang)} {_signed(d_csat)} · "
        f"{i18n.t('churn_short', lang)} {_pts(float(now.get('churn') or 0.0))} "
        f"{i18n.t('pct_points', lang)}"
    )
    if abs(float(now.get("cross_sell") or 0.0)) > 1e-6:
        head += f" · {i18n.t('cross_sell_short', lang)} {_pts(float(now['cross_sell']))} {i18n.t('pct_points', lang)}"
    lines.append(
        (head, theme.GOOD if d_csat > 0.005 else theme.BAD if d_csat < -0.005 else theme.TEXT)
    )
    if later.get("risks"):
        lines.append((
            f"{i18n.t('effect_later', lang)}: "
            f"{float(later.get('repeat_contact') or 0.0):.0%} {i18n.t('repeat_or_complaint', lang)} · "
            f"{i18n.t('csat_short', lang)} {_signed(float(later.get('csat') or 0.0))} · "
            f"{i18n.t('churn_short', lang)} {_pts(float(later.get('churn') or 0.0))} {i18n.t('pct_points', lang)} · "
            f"{i18n.t('risk_point', lang)} +{float(later.get('risk_points') or 0.0):.0f}",
            theme.BAD,
        ))  # fmt: skip
    gap = float(vs.get("csat") or 0.0)
    verdict = (
        i18n.t("effect_best", lang)
        if effect.get("best") or gap >= -0.0005
        else f"{i18n.t('effect_vs_best', lang)} {_signed(gap)}"
    )
    lines.append((
        f"{i18n.t('effect_outcome', lang)}: {i18n.t('csat_short', lang)} "
        f"{float(outcome.get('csat') or 0.0):.2f} · {i18n.t('churn_short', lang)} "
        f"{float(outcome.get('churn') or 0.0):.1%} · {verdict}",
        theme.GOOD if effect.get("best") or gap >= -0.0005 else theme.WARN,
    ))  # fmt: skip
    moved = effect.get("rubric") or {}
    if moved:
        parts = []
        for dim, step in moved.items():
            arrow = {1: "↑", -1: "↓"}.get(int(step.get("direction") or 0), "·")
            name = RUBRIC.get(dim, {}).get(lang, dim)
            parts.append(f"{name}{arrow} {i18n.pick(step.get('reason'), lang)}")
        worse = any(int(s.get("direction") or 0) < 0 for s in moved.values())
        lines.append(("  ".join(parts), theme.WARN if worse else theme.MUTED))
    lines.append((
        f"{i18n.t('contact_rubric', lang)}: {rubric_text(effect.get('contact_rubric'), lang)} · "
        f"{i18n.t('risk_point', lang)} {risk_points}",
        theme.MUTED,
    ))  # fmt: skip
    return lines


def scorecard_lines(record: Mapping[str, Any], lang: str) -> list[Line]:
    """The per-contact scorecard at contact end."""
    outcome = str(record.get("outcome") or "unresolved")
    risks = int(record.get("risk_points") or 0)
    good = outcome in ("resolved", "sale") and not risks
    lines: list[Line] = [
        (
            f"{i18n.outcome_label(outcome, lang)} · {i18n.t('csat_after', lang)} "
            f"{kc.format_value('csat_mean', record.get('csat_mean'), lang)} · "
            f"{i18n.t('churn_short', lang)} {float(record.get('churn') or 0.0):.1%} · "
            f"{i18n.t('risk_point', lang)} {risks} · {i18n.t('handle_time', lang)} "
            f"{i18n.duration(record.get('handle_s'))}",
            theme.GOOD if good else theme.WARN,
        )
    ]
    later = record.get("later") or {}
    if later.get("risks"):
        lines.append((
            f"{i18n.t('effect_later', lang)}: {float(later.get('repeat_contact') or 0.0):.0%} "
            f"{i18n.t('repeat_or_complaint', lang)} · {i18n.t('csat_short', lang)} "
            f"{_signed(float(later.get('csat') or 0.0))} ({i18n.t('included', lang)})",
            theme.BAD,
        ))  # fmt: skip
    lines.append((rubric_text(record.get("rubric"), lang), theme.TEXT))
    return lines


def last_lines(record: Mapping[str, Any], n: int = 4) -> list[Mapping[str, Any]]:
    """The contact's last `n` transcript lines (what the customer said last stays on screen)."""
    return list(record.get("transcript") or ())[-n:]


def keyword_hit(text: str, keywords: Sequence[str]) -> str | None:
    """The first keyword `text` says (case-insensitive), or None."""
    low = text.lower()
    return next((k for k in keywords if k.lower() in low), None)
