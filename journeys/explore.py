"""Exhaustive exploration of a journey: every reachable (node, state), proven.

Why: lint looks at the graph's shape, but conditions decide what a trainee can actually reach.
A designer needs to know, before anyone plays, which endings can happen at all, which choices
are never offered, and where a run could get stuck. The explorer walks every reachable abstract
state breadth-first:

    (node, values of the state variables that conditions read, visited nodes that `visited()`
     asks about, chosen choices that `chosen()` or `once` care about, armed triggers)

- Every branch of every seeded `random:` route is followed (weights > 0).
- State variables with `initial: persona` start from every value they can take (each int in
  min..max, each enum value, both bools); persona fields read by `persona('...')` take every
  allowed value of the journey's `persona:` filter (or the vocabulary's values; numeric fields a
  small grid). Variables no condition reads cannot change the flow, so they are left out of the
  state key — which keeps the space small without losing any path.
- What the explorer cannot see: the engine keeps `anger`/`trust`/`patience` in step with the
  customer model during a contact (`JourneyRun.set_state`), so a condition on mood can also flip
  through the customer's reaction. Starting from every initial mood covers most of that; a
  journey whose ending depends *only* on a mood change the script never makes should mark that
  ending `intentional_unreachable: true`.

The stepping rules mirror `journeys.runtime.JourneyRun` (conditions are the same compiled
closures, evaluated against a small context object with the same attributes). Pure Python;
never imports `sandbox`.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from journeys.model import Choice, Journey, Node
from journeys.runtime import MAX_AUTO_STEPS
from journeys.vocabulary import PERSONA_FIELDS, PERSONA_VALUES

DEFAULT_MAX_STATES = 200_000

#: An armed trigger: (trigger id, choices left, behaviours seen so far).
_Armed = tuple[str, int, frozenset[str]]
#: One abstract state at a choice node: (node, state, visits, chosen, armed triggers, persona).
_Item = tuple[str, dict[str, Any], frozenset[str], frozenset[str], list[_Armed], dict[str, Any]]

#: Values tried for numeric persona fields that a condition reads.
_NUMERIC_GRID: dict[type, tuple[float | int, ...]] = {
    int: (0, 1, 2, 3, 4, 5, 8),
    float: (0.0, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 1000.0, 10000.0, 100000.0),
}


@dataclass(frozen=True)
class DeadEnd:
    node_id: str
    reason: str
    state: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"node": self.node_id, "reason": self.reason, "state": self.state}


@dataclass
class ExploreReport:
    """What the exhaustive walk proved about one journey."""

    journey_id: str
    path: str
    states: int = 0
    start_states: int = 0
    truncated: bool = False
    endings_reached: dict[str, str] = field(default_factory=dict)  # node -> outcome
    endings_unreachable: list[dict[str, Any]] = field(default_factory=list)
    choices_never_offered: list[str] = field(default_factory=list)  # qualified ids
    nodes_never_visited: list[str] = field(default_factory=list)
    dead_ends: list[DeadEnd] = field(default_factory=list)
    triggers_missable: list[str] = field(default_factory=list)

    @property
    def outcomes(self) -> list[str]:
        return sorted(set(self.endings_reached.values()))

    @property
    def problems(self) -> list[str]:
        """Findings that make `explore` exit 1 (English, one line each)."""
        out = [
            f"ending '{e['node']}' ({e['outcome']}) is unreachable"
            for e in self.endings_unreachable
            if not e["intentional"]
        ]
        out += [f"dead end at '{d.node_id}': {d.reason}" for d in self.dead_ends]
        if self.truncated:
            out.append(f"exploration stopped at {self.states} states (limit)")
        return out

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "journey": self.journey_id,
            "path": self.path,
            "ok": self.ok,
            "states": self.states,
            "start_states": self.start_states,
            "truncated": self.truncated,
            "outcomes": self.outcomes,
            "endings_reached": dict(sorted(self.endings_reached.items())),
            "endings_unreachable": self.endings_unreachable,
            "choices_never_offered": self.choices_never_offered,
            "nodes_never_visited": self.nodes_never_visited,
            "dead_ends": [d.to_json() for d in self.dead_ends],
            "triggers_missable": self.triggers_missable,
            "problems": self.problems,
        }


class _Ctx:
    """What compiled conditions read: the same public readers as `JourneyRun`'s."""

    __slots__ = ("chosen", "persona", "state", "visits")

    def __init__(self, state: dict, visits: Iterable[str], chosen: Iterable[str], persona: dict):
        self.state = state
        self.visits = frozenset(visits)
        self.chosen = frozenset(chosen)
        self.persona = persona

    def state_value(self, name: str) -> Any:
        return self.state.get(name)

    def has_visited(self, node_id: str) -> bool:
        return node_id in self.visits

    def has_chosen(self, key: str) -> bool:
        return key in self.chosen

    def persona_value(self, field: str) -> Any:
        return self.persona.get(field)


def _conditions(journey: Journey) -> list[Any]:
    out = []
    for node in journey.nodes.values():
        out += [c.condition for c in node.choices if c.condition is not None]
        out += [e.condition for e in node.route if e.condition is not None]
    return out


def _calls(exprs: list[Any], kind: str) -> set[str]:
    out: set[str] = set()
    for e in exprs:
        out |= e.calls(kind)
    return out


def _persona_domains(journey: Journey, fields: set[str]) -> dict[str, tuple[Any, ...]]:
    domains: dict[str, tuple[Any, ...]] = {}
    for name in sorted(fields):
        if name in journey.persona:
            domains[name] = tuple(journey.persona[name])
        elif name in PERSONA_VALUES:
            domains[name] = PERSONA_VALUES[name]
        else:
            typ = PERSONA_FIELDS.get(name, float)
            domains[name] = _NUMERIC_GRID.get(typ, _NUMERIC_GRID[float])
    return domains


def _var_domain(var: Any) -> tuple[Any, ...]:
    if var.type == "int":
        return tuple(range(var.min, var.max + 1))
    if var.type == "bool":
        return (False, True)
    return tuple(var.values)


class _Explorer:
    def __init__(self, journey: Journey, max_states: int):
        self.j = journey
        self.max_states = max_states
        exprs = _conditions(journey)
        read = set()
        for e in exprs:
            read |= e.names()
        self.vars = [n for n in journey.state if n in read]  # flow-relevant variables
        self.visit_keys = _calls(exprs, "visited")
        once = {c.qid for n in journey.nodes.values() for c in n.choices if c.once}
        self.chosen_keys = _calls(exprs, "chosen") | once
        persona_fields = _calls(exprs, "persona")
        self.persona_domains = _persona_domains(journey, persona_fields & set(PERSONA_FIELDS))
        self.triggers = {t.id: t for t in journey.triggers}
        self.report = ExploreReport(journey.id, journey.path)
        self.offered: set[str] = set()
        self.visited_nodes: set[str] = set()
        self.missable: set[str] = set()
        self.dead: dict[tuple[str, str], DeadEnd] = {}

    # ----------------------------------------------------------------- start states
    def start_states(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        j = self.j
        personas = [
            dict(zip(self.persona_domains, combo, strict=True))
            for combo in itertools.product(*self.persona_domains.values())
        ] or [{}]
        per_var: list[tuple[Any, ...]] = []
        for name in self.vars:
            var = j.state[name]
            per_var.append(_var_domain(var) if var.from_persona else (var.initial,))
        return [
            (dict(zip(self.vars, values, strict=True)), persona)
            for persona in personas
            for values in itertools.product(*per_var)
        ]

    # ----------------------------------------------------------------- stepping
    def enter(
        self,
        node_id: str,
        state: dict[str, Any],
        visits: frozenset[str],
        chosen: frozenset[str],
        armed: list[_Armed],
        persona: dict[str, Any],
    ) -> list[_Item]:
        """Follow say lines and routes from `node_id`; every random branch is followed.
        Returns the resulting choice-node states (ending states are recorded, not returned)."""
        out: list[_Item] = []
        todo = [(node_id, state, visits, armed, 0)]
        while todo:
            nid, st, vis, arm, steps = todo.pop()
            if steps > MAX_AUTO_STEPS:
                self._dead(nid, "route loop: more than 1000 route steps without a choice", st)
                continue
            node: Node = self.j.nodes[nid]
            self.visited_nodes.add(nid)
            if nid in self.visit_keys:
                vis = vis | {nid}
            arm = self._arm(node, arm)
            if node.ending is not None:
                self.report.endings_reached[nid] = node.ending.outcome
                self.missable |= {a[0] for a in arm if a[1] < self.triggers[a[0]].within}
                continue
            if not node.route:
                out.append((nid, st, vis, chosen, arm, persona))
                continue
            ctx = _Ctx(st, vis, chosen, persona)
            for entry in node.route:
                if entry.kind == "goto":
                    assert entry.goto is not None  # the loader requires it
                    todo.append((entry.goto, st, vis, arm, steps + 1))
                    break
                if entry.kind == "if":
                    if entry.condition(ctx):
                        assert entry.goto is not None  # the loader requires it
                        todo.append((entry.goto, st, vis, arm, steps + 1))
                        break
                    continue
                for target, weight in entry.weights:
                    if weight > 0:
                        todo.append((target, st, vis, arm, steps + 1))
                break
            else:
                self._dead(nid, "no route entry applies", st)
        return out

    def _arm(self, node: Node, armed: list[_Armed]) -> list[_Armed]:
        if not self.triggers:
            return armed
        ids = {a[0] for a in armed}
        for line in node.say:
            if line.speaker != "customer":
                continue
            texts = [t.lower() for t in line.text.values()]
            for trig in self.j.triggers:
                if trig.id not in ids and any(k in t for k in trig.keywords for t in texts):
                    armed = [*armed, (trig.id, trig.within, frozenset())]
                    ids.add(trig.id)
        return armed

    def available(
        self,
        node: Node,
        state: dict[str, Any],
        visits: frozenset[str],
        chosen: frozenset[str],
        persona: dict[str, Any],
    ) -> list[Choice]:
        ctx = _Ctx(state, visits, chosen, persona)
        primary: list[Choice] = []
        fallbacks: list[Choice] = []
        for c in node.choices:
            if c.once and c.qid in chosen:
                continue
            if c.condition is not None and not c.condition(ctx):
                continue
            (fallbacks if c.fallback else primary).append(c)
        return primary or fallbacks

    def choose(
        self,
        c: Choice,
        nid: str,
        state: dict[str, Any],
        visits: frozenset[str],
        chosen: frozenset[str],
        armed: list[_Armed],
        persona: dict[str, Any],
    ) -> list[_Item]:
        st = dict(state)
        for eff in c.effects:
            if eff.var not in st:
                continue
            var = self.j.state[eff.var]
            st[eff.var] = (
                var.coerce(st[eff.var] + eff.value) if eff.op == "add" else (var.coerce(eff.value))
            )
        ch = chosen | ({c.id, c.qid} & self.chosen_keys)
        arm: list[_Armed] = []
        for tid, remaining, seen in armed:
            trig = self.triggers[tid]
            seen = seen | (set(c.behaviours) & set(trig.require_next))
            if all(b in seen for b in trig.require_next):
                continue
            if remaining - 1 <= 0:
                self.missable.add(tid)
                continue
            arm.append((tid, remaining - 1, frozenset(seen)))
        if c.goto is None:
            return [(nid, st, visits, ch, arm, persona)]
        return self.enter(c.goto, st, visits, ch, arm, persona)

    def _dead(self, nid: str, reason: str, state: dict[str, Any]) -> None:
        key = (nid, reason)
        if key not in self.dead:
            self.dead[key] = DeadEnd(nid, reason, dict(state))

    def _key(self, item: _Item) -> tuple[Any, ...]:
        nid, st, vis, ch, arm, persona = item
        return (
            nid,
            tuple(st[n] for n in self.vars),
            tuple(sorted(vis)),
            tuple(sorted(ch)),
            tuple(sorted((a, r, tuple(sorted(s))) for a, r, s in arm)),
            tuple(persona.get(f) for f in self.persona_domains),
        )

    # ----------------------------------------------------------------- the walk
    def run(self) -> ExploreReport:
        seen: set[tuple[Any, ...]] = set()
        queue: deque[_Item] = deque()
        starts = self.start_states()
        self.report.start_states = len(starts)
        for state, persona in starts:
            for item in self.enter(self.j.start, state, frozenset(), frozenset(), [], persona):
                k = self._key(item)
                if k not in seen:
                    seen.add(k)
                    queue.append(item)
        while queue:
            if len(seen) > self.max_states:
                self.report.truncated = True
                break
            item = queue.popleft()
            nid, st, vis, ch, arm, persona = item
            node = self.j.nodes[nid]
            options = self.available(node, st, vis, ch, persona)
            if not options:
                self._dead(nid, "no choice is available and there is no fallback", st)
                continue
            for c in options:
                self.offered.add(c.qid)
                for nxt in self.choose(c, nid, st, vis, ch, arm, persona):
                    k = self._key(nxt)
                    if k not in seen:
                        seen.add(k)
                        queue.append(nxt)
        return self._finish(len(seen))

    def _finish(self, states: int) -> ExploreReport:
        r = self.report
        r.states = states
        for nid, node in self.j.nodes.items():
            if node.ending is not None and nid not in r.endings_reached:
                r.endings_unreachable.append(
                    {
                        "node": nid,
                        "outcome": node.ending.outcome,
                        "intentional": bool(node.intentional_unreachable),
                        "where": node.source.render() if node.source else self.j.path,
                    }
                )
            for c in node.choices:
                if c.qid not in self.offered:
                    r.choices_never_offered.append(c.qid)
            if nid not in self.visited_nodes:
                r.nodes_never_visited.append(nid)
        r.dead_ends = sorted(self.dead.values(), key=lambda d: (d.node_id, d.reason))
        r.triggers_missable = sorted(self.missable)
        return r


def explore(journey: Journey, max_states: int = DEFAULT_MAX_STATES) -> ExploreReport:
    """Walk every reachable (node, state) of `journey`; see the module docstring."""
    return _Explorer(journey, max_states).run()


def format_report(report: ExploreReport, lang: str = "en") -> str:
    """A human-readable summary (both languages on the key lines)."""
    lines = [
        f"{report.path}: {report.journey_id}: {report.states} states from "
        f"{report.start_states} start states / 状态数 {report.states}",
        f"  outcomes reachable / 可达结局: {', '.join(report.outcomes) or '-'}",
    ]
    for nid, outcome in sorted(report.endings_reached.items()):
        lines.append(f"    reached  {nid} ({outcome})")
    for e in report.endings_unreachable:
        tag = "intentional / 有意不可达" if e["intentional"] else "UNREACHABLE / 不可达"
        lines.append(f"    {tag}: {e['node']} ({e['outcome']}) at {e['where']}")
    for d in report.dead_ends:
        lines.append(f"  dead end / 死路: {d.node_id}: {d.reason} (state {d.state})")
    if report.choices_never_offered:
        lines.append(
            "  choices never offered / 从未出现的选项: " + ", ".join(report.choices_never_offered)
        )
    if report.nodes_never_visited:
        lines.append(
            "  nodes never visited / 从未到达的节点: " + ", ".join(report.nodes_never_visited)
        )
    if report.triggers_missable:
        lines.append(
            "  triggers that can be missed / 可能漏做的触发: " + ", ".join(report.triggers_missable)
        )
    if report.truncated:
        lines.append(
            "  stopped at the state limit / 超过状态上限: raise --max-states, or reduce the "
            "int ranges that conditions read"
        )
    lines.append("  OK" if report.ok else "  FAILED: " + "; ".join(report.problems))
    return "\n".join(lines)
