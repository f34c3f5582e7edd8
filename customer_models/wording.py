"""Plain-language descriptions of explanation factors, in zh-CN and en.

Each factor of `features.FACTORS` is described from the contact's raw record
("waited 4 min 10 s", "no apology after a complaint"); `None` means the factor says nothing
worth showing for this contact.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from customer_models.features import BEHAVIOUR_LABELS, RISK_LABELS
from customer_models.personas import label as persona_label

_CHANNEL = {"phone": ("电话", "phone"), "chat": ("在线聊天", "chat"), "email": ("邮件", "email")}
_KIND = {
    "complaint": ("投诉", "complaint"),
    "inquiry": ("咨询", "inquiry"),
    "sales": ("销售", "sales"),
}
_FIT = {1: ("低", "low"), 2: ("中", "medium"), 3: ("高", "high")}


def duration(seconds: float, lang: str) -> str:
    """'4 min 10 s' / '4 分 10 秒' (hours for long waits, e.g. email)."""
    s = round(max(0.0, float(seconds)))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if lang == "zh-CN":
        if h:
            return f"{h} 小时 {m} 分"
        return f"{m} 分 {sec} 秒" if m else f"{sec} 秒"
    if h:
        return f"{h} h {m} min"
    return f"{m} min {sec} s" if m else f"{sec} s"


def _n(value: Any) -> int:
    return round(float(value))


def describe(factor: str, rec: Mapping[str, Any], lang: str) -> str | None:
    """One factor of one contact in words."""
    zh = lang == "zh-CN"

    def t(zh_text: str, en_text: str) -> str:
        return zh_text if zh else en_text

    if factor.startswith("beh_"):
        tag = factor[4:]
        lz, le = BEHAVIOUR_LABELS[tag]
        n = _n(rec[factor])
        if n == 0:
            return t(f"没有「{lz}」", f"no {le}")
        return t(f"「{lz}」{n} 次", f"{le} ×{n}")
    if factor.startswith("risk_"):
        risk = factor[5:]
        lz, le = RISK_LABELS[risk]
        n = _n(rec[factor])
        if n == 0:
            return t(f"无{lz}风险", f"no {le} risk")
        return t(f"{lz}风险 {n} 次", f"{le} risk ×{n}")
    if factor == "channel":
        z, e = _CHANNEL[rec["channel"]]
        return t(f"渠道：{z}", f"{e} contact")
    if factor == "kind":
        z, e = _KIND[rec["kind"]]
        return t(f"{z}类来电", f"{e} contact")
    if factor == "wait":
        return t(
            f"排队等待 {duration(rec['wait_s'], lang)}", f"waited {duration(rec['wait_s'], lang)}"
        )
    if factor == "handle":
        d = duration(rec["handle_s"], lang)
        return t(f"处理时长 {d}", f"handled in {d}")
    if factor == "holds":
        n = _n(rec["holds"])
        if n == 0:
            return t("未让客户保持等待", "never put on hold")
        d = duration(rec["hold_s"], lang)
        return t(f"保持等待 {n} 次（共 {d}）", f"put on hold {n}× ({d})")
    if factor == "transfers":
        n = _n(rec["transfers"])
        return (
            t("未转接", "not transferred") if n == 0 else t(f"被转接 {n} 次", f"transferred {n}×")
        )
    if factor in ("anger_peak", "anger_final", "trust_final", "patience_final"):
        v = float(rec[factor])
        words = {
            "anger_peak": ("怒气最高 {v:.0f}/10", "anger peaked at {v:.0f}/10"),
            "anger_final": ("结束时怒气 {v:.0f}/10", "anger {v:.0f}/10 at the end"),
            "trust_final": ("结束时信任 {v:.0f}/10", "trust {v:.0f}/10 at the end"),
            "patience_final": ("结束时耐心 {v:.0f}/10", "patience {v:.0f}/10 at the end"),
        }[factor]
        return t(words[0], words[1]).format(v=v)
    if factor == "resolution":
        if not _n(rec["resolved"]):
            return t("问题未解决", "issue not resolved")
        if _n(rec["prior_contacts"]) > 0:
            return t("问题已解决，但并非首次联系解决", "resolved, but not on the first contact")
        return t("首次联系即解决", "resolved on the first contact")
    if factor == "repeat":
        n = _n(rec["prior_contacts"])
        if n == 0:
            return t("首次为此问题来电", "first contact about this issue")
        return t(f"此前已为同一问题联系 {n} 次", f"{n} earlier contacts about the same issue")
    if factor == "escalated":
        return (
            t("已升级处理", "escalated") if _n(rec["escalated"]) else t("未升级", "not escalated")
        )
    if factor == "hung_up":
        return t("客户中途挂断", "customer hung up") if _n(rec["hung_up"]) else None
    if factor == "cross_sell":
        if not _n(rec["cross_sell_offered"]):
            return t("未做交叉销售推荐", "no cross-sell offer")
        z, e = _FIT.get(_n(rec["cross_sell_fit"]), ("未知", "unknown"))
        return t(f"推荐了交叉销售（匹配度{z}）", f"cross-sell offered ({e} fit)")
    if factor == "complaint_handling":
        if rec["kind"] != "complaint":
            return None
        apology = _n(rec["beh_apology"]) > 0
        remedy = _n(rec["beh_offer_solution"]) + _n(rec["beh_compensate"]) > 0
        if apology and remedy:
            return t("投诉后致歉并给出补救", "apology plus remedy after the complaint")
        if remedy:
            return t("投诉后只给补救、未致歉", "remedy but no apology after the complaint")
        if apology:
            return t("投诉后致歉但没有补救", "apology but no remedy after the complaint")
        return t("投诉后未致歉", "no apology after a complaint")
    if factor in ("segment", "age_band", "temperament", "contract"):
        text = persona_label(factor, rec[factor], lang)
        if factor == "segment":
            return t(f"客户类型：{text}", f"{text} customer")
        if factor == "age_band":
            return t(f"年龄段：{text}", f"{text} customer")
        if factor == "temperament":
            return t(f"性格：{text}", f"{text} temperament")
        return t(f"合约：{text}", text)
    if factor == "tenure":
        v = float(rec["tenure_years"])
        return t(f"在网 {v:.1f} 年", f"customer for {v:.1f} years")
    if factor == "products":
        return t(
            f"持有 {_n(rec['products'])} 个产品",
            f"holds {_n(rec['products'])} product{'' if rec['products'] == 1 else 's'}",
        )
    if factor == "value":
        return t(f"年贡献 ¥{float(rec['value']):,.0f}", f"worth ¥{float(rec['value']):,.0f} a year")
    if factor == "churn_risk":
        pct = 100.0 * float(rec["churn_risk"])
        return t(f"基础流失风险 {pct:.0f}%", f"baseline churn risk {pct:.0f}%")
    raise KeyError(f"no wording for factor {factor!r}")
