"""Effect reports: did a trainee (or a cohort) get better, on comparable work? (issue 16)

A *baseline* is compared with *later* work on comparable forms — the same form (same customers
under the same rules: `history.form_key`) or forms declared equivalent by the bots
(`sandbox.server.equivalence`, `History.form_classes`) — never across other forms:

- `baseline="first"` (default): per form the trainee worked on at least twice, the first
  piece of work on it is the baseline and the last one is "now";
- `baseline_until=T`: work before T is the baseline, work from T on is "now", on the forms
  worked on in both periods.

Each figure (FCR, predicted CSAT, AHT, risk points and points by type, cross-sell, the rubric
and each of its dimensions) is the mean over contacts; its change is now minus baseline, with
a 95% percentile-bootstrap interval (`sandbox.bootstrap`) and the number of contacts behind
each side. Where the baseline and "now" are the same form (one piece of work each), the
same customer (contact id) on both sides is a *pair* and pairs are resampled together (a paired
bootstrap over the customers); every other contact is resampled with replacement within its
side, independently. Each figure says which (`sampling`: paired, independent or mixed). A change is
`improved` or `regressed` only when its interval excludes zero, in the figure's good direction;
`too little data` when either side has fewer than `MIN_CONTACTS` contacts with the figure.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from journeys.vocabulary import RISK_TYPES, RUBRIC
from sandbox.bootstrap import percentile_interval, resample_indices
from sandbox.server.history import History, Work

SCHEMA = "shapan.effect-report/1"
MIN_CONTACTS = 5
RESAMPLES = 2000
IMPROVED, REGRESSED, UNCLEAR, TOO_LITTLE = (
    "improved",
    "regressed",
    "no clear change",
    "too little data",
)
#: the figure a trainee's verdict in the cohort table follows (overridable)
PRIMARY = "rubric"


@dataclass(frozen=True)
class CostModel:
    """What a contact costs or earns, in `currency` (a documented, configurable model; the
    defaults are illustrative — set your centre's own with `--costs FILE`). A contact's net
    cost: `repeat_contact` unless resolved first time, `escalation` if escalated,
    `compliance_breach` if it carried any compliance-breach risk, minus `cross_sell_value`
    per accepted cross-sell. Contacts whose figures cannot tell these are left out."""

    repeat_contact: float = 25.0
    escalation: float = 60.0
    compliance_breach: float = 500.0
    cross_sell_value: float = 40.0
    currency: str = "CNY"
    #: for cost recovery (the effect matrix): contacts a trainee handles in a month, and what
    #: the training cost per trainee (0: not given, no payback time is computed)
    contacts_per_month: float = 1000.0
    training_cost: float = 0.0

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> CostModel:
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(doc) - known)
        if unknown:
            raise ValueError(f"unknown cost model keys {unknown}; known: {sorted(known)}")
        values: dict[str, Any] = {}
        for k, v in doc.items():
            if k == "currency":
                values[k] = str(v)
            elif isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ValueError(f"cost model {k!r} must be a number, not {v!r}")
            else:
                values[k] = float(v)
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def cost(self, f: Mapping[str, float]) -> float | None:
        if "fcr" not in f or "risk.compliance_breach" not in f:
            return None
        return ((1.0 - f["fcr"]) * self.repeat_contact + f.get("escalated", 0.0) * self.escalation
                + (f["risk.compliance_breach"] > 0) * self.compliance_breach
                - f.get("cross_sell", 0.0) * self.cross_sell_value)  # fmt: skip


DEFAULT_COSTS = CostModel()


def priced(figures: Sequence[Mapping[str, float]], costs: CostModel
           ) -> list[Mapping[str, float]]:  # fmt: skip
    """The figures with each contact's net `cost` under `costs` (where it can be told)."""
    out: list[Mapping[str, float]] = []
    for f in figures:
        c = costs.cost(f)
        out.append(f if c is None else {**f, "cost": c})
    return out


@dataclass(frozen=True)
class Metric:
    key: str
    en: str
    zh: str
    better: int  # +1: higher is better; -1: lower is better


def metrics() -> tuple[Metric, ...]:
    """Every figure of the report, in order."""
    out = [
        Metric("fcr", "first-contact resolution", "首次解决率", +1),
        Metric("csat", "CSAT (predicted, 1-5)", "满意度（预测，1-5）", +1),
        Metric("aht", "AHT (s)", "平均处理时长（秒）", -1),
        Metric("risk_points", "risk points", "风险分", -1),
    ]
    out += [Metric(f"risk.{k}", f"risk: {v.get('en', k)}", f"风险：{v.get('zh-CN', k)}", -1)
            for k, v in RISK_TYPES.items()]  # fmt: skip
    out.append(Metric("escalated", "escalations", "升级投诉", -1))
    out.append(Metric("mistakes", "mistakes per contact", "每通失误数", -1))
    out.append(Metric("cross_sell", "cross-sell accepted", "交叉销售成交", +1))
    out.append(Metric("cost", "net cost per contact (cost model)", "每通净成本（成本模型）", -1))
    out.append(Metric("rubric", "rubric score", "评分表总分", +1))
    out += [Metric(f"rubric.{k}", f"rubric: {v.get('en', k)}", f"评分表：{v.get('zh-CN', k)}", +1)
            for k, v in RUBRIC.items()]  # fmt: skip
    return tuple(out)


def _column(figures: Sequence[Mapping[str, float]], key: str) -> np.ndarray:
    return np.array([float(f[key]) if key in f else math.nan for f in figures], dtype=np.float64)


def _boot_means(col: np.ndarray, idx: np.ndarray) -> np.ndarray:
    present = ~np.isnan(col)
    weights = present[idx].sum(axis=1).astype(np.float64)
    sums = np.where(present, col, 0.0)[idx].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(sums / weights, dtype=np.float64)


PAIRED, INDEPENDENT, MIXED = "paired", "independent", "mixed"


def _sampling(n_pairs: int, n_unpaired: int) -> str:
    if n_pairs and n_unpaired:
        return MIXED
    return PAIRED if n_pairs else INDEPENDENT


def _side(col: np.ndarray, paired: list[int], single: list[int], idx_p: np.ndarray | None,
          idx_s: np.ndarray | None) -> np.ndarray:  # fmt: skip
    """The bootstrap means of one side: its paired contacts drawn with the pairs' indices,
    the others with the side's own."""
    parts = []
    if idx_p is not None:
        parts.append(col[np.asarray(paired, dtype=np.int64)][idx_p])
    if idx_s is not None:
        parts.append(col[np.asarray(single, dtype=np.int64)][idx_s])
    draws = np.concatenate(parts, axis=1)
    present = ~np.isnan(draws)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(present, draws, 0.0).sum(axis=1) / present.sum(axis=1),
                          dtype=np.float64)  # fmt: skip


def compare(base: Sequence[Mapping[str, float]], now: Sequence[Mapping[str, float]], *,
            seed: int = 0, resamples: int = RESAMPLES, min_contacts: int = MIN_CONTACTS,
            costs: CostModel = DEFAULT_COSTS,
            pairs: Sequence[tuple[int, int]] = ()) -> list[dict[str, Any]]:  # fmt: skip
    """Per figure: baseline and now (mean, contacts), the change and its 95% interval.
    `pairs`: (baseline index, now index) of the same customer on the same form — resampled
    together; the other contacts are resampled within their side."""
    base, now = priced(base, costs), priced(now, costs)
    out: list[dict[str, Any]] = []
    pb, pn = [i for i, _ in pairs], [j for _, j in pairs]
    taken_b, taken_n = set(pb), set(pn)
    sb = [i for i in range(len(base)) if i not in taken_b]
    sn = [j for j in range(len(now)) if j not in taken_n]
    idx_p = resample_indices(len(pairs), seed + 2, resamples) if pairs else None
    idx_b = resample_indices(len(sb), seed, resamples) if sb else None
    idx_n = resample_indices(len(sn), seed + 1, resamples) if sn else None
    for m in metrics():
        cb, cn = _column(base, m.key), _column(now, m.key)
        nb, nn = int((~np.isnan(cb)).sum()), int((~np.isnan(cn)).sum())
        n_pairs = sum(1 for i, j in pairs if not (math.isnan(cb[i]) or math.isnan(cn[j])))
        row: dict[str, Any] = {"key": m.key, "en": m.en, "zh-CN": m.zh, "better": m.better,
                               "n_baseline": nb, "n_now": nn, "baseline": None, "now": None,
                               "delta": None, "low": None, "high": None, "n_pairs": n_pairs,
                               "sampling": _sampling(n_pairs, nb + nn - 2 * n_pairs)}  # fmt: skip
        if nb:
            row["baseline"] = round(float(np.nanmean(cb)), 6)
        if nn:
            row["now"] = round(float(np.nanmean(cn)), 6)
        if nb and nn:
            row["delta"] = round(row["now"] - row["baseline"], 6)
        if nb < min_contacts or nn < min_contacts:
            row["verdict"] = TOO_LITTLE
            out.append(row)
            continue
        diffs = _side(cn, pn, sn, idx_p, idx_n) - _side(cb, pb, sb, idx_p, idx_b)
        diffs = diffs[~np.isnan(diffs)]
        lo, hi = percentile_interval(diffs)
        row["low"], row["high"] = round(lo, 6), round(hi, 6)
        if lo > 0 or hi < 0:
            row["verdict"] = IMPROVED if (lo > 0) == (m.better > 0) else REGRESSED
        else:
            row["verdict"] = UNCLEAR
        out.append(row)
    return out


def split(work: Sequence[Work], baseline_until: float | None = None,
          classes: Mapping[str, str] | None = None,
          ) -> tuple[list[Work], list[Work], list[Work]]:  # fmt: skip
    """(baseline, now, left out) of one trainee's work, oldest first (see the module doc);
    `classes` joins equivalent forms ({form key: class})."""
    by_form: dict[str, list[Work]] = {}
    for w in sorted(work, key=lambda w: (w.at, w.pk)):
        by_form.setdefault((classes or {}).get(w.form_key, w.form_key), []).append(w)
    base: list[Work] = []
    now: list[Work] = []
    left: list[Work] = []
    for items in by_form.values():
        if baseline_until is None:
            if len(items) < 2:
                left += items
                continue
            base.append(items[0])
            now.append(items[-1])
            left += items[1:-1]
        else:
            before = [w for w in items if w.at < baseline_until]
            after = [w for w in items if w.at >= baseline_until]
            if before and after:
                base += before
                now += after
            else:
                left += items
    return base, now, left


def _figures(work: Iterable[Work]) -> list[Mapping[str, float]]:
    return [f for w in work for f in w.figures]


def pairs_of(base: Sequence[Work], now: Sequence[Work]) -> list[tuple[int, int]]:
    """The same customers on both sides: per form key with exactly one piece of work in the
    baseline and one in "now", the contacts with the same contact id, as (baseline index,
    now index) into `_figures(base)` / `_figures(now)`."""

    def where(works: Sequence[Work]) -> dict[str, list[tuple[Work, int]]]:
        out: dict[str, list[tuple[Work, int]]] = {}
        offset = 0
        for w in works:
            out.setdefault(w.form_key, []).append((w, offset))
            offset += len(w.figures)
        return out

    wb, wn = where(base), where(now)
    pairs: list[tuple[int, int]] = []
    for key, items in wb.items():
        other = wn.get(key, [])
        if len(items) != 1 or len(other) != 1:
            continue
        (b, ob), (n, on) = items[0], other[0]
        if len(b.contact_ids) != len(b.figures) or len(n.contact_ids) != len(n.figures):
            continue
        at_now = {cid: j for j, cid in enumerate(n.contact_ids)}
        pairs += [(ob + i, on + at_now[cid]) for i, cid in enumerate(b.contact_ids)
                  if cid in at_now]  # fmt: skip
    return pairs


def sampling_summary(figures: Sequence[Mapping[str, Any]], pairs: int, n_base: int,
                     n_now: int) -> dict[str, Any]:  # fmt: skip
    """How the intervals were drawn, in words (the report says which)."""
    mode = _sampling(pairs, n_base + n_now - 2 * pairs)
    text = {
        PAIRED: (
            "paired bootstrap: the same customers before and after, resampled together",
            "配对自助法：前后是同一批客户，成对重抽样",
        ),
        INDEPENDENT: (
            "independent bootstrap: different customers before and after (equivalent "
            "forms or repeated work), each side resampled on its own",
            "独立自助法：前后客户不同（等值卷面或多次练习），两侧各自重抽样",
        ),
        MIXED: (
            f"mixed: {pairs} customers met before and after resampled as pairs, the other "
            "contacts within their side",
            f"混合：{pairs} 位前后相同的客户成对重抽样，其余通话在各自一侧重抽样",
        ),
    }[mode]
    return {"mode": mode, "pairs": pairs, "unpaired_baseline": n_base - pairs,
            "unpaired_now": n_now - pairs, "en": text[0], "zh-CN": text[1]}  # fmt: skip


def _summary(w: Work) -> dict[str, Any]:
    return w.to_json()


#: the figures the trend lines follow
TREND_KEYS = ("fcr", "csat", "aht", "risk_points", "cross_sell", "rubric")


def _means(figures: Sequence[Mapping[str, float]]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key in TREND_KEYS:
        vals = [f[key] for f in figures if key in f]
        out[key] = round(sum(vals) / len(vals), 6) if vals else None
    return out


def trend(work: Sequence[Work], *, by_day: bool = False) -> list[dict[str, Any]]:
    """The trend lines' points: per piece of work (or per UTC day, pooled), oldest first."""
    if not by_day:
        return [{"at": w.at, "date": w.to_json()["date"], "label": w.form_label, "kind": w.kind,
                 "contacts": len(w.figures), "means": _means(w.figures)} for w in work]  # fmt: skip
    days: dict[str, list[Work]] = {}
    for w in work:
        days.setdefault(time.strftime("%Y-%m-%d", time.gmtime(w.at)), []).append(w)
    return [{"at": min(w.at for w in ws), "date": day, "label": day, "kind": "day",
             "contacts": sum(len(w.figures) for w in ws), "means": _means(_figures(ws))}
            for day, ws in sorted(days.items())]  # fmt: skip


def trainee_report(history: History, trainee_id: str, *, baseline_until: float | None = None,
                   since: float | None = None, seed: int = 0,
                   costs: CostModel = DEFAULT_COSTS) -> dict[str, Any]:  # fmt: skip
    """The effect report of one trainee (JSON-able)."""
    info = history.trainee(trainee_id)
    work = history.work([info["id"]], since=since)
    classes = history.form_classes()
    base, now, left = split(work, baseline_until, classes)
    pairs = pairs_of(base, now)
    fb, fn = _figures(base), _figures(now)
    figures = compare(fb, fn, seed=seed, costs=costs, pairs=pairs)
    return {
        "schema": SCHEMA, "trainee": dict(info), "since": since, "cost_model": costs.to_json(),
        "baseline": {"mode": "first attempt per form" if baseline_until is None else "period",
                     "until": baseline_until, "work": [_summary(w) for w in base],
                     "contacts": sum(len(w.figures) for w in base)},
        "now": {"work": [_summary(w) for w in now], "contacts": sum(len(w.figures) for w in now)},
        "not_comparable": [_summary(w) for w in left],
        "equivalent_forms": _equivalent_used(base + now, classes),
        "sampling": sampling_summary(figures, len(pairs), len(fb), len(fn)),
        "figures": figures,
        "trend": trend(sorted(work, key=lambda w: (w.at, w.pk))),
    }  # fmt: skip


def _equivalent_used(work: Sequence[Work], classes: Mapping[str, str]) -> list[list[str]]:
    """The groups of different forms compared as one (declared equivalent), by label."""
    groups: dict[str, dict[str, str]] = {}
    for w in work:
        groups.setdefault(classes.get(w.form_key, w.form_key), {})[w.form_key] = w.form_label
    return [sorted(g.values()) for g in groups.values() if len(g) > 1]


def cohort_report(history: History, *, group: str | None = None, since: float | None = None,
                  baseline_until: float | None = None, primary: str = PRIMARY, seed: int = 0,
                  costs: CostModel = DEFAULT_COSTS) -> dict[str, Any]:  # fmt: skip
    """Every trainee of `group` (all when None): each one's verdict on `primary`, and the
    cohort's figures over the pooled baseline and now contacts."""
    from sandbox.server.effect_matrix import effect_matrix

    if primary not in {m.key for m in metrics()}:
        raise ValueError(f"unknown figure {primary!r}")
    people = history.trainees(group)
    work = history.work([p["id"] for p in people], since=since) if people else []
    mine: dict[str, list[Work]] = {}
    for w in work:
        mine.setdefault(w.trainee_id, []).append(w)
    rows = []
    pooled_base: list[Mapping[str, float]] = []
    pooled_now: list[Mapping[str, float]] = []
    pooled_pairs: list[tuple[int, int]] = []
    classes = history.form_classes()
    used: list[Work] = []
    for i, p in enumerate(people):
        base, now, _ = split(mine.get(p["id"], []), baseline_until, classes)
        used += base + now
        fb, fn = _figures(base), _figures(now)
        pairs = pairs_of(base, now)
        pooled_pairs += [(a + len(pooled_base), b + len(pooled_now)) for a, b in pairs]
        pooled_base += fb
        pooled_now += fn
        figs = compare(fb, fn, seed=seed + 2 * i, costs=costs, pairs=pairs)
        main = next(f for f in figs if f["key"] == primary)
        rows.append({"trainee": p["id"], "name": p["name"], "group": p["group"],
                     "n_baseline": main["n_baseline"], "n_now": main["n_now"],
                     "baseline": main["baseline"], "now": main["now"], "delta": main["delta"],
                     "low": main["low"], "high": main["high"], "verdict": main["verdict"],
                     "sampling": main["sampling"]})  # fmt: skip
    counts = {v: sum(r["verdict"] == v for r in rows) for v in (IMPROVED, REGRESSED, UNCLEAR,
                                                                  TOO_LITTLE)}  # fmt: skip
    pooled = compare(pooled_base, pooled_now, seed=seed, costs=costs, pairs=pooled_pairs)
    return {
        "schema": SCHEMA, "group": group, "since": since, "primary": primary,
        "cost_model": costs.to_json(),
        "baseline": {"mode": "first attempt per form" if baseline_until is None else "period",
                     "until": baseline_until, "contacts": len(pooled_base)},
        "now": {"contacts": len(pooled_now)},
        "trainees": rows, "counts": counts,
        "equivalent_forms": _equivalent_used(used, classes),
        "sampling": sampling_summary((), len(pooled_pairs), len(pooled_base), len(pooled_now)),
        "figures": pooled,
        "trend": trend(work, by_day=True),
        "matrix": effect_matrix(people, mine, pooled, costs, seed=seed),
    }  # fmt: skip


# -- text ------------------------------------------------------------------------------------
def _fmt(v: Any) -> str:
    return "-" if v is None else f"{float(v):.2f}"


def figures_table(figures: Sequence[Mapping[str, Any]], lang: str = "en") -> list[str]:
    zh = lang == "zh-CN"
    head = (f"{'指标':<28} {'基线':>8} {'(n)':>5} {'现在':>8} {'(n)':>5} {'变化':>8}  95% 区间{'':<9} 结论"
            if zh else
            f"{'figure':<28} {'baseline':>8} {'(n)':>5} {'now':>8} {'(n)':>5} {'change':>8}  "
            f"95% interval{'':<5} verdict")  # fmt: skip
    lines = [head]
    for f in figures:
        ci = "-" if f["low"] is None else f"[{f['low']:.2f}, {f['high']:.2f}]"
        name = f["zh-CN"] if zh else f["en"]
        lines.append(f"{name:<28} {_fmt(f['baseline']):>8} {f['n_baseline']:>5} "
                     f"{_fmt(f['now']):>8} {f['n_now']:>5} {_fmt(f['delta']):>8}  {ci:<17} "
                     f"{f['verdict']} ({f.get('sampling', INDEPENDENT)})")  # fmt: skip
    return lines


def _cost_line(doc: Mapping[str, Any]) -> str:
    c = doc["cost_model"]
    return (f"net cost per contact ({c['currency']}): {c['repeat_contact']:g} per repeat contact, "
            f"{c['escalation']:g} per escalation, {c['compliance_breach']:g} per compliance "
            f"breach, -{c['cross_sell_value']:g} per accepted cross-sell")  # fmt: skip


def render_trainee(doc: Mapping[str, Any], lang: str = "en") -> str:
    t = doc["trainee"]
    lines = [f"trainee {t['id']}" + (f" ({t['name']})" if t["name"] else "")
             + (f" · group {t['group']}" if t["group"] else ""),
             f"baseline: {doc['baseline']['mode']} · {len(doc['baseline']['work'])} piece(s) of "
             f"work, {doc['baseline']['contacts']} contacts; now: {len(doc['now']['work'])} "
             f"piece(s), {doc['now']['contacts']} contacts; not comparable: "
             f"{len(doc['not_comparable'])}", ""]  # fmt: skip
    return "\n".join(
        [
            *lines,
            *figures_table(doc["figures"], lang),
            _cost_line(doc),
            _sampling_line(doc, lang),
            *_equivalence_lines(doc),
        ]
    )


def render_cohort(doc: Mapping[str, Any], lang: str = "en") -> str:
    c = doc["counts"]
    lines = [f"cohort {doc['group'] or '(all trainees)'} · {len(doc['trainees'])} trainee(s) · "
             f"by {doc['primary']}: {c[IMPROVED]} improved, {c[REGRESSED]} regressed, "
             f"{c[UNCLEAR]} no clear change, {c[TOO_LITTLE]} too little data", "",
             f"{'trainee':<20} {'baseline':>8} {'(n)':>5} {'now':>8} {'(n)':>5} {'change':>8}  "
             f"{'95% interval':<17} verdict"]  # fmt: skip
    for r in doc["trainees"]:
        ci = "-" if r["low"] is None else f"[{r['low']:.2f}, {r['high']:.2f}]"
        lines.append(f"{r['trainee']:<20} {_fmt(r['baseline']):>8} {r['n_baseline']:>5} "
                     f"{_fmt(r['now']):>8} {r['n_now']:>5} {_fmt(r['delta']):>8}  {ci:<17} "
                     f"{r['verdict']}")  # fmt: skip
    lines += [
        "",
        "pooled over the cohort:",
        *figures_table(doc["figures"], lang),
        _cost_line(doc),
        _sampling_line(doc, lang),
        *_equivalence_lines(doc),
    ]
    if doc.get("matrix"):
        from sandbox.server.effect_matrix import render_matrix

        lines += ["", *render_matrix(doc["matrix"], lang)]
    return "\n".join(lines)


def _sampling_line(doc: Mapping[str, Any], lang: str) -> str:
    s = doc.get("sampling") or {}
    head = "区间抽样" if lang == "zh-CN" else "intervals"
    return f"{head}: {s.get(lang) or s.get('en', '')}"


def _equivalence_lines(doc: Mapping[str, Any]) -> list[str]:
    return [
        f"compared as one (shown equivalent by the bots): {' = '.join(g)}"
        for g in doc.get("equivalent_forms") or ()
    ]
