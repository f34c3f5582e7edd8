"""Human seats: a trainee's contact waits on decisions while the customer's patience ticks,
and every decision is explained (feedback, knowledge, effect on predicted CSAT, alerts).

A human seat's contact is a SimPy process that waits on a decision event (`decide`, from
`Session.decide`) or on the customer running out of patience, whichever comes first. A seat
played by a bot (`shapan run`) is played at once by the service with the same detail."""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import simpy

from customer_models.reaction import drain
from journeys.runtime import MAX_DECISIONS, StepResult, TriggerEvent
from sandbox.engine.agents import Contact, Hooks
from sandbox.engine.contact import ContactPlay, text_of
from sandbox.engine.foresight import decision_effect
from sandbox.engine.routing import Routing
from sandbox.engine.service import Service

HANGUP_TEXT = {"zh-CN": "客户挂断了", "en": "The customer hung up"}
NUDGE_TEXT = {"zh-CN": "客户在等您回应", "en": "The customer is waiting for your reply"}
NUDGE_LINE = {
    "zh-CN": "喂？您还在吗？我等了好一会儿了。",
    "en": "Hello? Are you still there? I've been waiting a while.",
}
#: A nudged customer's reaction: (anger up, trust down), on the 0..10 mood scales.
NUDGE_REACTION = (1.0, 0.5)


class Coaching:
    """The human seats' contacts of one centre."""

    def __init__(self, env: simpy.Environment, hooks: Hooks, routing: Routing, service: Service):
        self.env = env
        self.hooks = hooks
        self.routing = routing
        self.service = service
        practice = service.scenario.practice
        #: the practice room: each decision's predicted effect; a nudge after silence
        self.feedback = practice.feedback
        self.nudge_s = practice.nudge_s

    def start(self, c: Contact) -> None:
        """A seat has answered `c`: a trainee waits to decide; a bot plays it now."""
        agent = c.agent
        assert agent is not None
        if agent.policy is None:
            self.env.process(self._waiting_for_decisions(c))
        else:
            self.service.play_bot(c, agent, coach=self)

    # ----------------------------------------------------------------- decisions
    def decide(self, contact_id: str, choice_id: str) -> None:
        """Take a pending decision (LookupError: not pending; ValueError: not on offer)."""
        c = self.routing.active.get(contact_id)
        if c is None or not c.pending or c.decision is None or c.decision.triggered:
            raise LookupError(contact_id)
        ids = [v.id for v in c.play.choices()] if c.play else []
        if choice_id not in ids:
            raise ValueError(choice_id)
        c.decision.succeed(choice_id)

    def pending(self) -> list[Contact]:
        """Contacts waiting for a decision now."""
        return [c for c in self.routing.active.values() if c.pending and c.decision is not None
                and not c.decision.triggered]  # fmt: skip

    def close(self) -> None:
        """End of drain time: a contact still waiting for a decision ends unresolved."""
        for c in list(self.routing.active.values()):
            if c.pending and c.play is not None and c.decision is not None:
                c.play.end("unresolved")
                c.decision.succeed(None)

    def _waiting_for_decisions(self, c: Contact) -> Generator[simpy.Event, Any, None]:
        env = self.env
        play = c.play
        assert play is not None
        opening_s = play.begin(env.now)
        self.opened(c, env.now)
        yield env.timeout(opening_s)
        steps = 0
        while not play.finished:
            steps += 1
            if steps > MAX_DECISIONS or not play.choices():
                play.end("unresolved")
                break
            decision = c.decision = env.event()
            c.pending = True
            c.pending_since = env.now
            since = env.now
            nudge_at = env.now + self.nudge_s if self.nudge_s else math.inf
            while True:
                limit = min(_time_to_exhaust(play), max(0.0, nudge_at - env.now))
                result = yield decision | env.timeout(limit)
                play.wait_for_agent(env.now - since)
                since = env.now
                if decision in result:
                    break
                if env.now >= nudge_at:
                    nudge_at = math.inf
                    self._nudge(c, env.now)
                    continue
                if play.maybe_hang_up():
                    self.hooks.alert({"t": env.now, "contact_id": c.id, "kind": "hangup",
                                      "text": HANGUP_TEXT})  # fmt: skip
                    break
            c.pending = False
            if play.finished:
                break
            choice_id = str(decision.value)
            node = play.run.node_id
            effect = decision_effect(play, choice_id) if self.feedback else None
            seconds, step = play.act(choice_id, env.now)
            self.decided(c, node, choice_id, step, env.now, effect)
            if seconds > 0:
                yield env.timeout(seconds)
        c.pending = False
        c.decision = None
        self.service.complete(c)

    # ----------------------------------------------------------------- detail
    def opened(self, c: Contact, t: float) -> None:
        """The journey has started: alerts for the rules its opening armed."""
        play = c.play
        assert play is not None and play.opening is not None
        self._trigger_alerts(c, play.opening.triggers, t)

    def _nudge(self, c: Contact, t: float) -> None:
        """The agent has been silent for the scenario's `practice.nudge`: the customer says so
        (a transcript line) and reacts (crosser, less trusting), and the desk is alerted."""
        play = c.play
        assert play is not None
        play.transcript.append({"t": t, "speaker": "customer", "text": dict(NUDGE_LINE),
                                "tags": ["impatient"]})  # fmt: skip
        mood = play.mood
        mood.anger = min(10.0, mood.anger + NUDGE_REACTION[0])
        mood.trust = max(0.0, mood.trust - NUDGE_REACTION[1])
        play._push_mood()  # the journey's standard state follows the mood
        self.hooks.alert({"t": t, "contact_id": c.id, "kind": "nudge", "text": NUDGE_TEXT})

    def decided(
        self, c: Contact, node: str, choice_id: str, step: StepResult, t: float,
        effect: dict[str, Any] | None = None,
    ) -> None:  # fmt: skip
        """Per-decision detail of a seat's contact (feedback, knowledge, CSAT effect, alerts)."""
        play = c.play
        assert play is not None
        knowledge = []
        for kid in step.knowledge or ():
            entry = self.hooks.knowledge(kid)
            knowledge.append(
                {"id": kid, "title": entry["title"] if entry else {"zh-CN": kid, "en": kid}}
            )
        last: dict[str, str] = play.transcript[-1]["text"] if play.transcript else {}
        for line in reversed(play.transcript):
            if line["speaker"] == "agent" and line["t"] == t:
                last = line["text"]
                break
        csat_after = None
        if self.hooks.predict_now is not None:
            provisional = self.service.record(c, provisional=True)
            csat_after = self.hooks.predict_now(provisional).get("csat_mean")
        triggers = [
            {"trigger_id": e.trigger_id, "status": e.status, "required": list(e.required),
             "risk": e.risk}
            for e in step.triggers
        ]  # fmt: skip
        risks = list(play.decisions[-1]["risks"]) if play.decisions else []
        c.decided_log.append({
            "t": t, "node_id": node, "choice_id": choice_id, "text": last,
            "behaviours": list(step.behaviours), "feedback": text_of(step.feedback),
            "knowledge": knowledge, "score": float(step.score or 0.0), "risks": risks,
            "triggers": triggers, "csat_after": csat_after, "hung_up": play.hung_up,
            **({"effect": effect} if effect is not None else {}),
        })  # fmt: skip
        self._trigger_alerts(c, step.triggers, t)
        for r in risks:
            self.hooks.alert(
                {"t": t, "contact_id": c.id, "kind": "risk", "risk": r, "text": _risk_text(r)}
            )
        if play.hung_up:
            self.hooks.alert({"t": t, "contact_id": c.id, "kind": "hangup", "text": HANGUP_TEXT})

    def _trigger_alerts(self, c: Contact, events: tuple[TriggerEvent, ...], t: float) -> None:
        """Alerts for a seat: a keyword rule armed (e.g. the calm three-step) or missed."""
        for e in events:
            if e.status not in ("armed", "missed"):
                continue
            trig = next((tr for tr in c.journey.triggers if tr.id == e.trigger_id), None)
            at = t
            if e.status == "armed" and trig is not None:
                # the alert is due when the customer's words appear on screen, not before
                at = keyword_line_time(c.play, trig.keywords, t) if c.play is not None else t
            if e.status == "armed" and trig is not None and trig.alert:
                text = text_of(trig.alert)
            else:
                text = _trigger_text(e.status, list(e.required))
            self.hooks.alert(
                {"t": at, "contact_id": c.id, "kind": "trigger", "status": e.status, "text": text}
            )


def keyword_line_time(play: ContactPlay, keywords: tuple[str, ...], since: float) -> float:
    """When the first customer line from `since` on that says one of `keywords` is shown
    (`since` when no such line is in the transcript)."""
    for line in play.transcript:
        if line["t"] + 1e-9 < since or line["speaker"] != "customer":
            continue
        text = " ".join(line["text"].values()).lower()
        if any(k.lower() in text for k in keywords):
            return float(line["t"])
    return since


def _time_to_exhaust(play: ContactPlay) -> float:
    """Sim seconds until the customer's patience runs out while kept waiting (>= 5 s)."""
    rate = -drain(play.persona, play.mood, 60.0, "wait") / 60.0
    if rate <= 0:
        return 3600.0
    return max(5.0, play.mood.patience / rate)


def _trigger_text(status: str, required: list[str]) -> dict[str, str]:
    """The steps in words (the behaviours' labels), never their ids."""
    from journeys.vocabulary import BEHAVIOURS

    def steps(lang: str) -> str:
        sep = "、" if lang == "zh-CN" else ", "
        return sep.join(
            BEHAVIOURS[r].label(lang) if r in BEHAVIOURS else r.replace("_", " ") for r in required
        )

    zh, en = steps("zh-CN"), steps("en")
    if status == "missed":
        return {"zh-CN": f"未完成必需步骤：{zh}", "en": f"Required steps missed: {en}"}
    return {"zh-CN": f"触发规则，接下来必须：{zh}", "en": f"Rule triggered — next you must: {en}"}


def _risk_text(risk: str) -> dict[str, str]:
    from journeys.vocabulary import RISK_TYPES

    label = RISK_TYPES.get(risk, {"zh-CN": risk, "en": risk})
    return {"zh-CN": f"风险点：{label['zh-CN']}", "en": f"Risk point: {label['en']}"}
