"""The exam administrator's report: how an exam performed over its real attempts.

Why its own figures and not calibration's: calibration measures an exam with bots before anyone
sits it; this measures it with the candidates who did — pass rate, score distribution, how hard
each contact was and how well it separated strong from weak candidates, time used, critical
errors, and the reliability the exam actually had. Cronbach's alpha and its bootstrap interval
are `sandbox.exam.calibration`'s (one implementation), computed only when there are enough
attempts to mean anything (MIN_ATTEMPTS_FOR_RELIABILITY).

- `exam_statistics(results, *, exam=None, journals=None) -> dict` (`shapan.exam-statistics/1`);
- `render_admin_report_html(stats, lang) -> str`, `render_admin_report_text(stats, lang) -> str`.

Definitions (docs/exam-format.md has the grading rules):

- difficulty of contact k: the mean of its counted score / 100 over the attempts (1 = everyone
  full marks), and its pass rate;
- discrimination of contact k: the corrected item-total correlation, Pearson's r between the
  contact's counted score and the sum of the other contacts' counted scores (None when either
  does not vary);
- reliability: Cronbach's alpha with contacts (by position k, pooled over parallel forms) as
  items and attempts as persons, with a seeded 95% percentile-bootstrap interval.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sandbox.exam.calibration import (
    BOOTSTRAP,
    RELIABILITY_TARGET,
    alpha_interval,
    cronbach_alpha,
    describe,
)
from sandbox.exam.model import Exam
from sandbox.exam.result_page import (
    bar_chart_svg,
    i18n,
    journey_titles,
    outcome_label,
    page,
    risk_label,
    shipped_exam_of,
    status_label,
)
from sandbox.kpi_catalogue import duration_text

SCHEMA = "shapan.exam-statistics/1"
#: Below this many attempts alpha is not estimated: with a handful of persons the bootstrap
#: interval spans most of [-1, 1] and a single number would mislead.
MIN_ATTEMPTS_FOR_RELIABILITY = 10
#: Seed of the bootstrap resampling: the same results always give the same interval.
BOOTSTRAP_SEED = 12
HISTOGRAM_BINS = 10

TEXT: dict[str, dict[str, str]] = {
    "doc": {"zh-CN": "考试分析报告（管理员）", "en": "Exam report for the administrator"},
    "attempts": {"zh-CN": "考试人次", "en": "Attempts"},
    "pass_rate": {"zh-CN": "通过率", "en": "Pass rate"},
    "mean_score": {"zh-CN": "平均分", "en": "Mean score"},
    "reliability": {"zh-CN": "信度（Cronbach α）", "en": "Reliability (Cronbach's alpha)"},
    "distribution": {"zh-CN": "分数分布", "en": "Score distribution"},
    "cut": {"zh-CN": "合格线", "en": "cut"},
    "contacts": {
        "zh-CN": "各通联络：难度与区分度",
        "en": "Contacts: difficulty and discrimination",
    },
    "k": {"zh-CN": "序号", "en": "k"},
    "contact_k": {"zh-CN": "第 {k} 通", "en": "contact {k}"},
    "journeys": {"zh-CN": "场景（按试卷）", "en": "Journeys (by form)"},
    "difficulty": {"zh-CN": "难度（均分/100）", "en": "Difficulty (mean/100)"},
    "contact_pass": {"zh-CN": "通过率", "en": "Pass rate"},
    "discrimination": {"zh-CN": "区分度 r", "en": "Discrimination r"},
    "handle": {"zh-CN": "平均处理时长", "en": "Mean handle time"},
    "statuses": {"zh-CN": "未评分", "en": "Not graded"},
    "time_used": {"zh-CN": "用时（最后一次决策）", "en": "Time used (last decision)"},
    "critical": {"zh-CN": "严重错误", "en": "Critical errors"},
    "kind": {"zh-CN": "类型", "en": "Kind"},
    "risk_kind": {"zh-CN": "风险事件", "en": "risk event"},
    "ending_kind": {"zh-CN": "结束方式", "en": "ending"},
    "count": {"zh-CN": "次数", "en": "Count"},
    "attempts_hit": {"zh-CN": "涉及人次", "en": "Attempts"},
    "fails": {"zh-CN": "后果", "en": "Fails"},
    "fails_exam": {"zh-CN": "整场不通过", "en": "the exam"},
    "fails_contact": {"zh-CN": "本通不通过", "en": "the contact"},
    "no_critical": {"zh-CN": "没有严重错误。", "en": "No critical errors."},
    "forms": {"zh-CN": "各试卷", "en": "Per form"},
    "form": {"zh-CN": "试卷", "en": "Form"},
    "too_few": {
        "zh-CN": "考试人次太少，无法估计信度（至少需要 {n} 人次）",
        "en": "too few attempts to estimate reliability (needs at least {n})",
    },
    "undefined": {
        "zh-CN": "无法计算（总分没有差异）",
        "en": "undefined (the totals do not vary)",
    },
    "target_met": {"zh-CN": "达到 {t} 的要求", "en": "meets the {t} floor"},
    "target_missed": {"zh-CN": "低于 {t} 的要求", "en": "below the {t} floor"},
    "ci": {"zh-CN": "95% 区间", "en": "95% interval"},
    "mixed": {
        "zh-CN": "注意：这些成绩来自不同版本的考试（内容哈希不同）",
        "en": "Note: these results come from different versions of the exam (content hashes differ)",
    },
    "proctored": {"zh-CN": "监考", "en": "proctored"},
    "unproctored": {"zh-CN": "未监考", "en": "unproctored"},
    "definitions": {"zh-CN": "口径", "en": "Definitions"},
    "def_text": {
        "zh-CN": "难度 = 该通计分均值 ÷ 100；区分度 = 该通得分与其余各通得分之和的相关系数"
        "（校正的题总相关）；信度 = 以各通为题、人次为样本的 Cronbach α，区间为 {b} 次自助重抽样"
        "（种子 {s}）的 2.5%–97.5% 分位。",
        "en": "Difficulty = the contact's mean counted score / 100; discrimination = the "
        "correlation of the contact's score with the sum of the other contacts' scores "
        "(corrected item-total r); reliability = Cronbach's alpha with contacts as items and "
        "attempts as persons, interval = 2.5–97.5% percentiles of {b} bootstrap resamples "
        "(seed {s}).",
    },
    "none": {"zh-CN": "—", "en": "—"},
    "sd": {"zh-CN": "标准差", "en": "sd"},
    "min": {"zh-CN": "最低", "en": "min"},
    "max": {"zh-CN": "最高", "en": "max"},
    "quartiles": {"zh-CN": "四分位", "en": "quartiles"},
}


def _t(key: str, lang: str) -> str:
    return TEXT[key][lang]


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


# -- statistics -----------------------------------------------------------------------------
def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"not a number: {value!r}")
    return float(value)


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson's r; None when either variable does not vary or there are fewer than 3 pairs."""
    a, b = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if a.size < 3 or a.size != b.size:
        return None
    da, db = a - a.mean(), b - b.mean()
    denom = math.sqrt(float((da * da).sum()) * float((db * db).sum()))
    if denom <= 1e-12:
        return None
    return float((da * db).sum()) / denom


def corrected_item_total(matrix: Sequence[Sequence[float]]) -> list[float | None]:
    """For each item (column), r between it and the sum of the other items."""
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] == 0:
        return []
    total = m.sum(axis=1)
    return [pearson(m[:, j].tolist(), (total - m[:, j]).tolist()) for j in range(m.shape[1])]


def histogram(scores: Sequence[float], bins: int = HISTOGRAM_BINS) -> dict[str, list[float]]:
    """Counts over equal bins of 0..100; the last bin includes 100."""
    width = 100.0 / bins
    counts = [0] * bins
    for s in scores:
        counts[min(bins - 1, max(0, int(s // width)))] += 1
    return {
        "edges": [round(i * width, 6) for i in range(bins + 1)],
        "counts": [float(c) for c in counts],
    }


def _distribution(scores: Sequence[float]) -> dict[str, Any]:
    d = describe(scores)
    return {
        "n": len(scores),
        "mean": d["mean"],
        "sd": d["sd"],
        "min": float(min(scores)) if scores else 0.0,
        "p25": d["p25"],
        "p50": d["p50"],
        "p75": d["p75"],
        "max": float(max(scores)) if scores else 0.0,
        "histogram": histogram(scores),
    }


def reliability(matrix: Sequence[Sequence[float]], seed: int = BOOTSTRAP_SEED) -> dict[str, Any]:
    """Cronbach's alpha of an attempts x contacts matrix with its bootstrap 95% interval, or why
    there is none (`status`: estimated | too_few | undefined)."""
    persons = len(matrix)
    items = len(matrix[0]) if persons else 0
    base: dict[str, Any] = {"persons": persons, "items": items, "target": RELIABILITY_TARGET,
                            "min_attempts": MIN_ATTEMPTS_FOR_RELIABILITY}  # fmt: skip
    if persons < MIN_ATTEMPTS_FOR_RELIABILITY:
        return {**base, "status": "too_few", "alpha": None, "ci": None}
    alpha = cronbach_alpha(matrix)
    if alpha is None:
        return {**base, "status": "undefined", "alpha": None, "ci": None}
    ci = alpha_interval(matrix, seed)
    return {**base, "status": "estimated", "alpha": alpha, "ci": list(ci) if ci else None,
            "resamples": BOOTSTRAP, "seed": seed}  # fmt: skip


def _time_used(journal: Any) -> float | None:
    """The time of the last decision of a journal: plain `[[t, contact, choice], ...]`, chained
    entries `{t, ...}` or replayed decisions `{t, ...}`."""
    if not isinstance(journal, list) or not journal:
        return None
    last = journal[-1]
    t = (
        last.get("t")
        if isinstance(last, Mapping)
        else (last[0] if isinstance(last, (list, tuple)) and last else None)
    )
    return float(t) if isinstance(t, (int, float)) and not isinstance(t, bool) else None


def _check_results(results: Sequence[Any]) -> list[Mapping[str, Any]]:
    out = []
    for i, r in enumerate(results, start=1):
        if not isinstance(r, Mapping) or not isinstance(r.get("contacts"), list):
            raise ValueError(f"result {i} is not a graded exam result (no contacts)")
        out.append(r)
    ids = {str((r.get("exam") or {}).get("id")) for r in out}
    if len(ids) > 1:
        raise ValueError(f"results of different exams: {', '.join(sorted(ids))}; report one exam")
    return out


def _matrix(results: Sequence[Mapping[str, Any]], n_items: int) -> list[list[float]]:
    rows = []
    for r in results:
        by_k = {int(c.get("k", 0)): _float(c.get("score", 0.0)) for c in r["contacts"]}
        rows.append([by_k.get(k, 0.0) for k in range(1, n_items + 1)])
    return rows


def _passed(r: Mapping[str, Any]) -> bool:
    return r.get("passed") is True


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def exam_statistics(
    results: Sequence[Mapping[str, Any]],
    *,
    exam: Exam | None = None,
    journals: Sequence[Any] | None = None,
    seed: int = BOOTSTRAP_SEED,
) -> dict[str, Any]:
    """The administrator's figures over the graded results of one exam (see the module doc).
    `journals[i]` (optional) is attempt i's journal, for the time used. Raises ValueError for
    a document that is not a graded result or results of different exams."""
    rows = _check_results(results)
    if exam is None and rows:
        exam = shipped_exam_of(rows[0])
    first_exam: Mapping[str, Any] = (rows[0].get("exam") or {}) if rows else {}
    n_items = (
        exam.customers if exam is not None else max((len(r["contacts"]) for r in rows), default=0)
    )
    scores = [_float(r.get("score", 0.0)) for r in rows]
    passed = sum(_passed(r) for r in rows)
    matrix = _matrix(rows, n_items)
    discrimination = corrected_item_total(matrix) if rows else []
    titles = journey_titles(exam) if exam is not None else {}
    contacts = []
    by_k: dict[int, dict[str, list[str]]] = {}
    for k in range(1, n_items + 1):
        graded = [c for r in rows for c in r["contacts"] if int(c.get("k", 0)) == k]
        by_form: dict[str, set[str]] = {}
        statuses: dict[str, int] = {}
        for r in rows:
            form_id = str((r.get("form") or {}).get("id"))
            for c in r["contacts"]:
                if int(c.get("k", 0)) == k:
                    if c.get("journey_id"):
                        by_form.setdefault(form_id, set()).add(str(c["journey_id"]))
                    if c.get("status") != "graded":
                        statuses[str(c.get("status"))] = statuses.get(str(c.get("status")), 0) + 1
        handles = [
            _float(c["handle_s"]) for c in graded if isinstance(c.get("handle_s"), (int, float))
        ]
        col = [row[k - 1] for row in matrix]
        by_k[k] = {f: sorted(j) for f, j in sorted(by_form.items())}
        contacts.append({
            "k": k,
            "journeys": by_k[k],
            "difficulty": (sum(col) / len(col) / 100.0) if col else None,
            "pass_rate": _rate(sum(c.get("passed") is True for c in graded), len(graded)),
            "discrimination": discrimination[k - 1] if discrimination else None,
            "mean_handle_s": sum(handles) / len(handles) if handles else None,
            "not_graded": dict(sorted(statuses.items())),
        })  # fmt: skip
    critical: dict[str, dict[str, Any]] = {}
    for i, r in enumerate(rows):
        for c in r["contacts"]:
            for hit in c.get("critical_errors") or ():
                kind = f"risk:{hit['risk']}" if hit.get("risk") else f"outcome:{hit.get('outcome')}"
                row = critical.setdefault(kind, {"kind": kind, "risk": hit.get("risk"),
                                                 "outcome": hit.get("outcome"),
                                                 "fails": hit.get("fails"), "count": 0,
                                                 "attempts": set()})  # fmt: skip
                row["count"] += 1
                row["attempts"].add(i)
    critical_rows = [
        {**v, "attempts": len(v["attempts"])}
        for v in sorted(critical.values(), key=lambda v: (-v["count"], v["kind"]))
    ]
    forms: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        forms.setdefault(str((r.get("form") or {}).get("id")), []).append(i)
    form_rows = []
    for fid, idx in sorted(forms.items()):
        fs = [scores[i] for i in idx]
        form_rows.append({
            "form": fid, "attempts": len(idx),
            "passed": sum(_passed(rows[i]) for i in idx),
            "pass_rate": _rate(sum(_passed(rows[i]) for i in idx), len(idx)),
            "scores": _distribution(fs),
            "reliability": reliability([matrix[i] for i in idx], seed),
        })  # fmt: skip
    stats: dict[str, Any] = {
        "schema": SCHEMA,
        "exam": {
            "id": exam.id if exam is not None else first_exam.get("id"),
            "version": exam.version if exam is not None else first_exam.get("version"),
            "title": dict(exam.title) if exam is not None else dict(first_exam.get("title") or {}),
            "hashes": sorted({str((r.get("exam") or {}).get("hash")) for r in rows}),
        },
        "cut": exam.pass_rule.cut if exam is not None else (rows[0].get("cut") if rows else None),
        "contacts_required": rows[0].get("contacts_required") if rows else None,
        "attempts": len(rows),
        "proctored": sum(_is_proctored(r) for r in rows),
        "passed": passed,
        "pass_rate": _rate(passed, len(rows)),
        "scores": _distribution(scores),
        "contacts": contacts,
        "critical_errors": critical_rows,
        "reliability": reliability(matrix, seed),
        "forms": form_rows,
        "journey_titles": {j: titles[j] for c in by_k.values() for js in c.values()
                           for j in js if j in titles},
    }  # fmt: skip
    if journals is not None:
        used = [u for u in (_time_used(j) for j in journals) if u is not None]
        if used:
            d = describe(used)
            stats["time_used"] = {
                "n": len(used), "mean_s": d["mean"], "p50_s": d["p50"], "max_s": float(max(used)),
                "limit_s": exam.exam_limit_s if exam is not None else None,
            }  # fmt: skip
    return stats


def _is_proctored(r: Mapping[str, Any]) -> bool:
    from sandbox.exam.result_page import proctoring_mode

    return proctoring_mode(r)[0]


# -- rendering --------------------------------------------------------------------------------
def _pct(value: Any) -> str:
    return "—" if not isinstance(value, (int, float)) else f"{100 * float(value):.0f}%"


def _n(value: Any, digits: int = 2) -> str:
    return "—" if not isinstance(value, (int, float)) else f"{float(value):.{digits}f}"


def _reliability_words(rel: Mapping[str, Any], lang: str) -> str:
    if rel.get("status") == "too_few":
        return _t("too_few", lang).format(n=rel.get("min_attempts"))
    if rel.get("status") != "estimated":
        return _t("undefined", lang)
    alpha = float(rel["alpha"])
    target = rel.get("target", RELIABILITY_TARGET)
    verdict = _t("target_met" if alpha >= target else "target_missed", lang).format(t=target)
    ci = rel.get("ci")
    ci_text = f", {_t('ci', lang)} {ci[0]:.2f}..{ci[1]:.2f}" if ci else ""
    return f"α = {alpha:.3f}{ci_text} ({verdict}; n = {rel.get('persons')})"


def _journey_names(c: Mapping[str, Any], titles: Mapping[str, Any], lang: str) -> str:
    parts = []
    for form, ids in (c.get("journeys") or {}).items():
        names = ", ".join(i18n(titles.get(j), lang) or j for j in ids)
        parts.append(f"{form}: {names}")
    return "; ".join(parts)


def _critical_name(row: Mapping[str, Any], lang: str) -> str:
    """A risk event and an ending can share a name (compliance breach): say which."""
    if row.get("risk"):
        return f"{_t('risk_kind', lang)}: {risk_label(row['risk'], lang)}"
    return f"{_t('ending_kind', lang)}: {outcome_label(row.get('outcome'), lang)}"


def render_admin_report_text(stats: Mapping[str, Any], lang: str = "en") -> str:
    """The report for a terminal."""
    titles = stats.get("journey_titles") or {}
    s = stats["scores"]
    head = i18n(stats["exam"].get("title"), lang) or str(stats["exam"].get("id"))
    lines = [
        f"{head} v{stats['exam'].get('version')} · {_t('doc', lang)}",
        f"{_t('attempts', lang)} {stats['attempts']} ({_t('proctored', lang)} {stats['proctored']})"
        f" · {_t('pass_rate', lang)} {_pct(stats['pass_rate'])} · {_t('cut', lang)} {stats.get('cut')}",
        f"{_t('distribution', lang)}: {_t('mean_score', lang)} {_n(s['mean'], 1)} "
        f"{_t('sd', lang)} {_n(s['sd'], 1)} · {_t('min', lang)} {_n(s['min'], 1)} · "
        f"{_t('quartiles', lang)} {_n(s['p25'], 1)} / {_n(s['p50'], 1)} / {_n(s['p75'], 1)} · "
        f"{_t('max', lang)} {_n(s['max'], 1)}",
        "  " + "  ".join(
            f"{int(lo)}-{int(hi)}:{int(c)}"
            for lo, hi, c in zip(s["histogram"]["edges"], s["histogram"]["edges"][1:],
                                 s["histogram"]["counts"], strict=False)
        ),
        f"{_t('reliability', lang)}: {_reliability_words(stats['reliability'], lang)}",
    ]  # fmt: skip
    if len(stats["exam"].get("hashes") or ()) > 1:
        lines.append(_t("mixed", lang))
    if "time_used" in stats:
        tu = stats["time_used"]
        lines.append(f"{_t('time_used', lang)}: {duration_text(tu['mean_s'])} (p50 {duration_text(tu['p50_s'])}, "
                     f"max {duration_text(tu['max_s'])})")  # fmt: skip
    lines.append(
        f"{_t('k', lang):>3}  {_t('difficulty', lang):>18}  {_t('contact_pass', lang):>9}  "
        f"{_t('discrimination', lang):>16}  {_t('handle', lang):>10}  {_t('journeys', lang)}"
    )
    for c in stats["contacts"]:
        lines.append(
            f"{c['k']:>3}  {_n(c['difficulty']):>18}  {_pct(c['pass_rate']):>9}  "
            f"{_n(c['discrimination']):>16}  {duration_text(c['mean_handle_s']):>10}  "
            f"{_journey_names(c, titles, lang)}"
        )
    lines.append(f"{_t('critical', lang)}:")
    for row in stats["critical_errors"]:
        fails = _t("fails_exam" if row["fails"] == "exam" else "fails_contact", lang)
        lines.append(f"  {_critical_name(row, lang)}: {row['count']} · {_t('attempts_hit', lang)} "
                     f"{row['attempts']} · {_t('fails', lang)} {fails}")  # fmt: skip
    if not stats["critical_errors"]:
        lines.append(f"  {_t('no_critical', lang)}")
    lines.append(f"{_t('forms', lang)}:")
    for f in stats["forms"]:
        lines.append(
            f"  {_t('form', lang)} {f['form']}: {_t('attempts', lang)} {f['attempts']} · "
            f"{_t('pass_rate', lang)} {_pct(f['pass_rate'])} · {_t('mean_score', lang)} "
            f"{_n(f['scores']['mean'], 1)} · {_reliability_words(f['reliability'], lang)}"
        )
    return "\n".join(lines)


def histogram_svg(stats: Mapping[str, Any], lang: str, width: int = 760, height: int = 220) -> str:
    """Vertical bars of the score histogram with the cut as a dashed line."""
    hist = stats["scores"]["histogram"]
    counts = [float(c) for c in hist["counts"]]
    edges = [float(e) for e in hist["edges"]]
    left, bottom, top = 40, 30, 20
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max(counts) if counts and max(counts) > 0 else 1.0

    def x(v: float) -> float:
        return left + plot_w * v / 100.0

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" style="max-width:100%;height:auto">']  # fmt: skip
    cut = stats.get("cut")
    for i, c in enumerate(counts):
        x0, x1 = x(edges[i]) + 1, x(edges[i + 1]) - 1
        h = plot_h * c / peak
        passing = isinstance(cut, (int, float)) and edges[i] >= cut
        color = "#7fb069" if passing else "#9fb3c8"
        parts.append(
            f'<rect x="{x0:.1f}" y="{top + plot_h - h:.1f}" width="{x1 - x0:.1f}" height="{h:.1f}" '
            f'fill="{color}"/>'
        )
        if c:
            parts.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{top + plot_h - h - 3:.1f}" '
                         f'font-size="11" text-anchor="middle">{int(c)}</text>')  # fmt: skip
    for e in edges:
        parts.append(f'<text x="{x(e):.1f}" y="{height - 12}" font-size="11" fill="#7b8794" '
                     f'text-anchor="middle">{e:g}</text>')  # fmt: skip
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
                 'stroke="#9aa5b1"/>')  # fmt: skip
    if isinstance(cut, (int, float)):
        parts.append(
            f'<line x1="{x(cut):.1f}" y1="{top - 4}" x2="{x(cut):.1f}" y2="{top + plot_h}" '
            'stroke="#1f3a5f" stroke-width="2" stroke-dasharray="5,3"/>'
            f'<text x="{x(cut):.1f}" y="{top - 7}" font-size="11" fill="#1f3a5f" '
            f'text-anchor="middle">{_e(_t("cut", lang))} {cut:g}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


ADMIN_CSS = """
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:10px}
.tile{border:1px solid #dde3ea;border-radius:6px;padding:10px;border-left:5px solid #1f5f9f}
.tile .label{font-size:13px;color:#52606d}.tile .value{font-size:22px;font-weight:600}
.tile .note{font-size:12px;color:#52606d}
"""


def render_admin_report_html(stats: Mapping[str, Any], lang: str) -> str:
    """The self-contained HTML page of `exam_statistics` (everything escaped)."""
    if lang not in ("zh-CN", "en"):
        raise ValueError(f"unknown language {lang!r}; use one of zh-CN, en")
    titles = stats.get("journey_titles") or {}
    s = stats["scores"]
    title = i18n(stats["exam"].get("title"), lang) or str(stats["exam"].get("id"))
    rel = stats["reliability"]
    alpha_value = _n(rel.get("alpha"), 3) if rel.get("status") == "estimated" else "—"
    tiles = [
        (_t("attempts", lang), str(stats["attempts"]),
         f"{_t('proctored', lang)} {stats['proctored']} · {_t('unproctored', lang)} "
         f"{stats['attempts'] - stats['proctored']}"),
        (_t("pass_rate", lang), _pct(stats["pass_rate"]), f"{_t('cut', lang)} {stats.get('cut')}"),
        (_t("mean_score", lang), _n(s["mean"], 1), f"{_t('sd', lang)} {_n(s['sd'], 1)}"),
        (_t("reliability", lang), alpha_value, _reliability_words(rel, lang)),
    ]  # fmt: skip
    if "time_used" in stats:
        tu = stats["time_used"]
        limit = f" / {duration_text(tu['limit_s'])}" if tu.get("limit_s") else ""
        tiles.append((_t("time_used", lang), duration_text(tu["mean_s"]),
                      f"p50 {duration_text(tu['p50_s'])} · max {duration_text(tu['max_s'])}{limit}"))  # fmt: skip
    tiles_html = "".join(
        f'<div class="tile"><div class="label">{_e(a)}</div><div class="value">{_e(b)}</div>'
        f'<div class="note">{_e(c)}</div></div>'
        for a, b, c in tiles
    )
    mixed = (
        f'<p class="risk">{_t("mixed", lang)}</p>'
        if len(stats["exam"].get("hashes") or ()) > 1
        else ""
    )
    dist = (
        f"<p>{_t('mean_score', lang)} {_n(s['mean'], 1)} · {_t('sd', lang)} {_n(s['sd'], 1)} · "
        f"{_t('min', lang)} {_n(s['min'], 1)} · {_t('quartiles', lang)} {_n(s['p25'], 1)} / "
        f"{_n(s['p50'], 1)} / {_n(s['p75'], 1)} · {_t('max', lang)} {_n(s['max'], 1)}</p>"
    )
    chart = bar_chart_svg(
        [(f"{_t('contact_k', lang).format(k=c['k'])}",
          None if c["difficulty"] is None else 100 * float(c["difficulty"]),
          c["difficulty"] is not None and (c.get("pass_rate") or 0) >= 0.5)
         for c in stats["contacts"]],
        None, "",
    )  # fmt: skip
    head = [_t("k", lang), _t("journeys", lang), _t("difficulty", lang), _t("contact_pass", lang),
            _t("discrimination", lang), _t("handle", lang), _t("statuses", lang)]  # fmt: skip
    rows = []
    for c in stats["contacts"]:
        ng = ", ".join(f"{status_label(k, lang)} {v}" for k, v in c["not_graded"].items())
        rows.append(
            f'<tr><td class="num">{c["k"]}</td><td>{_e(_journey_names(c, titles, lang))}</td>'
            f'<td class="num">{_n(c["difficulty"])}</td><td class="num">{_pct(c["pass_rate"])}</td>'
            f'<td class="num">{_n(c["discrimination"])}</td>'
            f'<td class="num">{duration_text(c["mean_handle_s"])}</td><td>{_e(ng)}</td></tr>'
        )
    contacts_table = (
        "<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    if stats["critical_errors"]:
        crit = "<table><thead><tr>" + "".join(
            f"<th>{_t(h, lang)}</th>" for h in ("kind", "count", "attempts_hit", "fails")
        ) + "</tr></thead><tbody>" + "".join(
            f"<tr><td>{_e(_critical_name(r, lang))}</td><td class=\"num\">{r['count']}</td>"
            f"<td class=\"num\">{r['attempts']}</td><td>"
            f"{_t('fails_exam' if r['fails'] == 'exam' else 'fails_contact', lang)}</td></tr>"
            for r in stats["critical_errors"]
        ) + "</tbody></table>"  # fmt: skip
    else:
        crit = f"<p>{_t('no_critical', lang)}</p>"
    form_rows = "".join(
        f'<tr><td>{_e(f["form"])}</td><td class="num">{f["attempts"]}</td>'
        f'<td class="num">{_pct(f["pass_rate"])}</td><td class="num">{_n(f["scores"]["mean"], 1)}</td>'
        f'<td class="num">{_n(f["scores"]["sd"], 1)}</td><td>{_e(_reliability_words(f["reliability"], lang))}</td></tr>'
        for f in stats["forms"]
    )
    forms = (
        f"<table><thead><tr><th>{_t('form', lang)}</th><th>{_t('attempts', lang)}</th>"
        f"<th>{_t('pass_rate', lang)}</th><th>{_t('mean_score', lang)}</th><th>{_t('sd', lang)}</th>"
        f"<th>{_t('reliability', lang)}</th></tr></thead><tbody>{form_rows}</tbody></table>"
    )
    seed = rel.get("seed", BOOTSTRAP_SEED)
    body = (
        f'<header><h1>{_e(title)}</h1><div class="sub">{_t("doc", lang)} · '
        f"{_e(stats['exam'].get('id'))} v{_e(stats['exam'].get('version'))}</div></header><main>"
        f'{mixed}<section><div class="tiles">{tiles_html}</div></section>'
        f"<section><h2>{_t('distribution', lang)}</h2>{histogram_svg(stats, lang)}{dist}</section>"
        f"<section><h2>{_t('contacts', lang)}</h2>{chart}{contacts_table}</section>"
        f"<section><h2>{_t('critical', lang)}</h2>{crit}</section>"
        f"<section><h2>{_t('forms', lang)}</h2>{forms}</section>"
        f'<section><h2>{_t("definitions", lang)}</h2><p class="small">'
        f"{_e(_t('def_text', lang).format(b=BOOTSTRAP, s=seed))}</p>"
        f'<p class="small">{_e(", ".join(stats["exam"].get("hashes") or ()))}</p></section></main>'
    )
    html_page = page(f"{_t('doc', lang)} · {_e(title)}", body, lang)
    return html_page.replace("</style>", ADMIN_CSS + "</style>", 1)
