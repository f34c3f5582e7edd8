"""The contact centre in SimPy: arrivals, queues, routing, agents on shifts, contacts.

Why this shape (speed and flat memory are targets, see docs/session-api.md):
- Arrivals are drawn per interval in numpy batches by one process per channel.
- Queue abandonment is one plain timeout event with a callback per waiting contact (no
  process, no AnyOf); a contact answered first simply ignores it.
- A bot's contact is played through its journey at answer time (`ContactPlay`: the same rules a
  human meets) and completes with a single timeout event; nothing outside can change a bot's
  contact, so this is exactly equivalent to stepping it and costs one event instead of dozens.
- A human seat's contact is a SimPy process that waits on a decision event (`Session.decide`),
  with the customer's patience ticking in sim time meanwhile.
- Finished records go to the `Recorder` (batched model predictions, streaming KPIs/exports);
  the centre keeps no per-contact object after a contact ends, except for human seats.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from customer_models.personas import PersonaMix, sample_personas
from journeys.policies import PolicyError, choose
from journeys.runtime import MAX_DECISIONS
from sandbox.engine.arrivals import interval_batches
from sandbox.engine.batch_play import BatchPlayer
from sandbox.engine.contact import ContactPlay, text_of
from sandbox.engine.pace import journey_pace
from sandbox.engine.streams import (
    BlockRng,
    DrawBlock,
    PolicyStream,
    Streams,
    policy_rng,
    service_seed,
)
from sandbox.scenario import AgentGroup, FormSpec, Scenario

#: Pre-drawn numbers per contact (about ten agent actions' worth; more come from the
#: contact's own seeded generator).
#: Policy uniforms pre-drawn per contact for batch play (three per decision).
POLICY_UNIFORMS = 24
RX_NORMALS, RX_UNIFORMS, SV_NORMALS, SV_UNIFORMS = (
    30,
    8,
    12,
    2,
)  # a journey that loops this long is ended as unresolved


class Agent:
    """One agent (bot) or human seat."""

    __slots__ = (
        "active",
        "busy_since",
        "busy_total",
        "channels",
        "chat_slots",
        "feed",
        "group",
        "human",
        "id",
        "kinds",
        "name",
        "on_shift",
        "policy",
        "seat_id",
        "speed",
        "staffed_since",
        "staffed_total",
    )  # fmt: skip

    def __init__(self, agent_id: str, group: AgentGroup, policy: str | None, seat_id: str | None):
        self.id = agent_id
        self.group = group
        self.name = dict(group.name)
        self.human = group.human
        self.policy = policy
        self.seat_id = seat_id
        self.channels = group.channels
        self.kinds = frozenset(group.kinds)
        self.speed = group.speed
        self.chat_slots = group.chat_concurrency
        #: a seat with a form takes only its own customers (`_FormFeed`), never the queue's
        self.feed: _FormFeed | None = None
        self.active: list[Contact] = []
        self.on_shift = False
        self.busy_since: float | None = None
        self.staffed_since: float | None = None
        self.busy_total = 0.0
        self.staffed_total = 0.0

    def can_take(self, channel: str) -> bool:
        if not self.on_shift:
            return False
        if not self.active:
            return True
        if channel != "chat" or self.chat_slots <= 1:
            return False
        return len(self.active) < self.chat_slots and all(c.channel == "chat" for c in self.active)

    @property
    def status(self) -> str:
        if self.active:
            return "busy"
        return "idle" if self.on_shift else "off_shift"


class Contact:
    """A customer contact while it is waiting or being handled."""

    __slots__ = (
        "_persona",
        "agent",
        "answered",
        "arrived",
        "blocks",
        "channel",
        "decided_log",
        "decision",
        "draw",
        "handle_s",
        "id",
        "journey",
        "patience",
        "pending",
        "pending_since",
        "people",
        "play",
        "policy_draws",
        "priority",
        "row",
        "seed",
        "seq",
        "status",
    )  # fmt: skip

    def __init__(self, cid: str, seq: int, channel: str, journey: Any, people: Any, row: int,
                 seed: int, arrived: float, patience: float, priority: int,
                 blocks: tuple[Any, ...] | None = None, draw: int = 0, handle_s: float = 0.0,
                 persona: Any = None):  # fmt: skip
        self.id = cid
        self.seq = seq
        self.channel = channel
        self.journey = journey
        self.people = people  # the arrival batch's persona columns and this customer's row
        self.row = row
        self._persona = persona
        self.seed = seed
        self.arrived = arrived
        self.patience = patience
        self.priority = priority
        # the arrival chunk's pre-drawn numbers (shared) and this contact's row in them
        self.blocks = blocks
        self.draw = draw
        self.handle_s = handle_s  # drawn handle time (batch-played bot contacts)
        self.status = "queued"
        self.agent: Agent | None = None
        self.answered: float | None = None
        self.play: ContactPlay | None = None
        self.policy_draws: PolicyStream | None = None
        self.decision: simpy.Event | None = None
        self.pending = False
        self.pending_since = 0.0
        #: a human seat's decisions with their feedback (a list from its first decision)
        self.decided_log: Sequence[dict[str, Any]] = ()

    @property
    def persona(self) -> Any:
        """The customer as a `Persona`, built on first use (most bot contacts never need the
        object: their fields are read from the batch columns)."""
        p = self._persona
        if p is None:
            p = self._persona = self.people.persona(self.row)
        return p


@dataclass
class Hooks:
    """What the centre tells the outside world (the Session wires these)."""

    record: Callable[[dict[str, Any], Contact | None], None]
    event: Callable[[dict[str, Any]], None]
    alert: Callable[[dict[str, Any]], None]
    kpi: Any  # KpiAccumulator
    predict_now: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    flush: Callable[[], None] = field(default=lambda: None)
    #: a finished bot contact whose journey is still to be played (batch play)
    deferred: Callable[[Contact], None] = field(default=lambda _c: None)
    #: a finished bot contact of a drawn-service scenario played at its answer (no batch play)
    played: Callable[[dict[str, Any]], None] = field(default=lambda _r: None)
    knowledge: Callable[[str], dict[str, Any] | None] = field(default=lambda _id: None)


class ContactCenter:
    """Builds the SimPy model of a scenario and runs it under `env`."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        hooks: Hooks,
        *,
        human_policy: str | None = None,
        flush_every: float = 30.0,
        batch_play: bool = True,
    ):
        self.scenario = scenario
        self.seed = seed
        self.hooks = hooks
        self.human_policy = human_policy
        self.env = simpy.Environment()
        self.streams = Streams(seed)
        self.mix = PersonaMix.from_mapping(scenario.persona_mix) if scenario.persona_mix else None
        self.horizon = scenario.duration_s
        self.hard_stop = scenario.duration_s + scenario.drain_s
        self.detail_steps = scenario.events == "steps"
        self.agents: list[Agent] = []
        self.seats: dict[str, Agent] = {}
        self.idle: dict[str, dict[str, Agent]] = {c: {} for c in scenario.channel_names}
        self.queued: dict[str, Contact] = {}
        self.waiting = dict.fromkeys(scenario.channel_names, 0)
        levels = sorted({0, *scenario.priority.values()}, reverse=True)
        kinds = ("complaint", "inquiry", "sales")
        self.queues: dict[tuple[str, str], list[tuple[int, deque[Contact]]]] = {
            (c, k): [(lvl, deque()) for lvl in levels]
            for c in scenario.channel_names
            for k in kinds
        }
        self.active: dict[str, Contact] = {}
        self.counts = {"arrived": 0, "answered": 0, "abandoned": 0, "finished": 0}
        #: ids of agents whose status or contacts changed since a screen last looked
        #: (`Session` rebuilds only their rows, so a snapshot's cost does not grow with staff)
        self.dirty: set[str] = set()
        self._busy = _Spans("busy")
        self._staffed = _Spans("staffed")
        self._line_s = {ch.name: ch.line_s for ch in scenario.channels}
        self._noise_sigma = self._noise()
        self._hangups = scenario.hangups
        self._paces: dict[tuple[str, float], float | None] = {}
        # Drawn handle times (exponential/lognormal service): a bot contact's journey does not
        # decide when it ends, so bots' contacts are played in batches at the recorder's
        # flushes. `batch_play=False` plays each at its answer instead: slower, the same
        # outcomes to the bit (the same numbers, drawn in the same order; tested), and so
        # does `events: steps`, which only logs each bot decision too.
        self.batch_play = (
            BatchPlayer(
                hangups=scenario.hangups,
                line_s=self._line_s,
                pace=self._pace,
                trace=self._trace_decisions if self.detail_steps else None,
            )
            if scenario.service.model != "journey" and batch_play
            else None
        )
        self._build_agents()
        for ch in scenario.channels:
            if ch.arrivals_per_hour > 0:
                _ChannelArrivals(self, ch).start()
        self._schedule_shifts()
        self._at(self.hard_stop, self._close_doors)
        self.flush_every = flush_every
        if flush_every > 0:
            self.env.process(self._flusher())

    def _trace_decisions(self, event: dict[str, Any]) -> None:
        self.hooks.event(event)

    def _flusher(self):
        """Cut prediction batches at fixed sim times so live KPIs stay fresh and replays
        batch exactly as the original session did."""
        while self.env.now < self.hard_stop:
            yield self.env.timeout(self.flush_every)
            self.hooks.flush()

    # ----------------------------------------------------------------- building
    def _build_agents(self) -> None:
        for g in self.scenario.agents:
            for i in range(g.count):
                agent = Agent(f"{g.id}-{i + 1:03d}", g, g.policy, None)
                agent.name = {
                    lang: f"{n} {i + 1}" if g.count > 1 else n for lang, n in g.name.items()
                }
                self.agents.append(agent)
        for g in self.scenario.seats:
            agent = Agent(g.id, g, self.human_policy, g.id)
            self.agents.append(agent)
            self.seats[g.id] = agent
            if g.form is not None:
                agent.feed = _FormFeed(self, agent, g.form)
        self.agent_by_id: dict[str, Agent] = {a.id: a for a in self.agents}
        info = getattr(self.hooks.kpi, "agent_info", None)
        if info is not None:
            for agent in self.agents:
                info(agent.id, policy=agent.policy, human=agent.seat_id is not None)

    def _at(self, t: float, fn: Callable[[], None]) -> None:
        ev = self.env.timeout(max(0.0, t - self.env.now))
        ev.callbacks.append(lambda _ev: fn())

    def _schedule_shifts(self) -> None:
        day = self.scenario.day_s
        for agent in self.agents:
            g = agent.group
            k = 0
            while True:
                start = g.shift_start_s + k * day
                if start >= self.horizon:
                    break
                end = min(g.shift_end_s + k * day, self.hard_stop)
                if end >= self.horizon:
                    # on shift at closing time: stay to serve whoever still waits (drain)
                    end = self.hard_stop
                self._at(start, lambda a=agent: self._shift_on(a))
                self._at(end, lambda a=agent: self._shift_off(a))
                k += 1
                if day <= 0:
                    break

    def _shift_on(self, agent: Agent) -> None:
        if agent.on_shift:
            return
        agent.on_shift = True
        self._staffed.start(agent, self.env.now)
        if agent.active and agent.busy_since is None:  # still finishing a contact
            self._busy.start(agent, self.env.now)
        self._refresh(agent)
        self._take_work(agent)

    def _shift_off(self, agent: Agent) -> None:
        if not agent.on_shift:
            return
        if agent.staffed_since is not None:
            self.hooks.kpi.staffed(agent.id, self._staffed.stop(agent, self.env.now))
        if agent.busy_since is not None:
            # busy time counts only while staffed (occupancy = busy / staffed <= 1): a contact
            # running past the shift's end is finished off the clock
            self.hooks.kpi.agent_busy(agent.id, self._busy.stop(agent, self.env.now))
        agent.on_shift = False
        self.dirty.add(agent.id)
        for ch in agent.channels:
            self.idle[ch].pop(agent.id, None)

    def settle_staffed(self, kpi: Any) -> None:
        """Book into `kpi` the staffed and busy time still running now (the final results,
        or a copy of the accumulator for results in mid-session)."""
        now = self.env.now
        for a in self.agents:
            if a.staffed_since is not None and now > a.staffed_since:
                kpi.staffed(a.id, now - a.staffed_since)
            if a.busy_since is not None and now > a.busy_since:
                kpi.agent_busy(a.id, now - a.busy_since)

    def occupancy(self) -> float | None:
        """Live occupancy: busy / staffed time so far, including what is still running.

        O(1) whatever the staff (running totals, see `_Spans`): a screen asks every frame."""
        now = self.env.now
        staffed = self._staffed.total(now)
        if staffed <= 0:
            return None
        # busy time is counted only while staffed, so this is <= 1 up to float rounding
        return min(1.0, max(0.0, self._busy.total(now) / staffed))

    # ----------------------------------------------------------------- arrivals
    def _arrive(self, c: Contact) -> None:
        now = self.env.now
        self.counts["arrived"] += 1
        self.hooks.kpi.arrival(c.channel, now)
        kind = c.journey.kind
        for agent in self.idle[c.channel].values():
            if kind in agent.kinds:
                self._assign(agent, c)
                return
        self.queued[c.id] = c
        self.waiting[c.channel] += 1
        for lvl, q in self.queues[(c.channel, kind)]:
            if lvl <= c.priority:
                q.append(c)
                break
        if c.patience != math.inf:
            self.env.timeout(c.patience, c).callbacks.append(self._renege_event)

    def _renege_event(self, ev: simpy.Event) -> None:
        self._renege(ev.value)

    def _renege(self, c: Contact) -> None:
        if c.status != "queued":
            return
        now = self.env.now
        c.status = "abandoned"
        del self.queued[c.id]
        self.waiting[c.channel] -= 1
        self._abandoned(c, now - c.arrived, "abandon")

    def _abandoned(self, c: Contact, wait: float, reason: str) -> None:
        self.counts["abandoned"] += 1
        self.hooks.kpi.abandoned(wait, c.channel, c.arrived)
        # the persona's fields from the batch columns: building the `Persona` cost more
        # than the rest of an abandonment
        p, i = c.people.column, c.row
        segment = p("segment")[i]
        record = {
            "contact_id": c.id, "agent_id": None, "seat": None, "channel": c.channel,
            "journey_id": c.journey.id, "journey_kind": c.journey.kind, "kind": c.journey.kind,
            "arrived_at": c.arrived, "answered_at": None, "ended_at": self.env.now, "wait_s": wait,
            "handle_s": 0.0, "abandoned": 1, "outcome": "abandoned",
            "persona_id": p("persona_id")[i], "segment": segment, "age_band": p("age_band")[i],
            "temperament": p("temperament")[i], "prior_contacts": p("prior_contacts")[i],
        }  # fmt: skip
        self.hooks.record(record, None)
        event = {"t": self.env.now, "type": reason, "contact_id": c.id, "channel": c.channel,
                 "waited_s": round(wait, 3), "vip": segment == "vip"}  # fmt: skip
        self.hooks.event(event)
        self.hooks.alert({"t": self.env.now, "contact_id": c.id, "kind": "abandon", "channel": c.channel,
                          "waited_s": wait, "text": _abandon_text(c, wait)})  # fmt: skip

    # ----------------------------------------------------------------- routing
    def _refresh(self, agent: Agent) -> None:
        self.dirty.add(agent.id)
        if agent.feed is not None:  # never in the idle pools: its customers come by form
            return
        for ch in agent.channels:
            pool = self.idle[ch]
            if agent.can_take(ch):
                if agent.id not in pool:
                    pool[agent.id] = agent
            else:
                pool.pop(agent.id, None)

    def _next_for(self, agent: Agent) -> Contact | None:
        best: Contact | None = None
        best_key: tuple[int, float, int] | None = None
        for ch in agent.channels:
            if not self.waiting.get(ch) or not agent.can_take(ch):
                continue
            for kind in agent.kinds:
                for lvl, q in self.queues[(ch, kind)]:
                    while q and q[0].status != "queued":
                        q.popleft()
                    if q:
                        head = q[0]
                        key = (-lvl, head.arrived, head.seq)
                        if best_key is None or key < best_key:
                            best, best_key = head, key
                        break
        return best

    def _take_work(self, agent: Agent) -> None:
        if agent.feed is not None:
            agent.feed.ring_later()
            return
        while agent.on_shift:
            c = self._next_for(agent)
            if c is None:
                return
            self._assign(agent, c)

    def _assign(self, agent: Agent, c: Contact) -> None:
        now = self.env.now
        if c.status == "queued" and c.id in self.queued:
            del self.queued[c.id]
            self.waiting[c.channel] -= 1
        c.status = "active"
        c.agent = agent
        c.answered = now
        if not agent.active and agent.on_shift:
            self._busy.start(agent, now)
        agent.active.append(c)
        self._refresh(agent)
        self.active[c.id] = c
        self.counts["answered"] += 1
        wait = now - c.arrived
        self.hooks.kpi.answered(wait, c.channel, c.arrived)
        self.hooks.event({"t": now, "type": "answer", "contact_id": c.id, "agent_id": agent.id,
                          "channel": c.channel, "journey_id": c.journey.id, "waited_s": wait})  # fmt: skip
        human = agent.seat_id is not None
        if self.batch_play is not None and not human:
            # drawn handle time: the journey is played later, in a batch (batch_play.py)
            self.env.timeout(c.handle_s, c).callbacks.append(self._complete_batched_event)
            return
        line_s = self._line_s[c.channel]
        blocks = self._rng_blocks(c)
        if blocks is not None:
            c.policy_draws = blocks[2]
        c.play = ContactPlay(
            c.journey, c.persona, contact_id=c.id, seed=c.seed, channel=c.channel, wait_s=wait,
            speed=agent.speed, line_s=line_s, noise=self._noise_sigma, hangups=self._hangups,
            transcript=human,
            rng_blocks=blocks[:2] if blocks is not None else None, pace_s=self._pace(c.journey, line_s),
        )  # fmt: skip
        if human and agent.policy is None:
            self.env.process(self._human(c))
        else:
            self._play_bot(c, agent)

    @staticmethod
    def _rng_blocks(c: Contact) -> tuple[BlockRng, BlockRng, PolicyStream] | None:
        if c.blocks is None:
            return None
        rx_n, rx_u, sv_n, sv_u, pol_u = c.blocks
        i = c.draw
        c.blocks = None
        return (
            BlockRng(c.seed, rx_n.column(i), rx_u.column(i)),
            BlockRng(service_seed(c.seed), sv_n.column(i), sv_u.column(i)),
            policy_rng(c.seed, pol_u.column(i)),
        )

    def _channel(self, name: str) -> Any:
        for ch in self.scenario.channels:
            if ch.name == name:
                return ch
        raise KeyError(name)

    def _pace(self, journey: Any, line_s: float) -> float | None:
        """Expected handle time for the rubric: the expert's time on the journey, or the
        scenario's mean when handle times are drawn (exponential/lognormal service)."""
        key = (journey.id, line_s)
        pace = self._paces.get(key, -1.0)
        if pace == -1.0:
            svc = self.scenario.service
            if svc.model != "journey" and svc.mean_s:
                pace = float(svc.mean_s)
            else:
                pace = journey_pace(journey, line_s)
            self._paces[key] = pace
        return pace

    def _noise(self) -> float:
        svc = self.scenario.service
        return svc.sigma if svc.model == "journey" else 0.0

    # ----------------------------------------------------------------- contacts
    def _play_bot(self, c: Contact, agent: Agent) -> None:
        play = c.play
        assert play is not None
        now = self.env.now
        rng = c.policy_draws if c.policy_draws is not None else policy_rng(c.seed)
        t = now + play.begin(now)
        steps = 0
        human = agent.seat_id is not None
        if human:
            self._trigger_alerts(c, play.opening.triggers, now)
        while not play.finished:
            steps += 1
            try:
                if steps > MAX_DECISIONS:
                    raise PolicyError("too many steps")
                choice_id = choose(agent.policy, play.run, rng)
            except PolicyError:  # nothing on offer (a journey dead end): the contact ends
                play.end("unresolved")
                break
            node = play.run.node_id
            seconds, result = play.act(choice_id, t)
            if human:
                self._decision_detail(c, node, choice_id, result, t)
            if self.detail_steps:
                self.hooks.event({"t": t, "type": "decision", "contact_id": c.id, "agent_id": agent.id,
                                  "node_id": node, "choice_id": choice_id})  # fmt: skip
            t += seconds
        if self.scenario.service.model != "journey":
            play.rescale(c.handle_s)  # drawn with the arrival chunk (as batch play uses it)
        done = self.env.timeout(play.handle_s)
        done.callbacks.append(lambda _ev: self._complete(c))

    def _human(self, c: Contact):
        """A human seat's contact: waits on `decide`, the customer's patience ticking."""
        env = self.env
        play = c.play
        assert play is not None
        opening_s = play.begin(env.now)
        self._trigger_alerts(c, play.opening.triggers, env.now)
        yield env.timeout(opening_s)
        steps = 0
        while not play.finished:
            steps += 1
            if steps > MAX_DECISIONS or not play.choices():
                play.end("unresolved")
                break
            c.decision = env.event()
            c.pending = True
            c.pending_since = env.now
            since = env.now
            while True:
                limit = _time_to_exhaust(play)
                result = yield c.decision | env.timeout(limit)
                play.wait_for_agent(env.now - since)
                since = env.now
                if c.decision in result:
                    break
                if play.maybe_hang_up():
                    self.hooks.alert({"t": env.now, "contact_id": c.id, "kind": "hangup",
                                      "text": _HANGUP})  # fmt: skip
                    break
            c.pending = False
            if play.finished:
                break
            choice_id = c.decision.value
            node = play.run.node_id
            seconds, result = play.act(choice_id, env.now)
            self._decision_detail(c, node, choice_id, result, env.now)
            if seconds > 0:
                yield env.timeout(seconds)
        c.pending = False
        c.decision = None
        self._complete(c)

    def _decision_detail(
        self, c: Contact, node: str, choice_id: str, result: Any, t: float
    ) -> None:
        """Per-decision detail of a human seat's contact (feedback, knowledge, CSAT effect)."""
        play = c.play
        assert play is not None
        knowledge = []
        for kid in result.knowledge or ():
            entry = self.hooks.knowledge(kid)
            knowledge.append(
                {"id": kid, "title": entry["title"] if entry else {"zh-CN": kid, "en": kid}}
            )
        last = play.transcript[-1]["text"] if play.transcript else {}
        for line in reversed(play.transcript):
            if line["speaker"] == "agent" and line["t"] == t:
                last = line["text"]
                break
        csat_after = None
        if self.hooks.predict_now is not None:
            provisional = self._record(c, provisional=True)
            csat_after = self.hooks.predict_now(provisional).get("csat_mean")
        triggers = [
            {
                "trigger_id": e.trigger_id,
                "status": e.status,
                "required": list(e.required),
                "risk": e.risk,
            }
            for e in result.triggers
        ]
        risks = list(play.decisions[-1]["risks"]) if play.decisions else []
        log = c.decided_log
        if not isinstance(log, list):
            log = c.decided_log = []
        log.append({
            "t": t, "node_id": node, "choice_id": choice_id, "text": last,
            "behaviours": list(result.behaviours), "feedback": text_of(result.feedback),
            "knowledge": knowledge, "score": float(result.score or 0.0), "risks": risks,
            "triggers": triggers, "csat_after": csat_after, "hung_up": play.hung_up,
        })  # fmt: skip
        self._trigger_alerts(c, result.triggers, t)
        for r in risks:
            self.hooks.alert(
                {"t": t, "contact_id": c.id, "kind": "risk", "risk": r, "text": _risk_text(r)}
            )
        if play.hung_up:
            self.hooks.alert({"t": t, "contact_id": c.id, "kind": "hangup", "text": _HANGUP})

    def _trigger_alerts(self, c: Contact, events: Any, t: float) -> None:
        """Alerts for a human seat: a keyword rule armed (e.g. the calm three-step) or missed."""
        for e in events:
            if e.status not in ("armed", "missed"):
                continue
            trig = next((tr for tr in c.journey.triggers if tr.id == e.trigger_id), None)
            if e.status == "armed" and trig is not None and trig.alert:
                text = text_of(trig.alert)
            else:
                text = _trigger_text({"status": e.status, "required": list(e.required)})
            self.hooks.alert(
                {"t": t, "contact_id": c.id, "kind": "trigger", "status": e.status, "text": text}
            )

    def _record(self, c: Contact, provisional: bool = False) -> dict[str, Any]:
        play = c.play
        assert play is not None and c.agent is not None
        rec = play.record()
        if provisional and not play.finished:
            rec["outcome"] = "unresolved"
            rec["resolved"] = rec["fcr"] = 0
        agent = c.agent
        rec.update(
            agent_id=agent.id, seat=agent.seat_id, human=agent.seat_id is not None,
            arrived_at=c.arrived, answered_at=c.answered,
            ended_at=(c.answered or 0.0) + play.handle_s, policy=agent.policy,
        )  # fmt: skip
        if agent.seat_id is not None:
            rec["transcript"] = list(play.transcript)
            rec["decisions"] = list(c.decided_log)
            rec["persona_card"] = {lang: c.persona.card(lang) for lang in ("zh-CN", "en")}
            rec["journey_title"] = text_of(c.journey.title)
        return rec

    def _complete(self, c: Contact) -> None:
        now = self.env.now
        agent = c.agent
        assert agent is not None and c.play is not None
        agent.active.remove(c)
        if not agent.active and agent.busy_since is not None:
            self.hooks.kpi.agent_busy(agent.id, self._busy.stop(agent, now))
        self.active.pop(c.id, None)
        c.status = "done"
        self.counts["finished"] += 1
        record = self._record(c)
        record["ended_at"] = now
        self.hooks.event({"t": now, "type": "end", "contact_id": c.id, "agent_id": agent.id,
                          "outcome": record["outcome"], "handle_s": round(record["handle_s"], 3)})  # fmt: skip
        if agent.seat_id is None and self.scenario.service.model != "journey":
            self.hooks.played(record)  # where batch play would have emitted it
        else:
            self.hooks.record(record, c if agent.seat_id is not None else None)
        c.play = None
        self._refresh(agent)
        self._take_work(agent)

    def _complete_batched_event(self, ev: simpy.Event) -> None:
        self._complete_batched(ev.value)

    def _complete_batched(self, c: Contact) -> None:
        """A batch-played bot contact's handle time is over: free the agent; the recorder
        plays its journey with the next batch."""
        now = self.env.now
        agent = c.agent
        assert agent is not None
        agent.active.remove(c)
        if not agent.active and agent.busy_since is not None:
            self.hooks.kpi.agent_busy(agent.id, self._busy.stop(agent, now))
        self.active.pop(c.id, None)
        c.status = "done"
        self.counts["finished"] += 1
        self.hooks.event({"t": now, "type": "end", "contact_id": c.id, "agent_id": agent.id,
                          "handle_s": c.handle_s})  # fmt: skip
        self.hooks.deferred(c)
        self._refresh(agent)
        self._take_work(agent)

    def _drawn_handles(self, sv_n: DrawBlock, sv_u: DrawBlock) -> list[float]:
        """Handle times of an arrival chunk for drawn service models, from each contact's
        service numbers (their first uniform or normal). exp/log are the portable ones: the
        same bits on every CPU (`customer_models.portable`)."""
        from customer_models import portable

        svc = self.scenario.service
        mean = float(svc.mean_s or 0.0)
        if svc.model == "exponential":
            return (-portable.log(1.0 - sv_u.ensure(1)[0]) * mean).tolist()
        sigma = svc.sigma
        mu = portable.log1(mean) - sigma * sigma / 2.0
        return portable.exp(mu + sigma * sv_n.ensure(1)[0]).tolist()

    def _close_doors(self) -> None:
        """End of drain time: whoever still waits is turned away (counted as abandoned)."""
        for c in list(self.queued.values()):
            c.status = "abandoned"
            del self.queued[c.id]
            self.waiting[c.channel] -= 1
            self._abandoned(c, self.env.now - c.arrived, "closed")
        for c in list(self.active.values()):
            if c.pending and c.play is not None and c.decision is not None:
                c.play.end("unresolved")
                c.decision.succeed(None)

    # ----------------------------------------------------------------- decisions
    def decide(self, contact_id: str, choice_id: str) -> None:
        c = self.active.get(contact_id)
        if c is None or not c.pending or c.decision is None or c.decision.triggered:
            raise LookupError(contact_id)
        ids = [v.id for v in c.play.choices()] if c.play else []
        if choice_id not in ids:
            raise ValueError(choice_id)
        c.decision.succeed(choice_id)

    def pending(self) -> list[Contact]:
        return [c for c in self.active.values() if c.pending and c.decision is not None
                and not c.decision.triggered]  # fmt: skip

    def idle_done(self) -> bool:
        return not self.queued and not self.active


def _time_to_exhaust(play: ContactPlay) -> float:
    """Sim seconds until the customer's patience runs out while kept waiting (>= 5 s)."""
    from customer_models.reaction import drain

    rate = -drain(play.persona, play.mood, 60.0, "wait") / 60.0
    if rate <= 0:
        return 3600.0
    return max(5.0, play.mood.patience / rate)


def _accepts(journey: Any, columns: dict[str, np.ndarray]) -> np.ndarray:
    """Which personas of a batch pass the journey's `persona:` filter (vectorised)."""
    ok = np.ones(len(columns["persona_id"]), dtype=bool)
    for fld, allowed in journey.persona.items():
        ok &= np.isin(columns[fld], list(allowed))
    return ok


class _Draws:
    """Everything drawn for the next `CHUNK` customers of a channel, in numpy batches.

    Why chunks rather than one draw per interval: an interval holds a few hundred customers
    or fewer, and each batch costs a fixed ~1 ms of numpy calls (personas above all); drawing
    a chunk of at least `CHUNK` customers at a time keeps that under a microsecond a contact.
    Every purpose keeps its own stream, so the draws do not depend on the chunk size."""

    CHUNK = 2048

    def __init__(self, arrivals: _ChannelArrivals, n: int):
        a = arrivals
        self.n = n
        self.jidx = a.r_jny.choice(len(a.journeys), size=n, p=a.weights).tolist()
        self.people = sample_personas(a.r_per, n, a.center.mix)
        self.expo = a.r_pat.exponential(1.0, size=n).tolist()
        self.seeds = a.r_con.integers(0, 2**63 - 1, size=n, dtype=np.int64).tolist()
        # each contact's reaction, service and policy numbers, drawn as they are needed
        # (`DrawBlock`; kept as numpy: a contact's numbers become Python floats only if it
        # is played one at a time, so they cost 8 bytes each, not a Python float's 32)
        rx_n = DrawBlock(_seed(a.r_rx), n, RX_NORMALS, normal=True)
        rx_u = DrawBlock(_seed(a.r_rx), n, RX_UNIFORMS, normal=False)
        sv_n = DrawBlock(_seed(a.r_sv), n, SV_NORMALS, normal=True)
        sv_u = DrawBlock(_seed(a.r_sv), n, SV_UNIFORMS, normal=False)
        pol_u = DrawBlock(_seed(a.r_pol), n, POLICY_UNIFORMS, normal=False)
        self.blocks = (rx_n, rx_u, sv_n, sv_u, pol_u)
        self.handles = a.center._drawn_handles(sv_n, sv_u) if a.drawn else None
        self.fits = {
            j: _accepts(a.journeys[j], self.people.columns).tolist()
            for j in sorted(set(self.jidx))
            if a.journeys[j].persona
        }
        self.segments = self.people.column("segment")
        self.next = 0


def _seed(stream: np.random.Generator) -> int:
    """The seed of a chunk's `DrawBlock`, the next number of the purpose's stream."""
    return int(stream.integers(0, 2**63 - 1))


class _ChannelArrivals:
    """One channel's customers: time-varying Poisson arrival times per interval, and per
    customer a journey, a persona, patience and private random streams.

    Arrivals are a chain of SimPy timeouts with a callback (one event per customer, no
    process to resume), each scheduling the next."""

    def __init__(self, center: ContactCenter, ch: Any):
        self.center = center
        self.env = center.env
        sc = center.scenario
        self.ch = ch
        self.name = name = ch.name
        eligible = [(jid, w) for jid, w in sc.journey_mix if name in sc.journeys[jid].channels]
        self.journeys = [sc.journeys[jid] for jid, _ in eligible]
        weights = np.array([w for _, w in eligible], dtype=float)
        self.weights = weights / weights.sum()
        streams = center.streams
        r_arr = streams.generator(f"arrivals:{name}")
        self.r_jny = streams.generator(f"journeys:{name}")
        self.r_per = streams.generator(f"personas:{name}")
        self.r_pat = streams.generator(f"patience:{name}")
        self.r_con = streams.generator(f"contacts:{name}")
        self.r_rx = streams.generator(f"reactions:{name}")
        self.r_sv = streams.generator(f"service:{name}")
        self.r_pol = streams.generator(f"policies:{name}")
        self.drawn = sc.service.model != "journey"
        self.pool = _PersonaPool(self.r_per, center.mix)
        self.prefix = name[0].upper()
        self.seq = 0
        self.batches = interval_batches(
            name,
            per_hour=ch.arrivals_per_hour,
            profile=ch.profile,
            interval_s=ch.interval_s,
            cv=ch.day_factor_cv,
            horizon_s=center.horizon,
            rng=r_arr,
        )
        self.times: list[float] = []
        self.i = 0
        self.draws: _Draws | None = None

    def start(self) -> None:
        self._schedule()

    def _schedule(self) -> None:
        while self.i >= len(self.times):
            batch = next(self.batches, None)
            if batch is None:
                return
            self.times = batch.times.tolist()
            self.i = 0
        ev = self.env.timeout(max(0.0, self.times[self.i] - self.env.now))
        ev.callbacks.append(self._fire)

    def _fire(self, _ev: Any) -> None:
        env_now = self.env.now
        times = self.times
        # customers arriving at the same instant are all let in now
        while True:
            self.i += 1
            self.center._arrive(self._customer(env_now))
            if self.i >= len(times) or times[self.i] > env_now:
                break
        self._schedule()

    def _customer(self, now: float) -> Contact:
        d = self.draws
        if d is None or d.next >= d.n:
            left = len(self.times) - self.i + 1
            d = self.draws = _Draws(self, max(_Draws.CHUNK, left))
        i = d.next
        d.next = i + 1
        j = d.jidx[i]
        journey = self.journeys[j]
        ok = d.fits.get(j)
        if ok is None or ok[i]:
            who, row, segment = d.people, i, d.segments[i]
        else:
            who, row = self.pool.take(journey)
            segment = str(who.columns["segment"][row])
        persona = None
        ch = self.ch
        mode = ch.patience
        if mode == "none":
            patience = math.inf
        elif mode == "exponential":
            patience = d.expo[i] * ch.patience_mean_s
        else:
            persona = who.persona(row)
            patience = d.expo[i] * persona.patience_s[self.name]
        self.seq += 1
        seq = self.seq
        return Contact(
            f"{self.prefix}{seq:06d}", seq, self.name, journey, who, row, d.seeds[i], now,
            patience, self.center.scenario.priority.get(segment, 0), d.blocks, i,
            d.handles[i] if d.handles is not None else 0.0, persona,
        )  # fmt: skip


class _FormFeed:
    """A seat's form: its own customers, in a fixed order, put through to that seat only.

    Customer k (journey, channel, persona, seed and every pre-drawn number) comes from the
    form's own streams in chunks of a fixed size, so it is the same whatever the seat's speed,
    whatever the bots and queue around it do, and however many customers came before it were
    finished in what time. The next customer rings `gap_s` after the seat is free (on shift,
    no contact) until the horizon or the form's `customers` count."""

    CHUNK = 64

    def __init__(self, center: ContactCenter, agent: Agent, spec: FormSpec):
        self.center = center
        self.env = center.env
        self.agent = agent
        self.spec = spec
        sc = center.scenario
        streams = Streams(center.seed if spec.seed is None else spec.seed)
        name = f"form:{agent.id}"
        seat_channels = [c for c in agent.channels if c in sc.channel_names]
        eligible = [
            (jid, w)
            for jid, w in sc.journey_mix
            if sc.journeys[jid].kind in agent.kinds
            and any(c in sc.journeys[jid].channels for c in seat_channels)
        ]
        if not eligible:
            raise ValueError(
                f"seat {agent.id!r}: no journey of the mix fits its channels and kinds"
            )
        self.journeys = [sc.journeys[jid] for jid, _ in eligible]
        self.channels = [next(c for c in seat_channels if c in j.channels) for j in self.journeys]
        weights = np.array([w for _, w in eligible], dtype=float)
        self.weights = weights / weights.sum()
        self.r_jny = streams.generator(f"{name}:journeys")
        self.r_per = streams.generator(f"{name}:personas")
        self.r_pat = streams.generator(f"{name}:patience")
        self.r_con = streams.generator(f"{name}:contacts")
        self.r_rx = streams.generator(f"{name}:reactions")
        self.r_sv = streams.generator(f"{name}:service")
        self.r_pol = streams.generator(f"{name}:policies")
        self.drawn = sc.service.model != "journey"
        self.pool = _PersonaPool(self.r_per, center.mix)
        self.k = 0
        self.draws: _Draws | None = None
        self.ringing = False

    def ring_later(self) -> None:
        """Put the next customer through `gap_s` from now, if the seat is free for it."""
        agent = self.agent
        if self.ringing or agent.active or not agent.on_shift:
            return
        if self.spec.customers is not None and self.k >= self.spec.customers:
            return
        if self.env.now + self.spec.gap_s >= self.center.horizon:
            return
        self.ringing = True
        self.env.timeout(self.spec.gap_s).callbacks.append(self._ring)

    def _ring(self, _ev: simpy.Event) -> None:
        self.ringing = False
        agent = self.agent
        if agent.active or not agent.on_shift:
            return
        center = self.center
        c = self._customer(self.env.now)
        center.counts["arrived"] += 1
        center.hooks.kpi.arrival(c.channel, c.arrived)
        center._assign(agent, c)

    def _customer(self, now: float) -> Contact:
        i = self.k % self.CHUNK
        if i == 0:
            self.draws = _Draws(self, self.CHUNK)  # type: ignore[arg-type]
        d = self.draws
        assert d is not None
        self.k += 1
        j = d.jidx[i]
        journey = self.journeys[j]
        ok = d.fits.get(j)
        if ok is None or ok[i]:
            who, row = d.people, i
        else:
            who, row = self.pool.take(journey)
        return Contact(
            f"{self.agent.id}-{self.k:03d}", self.k, self.channels[j], journey, who, row,
            d.seeds[i], now, math.inf, 0, d.blocks, i,
            d.handles[i] if d.handles is not None else 0.0,
        )  # fmt: skip


class _Spans:
    """Running totals of one kind of agent time (busy or staffed) over all agents.

    Why: live occupancy is read every frame; summing 370 agents' spans each time made its
    cost grow with the staff. The per-agent figures stay on the agents (`<kind>_since`,
    `<kind>_total`); this keeps their sums: finished spans, plus `n·now − Σ since` for the
    spans still running."""

    __slots__ = ("done", "running", "since_attr", "since_sum", "total_attr")

    def __init__(self, kind: str):
        self.since_attr = f"{kind}_since"
        self.total_attr = f"{kind}_total"
        self.done = 0.0
        self.running = 0
        self.since_sum = 0.0

    def start(self, agent: Agent, now: float) -> None:
        setattr(agent, self.since_attr, now)
        self.running += 1
        self.since_sum += now

    def stop(self, agent: Agent, now: float) -> float:
        """End the agent's running span; returns its length."""
        since = getattr(agent, self.since_attr)
        span = now - since
        setattr(agent, self.total_attr, getattr(agent, self.total_attr) + span)
        setattr(agent, self.since_attr, None)
        self.done += span
        self.running -= 1
        self.since_sum = self.since_sum - since if self.running else 0.0
        return span

    def total(self, now: float) -> float:
        return self.done + (self.running * now - self.since_sum)


class _PersonaPool:
    """Spare personas for journeys whose `persona:` filter rejected the drawn customer.

    Why a pool: a journey for elderly customers rejects most draws; re-sampling one at a
    time costs a numpy call each. The pool draws 256 at once from the same persona stream
    and hands out the first unused one that fits, in a fixed order (deterministic)."""

    SIZE = 256

    def __init__(self, rng: np.random.Generator, mix: Any):
        self.rng = rng
        self.mix = mix
        self.batch: Any = None
        self.used = np.zeros(0, dtype=bool)

    def take(self, journey: Any) -> tuple[Any, int]:
        """(persona batch, row) of the first unused spare persona that fits `journey`."""
        for _ in range(64):
            if self.batch is not None:
                free = _accepts(journey, self.batch.columns) & ~self.used
                hits = np.flatnonzero(free)
                if len(hits):
                    k = int(hits[0])
                    self.used[k] = True
                    return self.batch, k
            self.batch = sample_personas(self.rng, self.SIZE, self.mix)
            self.used = np.zeros(self.SIZE, dtype=bool)
        raise RuntimeError(f"journey {journey.id!r}: its persona filter accepts almost nobody")


_HANGUP = {"zh-CN": "客户挂断了", "en": "The customer hung up"}


def _abandon_text(c: Contact, wait: float) -> dict[str, str]:
    return {
        "zh-CN": f"{c.id} 排队 {wait:.0f} 秒后放弃",
        "en": f"{c.id} abandoned after {wait:.0f} s in the queue",
    }


def _trigger_text(e: dict[str, Any]) -> dict[str, str]:
    req = ", ".join(e["required"])
    if e["status"] == "missed":
        return {"zh-CN": f"未完成必需步骤：{req}", "en": f"Required steps missed: {req}"}
    return {"zh-CN": f"触发规则，接下来必须：{req}", "en": f"Rule triggered — next you must: {req}"}


def _risk_text(risk: str) -> dict[str, str]:
    from journeys.vocabulary import RISK_TYPES

    label = RISK_TYPES.get(risk, {"zh-CN": risk, "en": risk})
    return {"zh-CN": f"风险点：{label['zh-CN']}", "en": f"Risk point: {label['en']}"}
