"""The people of the centre as the engine sees them: agents (bots and human seats), contacts
while they wait or are handled, the hooks through which the centre reports, and running
totals of agent time.

Why one module of plain types: arrivals, routing, service and coaching all read and write
these, so they are declared once here and the parts depend on them, not on each other."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import simpy

from sandbox.scenario import AgentGroup

if TYPE_CHECKING:
    from sandbox.engine.contact import ContactPlay
    from sandbox.engine.customers import FormFeed
    from sandbox.engine.streams import DrawBlock, PolicyStream


class Agent:
    """One agent (bot) or human seat."""

    __slots__ = (
        "active",
        "away",
        "break_due",
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
        "rank",
        "seat_id",
        "speed",
        "staffed_since",
        "staffed_total",
        "wrap",
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
        #: a seat with a form takes only its own customers (`FormFeed`), never the queue's
        self.feed: FormFeed | None = None
        self.active: list[Contact] = []
        self.on_shift = False
        self.busy_since: float | None = None
        self.staffed_since: float | None = None
        self.busy_total = 0.0
        self.staffed_total = 0.0
        #: this agent's index in its group (staggers the group's breaks)
        self.rank = 0
        #: channels of the contacts in after-call work now (each holds a slot, as a contact)
        self.wrap: list[str] = []
        #: on a break now (off the staffed clock); a break's length waiting for the agent to
        #: finish its contacts (it takes no new work meanwhile; 0: none)
        self.away = False
        self.break_due = 0.0

    def can_take(self, channel: str) -> bool:
        if not self.on_shift or self.away or self.break_due:
            return False
        wrap = self.wrap
        if not self.active and not wrap:
            return True
        if channel != "chat" or self.chat_slots <= 1:
            return False
        return (
            len(self.active) + len(wrap) < self.chat_slots
            and all(c.channel == "chat" for c in self.active)
            and all(w == "chat" for w in wrap)
        )

    @property
    def status(self) -> str:
        if self.active or self.wrap:
            return "busy"
        return "idle" if self.on_shift and not self.away else "off_shift"


class Contact:
    """A customer contact while it is waiting or being handled."""

    __slots__ = (
        "_persona",
        "acw_s",
        "agent",
        "answered",
        "arrived",
        "blocks",
        "channel",
        "decided_log",
        "decision",
        "draw",
        "factor",
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
                 blocks: tuple[DrawBlock, ...] | None = None, draw: int = 0, handle_s: float = 0.0,
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
        self.acw_s = 0.0  # after-call work when a bot finishes it (channel `after_call_work`)
        self.factor = 1.0  # how complex the case is: its times × this (`service.contact_cv`)
        self.status = "queued"
        self.agent: Agent | None = None
        self.answered: float | None = None
        self.play: ContactPlay | None = None
        self.policy_draws: PolicyStream | None = None
        self.decision: simpy.Event | None = None
        self.pending = False
        self.pending_since = 0.0
        #: a seat's decisions with their feedback
        self.decided_log: list[dict[str, Any]] = []

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
    knowledge: Callable[[str], Mapping[str, Any] | None] = field(default=lambda _id: None)


class Spans:
    """Running totals of one kind of agent time (busy or staffed) over all agents.

    Why: live occupancy is read every frame; summing 370 agents' spans each time made its
    cost grow with the staff. The per-agent figures stay on the agents (`<kind>_since`,
    `<kind>_total`); this keeps their sums: finished spans, plus `Σw·now − Σ w·since` for the
    spans still running. A span has a weight: busy time counts the share of the agent's
    slots in use (a chat agent with one chat of three open is a third busy), so occupancy is
    busy slots over staffed slots; everything else weighs 1."""

    __slots__ = ("done", "running", "since_attr", "since_sum", "total_attr", "weights")

    def __init__(self, kind: str):
        self.since_attr = f"{kind}_since"
        self.total_attr = f"{kind}_total"
        self.done = 0.0
        self.running = 0.0  # Σ weights of the running spans
        self.since_sum = 0.0  # Σ weight × start of the running spans
        self.weights: dict[str, float] = {}

    def start(self, agent: Agent, now: float, weight: float = 1.0) -> None:
        setattr(agent, self.since_attr, now)
        self.weights[agent.id] = weight
        self.running += weight
        self.since_sum += weight * now

    def weight(self, agent: Agent) -> float:
        return self.weights.get(agent.id, 1.0)

    def stop(self, agent: Agent, now: float) -> float:
        """End the agent's running span; returns its weighted length."""
        since: float = getattr(agent, self.since_attr)
        weight = self.weights.pop(agent.id, 1.0)
        span = (now - since) * weight
        setattr(agent, self.total_attr, getattr(agent, self.total_attr) + span)
        setattr(agent, self.since_attr, None)
        self.done += span
        self.running -= weight
        self.since_sum -= weight * since
        if not self.weights:  # nothing running: no rounding left over
            self.running = self.since_sum = 0.0
        return span

    def total(self, now: float) -> float:
        return self.done + (self.running * now - self.since_sum)
