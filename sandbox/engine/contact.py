"""One contact played through its journey: the logic shared by bots, humans and offline play.

Why one class for all three: a bot's contact, a trainee's contact and `shapan journey bots`
must follow exactly the same rules (scripted effects, then the persona's reaction, patience
draining with time, triggers, hang-ups, scoring) or balancing with bots would not predict what
trainees meet. The class knows nothing of SimPy: it returns how long each step took and the
caller decides how that time passes (a single completion event for bots, a SimPy process
waiting on decisions for humans, nothing at all offline).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from customer_models.reaction import Mood, clamp_mood, drain, hangs_up, react
from journeys import JourneyRun
from journeys.vocabulary import STANDARD_STATE
from sandbox.engine.journey_table import count_step, path_fields
from sandbox.engine.streams import journey_seed, reaction_rng, service_rng
from sandbox.scoring import overall_score, score_contact


class ReactionRng:
    """The reaction model's stream for one contact, built only when first needed.

    Why lazy: building a numpy generator costs ~12 µs, and many contacts (short inquiries,
    calm customers) never need one; the draws are the same whenever it is built.
    """

    __slots__ = ("_gen", "_seed")

    def __init__(self, seed: int):
        self._seed = seed
        self._gen: np.random.Generator | None = None

    def __getattr__(self, name: str) -> Any:
        gen = self._gen
        if gen is None:
            gen = self._gen = reaction_rng(self._seed)
        return getattr(gen, name)


def text_of(obj: Any) -> dict[str, str]:
    if obj is None:
        return {}
    return dict(obj) if not isinstance(obj, str) else {"zh-CN": obj, "en": obj}


class ContactPlay:
    """Plays one journey for one customer; every step returns the sim seconds it took.

    `transcript=True` keeps the transcript and per-decision details (human seats, offline);
    `pace_s` is the expected handle time the rubric's efficiency compares against
    (`sandbox.engine.pace.journey_pace`, or the scenario's mean for drawn service times).
    """

    __slots__ = (
        "anger_peak",
        "behaviours",
        "channel",
        "contact_id",
        "cross_sell",
        "decisions",
        "detail",
        "elapsed",
        "escalated",
        "handle_s",
        "hangups",
        "hold_s",
        "holds",
        "hung_up",
        "journey",
        "kind",
        "line_s",
        "mood",
        "noise",
        "opening",
        "pace_s",
        "persona",
        "pushed",
        "risks",
        "rrng",
        "run",
        "seed",
        "speed",
        "srng",
        "sync",
        "transcript",
        "transfers",
        "wait_s",
    )  # fmt: skip

    def __init__(
        self,
        journey: Any,
        persona: Any,
        *,
        contact_id: str,
        seed: int,
        channel: str,
        wait_s: float = 0.0,
        speed: float = 1.0,
        line_s: float = 6.0,
        noise: float = 0.25,
        hangups: bool = True,
        transcript: bool = False,
        rng_blocks: tuple[Any, Any] | None = None,
        pace_s: float | None = None,
    ):
        self.journey = journey
        self.pace_s = pace_s
        self.persona = persona
        self.contact_id = contact_id
        self.seed = seed
        self.channel = channel
        self.kind = journey.kind
        self.wait_s = float(wait_s)
        self.speed = speed
        self.line_s = line_s
        self.noise = noise
        self.hangups = hangups
        self.detail = transcript
        self.run = JourneyRun(journey, journey_seed(seed), persona.journey_fields())
        self.mood = Mood.of(persona)
        if rng_blocks is not None:  # pre-drawn rows from the arrival batch (the engine)
            self.rrng, self.srng = rng_blocks
        else:
            self.rrng = ReactionRng(seed)
            self.srng = service_rng(seed)
        sync = _SYNC.get(id(journey))
        if sync is None or sync[0] is not journey:
            sync = _SYNC[id(journey)] = (
                journey,
                tuple(v for v in STANDARD_STATE if v in journey.state),
            )
        self.sync = sync[1]
        self.pushed: list[int | None] = [None] * len(self.sync)
        self.behaviours: dict[str, int] = {}
        self.risks: list[str] = []
        self.decisions: list[dict[str, Any]] = []
        self.transcript: list[dict[str, Any]] = []
        self.holds = 0
        self.hold_s = 0.0
        self.transfers = 0
        self.escalated = False
        self.hung_up = False
        self.cross_sell: dict[str, Any] | None = None
        self.anger_peak = self.mood.anger
        self.handle_s = 0.0
        self.elapsed = 0.0
        self.opening: Any = None

    # -- steps ------------------------------------------------------------------------
    def begin(self, t: float = 0.0) -> float:
        """Drain for the queue wait, enter the journey; seconds the opening lines take."""
        if self.wait_s > 0:
            self.mood.patience = max(
                0.0, self.mood.patience + drain(self.persona, self.mood, self.wait_s, "wait")
            )
        self._push_mood()
        result = self.run.start()
        self.opening = result
        seconds = self._lines(result.lines, t)
        return self._spend(seconds, "talk")

    def choices(self, include_unavailable: bool = False) -> list[Any]:
        return self.run.choices(include_unavailable)

    def act(self, choice_id: str, t: float = 0.0) -> tuple[float, Any]:
        """The agent takes `choice_id`: effects, reaction, drain, triggers, maybe a hang-up.

        Returns (seconds the action and the customer's reply took, the StepResult).
        """
        run = self.run
        said = None
        if self.detail:
            said = next((text_of(c.text) for c in run.choices() if c.id == choice_id), {})
        result = run.choose(choice_id)
        behaviours = tuple(result.behaviours)
        effects = result.effects
        if effects:
            mood = self.mood
            for i, v in enumerate(self.sync):
                change = effects.get(v)
                if change is not None and change[1] != change[0]:
                    setattr(mood, v, clamp_mood(getattr(mood, v) + (change[1] - change[0])))
                    self.pushed[i] = change[1]  # the run holds the scripted value now
        agent_s = float(result.time_s) * self.speed
        if self.noise > 0:
            agent_s *= self.srng.lognormvariate(0.0, self.noise)
        delta = react(
            self.persona, self.mood, behaviours, self.rrng, kind=self.kind, seconds=agent_s
        )
        self.mood.apply(delta)
        hold = "hold" in behaviours
        if self.detail:  # the agent speaks first: the transcript stays in time order
            self.transcript.append(
                {"t": t, "speaker": "agent", "text": said, "tags": list(behaviours)}
            )
        line_s = self._lines(result.lines, t + agent_s, skip_agent=True)
        count_step(self, behaviours, result, agent_s if hold else 0.0)
        if hold:
            seconds = self._spend(agent_s, "hold") + self._spend(line_s, "talk")
        else:
            seconds = self._spend(agent_s + line_s, "talk")
        if self.hangups and not run.finished and hangs_up(self.persona, self.mood, self.rrng):
            self.hung_up = True
            run.end("customer_hung_up")
        self._push_mood()  # (and the anger peak)
        return seconds, result

    def wait_for_agent(self, seconds: float) -> None:
        """A human seat is thinking: the customer waits on the line (patience drains)."""
        self.mood.patience = max(
            0.0, self.mood.patience + drain(self.persona, self.mood, seconds, "wait")
        )
        self.handle_s += seconds
        self.elapsed += seconds

    def maybe_hang_up(self) -> bool:
        """Whether a customer kept waiting hangs up now (used while a human thinks)."""
        if self.hangups and not self.run.finished and hangs_up(self.persona, self.mood, self.rrng):
            self.hung_up = True
            self.run.end("customer_hung_up")
            return True
        return False

    def rescale(self, total_s: float) -> None:
        """Service models other than `journey`: the contact's handle time is drawn, and the
        journey's step times are stretched to it (holds keep their share)."""
        if self.handle_s > 0:  # (hold × total) / handle, in batch play's order of operations
            self.hold_s = self.hold_s * total_s / self.handle_s
        self.handle_s = self.elapsed = float(total_s)

    def end(self, outcome: str) -> None:
        if not self.run.finished:
            self.run.end(outcome)

    @property
    def finished(self) -> bool:
        return self.run.finished

    def fork(self, branch_seed: int | None = None) -> ContactPlay:
        """A copy of this contact as it stands, played with the *expected* customer: no
        reaction noise, no service noise, no hang-up draws, no transcript. The foresight of
        the practice room (`sandbox.engine.foresight`) plays "what if" continuations on it;
        nothing it does touches this contact or its random streams. `branch_seed` gives the
        copy's journey run a fresh stream for its random routes (from that seed)."""
        twin = object.__new__(ContactPlay)
        for name in ContactPlay.__slots__:
            setattr(twin, name, getattr(self, name))
        data = self.run.to_json()
        if branch_seed is not None:
            data.update(seed=int(branch_seed), draws=0)
        twin.run = JourneyRun.from_json(self.journey, data)
        twin.mood = Mood(self.mood.anger, self.mood.trust, self.mood.patience)
        twin.rrng = twin.srng = _EXPECTED
        twin.noise = 0.0
        twin.hangups = False
        twin.detail = False
        twin.pushed = list(self.pushed)
        twin.behaviours = dict(self.behaviours)
        twin.risks = list(self.risks)
        twin.decisions = list(self.decisions)
        twin.transcript = []
        twin.cross_sell = dict(self.cross_sell) if self.cross_sell is not None else None
        return twin

    # -- internals ----------------------------------------------------------------------
    def _spend(self, seconds: float, activity: str) -> float:
        if seconds > 0:
            self.mood.patience = max(
                0.0, self.mood.patience + drain(self.persona, self.mood, seconds, activity)
            )
            self.handle_s += seconds
            self.elapsed += seconds
        return seconds

    def _lines(self, lines: Any, t: float, skip_agent: bool = False) -> float:
        seconds = 0.0
        for line in lines:
            speaker = line.speaker
            if speaker == "customer":
                seconds += self.line_s
            if self.detail and not (skip_agent and speaker == "agent"):
                self.transcript.append(
                    {
                        "t": t + seconds,
                        "speaker": speaker,
                        "text": text_of(line.text),
                        "tags": list(line.tags or ()),
                    }
                )
        return seconds

    def _push_mood(self) -> None:
        """Keep the journey's standard state (anger/trust/patience) in step with the mood;
        only values that changed are written (set_state validates, so it is not free)."""
        mood = self.mood
        pushed = self.pushed
        for i, v in enumerate(self.sync):
            value = round(getattr(mood, v))
            if pushed[i] != value:
                self.run.set_state(v, value)
                pushed[i] = value
        if mood.anger > self.anger_peak:
            self.anger_peak = mood.anger

    # -- the record ---------------------------------------------------------------------
    def outcome(self) -> str:
        return str(self.run.outcome or "unresolved")

    def record(self) -> dict[str, Any]:
        """The per-contact record without predictions (the outcome models add those)."""
        p = self.persona
        rec, extra = path_fields(self, self.run)
        outcome = rec["outcome"]
        rubric = score_contact(self.decisions, kind=self.kind, outcome=outcome,
                               handle_s=self.handle_s, wait_s=self.wait_s, pace_s=self.pace_s,
                               risks=extra)  # fmt: skip
        mood = self.mood
        prior = p.prior_contacts
        rec.update(
            contact_id=self.contact_id,
            channel=self.channel,
            journey_id=self.journey.id,
            journey_kind=self.kind,
            kind=self.kind,
            wait_s=self.wait_s,
            handle_s=self.handle_s,
            hold_s=self.hold_s,
            fcr=int(rec["resolved"] and prior == 0),
            repeat_contact=int(prior > 0),
            abandoned=0,
            hung_up=int(self.hung_up or outcome == "customer_hung_up"),
            anger_peak=round(self.anger_peak, 3),
            anger_final=round(mood.anger, 3),
            trust_final=round(mood.trust, 3),
            patience_final=round(mood.patience, 3),
            rubric=rubric,
            rubric_score=overall_score(rubric),
            persona_id=p.persona_id,
            segment=p.segment,
            age_band=p.age_band,
            temperament=p.temperament,
            tenure_years=p.tenure_years,
            contract=p.contract,
            products=p.products,
            value=p.value,
            prior_contacts=prior,
            churn_risk=p.churn_risk,
        )
        return rec


class _ExpectedRng:
    """The expected customer's stream: every normal is 0, every uniform 1 (no hang-up)."""

    def standard_normal(self, size: int | None = None) -> Any:
        return 0.0 if size is None else np.zeros(size)

    def random(self) -> float:
        return 1.0

    def lognormvariate(self, mu: float, sigma: float) -> float:
        return 1.0


_EXPECTED: Any = _ExpectedRng()

#: Per journey: the standard state variables it declares (kept in step with the mood).
_SYNC: dict[int, tuple[Any, tuple[str, ...]]] = {}
