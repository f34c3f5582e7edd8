"""Lint: warnings about journeys that load fine but will play badly.

Why separate from validation: these are judgement calls (a node left unreachable on purpose, a
draft without English yet), so they are warnings a designer can act on, never load failures.
Checks are structural (conditions are not evaluated); `shapan journey explore` proves what is
actually reachable under the conditions.
"""

from __future__ import annotations

from collections.abc import Mapping

from journeys.diagnostics import Diagnostic, did_you_mean, make
from journeys.loops import loop_message, route_loops
from journeys.model import Journey, Node
from journeys.vocabulary import STANDARD_STATE


def lint_journey(
    journey: Journey, knowledge: Mapping[str, object] | None = None
) -> list[Diagnostic]:
    """All lint warnings for `journey` (JY101-JY107), sorted by position.

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

    for loop in route_loops(journey):
        if not loop.certain:  # certain loops are load errors (JY025)
            at(nodes[loop.first], "JY107", loop_message(loop))

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
