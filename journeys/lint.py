"""Lint: warnings about journeys that load fine but will play badly.

Why separate from validation: these are judgement calls (a node left unreachable on purpose, a
draft without English yet), so they are warnings a designer can act on, never load failures.
Checks are structural (conditions are not evaluated); `shapan journey explore` proves what is
actually reachable under the conditions.
"""

from __future__ import annotations

from collections.abc import Mapping

from journeys.diagnostics import Diagnostic, did_you_mean, make
from journeys.model import Journey, Node
from journeys.vocabulary import STANDARD_STATE


def lint_journey(
    journey: Journey, knowledge: Mapping[str, object] | None = None
) -> list[Diagnostic]:
    """All lint warnings for `journey` (JY101-JY106), sorted by position.

    `knowledge` is the knowledge base (id -> entry); None skips the knowledge-id check.
    """
    out: list[Diagnostic] = list(journey.warnings)
    nodes = journey.nodes
    succ = {nid: n.successors() for nid, n in nodes.items()}
    reachable = _reach(journey.start, succ)

    def at(node: Node, code: str, msg: str) -> None:
        src = node.source
        out.append(
            make(
                src.path if src else journey.path,
                src.line if src else 1,
                src.column if src else 1,
                code,
                msg,
            )
        )

    for nid, node in nodes.items():
        if nid not in reachable and not node.intentional_unreachable:
            at(
                node,
                "JY101",
                f"node '{nid}' cannot be reached from '{journey.start}' "
                "(add a goto to it, or intentional_unreachable: true)",
            )

    pred: dict[str, set[str]] = {nid: set() for nid in nodes}
    for nid, targets in succ.items():
        for t in targets:
            pred[t].add(nid)
    can_end: set[str] = set()
    stack = [nid for nid, n in nodes.items() if n.ending]
    while stack:
        nid = stack.pop()
        if nid in can_end:
            continue
        can_end.add(nid)
        stack.extend(pred[nid] - can_end)
    for nid in sorted(reachable - can_end):
        at(nodes[nid], "JY102", f"node '{nid}' is a dead end: no ending can be reached from it")

    for nid, node in nodes.items():
        if not node.choices:
            continue
        revisit = nid in _reach_from_successors(nid, succ)
        safe = False
        for c in node.choices:
            once_blocks = c.once and (revisit or c.goto is None or c.goto == nid)
            if c.condition is None and not once_blocks:
                safe = True
                break
        if not safe:
            at(
                node,
                "JY103",
                f"at node '{nid}' every choice can be disabled (by 'if' or 'once') "
                "and none is an unconditional fallback; add '- {id: ..., fallback: true, ...}'",
            )

    read: set[str] = set()
    for node in nodes.values():
        for c in node.choices:
            if c.condition is not None:
                read |= c.condition.names()
        for r in node.route:
            if r.condition is not None:
                read |= r.condition.names()
    written = {e.var for n in nodes.values() for c in n.choices for e in c.effects}
    for name, var in journey.state.items():
        if name in read or name in STANDARD_STATE:
            continue
        src = var.source
        what = (
            "is changed by effects but never read by a condition"
            if name in written
            else ("is never used")
        )
        out.append(
            make(
                src.path if src else journey.path,
                src.line if src else 1,
                src.column if src else 1,
                "JY104",
                f"state variable '{name}' {what}",
            )
        )

    for cycle in _route_cycles(journey):
        entries = [r for nid in cycle for r in nodes[nid].route]
        if any(
            r.kind == "random" or (r.condition and r.condition.calls("visited")) for r in entries
        ):
            continue  # something changes on each pass: the loop can end
        first = min(cycle, key=lambda nid: _pos_key(nodes[nid]))
        at(
            nodes[first],
            "JY107",
            f"route nodes {', '.join(sorted(cycle))} can loop forever: no "
            "choice in between and state cannot change inside routes; put a choice node in the "
            "loop (or branch on visited())",
        )

    if knowledge is not None:
        for node in nodes.values():
            for c in node.choices:
                for kid in c.knowledge:
                    if kid not in knowledge:
                        src = c.source
                        out.append(
                            make(
                                src.path if src else journey.path,
                                src.line if src else 1,
                                src.column if src else 1,
                                "JY106",
                                f"choice '{c.id}' links unknown knowledge id '{kid}'"
                                f"{did_you_mean(kid, knowledge)}",
                            )
                        )
    return sorted(set(out), key=lambda d: (d.path, d.line, d.column, d.code, d.message))


def _reach(start: str, succ: Mapping[str, tuple[str, ...]]) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        nid = stack.pop()
        if nid in seen or nid not in succ:
            continue
        seen.add(nid)
        stack.extend(succ[nid])
    return seen


def _reach_from_successors(nid: str, succ: Mapping[str, tuple[str, ...]]) -> set[str]:
    seen: set[str] = set()
    for s in succ[nid]:
        if s != nid:
            seen |= _reach(s, succ)
    return seen


def _pos_key(node: Node) -> tuple[str, int, int]:
    src = node.source
    return (src.path, src.line, src.column) if src else ("", 0, 0)


def _route_cycles(journey: Journey) -> list[set[str]]:
    """Strongly connected groups of route nodes linked by route entries (Tarjan)."""
    nodes = journey.nodes
    graph = {
        nid: [t for r in n.route for t in r.targets() if t in nodes and nodes[t].route]
        for nid, n in nodes.items()
        if n.route
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1 or v in graph[v]:
                out.append(group)

    for v in graph:
        if v not in index:
            visit(v)
    return out
