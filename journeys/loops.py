"""Route loops: cycles of route nodes a run can enter and never leave without a choice.

Why on the graph, at load time: a run that loops through routes only stops at the runtime's
guard (1000 route steps), long after the designer could have been told.  Inside a chain of
routes the state cannot change (effects belong to choices), persona fields never change, and
`chosen()` only changes at a choice; only `visited()` grows.  So a loop is found without running:

1. the *trap*: route nodes that have at least one entry whose every target (every positive
   random branch) is again such a node — the greatest such set (a node all of whose possible
   entries can leave is never part of a loop);
2. for each assignment of the values its conditions can tell apart (`journeys.domains` classes
   for state variables and persona fields, true/false for each `visited()` and `chosen()`),
   each route node takes exactly one entry; a loop is a non-empty set of reachable route nodes
   closed under those entries whose recurring part has been visited if `visited()` asks.

A found loop is error JY025 at load time, naming the loop and the values that make it.  When
the conditions are too many to enumerate (more than `MAX_ASSIGNMENTS`), the structural loop is
lint warning JY107 and the runtime guard stays as the last line (a coded JY025 error).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from journeys.domains import domains
from journeys.model import Journey, Node, RouteEntry

#: Assignments of condition values tried before a loop is only reported as possible (JY107).
MAX_ASSIGNMENTS = 4096


@dataclass(frozen=True)
class RouteLoop:
    nodes: tuple[str, ...]  # the nodes that repeat, sorted
    first: str  # the one written first (where the diagnostic points)
    when: str  # the values that make it loop ("" for any values), or why it is undecided
    certain: bool  # False: too many conditions to decide (JY107)


def _targets(entry: RouteEntry) -> tuple[str, ...]:
    if entry.kind == "random":
        return tuple(t for t, w in entry.weights if w > 0)
    return (entry.goto or "",)


def _pos(node: Node) -> tuple[str, int, int]:
    src = node.source
    return (src.path, src.line, src.column) if src else ("", 0, 0)


def _reachable(journey: Journey) -> set[str]:
    seen: set[str] = set()
    stack = [journey.start]
    while stack:
        nid = stack.pop()
        if nid in seen or nid not in journey.nodes:
            continue
        seen.add(nid)
        stack.extend(journey.nodes[nid].successors())
    return seen


def _trap(candidates: set[str], pick: Any) -> set[str]:
    """Greatest set S of candidates where `pick(nid, S)` holds for every member."""
    trap = set(candidates)
    changed = True
    while changed:
        changed = False
        for nid in sorted(trap):
            if not pick(nid, trap):
                trap.discard(nid)
                changed = True
    return trap


def _bottom_sccs(trap: set[str], succ: dict[str, tuple[str, ...]]) -> list[set[str]]:
    """Strongly connected groups of `trap` with no edge leaving them (where a run ends up)."""
    reach: dict[str, set[str]] = {}
    for nid in trap:
        seen: set[str] = set()
        stack = list(succ[nid])
        while stack:
            x = stack.pop()
            if x in seen:
                continue
            seen.add(x)
            stack.extend(succ[x])
        reach[nid] = seen
    out: list[set[str]] = []
    done: set[str] = set()
    for nid in sorted(trap):
        if nid in done or nid not in reach[nid]:
            continue
        group = {x for x in reach[nid] if nid in reach[x]}
        done |= group
        if all(reach[x] <= group for x in group):
            out.append(group)
    return out


class _Assignment:
    """Condition readers over one assignment of values (the same names as `JourneyRun`'s)."""

    def __init__(self, values: dict[tuple[str, str], Any]):
        self.values = values

    def state_value(self, name: str) -> Any:
        return self.values.get(("var", name))

    def persona_value(self, field: str) -> Any:
        return self.values.get(("persona", field))

    def has_visited(self, node_id: str) -> bool:
        return bool(self.values.get(("visited", node_id)))

    def has_chosen(self, key: str) -> bool:
        return bool(self.values.get(("chosen", key)))


def _describe(values: dict[tuple[str, str], Any]) -> str:
    parts = []
    for (kind, name), v in sorted(values.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        label = {"var": name, "persona": f"persona('{name}')"}.get(kind, f"{kind}('{name}')")
        parts.append(f"{label} = {v!r}")
    return ", ".join(parts)


def route_loops(journey: Journey) -> list[RouteLoop]:
    """Every route loop a run of `journey` can fall into (see the module docstring)."""
    nodes = journey.nodes
    routes = {nid for nid, n in nodes.items() if n.route}
    if not routes:
        return []

    def may_stay(nid: str, trap: set[str]) -> bool:
        return any(all(t in trap for t in _targets(e)) and _targets(e) for e in nodes[nid].route)

    structural = _trap(routes, may_stay) & _reachable(journey)
    structural = _trap(structural, may_stay)
    if not structural:
        return []
    exprs = [e.condition for nid in structural for e in nodes[nid].route if e.condition]
    keys: set[tuple[str, str]] = set()
    flags: list[tuple[str, str]] = []
    for expr in exprs:
        keys |= {("var", n) for n in expr.names()} | {("persona", f) for f in expr.calls("persona")}
        flags += [("visited", n) for n in sorted(expr.calls("visited"))]
        flags += [("chosen", k) for k in sorted(expr.calls("chosen"))]
    flags = list(dict.fromkeys(flags))
    doms = domains(journey, keys)
    axes: list[tuple[tuple[str, str], tuple[Any, ...]]] = [
        (k, doms[k].reps) for k in sorted(keys) if k in doms
    ]
    axes += [(f, (False, True)) for f in flags]
    total = 1
    for _, reps in axes:
        total *= max(1, len(reps))
    found: dict[frozenset[str], RouteLoop] = {}
    if total > MAX_ASSIGNMENTS:
        for group in _bottom_sccs(
            structural, {n: _all_targets(nodes[n], structural) for n in structural}
        ):
            first = min(group, key=lambda n: _pos(nodes[n]))
            found[frozenset(group)] = RouteLoop(
                tuple(sorted(group)), first, f"{total} value combinations to check", False
            )
        return sorted(found.values(), key=lambda lp: _pos(nodes[lp.first]))
    for combo in itertools.product(*(reps for _, reps in axes)):
        values = dict(zip((k for k, _ in axes), combo, strict=True))
        ctx = _Assignment(values)
        taken = {nid: _taken(nodes[nid], ctx) for nid in structural}
        trap = _trap(structural, lambda nid, s, taken=taken: all(t in s for t in taken[nid]))
        if not trap:
            continue
        succ = {nid: taken[nid] for nid in trap}
        for group in _bottom_sccs(trap, succ):
            if any(values.get(("visited", n)) is False for n in group):
                continue  # after one lap visited() of these is true: not a steady loop
            key = frozenset(group)
            if key not in found:
                shown = {k: v for k, v in values.items() if k[0] in ("var", "persona")}
                first = min(group, key=lambda n: _pos(nodes[n]))
                found[key] = RouteLoop(tuple(sorted(group)), first, _describe(shown), True)
    return sorted(found.values(), key=lambda lp: _pos(nodes[lp.first]))


def _all_targets(node: Node, within: set[str]) -> tuple[str, ...]:
    return tuple(t for e in node.route for t in _targets(e) if t in within)


def _taken(node: Node, ctx: _Assignment) -> tuple[str, ...]:
    """The targets of the entry a route takes under `ctx` (every branch of a random entry)."""
    for entry in node.route:
        if entry.kind == "if" and not entry.condition(ctx):
            continue
        return _targets(entry)
    return ()


def loop_message(loop: RouteLoop) -> str:
    names = ", ".join(loop.nodes)
    if not loop.certain:
        return (
            f"route nodes {names} may loop forever without a choice ({loop.when}: too many to "
            "decide); put a choice node in the loop"
        )
    when = f" when {loop.when}" if loop.when else ""
    return (
        f"route nodes {names} loop forever without a choice{when}; put a choice node in the "
        "loop or give it an exit"
    )
