"""The contact centre in SimPy: a scenario's parts put together and run under one `env`.

Each part has one job (docs/architecture.md):
- `customers`: who calls — each channel's arrivals and each seat's form, drawn ahead;
- `routing`: queues, idle agents, shifts, abandonment, agent time;
- `service`: answered contacts played through their journeys and finished;
- `coaching`: human seats' contacts waiting on decisions, and the detail a trainee sees.
Finished records go to the `Recorder` through the hooks (batched predictions, streaming
KPIs and exports); the centre keeps no per-contact object after a contact ends.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any

import simpy

from customer_models.personas import PersonaMix
from sandbox.engine.agents import Agent, Contact, Hooks
from sandbox.engine.batch_play import BatchPlayer
from sandbox.engine.coaching import Coaching
from sandbox.engine.customers import ChannelArrivals, FormClaims, FormFeed
from sandbox.engine.form_queue import SeatQueue, TeamSchedule
from sandbox.engine.routing import Routing
from sandbox.engine.service import Service
from sandbox.engine.streams import Streams
from sandbox.scenario import Scenario

__all__ = ["Agent", "Contact", "ContactCenter", "Hooks"]


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
        form_claims: Mapping[str, FormClaims] | None = None,
    ):
        self.scenario = scenario
        self.form_claims = dict(form_claims or {})
        self.seed = seed
        self.hooks = hooks
        self.human_policy = human_policy
        self.env = simpy.Environment()
        self.streams = Streams(seed)
        self.mix = PersonaMix.from_mapping(scenario.persona_mix) if scenario.persona_mix else None
        self.horizon = scenario.duration_s
        self.hard_stop = scenario.duration_s + scenario.drain_s
        self.counts = {"arrived": 0, "answered": 0, "abandoned": 0, "finished": 0}
        #: ids of agents whose status or contacts changed since a screen last looked
        #: (`Session` rebuilds only their rows, so a snapshot's cost does not grow with staff)
        self.dirty: set[str] = set()
        rule = getattr(hooks.kpi, "service_level_rule", None)
        if rule is not None:  # which abandons count against the service level
            rule(scenario.service_level.cutoff(scenario.threshold_s))
        self.routing = Routing(self.env, scenario, hooks, self.counts, self.dirty)
        self.service = Service(self.env, scenario, hooks, self.routing, batch_play=batch_play)
        self.coaching = Coaching(self.env, hooks, self.routing, self.service)
        self.routing.service = self.service
        self.service.coaching = self.coaching
        self.agents: list[Agent] = []
        self.seats: dict[str, Agent] = {}
        #: seats whose form has its own queue (`form: {arrivals_per_hour: …}`)
        self.seat_queues: dict[str, SeatQueue] = {}
        self._build_agents()
        for ch in scenario.channels:
            if ch.arrivals_per_hour > 0:
                ChannelArrivals(
                    self.env, scenario, self.streams, self.mix, ch, self.routing.arrive
                ).start()
        self.routing.schedule_shifts(self.agents)
        self.routing.at(self.hard_stop, self._close_doors)
        self.flush_every = flush_every
        if flush_every > 0:
            self.env.process(self._flusher())

    # The parts' state that a screen reads (Session.snapshot).
    @property
    def queued(self) -> dict[str, Contact]:
        return self.routing.queued

    @property
    def waiting(self) -> dict[str, int]:
        return self.routing.waiting

    @property
    def active(self) -> dict[str, Contact]:
        return self.routing.active

    @property
    def batch_play(self) -> BatchPlayer | None:
        return self.service.batch_play

    def _flusher(self) -> Generator[simpy.Event, Any, None]:
        """Cut prediction batches at fixed sim times so live KPIs stay fresh and replays
        batch exactly as the original session did."""
        while self.env.now < self.hard_stop:
            yield self.env.timeout(self.flush_every)
            self.hooks.flush()

    def _build_agents(self) -> None:
        for g in self.scenario.agents:
            for i in range(g.count):
                agent = Agent(f"{g.id}-{i + 1:03d}", g, g.policy, None)
                agent.rank = i
                agent.name = {
                    lang: f"{n} {i + 1}" if g.count > 1 else n for lang, n in g.name.items()
                }
                self.agents.append(agent)
        for g in self.scenario.seats:
            agent = Agent(g.id, g, self.human_policy, g.id)
            self.agents.append(agent)
            self.seats[g.id] = agent
            if g.form is not None:
                claims = self.form_claims.get(g.id)
                if claims is None and g.form.arrivals_per_hour is not None:
                    claims = self.seat_queues[g.id] = self._seat_queue(g.form)
                agent.feed = FormFeed(
                    self.env, self.scenario, self.seed, self.mix, agent, g.form,
                    self.routing.put_through, claims,
                )  # fmt: skip
        self.agent_by_id: dict[str, Agent] = {a.id: a for a in self.agents}
        info = getattr(self.hooks.kpi, "agent_info", None)
        if info is not None:
            for agent in self.agents:
                info(agent.id, policy=agent.policy, human=agent.seat_id is not None)

    def _seat_queue(self, form: Any) -> SeatQueue:
        """A seat's own queue: its form's schedule (the form's seed), open until closing."""
        seed = self.seed if form.seed is None else form.seed
        schedule = TeamSchedule.shared(seed, form.arrivals_per_hour, form.patience_s)
        return SeatQueue(schedule, form.gap_s, self.horizon)

    def _close_doors(self) -> None:
        """End of drain time: whoever still waits is turned away (counted as abandoned), and
        a trainee's contact still waiting for a decision ends unresolved."""
        self.routing.close_doors()
        self.coaching.close()

    def settle_staffed(self, kpi: Any) -> None:
        """Book into `kpi` the staffed and busy time still running now."""
        self.routing.settle_staffed(kpi, self.agents)

    def occupancy(self) -> float | None:
        """Live occupancy: busy / staffed time so far (O(1) whatever the staff)."""
        return self.routing.occupancy()

    def decide(self, contact_id: str, choice_id: str) -> None:
        """Take a pending decision (LookupError: not pending; ValueError: not on offer)."""
        self.coaching.decide(contact_id, choice_id)

    def pending(self) -> list[Contact]:
        """Contacts waiting for a decision now."""
        return self.coaching.pending()
