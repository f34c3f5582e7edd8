"""The self-contained HTML report of a results document (zh-CN or en).

Why self-contained: trainers mail it, archive it with an exam, open it offline. One file with
inline CSS and the charts embedded as base64 PNG (matplotlib, Agg backend, imported lazily).
Chinese chart labels need a font with CJK glyphs: we use pygame_gui's bundled Noto Sans SC or a
system CJK font when one exists; without one the charts fall back to English labels so nothing
ever renders as tofu boxes (the HTML text itself is rendered by the browser and stays in the
chosen language).
"""

from __future__ import annotations

import base64
import functools
import html
import importlib.util
import io
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from journeys.vocabulary import OUTCOMES, RISK_TYPES, RUBRIC, SPEAKER_LABELS
from sandbox import kpi_catalogue as kc
from sandbox.kpi_catalogue import KPI_KEYS

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

LANGS = ("zh-CN", "en")

TEXT: dict[str, dict[str, str]] = {
    "title": {"zh-CN": "沙盘训练结果报告", "en": "shapan session report"},
    "scenario": {"zh-CN": "场景", "en": "Scenario"},
    "seed": {"zh-CN": "随机种子", "en": "Seed"},
    "trainee": {"zh-CN": "学员", "en": "Trainee"},
    "mode": {"zh-CN": "模式", "en": "Mode"},
    "mode_practice": {"zh-CN": "练习", "en": "practice"},
    "mode_timed": {"zh-CN": "计时", "en": "timed"},
    "weak_spots": {"zh-CN": "薄弱点与学习包", "en": "Weak spots and learning packs"},
    "weak_times": {
        "zh-CN": "{count} 次，{contacts} 通",
        "en": "{count} times in {contacts} contacts",
    },
    "duration": {"zh-CN": "时长", "en": "Duration"},
    "model": {"zh-CN": "模型版本", "en": "Model version"},
    "threshold": {"zh-CN": "服务水平阈值", "en": "Service-level threshold"},
    "kpis": {"zh-CN": "关键指标", "en": "Key performance indicators"},
    "target": {"zh-CN": "目标", "en": "target"},
    "met": {"zh-CN": "达标", "en": "met"},
    "missed": {"zh-CN": "未达标", "en": "missed"},
    "no_target": {"zh-CN": "无目标", "en": "no target"},
    "charts": {"zh-CN": "图表", "en": "Charts"},
    "radar": {"zh-CN": "能力雷达", "en": "Rubric radar"},
    "csat_dist": {"zh-CN": "预测满意度分布", "en": "Predicted CSAT distribution"},
    "intervals": {"zh-CN": "分时段话务与服务水平", "en": "Volume and service level by interval"},
    "gantt": {"zh-CN": "联络时间线（抽样）", "en": "Contact timeline (sample)"},
    "wait_hist": {"zh-CN": "排队时长分布", "en": "Wait-time distribution"},
    "funnel": {"zh-CN": "交叉销售漏斗", "en": "Cross-sell funnel"},
    "outcomes": {"zh-CN": "结果构成", "en": "Outcome mix"},
    "risk_by_type": {"zh-CN": "各类风险点", "en": "Risk points by type"},
    "risks": {"zh-CN": "风险清单", "en": "Risk list"},
    "churn": {"zh-CN": "流失风险", "en": "Churn risk"},
    "churn_mean": {"zh-CN": "平均流失概率", "en": "Mean churn probability"},
    "churn_high": {"zh-CN": "高风险客户数", "en": "High-risk customers"},
    "agents": {"zh-CN": "坐席明细", "en": "Per-agent breakdown"},
    "channels": {"zh-CN": "渠道明细", "en": "Per-channel breakdown"},
    "by_journey": {"zh-CN": "旅程明细", "en": "Per-journey breakdown"},
    "journey": {"zh-CN": "旅程", "en": "Journey"},
    "contacts": {"zh-CN": "人工坐席联络详情", "en": "Human-seat contacts"},
    "transcript": {"zh-CN": "对话记录", "en": "Transcript"},
    "decisions": {"zh-CN": "决策与反馈", "en": "Decisions and feedback"},
    "explanation": {"zh-CN": "满意度预测依据", "en": "Why this predicted CSAT"},
    "knowledge": {"zh-CN": "知识链接", "en": "Knowledge"},
    "csat_after": {"zh-CN": "决策后预测满意度", "en": "predicted CSAT after"},
    "none": {"zh-CN": "无", "en": "none"},
    "persona": {"zh-CN": "客户画像", "en": "Customer"},
    "no_data": {"zh-CN": "暂无数据", "en": "no data"},
    "no_humans": {
        "zh-CN": "本次没有人工坐席联络。",
        "en": "No contacts were handled by a human seat in this session.",
    },
    "no_risks": {
        "zh-CN": "人工坐席联络中没有风险点。",
        "en": "No risk points in human-seat contacts.",
    },
    "agent": {"zh-CN": "坐席", "en": "Agent"},
    "channel": {"zh-CN": "渠道", "en": "Channel"},
    "human": {"zh-CN": "人工", "en": "human"},
    "bot": {"zh-CN": "机器人", "en": "bot"},
    "contact": {"zh-CN": "联络", "en": "Contact"},
    "outcome": {"zh-CN": "结果", "en": "Outcome"},
    "time": {"zh-CN": "时间", "en": "Time"},
    "type": {"zh-CN": "类型", "en": "Type"},
    "choice": {"zh-CN": "选项", "en": "Choice"},
    "wait": {"zh-CN": "等待", "en": "Wait"},
    "handle": {"zh-CN": "处理", "en": "Handle"},
    "finished": {"zh-CN": "完成量", "en": "Finished"},
    "offered": {"zh-CN": "推荐", "en": "Offered"},
    "accepted": {"zh-CN": "接受", "en": "Accepted"},
    "provenance": {"zh-CN": "可复现信息", "en": "Provenance (for replay)"},
    "journey_hashes": {"zh-CN": "旅程内容哈希", "en": "Journey content hashes"},
    "decision_log": {"zh-CN": "决策日志条数", "en": "Decision log entries"},
    "definitions": {"zh-CN": "指标口径", "en": "KPI definitions"},
    "def_sl": {
        "zh-CN": "服务水平 = 阈值内接通 ÷（接通 + 阈值后放弃）；放弃率 = 放弃 ÷（接通 + 放弃）；"
        "占用率 = 忙碌座席时段 ÷ 在岗座席时段（在线客服按并发席位折算）；交叉销售率 = 接受 ÷ 推荐。",
        "en": "Service level = answered within threshold / (answered + abandoned after "
        "threshold); abandonment rate = abandoned / (answered + abandoned); occupancy = busy "
        "slots / staffed slots (a chat fills one of the agent's chat slots); cross-sell rate = "
        "accepted / offered.",
    },
}

CSS = """
body{font-family:"shapan-cjk","Noto Sans SC","PingFang SC","Microsoft YaHei","Segoe UI",sans-serif;
margin:0;background:#f4f6f9;color:#1d2733}
header{background:#1f3a5f;color:#fff;padding:18px 28px}
header h1{margin:0 0 6px;font-size:24px}
header .meta span{margin-right:18px;opacity:.9;font-size:14px}
main{padding:18px 28px;max-width:1280px}
section{background:#fff;border-radius:8px;padding:14px 18px;margin:0 0 16px;
box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{font-size:18px;margin:4px 0 12px;color:#1f3a5f}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px}
.tile{border:1px solid #dde3ea;border-radius:6px;padding:10px;border-left:5px solid #9aa5b1}
.tile.met{border-left-color:#2e9d5b}.tile.missed{border-left-color:#d64545}
.tile .label{font-size:13px;color:#52606d}.tile .value{font-size:24px;font-weight:600}
.tile .target{font-size:12px;color:#52606d}
.delta.good{color:#2e9d5b}.delta.bad{color:#d64545}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:12px}
figure{margin:0}figure img{width:100%;height:auto}
figcaption{font-size:13px;color:#52606d;text-align:center}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e4e7eb;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f0f4f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
details{border:1px solid #dde3ea;border-radius:6px;margin:8px 0;padding:6px 10px}
summary{cursor:pointer;font-weight:600}
.line{margin:3px 0}.line .who{font-weight:600;margin-right:6px}
.customer .who{color:#b44d12}.agent .who{color:#1f5f9f}.system .who{color:#616e7c}
.decision{border-left:3px solid #1f5f9f;padding:4px 10px;margin:6px 0;background:#f7f9fc}
.feedback{color:#334e68}.kb{font-size:12px;color:#52606d}
.risk{color:#d64545;font-weight:600}.small{font-size:12px;color:#616e7c}
code{font-size:12px}
"""


# -- formatting --------------------------------------------------------------------------------
def _t(key: str, lang: str) -> str:
    return TEXT[key][lang]


def _i18n(value: Any, lang: str) -> str:
    """Text in `lang` from an i18n mapping (falls back to the other language) or a string."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        for key in (lang, *LANGS):
            if value.get(key):
                return str(value[key])
        return ""
    return str(value)


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _clock(seconds: Any) -> str:
    if seconds is None:
        return ""
    s = round(float(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _num(value: Any, digits: int = 1, pct: bool = False) -> str:
    if value is None:
        return "—"
    if pct:
        return f"{100 * float(value):.{digits}f}%"
    return f"{float(value):,.{digits}f}"


# -- fonts and charts --------------------------------------------------------------------------
@functools.cache
def cjk_font() -> str | None:
    """Path of a font with CJK glyphs: pygame_gui's Noto Sans SC, else a system CJK font."""
    spec = importlib.util.find_spec("pygame_gui")  # locates the package without importing it
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            path = Path(folder) / "data" / "NotoSansSC-Regular.otf"
            if path.is_file():
                return str(path)
    from matplotlib import font_manager

    wanted = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
              "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC")  # fmt: skip
    for entry in font_manager.fontManager.ttflist:
        if entry.name in wanted:
            return str(entry.fname)
    return None


@functools.cache
def _font_family() -> str | None:
    path = cjk_font()
    if path is None:
        return None
    from matplotlib import font_manager

    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def embedded_font_css(text: str) -> str:
    """An @font-face holding just the glyphs `text` uses, so the report reads on any machine.

    A viewer without a CJK font would otherwise see boxes; the subset (about 150 KB for a full
    report) keeps the file self-contained. Without a CJK font to subset, the CSS font stack
    falls back to the viewer's fonts.
    """
    path = cjk_font()
    if path is None or all(ord(ch) < 0x2E80 for ch in text):
        return ""
    import base64
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff"
    font = TTFont(path, lazy=True, recalcTimestamp=False)  # same text, same bytes
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text))))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'@font-face{{font-family:"shapan-cjk";src:url(data:font/woff;base64,{data}) format("woff")}}'


def chart_lang(lang: str) -> str:
    """Charts speak `lang` when a CJK font exists; otherwise English (never tofu boxes)."""
    return lang if lang == "en" or _font_family() is not None else "en"


def _png(draw: Callable[[Any], None], size: tuple[float, float] = (5.2, 3.6)) -> str:
    """Render one figure with `draw(fig)` and return it as a base64 PNG data URI."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    family = _font_family()
    rc: dict[RcKeyType, Any] = {"font.size": 9, "axes.spines.top": False,
                                "axes.spines.right": False, "svg.hashsalt": "shapan",
                                "axes.unicode_minus": False}  # fmt: skip
    if family:
        rc["font.family"] = [family, "DejaVu Sans"]
    with plt.rc_context(rc):
        fig = plt.figure(figsize=size, dpi=110)
        try:
            draw(fig)
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png", metadata={"Software": None})
        finally:
            plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _radar(results: Mapping[str, Any], lang: str) -> str | None:
    rubric = results.get("rubric") or {}
    dims = [d for d in RUBRIC if rubric.get(d) is not None]
    if len(dims) < 3:
        return None
    import numpy as np

    values = [float(rubric[d]) for d in dims]
    angles = np.linspace(0, 2 * np.pi, len(dims), endpoint=False).tolist()

    def draw(fig: Any) -> None:
        ax = fig.add_subplot(projection="polar")
        ax.plot([*angles, angles[0]], [*values, values[0]], color="#1f5f9f", linewidth=2)
        ax.fill([*angles, angles[0]], [*values, values[0]], color="#1f5f9f", alpha=0.25)
        ax.set_xticks(angles)
        ax.set_xticklabels(
            [f"{RUBRIC[d][lang]}\n{v:.0f}" for d, v in zip(dims, values, strict=True)]
        )
        ax.set_ylim(0, 100)
        ax.set_yticks([20, 40, 60, 80, 100])
        ax.set_yticklabels(["20", "40", "60", "80", ""], fontsize=7, color="#7b8794")

    return _png(draw, (4.6, 4.0))


def _csat(results: Mapping[str, Any], lang: str) -> str | None:
    dist = results.get("csat_distribution") or {}
    shares = dist.get("shares") or []
    if not shares or any(s is None for s in shares):
        return None
    colors = ["#d64545", "#f0883e", "#e9c46a", "#7fb069", "#2e9d5b"]

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        bars = ax.bar([str(i) for i in range(1, 6)], [100 * s for s in shares], color=colors)
        ax.bar_label(bars, fmt="%.1f%%", fontsize=8)
        ax.set_xlabel("CSAT (1–5)")
        ax.set_ylabel("%" if lang == "en" else "占比 %")

    return _png(draw)


def _intervals(results: Mapping[str, Any], lang: str) -> str | None:
    block = results.get("intervals") or {}
    rows = block.get("rows") or []
    if not rows:
        return None
    x = [r["start_s"] / 3600 for r in rows]
    width = (block.get("interval_s") or 900) / 3600 * 0.8
    names = {
        "zh-CN": ("接通", "放弃", "服务水平 %", "时间（小时）", "联络数"),
        "en": ("handled", "abandoned", "service level %", "time (h)", "contacts"),
    }[lang]

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        handled = [r["handled"] for r in rows]
        ax.bar(x, handled, width=width, align="edge", color="#9fb3c8", label=names[0])
        ax.bar(x, [r["abandoned"] for r in rows], width=width, align="edge", bottom=handled,
               color="#d64545", label=names[1])  # fmt: skip
        ax.set_xlabel(names[3])
        ax.set_ylabel(names[4])
        ax2 = ax.twinx()
        sl = [None if r["service_level"] is None else 100 * r["service_level"] for r in rows]
        ax2.plot([v + width / 2 for v in x], [float("nan") if v is None else v for v in sl],
                 color="#1f3a5f", marker="o", markersize=3, label=names[2])  # fmt: skip
        ax2.set_ylim(0, 105)
        ax2.set_ylabel(names[2])
        ax2.spines["right"].set_visible(True)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="lower left", bbox_to_anchor=(0, 1),
                  ncol=3, frameon=False)  # fmt: skip

    return _png(draw, (6.0, 3.6))


def _gantt(results: Mapping[str, Any], lang: str) -> str | None:
    entries = [e for e in results.get("timeline") or [] if e.get("arrived_at") is not None]
    if not entries:
        return None
    good = {"resolved", "sale"}
    names = {"zh-CN": ("等待", "处理", "人工坐席", "时间（小时）"),
             "en": ("wait", "handle", "human seat", "time (h)")}[lang]  # fmt: skip

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        for y, e in enumerate(entries):
            a = e["arrived_at"] / 3600
            ans = (e.get("answered_at") or e["arrived_at"]) / 3600
            end = (e.get("ended_at") or e.get("answered_at") or e["arrived_at"]) / 3600
            ax.plot([a, ans], [y, y], color="#cbd2d9", linewidth=1.2)
            color = "#2e9d5b" if e.get("outcome") in good else "#f0883e"
            if e.get("human"):
                color = "#1f5f9f"
            ax.plot([ans, end], [y, y], color=color, linewidth=2.4 if e.get("human") else 1.4)
        ax.set_yticks([])
        ax.set_xlabel(names[3])
        from matplotlib.lines import Line2D

        ax.legend(
            [Line2D([], [], color=c, linewidth=2) for c in ("#cbd2d9", "#2e9d5b", "#1f5f9f")],
            [names[0], names[1], names[2]],
            fontsize=7,
            loc="lower left",
            bbox_to_anchor=(0, 1),
            ncol=3,
            frameon=False,
        )

    return _png(draw, (6.0, 3.6))


def _wait_hist(results: Mapping[str, Any], lang: str) -> str | None:
    hist = results.get("wait_histogram") or {}
    counts = hist.get("counts") or []
    if not sum(counts):
        return None
    bin_s = float(hist.get("bin_s") or 5)
    last = max(i for i, c in enumerate(counts) if c)
    shown = counts[: last + 1]
    threshold = float(results.get("threshold_s") or 20)

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        ax.bar([i * bin_s for i in range(len(shown))], shown, width=bin_s * 0.9, align="edge",
               color="#9fb3c8")  # fmt: skip
        ax.axvline(threshold, color="#d64545", linestyle="--", linewidth=1)
        ax.set_xlabel("wait (s)" if lang == "en" else "排队时长（秒）")
        ax.set_ylabel("contacts" if lang == "en" else "接通数")

    return _png(draw)


def _funnel(results: Mapping[str, Any], lang: str) -> str | None:
    f = results.get("cross_sell_funnel") or {}
    if not f.get("contacts"):
        return None
    labels = {"zh-CN": ("完成联络", "推荐", "接受"), "en": ("contacts", "offered", "accepted")}[
        lang
    ]
    values = [f.get("contacts", 0), f.get("offered", 0), f.get("accepted", 0)]

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        bars = ax.barh(labels[::-1], values[::-1], color=["#2e9d5b", "#7fb069", "#9fb3c8"])
        ax.bar_label(bars, labels=[f"{v:,}" for v in values[::-1]], fontsize=8, padding=2)
        ax.set_xlim(0, max(values) * 1.15 or 1)

    return _png(draw, (5.2, 2.6))


def _outcomes(results: Mapping[str, Any], lang: str) -> str | None:
    mix = {k: v for k, v in (results.get("outcomes") or {}).items() if v}
    if not mix:
        return None
    names = [OUTCOMES.get(k, {}).get(lang) or ("放弃" if lang != "en" and k == "abandoned" else k)
             for k in mix]  # fmt: skip

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        bars = ax.barh(names, list(mix.values()), color="#9fb3c8")
        ax.bar_label(bars, fontsize=8, padding=2)
        ax.invert_yaxis()

    return _png(draw, (5.2, 3.0))


def _risk_types(results: Mapping[str, Any], lang: str) -> str | None:
    points = results.get("risk_points_by_type") or {}
    if not any(points.values()):
        return None

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        keys = [k for k in RISK_TYPES if k in points]
        bars = ax.barh([RISK_TYPES[k][lang] for k in keys], [points[k] for k in keys],
                       color="#d64545")  # fmt: skip
        ax.bar_label(bars, fontsize=8, padding=2)
        ax.invert_yaxis()
        ax.set_xlabel("risk points" if lang == "en" else "风险点")

    return _png(draw, (5.2, 2.8))


CHARTS: tuple[tuple[str, Callable[[Mapping[str, Any], str], str | None]], ...] = (
    ("radar", _radar),
    ("csat_dist", _csat),
    ("intervals", _intervals),
    ("gantt", _gantt),
    ("wait_hist", _wait_hist),
    ("funnel", _funnel),
    ("outcomes", _outcomes),
    ("risk_by_type", _risk_types),
)


# -- HTML sections -----------------------------------------------------------------------------
def _tiles(results: Mapping[str, Any], lang: str) -> str:
    kpis = results.get("kpis") or {}
    vs = results.get("kpi_vs_target") or {}
    out = []
    for key in KPI_KEYS:
        value = kpis.get(key)
        cls, target_html = "tile", f'<div class="target">{_t("no_target", lang)}</div>'
        if key in vs:
            row = vs[key]
            met = row.get("met")
            cls += " met" if met else (" missed" if met is False else "")
            delta = ""
            if row.get("delta") is not None:
                good = "good" if met else "bad"
                delta = (
                    f' <span class="delta {good}">'
                    f"{_e(kc.format_delta(key, row['delta'], lang))}</span>"
                )
            verdict = _t("met", lang) if met else (_t("missed", lang) if met is False else "")
            target_html = (
                f'<div class="target">{_t("target", lang)} {_e(kc.format_target(key, row["target"], lang))}'
                f"{delta} {verdict}</div>"
            )
        out.append(
            f'<div class="{cls}" data-kpi="{key}"><div class="label">'
            f'{_e(kc.label(key, lang))}</div><div class="value">{_e(kc.format_value(key, value, lang))}'
            f"</div>{target_html}</div>"
        )
    return f'<div class="tiles">{"".join(out)}</div>'


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], numeric: set[int]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{_e(v)}</td>' if i in numeric else f"<td>{_e(v)}</td>"
            for i, v in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _agents(results: Mapping[str, Any], lang: str) -> str:
    agents = results.get("agents") or []
    if not agents:
        return f"<p>{_t('no_data', lang)}</p>"
    headers = [_t("agent", lang), "", kc.label("handled", lang), kc.label("aht_s", lang),
               kc.label("fcr", lang), kc.label("csat_mean", lang),
               kc.label("occupancy", lang), kc.label("cross_sell_rate", lang),
               kc.label("risk_points", lang)]  # fmt: skip
    keys = ("aht_s", "fcr", "csat_mean", "occupancy", "cross_sell_rate", "risk_points")
    rows = [
        [a.get("agent_id"), _t("human", lang) if a.get("human") else _t("bot", lang),
         kc.format_value("handled", a.get("finished", 0), lang),
         *[kc.format_value(k, a.get(k, 0 if k == "risk_points" else None), lang) for k in keys]]
        for a in agents
    ]  # fmt: skip
    return _table(headers, rows, {2, 3, 4, 5, 6, 7, 8})


def _channels(results: Mapping[str, Any], lang: str) -> str:
    channels = results.get("channels") or {}
    if not channels:
        return f"<p>{_t('no_data', lang)}</p>"
    keys = ("contacts", "handled", "abandonment_rate", "asa_s", "service_level", "aht_s",
            "csat_mean")  # fmt: skip
    headers = [_t("channel", lang), *[kc.label(k, lang) for k in keys]]
    rows = [
        [name, *[kc.format_value(k, c.get(k), lang) for k in keys]] for name, c in channels.items()
    ]
    return _table(headers, rows, set(range(1, len(keys) + 1)))


def _journeys(results: Mapping[str, Any], lang: str) -> str:
    """Which journeys the centre handled well or badly (designers and trainers ask this)."""
    journeys = results.get("by_journey") or {}
    if not journeys:
        return f"<p>{_t('no_data', lang)}</p>"
    # (catalogue KPI, field of the row): a journey's handled contacts are its finished ones
    cols = (("handled", "finished"), ("fcr", "fcr"), ("csat_mean", "csat_mean"),
            ("aht_s", "aht_s"), ("risk_points", "risk_points"),
            ("cross_sell_rate", "cross_sell_rate"))  # fmt: skip
    keys = [k for k, _ in cols]
    headers = [_t("journey", lang), *[kc.label(k, lang) for k in keys]]
    rows = [
        [_i18n(j.get("title"), lang) or jid,
         *[kc.format_value(k, j.get(field), lang) for k, field in cols]]
        for jid, j in journeys.items()
    ]  # fmt: skip
    return _table(headers, rows, set(range(1, len(keys) + 1)))


def _risks(results: Mapping[str, Any], lang: str) -> str:
    items = results.get("risk_list") or []
    if not items:
        return f"<p>{_t('no_risks', lang)}</p>"
    headers = [_t("time", lang), _t("contact", lang), _t("type", lang), _t("choice", lang)]
    rows = [
        [_clock(r.get("t")), r.get("contact_id"),
         RISK_TYPES.get(r.get("type") or "", {}).get(lang, r.get("type")),
         r.get("choice_id") or "—"]
        for r in items
    ]  # fmt: skip
    return _table(headers, rows, set())


def _weak_spots(results: Mapping[str, Any], lang: str) -> str:
    """A desk session's debrief: its top weak spots with their learning packs (issue 16)."""
    from sandbox.weak_spots import entry_title

    spots = (results.get("weak_spots") or {}).get("top") or []
    if not spots:
        return ""
    items = []
    for s in spots:
        pack = "".join(
            f"<li><b>{_e(_i18n(e.get('label'), lang))}</b> · {_e(entry_title(e, lang))}</li>"
            for e in s.get("pack") or ()
        )
        times = _t("weak_times", lang).format(count=s.get("count"), contacts=s.get("contacts"))
        items.append(f"<li><b>{_e(_i18n(s.get('label'), lang))}</b> "
                     f'<span class="small">{_e(times)}</span><ul>{pack}</ul></li>')  # fmt: skip
    return f"<section><h2>{_t('weak_spots', lang)}</h2><ol>{''.join(items)}</ol></section>"


def _contact(rec: Mapping[str, Any], lang: str) -> str:
    title = _i18n(rec.get("title") or rec.get("journey_title"), lang) or rec.get("journey_id")
    outcome = OUTCOMES.get(str(rec.get("outcome")), {}).get(lang, rec.get("outcome"))
    rubric = rec.get("rubric") or {}
    rubric_txt = " · ".join(
        f"{RUBRIC[d][lang]} {float(v):.0f}"
        for d, v in rubric.items()
        if d in RUBRIC and v is not None
    )
    head = (
        f"{_e(rec.get('contact_id'))} — {_e(title)} — {_e(outcome)} — "
        f"CSAT {_e(kc.format_value('csat_mean', rec.get('csat_mean'), lang))}"
    )
    parts = [f"<details><summary>{head}</summary>"]
    parts.append(
        f'<p class="small">{_t("wait", lang)} {_e(kc.format_value("asa_s", rec.get("wait_s"), lang))} · '
        f"{_t('handle', lang)} {_e(kc.format_value('aht_s', rec.get('handle_s'), lang))} · "
        f"{kc.label('churn_risk_mean', lang)} {kc.format_value('churn_risk_mean', rec.get('churn'), lang)} · "
        f"{kc.label('risk_points', lang)} {_e(kc.format_value('risk_points', rec.get('risk_points', 0), lang))}<br>{_e(rubric_txt)}</p>"
    )
    card = rec.get("persona_card")
    if isinstance(card, Mapping):
        card = card.get(lang) or next((card[k] for k in LANGS if card.get(k)), None)
    if card:
        # Persona.card: {field: phrase} per language (or already one phrase)
        card_text = " · ".join(map(str, card.values())) if isinstance(card, Mapping) else card
        if card_text:
            parts.append(f'<p class="small">{_t("persona", lang)}: {_e(card_text)}</p>')
    lines = rec.get("transcript") or []
    if lines:
        parts.append(f"<h3>{_t('transcript', lang)}</h3>")
        for line in lines:
            who = str(line.get("speaker", "system"))
            label = SPEAKER_LABELS.get(who, {}).get(lang, who)
            parts.append(
                f'<div class="line {_e(who)}"><span class="small">{_clock(line.get("t"))}</span> '
                f'<span class="who">{_e(label)}</span>{_e(_i18n(line.get("text"), lang))}</div>'
            )
    decisions = rec.get("decisions") or []
    if decisions:
        parts.append(f"<h3>{_t('decisions', lang)}</h3>")
        for d in decisions:
            risks = "".join(
                f' <span class="risk">⚠ {_e(RISK_TYPES.get(r if isinstance(r, str) else r.get("type"), {}).get(lang, r))}</span>'
                for r in d.get("risks") or ()
            )
            kb = ", ".join(  # by title: a knowledge id is no reading for a trainee
                _e(_i18n(k.get("title"), lang))
                for k in d.get("knowledge") or ()
                if isinstance(k, Mapping) and _i18n(k.get("title"), lang)
            )
            after = d.get("csat_after")
            parts.append(
                f'<div class="decision"><span class="small">{_clock(d.get("t"))}</span> '
                f"<b>{_e(_i18n(d.get('text'), lang) or d.get('choice_id'))}</b>"
                f"{risks}"
                f'<div class="feedback">{_e(_i18n(d.get("feedback"), lang))}</div>'
                + (f'<div class="kb">{_t("knowledge", lang)}: {kb}</div>' if kb else "")
                + (
                    f'<div class="small">{_t("csat_after", lang)}: {float(after):.2f}</div>'
                    if after is not None
                    else ""
                )
                + "</div>"
            )
    explanation = rec.get("explanation") or {}
    reasons = explanation.get(lang) if isinstance(explanation, Mapping) else explanation
    if reasons:
        items = "".join(
            f'<li>{_e(r.get("text"))} <span class="small">({float(r["effect"]):+.3f})</span></li>'
            if isinstance(r, Mapping) and r.get("effect") is not None
            else f"<li>{_e(r.get('text') if isinstance(r, Mapping) else r)}</li>"
            for r in reasons
        )
        parts.append(f"<h3>{_t('explanation', lang)}</h3><ul>{items}</ul>")
    parts.append("</details>")
    return "".join(parts)


def _identity(results: Mapping[str, Any], lang: str) -> str:
    """A desk session's trainee and mode (results `extra` fields), when it has them."""
    mode = results.get("mode")
    if mode not in ("practice", "timed"):
        return ""
    who = results.get("trainee") or "—"
    return (
        f'\n<span>{_t("trainee", lang)}: <b class="trainee">{_e(who)}</b></span>'
        f'\n<span>{_t("mode", lang)}: <b class="mode">{_t("mode_" + mode, lang)}</b></span>'
    )


def render_report(results: Mapping[str, Any], lang: str = "zh-CN") -> str:
    """The complete HTML document for a `shapan.results/1` document."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    clang = chart_lang(lang)
    scenario = results.get("scenario") or {}
    name = _i18n(scenario.get("title"), lang) or scenario.get("name", "")
    duration_h = float(results.get("duration_s") or 0) / 3600
    figures = []
    for key, build in CHARTS:
        uri = build(results, clang)
        caption = _t(key, lang)
        if uri is None:
            figures.append(
                f"<figure><figcaption>{_e(caption)} — {_t('no_data', lang)}</figcaption></figure>"
            )
        else:
            figures.append(
                f'<figure><img src="{uri}" alt="{_e(caption)}"><figcaption>{_e(caption)}'
                "</figcaption></figure>"
            )
    churn = results.get("churn") or {}
    contacts = results.get("contacts") or []
    journeys = results.get("journeys") or {}
    body = f"""<header><h1>{_t("title", lang)} · {_e(name)}</h1><div class="meta">
<span>{_t("scenario", lang)}: {_e(scenario.get("name"))}</span>
<span>{_t("seed", lang)}: {_e(results.get("seed"))}</span>{_identity(results, lang)}
<span>{_t("duration", lang)}: {duration_h:.2f} h</span>
<span>{_t("threshold", lang)}: {_e(results.get("threshold_s"))} s</span>
<span>{_t("model", lang)}: {_e(results.get("model_version"))}</span></div></header>
<main>
<section><h2>{_t("kpis", lang)}</h2>{_tiles(results, lang)}</section>
<section><h2>{_t("charts", lang)}</h2><div class="charts">{"".join(figures)}</div></section>
<section><h2>{_t("churn", lang)}</h2><p>{_t("churn_mean", lang)}:
<b>{kc.format_value("churn_risk_mean", churn.get("mean"), lang)}</b> · {_t("churn_high", lang)}
(≥ {_num(churn.get("high_risk_threshold"), 0, pct=True)}): <b>{_e(churn.get("high_risk", 0))}</b></p></section>
<section><h2>{_t("risks", lang)}</h2>{_risks(results, lang)}</section>
{_weak_spots(results, lang)}
<section><h2>{_t("contacts", lang)}</h2>
{"".join(_contact(c, lang) for c in contacts) or f"<p>{_t('no_humans', lang)}</p>"}</section>
<section><h2>{_t("agents", lang)}</h2>{_agents(results, lang)}</section>
<section><h2>{_t("channels", lang)}</h2>{_channels(results, lang)}</section>
<section><h2>{_t("by_journey", lang)}</h2>{_journeys(results, lang)}</section>
<section><h2>{_t("provenance", lang)}</h2><p class="small">schema {_e(results.get("schema"))} ·
shapan {_e(results.get("shapan_version"))} · {_t("scenario", lang)} {_e(scenario.get("name"))}
<code>{_e(scenario.get("hash"))}</code> · {_t("decision_log", lang)}:
{len(results.get("decision_log") or [])}</p><p class="small">{_t("journey_hashes", lang)}:
{"; ".join(f"{_e(j)} <code>{_e(str(h)[:16])}</code>" for j, h in journeys.items())}</p>
<p class="small">{_t("definitions", lang)}: {_t("def_sl", lang)}</p></section>
</main>"""
    title = f"{_t('title', lang)} · {_e(name)}"
    font_css = embedded_font_css(title + body)
    run = results.get("run_id")  # names the run the file belongs to (sandbox.export)
    run_meta = f'<meta name="shapan-run-id" content="{_e(run)}">' if run else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">{run_meta}'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{font_css}{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )
