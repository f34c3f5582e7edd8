"""The server's words in zh-CN and en, and which language a request wants.

Why one table: the admin pages, the candidate API's errors and the CSV headers say the same
things; keeping every string here (two languages side by side) is how a missing translation is
caught by a test rather than by an administrator.
"""

from __future__ import annotations

from typing import Any

LANGS: tuple[str, ...] = ("zh-CN", "en")
DEFAULT_LANG = "en"
LANG_COOKIE = "shapan_lang"

#: key -> {"zh-CN": ..., "en": ...}; `{name}` placeholders are filled by `words`/`tr`.
TEXT: dict[str, dict[str, str]] = {
    # candidate API errors
    "body_too_large": {
        "en": "the request body is larger than {limit} bytes",
        "zh-CN": "请求体超过 {limit} 字节",
    },
    "bad_json": {
        "en": "the request body is not a JSON object",
        "zh-CN": "请求体不是 JSON 对象",
    },
    "bad_field": {
        "en": "field {field}: {en}",
        "zh-CN": "字段 {field}：{zh}",
    },
    "unknown_field": {
        "en": "unknown field {field}",
        "zh-CN": "未知字段 {field}",
    },
    "no_token": {
        "en": "missing or unknown bearer token: open the attempt with its code first",
        "zh-CN": "缺少或无效的令牌：请先用考生码打开考试",
    },
    "no_session": {
        "en": "not logged in as the administrator",
        "zh-CN": "未以管理员身份登录",
    },
    "bad_request": {"en": "bad request", "zh-CN": "请求有误"},
    "unknown_code": {"en": "unknown candidate code", "zh-CN": "考生码不存在"},
    "not_yet": {
        "en": "this code may not start yet: {why}",
        "zh-CN": "此考生码暂不能开始：{why}",
    },
    "closed": {"en": "this attempt is finished", "zh-CN": "本次考试已结束"},
    "rejected": {"en": "decision refused: {why}", "zh-CN": "答题被拒绝：{why}"},
    "still_active": {
        "en": "the attempt is still in progress; its result comes when it is finished",
        "zh-CN": "考试仍在进行，结束后才有成绩",
    },
    "not_found": {"en": "no such page", "zh-CN": "页面不存在"},
    "method": {"en": "method not allowed", "zh-CN": "不允许的请求方法"},
    "server_error": {
        "en": "the server failed; the error is in its log",
        "zh-CN": "服务器出错，详情见服务器日志",
    },
    "unavailable": {
        "en": "the database is unavailable; try again",
        "zh-CN": "数据库暂不可用，请重试",
    },
    # admin: frame
    "app_name": {"en": "shapan exam server", "zh-CN": "沙盘 考试服务器"},
    "nav_exams": {"en": "Exams", "zh-CN": "考试"},
    "nav_competitions": {"en": "Competitions", "zh-CN": "竞赛"},
    "logout": {"en": "Log out", "zh-CN": "退出登录"},
    "lang_other": {"en": "中文", "zh-CN": "English"},
    # setup and login
    "setup_title": {"en": "Set the administrator secret", "zh-CN": "设置管理员口令"},
    "setup_intro": {
        "en": "This server has no administrator secret yet. Choose one now: it is needed to "
        "publish exams, issue candidate codes and see results. Keep it somewhere safe.",
        "zh-CN": "本服务器尚未设置管理员口令。请现在设置：发布考试、发放考生码和查看成绩都需要它。"
        "请妥善保管。",
    },
    "secret": {"en": "Secret", "zh-CN": "口令"},
    "secret_again": {"en": "Secret again", "zh-CN": "再次输入口令"},
    "secret_short": {
        "en": "the secret must have at least {n} characters",
        "zh-CN": "口令至少需要 {n} 个字符",
    },
    "secret_mismatch": {"en": "the two secrets differ", "zh-CN": "两次输入的口令不一致"},
    "secret_set": {"en": "Set the secret", "zh-CN": "设置口令"},
    "secret_already": {
        "en": "the administrator secret is already set",
        "zh-CN": "管理员口令已设置",
    },
    "login_title": {"en": "Administrator login", "zh-CN": "管理员登录"},
    "login": {"en": "Log in", "zh-CN": "登录"},
    "login_wrong": {"en": "wrong secret", "zh-CN": "口令错误"},
    "login_throttled": {
        "en": "too many wrong secrets; wait a minute",
        "zh-CN": "口令错误次数过多，请一分钟后再试",
    },
    "csrf": {
        "en": "the form expired or came from another site; reload the page and try again",
        "zh-CN": "表单已过期或来自其他网站，请刷新页面后重试",
    },
    # exams list and publish
    "exams_title": {"en": "Exams", "zh-CN": "考试"},
    "no_exams": {"en": "No exam published yet.", "zh-CN": "尚未发布任何考试。"},
    "exam": {"en": "Exam", "zh-CN": "考试"},
    "version": {"en": "Version", "zh-CN": "版本"},
    "published": {"en": "Published", "zh-CN": "发布时间"},
    "forms": {"en": "Forms", "zh-CN": "试卷"},
    "customers": {"en": "Customers", "zh-CN": "客户数"},
    "time_limit": {"en": "Time limit", "zh-CN": "时限"},
    "candidates": {"en": "Candidates", "zh-CN": "考生"},
    "state": {"en": "State", "zh-CN": "状态"},
    "open": {"en": "open", "zh-CN": "开放"},
    "closed_exam": {"en": "closed", "zh-CN": "已关闭"},
    "publish_title": {"en": "Publish an exam", "zh-CN": "发布考试"},
    "publish_shipped": {"en": "A shipped exam", "zh-CN": "内置考试"},
    "publish_path": {
        "en": "or the path of an exam file on this server",
        "zh-CN": "或本服务器上考试文件的路径",
    },
    "publish": {"en": "Publish", "zh-CN": "发布"},
    "publish_none": {
        "en": "choose a shipped exam or give a path",
        "zh-CN": "请选择内置考试或填写路径",
    },
    "publish_failed": {"en": "cannot publish: {why}", "zh-CN": "无法发布：{why}"},
    "published_ok": {"en": "Published {title}.", "zh-CN": "已发布 {title}。"},
    # exam page
    "issue_title": {"en": "Issue candidate codes", "zh-CN": "发放考生码"},
    "issue_help": {
        "en": "One candidate name per line. Each gets a one-time code and a form; the codes "
        "are shown once, on a printable sheet.",
        "zh-CN": "每行一个考生姓名。每人获得一个一次性考生码和一套试卷；考生码只显示一次，可打印。",
    },
    "issue": {"en": "Issue codes", "zh-CN": "发放考生码"},
    "issue_none": {"en": "give at least one candidate name", "zh-CN": "请至少填写一个考生姓名"},
    "issue_long": {
        "en": "a candidate name is longer than {n} characters",
        "zh-CN": "考生姓名超过 {n} 个字符",
    },
    "issue_many": {
        "en": "at most {n} candidates at a time",
        "zh-CN": "一次最多 {n} 名考生",
    },
    "issue_failed": {"en": "cannot issue codes: {why}", "zh-CN": "无法发放考生码：{why}"},
    "progress_title": {"en": "Live progress", "zh-CN": "实时进度"},
    "progress_none": {"en": "No candidate yet.", "zh-CN": "尚无考生。"},
    "candidate": {"en": "Candidate", "zh-CN": "考生"},
    "form": {"en": "Form", "zh-CN": "试卷"},
    "status": {"en": "Status", "zh-CN": "状态"},
    "decisions": {"en": "Decisions", "zh-CN": "决策数"},
    "current_contact": {"en": "Current contact", "zh-CN": "当前客户"},
    "time_left": {"en": "Time left", "zh-CN": "剩余时间"},
    "connection": {"en": "Connection", "zh-CN": "连接"},
    "connected": {"en": "connected", "zh-CN": "在线"},
    "disconnected": {"en": "no signal", "zh-CN": "离线"},
    "never_connected": {"en": "—", "zh-CN": "—"},
    "updated": {"en": "updated", "zh-CN": "更新于"},
    "status_not_started": {"en": "not started", "zh-CN": "未开始"},
    "status_active": {"en": "in progress", "zh-CN": "进行中"},
    "status_finished": {"en": "finished", "zh-CN": "已结束"},
    "status_expired": {"en": "time ran out", "zh-CN": "已超时"},
    "contact_k": {"en": "customer {k} of {n}", "zh-CN": "第 {k}/{n} 位客户"},
    "results_title": {"en": "Results", "zh-CN": "成绩"},
    "results_none": {"en": "No result yet.", "zh-CN": "尚无成绩。"},
    "result": {"en": "Result", "zh-CN": "结果"},
    "score": {"en": "Score", "zh-CN": "得分"},
    "cut": {"en": "Cut", "zh-CN": "合格线"},
    "contacts_passed": {"en": "Contacts passed", "zh-CN": "通过的客户"},
    "critical_errors": {"en": "Critical errors", "zh-CN": "严重错误"},
    "pass": {"en": "pass", "zh-CN": "通过"},
    "fail": {"en": "fail", "zh-CN": "未通过"},
    "open_result": {"en": "open", "zh-CN": "查看"},
    "export_csv": {"en": "Export CSV", "zh-CN": "导出 CSV"},
    "export_json": {"en": "Export JSON", "zh-CN": "导出 JSON"},
    "report_link": {"en": "Exam report", "zh-CN": "考试报告"},
    "close_exam": {"en": "Close the exam to new codes", "zh-CN": "关闭考试（不再发放考生码）"},
    "close_confirm": {
        "en": "Close this exam? No more codes can be issued.",
        "zh-CN": "确定关闭此考试？之后不能再发放考生码。",
    },
    "exam_closed_note": {
        "en": "This exam is closed: no more codes are issued.",
        "zh-CN": "此考试已关闭，不再发放考生码。",
    },
    # code sheet
    "codes_title": {"en": "Candidate codes", "zh-CN": "考生码"},
    "codes_once": {
        "en": "Print this sheet now: the codes are not shown again (the server keeps only "
        "their hashes).",
        "zh-CN": "请立即打印本页：考生码不会再次显示（服务器只保存其哈希）。",
    },
    "print": {"en": "Print", "zh-CN": "打印"},
    "back_to_exam": {"en": "Back to the exam", "zh-CN": "返回考试"},
    "code": {"en": "Code", "zh-CN": "考生码"},
    "card_how": {
        "en": "Start the desk with: shapan play --exam {url} --code {code}",
        "zh-CN": "启动考试桌面：shapan play --exam {url} --code {code}",
    },
    "instructions": {"en": "Instructions", "zh-CN": "考试说明"},
    # result page
    "result_title": {"en": "Result of {candidate}", "zh-CN": "{candidate} 的成绩"},
    "contact": {"en": "Customer", "zh-CN": "客户"},
    "journey": {"en": "Journey", "zh-CN": "旅程"},
    "reasons": {"en": "Reasons", "zh-CN": "原因"},
    "time_used": {"en": "Time used", "zh-CN": "用时"},
    "handle_time": {"en": "Handle time", "zh-CN": "处理时长"},
    "verdict": {"en": "Verdict", "zh-CN": "结论"},
    "signed_by": {"en": "Signed with key", "zh-CN": "签名密钥"},
    "download_result": {"en": "Download the signed result", "zh-CN": "下载已签名成绩"},
    "no_result": {
        "en": "This attempt has no result yet.",
        "zh-CN": "本次考试尚无成绩。",
    },
    "proctored": {"en": "proctored", "zh-CN": "监考"},
    # report page
    "report_title": {"en": "Exam report", "zh-CN": "考试报告"},
    "report_failed": {"en": "cannot compute the report: {why}", "zh-CN": "无法生成报告：{why}"},
    "not_found_exam": {"en": "no such exam", "zh-CN": "考试不存在"},
    "not_found_attempt": {"en": "no such attempt", "zh-CN": "考试记录不存在"},
}


def words(key: str, **fill: Any) -> dict[str, str]:
    """Both languages of one text, placeholders filled (for JSON errors: `{"zh-CN", "en"}`)."""
    entry = TEXT[key]
    return {lang: entry[lang].format(**fill) for lang in LANGS}


def tr(key: str, lang: str, **fill: Any) -> str:
    """One text in `lang`."""
    entry = TEXT[key]
    return entry.get(lang, entry[DEFAULT_LANG]).format(**fill)


def pick(text: Any, lang: str) -> str:
    """A `{"zh-CN", "en"}` mapping (an exam's title, a reason) in `lang`, falling back to the
    other language; a plain string as it is."""
    if isinstance(text, dict):
        for key in (lang, DEFAULT_LANG, *LANGS):
            value = text.get(key)
            if isinstance(value, str) and value:
                return value
        return ""
    return "" if text is None else str(text)


def from_accept_language(header: str | None) -> str:
    """The best of our languages for an `Accept-Language` header (q-values honoured)."""
    if not header:
        return DEFAULT_LANG
    best: tuple[float, int, str] | None = None
    for order, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            name, _, value = p.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        tag = tag.strip().lower()
        lang = "zh-CN" if tag.startswith("zh") else "en" if tag.startswith("en") else None
        if lang is None or q <= 0:
            continue
        key = (q, -order, lang)
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best else DEFAULT_LANG


def choose_lang(cookie: str | None, accept_language: str | None) -> str:
    """The language of a page: the visitor's switch (cookie) first, then the browser's."""
    if cookie in LANGS:
        assert cookie is not None
        return cookie
    return from_accept_language(accept_language)
