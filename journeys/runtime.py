"""`JourneyRun`: play one journey step by step for one customer.

Why it looks like this: the engine drives tens of thousands of runs per experiment, the UI shows
the current choices (with the unavailable ones greyed out in training mode), exams must replay
bit-identically, and a crashed session must resume.  So a run is a small state machine with its
own seeded `random.Random`, cheap `choices()` / `choose()` (conditions are precompiled), and a
JSON form that restores it exactly (the random stream is restored by replaying its draw count).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from journeys.model import Choice, CrossSell, Ending, Journey, Line, Node, Text, Trigger
from journeys.vocabulary import OUTCOMES, PERSONA_FIELDS

RUN_FORMAT = 1
MAX_AUTO_STEPS = 1000
#: Decisions one contact may take before it is ended as unresolved (a journey that loops):
#: the one step limit of every player (engine, batch play, offline, calibration, pace).
MAX_DECISIONS = 400

_REASON_IF = {"zh-CN": "条件未满足", "en": "condition not met"}
_REASON_ONCE = {"zh-CN": "已经选过", "en": "already chosen"}
_REASON_FALLBACK = {"zh-CN": "仅在没有其他选项时可用", "en": "only when nothing else is available"}


class JourneyRunError(Exception):
    """A caller asked a run for something impossible (unknown or unavailable choice, ...).

    A run-time guard that the journey itself trips (a route loop the load-time check could not
    decide) carries a diagnostic `code` and `where` (`path:line:column`), so every front end
    prints it like a validator error instead of a traceback."""

    def __init__(self, message: str, *, code: str | None = None, where: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.where = where

    def render(self) -> str:
        if self.code is None:
            return self.message
        return f"{self.where}: error {self.code}: {self.message}"

    def __str__(self) -> str:
        return self.render()

    def __reduce__(self) -> tuple[Any, ...]:
        return (_run_error, (self.message, self.code, self.where))


def _run_error(message: str, code: str | None, where: str | None) -> JourneyRunError:
    return JourneyRunError(message, code=code, where=where)


@dataclass(frozen=True)
class ChoiceView:
    """A choice as offered right now.  `reason` says why an unavailable one is unavailable."""

    id: str
    text: Text
    available: bool
    reason: Text | None
    behaviours: tuple[str, ...]
    time_s: float
    risk: tuple[str, ...]
    score: float
    cross_sell: CrossSell | None
    fallback: bool
    feedback: Text | None
    knowledge: tuple[str, ...]
    once: bool = False
    qid: str = ""
    choice: Choice | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class TriggerEvent:
    trigger_id: str
    status: str  # armed | satisfied | missed
    required: tuple[str, ...]
    risk: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "trigger_id": self.trigger_id,
            "status": self.status,
            "required": list(self.required),
            "risk": self.risk,
        }


@dataclass(slots=True)
class StepResult:
    """What one step did.  `node_id` is where the run is now; `ending` is set when it ended."""

    choice_id: str | None
    lines: tuple[Line, ...] = ()
    behaviours: tuple[str, ...] = ()
    effects: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    time_s: float = 0.0
    risks: tuple[str, ...] = ()
    triggers: tuple[TriggerEvent, ...] = ()
    score: float = 0.0
    feedback: Text | None = None
    knowledge: tuple[str, ...] = ()
    cross_sell: CrossSell | None = None
    node_id: str = ""
    ending: Ending | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "choice_id": self.choice_id,
            "lines": [line.to_json() for line in self.lines],
            "behaviours": list(self.behaviours),
            "effects": {k: [a, b] for k, (a, b) in self.effects.items()},
            "time_s": self.time_s,
            "risks": list(self.risks),
            "triggers": [t.to_json() for t in self.triggers],
            "score": self.score,
            "feedback": self.feedback.to_json() if self.feedback else None,
            "knowledge": list(self.knowledge),
            "cross_sell": self.cross_sell.to_json() if self.cross_sell else None,
            "node_id": self.node_id,
            "ending": self.ending.to_json() if self.ending else None,
        }


class _Armed:
    __slots__ = ("remaining", "seen", "trigger")

    def __init__(self, trigger: Trigger, remaining: int, seen: set[str]):
        self.trigger = trigger
        self.remaining = remaining
        self.seen = seen


class _Acc:
    """Accumulates what happens during one step."""

    __slots__ = ("events", "lines", "risks", "score")

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.risks: list[str] = []
        self.events: list[TriggerEvent] = []
        self.score = 0.0


class JourneyRun:
    """One play-through of `journey` for one customer (`persona`), seeded by `seed`."""

    def __init__(
        self,
        journey: Journey,
        seed: int,
        persona: Mapping[str, object] | None = None,
        *,
        branches: Mapping[str, str] | None = None,
    ):
        """`branches` forces random routes: node id -> the branch to take there (the draw is
        still made, so every later random number is the same as without forcing)."""
        self.journey = journey
        self.seed = int(seed)
        self._branches = _check_branches(journey, branches or {})
        self._persona = _clean_persona(persona)
        self._has_persona = persona is not None
        self._rng_obj: random.Random | None = None  # built on the first random route
        self._draws = 0
        self._state: dict[str, Any] = {}
        for name, var in journey.state.items():
            value = var.initial
            if var.from_persona and name in self._persona:
                try:
                    value = var.coerce(self._persona[name])
                except ValueError:
                    value = var.initial
            self._state[name] = value
        self._node_id = journey.start
        self._started = False
        self._finished = False
        self._outcome: str | None = None
        self._ending: Ending | None = None
        self._score = 0.0
        self._time_s = 0.0
        self._visits: dict[str, int] = {}
        self._history: list[str] = []
        self._path: list[str] = []
        self._chosen: set[str] = set()
        self._risks: list[str] = []
        self._armed: list[_Armed] = []
        self._cache: list[ChoiceView] | None = None

    @property
    def _rng(self) -> random.Random:
        """The run's branch stream, created on first use: most journeys' routes are fixed,
        and seeding a `random.Random` per contact cost more than the rest of a short play.
        The draws are the same whenever it is created."""
        rng = self._rng_obj
        if rng is None:
            rng = self._rng_obj = random.Random(self.seed)
        return rng

    # ------------------------------------------------------------------ read-only view
    @property
    def node_id(self) -> str:
        return self._node_id

    # What compiled expressions read (`journeys.expressions`): cheap, no copies.
    def state_value(self, name: str) -> Any:
        """The current value of state variable `name` (None if the journey has none)."""
        return self._state.get(name)

    def has_visited(self, node_id: str) -> bool:
        return node_id in self._visits

    def has_chosen(self, key: str) -> bool:
        """Whether the choice `node.choice` (or a `once:` key) was taken on this run."""
        return key in self._chosen

    def persona_value(self, field: str) -> Any:
        """The customer's persona field as the journey sees it (None if not given)."""
        return self._persona.get(field)

    @property
    def node(self) -> Node:
        return self.journey.nodes[self._node_id]

    @property
    def state(self) -> dict[str, Any]:
        return dict(self._state)

    @property
    def persona(self) -> dict[str, Any]:
        return dict(self._persona)

    @property
    def started(self) -> bool:
        return self._started

    @property
    def finished(self) -> bool:
        return self._finished

    @property
    def outcome(self) -> str | None:
        return self._outcome

    @property
    def ending(self) -> Ending | None:
        return self._ending

    @property
    def score(self) -> float:
        return self._score

    @property
    def time_s(self) -> float:
        """Sum of the `time` of the choices made so far."""
        return self._time_s

    @property
    def visited(self) -> tuple[str, ...]:
        """Node ids visited, in order of first visit."""
        return tuple(self._visits)

    def visit_count(self, node_id: str) -> int:
        return self._visits.get(node_id, 0)

    @property
    def history(self) -> list[str]:
        """Choice ids chosen, in order (`path` has them node-qualified)."""
        return list(self._history)

    @property
    def path(self) -> list[str]:
        return list(self._path)

    @property
    def risks(self) -> list[str]:
        return list(self._risks)

    @property
    def required_behaviours(self) -> tuple[str, ...]:
        """Behaviours armed triggers still wait for (the UI shows them as a hint)."""
        out: list[str] = []
        for armed in self._armed:
            out.extend(
                b for b in armed.trigger.require_next if b not in armed.seen and b not in out
            )
        return tuple(out)

    @property
    def active_trigger(self) -> Trigger | None:
        return self._armed[0].trigger if self._armed else None

    @property
    def armed_triggers(self) -> tuple[tuple[Trigger, int], ...]:
        """(trigger, agent actions left) for every armed trigger."""
        return tuple((a.trigger, a.remaining) for a in self._armed)

    # ------------------------------------------------------------------ choices
    def choices(self, include_unavailable: bool = False) -> list[ChoiceView]:
        """Choices at the current node: available ones first, in journey order."""
        if self._finished or not self._started:
            return []
        views = self._cache
        if views is None:
            views = self._cache = self._compute_views()
        if include_unavailable:
            return list(views)
        return [v for v in views if v.available]

    def _compute_views(self) -> list[ChoiceView]:
        node = self.journey.nodes[self._node_id]
        static = node.__dict__.get("_static_views", _UNSET)
        if static is _UNSET:
            # a node whose choices have no `if:` and no `once:` offers the same views whatever
            # the state, persona or history: computed once per node, shared (never mutated)
            static = None
            if all(c.condition is None and not c.once for c in node.choices):
                static = self._views_of(node)
            object.__setattr__(node, "_static_views", static)
        if static is not None:
            return static
        return self._views_of(node)

    def _views_of(self, node: Node) -> list[ChoiceView]:
        chosen = self._chosen
        reasons: list[str | None] = []
        any_primary = False
        for c in node.choices:
            if c.once and c.qid in chosen:
                reasons.append("once")
            elif c.condition is not None and not c.condition(self):
                reasons.append("if")
            else:
                reasons.append(None)
                any_primary = any_primary or not c.fallback
        available: list[ChoiceView] = []
        unavailable: list[ChoiceView] = []
        for c, reason in zip(node.choices, reasons, strict=True):
            if reason is None and c.fallback and any_primary:
                reason = "fallback"
            view = _view(c, reason)
            (available if reason is None else unavailable).append(view)
        return available + unavailable

    # ------------------------------------------------------------------ stepping
    def start(self) -> StepResult:
        """Enter the start node: say its lines and follow routes until a choice or an ending."""
        if self._started:
            raise JourneyRunError("start() was already called for this run")
        self._started = True
        acc = _Acc()
        self._enter(self.journey.start, acc)
        return self._result(None, acc)

    def choose(self, choice_id: str) -> StepResult:
        """Make the agent's choice `choice_id` at the current node."""
        if not self._started:
            raise JourneyRunError("call start() before choose()")
        if self._finished:
            raise JourneyRunError(f"the journey has ended ({self._outcome}); no more choices")
        views = self._cache
        if views is None:
            views = self._cache = self._compute_views()
        for view in views:
            if view.id == choice_id:
                break
        else:
            raise JourneyRunError(f"no choice '{choice_id}' at node '{self._node_id}'")
        if not view.available:
            reason = view.reason["en"] if view.reason else ""
            raise JourneyRunError(f"choice '{choice_id}' is not available now ({reason})")
        choice = view.choice
        assert choice is not None
        acc = _Acc()
        self._history.append(choice.id)
        self._path.append(choice.qid)
        self._chosen.add(choice.id)
        self._chosen.add(choice.qid)
        effects: dict[str, tuple[Any, Any]] = {}
        for eff in choice.effects:
            var = self.journey.state[eff.var]
            old = self._state[eff.var]
            if eff.op == "add":  # int delta, clamped (the hot path: no coerce needed)
                new = min(var.max, max(var.min, old + eff.value))
            else:
                new = var.coerce(eff.value)
            self._state[eff.var] = new
            first = effects.get(eff.var, (old, new))[0]
            effects[eff.var] = (first, new)
        self._time_s += choice.time_s
        self._score += choice.score
        acc.score += choice.score
        for risk in choice.risk:
            self._risks.append(risk)
            acc.risks.append(risk)
        self._progress_triggers(choice.behaviours, acc)
        self._cache = None
        if choice.goto is not None:
            self._enter(choice.goto, acc)
        return self._result(choice, acc, effects)

    def set_state(self, name: str, value: object) -> Any:
        """Set a state variable (ints are clamped); returns the stored value."""
        var = self.journey.state.get(name)
        if var is None:
            raise JourneyRunError(f"journey '{self.journey.id}' has no state variable '{name}'")
        if type(value) is int and var.type == "int":  # the engine's mood sync: coerce's result
            stored: Any = min(var.max, max(var.min, value))  # type: ignore[type-var]
        else:
            try:
                stored = var.coerce(value)
            except ValueError as err:
                raise JourneyRunError(str(err)) from None
        self._state[name] = stored
        self._cache = None
        return stored

    def end(self, outcome: str) -> StepResult:
        """Force an ending (the customer hung up, the contact was transferred, ...)."""
        if outcome not in OUTCOMES:
            raise JourneyRunError(f"unknown outcome '{outcome}'")
        if self._finished:
            raise JourneyRunError(f"the journey has already ended ({self._outcome})")
        acc = _Acc()
        self._started = True
        self._finish(Ending(outcome, 0.0), acc)
        return self._result(None, acc)

    # ------------------------------------------------------------------ internals
    def _enter(self, node_id: str, acc: _Acc) -> None:
        nodes = self.journey.nodes
        for _ in range(MAX_AUTO_STEPS):
            node = nodes[node_id]
            self._node_id = node_id
            self._visits[node_id] = self._visits.get(node_id, 0) + 1
            for line in node.say:
                acc.lines.append(line)
                if line.speaker == "customer" and self.journey.triggers:
                    self._check_keywords(line, acc)
            if node.ending is not None:
                self._finish(node.ending, acc)
                return
            if not node.route:
                self._cache = None
                return
            node_id = self._route(node)
        src = nodes[node_id].source
        raise JourneyRunError(
            f"route loop: more than {MAX_AUTO_STEPS} route steps without a choice at "
            f"'{node_id}' (see lint JY107)",
            code="JY025",
            where=src.render() if src else self.journey.path,
        )

    def _route(self, node: Node) -> str:
        for entry in node.route:
            if entry.kind == "goto":
                return entry.goto  # type: ignore[return-value]
            if entry.kind == "if":
                if entry.condition(self):
                    return entry.goto  # type: ignore[return-value]
                continue
            self._draws += 1
            x = self._rng.random() * sum(w for _, w in entry.weights)
            if node.id in self._branches:
                return self._branches[node.id]
            for target, weight in entry.weights:
                x -= weight
                if x < 0:
                    return target
            return entry.weights[-1][0]
        raise JourneyRunError(f"route at '{node.id}' has no unconditional entry")

    def _check_keywords(self, line: Line, acc: _Acc) -> None:
        matched = _matching_triggers(line, self.journey.triggers)
        if not matched:
            return
        armed_ids = {a.trigger.id for a in self._armed}
        for trig in matched:
            if trig.id not in armed_ids:
                self._armed.append(_Armed(trig, trig.within, set()))
                armed_ids.add(trig.id)
                acc.events.append(TriggerEvent(trig.id, "armed", trig.require_next, None))

    def _progress_triggers(self, behaviours: tuple[str, ...], acc: _Acc) -> None:
        still = []
        for armed in self._armed:
            trig = armed.trigger
            armed.seen.update(b for b in behaviours if b in trig.require_next)
            armed.remaining -= 1
            if all(b in armed.seen for b in trig.require_next):
                acc.events.append(TriggerEvent(trig.id, "satisfied", trig.require_next, None))
            elif armed.remaining <= 0:
                self._miss(armed, acc)
            else:
                still.append(armed)
        self._armed = still

    def _miss(self, armed: _Armed, acc: _Acc) -> None:
        trig = armed.trigger
        missing = tuple(b for b in trig.require_next if b not in armed.seen)
        self._risks.append(trig.risk_if_missed)
        acc.risks.append(trig.risk_if_missed)
        acc.events.append(TriggerEvent(trig.id, "missed", missing, trig.risk_if_missed))

    def _finish(self, ending: Ending, acc: _Acc) -> None:
        # a trigger the agent already started answering counts as missed; one armed by the
        # customer's very last words (no agent action since) is dropped: there was no chance.
        for armed in self._armed:
            if armed.remaining < armed.trigger.within:
                self._miss(armed, acc)
        self._armed = []
        self._finished = True
        self._ending = ending
        self._outcome = ending.outcome
        self._score += ending.score
        acc.score += ending.score
        self._cache = None

    def _result(self, choice: Choice | None, acc: _Acc, effects: dict | None = None) -> StepResult:
        ending = self._ending if self._finished else None
        if choice is None:  # start() and end()
            return StepResult(
                None, tuple(acc.lines), risks=tuple(acc.risks), triggers=tuple(acc.events),
                score=acc.score, node_id=self._node_id, ending=ending,
            )  # fmt: skip
        # fmt: off
        return StepResult(  # positional, in field order: every agent action builds one
            choice.id, tuple(acc.lines), choice.behaviours, effects or {}, choice.time_s,
            tuple(acc.risks), tuple(acc.events), acc.score, choice.feedback, choice.knowledge,
            choice.cross_sell, self._node_id, ending,
        )
        # fmt: on

    # ------------------------------------------------------------------ batch play support
    def copy(self) -> JourneyRun:
        """An independent copy of this run (same seed; the branch stream is not copied and
        restarts from the seed on first use, so set `_rng_obj` on the copy if it must go on).

        Why: batch play steps one copy for every contact sharing a discrete state."""
        new = object.__new__(JourneyRun)
        new.__dict__.update(self.__dict__)
        new._rng_obj = None
        new._state = dict(self._state)
        new._visits = dict(self._visits)
        new._history = list(self._history)
        new._path = list(self._path)
        new._chosen = set(self._chosen)
        new._risks = list(self._risks)
        new._armed = [_Armed(a.trigger, a.remaining, set(a.seen)) for a in self._armed]
        new._cache = None
        return new

    def fork(self, branches: Any = None) -> JourneyRun:
        """A copy whose random routes draw from `branches` (anything with a `random()`
        method) instead of the run's own stream; None: the copy's stream restarts from the
        seed. Why: batch play steps one fork per discrete state, probing whether a step draws
        (`branches` that records use) or replaying one contact's stream past `draw_count`."""
        new = self.copy()
        new._rng_obj = branches
        return new

    @property
    def draw_count(self) -> int:
        """How many random-route draws this run has taken from its branch stream."""
        return self._draws

    def state_key(self) -> tuple[Any, ...]:
        """Everything that decides what this run does next, except its seed and branch
        stream position's randomness: two runs with equal keys behave identically given the
        same branch draws (batch play merges contacts on it)."""
        return (
            self._node_id,
            self._started,
            self._finished,
            self._outcome,
            self._ending,
            self._score,
            self._time_s,
            self._draws,
            tuple(self._state.items()),
            tuple(self._visits.items()),
            tuple(self._path),
            tuple(sorted(self._chosen)),
            tuple(self._risks),
            tuple((a.trigger.id, a.remaining, tuple(sorted(a.seen))) for a in self._armed),
            tuple(self._persona.items()),
        )

    # ------------------------------------------------------------------ persistence
    def to_json(self) -> dict[str, Any]:
        """Everything needed to resume this run exactly (plain JSON types)."""
        return {
            "format": RUN_FORMAT,
            "journey": self.journey.id,
            "content_hash": self.journey.content_hash,
            "seed": self.seed,
            "persona": self._persona if self._has_persona else None,
            "draws": self._draws,
            "state": dict(self._state),
            "node_id": self._node_id,
            "started": self._started,
            "finished": self._finished,
            "ending": self._ending.to_json() if self._ending else None,
            "score": self._score,
            "time_s": self._time_s,
            "visits": dict(self._visits),
            "history": list(self._history),
            "path": list(self._path),
            "chosen": sorted(self._chosen),
            "risks": list(self._risks),
            "armed": [
                {"trigger": a.trigger.id, "remaining": a.remaining, "seen": sorted(a.seen)}
                for a in self._armed
            ],
            **({"branches": dict(self._branches)} if self._branches else {}),
        }

    @classmethod
    def from_json(cls, journey: Journey, data: Mapping[str, Any]) -> JourneyRun:
        """Resume a run saved by `to_json`; refuses a journey whose content changed."""
        try:
            if data.get("format") != RUN_FORMAT:
                raise JourneyRunError(
                    f"saved run has format {data.get('format')!r}, expected {RUN_FORMAT}"
                )
            if data["content_hash"] != journey.content_hash:
                raise JourneyRunError(
                    f"the saved run was played on a different version of journey "
                    f"'{data.get('journey')}' (content hash {str(data['content_hash'])[:12]}, "
                    f"now {journey.content_hash[:12]}); it cannot resume on changed content"
                )
            run = cls(
                journey, int(data["seed"]), data.get("persona"), branches=data.get("branches")
            )
            for _ in range(int(data["draws"])):
                run._rng.random()
            run._draws = int(data["draws"])
            for name, value in data["state"].items():
                run._state[name] = journey.state[name].coerce(value)
            run._node_id = str(data["node_id"])
            if run._node_id not in journey.nodes:
                raise JourneyRunError(f"saved node '{run._node_id}' is not in the journey")
            run._started = bool(data["started"])
            run._finished = bool(data["finished"])
            ending = data.get("ending")
            if ending:
                run._ending = Ending(str(ending["outcome"]), float(ending["score"]))
                run._outcome = run._ending.outcome
            run._score = float(data["score"])
            run._time_s = float(data["time_s"])
            run._visits = {str(k): int(v) for k, v in data["visits"].items()}
            run._history = [str(x) for x in data["history"]]
            run._path = [str(x) for x in data["path"]]
            run._chosen = {str(x) for x in data["chosen"]}
            run._risks = [str(x) for x in data["risks"]]
            triggers = {t.id: t for t in journey.triggers}
            run._armed = [
                _Armed(triggers[a["trigger"]], int(a["remaining"]), set(a["seen"]))
                for a in data["armed"]
            ]
        except JourneyRunError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise JourneyRunError(
                f"saved run data is damaged: {type(err).__name__}: {err}"
            ) from None
        return run


_UNSET = object()

_REASONS: dict[str, Text] = {
    "once": Text(_REASON_ONCE),
    "if": Text(_REASON_IF),
    "fallback": Text(_REASON_FALLBACK),
}


def _view(c: Choice, reason: str | None) -> ChoiceView:
    """The (immutable, shared) view of a choice for one availability state."""
    cache = c.__dict__.get("_views")
    if cache is None:
        cache = {}
        object.__setattr__(c, "_views", cache)
    view = cache.get(reason)
    if view is None:
        view = cache[reason] = ChoiceView(
            id=c.id,
            text=c.text,
            available=reason is None,
            reason=_REASONS[reason] if reason else None,
            behaviours=c.behaviours,
            time_s=c.time_s,
            risk=c.risk,
            score=c.score,
            cross_sell=c.cross_sell,
            fallback=c.fallback,
            feedback=c.feedback,
            knowledge=c.knowledge,
            once=c.once,
            qid=c.qid,
            choice=c,
        )
    return view


def _matching_triggers(line: Line, triggers: tuple[Trigger, ...]) -> tuple[Trigger, ...]:
    """The triggers (in journey order) whose keywords a customer line says, cached on the
    line: a line's text never changes, so matching it once per journey is enough."""
    cached = line.__dict__.get("_triggers")
    if cached is None or cached[0] is not triggers:
        texts = _lowered(line)
        hits = tuple(t for t in triggers if any(k in x for k in t.keywords for x in texts))
        cached = (triggers, hits)
        object.__setattr__(line, "_triggers", cached)
    return cast(tuple[Trigger, ...], cached[1])


def _lowered(line: Line) -> tuple[str, ...]:
    cached = line.__dict__.get("_lower")
    if cached is None:
        cached = tuple(t.lower() for t in line.text.values())
        object.__setattr__(line, "_lower", cached)
    return cached


def _check_branches(journey: Journey, branches: Mapping[str, str]) -> dict[str, str]:
    """Forced random branches, checked: each node has a random route listing the target."""
    out: dict[str, str] = {}
    for node_id, target in branches.items():
        node = journey.nodes.get(node_id)
        options = [
            t for e in (node.route if node else ()) if e.kind == "random" for t, _ in e.weights
        ]
        if not options:
            randoms = sorted(
                nid for nid, n in journey.nodes.items() if any(e.kind == "random" for e in n.route)
            )
            raise JourneyRunError(
                f"cannot force a branch at '{node_id}': it has no random route "
                f"(nodes with one: {', '.join(randoms) or 'none'})"
            )
        if target not in options:
            raise JourneyRunError(
                f"random route at '{node_id}' has no branch '{target}' "
                f"(its branches: {', '.join(options)})"
            )
        out[str(node_id)] = str(target)
    return out


def _clean_persona(persona: Mapping[str, object] | None) -> dict[str, Any]:
    """Keep the journey-visible persona fields as plain JSON values (numpy scalars converted)."""
    if persona is None:
        return {}
    out: dict[str, Any] = {}
    for name, typ in _PERSONA_ITEMS:
        if name not in persona:
            continue
        value = persona[name]
        vtype = type(value)
        # fast path: already the plain Python type (the engine's personas)
        if vtype is typ and (typ is not float or value == value):
            out[name] = value
            continue
        try:
            if typ is str:
                out[name] = str(value)
            elif typ is int:
                number = float(value)  # type: ignore[arg-type]
                if number != number or number in (float("inf"), float("-inf")):
                    continue
                out[name] = round(number)
            else:
                number = float(value)  # type: ignore[arg-type]
                if number == number:
                    out[name] = number
        except (TypeError, ValueError, OverflowError):
            continue
    return out


_PERSONA_ITEMS: tuple[tuple[str, type], ...] = tuple(PERSONA_FIELDS.items())
