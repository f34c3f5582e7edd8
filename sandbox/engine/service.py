"""Service: an answered contact is played through its journey and finishes.

- A bot's contact in a journey-service scenario is played at its answer (`ContactPlay`: the
  same rules a human meets) and completes with one timeout event: nothing outside can change
  a bot's contact, so this equals stepping it and costs one event instead of dozens.
- With drawn handle times (exponential/lognormal service) the journey does not decide when the
  contact ends: the contact completes after its drawn time and its journey is played later
  with a batch of others (`batch_play.BatchPlayer`), or at its answer with `batch_play=False`,
  from the same numbers in the same order (the outcomes are the same to the bit).
- A human seat's contact is handed to `coaching.Coaching`, which waits on decisions.
Finished records go to the hooks (the recorder); nothing is kept after a contact ends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import simpy

from journeys.policies import PolicyError, choose
from journeys.runtime import MAX_DECISIONS
from sandbox.engine.agents import Agent, Contact, Hooks
from sandbox.engine.batch_play import BatchPlayer
from sandbox.engine.contact import ContactPlay, text_of
from sandbox.engine.pace import journey_pace
from sandbox.engine.streams import BlockRng, PolicyStream, policy_rng, service_seed
from sandbox.scenario import Scenario

if TYPE_CHECKING:
    from sandbox.engine.coaching import Coaching
    from sandbox.engine.routing import Routing


class Service:
    """Plays answered contacts and finishes them."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        hooks: Hooks,
        routing: Routing,
        *,
        batch_play: bool,
    ):
        self.env = env
        self.scenario = scenario
        self.hooks = hooks
        self.routing = routing
        self.coaching: Coaching | None = None  # wired by the centre
        self.drawn = scenario.service.model != "journey"
        self.trace_steps = scenario.events == "steps"
        self.line_s = {ch.name: ch.line_s for ch in scenario.channels}
        self.noise = scenario.service.sigma if not self.drawn else 0.0
        self._paces: dict[tuple[str, float], float | None] = {}
        self.batch_play = (
            BatchPlayer(
                hangups=scenario.hangups,
                line_s=self.line_s,
                pace=self.pace,
                trace=hooks.event if self.trace_steps else None,
            )
            if self.drawn and batch_play
            else None
        )

    def start(self, agent: Agent, c: Contact, wait: float) -> None:
        """`agent` has answered `c` after `wait` seconds in the queue."""
        human = agent.seat_id is not None
        if self.batch_play is not None and not human:
            # drawn handle time: the journey is played later, in a batch (batch_play.py)
            self.env.timeout(c.handle_s, c).callbacks.append(self._complete_deferred)
            return
        line_s = self.line_s[c.channel]
        blocks = _rng_blocks(c)
        if blocks is not None:
            c.policy_draws = blocks[2]
        speed, pace_s = agent.speed, self.pace(c.journey, line_s)
        scale = self.scenario.practice.time_scale
        if human and scale != 1.0:  # the practice room's brisker pace, yardstick alike
            speed *= scale
            pace_s = pace_s * scale if pace_s is not None else None
        factor = c.factor
        if factor != 1.0 and not human:  # a harder case: every time longer, yardstick alike
            speed *= factor
            line_s *= factor
            pace_s = pace_s * factor if pace_s is not None else None
        c.play = ContactPlay(
            c.journey, c.persona, contact_id=c.id, seed=c.seed, channel=c.channel, wait_s=wait,
            speed=speed, line_s=line_s, noise=self.noise, hangups=self.scenario.hangups,
            transcript=human, rng_blocks=blocks[:2] if blocks is not None else None,
            pace_s=pace_s,
        )  # fmt: skip
        if human:
            assert self.coaching is not None
            self.coaching.start(c)
        else:
            self.play_bot(c, agent)

    def pace(self, journey: Any, line_s: float) -> float | None:
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

    def play_bot(self, c: Contact, agent: Agent, coach: Coaching | None = None) -> None:
        """Play a bot's contact to its end now (its policy decides); it completes after its
        handle time. `coach` (a seat played by a bot) sees the opening and each decision as a
        trainee's would be seen."""
        play = c.play
        assert play is not None and agent.policy is not None
        now = self.env.now
        rng = c.policy_draws if c.policy_draws is not None else policy_rng(c.seed)
        t = now + play.begin(now)
        if coach is not None:
            coach.opened(c, now)
        steps = 0
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
            if coach is not None:
                coach.decided(c, node, choice_id, result, t)
            if self.trace_steps:
                self.hooks.event({"t": t, "type": "decision", "contact_id": c.id, "agent_id": agent.id,
                                  "node_id": node, "choice_id": choice_id})  # fmt: skip
            t += seconds
        if self.drawn:
            play.rescale(c.handle_s)  # drawn with the arrival chunk (as batch play uses it)
        self.env.timeout(play.handle_s, c).callbacks.append(self._complete_event)

    def _complete_event(self, ev: simpy.Event) -> None:
        self.complete(cast(Contact, ev.value))

    def record(self, c: Contact, provisional: bool = False) -> dict[str, Any]:
        """The contact's record (a provisional one while it is still being played)."""
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
            if self.scenario.practice.feedback and agent.policy is None:
                rec["practice_room"] = True  # the outcome includes a breach's later cost
        return rec

    def complete(self, c: Contact) -> None:
        """A played contact's handle time is over: record it and free the agent."""
        now = self.env.now
        agent = self.routing.release(c)
        record = self.record(c)
        record["ended_at"] = now
        self.hooks.event({"t": now, "type": "end", "contact_id": c.id, "agent_id": agent.id,
                          "outcome": record["outcome"], "handle_s": round(record["handle_s"], 3)})  # fmt: skip
        if agent.seat_id is None and self.drawn:
            self.hooks.played(record)  # where batch play would have emitted it
        else:
            self.hooks.record(record, c if agent.seat_id is not None else None)
        c.play = None
        self.routing.after_contact(agent, c)

    def _complete_deferred(self, ev: simpy.Event) -> None:
        """A batch-played bot contact's handle time is over: free the agent; the recorder
        plays its journey with the next batch."""
        c = cast(Contact, ev.value)
        now = self.env.now
        agent = self.routing.release(c)
        self.hooks.event({"t": now, "type": "end", "contact_id": c.id, "agent_id": agent.id,
                          "handle_s": c.handle_s})  # fmt: skip
        self.hooks.deferred(c)
        self.routing.after_contact(agent, c)


def _rng_blocks(c: Contact) -> tuple[BlockRng, BlockRng, PolicyStream] | None:
    """The contact's own columns of its chunk's pre-drawn numbers (reactions, service,
    policy), as the streams one-at-a-time play reads."""
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
