"""The round debrief as one self-contained HTML file, and as CSV for the trainer's spreadsheet.

Why self-contained: trainers mail the debrief to the class and open it offline after the
session. One file: inline CSS, the radar charts as inline SVG, the CJK glyphs it uses embedded
(`sandbox.report.embedded_font_css`), no script and no external resource.

Everything that comes from the debrief dict — team names, journey and choice texts — is
escaped, so a team called `<script>…</script>` reads as that text. In the CSV, a text cell a
spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) gets a
leading apostrophe (OWASP CSV injection), as the server's CSV exports do.
"""

from __future__ import annotations

import csv
import html
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

from journeys.vocabulary import OUTCOMES, RISK_TYPES
from sandbox.fileio import csv_cell
from sandbox.kpi_catalogue import LANGS, NO_VALUE, format_value
from sandbox.league.board import format_figure

TEXT: dict[str, dict[str, str]] = {
    "doc": {"zh-CN": "回合复盘", "en": "Round debrief"},
    "scores": {"zh-CN": "本回合得分", "en": "Scores this round"},
    "team": {"zh-CN": "团队", "en": "Team"},
    "score": {"zh-CN": "得分", "en": "Score"},
    "top": {
        "zh-CN": "影响计分卡最大的三个决策",
        "en": "The three decisions that moved the scorecard",
    },
    "top_note": {
        "zh-CN": "在同一位客户身上比较：在该节点选择此选项的联络，与其他团队在同一节点作出"
        "其他选择的联络，单通计分卡得分之差（按两组联络数加权，再在各位客户间加权平均）。"
        "差值包括此后整条路径的影响。",
        "en": "Compared on the same customers: the scorecard score of the contacts that took "
        "this choice at the node minus that of the other teams' contacts with the same "
        "customer that chose differently there (weighted by both groups' sizes, averaged over "
        "the customers). The difference includes everything the path did after the node.",
    },
    "vs_others": {
        "zh-CN": "{effect} 分（{customers} 位客户：{n_with} 通 vs 其他选项 {n_other} 通）",
        "en": "{effect} points (customers compared: {customers}; {n_with} contacts vs "
        "{n_other} with other choices)",
    },
    "customer_says": {"zh-CN": "客户：", "en": "Customer: "},
    "taken_by": {"zh-CN": "选择的团队：", "en": "Taken by: "},
    "other_choices": {"zh-CN": "其他选项：", "en": "Other choices: "},
    "side_by_side": {"zh-CN": "同一位客户，各队的选择", "en": "Same customer, side by side"},
    "customer_k": {"zh-CN": "第 {k} 位客户", "en": "Customer {k}"},
    "diverged": {
        "zh-CN": "各队在第 {step} 步（{node}）分道扬镳",
        "en": "The teams' paths diverged at step {step} ({node})",
    },
    "same_path": {"zh-CN": "各队走了完全相同的路径", "en": "Every team took the same path"},
    "step": {"zh-CN": "步", "en": "Step"},
    "ended": {"zh-CN": "（已结束）", "en": "(ended)"},
    "outcome": {"zh-CN": "结果", "en": "Outcome"},
    "csat": {"zh-CN": "预测满意度", "en": "Predicted CSAT"},
    "churn": {"zh-CN": "流失风险", "en": "Churn risk"},
    "risk": {"zh-CN": "风险点", "en": "Risk points"},
    "cross_sell": {"zh-CN": "交叉销售", "en": "Cross-sell"},
    "no_offer": {"zh-CN": "未推荐", "en": "no offer"},
    "accepted": {"zh-CN": "已接受", "en": "accepted"},
    "declined": {"zh-CN": "未接受", "en": "declined"},
    "contact_score": {"zh-CN": "单通得分", "en": "Contact score"},
    "radar": {
        "zh-CN": "评分量表雷达图（虚线为全班中位数）",
        "en": "Rubric radar (dashed: class median)",
    },
    "no_customers": {
        "zh-CN": "本回合还没有两支以上团队接待过的同一位客户。",
        "en": "No customer has been met by two or more teams in this round yet.",
    },
    "no_decisions": {
        "zh-CN": "还没有足够的不同选择可比较。",
        "en": "Not enough different choices to compare yet.",
    },
    "content": {"zh-CN": "内容哈希", "en": "content hash"},
}

#: CSV column headers (machine-friendly in English, words in Chinese).
CSV_HEADERS: dict[str, dict[str, str]] = {
    "round": {"zh-CN": "回合", "en": "round"},
    "k": {"zh-CN": "客户序号", "en": "customer"},
    "journey": {"zh-CN": "场景", "en": "journey"},
    "team_id": {"zh-CN": "团队编号", "en": "team_id"},
    "team": {"zh-CN": "团队", "en": "team"},
    "member": {"zh-CN": "席位", "en": "member"},
    "contact_id": {"zh-CN": "联络编号", "en": "contact_id"},
    "path": {"zh-CN": "路径", "en": "path"},
    "path_ids": {"zh-CN": "路径（节点:选项）", "en": "path_ids"},
    "diverged_at": {"zh-CN": "分歧步", "en": "diverged_at_step"},
    "outcome": {"zh-CN": "结果", "en": "outcome"},
    "csat": {"zh-CN": "预测满意度", "en": "csat_mean"},
    "churn": {"zh-CN": "流失风险", "en": "churn"},
    "risk": {"zh-CN": "风险点", "en": "risk_points"},
    "cross_sell_offer": {"zh-CN": "推荐产品", "en": "cross_sell_offer"},
    "cross_sell_accepted": {"zh-CN": "是否接受", "en": "cross_sell_accepted"},
    "contact_score": {"zh-CN": "单通得分", "en": "contact_score"},
    "score": {"zh-CN": "回合得分", "en": "score"},
    "points": {"zh-CN": "得分", "en": "points"},
}
CSV_CONTACT_COLUMNS: tuple[str, ...] = (
    "round", "k", "journey", "team_id", "team", "member", "contact_id", "path", "path_ids",
    "diverged_at", "outcome", "csat", "churn", "risk", "cross_sell_offer",
    "cross_sell_accepted", "contact_score",
)  # fmt: skip

CSS = """
body{font-family:"shapan-cjk","Noto Sans SC","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",
"Segoe UI",sans-serif;margin:0;background:#f4f6f9;color:#1d2733;font-size:14px;line-height:1.45}
header{background:#1f3a5f;color:#fff;padding:16px 28px}
header h1{margin:0 0 4px;font-size:22px}header .sub{opacity:.9;font-size:14px}
main{padding:16px 28px;max-width:1280px}
section{background:#fff;border:1px solid #d9e2ec;border-radius:8px;padding:14px 18px;margin:0 0 16px}
h2{font-size:17px;margin:2px 0 10px;color:#1f3a5f}h3{font-size:15px;margin:14px 0 4px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e4e7eb;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f0f4f8}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.paths{table-layout:fixed}table.paths td,table.paths th{word-wrap:break-word}
table.paths th.step{width:104px}
tr.div td{background:#fff4e5}tr.div td.first{box-shadow:inset 3px 0 #d97706}
tr.after td{background:#fbfcfd}
td .node{display:block;font-size:11px;color:#7b8794}
td.odd{font-weight:700;color:#1f3a5f}
td .risk{display:block;color:#a32020;font-weight:700;font-size:12px}
tr.fate td{background:#f0f4f8;font-size:13px}
.note{font-size:12px;color:#52606d;margin:2px 0 8px}
.persona{font-size:12px;color:#52606d}
.prompt{font-style:italic;color:#334e68}
ol.top{padding-left:20px}ol.top li{margin:0 0 12px}
.effect{font-weight:700}.up{color:#17643a}.down{color:#a32020}
.radars{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;border:1px solid #e4e7eb;border-radius:6px;padding:6px;background:#fff}
figcaption{text-align:center;font-weight:600;font-size:13px;max-width:400px;overflow-wrap:anywhere}
svg text{font-family:inherit}
.small{font-size:11px;color:#616e7c;word-break:break-all}
@media print{body{background:#fff}section{border:none;padding:0}tr,figure{break-inside:avoid}}
"""


def _t(key: str, lang: str) -> str:
    return TEXT[key][lang]


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _i18n(value: Any, lang: str) -> str:
    if isinstance(value, Mapping):
        for key in (lang, *LANGS):
            if value.get(key):
                return str(value[key])
        return ""
    return "" if value is None else str(value)


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")


def _outcome(value: Any, lang: str) -> str:
    if value is None:
        return NO_VALUE
    return OUTCOMES.get(str(value), {}).get(lang, str(value))


def _num(value: Any, digits: int = 1) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return NO_VALUE
    return f"{float(value):.{digits}f}"


def _signed(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return NO_VALUE
    return ("+" if value > 0 else "−" if value < 0 else "±") + f"{abs(float(value)):.1f}"


def _cross_sell(cs: Mapping[str, Any], lang: str) -> str:
    if not cs.get("offered"):
        return _t("no_offer", lang)
    verdict = _t("accepted", lang) if cs.get("accepted") else _t("declined", lang)
    offer = cs.get("offer")
    return f"{offer}: {verdict}" if offer else verdict


def _persona(persona: Any, lang: str) -> str:
    card = persona.get(lang) if isinstance(persona, Mapping) else None
    if not isinstance(card, Mapping):
        return ""
    return " · ".join(str(v) for v in card.values() if v)


# -- sections -----------------------------------------------------------------------------------


def _scores(d: Mapping[str, Any], lang: str) -> str:
    cols = d.get("columns", [])
    head = "".join(f'<th class="num">{_e(_i18n(c["label"], lang))}</th>' for c in cols)
    rows = sorted(d.get("teams", []), key=lambda t: (-(t.get("score") or 0.0), t["team_id"]))
    body = []
    for t in rows:
        cells = "".join(
            f'<td class="num">{_e(format_figure(c["kpi"], t["figures"].get(c["kpi"]), lang))}</td>'
            for c in cols
        )
        body.append(
            f'<tr><td>{_e(t["name"])}</td><td class="num"><b>{_num(t.get("score"))}</b></td>'
            f"{cells}</tr>"
        )
    return (
        f"<section><h2>{_t('scores', lang)}</h2><table><tr><th>{_t('team', lang)}</th>"
        f'<th class="num">{_t("score", lang)}</th>{head}</tr>{"".join(body)}</table></section>'
    )


def _top(d: Mapping[str, Any], lang: str) -> str:
    names = {t["team_id"]: t["name"] for t in d.get("teams", [])}
    items = []
    for td in d.get("top_decisions", []):
        effect = td.get("effect") or 0.0
        cls = "up" if effect > 0 else "down"
        prompt = _i18n(td.get("prompt"), lang)
        said = (
            f'<div class="prompt">{_t("customer_says", lang)}{_e(prompt)}</div>' if prompt else ""
        )
        others = "; ".join(
            f"{_e(_i18n(o['label'], lang))} ({o['n']})" for o in td.get("others", [])
        )
        teams = ", ".join(_e(names.get(t, t)) for t in td.get("teams", []))
        vs = _t("vs_others", lang).format(
            effect=_signed(effect),
            customers=td.get("customers"),
            n_with=td.get("n_with"),
            n_other=td.get("n_other"),
        )
        items.append(
            f"<li><div><b>{_e(_i18n(td.get('journey_title'), lang))}</b> · "
            f"<code>{_e(td.get('node_id'))}</code></div>{said}"
            f"<div>→ <b>{_e(_i18n(td.get('label'), lang))}</b></div>"
            f'<div class="effect {cls}">{_e(vs)}</div>'
            f'<div class="note">{_t("taken_by", lang)}{teams}<br>'
            f"{_t('other_choices', lang)}{others}</div></li>"
        )
    inner = (
        f'<ol class="top">{"".join(items)}</ol>'
        if items
        else (f'<p class="note">{_t("no_decisions", lang)}</p>')
    )
    return (
        f'<section><h2>{_t("top", lang)}</h2><p class="note">{_t("top_note", lang)}</p>'
        f"{inner}</section>"
    )


def _customer(c: Mapping[str, Any], lang: str) -> str:
    paths = c.get("paths", [])
    div = c.get("divergence")
    title = _t("customer_k", lang).format(k=c.get("k"))
    persona = _persona(c.get("persona"), lang)
    if div:
        prompt = _i18n(div.get("prompt"), lang)
        note = _e(_t("diverged", lang).format(step=int(div["step"]) + 1, node=div.get("node_id")))
        if prompt:
            note += f' — <span class="prompt">{_t("customer_says", lang)}{_e(prompt)}</span>'
    else:
        note = _e(_t("same_path", lang))
    head = "".join(f"<th>{_e(p['name'])}</th>" for p in paths)
    longest = max((len(p["steps"]) for p in paths), default=0)
    step_at = int(div["step"]) if div else None
    rows = []
    for i in range(longest):
        present = [p["steps"][i] if i < len(p["steps"]) else None for p in paths]
        keys = [(s["node_id"], s["choice_id"]) if s else None for s in present]
        # the row's most taken (node, choice), if one is; the cells that differ from it are bold
        top = max(keys.count(k) for k in keys)
        leaders = {k for k in keys if keys.count(k) == top}
        common = next(iter(leaders)) if len(leaders) == 1 else ("", "")
        cls = "div" if i == step_at else ("after" if step_at is not None and i > step_at else "")
        cells = []
        for n, (s, key) in enumerate(zip(present, keys, strict=True)):
            first = " first" if n == 0 else ""
            if s is None:
                cells.append(f'<td class="{first.strip()}">{_t("ended", lang)}</td>')
                continue
            odd = " odd" if key != common and i >= (step_at or 0) else ""
            risks = "".join(
                f'<span class="risk">⚠ {_e(RISK_TYPES.get(r, {}).get(lang, r))}</span>'
                for r in s.get("risks", ())
            )
            cells.append(
                f'<td class="{(first + odd).strip()}"><span class="node">{_e(s["node_id"])}</span>'
                f"{_e(_i18n(s['label'], lang))}{risks}</td>"
            )
        rows.append(f'<tr class="{cls}"><td class="num">{i + 1}</td>{"".join(cells)}</tr>')
    fate_rows = [
        (_t("outcome", lang), [_e(_outcome(p.get("outcome"), lang)) for p in paths]),
        (_t("csat", lang), [_e(format_value("csat_mean", p.get("csat_mean"))) for p in paths]),
        (_t("churn", lang), [_e(format_value("churn_risk_mean", p.get("churn"))) for p in paths]),
        (_t("risk", lang), [_e(p.get("risk_points")) for p in paths]),
        (_t("cross_sell", lang), [_e(_cross_sell(p.get("cross_sell", {}), lang)) for p in paths]),
        (_t("contact_score", lang), [_num(p.get("score")) for p in paths]),
    ]
    for name, values in fate_rows:
        tds = "".join(f"<td>{v}</td>" for v in values)
        rows.append(f'<tr class="fate"><td class="small">{name}</td>{tds}</tr>')
    return (
        f'<h3 id="k{_e(c.get("k"))}">{_e(title)} · {_e(_i18n(c.get("journey_title"), lang))}</h3>'
        + (f'<div class="persona">{_e(persona)}</div>' if persona else "")
        + f'<p class="note">{note}</p>'
        f'<table class="paths"><tr><th class="step">{_t("step", lang)}</th>{head}</tr>'
        f"{''.join(rows)}</table>"
    )


def _customers(d: Mapping[str, Any], lang: str) -> str:
    parts = [_customer(c, lang) for c in d.get("customers", [])]
    inner = "".join(parts) if parts else f'<p class="note">{_t("no_customers", lang)}</p>'
    return f"<section><h2>{_t('side_by_side', lang)}</h2>{inner}</section>"


def radar_svg(
    labels: Sequence[str],
    values: Sequence[float | None],
    median: Sequence[float | None],
    *,
    width: int = 400,
    height: int = 270,
) -> str:
    """A rubric radar (0..100 on every axis): the team's polygon filled, the class median
    dashed; a missing value sits at the centre. `labels` are plain text (escaped here)."""
    n = len(labels)
    cx, cy, radius = width / 2, height / 2, 82.0

    def point(i: int, v: float | None) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        r = radius * max(0.0, min(100.0, v or 0.0)) / 100.0
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    def poly(vals: Sequence[float | None]) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, v) for i, v in enumerate(vals)))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">'
    ]
    for ring in (25, 50, 75, 100):
        parts.append(
            f'<polygon points="{poly([ring] * n)}" fill="none" stroke="#d9e2ec" stroke-width="1"/>'
        )
    for i in range(n):
        x, y = point(i, 100)
        parts.append(
            f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="#d9e2ec"/>'
        )
    if n >= 3:
        parts.append(
            f'<polygon points="{poly(values)}" fill="#2f6fb0" fill-opacity=".28" '
            'stroke="#2f6fb0" stroke-width="2"/>'
        )
        parts.append(
            f'<polygon points="{poly(median)}" fill="none" stroke="#7b8794" '
            'stroke-width="1.5" stroke-dasharray="5 3"/>'
        )
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        angle = -math.pi / 2 + 2 * math.pi * i / n
        c, s = math.cos(angle), math.sin(angle)
        lx, ly = cx + (radius + 12) * c, cy + (radius + 12) * s
        anchor = "middle" if abs(c) < 0.3 else ("start" if c > 0 else "end")
        top = ly - 18 if s < -0.5 else (ly + 10 if s > 0.5 else ly - 4)
        parts.append(
            f'<text x="{lx:.1f}" y="{top:.1f}" font-size="11" fill="#1d2733" '
            f'text-anchor="{anchor}">{_e(label)}<tspan x="{lx:.1f}" dy="13" '
            f'font-weight="700">{_num(v, 0)}</tspan></text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _radars(d: Mapping[str, Any], lang: str) -> str:
    radar = d.get("radar", {})
    teams = radar.get("teams", [])
    dims = [
        dim for dim in radar.get("dims", []) if any(t["values"].get(dim) is not None for t in teams)
    ]
    if len(dims) < 3 or not teams:
        return ""
    labels = [_i18n(radar.get("labels", {}).get(dim), lang) or dim for dim in dims]
    median = [radar.get("median", {}).get(dim) for dim in dims]
    figures = [
        f"<figure>{radar_svg(labels, [t['values'].get(dim) for dim in dims], median)}"
        f"<figcaption>{_e(t['name'])}</figcaption></figure>"
        for t in teams
    ]
    return (
        f'<section><h2>{_t("radar", lang)}</h2><div class="radars">{"".join(figures)}</div>'
        "</section>"
    )


def debrief_html(debrief_dict: Mapping[str, Any], lang: str) -> str:
    """The whole debrief (`sandbox.league.debrief.debrief`) as one self-contained HTML page."""
    from sandbox.report import embedded_font_css

    _check_lang(lang)
    d = debrief_dict
    comp = d.get("competition", {})
    rnd = d.get("round", {})
    title = _i18n(comp.get("title"), lang) or str(comp.get("id") or "")
    round_title = _i18n(rnd.get("title"), lang) or str(rnd.get("id") or "")
    body = (
        f'<header><h1>{_e(title)}</h1><div class="sub">{_t("doc", lang)} · '
        f"{_e(round_title)}</div></header><main>"
        + _scores(d, lang)
        + _top(d, lang)
        + _customers(d, lang)
        + _radars(d, lang)
        + f'<p class="small">{_t("content", lang)}: {_e(d.get("hash"))} · '
        f"{_e(d.get('schema'))}</p></main>"
    )
    head_title = f"{_t('doc', lang)} · {_e(title)} · {_e(round_title)}"
    font_css = embedded_font_css(html.unescape(head_title + body))
    return (
        f'<!DOCTYPE html>\n<html lang="{_e(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{head_title}</title><style>{font_css}{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


# -- CSV -----------------------------------------------------------------------------------------


def _contact_rows(d: Mapping[str, Any], lang: str) -> list[list[Any]]:
    rnd = d.get("round", {})
    header = [CSV_HEADERS[k][lang] for k in CSV_CONTACT_COLUMNS]
    rows: list[list[Any]] = [header]
    for c in d.get("customers", []):
        div = c.get("divergence")
        for p in c.get("paths", []):
            cs = p.get("cross_sell", {})
            rows.append([
                rnd.get("id"),
                c.get("k"),
                _i18n(c.get("journey_title"), lang),
                p.get("team_id"),
                p.get("name"),
                p.get("member"),
                p.get("contact_id"),
                " › ".join(_i18n(s["label"], lang) for s in p.get("steps", [])),
                " › ".join(f"{s['node_id']}:{s['choice_id']}" for s in p.get("steps", [])),
                int(div["step"]) + 1 if div else "",
                p.get("outcome") or "",
                p.get("csat_mean"),
                p.get("churn"),
                p.get("risk_points"),
                cs.get("offer") or "" if cs.get("offered") else "",
                int(bool(cs.get("accepted"))) if cs.get("offered") else "",
                p.get("score"),
            ])  # fmt: skip
    return rows


def _team_rows(d: Mapping[str, Any], lang: str) -> list[list[Any]]:
    cols = d.get("columns", [])
    header: list[Any] = [CSV_HEADERS[k][lang] for k in ("round", "team_id", "team", "score")]
    for c in cols:
        label = _i18n(c["label"], lang)
        header += [label, f"{label} · {CSV_HEADERS['points'][lang]}"]
    rows: list[list[Any]] = [header]
    rid = d.get("round", {}).get("id")
    for t in d.get("teams", []):
        row: list[Any] = [rid, t["team_id"], t["name"], t.get("score")]
        for c in cols:
            row += [t["figures"].get(c["kpi"]), t["points"].get(c["kpi"])]
        rows.append(row)
    return rows


def debrief_csv(debrief_dict: Mapping[str, Any], lang: str, section: str = "all") -> str:
    """The debrief as CSV: `contacts` (one row per team × customer met by several teams: its
    path, where the teams diverged, what the path did), `teams` (one row per team: score,
    figures and points), or `all` (both, the teams after one empty line). Numbers are raw (rates
    as fractions, times in seconds); text in `lang`."""
    _check_lang(lang)
    if section not in ("all", "contacts", "teams"):
        raise ValueError(f"unknown section {section!r}; use all, contacts or teams")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if section in ("all", "contacts"):
        writer.writerows([[csv_cell(v) for v in row] for row in _contact_rows(debrief_dict, lang)])
    if section == "all":
        writer.writerow([])
    if section in ("all", "teams"):
        writer.writerows([[csv_cell(v) for v in row] for row in _team_rows(debrief_dict, lang)])
    return out.getvalue()


__all__ = ["CSS", "TEXT", "csv_cell", "debrief_csv", "debrief_html", "radar_svg"]
