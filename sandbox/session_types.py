"""The plain-data shapes the `Session` API hands out (docs/session-api.md), as TypedDicts.

Why typed: the desk, the CLI and tests read these dicts; declaring them once lets mypy check
both sides and keeps the documented contract and the code from drifting apart."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NotRequired, TypedDict


class KnowledgeLink(TypedDict):
    """A knowledge-base entry linked to a choice or a decision."""

    id: str
    kind: str
    title: dict[str, str]
    body: dict[str, str]


class ChoiceOption(TypedDict):
    """One option on offer at a pending decision (unavailable ones say why)."""

    number: int
    id: str
    text: dict[str, str]
    available: bool
    reason: dict[str, str] | None
    behaviours: list[str]
    knowledge: list[str]


class TranscriptLine(TypedDict):
    """One line of a contact's transcript, shown once its time has come."""

    t: float
    speaker: str
    text: dict[str, str]
    tags: list[str]


class PendingDecision(TypedDict):
    """A human seat's contact waiting for `decide`."""

    contact_id: str
    seat_id: str | None
    journey_id: str
    node_id: str
    stage: str | None
    lines: list[TranscriptLine]
    choices: list[ChoiceOption]


class LearningPackEntry(TypedDict):
    """One part of a learning pack: a micro-lesson, FAQ, case or compliance point."""

    id: str
    kind: str
    label: dict[str, str]
    title: dict[str, str]
    body: dict[str, str]


class LearningPush(TypedDict):
    """A knowledge push (practice mode): the trainee repeated a kind of mistake
    (`sandbox.weak_spots`); `n` counts the session's pushes (a desk shows each once)."""

    n: int
    kind: str
    label: dict[str, str]
    count: int
    rule: dict[str, int]
    contact_id: str
    contacts: list[str]
    rubric: list[str]
    risk: str | None
    pack: list[LearningPackEntry]


class PredictedFigures(TypedDict):
    """Predicted CSAT (1..5), churn (0..1) and expected accepted cross-sell (0..1)."""

    csat: float
    churn: float
    cross_sell: float


class LaterCost(TypedDict):
    """What a breach will cost later: the chance it comes back as a repeat contact or
    complaint, the CSAT and churn that costs the contact's outcome, the risk points."""

    repeat_contact: float
    csat: float
    churn: float
    risk_points: float
    risks: list[str]


class RubricStep(TypedDict):
    """How one decision moved a rubric dimension (+1 / -1 / 0) and why, in words."""

    direction: int
    reason: dict[str, str]


class DecisionEffect(TypedDict):
    """A decision's predicted effect (practice room, `sandbox.engine.foresight`)."""

    now: PredictedFigures
    later: LaterCost
    outcome: PredictedFigures
    versus_best: PredictedFigures
    best: bool
    capped: bool
    reason: dict[str, str]
    rubric: dict[str, RubricStep]
    contact_rubric: dict[str, float | None]
    contact_risk_points: int


class DecisionOutcome(TypedDict):
    """What `Session.decide` returns: what the trainee may be shown at once (with
    `learning_pack` when this decision earned a knowledge push, practice mode only)."""

    contact_id: str
    choice_id: str
    text: dict[str, str]
    feedback: dict[str, str] | None
    knowledge: list[KnowledgeLink]
    behaviours: list[str]
    risks: list[str]
    score: float
    csat_after: float | None
    customer_hung_up: bool
    effect: DecisionEffect | None
    learning_pack: NotRequired[LearningPush]


def decision_outcome(
    contact_id: str,
    choice_id: str,
    detail: Mapping[str, Any] | None,
    knowledge: Callable[[str], KnowledgeLink | None],
) -> DecisionOutcome:
    """The outcome of a decision from the seat's decision detail (None: the contact ended
    before the choice was taken, e.g. the customer hung up at that very moment)."""
    if detail is None:
        return DecisionOutcome(
            contact_id=contact_id, choice_id=choice_id, text={}, feedback=None, knowledge=[],
            behaviours=[], risks=[], score=0.0, csat_after=None, customer_hung_up=True,
            effect=None,
        )  # fmt: skip
    links: list[KnowledgeLink] = []
    for k in detail.get("knowledge") or ():
        entry = knowledge(str(k["id"]))
        if entry is not None:
            links.append(KnowledgeLink(id=entry["id"], kind=entry["kind"], title=entry["title"],
                                       body=entry["body"]))  # fmt: skip
    feedback = detail.get("feedback") or None
    csat = detail.get("csat_after")
    return DecisionOutcome(
        contact_id=contact_id,
        choice_id=choice_id,
        text=dict(detail.get("text") or {}),
        feedback=dict(feedback) if feedback else None,
        knowledge=links,
        behaviours=list(detail.get("behaviours") or ()),
        risks=list(detail.get("risks") or ()),
        score=float(detail.get("score") or 0.0),
        csat_after=float(csat) if csat is not None else None,
        customer_hung_up=bool(detail.get("hung_up")),
        effect=detail.get("effect"),
    )


class ContactView(TypedDict):
    """The contact a seat is handling, as the desk shows it."""

    contact_id: str
    journey_id: str
    title: dict[str, str]
    kind: str
    channel: str
    stage: str | None
    node_id: str
    transcript: list[TranscriptLine]
    persona: dict[str, Any]
    mood: dict[str, float]
    waited_s: float
    handle_s: float
    awaiting_decision: bool
    choices: list[ChoiceOption]
    required_behaviours: list[str]
    trigger_alert: dict[str, Any] | None
    risks: list[dict[str, Any]]
    knowledge: list[KnowledgeLink]
    last_decision: dict[str, Any] | None


class SeatView(TypedDict):
    seat_id: str
    agent_id: str
    contact: ContactView | None


class Snapshot(TypedDict):
    """Everything a screen shows (`Session.snapshot`), plain JSON-serialisable data."""

    now: float
    end: float
    finished: bool
    clock: str
    queue: list[dict[str, Any]]
    queue_length: dict[str, int]
    abandoned_recent: list[dict[str, Any]]
    agents: list[dict[str, Any]]
    seats: list[SeatView]
    kpis: dict[str, Any]
    targets: dict[str, float]
    alerts: list[dict[str, Any]]
    events: list[dict[str, Any]]
    pending: list[PendingDecision]
    #: the latest knowledge push of a practice session (None before the first)
    learning_pack: NotRequired[LearningPush | None]
