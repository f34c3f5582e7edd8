"""The effect matrix (issue 16): per cohort, the four measures the 2026 courseware asks of a
training, each with what the data can and cannot support.

- **Knowledge retention** — the repeated-mistake rate over time: a contact *repeats* a mistake
  when it holds a kind of mistake (`sandbox.weak_spots`) the trainee also made in one of their
  previous `window` contacts. Counted from each trainee's (window+1)-th contact with decisions
  on (earlier contacts cannot repeat a full window); the early half of those contacts against
  the late half, pooled over the cohort, the change with a 95% bootstrap interval.
- **Skill-transfer time** — days from a trainee's first practice to their first passed exam.
- **CSAT impact** — the change of the predicted CSAT on comparable work (the report's figure).
- **Cost recovery** — the saving per contact from the cost model (the report's `cost` change,
  sign turned), per trainee and month (`contacts_per_month`), and the months to pay back the
  training when `training_cost` is given.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sandbox.bootstrap import percentile_interval, resample_indices
from sandbox.server.history import Work, mistake_kinds
from sandbox.weak_spots import DEFAULT_RULE, RepeatRule

DAY = 86400.0
MIN_CONTACTS = 5


def _t(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh-CN": zh}


def repeat_flags(work: Sequence[Work], rule: RepeatRule = DEFAULT_RULE
                 ) -> list[tuple[float, int]]:  # fmt: skip
    """(time, 1 if it repeats a mistake else 0) of each counted contact of one trainee."""
    history: list[dict[str, int]] = []
    out: list[tuple[float, int]] = []
    for w in sorted(work, key=lambda w: (w.at, w.pk)):
        for f in w.figures:
            kinds = mistake_kinds(f)
            if kinds is None:
                continue
            if len(history) >= rule.window:
                before = history[-rule.window :]
                out.append((w.at, int(any(any(k in h for h in before) for k in kinds))))
            history.append(kinds)
    return out


def _rate_change(early: list[int], late: list[int], seed: int) -> dict[str, Any]:
    row: dict[str, Any] = {"early": None, "late": None, "n_early": len(early),
                           "n_late": len(late), "delta": None, "low": None, "high": None}  # fmt: skip
    if early:
        row["early"] = round(float(np.mean(early)), 6)
    if late:
        row["late"] = round(float(np.mean(late)), 6)
    if early and late:
        row["delta"] = round(row["late"] - row["early"], 6)
    if len(early) < MIN_CONTACTS or len(late) < MIN_CONTACTS:
        row["verdict"] = "too little data"
        return row
    e, la = np.asarray(early, dtype=np.float64), np.asarray(late, dtype=np.float64)
    diffs = (la[resample_indices(len(la), seed + 1, 2000)].mean(axis=1)
             - e[resample_indices(len(e), seed, 2000)].mean(axis=1))  # fmt: skip
    lo, hi = percentile_interval(diffs)
    row["low"], row["high"] = round(lo, 6), round(hi, 6)
    row["verdict"] = "improved" if hi < 0 else "regressed" if lo > 0 else "no clear change"
    return row


def retention(people: Sequence[Mapping[str, Any]], mine: Mapping[str, Sequence[Work]],
              rule: RepeatRule = DEFAULT_RULE, seed: int = 0) -> dict[str, Any]:  # fmt: skip
    early: list[int] = []
    late: list[int] = []
    by_period: dict[str, list[int]] = {}
    import time

    every = [repeat_flags(mine.get(p["id"], ()), rule) for p in people]
    times = [at for flags in every for at, _ in flags]
    # per day over a short history (three weeks or less), per ISO week over a longer one
    daily = bool(times) and max(times) - min(times) <= 21 * DAY
    for flags in every:
        half = len(flags) // 2
        early += [f for _, f in flags[:half]]
        late += [f for _, f in flags[half:]]
        for at, f in flags:
            key = time.strftime("%Y-%m-%d" if daily else "%G-W%V", time.gmtime(at))
            by_period.setdefault(key, []).append(f)
    row = _rate_change(early, late, seed)
    return {
        "measure": "retention", "title": _t("Knowledge retention", "知识保持"),
        "definition": _t(
            f"share of contacts repeating a kind of mistake made in the trainee's previous "
            f"{rule.window} contacts; early half vs late half of each trainee's contacts",
            f"重复失误率：与本人前 {rule.window} 通中同类失误重复的通话占比；每位学员前半段对比后半段"),
        **row,
        "series_by": "day" if daily else "week",
        "series": [{"period": k, "rate": round(sum(v) / len(v), 6), "contacts": len(v)}
                   for k, v in sorted(by_period.items())],
        "supports": _t(
            "whether the same mistakes come back less often as practice goes on, with an interval",
            "随练习推进，同类失误是否更少重复出现（附区间）"),
        "cannot": _t(
            "retention over months without practice (forgetting) unless the history spans that "
            "long; exam attempts keep no decisions and are not counted",
            "除非档案跨越数月，否则无法说明停练后的遗忘；考试记录不含逐步决策，不计入"),
    }  # fmt: skip


def transfer(people: Sequence[Mapping[str, Any]], mine: Mapping[str, Sequence[Work]]
             ) -> dict[str, Any]:  # fmt: skip
    rows = []
    for p in people:
        works = sorted(mine.get(p["id"], ()), key=lambda w: (w.at, w.pk))
        first = next((w for w in works if w.kind == "practice"), None)
        if first is None:
            continue
        passed = next((w for w in works if w.kind == "exam" and w.passed and w.at >= first.at),
                      None)  # fmt: skip
        last = works[-1].at
        rows.append({"trainee": p["id"], "first_practice": first.at,
                     "passed_at": None if passed is None else passed.at,
                     "days": None if passed is None else round((passed.at - first.at) / DAY, 2),
                     "days_so_far": None if passed else round((last - first.at) / DAY, 2)})  # fmt: skip
    days = [r["days"] for r in rows if r["days"] is not None]
    return {
        "measure": "transfer", "title": _t("Skill-transfer time", "技能转化时间"),
        "definition": _t("days from a trainee's first practice to their first passed exam",
                         "从首次练习到首次通过考试的天数"),
        "trainees": len(rows), "passed": len(days), "not_yet": len(rows) - len(days),
        "median_days": None if not days else round(float(statistics.median(days)), 2),
        "min_days": None if not days else min(days), "max_days": None if not days else max(days),
        "rows": rows,
        "verdict": "too little data" if not days else "measured",
        "supports": _t("how long it took the trainees who passed, in calendar days",
                       "已通过者用了多少个日历日"),
        "cannot": _t(
            "a cohort median while trainees have not passed yet (they are left out: the median "
            "understates the wait); hours of practice; the job itself (an exam is still a "
            "simulation)",
            "尚未通过的学员不计入中位数（因此中位数偏乐观）；不反映练习时长；考试仍是仿真，不等于真实岗位表现"),
    }  # fmt: skip


def _figure(figures: Sequence[Mapping[str, Any]], key: str) -> Mapping[str, Any]:
    return next(f for f in figures if f["key"] == key)


def csat_impact(figures: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    f = _figure(figures, "csat")
    return {
        "measure": "csat", "title": _t("CSAT impact", "满意度影响"),
        "definition": _t("change of the predicted CSAT (1-5) on comparable work, pooled",
                         "可比工作上预测满意度（1-5）的变化（合并）"),
        **{k: f[k] for k in ("baseline", "now", "n_baseline", "n_now", "delta", "low", "high",
                             "verdict", "sampling")},
        "supports": _t("how the customers of the same (or equivalent) forms would feel, per the "
                       "outcome model", "按结果模型，同一（或等值）卷面的客户感受如何变化"),
        "cannot": _t("real customers' surveys: CSAT here is the model's prediction from the "
                     "contact's features (docs/customer-model.md)",
                     "真实客户问卷：此处满意度是模型依据通话特征的预测"),
    }  # fmt: skip


def cost_recovery(figures: Sequence[Mapping[str, Any]], costs: Any, trainees: int
                  ) -> dict[str, Any]:  # fmt: skip
    f = _figure(figures, "cost")
    saving = None if f["delta"] is None else round(-f["delta"], 6)
    low = None if f["high"] is None else round(-f["high"], 6)
    high = None if f["low"] is None else round(-f["low"], 6)
    per_month = None if saving is None else round(saving * costs.contacts_per_month, 2)
    payback = None
    if costs.training_cost > 0 and saving is not None and saving > 0:
        payback = round(costs.training_cost / (saving * costs.contacts_per_month), 2)
    return {
        "measure": "cost", "title": _t("Cost recovery", "成本回收"),
        "definition": _t(
            f"saving per contact under the cost model ({costs.currency}), per trainee per month "
            f"at {costs.contacts_per_month:g} contacts, and months to pay back a training cost "
            f"of {costs.training_cost:g} per trainee",
            f"按成本模型每通节省（{costs.currency}），按每月 {costs.contacts_per_month:g} 通折算到每人每月，"
            f"以及收回每人 {costs.training_cost:g} 培训成本所需月数"),
        "currency": costs.currency, "saving_per_contact": saving, "low": low, "high": high,
        "n_baseline": f["n_baseline"], "n_now": f["n_now"], "verdict": f["verdict"],
        "sampling": f["sampling"], "per_trainee_month": per_month,
        "cohort_month": None if per_month is None else round(per_month * trainees, 2),
        "payback_months": payback, "training_cost": costs.training_cost,
        "supports": _t("what the change in repeat contacts, escalations, breaches and "
                       "cross-sell is worth under your cost model",
                       "在你的成本模型下，重复来电、升级、违规与交叉销售的变化值多少钱"),
        "cannot": _t("money actually saved: the prices are the model's (set your own with "
                     "--costs), and a saving whose interval includes 0 may be none at all",
                     "实际节省的金额：单价来自成本模型（用 --costs 设定），区间含 0 的节省可能并不存在"),
    }  # fmt: skip


def effect_matrix(people: Sequence[Mapping[str, Any]], mine: Mapping[str, Sequence[Work]],
                  figures: Sequence[Mapping[str, Any]], costs: Any, *, seed: int = 0,
                  rule: RepeatRule = DEFAULT_RULE) -> list[dict[str, Any]]:  # fmt: skip
    """The four measures of a cohort (JSON-able), in the courseware's order."""
    return [retention(people, mine, rule, seed), transfer(people, mine), csat_impact(figures),
            cost_recovery(figures, costs, len(people))]  # fmt: skip


def _num(v: Any, nd: int = 2) -> str:
    return "-" if v is None else f"{float(v):.{nd}f}"


def render_matrix(matrix: Sequence[Mapping[str, Any]], lang: str = "en") -> list[str]:
    """The matrix as terminal lines."""
    zh = lang == "zh-CN"
    out = ["效果矩阵（四项度量）" if zh else "effect matrix (the four measures)"]
    for m in matrix:
        title = m["title"][lang]
        if m["measure"] == "retention":
            ci = "-" if m["low"] is None else f"[{m['low']:.3f}, {m['high']:.3f}]"
            value = (
                f"repeated-mistake rate {_num(m['early'], 3)} (n={m['n_early']}) -> "
                f"{_num(m['late'], 3)} (n={m['n_late']}), change {_num(m['delta'], 3)} {ci}"
            )
        elif m["measure"] == "transfer" and m["median_days"] is None:
            value = f"{m['trainees']} trainee(s) with practice; none has passed an exam yet"
        elif m["measure"] == "transfer":
            value = (
                f"{m['passed']} of {m['trainees']} passed; median {_num(m['median_days'])} "
                f"days (range {_num(m['min_days'])}-{_num(m['max_days'])}); "
                f"{m['not_yet']} not yet"
            )
        elif m["measure"] == "csat":
            ci = "-" if m["low"] is None else f"[{m['low']:.2f}, {m['high']:.2f}]"
            value = (
                f"{_num(m['baseline'])} (n={m['n_baseline']}) -> {_num(m['now'])} "
                f"(n={m['n_now']}), change {_num(m['delta'])} {ci}, {m['sampling']}"
            )
        else:
            ci = "-" if m["low"] is None else f"[{m['low']:.2f}, {m['high']:.2f}]"
            value = (
                f"saving {_num(m['saving_per_contact'])} {m['currency']}/contact {ci}; "
                f"{_num(m['per_trainee_month'])} per trainee-month; payback "
                + (
                    f"{_num(m['payback_months'])} months"
                    if m["payback_months"] is not None
                    else "not computed (no training cost given, or no saving)"
                )
            )
        out.append(f"- {title}: {value} · {m['verdict']}")
        out.append(f"    {'可以说明' if zh else 'supports'}: {m['supports'][lang]}")
        out.append(f"    {'不能说明' if zh else 'cannot'}: {m['cannot'][lang]}")
    return out
