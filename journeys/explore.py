"""Exhaustive exploration of a journey: every reachable (node, state), proven.

Why: lint looks at the graph's shape, but conditions decide what a trainee can actually reach.
A designer needs to know, before anyone plays, which endings can happen at all, which choices
are never offered, and where a run could get stuck. The explorer walks every reachable abstract
state breadth-first:

    (node, values of the state variables that conditions read, visited nodes that `visited()`
     asks about, chosen choices that `chosen()` or `once` care about, armed triggers)

- Every branch of every seeded `random:` route is followed (weights > 0).
- Values are explored by the classes conditions can tell apart (`journeys.domains`): an int
  state variable compared with 1000 and changed by +500 takes a few hundred classes, not
  100,001 values; `persona('churn_risk') > 0.6` gives three customers, not a grid. The classes
  are exact (closed under the effects), so nothing is lost. State variables with
  `initial: persona` start from every class; persona fields read by `persona('...')` take every
  class inside the journey's `persona:` filter. Variables no condition reads cannot change the
  flow, so they are left out of the state key.
- The verdict never lies: when the walk stops at `--max-states` (or a domain could not be made
  exact), the report is *inconclusive* — endings not reached are "not reached before the limit",
  never "unreachable" — and it names the variables and conditions that multiply the states.
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
import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from journeys.domains import Domain, domains
from journeys.model import Choice, Journey, Node
from journeys.runtime import MAX_AUTO_STEPS
from journeys.vocabulary import PERSONA_FIELDS

DEFAULT_MAX_STATES = 200_000

#: An armed trigger: (trigger id, choices left, behaviours seen so far).
_Armed = tuple[str, int, frozenset[str]]
#: One abstract state at a choice node: (node, state, visits, chosen, armed triggers, persona).
_Item = tuple[str, dict[str, Any], frozenset[str], frozenset[str], list[_Armed], dict[str, Any]]


@dataclass(frozen=True)
class DeadEnd:
    node_id: str
    reason: str
    state: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"node": self.node_id, "reason": self.reason, "state": self.state}


@dataclass
class ExploreReport:
    """What the exhaustive walk proved about one journey.

    `verdict` is "ok", "problems" (an ending unreachable, a dead end) or "inconclusive" (the
    walk stopped at the state limit or could not be exact: nothing not reached is proved
    unreachable; `multipliers` says what multiplies the states)."""

    journey_id: str
    path: str
    states: int = 0
    start_states: int = 0
    truncated: bool = False
    max_states: int = 0
    inexact: list[str] = field(default_factory=list)  # domains that could not be made exact
    endings_reached: dict[str, str] = field(default_factory=dict)  # node -> outcome
    endings_unreachable: list[dict[str, Any]] = field(default_factory=list)
    choices_never_offered: list[str] = field(default_factory=list)  # qualified ids
    nodes_never_visited: list[str] = field(default_factory=list)
    dead_ends: list[DeadEnd] = field(default_factory=list)
    triggers_missable: list[str] = field(default_factory=list)
    multipliers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def outcomes(self) -> list[str]:
        return sorted(set(self.endings_reached.values()))

    @property
    def inconclusive(self) -> bool:
        return self.truncated or bool(self.inexact)

    @property
    def problems(self) -> list[str]:
        """Proved findings that make `explore` exit 1 (English, one line each).  An inconclusive
        walk proves dead ends it found, never that an ending is unreachable."""
        out = []
        if not self.inconclusive:
            out += [
                f"ending '{e['node']}' ({e['outcome']}) is unreachable"
                for e in self.endings_unreachable
                if not e["intentional"]
            ]
        out += [f"dead end at '{d.node_id}': {d.reason}" for d in self.dead_ends]
        return out

    @property
    def verdict(self) -> str:
        if self.problems:
            return "problems"
        return "inconclusive" if self.inconclusive else "ok"

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"

    def inconclusive_reason(self) -> str:
        if self.truncated:
            return f"{self.states} states explored, limit reached (--max-states {self.max_states})"
        if self.inexact:
            return "values of " + ", ".join(self.inexact) + " could only be sampled"
        return ""

    def to_json(self) -> dict[str, Any]:
        return {
            "journey": self.journey_id,
            "path": self.path,
            "ok": self.ok,
            "verdict": self.verdict,
            "inconclusive": self.inconclusive_reason() or None,
            "states": self.states,
            "start_states": self.start_states,
            "truncated": self.truncated,
            "outcomes": self.outcomes,
            "endings_reached": dict(sorted(self.endings_reached.items())),
            "endings_unreachable": [] if self.inconclusive else self.endings_unreachable,
            "endings_not_reached": self.endings_unreachable if self.inconclusive else [],
            "choices_never_offered": self.choices_never_offered,
            "nodes_never_visited": self.nodes_never_visited,
            "dead_ends": [d.to_json() for d in self.dead_ends],
            "triggers_missable": self.triggers_missable,
            "multipliers": self.multipliers,
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
        persona_fields = sorted(_calls(exprs, "persona") & set(PERSONA_FIELDS))
        self.domains: dict[tuple[str, str], Domain] = domains(journey)
        self.var_domains = {
            n: self.domains.get(("var", n)) or Domain(("var", n), ()) for n in self.vars
        }
        self.persona_domains = {
            f: self.domains[("persona", f)].reps
            for f in persona_fields
            if ("persona", f) in self.domains
        }
        self.triggers = {t.id: t for t in journey.triggers}
        self.report = ExploreReport(journey.id, journey.path, max_states=max_states)
        self.report.inexact = sorted(d.label for d in self.domains.values() if not d.exact)
        self.offered: set[str] = set()
        self.visited_nodes: set[str] = set()
        self.missable: set[str] = set()
        self.dead: dict[tuple[str, str], DeadEnd] = {}

    # ----------------------------------------------------------------- start states
    def start_count(self) -> int:
        n = math.prod(len(v) for v in self.persona_domains.values())
        for name in self.vars:
            if self.j.state[name].from_persona:
                n *= max(1, len(self.var_domains[name].reps))
        return n

    def start_states(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        j = self.j
        personas = [
            dict(zip(self.persona_domains, combo, strict=True))
            for combo in itertools.product(*self.persona_domains.values())
        ] or [{}]
        per_var: list[tuple[Any, ...]] = []
        for name in self.vars:
            var = j.state[name]
            dom = self.var_domains[name]
            per_var.append(dom.reps if var.from_persona else (dom.rep(var.initial),))
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
                src = self.j.nodes[nid].source
                where = src.render() if src else self.j.path
                self._dead(
                    nid,
                    f"JY025 route loop at {where}: more than {MAX_AUTO_STEPS} route steps "
                    "without a choice",
                    st,
                )
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
            st[eff.var] = self.var_domains[eff.var].rep(
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
        if self.start_count() > self.max_states:
            self.report.start_states = self.start_count()
            self.report.truncated = True
            return self._finish(0)
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
        if r.inconclusive:
            r.multipliers = self._multipliers()
        return r

    def _multipliers(self) -> list[dict[str, Any]]:
        """What multiplies the states, biggest first: each variable's classes and the
        conditions that read it (file:line), then the visited()/chosen() flags."""
        out: list[dict[str, Any]] = []
        keys = [("var", n) for n in self.vars] + [("persona", f) for f in self.persona_domains]
        for key in keys:
            dom = self.domains.get(key)
            if dom is None or len(dom.reps) < 2:
                continue
            out.append(
                {
                    "variable": dom.label,
                    "classes": len(dom.reps),
                    "exact": dom.exact,
                    "how": dom.note,
                    "read_at": dom.readers,
                }
            )
        flags = sorted(self.visit_keys) + sorted(self.chosen_keys)
        if flags:
            out.append(
                {
                    "variable": "visited()/chosen()/once flags",
                    "classes": 2 ** len(flags),
                    "exact": True,
                    "how": ", ".join(flags),
                    "read_at": [],
                }
            )
        return sorted(out, key=lambda m: -m["classes"])


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
        if e["intentional"]:
            tag = "intentional / 有意不可达"
        elif report.inconclusive:
            tag = "not reached before the limit (not proved unreachable) / 未到达（未证明不可达）"
        else:
            tag = "UNREACHABLE / 不可达"
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
    if report.inconclusive and report.multipliers:
        lines.append("  what multiplies the states / 状态倍增来源:")
        for m in report.multipliers:
            lines.append(f"    {m['variable']}: ×{m['classes']} ({m['how']})")
            for where in m["read_at"][:5]:
                lines.append(f"      read at {where}")
            if len(m["read_at"]) > 5:
                lines.append(f"      ... and {len(m['read_at']) - 5} more conditions")
    if report.verdict == "inconclusive":
        lines.append(
            f"  INCONCLUSIVE / 未能得出结论: {report.inconclusive_reason()}; raise --max-states "
            "or compare the variables above with fewer constants"
        )
    elif report.ok:
        lines.append("  OK")
    else:
        tail = f" (and inconclusive: {report.inconclusive_reason()})" if report.inconclusive else ""
        lines.append("  FAILED: " + "; ".join(report.problems) + tail)
    return "\n".join(lines)
