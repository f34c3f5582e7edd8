"""A trainee's weak spots over the whole history and the personal practice plan (issue 16):
`shapan trainee weak-spots ID` and `shapan trainee plan ID --out plan.html|json`.

The history keeps each contact's mistakes by kind (`history.mistake_figures`); the kinds, the
repeat rule and the learning packs are `sandbox.weak_spots`'s, the same as the desk's push.
The knowledge the packs start from is derived from the shipped journeys the trainee played.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from sandbox.server.history import History, mistake_kinds
from sandbox.weak_spots import (
    DEFAULT_RULE,
    ContactMistakes,
    RepeatRule,
    entry_title,
    journey_links,
    kb_entries,
    practice_plan,
    rank_weak_spots,
    rubric_label,
)

SCHEMA = "shapan.weak-spots/1"


def _journeys() -> dict[str, Any]:
    from journeys.library import load_all_shipped

    return load_all_shipped()


def _kb() -> dict[str, dict[str, Any]]:
    from journeys.knowledge import load_knowledge_base

    return kb_entries(load_knowledge_base())


def trainee_weak_spots(history: History, trainee_id: str, *, rule: RepeatRule = DEFAULT_RULE,
                       top: int = 5, since: float | None = None) -> dict[str, Any]:  # fmt: skip
    """The trainee's top weak spots over their history, with packs and the practice plan."""
    info = history.trainee(trainee_id)
    work = history.work([info["id"]], since=since)
    contacts: list[ContactMistakes] = []
    for w in work:
        for i, f in enumerate(w.figures):
            kinds = mistake_kinds(f)
            if kinds is None:
                continue
            jid = w.journey_ids[i] if i < len(w.journey_ids) else None
            contacts.append(ContactMistakes(len(contacts), jid, kinds, w.at))
    journeys = _journeys()
    spots = rank_weak_spots(contacts, _kb(), rule, top=top, linked=journey_links(journeys))
    for s in spots:
        for j in s["journeys"]:
            j["title"] = _title(journeys.get(j["id"]))
    return {
        "schema": SCHEMA, "trainee": info, "rule": rule.to_json(),
        "contacts": len(contacts),
        "contacts_without_decisions": sum(len(w.figures) for w in work) - len(contacts),
        "weak_spots": spots, "plan": practice_plan(spots, journeys),
    }  # fmt: skip


def _title(journey: Any) -> dict[str, str]:
    if journey is None:
        return {}
    return {lang: journey.title[lang] for lang in ("zh-CN", "en")}


def _pick(text: Mapping[str, str] | None, lang: str) -> str:
    if not text:
        return ""
    return text.get(lang) or text.get("en") or next(iter(text.values()), "")


def render_weak_spots(doc: Mapping[str, Any], lang: str = "en") -> str:
    zh = lang == "zh-CN"
    t = doc["trainee"]
    rule = doc["rule"]
    lines = [
        (f"学员 {t['id']} 的薄弱点（{doc['contacts']} 通有逐步决策；重复规则：最近 {rule['window']} 通内 "
         f"{rule['times']} 次）") if zh else
        (f"weak spots of trainee {t['id']} ({doc['contacts']} contacts with decisions; repeated: "
         f"{rule['times']} times within the last {rule['window']} contacts)"),
    ]  # fmt: skip
    if not doc["weak_spots"]:
        lines.append("没有失误记录" if zh else "no mistakes recorded")
    for n, s in enumerate(doc["weak_spots"], start=1):
        state = (("正在重复" if zh else "repeated now") if s["repeated_now"] else
                 ("曾经重复" if zh else "repeated before") if s["ever_repeated"] else
                 ("未重复" if zh else "not repeated"))  # fmt: skip
        dims = (
            "、".join(rubric_label(d, lang) for d in s["rubric"])
            if zh
            else ", ".join(rubric_label(d, lang) for d in s["rubric"])
        )
        lines.append(
            f"{n}. {_pick(s['label'], lang)} — "
            + (
                f"{s['count']} 次，{s['contacts']} 通；最近 {s['recent']} 次；{state}；评分维度：{dims}"
                if zh
                else f"{s['count']} times in {s['contacts']} contacts; {s['recent']} recently; "
                f"{state}; rubric: {dims}"
            )
        )
        where = ", ".join(_pick(j.get("title"), lang) or j["id"] for j in s["journeys"][:3])
        if where:
            lines.append(f"   {'出现在' if zh else 'in'}: {where}")
        for e in s["pack"]:
            lines.append(f"   {_pick(e['label'], lang)}: {entry_title(e, lang)}")
    if doc["plan"]:
        lines += ["", "练习计划（接下来重练）" if zh else "practice plan (replay next)"]
        for p in doc["plan"]:
            trains = ("、" if zh else ", ").join(_pick(k["label"], lang) for k in p["trains"])
            why = ({"repeat": "曾在此出错", "practice": "同类练习"} if zh else
                   {"repeat": "made it here", "practice": "same mistake on offer"})[p["why"]]  # fmt: skip
            lines.append(f"{p['priority']}. {_pick(p['title'], lang)} — {trains} ({why})")
    return "\n".join(lines)


WORDS = {
    "title": {"zh-CN": "个人练习计划", "en": "Personal practice plan"},
    "spots": {"zh-CN": "薄弱点与学习包", "en": "Weak spots and learning packs"},
    "plan": {"zh-CN": "接下来重练的旅程", "en": "Journeys to replay next"},
    "times": {"zh-CN": "次", "en": "times"},
    "contacts": {"zh-CN": "通", "en": "contacts"},
    "repeated_now": {"zh-CN": "正在重复", "en": "repeated now"},
    "trains": {"zh-CN": "练什么", "en": "Trains"},
    "journey": {"zh-CN": "旅程", "en": "Journey"},
    "priority": {"zh-CN": "优先级", "en": "Priority"},
    "repeat": {"zh-CN": "曾在此出错", "en": "made the mistake here"},
    "practice": {"zh-CN": "同类失误的练习", "en": "the same mistake is on offer"},
    "none": {"zh-CN": "没有失误记录。", "en": "No mistakes recorded."},
}


def plan_html(doc: Mapping[str, Any], lang: str = "en") -> str:
    """The weak spots and practice plan as one self-contained HTML page (no raw ids)."""
    from sandbox.report import embedded_font_css
    from sandbox.server.effect_html import CSS

    def w(key: str) -> str:
        return WORDS[key][lang]

    e = html.escape
    sep = "、" if lang == "zh-CN" else ", "
    t = doc["trainee"]
    who = t["id"] + (f" ({t['name']})" if t.get("name") else "")
    parts = [f"<header><h1>{w('title')}</h1><div>{e(who)}</div></header><main>",
             f"<section><h2>{w('spots')}</h2>"]  # fmt: skip
    if not doc["weak_spots"]:
        parts.append(f"<p>{w('none')}</p>")
    for n, s in enumerate(doc["weak_spots"], start=1):
        flag = f" · <b class=regressed>{w('repeated_now')}</b>" if s["repeated_now"] else ""
        parts.append(f"<h3>{n}. {e(_pick(s['label'], lang))}</h3><p class=small>{s['count']} "
                     f"{w('times')} · {s['contacts']} {w('contacts')}{flag}</p><ul>")  # fmt: skip
        for entry in s["pack"]:
            parts.append(f"<li><b>{e(_pick(entry['label'], lang))}</b> · "
                         f"{e(entry_title(entry, lang))}<br><span class=small>"
                         f"{e(_pick(entry['body'], lang))}</span></li>")  # fmt: skip
        parts.append("</ul>")
    parts.append("</section>")
    if doc["plan"]:
        rows = "".join(
            f"<tr><td class=num>{p['priority']}</td><td>{e(_pick(p['title'], lang))}</td>"
            f"<td>{e(sep.join(_pick(k['label'], lang) for k in p['trains']))}</td>"
            f"<td class=small>{w(p['why'])}</td></tr>"
            for p in doc["plan"]
        )
        parts.append(f"<section><h2>{w('plan')}</h2><table><tr><th>{w('priority')}</th>"
                     f"<th>{w('journey')}</th><th>{w('trains')}</th><th></th></tr>{rows}"
                     "</table></section>")  # fmt: skip
    parts.append("</main>")
    body = "".join(parts)
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{w("title")}'
            f"</title><style>{embedded_font_css(body)}{CSS}</style></head><body>{body}</body>"
            "</html>")  # fmt: skip
