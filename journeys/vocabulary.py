"""The fixed vocabulary every layer agrees on.

Journeys may only use these behaviour tags, risk types, outcomes, stages and persona fields;
the customer models react to the behaviour tags; scoring maps them onto the training method's
rubric. Changing this file changes the journey language: bump `VOCABULARY_VERSION`.

Pure data, no imports beyond the standard library, so any layer may read it.
"""

from __future__ import annotations

from dataclasses import dataclass

VOCABULARY_VERSION = 1

LANGUAGES: tuple[str, ...] = ("zh-CN", "en")
#: Channels, journey stages and speakers with their display labels; the tuples below are the
#: names alone, for validation.
CHANNEL_LABELS: dict[str, dict[str, str]] = {
    "phone": {"zh-CN": "电话", "en": "Phone"},
    "chat": {"zh-CN": "在线", "en": "Chat"},
    "email": {"zh-CN": "邮件", "en": "Email"},
}
STAGE_LABELS: dict[str, dict[str, str]] = {
    "opening": {"zh-CN": "开场", "en": "opening"},
    "verification": {"zh-CN": "身份核验", "en": "verification"},
    "inquiry": {"zh-CN": "咨询", "en": "inquiry"},
    "objection": {"zh-CN": "异议处理", "en": "objection"},
    "complaint": {"zh-CN": "投诉", "en": "complaint"},
    "resolution": {"zh-CN": "解决", "en": "resolution"},
    "sale": {"zh-CN": "销售", "en": "sale"},
    "closing": {"zh-CN": "结束", "en": "closing"},
}
SPEAKER_LABELS: dict[str, dict[str, str]] = {
    "customer": {"zh-CN": "客户", "en": "Customer"},
    "agent": {"zh-CN": "坐席", "en": "Agent"},
    "system": {"zh-CN": "系统", "en": "System"},
}
CHANNELS: tuple[str, ...] = tuple(CHANNEL_LABELS)
KINDS: tuple[str, ...] = ("complaint", "inquiry", "sales")
STAGES: tuple[str, ...] = tuple(STAGE_LABELS)
SPEAKERS: tuple[str, ...] = tuple(SPEAKER_LABELS)

#: Rubric dimensions of the training method (共情强度, 信息准确性, 安抚有效性, 合规, 效率, 销售).
RUBRIC: dict[str, dict[str, str]] = {
    "empathy": {"zh-CN": "共情强度", "en": "Empathy"},
    "accuracy": {"zh-CN": "信息准确性", "en": "Information accuracy"},
    "soothing": {"zh-CN": "安抚有效性", "en": "Soothing"},
    "compliance": {"zh-CN": "合规", "en": "Compliance"},
    "efficiency": {"zh-CN": "效率", "en": "Efficiency"},
    "sales": {"zh-CN": "销售", "en": "Sales"},
}


@dataclass(frozen=True)
class Behaviour:
    """A standard behaviour tag: what an agent action *does*, whatever its words.

    `rubric` maps rubric dimensions to the direction this behaviour moves them (+1 / -1).
    """

    zh: str
    en: str
    rubric: tuple[tuple[str, int], ...] = ()

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh-CN" else self.en


BEHAVIOURS: dict[str, Behaviour] = {
    # opening, verification, closing
    "greeting": Behaviour("问候", "greeting", (("efficiency", 1),)),
    "verify_identity": Behaviour("核验身份", "verify identity", (("compliance", 1),)),
    "skip_verification": Behaviour("跳过身份核验", "skip verification", (("compliance", -1),)),
    "protect_privacy": Behaviour("保护隐私", "protect privacy", (("compliance", 1),)),
    "disclose_private": Behaviour("泄露他人信息", "disclose private data", (("compliance", -1),)),
    "summarize": Behaviour("总结确认", "summarize", (("accuracy", 1), ("efficiency", 1))),
    "close_politely": Behaviour("礼貌结束", "close politely", (("efficiency", 1),)),
    # emotion work
    "empathy": Behaviour("共情", "empathy", (("empathy", 1), ("soothing", 1))),
    "apology": Behaviour("致歉", "apology", (("empathy", 1), ("soothing", 1))),
    "active_listening": Behaviour("倾听", "active listening", (("empathy", 1),)),
    "calm": Behaviour("冷静安抚", "calm the customer", (("soothing", 1),)),
    "restate": Behaviour("复述问题", "restate the problem", (("soothing", 1), ("accuracy", 1))),
    "interrupt": Behaviour("打断客户", "interrupt", (("empathy", -1), ("soothing", -1))),
    "argue": Behaviour("与客户争辩", "argue", (("soothing", -1), ("empathy", -1))),
    "blame_customer": Behaviour("指责客户", "blame the customer", (("empathy", -1),)),
    "blame_system": Behaviour("推给系统", "blame the system", (("soothing", -1),)),
    "scripted": Behaviour("机械背诵话术", "robotic script", (("empathy", -1),)),
    "rush": Behaviour("催促", "rush the customer", (("empathy", -1), ("efficiency", 1))),
    # information
    "explain": Behaviour("清晰解释", "clear explanation", (("accuracy", 1),)),
    "accurate_info": Behaviour("准确信息", "accurate information", (("accuracy", 1),)),
    "wrong_info": Behaviour("错误信息", "wrong information", (("accuracy", -1),)),
    "vague_info": Behaviour("含糊其辞", "vague answer", (("accuracy", -1),)),
    "jargon": Behaviour("术语堆砌", "jargon", (("accuracy", -1), ("empathy", -1))),
    "check_knowledge": Behaviour("查询知识库", "check the knowledge base", (("accuracy", 1),)),
    # resolution
    "offer_solution": Behaviour("给出具体方案", "concrete solution", (("soothing", 1),)),
    "compensate": Behaviour("补偿", "remedy / compensation", (("soothing", 1),)),
    "promise_callback": Behaviour("承诺回电", "promise a callback", ()),
    "follow_up": Behaviour("主动跟进", "follow up", (("empathy", 1),)),
    "hold": Behaviour("保持等待", "put on hold", (("efficiency", -1),)),
    "transfer": Behaviour("转接", "transfer", (("efficiency", -1),)),
    "escalate": Behaviour("升级处理", "escalate", ()),
    "refuse": Behaviour("直接拒绝", "flat refusal", (("soothing", -1),)),
    "overpromise": Behaviour("过度承诺", "overpromise", (("accuracy", -1), ("compliance", -1))),
    # sales
    "needs_discovery": Behaviour("挖掘需求", "needs discovery", (("sales", 1),)),
    "cross_sell_offer": Behaviour("交叉销售推荐", "cross-sell offer", (("sales", 1),)),
    "pushy_sales": Behaviour("强行推销", "pushy selling", (("sales", -1), ("empathy", -1))),
    "ask_consent": Behaviour("征得同意", "ask consent", (("compliance", 1), ("sales", 1))),
}

#: Risk points (风险点): what a quality reviewer would flag.
RISK_TYPES: dict[str, dict[str, str]] = {
    "privacy_breach": {"zh-CN": "隐私泄露", "en": "privacy breach"},
    "wrong_info": {"zh-CN": "错误信息", "en": "wrong information"},
    "compliance_breach": {"zh-CN": "合规违规", "en": "compliance breach"},
    "escalation_risk": {"zh-CN": "升级投诉风险", "en": "escalation risk"},
    "mis_selling": {"zh-CN": "不当销售", "en": "mis-selling"},
}

OUTCOMES: dict[str, dict[str, str]] = {
    "resolved": {"zh-CN": "已解决", "en": "resolved"},
    "sale": {"zh-CN": "成交", "en": "sale"},
    "escalated": {"zh-CN": "已升级", "en": "escalated"},
    "transferred": {"zh-CN": "已转接", "en": "transferred"},
    "callback_promised": {"zh-CN": "承诺回电", "en": "callback promised"},
    "customer_hung_up": {"zh-CN": "客户挂断", "en": "customer hung up"},
    "compliance_breach": {"zh-CN": "合规违规", "en": "compliance breach"},
    "unresolved": {"zh-CN": "未解决", "en": "unresolved"},
}
#: Outcomes that count as the customer's issue being resolved in this contact (FCR).
RESOLVING_OUTCOMES: frozenset[str] = frozenset({"resolved", "sale"})

#: Persona fields a journey may read (`persona('segment') == 'vip'`) with their value types.
#: customer_models must provide every one of them for every persona.
PERSONA_FIELDS: dict[str, type] = {
    "segment": str,  # mass | vip | small_business
    "age_band": str,  # young | adult | senior | elderly
    "temperament": str,  # calm | anxious | irritable
    "tenure_years": float,
    "contract": str,  # month_to_month | one_year | two_year
    "products": int,  # number of products held
    "value": float,  # yearly revenue, yuan
    "prior_contacts": int,  # earlier contacts for this same issue
    "churn_risk": float,  # baseline 90-day churn probability
    "anger": int,  # 0..10 mood at the start of the contact
    "trust": int,  # 0..10
    "patience": int,  # 0..10
}
PERSONA_VALUES: dict[str, tuple[str, ...]] = {
    "segment": ("mass", "vip", "small_business"),
    "age_band": ("young", "adult", "senior", "elderly"),
    "temperament": ("calm", "anxious", "irritable"),
    "contract": ("month_to_month", "one_year", "two_year"),
}

#: Standard state variables: if a journey declares them the engine keeps them in step with the
#: customer model's mood (scripted effects + reaction model), so conditions can read them.
STANDARD_STATE: tuple[str, ...] = ("anger", "trust", "patience")
