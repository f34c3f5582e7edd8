"""The later cost of a breach that pleases now: the repeat contact or complaint when it surfaces.

Why: an over-promise or a skipped identity check can lift satisfaction in the moment (real
customers like promises and speed), and the outcome models, which see one contact, agree. The
cost comes later: the promise fails and the customer calls back, or the leak is found and the
customer complains. This module prices that with the same outcome models: for a contact with
risk events it builds the *later* contact's feature row (the same customer, the issue back
unresolved, one more earlier contact, escalated when it comes back as a complaint), and the
contact's outcome is the mix of "it holds" and "it surfaces":

    p      = 1 - prod over the contact's risk events of (1 - SURFACES[risk].probability)
    csat   = (1 - p) * csat(this contact) + p * csat(the later contact)     (per CSAT level)
    churn  = (1 - p) * churn(this contact) + p * churn(the later contact)

The probabilities are the table below (documented in docs/customer-model.md § Later cost);
they are part of the practice room's rules, not fitted. Pure: no files, no randomness.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Surfaces:
    """How a risk event comes back: the probability it surfaces, and whether as a complaint
    (escalated) rather than a plain repeat contact."""

    probability: float
    complaint: bool
    label: dict[str, str]


#: Risk type -> how it comes back later.
SURFACES: dict[str, Surfaces] = {
    "compliance_breach": Surfaces(
        0.6, True, {"zh-CN": "承诺无法兑现，客户回头投诉", "en": "the promise fails; the customer comes back to complain"}
    ),
    "wrong_info": Surfaces(
        0.5, False, {"zh-CN": "错误信息被发现，客户再次来电", "en": "the wrong answer is found out; the customer calls again"}
    ),
    "privacy_breach": Surfaces(
        0.4, True, {"zh-CN": "隐私泄露被发现，客户投诉", "en": "the leak is found; the customer complains"}
    ),
    "mis_selling": Surfaces(
        0.5, True, {"zh-CN": "不当销售被发现，客户投诉退订", "en": "the mis-sale is found; the customer complains and cancels"}
    ),
    "escalation_risk": Surfaces(
        0.3, True, {"zh-CN": "问题升级为投诉", "en": "the issue escalates to a complaint"}
    ),
}  # fmt: skip


def surfacing_probability(record: Mapping[str, Any]) -> float:
    """Probability that a contact's risk events come back as a later contact (0 if none)."""
    holds = 1.0
    for risk, how in SURFACES.items():
        n = int(record.get(f"risk_{risk}") or 0)
        if n > 0:
            holds *= (1.0 - how.probability) ** n
    return 1.0 - holds


def surfacing_risks(record: Mapping[str, Any]) -> list[str]:
    """The contact's risk types that may come back, in the table's order."""
    return [r for r in SURFACES if int(record.get(f"risk_{r}") or 0) > 0]


def later_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The later contact's raw feature record: the same customer, the issue back unresolved
    (no FCR), a repeat contact with one more earlier contact, escalated when a risk comes back
    as a complaint. Everything else (persona, behaviour of this contact) as it was."""
    later = dict(record)
    complaint = any(SURFACES[r].complaint for r in surfacing_risks(record))
    prior = int(record.get("prior_contacts") or 0) + 1
    later.update(
        resolved=0,
        fcr=0,
        repeat_contact=1,
        prior_contacts=prior,
        escalated=1 if complaint else int(record.get("escalated") or 0),
        kind="complaint" if complaint else record.get("kind"),
    )
    return later


def blend(now: float, later: float, p: float) -> float:
    """The outcome of a figure that is `now` if the breach holds and `later` if it surfaces."""
    return (1.0 - p) * now + p * later
