"""Every UI string in zh-CN and English, in one table, plus the clock format for timers.

Engine text arrives as `{"zh-CN": ..., "en": ...}` dicts and is shown with `pick`; the UI's own
labels live in `STRINGS` and are shown with `t`. KPI names and value formats come from
`sandbox.kpi_catalogue`, shared with the HTML report and the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from journeys.vocabulary import (
    BEHAVIOURS,
    CHANNEL_LABELS,
    OUTCOMES,
    RISK_TYPES,
    RUBRIC,
    SPEAKER_LABELS,
    STAGE_LABELS,
)

LANGS = ("zh-CN", "en")

STRINGS: dict[str, dict[str, str]] = {
    "app_title": {"zh-CN": "沙盘 · 客服中心实训", "en": "shapan · contact-center training"},
    "start_title": {"zh-CN": "沙盘 shapan", "en": "shapan 沙盘"},
    "start_sub": {"zh-CN": "客服中心业务沙盘实训", "en": "Contact-center business sandbox"},
    "scenario": {"zh-CN": "场景", "en": "Scenario"},
    "language": {"zh-CN": "语言", "en": "Language"},
    "trainee": {"zh-CN": "学员姓名", "en": "Trainee name"},
    "mode": {"zh-CN": "模式", "en": "Mode"},
    "practice": {"zh-CN": "练习模式", "en": "Practice"},
    "timed": {"zh-CN": "计时考核", "en": "Timed"},
    "practice_help": {
        "zh-CN": "显示情绪仪表、不可用选项及原因、每步反馈",
        "en": "Emotion meter, greyed options with reasons, feedback after every decision",
    },
    "timed_help": {
        "zh-CN": "考试模式：无情绪仪表、隐藏不可用选项、结束后才有反馈",
        "en": "Exam-like: no emotion meter, unavailable options hidden, feedback only at the end",
    },
    "start": {"zh-CN": "开始 (Enter)", "en": "Start (Enter)"},
    "seed": {"zh-CN": "随机种子", "en": "Seed"},
    "name_required": {"zh-CN": "请输入学员姓名", "en": "Please enter the trainee's name"},
    "loading": {"zh-CN": "正在准备场景…", "en": "Preparing the scenario…"},
    "queue": {"zh-CN": "排队客户", "en": "Queue"},
    "queue_empty": {"zh-CN": "暂无排队", "en": "Nobody waiting"},
    "abandoned": {"zh-CN": "放弃", "en": "abandoned"},
    "recent_abandoned": {"zh-CN": "刚放弃", "en": "Just hung up in queue"},
    "conversation": {"zh-CN": "当前通话", "en": "Conversation"},
    "no_contact": {"zh-CN": "等待下一位客户…", "en": "Waiting for the next customer…"},
    "no_seat": {
        "zh-CN": "本场景没有学员席位：您在观看整个中心的运行",
        "en": "This scenario has no trainee seat: you are watching the centre run",
    },
    "customer_card": {"zh-CN": "客户卡片", "en": "Customer card"},
    "knowledge": {"zh-CN": "知识库", "en": "Knowledge base"},
    "knowledge_none": {
        "zh-CN": "本通话暂无知识条目",
        "en": "No knowledge entries for this contact",
    },
    "options": {"zh-CN": "可选操作 (按 1–9)", "en": "Your options (keys 1–9)"},
    "waiting_customer": {"zh-CN": "客户正在说话…", "en": "The customer is talking…"},
    "unavailable": {"zh-CN": "不可用", "en": "unavailable"},
    "handle_time": {"zh-CN": "处理时长", "en": "Handle time"},
    "waited": {"zh-CN": "等待", "en": "waited"},
    "stage": {"zh-CN": "阶段", "en": "Stage"},
    "emotion": {"zh-CN": "情绪", "en": "Emotion"},
    "anger": {"zh-CN": "愤怒", "en": "Anger"},
    "trust": {"zh-CN": "信任", "en": "Trust"},
    "patience": {"zh-CN": "耐心", "en": "Patience"},
    "paused": {"zh-CN": "已暂停", "en": "PAUSED"},
    "speed": {"zh-CN": "速度", "en": "Speed"},
    "results_button": {"zh-CN": "结果 (R)", "en": "Results (R)"},
    "alerts": {"zh-CN": "提醒与风险", "en": "Alerts & risks"},
    "alerts_none": {"zh-CN": "暂无提醒", "en": "No alerts yet"},
    "required": {"zh-CN": "必须跟进", "en": "Required next"},
    "risk_point": {"zh-CN": "风险点", "en": "Risk point"},
    "trigger": {"zh-CN": "触发规则", "en": "Rule triggered"},
    "hangup": {"zh-CN": "客户挂断", "en": "Customer hung up"},
    "abandon": {"zh-CN": "排队放弃", "en": "Abandoned in queue"},
    "decision_refused": {
        "zh-CN": "该操作已无法执行：",
        "en": "That decision can no longer be taken: ",
    },
    "contact_ended": {"zh-CN": "通话结束", "en": "Contact ended"},
    "feedback": {"zh-CN": "反馈", "en": "Feedback"},
    # the practice room (ui.practice_room)
    "effect_now": {"zh-CN": "本步即时效果", "en": "This reply, now"},
    "effect_later": {"zh-CN": "日后代价", "en": "Cost later"},
    "effect_outcome": {
        "zh-CN": "按规范处理完的预计结局",
        "en": "Outcome if the rest goes by the book",
    },
    "effect_best": {"zh-CN": "此处最佳回应", "en": "the best reply here"},
    "effect_vs_best": {"zh-CN": "比最佳回应", "en": "vs the best reply"},
    "csat_short": {"zh-CN": "满意度", "en": "CSAT"},
    "churn_short": {"zh-CN": "流失", "en": "churn"},
    "cross_sell_short": {"zh-CN": "交叉销售", "en": "cross-sell"},
    "pct_points": {"zh-CN": "个百分点", "en": "pts"},
    "repeat_or_complaint": {
        "zh-CN": "可能再次来电或投诉",
        "en": "chance of a repeat contact or complaint",
    },
    "included": {"zh-CN": "已计入本通结果", "en": "included in this contact's outcome"},
    "contact_rubric": {"zh-CN": "本通评分", "en": "This contact"},
    "practice_coach": {"zh-CN": "练习室反馈", "en": "Practice room"},
    "scorecard": {"zh-CN": "本通成绩单", "en": "Contact scorecard"},
    "scorecard_next": {
        "zh-CN": "按 Enter 继续下一位客户",
        "en": "Press Enter for the next customer",
    },
    "customer_last": {"zh-CN": "客户最后说", "en": "The customer's last words"},
    "you": {"zh-CN": "您的成绩", "en": "You"},
    "colleagues": {"zh-CN": "同事", "en": "colleagues"},
    "centre_kpis": {"zh-CN": "整个中心", "en": "The centre"},
    "your_rubric": {"zh-CN": "您的能力雷达", "en": "Your rubric"},
    "kb_more": {"zh-CN": "更多 (J)", "en": "more (J)"},
    "mood_now": {"zh-CN": "此刻情绪", "en": "Mood now"},
    "mood_angry": {"zh-CN": "愤怒", "en": "angry"},
    "mood_upset": {"zh-CN": "不满", "en": "upset"},
    "mood_calm": {"zh-CN": "平静", "en": "calm"},
    "continue_hint": {"zh-CN": "C 跳过客户说话时间", "en": "C skips the customer's speaking time"},
    "vip": {"zh-CN": "VIP", "en": "VIP"},
    "keys_desk": {
        "zh-CN": "1–9 选择 · 空格 暂停 · F1/F2/F3 速度 1×/2×/4× · ↑↓ 翻阅对话 · K 切换知识 · R 结果 · Esc 退出",
        "en": "1–9 choose · Space pause · F1/F2/F3 speed 1×/2×/4× · ↑↓ scroll · K next article · R results · Esc quit",
    },
    "keys_timed": {
        "zh-CN": "计时考核：1–9 选择 · ↑↓ 翻阅对话 · K 切换知识 · Esc 退出（计时不停）",
        "en": "Timed: 1–9 choose · ↑↓ scroll · K next article · Esc quit (the clock keeps running)",
    },
    "timed_no_pause": {
        "zh-CN": "计时考核不能暂停，计时继续",
        "en": "A timed session cannot be paused; the clock keeps running",
    },
    "timed_no_speed": {
        "zh-CN": "计时考核不能调整速度",
        "en": "A timed session runs at its own pace; the speed cannot be changed",
    },
    "timed_no_results": {
        "zh-CN": "计时考核结束后才能查看结果",
        "en": "Results are shown when the timed session ends",
    },
    "no_data": {"zh-CN": "无数据", "en": "no data"},
    "exporting": {"zh-CN": "正在导出报告…", "en": "Exporting the report…"},
    "export_busy": {
        "zh-CN": "报告正在导出，请稍候…",
        "en": "An export is already running; please wait…",
    },
    "timed_quit_body": {
        "zh-CN": "计时考核：计时在询问时继续。决策已自动保存，可用 shapan play --resume 继续：",
        "en": "Timed session: the clock keeps running while you decide. Your decisions are saved; continue with shapan play --resume:",
    },
    "quit_title": {"zh-CN": "退出本次实训？", "en": "Quit this session?"},
    "quit_body": {
        "zh-CN": "决策记录已自动保存，可用 shapan play --resume 继续：",
        "en": "Your decisions are saved; continue later with shapan play --resume:",
    },
    "quit_yes": {"zh-CN": "退出 (Y)", "en": "Quit (Y)"},
    "quit_no": {"zh-CN": "继续 (N / Esc)", "en": "Stay (N / Esc)"},
    "results_title": {"zh-CN": "实训结果", "en": "Session results"},
    "results_live": {
        "zh-CN": "（进行中，Esc 返回工作台）",
        "en": "(in progress — Esc returns to the desk)",
    },
    "overview": {"zh-CN": "总览", "en": "Overview"},
    "contacts": {"zh-CN": "通话明细", "en": "Contacts"},
    "export": {"zh-CN": "导出 HTML 报告 (E)", "en": "Export HTML report (E)"},
    "exported": {"zh-CN": "报告已导出：", "en": "Report written: "},
    "history_recorded": {"zh-CN": "已记入学员档案：", "en": "Recorded in the trainee history: "},
    "history_failed": {
        "zh-CN": "未能记入学员档案：",
        "en": "Not recorded in the trainee history: ",
    },
    "export_failed": {"zh-CN": "导出失败：", "en": "Export failed: "},
    "back": {"zh-CN": "返回 (Esc)", "en": "Back (Esc)"},
    "quit": {"zh-CN": "退出 (Q)", "en": "Quit (Q)"},
    "target": {"zh-CN": "目标", "en": "target"},
    "rubric": {"zh-CN": "能力雷达", "en": "Rubric radar"},
    "csat_dist": {"zh-CN": "满意度分布 (预测)", "en": "Predicted CSAT distribution"},
    "funnel": {"zh-CN": "交叉销售漏斗", "en": "Cross-sell funnel"},
    "funnel_contacts": {"zh-CN": "通话", "en": "contacts"},
    "funnel_offered": {"zh-CN": "已推荐", "en": "offered"},
    "funnel_accepted": {"zh-CN": "已接受", "en": "accepted"},
    "churn": {"zh-CN": "流失风险", "en": "Churn risk"},
    "churn_high": {"zh-CN": "高风险客户", "en": "high-risk customers"},
    "timeline": {"zh-CN": "通话时间线", "en": "Contact timeline"},
    "risk_list": {"zh-CN": "风险清单", "en": "Risk list"},
    "points": {"zh-CN": "分", "en": "pts"},
    "risk_none": {"zh-CN": "没有风险点", "en": "No risk points"},
    "contact_list_help": {
        "zh-CN": "↑↓ 选择通话 · Enter 查看详情 · Tab 切换页面",
        "en": "↑↓ select a contact · Enter drill down · Tab switch page",
    },
    "no_contacts": {
        "zh-CN": "本次没有人工处理的通话",
        "en": "No contacts handled at the human seat",
    },
    "transcript": {"zh-CN": "对话记录", "en": "Transcript"},
    "decisions": {"zh-CN": "每步决策", "en": "Decisions"},
    "csat_after": {"zh-CN": "预测满意度", "en": "Predicted CSAT"},
    "why": {"zh-CN": "预测依据", "en": "Why this prediction"},
    "outcome": {"zh-CN": "结果", "en": "Outcome"},
    "drill_help": {
        "zh-CN": "↑↓ 滚动 · ←→ 上/下一通 · Esc 返回",
        "en": "↑↓ scroll · ←→ prev/next contact · Esc back",
    },
    "finished": {"zh-CN": "实训结束", "en": "Session finished"},
    "saved_to": {"zh-CN": "已保存：", "en": "Saved: "},
    # exam mode (issue 12)
    "exam": {"zh-CN": "考试", "en": "Exam"},
    "exam_form": {"zh-CN": "卷", "en": "Form"},
    "candidate": {"zh-CN": "考生", "en": "Candidate"},
    "time_left": {"zh-CN": "剩余时间", "en": "Time left"},
    "customer_k": {"zh-CN": "第 {k}/{n} 位客户", "en": "Customer {k} of {n}"},
    "customer_n": {"zh-CN": "第 {k} 位客户", "en": "Customer {k}"},
    "conn_connected": {"zh-CN": "已连接考试服务器", "en": "Connected"},
    "conn_reconnecting": {"zh-CN": "连接中断，正在重连…", "en": "Connection lost — reconnecting…"},
    "conn_sending": {"zh-CN": "正在提交操作…", "en": "Sending your decision…"},
    "exam_option_sending": {"zh-CN": "发送中…", "en": "sending…"},
    "conn_unproctored": {"zh-CN": "模拟考试 · 未监考", "en": "Practice exam · unproctored"},
    "conn_closed": {"zh-CN": "考试已结束", "en": "Exam over"},
    "unproctored": {"zh-CN": "未监考", "en": "unproctored"},
    "exam_instructions": {"zh-CN": "考试说明", "en": "Instructions"},
    "exam_no_pause": {
        "zh-CN": "考试中不能暂停，时间由服务器计时",
        "en": "No pause during an exam: time runs on the server",
    },
    "exam_no_pause_offline": {
        "zh-CN": "考试中不能暂停",
        "en": "No pause during an exam",
    },
    "keys_exam": {
        "zh-CN": "1–9 选择 · ↑↓ 翻阅对话 · K 切换知识 · Esc 退出（可用同一考生码继续）",
        "en": "1–9 choose · ↑↓ scroll · K next article · Esc quit (re-open with the same code to resume)",
    },
    "keys_exam_offline": {
        "zh-CN": "1–9 选择 · ↑↓ 翻阅对话 · K 切换知识 · Esc 退出（模拟考试不能续考）",
        "en": "1–9 choose · ↑↓ scroll · K next article · Esc quit (a practice exam cannot be resumed)",
    },
    "exam_quit_title": {"zh-CN": "离开考试？", "en": "Leave the exam?"},
    "league_no_pause": {
        "zh-CN": "比赛中不能暂停，时钟由培训师控制",
        "en": "No pause in a competition round: the trainer runs the clock",
    },
    "league_quit_title": {"zh-CN": "离开本轮比赛？", "en": "Leave the round?"},
    "league_quit_body": {
        "zh-CN": "你的操作已保存在竞赛服务器上，本轮继续计时；用同一命令重新加入即可回到你的席位。",
        "en": "Your decisions are on the competition server and the round clock keeps running; run the same command again to take your seat back.",
    },
    "exam_quit_body": {
        "zh-CN": "你的操作已保存在考试服务器上，考试时间继续计时；用同一考生码重新打开即可继续。",
        "en": "Your decisions are on the exam server and the exam clock keeps running; open it again with the same code to continue.",
    },
    "exam_quit_body_offline": {
        "zh-CN": "模拟考试不会保存，退出后需要重新开始。",
        "en": "A practice exam is not saved: leaving ends it.",
    },
    "exam_fetching": {"zh-CN": "正在取得考试成绩…", "en": "Fetching your exam result…"},
    "exam_result_title": {"zh-CN": "考试成绩", "en": "Exam result"},
    "exam_pass": {"zh-CN": "通过", "en": "PASS"},
    "exam_fail": {"zh-CN": "未通过", "en": "FAIL"},
    "exam_score": {"zh-CN": "总分", "en": "Score"},
    "exam_cut": {"zh-CN": "合格线", "en": "cut"},
    "exam_reasons": {"zh-CN": "判定理由", "en": "Why"},
    "exam_contacts": {"zh-CN": "各通联络得分", "en": "Score per contact"},
    "exam_contact_cut": {"zh-CN": "单通合格线", "en": "contact cut"},
    "exam_critical": {"zh-CN": "严重错误", "en": "Critical errors"},
    "exam_critical_none": {"zh-CN": "没有严重错误", "en": "No critical errors"},
    "exam_fails_exam": {"zh-CN": "整场考试不通过", "en": "fails the exam"},
    "exam_fails_contact": {"zh-CN": "本通联络不通过", "en": "fails the contact"},
    "exam_signed": {"zh-CN": "已由服务器密钥 {key} 签名", "en": "Signed by server key {key}"},
    "exam_signed_verified": {
        "zh-CN": "已由服务器密钥 {key} 签名（签名有效）",
        "en": "Signed by server key {key} (signature valid)",
    },
    "exam_unsigned": {"zh-CN": "未签名", "en": "Not signed"},
    "exam_unproctored_note": {
        "zh-CN": "未监考 · 本机评分，未签名：不能作为认证成绩",
        "en": "Unproctored · graded on this machine, not signed: not a certification result",
    },
    "exam_details": {"zh-CN": "通话详情 (D)", "en": "Contact details (D)"},
    "exam_status_graded": {"zh-CN": "已评分", "en": "graded"},
    "exam_status_not_reached": {"zh-CN": "未接到", "en": "not reached"},
    "exam_status_unfinished": {"zh-CN": "未完成", "en": "unfinished"},
    "exam_status_over_time": {"zh-CN": "超时", "en": "over time"},
    "exam_result_help": {
        "zh-CN": "D 通话详情 · Q 退出",
        "en": "D contact details · Q quit",
    },
    "exam_decision_not_sent": {"zh-CN": "操作未能提交：", "en": "The decision was not taken: "},
}

# KPI names, units, directions and number formats are not kept here: the desk's KPI bar and the
# results screen read `sandbox.kpi_catalogue`, the one table the HTML report and the CLI use too
# (a pure data table, which the UI may read; docs/architecture.md). Only which KPIs each screen
# shows, and in what order, is a screen decision:
LIVE_KPIS = (
    "csat_mean",
    "fcr",
    "aht_s",
    "service_level",
    "cross_sell_rate",
    "risk_points",
    "abandonment_rate",
    "handled",
)
RESULT_KPIS = (
    "csat_mean",
    "csat_top_box",
    "fcr",
    "aht_s",
    "service_level",
    "asa_s",
    "abandonment_rate",
    "hangup_rate",
    "occupancy",
    "cross_sell_rate",
    "churn_risk_mean",
    "risk_points",
    "handled",
)
TONES: dict[str, dict[str, str]] = {
    "angry": {"zh-CN": "愤怒", "en": "angry"},
    "anxious": {"zh-CN": "焦虑", "en": "anxious"},
    "crying": {"zh-CN": "哭泣", "en": "crying"},
    "sarcastic": {"zh-CN": "讽刺", "en": "sarcastic"},
    "relieved": {"zh-CN": "如释重负", "en": "relieved"},
    "confused": {"zh-CN": "困惑", "en": "confused"},
    "happy": {"zh-CN": "高兴", "en": "happy"},
    "impatient": {"zh-CN": "不耐烦", "en": "impatient"},
    "calm": {"zh-CN": "平静", "en": "calm"},
    "threat": {"zh-CN": "威胁投诉", "en": "threatening"},
}
SPEAKERS = SPEAKER_LABELS
CHANNELS = CHANNEL_LABELS
STAGES = STAGE_LABELS


def other(lang: str) -> str:
    return "en" if lang == "zh-CN" else "zh-CN"


def t(key: str, lang: str) -> str:
    """The UI string `key` in `lang` (English if the language is unknown)."""
    entry = STRINGS[key]
    return entry.get(lang) or entry["en"]


def pick(text: Any, lang: str) -> str:
    """Engine text: an i18n dict, a plain string, or None, shown in `lang` (falling back)."""
    if text is None:
        return ""
    if isinstance(text, Mapping):
        value = text.get(lang) or text.get(other(lang)) or next(iter(text.values()), "")
        return str(value)
    return str(text)


def without_label(text: str, *labels: str) -> str:
    """`text` without a leading "label:" (or "label：") that the caller already shows in front
    of it — never "Risk point: Risk point: …" or "System: System: …"."""
    for lab in labels:
        for sep in (":", "："):
            prefix = f"{lab}{sep}"
            if lab and text.lower().startswith(prefix.lower()):
                return text[len(prefix) :].lstrip()
    return text


def journey_title(contact: Mapping[str, Any], lang: str) -> str:
    """A contact's journey by its title (its id only when it has none)."""
    title = contact.get("journey_title") or contact.get("title")
    return pick(title, lang) or str(contact.get("journey_id") or "").replace("_", " ")


def label(table: Mapping[str, Mapping[str, str]], key: str, lang: str) -> str:
    """A vocabulary label (`RUBRIC`, `RISK_TYPES`, …) with the raw key as the fallback."""
    entry = table.get(key)
    return pick(entry, lang) if entry else key.replace("_", " ")


def rubric_label(key: str, lang: str) -> str:
    return label(RUBRIC, key, lang)


def risk_label(key: str, lang: str) -> str:
    return label(RISK_TYPES, key, lang)


#: shorter rubric names where the radar has little room around it
_RADAR_SHORT = {"accuracy": {"zh-CN": "信息准确性", "en": "Accuracy"}}


def radar_label(key: str, lang: str) -> str:
    return label(_RADAR_SHORT, key, lang) if key in _RADAR_SHORT else rubric_label(key, lang)


def outcome_label(key: str | None, lang: str) -> str:
    if key == "abandoned":
        return t("abandoned", lang)
    return label(OUTCOMES, key or "unresolved", lang)


def behaviour_label(key: str, lang: str) -> str:
    found = BEHAVIOURS.get(key)
    return found.label(lang) if found else key.replace("_", " ")


def tag_label(speaker: str, tag: str, lang: str) -> str:
    """A transcript line's tag: behaviours on the agent's lines, tone cues on the customer's."""
    if speaker == "agent" and tag in BEHAVIOURS:
        return behaviour_label(tag, lang)
    return label(TONES, tag, lang)


def duration(seconds: float | None) -> str:
    """m:ss (or h:mm:ss) for clocks and timers."""
    if seconds is None:
        return "–"
    total = max(0, int(seconds))
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


RUBRIC_KEYS: tuple[str, ...] = tuple(RUBRIC)
