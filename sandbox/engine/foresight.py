"""The practice room's foresight: what one decision does to the customer's predicted outcome.

Why a look-ahead: the outcome models read a whole contact, and mid-contact a customer who was
just argued with may still end happy once the rest goes well. So a decision is judged the way
a coach would: "had you handled the rest by the book, the contact would end at ...". At a
decision the contact is forked (`ContactPlay.fork`: the *expected* customer, no noise, no
hang-up draws, the real contact untouched) and played to its end by the expert policy twice:
after the reply the trainee chose, and after the best reply on offer (the expert's). The
records of both endings, and of the contact as it stood just before and just after the reply,
are predicted by the same outcome models as at contact end, with the later cost of any breach
included (`customer_models.later`). That gives, for one decision:

- `now`: the change in predicted CSAT / churn / expected cross-sell had the contact ended just
  before vs just after the reply (what the customer feels at once);
- `later`: the cost still to come from the reply's breach (the chance of a repeat contact or
  complaint, its CSAT and churn, the risk points);
- `outcome`: the contact's predicted outcome (later cost included) if the rest goes by the book;
- `versus_best`: that outcome minus the outcome after the best reply (0 for the best reply).

Pure given its inputs: the same contact state and choice give the same numbers, and nothing is
drawn from the contact's streams, so switching the practice room on changes no customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from customer_models.later import SURFACES, blend, later_record, surfacing_probability
from journeys.policies import PolicyError, choose
from journeys.runtime import MAX_DECISIONS
from sandbox.columns import columns_from_records
from sandbox.engine.contact import ContactPlay
from sandbox.scoring import contact_risk_points

#: Behaviours that must never show a predicted CSAT gain at once (issue: the practice room).
NEVER_PLEASING: frozenset[str] = frozenset(
    {"argue", "blame_customer", "blame_system", "wrong_info", "interrupt", "scripted"}
)


#: Soothing behaviours that count for nothing when recited (a step tagged `scripted`).
HOLLOW_WHEN_SCRIPTED: tuple[str, ...] = ("apology", "empathy", "calm", "active_listening")


def practice_record(record: dict[str, Any], steps: Sequence[Any] | None = None) -> dict[str, Any]:
    """The record as the practice room's outcome reads it: a soothing behaviour said in a
    recited, robotic reply (a step also tagged `scripted`) is not counted — the customer can
    hear there is nothing behind it, while the models only count the words — and an apology
    that follows the agent's own mistake in this contact repairs that mistake rather than
    earning the complaint-apology credit of the models (a mistake plus a sorry never beats
    doing it right). `steps` are the
    contact's decisions (each with `behaviours`; default `record["decisions"]`)."""
    from journeys.policies import MISTAKE_BEHAVIOURS

    steps = record.get("decisions") if steps is None else steps
    hollow: dict[str, int] = {}
    owed = 0  # the agent's own mistakes so far that no apology has repaired yet
    for step in steps or ():
        tags = step.get("behaviours", ()) if isinstance(step, dict) else ()
        if "scripted" in tags:
            for tag in HOLLOW_WHEN_SCRIPTED:
                if tag in tags:
                    hollow[tag] = hollow.get(tag, 0) + 1
        elif "apology" in tags and owed > 0:
            # an apology for one's own mistake repairs it; it is not the apology for the
            # company's failure that the models credit
            hollow["apology"] = hollow.get("apology", 0) + 1
            owed -= 1
        owed += sum(1 for t in tags if t in MISTAKE_BEHAVIOURS)
    if not hollow:
        return record
    out = dict(record)
    for tag, n in hollow.items():
        out[f"beh_{tag}"] = max(0, int(out.get(f"beh_{tag}") or 0) - n)
    return out


def predict_outcomes(
    records: Sequence[dict[str, Any]], models: Any = None
) -> list[dict[str, float]]:
    """Each record's predicted outcome as the practice room reads it (`practice_record`) with
    the later cost of its breaches included: `{csat, churn, cross_sell, csat_now, churn_now,
    repeat, risk_points}` (`cross_sell` is the expected accepted sale: the acceptance
    probability if an offer was made, else 0)."""
    if not records:
        return []
    records = [practice_record(r) for r in records]
    from customer_models.features import encode_columns
    from sandbox.engine.recorder import load_models, single_threaded

    models = models or load_models()
    ps = [surfacing_probability(r) for r in records]
    rows = list(records) + [later_record(r) for r, p in zip(records, ps, strict=True) if p > 0]
    with single_threaded():
        pred = models.predict(encode_columns(columns_from_records(rows)))
    csat = np.asarray(pred.csat_mean, dtype=float)
    churn = np.asarray(pred.churn, dtype=float)
    xsell = np.asarray(pred.cross_sell, dtype=float)
    out: list[dict[str, float]] = []
    j = len(records)
    for i, (r, p) in enumerate(zip(records, ps, strict=True)):
        c_now, ch_now = float(csat[i]), float(churn[i])
        c, ch = c_now, ch_now
        if p > 0:
            c, ch = blend(c_now, float(csat[j]), p), blend(ch_now, float(churn[j]), p)
            j += 1
        offered = bool(r.get("cross_sell_offered"))
        out.append({
            "csat": c, "churn": ch, "cross_sell": float(xsell[i]) if offered else 0.0,
            "csat_now": c_now, "churn_now": ch_now, "repeat": p,
            "risk_points": float(r.get("risk_points") or 0),
        })  # fmt: skip
    return out


def provisional(play: ContactPlay) -> dict[str, Any]:
    """The contact's record as if it ended now (an unfinished contact is unresolved)."""
    rec = _with_steps(play)
    if not play.finished:
        rec["outcome"] = "unresolved"
        rec["resolved"] = rec["fcr"] = 0
    return rec


def by_the_book(play: ContactPlay) -> dict[str, Any]:
    """The record of `play` (a fork) finished by the expert policy."""
    for _ in range(MAX_DECISIONS):
        if play.finished:
            break
        if not play.choices():
            play.end("unresolved")
            break
        try:
            play.act(choose("expert", play.run, None), 0.0)
        except PolicyError:
            play.end("unresolved")
            break
    if not play.finished:
        play.end("unresolved")
    return _with_steps(play)


def _with_steps(play: ContactPlay) -> dict[str, Any]:
    rec = play.record()
    rec["decisions"] = [{"behaviours": list(d["behaviours"])} for d in play.decisions]
    return rec


#: Seeds of the random routes a look-ahead averages over (the same for every reply compared,
#: so two replies meet the same routes: common random numbers).
LOOKAHEAD_SEEDS: tuple[int, ...] = tuple(range(8))


def expected_ending(play: ContactPlay) -> list[dict[str, Any]]:
    """Records of `play` finished by the book, one per look-ahead route seed."""
    return [by_the_book(play.fork(branch_seed=s)) for s in LOOKAHEAD_SEEDS]


def mean_outcome(outcomes: Sequence[dict[str, float]]) -> dict[str, float]:
    """The average of several predicted outcomes (field by field)."""
    return {k: sum(o[k] for o in outcomes) / len(outcomes) for k in outcomes[0]}


def best_choice(play: ContactPlay) -> str | None:
    """The best reply on offer (the expert policy's), or None when nothing is on offer."""
    try:
        return choose("expert", play.run, None)
    except PolicyError:
        return None


def decision_effect(before: ContactPlay, choice_id: str, models: Any = None) -> dict[str, Any]:
    """The effect of taking `choice_id` on the contact `before` (the contact at the decision,
    not yet changed): see the module doc. `before` is not touched."""
    best = best_choice(before)
    start = before.fork()
    after = before.fork()
    after.act(choice_id, 0.0)
    n = len(LOOKAHEAD_SEEDS)
    records = [provisional(start), provisional(after), *expected_ending(after)]
    if best is not None and best != choice_id:
        book = before.fork()
        book.act(best, 0.0)
        records.extend(expected_ending(book))
    o = predict_outcomes(records, models)
    now0, now1 = o[0], o[1]
    mine = mean_outcome(o[2 : 2 + n])
    book_o = mean_outcome(o[2 + n :]) if len(o) > 2 + n else mine
    step = after.decisions[-1] if after.decisions else {}
    risks = [str(r) for r in step.get("risks", ())]
    step_points = (
        float(contact_risk_points({r: risks.count(r) for r in set(risks)})) if risks else 0.0
    )
    repeat = 1.0 - np.prod([1.0 - SURFACES[r].probability for r in risks if r in SURFACES])
    later_csat = now1["csat"] - now1["csat_now"]
    later_churn = now1["churn"] - now1["churn_now"]
    effect: dict[str, Any] = {
        "now": _figures(
            now1["csat_now"] - now0["csat_now"],
            now1["churn_now"] - now0["churn_now"],
            now1["cross_sell"] - now0["cross_sell"],
        ),
        "later": {
            "repeat_contact": round(float(repeat), 6),
            "csat": round(later_csat, 6) if risks else 0.0,
            "churn": round(later_churn, 6) if risks else 0.0,
            "risk_points": step_points,
            "risks": risks,
        },
        "outcome": _figures(mine["csat"], mine["churn"], mine["cross_sell"]),
        "versus_best": _figures(
            mine["csat"] - book_o["csat"],
            mine["churn"] - book_o["churn"],
            mine["cross_sell"] - book_o["cross_sell"],
        ),
        "best": best is None or best == choice_id,
    }
    behaviours = set(step.get("behaviours", ()))
    effect["contact_risk_points"] = int(records[1].get("risk_points") or 0)
    effect["rubric"] = step_rubric(step)
    effect["contact_rubric"] = contact_rubric(after)
    effect["capped"] = bool(behaviours & NEVER_PLEASING) and effect["now"]["csat"] > 0
    if effect["capped"]:
        # The models count the words (a recited apology still counts as an apology); the
        # practice room's rule is that a harmful reply never reads as a gain at once.
        effect["now"]["csat"] = 0.0
    effect["reason"] = reason(effect, behaviours)
    return effect


def _figures(csat: float, churn: float, cross_sell: float) -> dict[str, float]:
    return {"csat": round(float(csat), 6), "churn": round(float(churn), 6),
            "cross_sell": round(float(cross_sell), 6)}  # fmt: skip


def reason(effect: dict[str, Any], behaviours: set[str]) -> dict[str, str]:
    """The effect in words, both languages (no ids)."""
    from journeys.vocabulary import BEHAVIOURS, RISK_TYPES

    vs = effect["versus_best"]["csat"]
    later = effect["later"]
    out: dict[str, str] = {}
    for lang in ("zh-CN", "en"):
        zh = lang == "zh-CN"
        parts: list[str] = []
        if effect["best"] or vs >= -0.0005:
            parts.append("这是此处的最佳回应" if zh else "the best reply on offer here")
        else:
            parts.append(
                f"比最佳回应的预计结局低 {-vs:.2f} 分满意度"
                if zh
                else f"the contact is predicted to end {-vs:.2f} CSAT below the best reply"
            )
        if later["risks"]:
            names = ("、" if zh else ", ").join(
                RISK_TYPES[r][lang] if r in RISK_TYPES else r.replace("_", " ")
                for r in later["risks"]
            )
            how = SURFACES[later["risks"][0]].label[lang] if later["risks"][0] in SURFACES else ""
            parts.append(
                f"风险：{names}（{later['repeat_contact']:.0%} 可能{how}）"
                if zh
                else f"risk: {names} ({later['repeat_contact']:.0%} chance {how})"
            )
        bad = sorted(b for b in behaviours if b in NEVER_PLEASING)
        if bad:
            names = ("、" if zh else ", ").join(
                BEHAVIOURS[b].label(lang) for b in bad if b in BEHAVIOURS
            )
            parts.append(f"不当行为：{names}" if zh else f"harmful: {names}")
        out[lang] = ("；" if zh else "; ").join(parts)
    return out


def step_rubric(step: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """How one decision moves each rubric dimension, with the reason in words:
    `{dim: {"direction": +1 | -1, "reason": {zh-CN, en}}}` for the dimensions it touches."""
    from journeys.vocabulary import BEHAVIOURS, RISK_TYPES
    from sandbox.scoring import RISK_DIMENSIONS

    ups: dict[str, list[tuple[str, str]]] = {}
    downs: dict[str, list[tuple[str, str]]] = {}
    for tag in step.get("behaviours", ()):
        b = BEHAVIOURS.get(tag)
        if b is None:
            continue
        for dim, direction in b.rubric:
            (ups if direction > 0 else downs).setdefault(dim, []).append(
                (b.label("zh-CN"), b.label("en"))
            )
    for risk in step.get("risks", ()):
        label = RISK_TYPES.get(risk, {"zh-CN": risk, "en": risk})
        for dim in RISK_DIMENSIONS.get(risk, ()):
            downs.setdefault(dim, []).append((label["zh-CN"], label["en"]))
    for ev in step.get("triggers", ()):
        status = ev.get("status") if isinstance(ev, dict) else getattr(ev, "status", None)
        if status in ("satisfied", "missed"):
            words = ("完成触发规则的必需步骤", "did the triggered rule's required steps")
            if status == "missed":
                words = ("漏掉触发规则的必需步骤", "missed the triggered rule's required steps")
            (ups if status == "satisfied" else downs).setdefault("soothing", []).append(words)
    out: dict[str, dict[str, Any]] = {}
    for dim in sorted(set(ups) | set(downs)):
        up, down = ups.get(dim, []), downs.get(dim, [])
        direction = 1 if len(up) > len(down) else -1 if len(down) > len(up) else 0
        zh = "；".join(
            part for part in (
                ("加分：" + "、".join(dict.fromkeys(z for z, _ in up))) if up else "",
                ("扣分：" + "、".join(dict.fromkeys(z for z, _ in down))) if down else "",
            ) if part
        )  # fmt: skip
        en = "; ".join(
            part for part in (
                ("up for " + ", ".join(dict.fromkeys(e for _, e in up))) if up else "",
                ("down for " + ", ".join(dict.fromkeys(e for _, e in down))) if down else "",
            ) if part
        )  # fmt: skip
        out[dim] = {"direction": direction, "reason": {"zh-CN": zh, "en": en}}
    return out


def contact_rubric(play: ContactPlay) -> dict[str, float | None]:
    """The contact's rubric so far (0..100 per dimension), None for a dimension with no
    evidence yet (no decision, risk or rule has touched it): "no data", never a number."""
    from journeys.vocabulary import RUBRIC

    rec = play.record()
    seen: set[str] = {"efficiency"} if play.decisions else set()
    for step in play.decisions:
        seen.update(step_rubric(step))
    rubric = rec.get("rubric") or {}
    return {dim: (rubric.get(dim) if dim in seen else None) for dim in RUBRIC}
