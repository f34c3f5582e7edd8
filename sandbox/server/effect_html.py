"""The effect report as one self-contained HTML file: the figures table with intervals, the
cohort table, trend lines per KPI and the rubric radar then vs now (matplotlib PNGs inlined;
the charts and fonts of sandbox/report.py, so Chinese renders on any machine)."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

from sandbox.server.effect import TOO_LITTLE, TREND_KEYS, metrics

WORDS: dict[str, dict[str, str]] = {
    "trainee": {"zh-CN": "学员培训效果报告", "en": "Trainee effect report"},
    "cohort": {"zh-CN": "学员群体培训效果报告", "en": "Cohort effect report"},
    "figures": {
        "zh-CN": "基线与现在（95% 自助法区间）",
        "en": "Baseline vs now (95% bootstrap interval)",
    },
    "figure": {"zh-CN": "指标", "en": "Figure"},
    "baseline": {"zh-CN": "基线", "en": "Baseline"},
    "now": {"zh-CN": "现在", "en": "Now"},
    "change": {"zh-CN": "变化", "en": "Change"},
    "interval": {"zh-CN": "95% 区间", "en": "95% interval"},
    "verdict": {"zh-CN": "结论", "en": "Verdict"},
    "contacts": {"zh-CN": "通数", "en": "contacts"},
    "trend": {"zh-CN": "趋势", "en": "Trends"},
    "radar": {"zh-CN": "评分表：基线与现在", "en": "Rubric: baseline vs now"},
    "people": {"zh-CN": "每位学员", "en": "Trainees"},
    "all": {"zh-CN": "全部学员", "en": "all trainees"},
    "improved": {"zh-CN": "提升", "en": "improved"},
    "regressed": {"zh-CN": "退步", "en": "regressed"},
    "no clear change": {"zh-CN": "无明确变化", "en": "no clear change"},
    "too little data": {"zh-CN": "数据不足", "en": "too little data"},
    "matrix": {"zh-CN": "效果矩阵：四项度量", "en": "Effect matrix: the four measures"},
    "measure": {"zh-CN": "度量", "en": "Measure"},
    "value": {"zh-CN": "数据", "en": "What the data says"},
    "supports": {"zh-CN": "可以说明", "en": "Can support"},
    "cannot": {"zh-CN": "不能说明", "en": "Cannot support"},
    "measured": {"zh-CN": "已测得", "en": "measured"},
    "paired": {"zh-CN": "配对", "en": "paired"},
    "independent": {"zh-CN": "独立", "en": "independent"},
    "mixed": {"zh-CN": "混合", "en": "mixed"},
    "sampling": {"zh-CN": "区间抽样", "en": "Intervals"},
    "equivalent": {
        "zh-CN": "经机器人验证为等值、合并比较的卷面",
        "en": "Forms shown equivalent by the bots, compared as one",
    },
    "retention_chart_week": {"zh-CN": "每周重复失误率", "en": "Repeated-mistake rate per week"},
    "retention_chart_day": {"zh-CN": "每日重复失误率", "en": "Repeated-mistake rate per day"},
    "transfer_chart": {
        "zh-CN": "首次练习到通过考试（天）",
        "en": "First practice to passed exam (days)",
    },
    "method": {
        "zh-CN": "只比较同一卷面（相同场景、种子、旅程与模型）或经机器人验证为等值的卷面上的工作；"
        "区间不含 0 才判定为提升或退步。",
        "en": "Only work on the same forms (same scenario, seed, journeys and models) or on forms "
        "shown equivalent by the bots is compared; a change is called improved or regressed "
        "only when its interval excludes 0.",
    },
}

CSS = """
body{font-family:"shapan-cjk","Noto Sans SC","PingFang SC","Microsoft YaHei","Segoe UI",sans-serif;
margin:0;background:#f5f7fa;color:#1f2933}
header{background:#1f3a5f;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:22px}
main{padding:18px 28px}section{background:#fff;border-radius:8px;padding:14px 18px;margin:0 0 16px;
box-shadow:0 1px 2px rgba(0,0,0,.08)}h2{font-size:17px;margin:2px 0 10px;color:#1f3a5f}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:5px 8px;
border-bottom:1px solid #e4e7eb;text-align:left}th{background:#f0f4f8}
td.num{text-align:right;font-variant-numeric:tabular-nums}.improved{color:#2f8132;font-weight:600}
.regressed{color:#d64545;font-weight:600}.small{font-size:12px;color:#616e7c}
.charts{display:flex;flex-wrap:wrap;gap:12px}img{max-width:100%}
.improved,.regressed,.no,.too,.measured{white-space:nowrap}
"""


def _w(key: str, lang: str) -> str:
    return WORDS[key][lang]


def _num(v: Any) -> str:
    return "–" if v is None else f"{float(v):.2f}"


def _figures_table(figures: Sequence[Mapping[str, Any]], lang: str) -> str:
    head = "".join(f"<th>{_w(k, lang)}</th>" for k in ("figure", "baseline", "now", "change",
                                                        "interval", "verdict"))  # fmt: skip
    rows = []
    for f in figures:
        ci = "–" if f["low"] is None else f"[{f['low']:.2f}, {f['high']:.2f}]"
        verdict = f["verdict"]
        rows.append(
            f"<tr><td>{html.escape(f[lang] if lang in f else f['en'])}</td>"
            f"<td class=num>{_num(f['baseline'])} <span class=small>({f['n_baseline']})</span></td>"
            f"<td class=num>{_num(f['now'])} <span class=small>({f['n_now']})</span></td>"
            f"<td class=num>{_num(f['delta'])}</td><td class=num>{ci}</td>"
            f'<td class="{verdict.split()[0]}">{_w(verdict, lang)}</td></tr>'
        )
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _people_table(rows: Sequence[Mapping[str, Any]], lang: str) -> str:
    head = "".join(f"<th>{_w(k, lang)}</th>" for k in ("baseline", "now", "change", "interval",
                                                        "verdict"))  # fmt: skip
    out = []
    for r in rows:
        ci = "–" if r["low"] is None else f"[{r['low']:.2f}, {r['high']:.2f}]"
        out.append(
            f"<tr><td>{html.escape(r['trainee'])}</td>"
            f"<td class=num>{_num(r['baseline'])} <span class=small>({r['n_baseline']})</span></td>"
            f"<td class=num>{_num(r['now'])} <span class=small>({r['n_now']})</span></td>"
            f"<td class=num>{_num(r['delta'])}</td><td class=num>{ci}</td>"
            f'<td class="{r["verdict"].split()[0]}">{_w(r["verdict"], lang)}</td></tr>'
        )
    return f"<table><tr><th>ID</th>{head}</tr>{''.join(out)}</table>"


def _names(lang: str) -> dict[str, str]:
    return {m.key: (m.zh if lang == "zh-CN" else m.en) for m in metrics()}


def _trend_png(points: Sequence[Mapping[str, Any]], lang: str) -> str:
    from sandbox.report import _png

    names = _names(lang)

    def draw(fig: Any) -> None:
        for i, key in enumerate(TREND_KEYS):
            ax = fig.add_subplot(2, 3, i + 1)
            xs = [j for j, p in enumerate(points) if p["means"].get(key) is not None]
            ys = [points[j]["means"][key] for j in xs]
            ax.plot(xs, ys, marker="o", color="#1f6feb", linewidth=1.4, markersize=3)
            ax.set_title(names[key], fontsize=9)
            ax.set_xticks(range(len(points)))
            ax.set_xticklabels([str(p["date"])[5:10] for p in points], fontsize=7, rotation=30)

    return _png(draw, (9.6, 5.0))


def _radar_png(figures: Sequence[Mapping[str, Any]], lang: str) -> str | None:
    from sandbox.report import _png

    # the dimensions with enough contacts on both sides (the table says which have too few)
    dims = [f for f in figures if f["key"].startswith("rubric.")
            and f["baseline"] is not None and f["now"] is not None
            and f["verdict"] != TOO_LITTLE]  # fmt: skip
    if len(dims) < 3:
        return None
    names = _names(lang)
    base_w, now_w = _w("baseline", lang), _w("now", lang)

    def draw(fig: Any) -> None:
        ax = fig.add_subplot(111, projection="polar")
        angles = [2 * math.pi * i / len(dims) for i in range(len(dims))]
        for label, side, color in ((base_w, "baseline", "#9aa5b1"), (now_w, "now", "#1f6feb")):
            vals = [float(f[side]) for f in dims]
            ax.plot([*angles, angles[0]], [*vals, vals[0]], color=color, label=label)
            ax.fill([*angles, angles[0]], [*vals, vals[0]], color=color, alpha=0.15)
        ax.set_xticks(angles)
        ax.set_xticklabels([names[f["key"]].split("：")[-1].split(": ")[-1] for f in dims],
                           fontsize=8)  # fmt: skip
        ax.set_ylim(0, 100)
        ax.legend(loc="upper right", bbox_to_anchor=(1.25, 1.1), fontsize=8)

    return _png(draw, (5.6, 4.6))


def _matrix_value(m: Mapping[str, Any], lang: str) -> str:
    zh = lang == "zh-CN"
    if m["measure"] == "retention":
        ci = "" if m["low"] is None else f" [{m['low']:.3f}, {m['high']:.3f}]"
        return (f"{_num(m['early'])} → {_num(m['late'])} "
                f"<span class=small>({m['n_early']} / {m['n_late']} "
                f"{_w('contacts', lang)})</span>; {_w('change', lang)} {_num(m['delta'])}{ci}")  # fmt: skip
    if m["measure"] == "transfer" and m["median_days"] is None:
        return (f"{m['trainees']} 人有练习记录，尚无人通过考试" if zh else
                f"{m['trainees']} trainee(s) with practice; none has passed an exam yet")  # fmt: skip
    if m["measure"] == "transfer":
        if zh:
            return (f"{m['trainees']} 人中 {m['passed']} 人已通过；中位数 {_num(m['median_days'])} 天"
                    f"（{_num(m['min_days'])}–{_num(m['max_days'])}）；{m['not_yet']} 人尚未通过")  # fmt: skip
        return (f"{m['passed']} of {m['trainees']} passed; median {_num(m['median_days'])} days "
                f"({_num(m['min_days'])}–{_num(m['max_days'])}); {m['not_yet']} not yet")  # fmt: skip
    if m["measure"] == "csat":
        ci = "" if m["low"] is None else f" [{m['low']:.2f}, {m['high']:.2f}]"
        return (f"{_num(m['baseline'])} → {_num(m['now'])} <span class=small>({m['n_baseline']} / "
                f"{m['n_now']} {_w('contacts', lang)}, {_w(m['sampling'], lang)})</span>; "
                f"{_w('change', lang)} {_num(m['delta'])}{ci}")  # fmt: skip
    ci = "" if m["low"] is None else f" [{m['low']:.2f}, {m['high']:.2f}]"
    pay = m["payback_months"]
    if zh:
        tail = (
            f"；回收期 {pay:.1f} 个月"
            if pay is not None
            else "；未给出培训成本或无节省，不计算回收期"
        )
        return (f"每通节省 {_num(m['saving_per_contact'])} {m['currency']}{ci}；每人每月 "
                f"{_num(m['per_trainee_month'])}{tail}")  # fmt: skip
    tail = (f"; payback {pay:.1f} months" if pay is not None
            else "; no payback time (no training cost given, or no saving)")  # fmt: skip
    return (f"saving {_num(m['saving_per_contact'])} {m['currency']} per contact{ci}; "
            f"{_num(m['per_trainee_month'])} per trainee-month{tail}")  # fmt: skip


def _matrix_table(matrix: Sequence[Mapping[str, Any]], lang: str) -> str:
    head = "".join(f"<th>{_w(k, lang)}</th>" for k in ("measure", "value", "verdict", "supports",
                                                        "cannot"))  # fmt: skip
    rows = []
    for m in matrix:
        verdict = m["verdict"]
        rows.append(
            f"<tr><td><b>{html.escape(m['title'][lang])}</b><br><span class=small>"
            f"{html.escape(m['definition'][lang])}</span></td><td>{_matrix_value(m, lang)}</td>"
            f'<td class="{verdict.split()[0]}">{_w(verdict, lang)}</td>'
            f"<td class=small>{html.escape(m['supports'][lang])}</td>"
            f"<td class=small>{html.escape(m['cannot'][lang])}</td></tr>"
        )
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _matrix_png(matrix: Sequence[Mapping[str, Any]], lang: str, chart_lang: str) -> str | None:
    from sandbox.report import _png

    retention = next((m for m in matrix if m["measure"] == "retention"), None)
    transfer = next((m for m in matrix if m["measure"] == "transfer"), None)
    series = (retention or {}).get("series") or []
    rows = [r for r in (transfer or {}).get("rows") or () if r["days"] is not None]
    if not series and not rows:
        return None
    per = (retention or {}).get("series_by", "week")
    titles = (_w(f"retention_chart_{per}", chart_lang), _w("transfer_chart", chart_lang))

    def draw(fig: Any) -> None:
        ax = fig.add_subplot(1, 2, 1)
        ax.plot(range(len(series)), [p["rate"] for p in series], marker="o", color="#d64545")
        ax.set_xticks(range(len(series)))
        ax.set_xticklabels([p["period"] for p in series], fontsize=7, rotation=30)
        ax.set_ylim(0, 1)
        ax.set_title(titles[0], fontsize=9)
        ax = fig.add_subplot(1, 2, 2)
        ax.barh(range(len(rows)), [r["days"] for r in rows], color="#1f6feb")
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([r["trainee"] for r in rows], fontsize=7)
        ax.set_title(titles[1], fontsize=9)

    return _png(draw, (9.6, 3.4))


def render_html(doc: Mapping[str, Any], lang: str = "en") -> str:
    """The report document (`effect.trainee_report` / `effect.cohort_report`) as HTML."""
    from sandbox.report import chart_lang, embedded_font_css

    cl = chart_lang(lang)
    cohort = "trainees" in doc
    if cohort:
        title = _w("cohort", lang)
        who = doc["group"] or _w("all", lang)
    else:
        title = _w("trainee", lang)
        t = doc["trainee"]
        who = t["id"] + (f" ({t['name']})" if t["name"] else "")
    parts = [f"<header><h1>{title}</h1><div>{html.escape(str(who))}</div></header><main>"]
    if cohort:
        parts.append(f"<section><h2>{_w('people', lang)}</h2>"
                     f"{_people_table(doc['trainees'], lang)}</section>")  # fmt: skip
    sampling = doc.get("sampling") or {}
    extra = (f"<p class=small>{_w('sampling', lang)}: "
             f"{html.escape(sampling.get(lang) or sampling.get('en') or '')}</p>")  # fmt: skip
    if doc.get("equivalent_forms"):
        extra += (
            f"<p class=small>{_w('equivalent', lang)}: "
            + "; ".join(html.escape(" = ".join(g)) for g in doc["equivalent_forms"])
            + "</p>"
        )
    parts.append(f"<section><h2>{_w('figures', lang)}</h2>{_figures_table(doc['figures'], lang)}"
                 f"<p class=small>{_w('method', lang)}</p>{extra}</section>")  # fmt: skip
    if doc.get("matrix"):
        chart = _matrix_png(doc["matrix"], lang, cl)
        img = f'<figure><img alt="matrix" src="{chart}"></figure>' if chart else ""
        parts.append(f"<section><h2>{_w('matrix', lang)}</h2>"
                     f"{_matrix_table(doc['matrix'], lang)}{img}</section>")  # fmt: skip
    charts = []
    if doc.get("trend"):
        charts.append(f'<figure><img alt="trend" src="{_trend_png(doc["trend"], cl)}"></figure>')
    radar = _radar_png(doc["figures"], cl)
    if radar:
        charts.append(f'<figure><img alt="radar" src="{radar}"></figure>')
    if charts:
        parts.append(f"<section><h2>{_w('trend', lang)} · {_w('radar', lang)}</h2>"
                     f"<div class=charts>{''.join(charts)}</div></section>")  # fmt: skip
    parts.append("</main>")
    body = "".join(parts)
    font = embedded_font_css(body)
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{title}</title><style>{font}{CSS}</style></head><body>{body}</body></html>")  # fmt: skip
