"""The journey content hash: sha256 over a canonical JSON form of the validated journey.

What changes it: any semantic field of the journey or of an included fragment (ids, texts in
any language, conditions, effects, times, scores, risks, routes and weights, endings, triggers,
state definitions, persona filter, channels, version, title) and `FORMAT_VERSION` (bumped when
the runtime's meaning of a journey changes).  What does not: comments, key order, quoting,
indentation, flow vs block style, file names and paths, `a>1` vs `a > 1` in a condition.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

#: Bump when the runtime gives an unchanged journey file a different meaning.
FORMAT_VERSION = 1


def canonical(journey: Any) -> dict[str, Any]:
    """The journey as plain JSON data, independent of formatting and file locations."""
    return {
        "format": FORMAT_VERSION,
        "id": journey.id,
        "version": journey.version,
        "title": _text(journey.title),
        "description": _text(journey.description),
        "kind": journey.kind,
        "channels": list(journey.channels),
        "persona": {k: list(v) for k, v in sorted(journey.persona.items())},
        "state": {
            name: {
                "type": v.type,
                "min": v.min,
                "max": v.max,
                "values": list(v.values),
                "initial": v.initial,
                "from_persona": v.from_persona,
            }
            for name, v in sorted(journey.state.items())
        },
        "triggers": [
            {
                "id": t.id,
                "keywords": list(t.keywords),
                "require_next": list(t.require_next),
                "within": t.within,
                "risk": t.risk_if_missed,
                "alert": _text(t.alert),
            }
            for t in journey.triggers
        ],
        "start": journey.start,
        "nodes": {nid: _node(n) for nid, n in sorted(journey.nodes.items())},
    }


def content_hash(journey: Any) -> str:
    data = json.dumps(canonical(journey), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _text(text: Any) -> dict[str, str] | None:
    return None if text is None else text.to_json()


def _expr(expr: Any) -> Any:
    return None if expr is None else _plain(expr.tree)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _node(n: Any) -> dict[str, Any]:
    return {
        "stage": n.stage,
        "say": [line.to_json() for line in n.say],
        "choices": [
            {
                "id": c.id,
                "text": _text(c.text),
                "if": _expr(c.condition),
                "once": c.once,
                "fallback": c.fallback,
                "behaviours": list(c.behaviours),
                "effects": [[e.var, e.op, e.value] for e in c.effects],
                "time": c.time_s,
                "risk": list(c.risk),
                "score": c.score,
                "feedback": _text(c.feedback),
                "knowledge": list(c.knowledge),
                "cross_sell": c.cross_sell.to_json() if c.cross_sell else None,
                "goto": c.goto,
            }
            for c in n.choices
        ],
        "route": [
            {
                "kind": r.kind,
                "goto": r.goto,
                "if": _expr(r.condition),
                "weights": [[t, w] for t, w in r.weights],
            }
            for r in n.route
        ],
        "ending": n.ending.to_json() if n.ending else None,
        "intentional_unreachable": n.intentional_unreachable,
    }
