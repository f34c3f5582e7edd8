"""The candidate's result page: one graded exam result as a printable, self-contained HTML page.

Why a page of its own and not `sandbox.report`: a session report shows a centre's KPIs; a
certificate result must say *why* a candidate passed or failed, in words, against the rules
stated in advance, and carry what makes it checkable (proctoring, signing key, hashes). It
reuses the session report's CJK font embedding so the page reads on any machine offline.

- `render_result_html(result, lang, ...)`: the page of an `ExamResult.to_json()` document
  (signed or not); with `decisions`, every decision with what the candidate saw and its
  feedback and knowledge links.
- `replay_decisions(exam, form_index, journal)`: those decisions, by replaying the journal
  through the public Session API (what `shapan exam replay` shows).
- `write_result_html(path, ...)`: the page written atomically.

Everything that comes from a document or a journey is escaped: a candidate's name or a
designer's choice text can never become markup.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from journeys.vocabulary import OUTCOMES, RISK_TYPES, RUBRIC, SPEAKER_LABELS
from sandbox.exam.model import Exam
from sandbox.kpi_catalogue import duration_text

LANGS: tuple[str, ...] = ("zh-CN", "en")

TEXT: dict[str, dict[str, str]] = {
    "doc": {"zh-CN": "认证考试成绩单", "en": "Certification exam result"},
    "candidate": {"zh-CN": "考生", "en": "Candidate"},
    "form": {"zh-CN": "试卷", "en": "Form"},
    "pass": {"zh-CN": "通过", "en": "PASS"},
    "fail": {"zh-CN": "未通过", "en": "FAIL"},
    "score": {"zh-CN": "总分", "en": "Score"},
    "cut": {"zh-CN": "合格线", "en": "cut"},
    "contact_cut": {"zh-CN": "单通合格线", "en": "contact cut"},
    "contacts_passed": {"zh-CN": "通过联络", "en": "Contacts passed"},
    "required": {"zh-CN": "要求", "en": "required"},
    "why": {"zh-CN": "判定理由", "en": "Why"},
    "proctored": {"zh-CN": "监考 · proctored", "en": "proctored · 监考"},
    "unproctored": {"zh-CN": "未监考 · unproctored", "en": "unproctored · 未监考"},
    "unproctored_note": {
        "zh-CN": "离线练习成绩，不是监考认证成绩。",
        "en": "An offline practice result, not a proctored certification.",
    },
    "per_contact": {"zh-CN": "各通联络得分", "en": "Score per contact"},
    "per_measure": {"zh-CN": "各评分维度得分", "en": "Score per measure"},
    "per_measure_note": {
        "zh-CN": "各维度 0–100，均值只计已评分的联络；竖线为单通合格线。",
        "en": "Each measure 0–100; the mean counts graded contacts only; the line is the "
        "contact cut.",
    },
    "contact": {"zh-CN": "联络", "en": "Contact"},
    "customer_k": {"zh-CN": "第 {k} 位客户", "en": "Customer {k}"},
    "journey": {"zh-CN": "场景", "en": "Journey"},
    "status": {"zh-CN": "状态", "en": "Status"},
    "outcome": {"zh-CN": "结果", "en": "Outcome"},
    "handle": {"zh-CN": "处理时长", "en": "Handle time"},
    "counted": {"zh-CN": "计分", "en": "Counted"},
    "measured": {"zh-CN": "实测", "en": "Measured"},
    "passed_col": {"zh-CN": "通过", "en": "Passed"},
    "reasons": {"zh-CN": "说明", "en": "Notes"},
    "mean": {"zh-CN": "均值", "en": "Mean"},
    "measure": {"zh-CN": "维度", "en": "Measure"},
    "critical": {"zh-CN": "严重错误", "en": "Critical errors"},
    "critical_one": {"zh-CN": "严重错误", "en": "critical error"},
    "no_critical": {"zh-CN": "没有严重错误。", "en": "No critical errors."},
    "fails_exam": {"zh-CN": "整场考试不通过", "en": "fails the exam"},
    "fails_contact": {"zh-CN": "本通联络不通过", "en": "fails the contact"},
    "at": {"zh-CN": "时间", "en": "at"},
    "decisions": {
        "zh-CN": "逐步回放：所见与所选",
        "en": "Decision by decision: what you saw and chose",
    },
    "options": {"zh-CN": "可选项", "en": "Options shown"},
    "chosen": {"zh-CN": "所选", "en": "chosen"},
    "feedback": {"zh-CN": "反馈", "en": "Feedback"},
    "knowledge": {"zh-CN": "知识链接", "en": "Knowledge"},
    "mood": {"zh-CN": "客户情绪", "en": "Customer mood"},
    "anger": {"zh-CN": "愤怒", "en": "anger"},
    "trust": {"zh-CN": "信任", "en": "trust"},
    "patience": {"zh-CN": "耐心", "en": "patience"},
    "csat_after": {"zh-CN": "此时结束的预测满意度", "en": "Predicted CSAT if it ended here"},
    "risk": {"zh-CN": "风险", "en": "Risk"},
    "hung_up": {"zh-CN": "客户挂断", "en": "the customer hung up"},
    "evidence": {"zh-CN": "可核验信息", "en": "Evidence (for verification)"},
    "signed_by": {"zh-CN": "签名密钥", "en": "Signing key"},
    "not_signed": {"zh-CN": "未签名", "en": "not signed"},
    "verification": {"zh-CN": "签名校验", "en": "Signature check"},
    "exam_hash": {"zh-CN": "考试内容哈希", "en": "Exam content hash"},
    "journal": {"zh-CN": "答题日志", "en": "Journal"},
    "entries": {"zh-CN": "条", "en": "entries"},
    "scenario_hash": {"zh-CN": "场景哈希", "en": "Scenario hash"},
    "journeys": {"zh-CN": "旅程哈希", "en": "Journey hashes"},
    "model": {"zh-CN": "模型版本", "en": "Model version"},
    "version": {"zh-CN": "版本", "en": "version"},
    "seed": {"zh-CN": "随机种子", "en": "seed"},
    "clock_speed": {"zh-CN": "演练时钟倍速", "en": "rehearsal clock speed"},
    "none": {"zh-CN": "无", "en": "none"},
    "not_applicable": {"zh-CN": "不适用", "en": "n/a"},
}

STATUS: dict[str, dict[str, str]] = {
    "graded": {"zh-CN": "已评分", "en": "graded"},
    "not_reached": {"zh-CN": "未接到", "en": "not reached"},
    "unfinished": {"zh-CN": "未完成", "en": "unfinished"},
    "over_time": {"zh-CN": "超时", "en": "over time"},
}

MEASURE_LABELS: dict[str, dict[str, str]] = {
    "rubric": {"zh-CN": "评分量表（综合）", "en": "Rubric (overall)"},
    "csat": {"zh-CN": "预测满意度", "en": "Predicted CSAT"},
    "resolution": {"zh-CN": "问题解决", "en": "Resolution"},
    "handle_time": {"zh-CN": "处理时长", "en": "Handle time"},
    "risk_points": {"zh-CN": "风险点", "en": "Risk points"},
    **{f"rubric.{d}": {"zh-CN": f"量表 · {v['zh-CN']}", "en": f"Rubric · {v['en']}"}
       for d, v in RUBRIC.items()},
}  # fmt: skip

CSS = """
body{font-family:"shapan-cjk","Noto Sans SC","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",
"Segoe UI",sans-serif;margin:0;background:#f4f6f9;color:#1d2733;font-size:14px;line-height:1.45}
header{background:#1f3a5f;color:#fff;padding:16px 28px}
header h1{margin:0 0 4px;font-size:22px}header .sub{opacity:.9;font-size:14px}
header .sub span{margin-right:16px}
main{padding:16px 28px;max-width:1100px}
section{background:#fff;border-radius:8px;padding:12px 18px;margin:0 0 14px;
box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{font-size:17px;margin:2px 0 10px;color:#1f3a5f}h3{font-size:15px;margin:12px 0 6px}
.badge{display:inline-block;border-radius:4px;padding:2px 8px;font-size:13px;font-weight:600}
.badge.proctored{background:#d9f2e3;color:#17643a}
.badge.unproctored{background:#fde8c8;color:#8a4b00;border:1px solid #e0a040}
.verdict{display:flex;gap:24px;align-items:center;flex-wrap:wrap}
.verdict .big{font-size:34px;font-weight:700;padding:6px 18px;border-radius:8px}
.verdict .big.pass{background:#d9f2e3;color:#17643a}.verdict .big.fail{background:#fbdcdc;color:#a32020}
.verdict .fig{font-size:15px}.verdict .fig b{font-size:22px}
ul.reasons{margin:8px 0 0 0;padding-left:20px}
ul.reasons li.bad{color:#a32020}ul.reasons li.good{color:#17643a}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e4e7eb;padding:4px 7px;text-align:left;vertical-align:top}
th{background:#f0f4f8}th.num{text-align:right}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.below{color:#a32020;font-weight:600}
.ok{color:#17643a;font-weight:700}.no{color:#a32020;font-weight:700}
svg text{font-family:inherit}
.critical li{color:#a32020}
.contact-block{border-top:2px solid #dde3ea;margin-top:10px;padding-top:4px}
.decision{border-left:3px solid #1f5f9f;padding:4px 10px;margin:8px 0;background:#f7f9fc;
break-inside:avoid;page-break-inside:avoid}
.decision .when{font-size:12px;color:#616e7c}
.line{margin:2px 0}.line .who{font-weight:600;margin-right:6px}
.customer .who{color:#b44d12}.agent .who{color:#1f5f9f}.system .who{color:#616e7c}
ol.options{margin:4px 0;padding-left:22px}ol.options li{margin:1px 0;color:#52606d}
ol.options li.chosen{color:#1d2733;font-weight:600}
.feedback{color:#334e68;margin:3px 0}.kb{font-size:12px;color:#52606d;margin:2px 0}
.kb b{color:#334e68}.risk{color:#a32020;font-weight:600}
.small{font-size:11px;color:#616e7c;word-break:break-all}
code{font-size:11px}
@page{size:A4;margin:14mm 12mm}
@media print{
body{background:#fff;font-size:11pt}
header{background:#fff;color:#1d2733;border-bottom:2px solid #1f3a5f;padding:0 0 6px}
main{padding:0;max-width:none}
section{box-shadow:none;border:1px solid #dde3ea;break-inside:auto}
.verdict .big{border:2px solid currentColor}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
tr,svg{break-inside:avoid;page-break-inside:avoid}
}
"""


# -- small helpers -----------------------------------------------------------------------------
def _t(key: str, lang: str) -> str:
    return TEXT[key][lang]


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def i18n(value: Any, lang: str) -> str:
    """Text in `lang` from a `{zh-CN, en}` mapping (falling back to the other language) or a
    plain string."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        for key in (lang, *LANGS):
            if value.get(key):
                return str(value[key])
        return ""
    return str(value)


def _num(value: Any, digits: int = 1) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "—"
    return f"{float(value):.{digits}f}"


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")


def measure_label(name: str, lang: str) -> str:
    return MEASURE_LABELS.get(name, {}).get(lang, name)


def risk_label(risk: Any, lang: str) -> str:
    return RISK_TYPES.get(str(risk), {}).get(lang, str(risk))


def outcome_label(outcome: Any, lang: str) -> str:
    if outcome is None:
        return "—"
    return OUTCOMES.get(str(outcome), {}).get(lang, str(outcome))


def status_label(status: Any, lang: str) -> str:
    return STATUS.get(str(status), {}).get(lang, str(status))


def proctoring_mode(result: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
    """(proctored?, details). The offline grader writes the string "unproctored"; the server
    may write a block (`{"mode": ..., "clock_speed": ...}`). Anything not plainly proctored is
    treated as unproctored, so a page never claims more than the document says."""
    value = result.get("proctoring")
    if isinstance(value, Mapping):
        mode = value.get("mode", value.get("status"))
        return mode == "proctored", dict(value)
    return value == "proctored", {}


# -- titles ------------------------------------------------------------------------------------
def journey_titles(exam: Exam) -> dict[str, dict[str, str]]:
    """The title of every journey of the exam's scenario, by journey id."""
    journeys = getattr(exam.scenario, "journeys", {}) or {}
    return {str(jid): dict(j.title) for jid, j in journeys.items()}


def _shipped_title(journey_id: str) -> dict[str, str] | None:
    from journeys.diagnostics import JourneyError
    from journeys.library import load_shipped

    try:
        return dict(load_shipped(journey_id).title)
    except (KeyError, JourneyError, OSError):
        return None


def _titles(
    result: Mapping[str, Any],
    decisions: Sequence[Mapping[str, Any]] | None,
    given: Mapping[str, Mapping[str, str]] | None,
) -> dict[str, dict[str, str]]:
    """Journey titles: given ones, then those the replay found, then the shipped library."""
    out: dict[str, dict[str, str]] = {}
    for jid, title in (given or {}).items():
        out[str(jid)] = {str(k): str(v) for k, v in title.items()}
    for d in decisions or ():
        found, named = d.get("journey_id"), d.get("journey_title")
        if isinstance(found, str) and isinstance(named, Mapping) and found not in out:
            out[found] = {str(k): str(v) for k, v in named.items()}
    for c in _contacts(result):
        cid = c.get("journey_id")
        if isinstance(cid, str) and cid not in out:
            shipped = _shipped_title(cid)
            if shipped is not None:
                out[cid] = shipped
    return out


def _block(doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, Mapping) else {}


def _contacts(result: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    rows = result.get("contacts")
    return [c for c in rows if isinstance(c, Mapping)] if isinstance(rows, list) else []


def _contact_name(c: Mapping[str, Any], titles: Mapping[str, Mapping[str, str]], lang: str) -> str:
    jid = c.get("journey_id")
    title = i18n(titles.get(str(jid)), lang) if jid else ""
    who = _t("customer_k", lang).format(k=c.get("k", "?"))
    return f"{who} · {title}" if title else (f"{who} · {jid}" if jid else who)


# -- the decisions, by replay --------------------------------------------------------------------
def _seat_contact(session: Any, contact_id: str) -> dict[str, Any] | None:
    for seat in session.snapshot()["seats"]:
        contact = seat.get("contact")
        if contact and contact["contact_id"] == contact_id:
            return dict(contact)
    return None


def replay_decisions(exam: Exam, form_index: int, journal: Any) -> list[dict[str, Any]]:
    """Every decision of `journal` with what the candidate saw and what it did, by replaying it
    into the form's session through the public Session API (`pending_decisions`, `decide`).

    Each item: `seq, t, contact_id, k, journey_id, journey_title{}, node_id, stage,
    lines[{t, speaker, text{}}]` (the transcript lines that appeared since the previous
    decision on this contact), `options[{number, id, text{}, chosen}]` (the options on offer:
    exams hide unavailable ones), `choice_id, choice_text{}, feedback{}|None,
    knowledge[{id, kind, title{}, body{}}], behaviours, risks, step_score, csat_before,
    csat_after, mood_before{anger, trust, patience}|None, mood_after|None, hung_up`.
    Raises `JournalError` (naming the entry) when the journal does not replay."""
    from sandbox.exam.errors import JournalError
    from sandbox.exam.replay import check_entries, form_session
    from sandbox.session import SessionError

    entries = check_entries(journal, exam)
    session = form_session(exam, form_index)
    titles = journey_titles(exam)
    prefix = f"{exam.seat}-"
    shown: dict[str, int] = {}  # transcript lines already shown, per contact
    csat: dict[str, float | None] = {}
    out: list[dict[str, Any]] = []
    for seq, (t, contact_id, choice_id) in enumerate(entries, start=1):
        where = f"journal entry {seq} {[t, contact_id, choice_id]!r}"
        if not contact_id.startswith(prefix):
            raise JournalError(f"{where}: contact {contact_id!r} is not one of seat {exam.seat!r}")
        session.run_until(t)
        pending = next(
            (p for p in session.pending_decisions() if p["contact_id"] == contact_id), None
        )
        if pending is None:
            raise JournalError(f"{where} does not replay: {contact_id} is not waiting")
        before = _seat_contact(session, contact_id)
        lines = pending["lines"]
        new_lines = lines[shown.get(contact_id, 0) :]
        shown[contact_id] = len(lines)
        options = [
            {"number": c["number"], "id": c["id"], "text": dict(c["text"]),
             "chosen": c["id"] == choice_id}
            for c in pending["choices"] if c["available"]
        ]  # fmt: skip
        try:
            outcome = session.decide(contact_id, choice_id)
        except SessionError as err:
            raise JournalError(f"{where} does not replay: {err}") from None
        after = _seat_contact(session, contact_id)
        k_text = contact_id[len(prefix) :]
        out.append({
            "seq": seq, "t": t, "contact_id": contact_id,
            "k": int(k_text) if k_text.isdigit() else None,
            "journey_id": pending["journey_id"],
            "journey_title": titles.get(pending["journey_id"], {}),
            "node_id": pending["node_id"], "stage": pending["stage"],
            "lines": [{"t": ln["t"], "speaker": ln["speaker"], "text": dict(ln["text"])}
                      for ln in new_lines],
            "options": options,
            "choice_id": choice_id,
            "choice_text": dict(outcome["text"]) or next(
                (o["text"] for o in options if o["chosen"]), {}),
            "feedback": outcome["feedback"],
            "knowledge": [dict(k) for k in outcome["knowledge"]],
            "behaviours": list(outcome["behaviours"]),
            "risks": list(outcome["risks"]),
            "step_score": outcome["score"],
            "csat_before": csat.get(contact_id),
            "csat_after": outcome["csat_after"],
            "mood_before": dict(before["mood"]) if before else None,
            "mood_after": dict(after["mood"]) if after else None,
            "hung_up": outcome["customer_hung_up"],
        })  # fmt: skip
        csat[contact_id] = outcome["csat_after"]
    return out


# -- SVG charts ---------------------------------------------------------------------------------
def bar_chart_svg(
    rows: Sequence[tuple[str, float | None, bool]],
    cut: float | None,
    cut_label: str,
    *,
    width: int = 760,
) -> str:
    """Horizontal bars 0..100, one per (label, value, ok) row, and a dashed line at `cut`.
    A None value is drawn as "—" (a measure that does not apply)."""
    label_w, bar_w, row_h, top = 300, width - 300 - 60, 24, 18
    height = row_h * len(rows) + 34 + top

    def x(v: float) -> float:
        return label_w + bar_w * max(0.0, min(100.0, v)) / 100.0

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" style="max-width:100%;height:auto">'
    ]
    for tick in (0, 25, 50, 75, 100):
        parts.append(
            f'<line x1="{x(tick):.1f}" y1="{top}" x2="{x(tick):.1f}" y2="{height - 22}" '
            'stroke="#e4e7eb" stroke-width="1"/>'
            f'<text x="{x(tick):.1f}" y="{height - 8}" font-size="11" fill="#7b8794" '
            f'text-anchor="middle">{tick}</text>'
        )
    for i, (label, value, ok) in enumerate(rows):
        y = top + 6 + i * row_h
        short = label if len(label) <= 40 else label[:39] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" font-size="12" fill="#1d2733" '
            f'text-anchor="end"><title>{_e(label)}</title>{_e(short)}</text>'
        )
        if value is None:
            parts.append(
                f'<text x="{label_w + 4}" y="{y + 15}" font-size="12" fill="#7b8794">—</text>'
            )
            continue
        color = "#2e9d5b" if ok else "#d64545"
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{x(value) - label_w:.1f}" height="{row_h - 8}" '
            f'rx="2" fill="{color}"/>'
            f'<text x="{x(value) + 4:.1f}" y="{y + 15}" font-size="12" fill="#1d2733">'
            f"{value:.1f}</text>"
        )
    if cut is not None:
        parts.append(
            f'<line x1="{x(cut):.1f}" y1="{top - 2}" x2="{x(cut):.1f}" y2="{height - 22}" '
            'stroke="#1f3a5f" stroke-width="2" stroke-dasharray="5,3"/>'
            f'<text x="{x(cut):.1f}" y="{top - 5}" font-size="11" fill="#1f3a5f" '
            'text-anchor="middle">'
            f"{_e(cut_label)} {cut:g}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


# -- page sections ------------------------------------------------------------------------------
def _contact_cut(result: Mapping[str, Any], exam: Exam | None) -> float | None:
    if exam is not None:
        return float(exam.pass_rule.contact_cut)
    value = result.get("contact_cut")
    return float(value) if isinstance(value, (int, float)) else None


def shipped_exam_of(result: Mapping[str, Any]) -> Exam | None:
    """The shipped exam this result was graded by, when its content hash still matches."""
    block = result.get("exam")
    if not isinstance(block, Mapping) or not isinstance(block.get("id"), str):
        return None
    from sandbox.exam.errors import ExamError
    from sandbox.exam.loader import load_exam, shipped_exams

    if block["id"] not in shipped_exams():
        return None
    try:
        exam = load_exam(block["id"])
    except (ExamError, OSError):
        return None
    return exam if exam.content_hash == block.get("hash") else None


def _verdict(
    result: Mapping[str, Any],
    lang: str,
    titles: Mapping[str, Mapping[str, str]],
    decisions: Sequence[Mapping[str, Any]] | None,
) -> str:
    passed = result.get("passed") is True
    cls = "pass" if passed else "fail"
    word = _t("pass", lang) if passed else _t("fail", lang)
    cut = result.get("cut")
    score = result.get("score")
    n_passed, n_req = result.get("contacts_passed"), result.get("contacts_required")
    total = len(_contacts(result))
    items = [
        f'<li class="{"good" if good else "bad"}">{_e(text)}</li>'
        for text, good in exam_reasons(result, titles, lang, decisions)
    ]
    return (
        f'<section class="verdict-box"><div class="verdict"><div class="big {cls}" '
        f'data-verdict="{cls}">{_e(word)}</div>'
        f'<div class="fig">{_t("score", lang)} <b>{_num(score)}</b> / 100 · {_t("cut", lang)} '
        f"{_e(cut)}</div>"
        f'<div class="fig">{_t("contacts_passed", lang)} <b>{_e(n_passed)}/{total}</b> · '
        f"{_t('required', lang)} {_e(n_req)}</div></div>"
        f'<h3>{_t("why", lang)}</h3><ul class="reasons">{"".join(items)}</ul></section>'
    )


def _contact_section(
    result: Mapping[str, Any],
    lang: str,
    titles: Mapping[str, Mapping[str, str]],
    contact_cut: float | None,
    decisions: Sequence[Mapping[str, Any]] | None,
) -> str:
    contacts = _contacts(result)
    cut = contact_cut if contact_cut is not None else result.get("cut")
    cut_label = _t("contact_cut", lang) if contact_cut is not None else _t("cut", lang)
    rows = [
        (_contact_name(c, titles, lang), float(c.get("score") or 0.0), c.get("passed") is True)
        for c in contacts
    ]
    chart = bar_chart_svg(rows, float(cut) if isinstance(cut, (int, float)) else None, cut_label)
    head = [_t("contact", lang), _t("status", lang), _t("outcome", lang), _t("handle", lang),
            _t("counted", lang), _t("measured", lang), _t("passed_col", lang),
            _t("reasons", lang)]  # fmt: skip
    body = []
    for c in contacts:
        reasons = "; ".join(contact_reasons(c, titles, lang, decisions))
        ok = c.get("passed") is True
        body.append(
            f"<tr><td>{_e(_contact_name(c, titles, lang))}</td>"
            f"<td>{_e(status_label(c.get('status'), lang))}</td>"
            f"<td>{_e(outcome_label(c.get('outcome'), lang))}</td>"
            f'<td class="num">{_e(duration_text(c.get("handle_s")))}</td>'
            f'<td class="num">{_num(c.get("score"))}</td>'
            f'<td class="num">{_num(c.get("raw_score"))}</td>'
            f'<td class="{"ok" if ok else "no"}">{"✓" if ok else "✗"}</td>'
            f"<td>{_e(reasons)}</td></tr>"
        )
    table = (
        "<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )
    return f"<section><h2>{_t('per_contact', lang)}</h2>{chart}{table}</section>"


def measure_means(result: Mapping[str, Any]) -> dict[str, float | None]:
    """Mean of each measure over the graded contacts where it applies (None: never applied)."""
    names: list[str] = []
    for c in _contacts(result):
        for name in c.get("measures") or {}:
            if name not in names:
                names.append(name)
    out: dict[str, float | None] = {}
    for name in names:
        values = [
            float(c["measures"][name])
            for c in _contacts(result)
            if c.get("status") == "graded"
            and isinstance((c.get("measures") or {}).get(name), (int, float))
        ]
        out[name] = sum(values) / len(values) if values else None
    return out


def _measure_section(
    result: Mapping[str, Any],
    lang: str,
    titles: Mapping[str, Mapping[str, str]],
    contact_cut: float | None,
) -> str:
    means = measure_means(result)
    if not means:
        return ""
    cut = contact_cut if contact_cut is not None else result.get("cut")
    cut_f = float(cut) if isinstance(cut, (int, float)) else None
    rows = [
        (measure_label(n, lang), v, v is not None and (cut_f is None or v >= cut_f))
        for n, v in means.items()
    ]
    cut_label = _t("contact_cut", lang) if contact_cut is not None else _t("cut", lang)
    chart = bar_chart_svg(rows, cut_f, cut_label)
    contacts = _contacts(result)
    head = "".join(
        f'<th class="num" title="{_e(_contact_name(c, titles, lang))}">{_e(c.get("k"))}</th>'
        for c in contacts
    )
    body = []
    for name, mean in means.items():
        cells = []
        for c in contacts:
            v = (c.get("measures") or {}).get(name)
            below = isinstance(v, (int, float)) and cut_f is not None and v < cut_f
            cells.append(f'<td class="num{" below" if below else ""}">'
                         f"{_num(v, 0) if v is not None else '—'}</td>")  # fmt: skip
        body.append(
            f"<tr><td>{_e(measure_label(name, lang))}</td>{''.join(cells)}"
            f'<td class="num"><b>{_num(mean)}</b></td></tr>'
        )
    table = (
        f"<table><thead><tr><th>{_t('measure', lang)} \\ {_t('contact', lang)}</th>{head}"
        f'<th class="num">{_t("mean", lang)}</th></tr></thead><tbody>{"".join(body)}</tbody></table>'
    )
    return (
        f'<section><h2>{_t("per_measure", lang)}</h2><p class="small">'
        f"{_t('per_measure_note', lang)}</p>{chart}{table}</section>"
    )


def _said(
    hit: Mapping[str, Any],
    contact_id: Any,
    decisions: Sequence[Mapping[str, Any]] | None,
    lang: str,
) -> str:
    """What the candidate said when a critical error was raised (from the replayed decisions)."""
    for d in decisions or ():
        if (d.get("contact_id") == contact_id and d.get("choice_id") == hit.get("choice_id")
                and (hit.get("t") is None or d.get("t") == hit.get("t"))):  # fmt: skip
            return i18n(d.get("choice_text"), lang)
    return ""


def critical_words(
    hit: Mapping[str, Any],
    contact: Mapping[str, Any] | None,
    titles: Mapping[str, Mapping[str, str]],
    lang: str,
    decisions: Sequence[Mapping[str, Any]] | None = None,
    *,
    with_contact: bool = True,
) -> str:
    """A critical error in words, with names instead of ids: what, where, when, what it fails,
    and the candidate's words when the decisions are known."""
    what = (
        risk_label(hit.get("risk"), lang)
        if hit.get("risk")
        else outcome_label(hit.get("outcome"), lang)
    )
    scope = _t("fails_exam", lang) if hit.get("fails") == "exam" else _t("fails_contact", lang)
    parts = [f"{_t('critical_one', lang)}: {what}"]
    if with_contact and contact is not None:
        parts.append(_contact_name(contact, titles, lang))
    if hit.get("t") is not None:
        parts.append(f"{_t('at', lang)} {duration_text(hit.get('t'))}")
    said = _said(hit, contact.get("contact_id") if contact else None, decisions, lang)
    text = " · ".join(parts) + (f" — “{said}”" if said else "")
    return f"{text} → {scope}"


def contact_reasons(
    c: Mapping[str, Any],
    titles: Mapping[str, Mapping[str, str]],
    lang: str,
    decisions: Sequence[Mapping[str, Any]] | None = None,
) -> list[str]:
    """A contact's reasons in `lang`. The grader lists, in order: the status (unfinished, over
    time), one line per critical error, then the score below the contact cut; the critical
    error lines are said again here with names instead of choice ids."""
    reasons = [i18n(r, lang) for r in c.get("reasons") or ()]
    hits = [h for h in c.get("critical_errors") or () if isinstance(h, Mapping)]
    lead = 1 if c.get("status") in ("unfinished", "over_time") else 0
    if len(reasons) < lead + len(hits):
        return reasons
    words = [critical_words(h, c, titles, lang, decisions, with_contact=False) for h in hits]
    return reasons[:lead] + words + reasons[lead + len(hits) :]


def exam_reasons(
    result: Mapping[str, Any],
    titles: Mapping[str, Mapping[str, str]],
    lang: str,
    decisions: Sequence[Mapping[str, Any]] | None = None,
) -> list[tuple[str, bool]]:
    """(reason, good) in `lang`: the grader's three conditions — the score against the cut, the
    contacts passed against the number required, the exam-level critical errors (said with
    names instead of ids) or that there were none."""
    raw = result.get("reasons")
    reasons = [i18n(r, lang) for r in raw] if isinstance(raw, list) else []
    cut, score = result.get("cut"), result.get("score")
    n_passed, n_req = result.get("contacts_passed"), result.get("contacts_required")
    score_ok = isinstance(score, (int, float)) and isinstance(cut, (int, float)) and score >= cut
    enough = isinstance(n_passed, int) and isinstance(n_req, int) and n_passed >= n_req
    hits = [h for h in result.get("critical_errors") or () if isinstance(h, Mapping)]
    out = [(r, bool(score_ok) if i == 0 else enough) for i, r in enumerate(reasons[:2])]
    if hits and len(reasons) == 2 + len(hits):
        rows = {c.get("contact_id"): c for c in _contacts(result)}
        out += [
            (critical_words(h, rows.get(h.get("contact_id")), titles, lang, decisions), False)
            for h in hits
        ]
    else:
        out += [(r, not hits) for r in reasons[2:]]
    return out


def _critical_section(
    result: Mapping[str, Any],
    lang: str,
    titles: Mapping[str, Mapping[str, str]],
    decisions: Sequence[Mapping[str, Any]] | None,
) -> str:
    items = [
        f"<li>{_e(critical_words(hit, c, titles, lang, decisions))}</li>"
        for c in _contacts(result)
        for hit in c.get("critical_errors") or ()
        if isinstance(hit, Mapping)
    ]
    body = (
        f'<ul class="critical">{"".join(items)}</ul>'
        if items
        else f"<p>{_t('no_critical', lang)}</p>"
    )
    return f"<section><h2>{_t('critical', lang)}</h2>{body}</section>"


def _mood_text(before: Any, after: Any, lang: str) -> str:
    if not isinstance(before, Mapping):
        return ""
    parts = []
    for key in ("anger", "trust", "patience"):
        b = before.get(key)
        a = after.get(key) if isinstance(after, Mapping) else None
        if not isinstance(b, (int, float)):
            continue
        if isinstance(a, (int, float)):
            parts.append(f"{_t(key, lang)} {b:.1f} → {a:.1f} ({a - b:+.1f})")
        else:
            parts.append(f"{_t(key, lang)} {b:.1f}")
    return " · ".join(parts)


def decision_html(d: Mapping[str, Any], lang: str) -> str:
    """One decision: when, what the customer said, the options, the choice, its feedback,
    knowledge, mood and consequences."""
    parts = [f'<div class="decision" data-seq="{_e(d.get("seq"))}">'
             f'<div class="when">#{_e(d.get("seq"))} · {_e(duration_text(d.get("t")))}</div>']  # fmt: skip
    for line in d.get("lines") or ():
        who = str(line.get("speaker", "system"))
        label = SPEAKER_LABELS.get(who, {}).get(lang, who)
        cls = who if who in SPEAKER_LABELS else "system"
        parts.append(
            f'<div class="line {cls}"><span class="who">{_e(label)}</span>'
            f"{_e(i18n(line.get('text'), lang))}</div>"
        )
    options = d.get("options") or []
    if options:
        lis = "".join(
            f'<li class="{"chosen" if o.get("chosen") else ""}">{_e(i18n(o.get("text"), lang))}'
            + (f" ← {_t('chosen', lang)}" if o.get("chosen") else "")
            + "</li>"
            for o in options
        )
        parts.append(
            f'<div class="small">{_t("options", lang)}</div><ol class="options">{lis}</ol>'
        )
    else:
        parts.append(f"<div><b>{_e(i18n(d.get('choice_text'), lang))}</b></div>")
    if d.get("feedback"):
        parts.append(
            f'<div class="feedback">{_t("feedback", lang)}: {_e(i18n(d.get("feedback"), lang))}</div>'
        )
    for k in d.get("knowledge") or ():
        if isinstance(k, Mapping):
            parts.append(
                f'<div class="kb">{_t("knowledge", lang)}: <b>{_e(i18n(k.get("title"), lang))}</b>'
                f" — {_e(i18n(k.get('body'), lang))}</div>"
            )
    facts = []
    mood = _mood_text(d.get("mood_before"), d.get("mood_after"), lang)
    if mood:
        facts.append(f"{_t('mood', lang)}: {_e(mood)}")
    after = d.get("csat_after")
    if isinstance(after, (int, float)):
        before = d.get("csat_before")
        delta = f" ({after - before:+.2f})" if isinstance(before, (int, float)) else ""
        facts.append(f"{_t('csat_after', lang)}: {after:.2f}{delta}")
    for r in d.get("risks") or ():
        facts.append(f'<span class="risk">⚠ {_t("risk", lang)}: {_e(risk_label(r, lang))}</span>')
    if d.get("hung_up"):
        facts.append(f'<span class="risk">{_t("hung_up", lang)}</span>')
    if facts:
        parts.append(f'<div class="small">{" · ".join(facts)}</div>')
    parts.append("</div>")
    return "".join(parts)


def _decision_section(
    result: Mapping[str, Any],
    decisions: Sequence[Mapping[str, Any]],
    lang: str,
    titles: Mapping[str, Mapping[str, str]],
) -> str:
    by_contact: dict[str, list[Mapping[str, Any]]] = {}
    for d in decisions:
        by_contact.setdefault(str(d.get("contact_id")), []).append(d)
    blocks = []
    known = {str(c.get("contact_id")): c for c in _contacts(result)}
    for cid, items in by_contact.items():
        c = known.get(cid) or {"k": items[0].get("k"), "journey_id": items[0].get("journey_id")}
        blocks.append(
            f'<div class="contact-block"><h3>{_e(_contact_name(c, titles, lang))}</h3>'
            + "".join(decision_html(d, lang) for d in items)
            + "</div>"
        )
    return f"<section><h2>{_t('decisions', lang)}</h2>{''.join(blocks)}</section>"


def _evidence(result: Mapping[str, Any], lang: str, verification: str | None) -> str:
    proctored, details = proctoring_mode(result)
    sig = result.get("signature")
    key = sig.get("key_id") if isinstance(sig, Mapping) else None
    exam = _block(result, "exam")
    form = _block(result, "form")
    journal = _block(result, "journal")
    prov = _block(result, "provenance")
    journeys = _block(prov, "journeys")
    badge = _t("proctored", lang) if proctored else _t("unproctored", lang)
    extra = "".join(
        f" · {_e(k)} {_e(v)}" for k, v in details.items() if k not in ("mode", "status")
    )
    lines = [
        f"{_e(badge)}{extra}",
        f"{_t('signed_by', lang)}: <code>{_e(key) if key else _t('not_signed', lang)}</code>"
        + (f" · {_t('verification', lang)}: {_e(verification)}" if verification else ""),
        f"{_t('exam_hash', lang)}: {_e(exam.get('id'))} {_t('version', lang)} "
        f"{_e(exam.get('version'))} <code>{_e(exam.get('hash'))}</code>",
        f"{_t('form', lang)} {_e(form.get('id'))} · {_t('seed', lang)} {_e(form.get('seed'))}",
        f"{_t('journal', lang)}: {_e(journal.get('entries'))} {_t('entries', lang)} · sha256 "
        f"<code>{_e(journal.get('sha256'))}</code>",
        f"{_t('scenario_hash', lang)}: <code>{_e(prov.get('scenario'))}</code> · "
        f"{_t('model', lang)} {_e(prov.get('model_version'))} · shapan "
        f"{_e(prov.get('shapan_version'))} · {_e(result.get('schema'))}",
        f"{_t('journeys', lang)}: "
        + "; ".join(f"{_e(j)} <code>{_e(str(h)[:16])}</code>" for j, h in journeys.items()),
    ]
    if isinstance(sig, Mapping) and sig.get("sha256"):
        lines.append(f"sha256 (signed) <code>{_e(sig.get('sha256'))}</code>")
    return (
        f'<section class="evidence"><h2>{_t("evidence", lang)}</h2>'
        + "".join(f'<p class="small">{line}</p>' for line in lines)
        + "</section>"
    )


def render_result_html(
    result: Mapping[str, Any],
    lang: str,
    *,
    candidate: str | None = None,
    decisions: Sequence[Mapping[str, Any]] | None = None,
    verification: str | None = None,
    exam: Exam | None = None,
    titles: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """The complete HTML page of one graded result (`ExamResult.to_json()`, signed or not).

    `decisions` (from `replay_decisions`) adds the decision-by-decision section;
    `verification` is a line saying how the signature was checked; `exam` (else the shipped
    exam with the same content hash, when there is one) gives the contact cut and the journey
    titles; `titles` overrides journey titles by id."""
    _check_lang(lang)
    if exam is None:
        exam = shipped_exam_of(result)
    given = dict(journey_titles(exam)) if exam is not None else {}
    given.update({str(k): dict(v) for k, v in (titles or {}).items()})
    names = _titles(result, decisions, given)
    contact_cut = _contact_cut(result, exam)
    block = _block(result, "exam")
    form = _block(result, "form")
    title = i18n(block.get("title"), lang) or str(block.get("id") or "")
    proctored, _ = proctoring_mode(result)
    badge_cls = "proctored" if proctored else "unproctored"
    badge = _t(badge_cls, lang)
    sub = [f'<span class="badge {badge_cls}" data-proctoring="{badge_cls}">{_e(badge)}</span>']
    if candidate:
        sub.append(f"<span>{_t('candidate', lang)}: <b>{_e(candidate)}</b></span>")
    sub.append(f"<span>{_t('form', lang)} {_e(form.get('id'))}</span>")
    note = "" if proctored else f'<p class="small">{_t("unproctored_note", lang)}</p>'
    body = (
        f'<header><h1>{_e(title)}</h1><div class="sub">{_t("doc", lang)} · {"".join(sub)}</div>'
        f"</header><main>{note}"
        + _verdict(result, lang, names, decisions)
        + _contact_section(result, lang, names, contact_cut, decisions)
        + _measure_section(result, lang, names, contact_cut)
        + _critical_section(result, lang, names, decisions)
        + (_decision_section(result, decisions, lang, names) if decisions else "")
        + _evidence(result, lang, verification)
        + "</main>"
    )
    head_title = f"{_t('doc', lang)} · {_e(title)}" + (f" · {_e(candidate)}" if candidate else "")
    return page(head_title, body, lang)


def page(head_title: str, body: str, lang: str) -> str:
    """A self-contained HTML document: inline CSS, the CJK glyphs it uses embedded."""
    from sandbox.report import embedded_font_css

    font_css = embedded_font_css(html.unescape(head_title + body))
    return (
        f'<!DOCTYPE html>\n<html lang="{_e(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{head_title}</title><style>{font_css}{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def write_result_html(
    path: str | Path,
    result: Mapping[str, Any],
    lang: str,
    **options: Any,
) -> Path:
    """Render the page (`render_result_html` options) and write it atomically."""
    from sandbox.fileio import atomic_write_text

    return atomic_write_text(path, render_result_html(result, lang, **options))
