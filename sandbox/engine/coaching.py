"""Human seats: a trainee's contact waits on decisions while the customer's patience ticks,
and every decision is explained (feedback, knowledge, effect on predicted CSAT, alerts).

A human seat's contact is a SimPy process that waits on a decision event (`decide`, from
`Session.decide`) or on the customer running out of patience, whichever comes first. A seat
played by a bot (`shapan run`) is played at once by the service with the same detail."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from customer_models.reaction import drain
from journeys.runtime import MAX_DECISIONS, StepResult, TriggerEvent
from sandbox.engine.agents import Contact, Hooks
from sandbox.engine.contact import ContactPlay, text_of
from sandbox.engine.routing import Routing
from sandbox.engine.service import Service

HANGUP_TEXT = {"zh-CN": "客户挂断了", "en": "The customer hung up"}


class Coaching:
    """The human seats' contacts of one centre."""

    def __init__(self, env: simpy.Environment, hooks: Hooks, routing: Routing, service: Service):
        self.env = env
        self.hooks = hooks
        self.routing = routing
        self.service = service

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
            while True:
                limit = _time_to_exhaust(play)
                result = yield decision | env.timeout(limit)
                play.wait_for_agent(env.now - since)
                since = env.now
                if decision in result:
                    break
                if play.maybe_hang_up():
                    self.hooks.alert({"t": env.now, "contact_id": c.id, "kind": "hangup",
                                      "text": HANGUP_TEXT})  # fmt: skip
                    break
            c.pending = False
            if play.finished:
                break
            choice_id = str(decision.value)
            node = play.run.node_id
            seconds, step = play.act(choice_id, env.now)
            self.decided(c, node, choice_id, step, env.now)
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

    def decided(self, c: Contact, node: str, choice_id: str, step: StepResult, t: float) -> None:
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
            if e.status == "armed" and trig is not None and trig.alert:
                text = text_of(trig.alert)
            else:
                text = _trigger_text(e.status, list(e.required))
            self.hooks.alert(
                {"t": t, "contact_id": c.id, "kind": "trigger", "status": e.status, "text": text}
            )


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
