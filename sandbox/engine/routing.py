"""Queues, routing and shifts: which agent takes which waiting customer, and when.

One queue per channel and journey kind, served highest priority first, then first come;
idle agents are kept in per-channel pools so an arrival finds one in O(1). Queue abandonment is
one plain timeout per waiting contact (no process); a contact answered first ignores it.
Shifts switch agents on and off; busy and staffed time are booked as they end. Seats with a
form never take from the queues (`customers.FormFeed` rings them instead). What happens once a
contact is answered is the service's job (`service.Service.start`)."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import simpy

from sandbox.engine.agents import Agent, Contact, Hooks, Spans
from sandbox.scenario import Scenario

if TYPE_CHECKING:
    from sandbox.engine.service import Service

_KINDS = ("complaint", "inquiry", "sales")


class _Scheduler:
    """Stands in for the environment while a `simpy.Timeout` is made, so that the timeout is
    scheduled with `priority` instead of NORMAL (SimPy's public `schedule`; no private field
    of SimPy is read or written)."""

    def __init__(self, env: simpy.Environment, priority: float):
        self.env = env
        self.priority = priority

    def schedule(self, event: simpy.Event, _priority: object, delay: float) -> None:
        self.env.schedule(event, self.priority, delay)  # type: ignore[arg-type]


def _tick(env: simpy.Environment, delay: float, priority: float) -> simpy.Timeout:
    """A timeout after `delay` with `priority` (`simpy.Timeout` always takes NORMAL)."""
    event = simpy.Timeout(_Scheduler(env, priority), delay)  # type: ignore[arg-type]
    event.env = env
    return event


def slot_share(agent: Agent) -> float:
    """How busy an agent is: the share of its slots in use (a phone or email contact fills
    the agent; a chat fills one of its `chat_concurrency` slots)."""
    used = len(agent.active) + len(agent.wrap)  # after-call work holds its slot too
    if not used:
        return 0.0
    if (
        agent.chat_slots <= 1
        or any(c.channel != "chat" for c in agent.active)
        or any(w != "chat" for w in agent.wrap)
    ):
        return 1.0
    return min(1.0, used / agent.chat_slots)


class Routing:
    """The queues, idle pools and shifts of one centre."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        hooks: Hooks,
        counts: dict[str, int],
        dirty: set[str],
    ):
        self.env = env
        self.scenario = scenario
        self.hooks = hooks
        self.counts = counts
        #: ids of agents whose status or contacts changed since a screen last looked
        self.dirty = dirty
        self.horizon = scenario.duration_s
        self.hard_stop = scenario.duration_s + scenario.drain_s
        self.idle: dict[str, dict[str, Agent]] = {c: {} for c in scenario.channel_names}
        self.queued: dict[str, Contact] = {}
        self.waiting: dict[str, int] = dict.fromkeys(scenario.channel_names, 0)
        levels = sorted({0, *scenario.priority.values()}, reverse=True)
        self.queues: dict[tuple[str, str], list[tuple[int, deque[Contact]]]] = {
            (c, k): [(lvl, deque()) for lvl in levels]
            for c in scenario.channel_names
            for k in _KINDS
        }
        self.active: dict[str, Contact] = {}
        self.busy = Spans("busy")
        self.staffed = Spans("staffed")
        self.service: Service | None = None  # wired by the centre

    # ----------------------------------------------------------------- shifts
    def at(self, t: float, fn: Callable[[], None]) -> None:
        """Call `fn` at sim time `t` (or now, if `t` has passed)."""
        ev = self.env.timeout(max(0.0, t - self.env.now))
        ev.callbacks.append(lambda _ev: fn())

    def schedule_shifts(self, agents: list[Agent]) -> None:
        """Put each agent's first shift on the clock; each shift start books the same shift
        of the next day (the day repeats). Why not every day up front: with `--hours 999999`
        that was millions of events before the first customer; now the events waiting grow
        with the staff, never with the hours.

        Same order as booking every day up front: at one instant shift events run before
        any other ordinary event (their priority sits between SimPy's URGENT and NORMAL), agent
        by agent in list order (the priority grows with the agent's index), and for one agent
        day by day, on before off (the order they were booked)."""
        n = max(1, len(agents))
        for index, agent in enumerate(agents):
            self._book_shift(agent, 0, 0.5 + index / (2.0 * n))

    def _book_shift(self, agent: Agent, k: int, priority: float) -> None:
        g = agent.group
        day = self.scenario.day_s
        start = g.shift_start_s + k * day
        if start >= self.horizon:
            return
        end = min(g.shift_end_s + k * day, self.hard_stop)
        if end >= self.horizon:
            # on shift at closing time: stay to serve whoever still waits (drain)
            end = self.hard_stop

        def on(_ev: simpy.Event) -> None:
            if day > 0:
                self._book_shift(agent, k + 1, priority)
            self.shift_on(agent)
            if g.breaks:
                self._book_breaks(agent, start, priority)

        self._at_exact(start, priority).callbacks.append(on)
        self._at_exact(end, priority).callbacks.append(lambda _ev: self.shift_off(agent))

    def _at_exact(self, t: float, priority: float) -> simpy.Event:
        """An event at exactly sim time `t` (or now, if `t` has passed) with `priority`."""
        env = self.env
        now = env.now
        delay = max(0.0, t - now)
        while now + delay < t:  # float rounding: the event must fall on t itself
            delay = math.nextafter(delay, math.inf)
        while delay > 0 and now + delay > t:
            delay = math.nextafter(delay, 0.0)
        return _tick(env, delay, priority)

    def shift_on(self, agent: Agent) -> None:
        if agent.on_shift:
            return
        agent.on_shift = True
        if agent.away:  # still on a break: the staffed clock starts when it is over
            return
        self.staffed.start(agent, self.env.now)
        if (agent.active or agent.wrap) and agent.busy_since is None:  # still finishing
            self.busy.start(agent, self.env.now, slot_share(agent))
        self.refresh(agent)
        self.take_work(agent)

    # ----------------------------------------------------------------- breaks
    def _book_breaks(self, agent: Agent, shift_start: float, priority: float) -> None:
        """This shift's breaks (lunch, meetings…), agent i of n in its group `spread × i/n`
        after the break's time, so the group does not leave the phones all at once."""
        g = agent.group
        n = max(1, g.count)
        for b in g.breaks:
            t = shift_start + b.at_s + b.spread_s * agent.rank / n
            if t >= self.hard_stop:
                continue
            self._at_exact(t, priority).callbacks.append(self._break_event(agent, b.length_s))

    def _break_event(self, agent: Agent, length: float) -> Callable[[simpy.Event], None]:
        def due(_ev: simpy.Event) -> None:
            self.break_due(agent, length)

        return due

    def break_due(self, agent: Agent, length: float) -> None:
        """A break is due: the agent takes no new work, finishes what it has (contact and
        after-call work), then goes off the staffed clock for `length` seconds."""
        if not agent.on_shift or agent.away:
            return
        agent.break_due = length
        self.refresh(agent)
        if not agent.active and not agent.wrap:
            self._go_away(agent)

    def _go_away(self, agent: Agent) -> None:
        now = self.env.now
        length = agent.break_due
        agent.break_due = 0.0
        agent.away = True
        if agent.staffed_since is not None:
            self.hooks.kpi.staffed(agent.id, self.staffed.stop(agent, now))
        self.dirty.add(agent.id)
        for ch in agent.channels:
            self.idle[ch].pop(agent.id, None)
        self.at(now + length, lambda: self._come_back(agent))

    def _come_back(self, agent: Agent) -> None:
        agent.away = False
        self.dirty.add(agent.id)
        if not agent.on_shift:  # the shift ended during the break
            return
        self.staffed.start(agent, self.env.now)
        self.refresh(agent)
        self.take_work(agent)

    def shift_off(self, agent: Agent) -> None:
        if not agent.on_shift:
            return
        agent.break_due = 0.0
        if agent.staffed_since is not None:
            self.hooks.kpi.staffed(agent.id, self.staffed.stop(agent, self.env.now))
        if agent.busy_since is not None:
            # busy time counts only while staffed (occupancy = busy / staffed <= 1): a contact
            # running past the shift's end is finished off the clock
            self.hooks.kpi.agent_busy(agent.id, self.busy.stop(agent, self.env.now))
        agent.on_shift = False
        self.dirty.add(agent.id)
        for ch in agent.channels:
            self.idle[ch].pop(agent.id, None)

    def settle_staffed(self, kpi: Any, agents: list[Agent]) -> None:
        """Book into `kpi` the staffed and busy time still running now (the final results,
        or a copy of the accumulator for results in mid-session)."""
        now = self.env.now
        for a in agents:
            if a.staffed_since is not None and now > a.staffed_since:
                kpi.staffed(a.id, now - a.staffed_since)
            if a.busy_since is not None and now > a.busy_since:
                kpi.agent_busy(a.id, (now - a.busy_since) * self.busy.weight(a))

    def occupancy(self) -> float | None:
        """Live occupancy: busy / staffed time so far, including what is still running.

        O(1) whatever the staff (running totals, see `Spans`): a screen asks every frame."""
        now = self.env.now
        staffed = self.staffed.total(now)
        if staffed <= 0:
            return None
        # busy time is counted only while staffed, so this is <= 1 up to float rounding
        return min(1.0, max(0.0, self.busy.total(now) / staffed))

    # ----------------------------------------------------------------- arrivals
    def arrive(self, c: Contact) -> None:
        """A customer of a channel arrives: an idle agent takes it, or it queues."""
        now = self.env.now
        self.counts["arrived"] += 1
        self.hooks.kpi.arrival(c.channel, now)
        kind = c.journey.kind
        for agent in self.idle[c.channel].values():
            if kind in agent.kinds:
                self.assign(agent, c)
                return
        self.queued[c.id] = c
        self.waiting[c.channel] += 1
        for lvl, q in self.queues[(c.channel, kind)]:
            if lvl <= c.priority:
                q.append(c)
                break
        if c.patience != math.inf:
            self.env.timeout(c.patience, c).callbacks.append(self._renege_event)

    def put_through(self, agent: Agent, c: Contact) -> None:
        """A seat's form customer rings at that seat: it arrives and is answered at once."""
        self.counts["arrived"] += 1
        self.hooks.kpi.arrival(c.channel, c.arrived)
        self.assign(agent, c)

    def _renege_event(self, ev: simpy.Event) -> None:
        c = cast(Contact, ev.value)
        if c.status != "queued":
            return
        c.status = "abandoned"
        del self.queued[c.id]
        self.waiting[c.channel] -= 1
        self._abandoned(c, self.env.now - c.arrived, "abandon")

    def close_doors(self) -> None:
        """End of drain time: whoever still waits is turned away (counted as abandoned)."""
        for c in list(self.queued.values()):
            c.status = "abandoned"
            del self.queued[c.id]
            self.waiting[c.channel] -= 1
            self._abandoned(c, self.env.now - c.arrived, "closed")

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
    def refresh(self, agent: Agent) -> None:
        """Put the agent in or out of the idle pools of its channels."""
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

    def take_work(self, agent: Agent) -> bool:
        """A free agent takes the best waiting customers it can (a form seat: the next
        customer of its form rings). Whether it took any (`assign` refreshed its pools)."""
        if agent.feed is not None:
            agent.feed.ring_later()
            return False
        took = False
        while agent.on_shift:
            c = self._next_for(agent)
            if c is None:
                break
            self.assign(agent, c)
            took = True
        return took

    def assign(self, agent: Agent, c: Contact) -> None:
        """`agent` answers `c` now; the service plays it."""
        now = self.env.now
        if c.status == "queued" and c.id in self.queued:
            del self.queued[c.id]
            self.waiting[c.channel] -= 1
        c.status = "active"
        c.agent = agent
        c.answered = now
        agent.active.append(c)
        self._reweigh_busy(agent, now)  # another chat: the busy share goes up
        self.refresh(agent)
        self.active[c.id] = c
        self.counts["answered"] += 1
        wait = now - c.arrived
        self.hooks.kpi.answered(wait, c.channel, c.arrived)
        self.hooks.event({"t": now, "type": "answer", "contact_id": c.id, "agent_id": agent.id,
                          "channel": c.channel, "journey_id": c.journey.id, "waited_s": wait})  # fmt: skip
        assert self.service is not None
        self.service.start(agent, c, wait)

    def release(self, c: Contact) -> Agent:
        """`c` is over: its agent is free of it (and takes the next work)."""
        now = self.env.now
        agent = c.agent
        assert agent is not None
        agent.active.remove(c)
        if agent.busy_since is not None:
            self.hooks.kpi.agent_busy(agent.id, self.busy.stop(agent, now))
            if agent.active:  # still chatting: busy with the slots still in use
                self.busy.start(agent, now, slot_share(agent))
        self.active.pop(c.id, None)
        c.status = "done"
        self.counts["finished"] += 1
        return agent

    def next_work(self, agent: Agent) -> None:
        if agent.break_due and not agent.active and not agent.wrap:
            self._go_away(agent)
            return
        # work first: an agent that takes some is refreshed by `assign`, not put in the idle
        # pools only to be taken out again (the same pools either way)
        if not self.take_work(agent):
            self.refresh(agent)

    def after_contact(self, agent: Agent, c: Contact) -> None:
        """A released contact's agent does its after-call work (bots, when the channel has
        any), then takes the next work."""
        if c.acw_s > 0 and agent.seat_id is None:
            self.wrap_up(agent, c.channel, c.acw_s)
        else:
            self.next_work(agent)

    def wrap_up(self, agent: Agent, channel: str, seconds: float) -> None:
        """After-call work: the agent stays busy (its slot in use, counted in occupancy and
        AHT) for `seconds`, then is free."""
        agent.wrap.append(channel)
        self._reweigh_busy(agent, self.env.now)
        self.hooks.kpi.after_call_work(seconds, channel, agent.id)
        self.refresh(agent)
        ev = self.env.timeout(seconds, (agent, channel))
        ev.callbacks.append(self._wrapped)

    def _wrapped(self, ev: simpy.Event) -> None:
        agent, channel = cast(tuple[Agent, str], ev.value)
        agent.wrap.remove(channel)
        self._reweigh_busy(agent, self.env.now)
        self.next_work(agent)

    def _reweigh_busy(self, agent: Agent, now: float) -> None:
        """The agent's slots in use changed: its running busy span ends and, while it is on
        shift with work, a new one starts at the new share (`slot_share`)."""
        if agent.busy_since is not None:
            self.hooks.kpi.agent_busy(agent.id, self.busy.stop(agent, now))
        if agent.on_shift and (agent.active or agent.wrap):
            self.busy.start(agent, now, slot_share(agent))


def _abandon_text(c: Contact, wait: float) -> dict[str, str]:
    return {
        "zh-CN": f"{c.id} 排队 {wait:.0f} 秒后放弃",
        "en": f"{c.id} abandoned after {wait:.0f} s in the queue",
    }
