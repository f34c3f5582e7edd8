"""A journey's discrete states met so far and their memoised transitions, shared by every
player of contacts.

Why: contacts in the same discrete state (`JourneyRun.state_key()`: node, state variables,
visits, path, triggers, the persona fields the journey reads) behave identically given the
same draws, so the real `JourneyRun` steps once per (state, operation) and the result is kept;
a contact carries only the id of its state. Transitions that draw random route branches are
stepped per contact from its own branch stream. The customer's mood is continuous and stays
with the contact: the mood-synced variables an expression reads are pushed into the state
(rounded), the others are not (their scripted effects move the mood directly,
`sync_effects`), or every contact would be a state of its own. Batch play steps journeys
through it (`table_for`: one table per journey); one-at-a-time play (`contact.ContactPlay`)
steps a live `JourneyRun`, because on long journeys with mood-reading conditions most
contacts reach states of their own: memoising them made full-day 40% slower and its memory
grow with the contacts (measured: 29.9 → 41.6 s CPU, 146 → 390 MB). `count_step` tallies a
step for both.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import numpy as np

from customer_models import reaction_batch as rb
from journeys import JourneyRun
from journeys.vocabulary import BEHAVIOURS, RESOLVING_OUTCOMES, RISK_TYPES, STANDARD_STATE
from sandbox.engine.streams import journey_seed
from sandbox.scoring import contact_risk_points, score_contact

FIT_LEVEL: dict[str, int] = {"low": 1, "medium": 2, "high": 3}


_BEH_KEYS = {tag: f"beh_{tag}" for tag in BEHAVIOURS}
_RISK_KEYS = {r: f"risk_{r}" for r in RISK_TYPES}
#: The record fields a contact's path decides (`path_fields`), for both players' records.
PATH_FIELDS: tuple[str, ...] = (
    "outcome", "resolved", "escalated", "transfers", "holds", "risk_points", "score",
    "cross_sell_offered", "cross_sell_fit", "cross_sell_fit_label", "cross_sell_offer",
    *_BEH_KEYS.values(), *_RISK_KEYS.values(),
)  # fmt: skip
#: Those fields before a path sets them: copying this is cheaper than building 90 keys.
_NOTHING_YET: dict[str, Any] = {
    **dict.fromkeys(PATH_FIELDS, 0),
    "cross_sell_fit_label": None,
    "cross_sell_offer": None,
}


def path_fields(tally: Any, run: JourneyRun) -> tuple[dict[str, Any], list[str] | None]:
    """The `PATH_FIELDS` of a contact whose steps `tally` counted (`count_step`) and whose
    journey `run` ended: outcome, resolution, escalation, transfers (an ending in
    `transferred` counts one if no step did), holds, reconciled risks, score, the best
    cross-sell offer, behaviour and risk counts; and the risks only the run reports (the
    rubric counts them apart)."""
    outcome = str(run.outcome or "unresolved")
    risk_counts, extra = reconcile_risks(run.risks, tally.risks)
    fields = dict(_NOTHING_YET)
    fields.update(
        outcome=outcome,
        resolved=int(outcome in RESOLVING_OUTCOMES),
        escalated=int(bool(tally.escalated) or outcome == "escalated"),
        transfers=tally.transfers + (1 if outcome == "transferred" and not tally.transfers else 0),
        holds=tally.holds,
        risk_points=contact_risk_points(risk_counts) if risk_counts else 0,
        score=float(run.score or 0.0),
    )
    xs = tally.cross_sell
    if xs is not None:
        fields.update(cross_sell_offered=1, cross_sell_fit=xs["level"],
                      cross_sell_fit_label=xs["fit"], cross_sell_offer=xs["offer"])  # fmt: skip
    for tag, n in tally.behaviours.items():
        if (key := _BEH_KEYS.get(tag)) is not None:
            fields[key] = n
    for r, n in risk_counts.items():
        if (key := _RISK_KEYS.get(r)) is not None:
            fields[key] = n
    return fields, extra


def reconcile_risks(
    run_risks: list[str], decision_risks: list[str]
) -> tuple[Counter[str], list[str] | None]:
    """A contact's risk counts from its journey run and from its decisions, keeping what
    either side reports; and the risks only the run reports (e.g. a trigger missed at the very
    end), which the rubric counts apart. Shared by both players' records."""
    if not run_risks and not decision_risks:
        return Counter(), None
    risk_counts = Counter(run_risks)
    in_decisions = Counter(decision_risks)
    extra = None
    if risk_counts != in_decisions:
        extra = list((risk_counts - in_decisions).elements())
        risk_counts.update(in_decisions - risk_counts)
    return risk_counts, extra


def count_step(acc: Any, behaviours: tuple[str, ...], result: Any, hold_s: float) -> None:
    """Add one agent action to `acc`'s tallies (behaviour counts, holds, transfers,
    escalation, risks, the best cross-sell offer, the per-decision list).

    Shared by `ContactPlay` and batch play (`sandbox.engine.batch_play`), so both count alike."""
    counts = acc.behaviours
    for tag in behaviours:
        counts[tag] = counts.get(tag, 0) + 1
    if hold_s:
        acc.holds += 1
        acc.hold_s += hold_s
    if "transfer" in behaviours:
        acc.transfers += 1
    if "escalate" in behaviours:
        acc.escalated = True
    risks = list(result.risks) if result.risks else []  # (most steps have none: no call)
    if risks:
        acc.risks.extend(risks)
    offer = result.cross_sell
    if offer:
        level = FIT_LEVEL.get(offer.fit, 2)
        if acc.cross_sell is None or level > acc.cross_sell["level"]:
            acc.cross_sell = {"offer": offer.offer, "fit": offer.fit, "level": level}
    acc.decisions.append(
        {
            "behaviours": behaviours,
            "risks": risks,
            "time_s": float(result.time_s),
            "score": float(result.score or 0.0),
            "triggers": [e.to_json() for e in result.triggers] if result.triggers else [],
            "cross_sell": acc.cross_sell if offer else None,
            "choice_id": result.choice_id,
            "node_id": result.node_id,
        }
    )


class _Tally:
    """What `count_step` accumulates for one path (the per-decision list and counts)."""

    __slots__ = (
        "behaviours", "cross_sell", "decisions", "escalated", "hold_s", "holds", "risks",
        "transfers",
    )  # fmt: skip

    def __init__(self) -> None:
        self.behaviours: dict[str, int] = {}
        self.risks: list[str] = []
        self.decisions: list[dict[str, Any]] = []
        self.holds = 0
        self.hold_s = 0.0
        self.transfers = 0
        self.escalated = False
        self.cross_sell: dict[str, Any] | None = None


class Step:
    """A memoised transition's facts that the arrays need."""

    __slots__ = ("behaviours", "hold", "lines", "noise", "result", "time_s")

    def __init__(self, result: Any):
        self.result = result
        self.behaviours = tuple(result.behaviours)
        self.noise = rb.consumes_noise(self.behaviours)
        self.hold = "hold" in self.behaviours
        self.time_s = float(result.time_s)
        self.lines = sum(1 for line in result.lines if line.speaker == "customer")


#: A transition that draws random route branches: stepped per contact (`apply_one`).
RANDOM = object()


class JourneyTable:
    """The discrete states of one journey met so far, and the memoised transitions."""

    def __init__(self, journey: Any):
        self.journey = journey
        self.kind = journey.kind
        self.sync = tuple(v for v in STANDARD_STATE if v in journey.state)
        # The mood-synced variables (anger/trust/patience) an expression reads are part of the
        # discrete state; the others are not (their scripted effects are applied to the mood
        # arrays directly, `sync_effects`), or every contact would be a state of its own.
        read = _names_read(journey)
        self.pushed = tuple(v for v in self.sync if v in read)
        self.persona_fields = tuple(
            f for f in _persona_fields(journey) if f not in self.sync or f in self.pushed
        )
        self.effects: dict[tuple[str, str], tuple[Any, ...]] = {}
        self.runs: list[JourneyRun] = []
        self.finished = np.zeros(64, dtype=bool)  # per state id: the run has ended
        self.ids: dict[tuple[Any, ...], int] = {}
        self.trans: dict[tuple[int, Any], Any] = {}
        self.steps: list[Step] = []
        self.step_ids: dict[int, int] = {}
        self.views: dict[int, tuple[list[Any], frozenset[str]]] = {}
        self.initial: dict[tuple[Any, ...], int] = {}
        self.traces: dict[tuple[int, int], int] = {(-1, -1): 0}
        self.trace_parent: list[tuple[int, int]] = [(-1, -1)]
        self.summaries: dict[tuple[int, int], tuple[dict[str, Any], dict[str, Any]]] = {}

    # -- states ---------------------------------------------------------------------------
    def intern(self, run: JourneyRun) -> int:
        key = run.state_key()
        sid = self.ids.get(key)
        if sid is None:
            sid = self.ids[key] = len(self.runs)
            self.runs.append(run)
            if sid >= len(self.finished):
                self.finished = np.concatenate([self.finished, np.zeros_like(self.finished)])
            self.finished[sid] = run.finished
        return sid

    def start_state(self, persona: tuple[Any, ...]) -> int:
        sid = self.initial.get(persona)
        if sid is None:
            run = JourneyRun(self.journey, 0, dict(zip(self.persona_fields, persona, strict=True)))
            sid = self.initial[persona] = self.intern(run)
        return sid

    def step_id(self, result: Any) -> int:
        """A stable index for a StepResult (the traces refer to it)."""
        k = self.step_ids.get(id(result))
        if k is None:
            k = self.step_ids[id(result)] = len(self.steps)
            self.steps.append(Step(result))
        return k

    def transition(self, sid: int, op: tuple[Any, ...]) -> Any:
        """(new state id, step index) of a deterministic transition, or `RANDOM` when the
        transition draws random route branches (then `apply_one` steps each contact)."""
        key = (sid, op)
        hit = self.trans.get(key)
        if hit is None:
            probe = _NoDraws()
            run = self.runs[sid].fork(probe)
            result = _apply(run, op)
            if probe.used:
                hit = RANDOM
            else:
                hit = (self.intern(run), self.step_id(result) if result is not None else -1)
            self.trans[key] = hit
        return hit

    def apply_one(self, sid: int, op: tuple[Any, ...], seed: int) -> tuple[int, int]:
        """A transition with random branches for one contact, from its own branch stream."""

        base = self.runs[sid]
        rng = random.Random(journey_seed(seed))
        for _ in range(base.draw_count):
            rng.random()
        run = base.fork(rng)
        result = _apply(run, op)
        return self.intern(run), self.step_id(result) if result is not None else -1

    def sync_effects(self, sid: int, choice_id: str) -> tuple[Any, ...]:
        """The choice's scripted effects on mood-synced variables: (name, var, ops)."""
        node_id = self.runs[sid].node_id
        key = (node_id, choice_id)
        hit = self.effects.get(key)
        if hit is None:
            choice = next(c for c in self.journey.nodes[node_id].choices if c.id == choice_id)
            per_var: dict[str, list[tuple[str, Any]]] = {}
            for eff in choice.effects:
                if eff.var in self.sync:
                    per_var.setdefault(eff.var, []).append((eff.op, eff.value))
            hit = self.effects[key] = tuple(
                (v, self.journey.state[v], tuple(ops)) for v, ops in per_var.items()
            )
        return hit

    def available(self, sid: int) -> tuple[list[Any], frozenset[str]]:
        hit = self.views.get(sid)
        if hit is None:
            run = self.runs[sid]
            hit = self.views[sid] = (
                run.choices(),
                frozenset(run.required_behaviours or ()),
            )
        return hit

    def trace(self, parent: int, step: int) -> int:
        key = (parent, step)
        tid = self.traces.get(key)
        if tid is None:
            tid = self.traces[key] = len(self.trace_parent)
            self.trace_parent.append(key)
        return tid

    # -- per-path facts --------------------------------------------------------------------
    def summary(self, tid: int, sid: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """The `path_fields` and the rubric evidence of one path (memoised)."""
        key = (tid, sid)
        hit = self.summaries.get(key)
        if hit is not None:
            return hit
        chain: list[int] = []
        t = tid
        while t > 0:
            parent, step = self.trace_parent[t]
            chain.append(step)
            t = parent
        tally = _Tally()
        for k in reversed(chain):
            st = self.steps[k]
            if st.result.choice_id is None:  # start/end: no agent action
                continue
            count_step(tally, st.behaviours, st.result, st.time_s if st.hold else 0.0)
        fields, extra = path_fields(tally, self.runs[sid])
        evidence = score_contact(
            tally.decisions, kind=self.kind, outcome=fields["outcome"], handle_s=0.0, risks=extra
        )
        hit = self.summaries[key] = (fields, evidence)
        return hit


class _NoDraws:
    """Stands in for a run's branch stream to detect transitions that draw."""

    used = False

    def random(self) -> float:
        self.used = True
        return 0.0


def _apply(run: JourneyRun, op: tuple[Any, ...]) -> Any:
    kind = op[0]
    if kind == "push":
        state = run.state
        for name, value in op[1]:
            if state.get(name) != value:
                run.set_state(name, value)
        return None
    if kind == "start":
        return run.start()
    if kind == "choose":
        return run.choose(op[1])
    return run.end(op[1])


def _expressions(journey: Any) -> list[Any]:
    """Every condition of the journey (choices and routes)."""
    out: list[Any] = []
    for node in journey.nodes.values():
        out.extend(c.condition for c in node.choices if c.condition is not None)
        out.extend(e.condition for e in node.route if getattr(e, "condition", None) is not None)
    return out


def _names_read(journey: Any) -> set[str]:
    """State variables read by any expression of the journey."""
    return set().union(*(e.names() for e in _expressions(journey)))


def _persona_fields(journey: Any) -> tuple[str, ...]:
    """Persona fields the journey can see: read by an expression or seeding a state var."""
    fields: set[str] = {n for n, v in journey.state.items() if v.from_persona}
    fields = fields.union(*(e.calls("persona") for e in _expressions(journey)))
    return tuple(sorted(fields))


_TABLES: dict[int, JourneyTable] = {}


def table_for(journey: Any) -> JourneyTable:
    """The shared table of `journey` (one per journey object, made on first use)."""
    t = _TABLES.get(id(journey))
    if t is None or t.journey is not journey:
        t = _TABLES[id(journey)] = JourneyTable(journey)
    return t
