"""Value classes: the values of each variable that a journey's conditions can tell apart.

Why: the explorer and the route-loop check must consider every value a state variable or a
persona field can take, but a condition like `balance >= 1000` only tells two kinds of balance
apart, and `persona('churn_risk') > 0.6` two kinds of customer.  Enumerating 0..100000 or a grid
of floats multiplies the state space for nothing.  This module partitions each variable's domain
into the classes induced by the constants its conditions compare it with, so one representative
per class stands for all of them — exactly, not approximately:

- an int state variable's classes are intervals; the partition is closed under its `add`
  effects (with clamping), so two values of one class stay in one class after any choice and
  every condition gives both the same answer (a bisimulation).  A `set` effect lands on a
  concrete value, which maps to its class's representative;
- a persona field never changes: numbers are split at the constants (each constant, a value
  between two constants, one below and one above, inside the field's natural range); text
  fields keep the values conditions name plus one value standing for all the others;
- a variable used in arithmetic or compared with another variable is not abstracted (ints take
  every value; numeric persona fields fall back to a sample grid, which makes the domain
  inexact: the explorer then cannot prove anything unreachable and says so).

Pure Python; shared by `journeys.explore` and `journeys.loops`.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from journeys.model import Journey
from journeys.vocabulary import PERSONA_FIELDS, PERSONA_VALUES

#: More classes than this for one int variable: stop refining and call the domain inexact.
MAX_CLASSES = 200_000

#: Natural range of the numeric persona fields (representatives stay inside it).
PERSONA_RANGES: dict[str, tuple[float, float]] = {
    "tenure_years": (0.0, math.inf),
    "products": (0, math.inf),
    "value": (0.0, math.inf),
    "prior_contacts": (0, math.inf),
    "churn_risk": (0.0, 1.0),
    "anger": (0, 10),
    "trust": (0, 10),
    "patience": (0, 10),
}

#: Values tried for a numeric persona field used in arithmetic (not exact).
_NUMERIC_GRID: dict[type, tuple[float | int, ...]] = {
    int: (0, 1, 2, 3, 4, 5, 8),
    float: (0.0, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 1000.0, 10000.0, 100000.0),
}

#: A variable key: ("var", name) for a state variable, ("persona", field) for a persona field.
Key = tuple[str, str]


@dataclass
class Domain:
    """The classes of one variable: `reps` has one representative per class."""

    key: Key
    reps: tuple[Any, ...]
    exact: bool = True
    starts: tuple[int, ...] | None = None  # int state variables: first value of each class
    readers: list[str] = field(default_factory=list)  # "path:line:col (condition)"
    note: str = ""  # how the classes came about, for the state-limit hint

    @property
    def label(self) -> str:
        kind, name = self.key
        return f"state '{name}'" if kind == "var" else f"persona('{name}')"

    def rep(self, value: Any) -> Any:
        """The representative of the class `value` belongs to."""
        if self.starts is None or isinstance(value, bool) or not isinstance(value, int):
            return value
        i = bisect.bisect_right(self.starts, value) - 1
        return self.starts[max(0, i)]


@dataclass
class _Usage:
    consts: set[Any] = field(default_factory=set)
    cuts: set[int] = field(default_factory=set)  # ints: first values where a comparison flips
    opaque: bool = False
    readers: list[str] = field(default_factory=list)


def conditions(journey: Journey) -> Iterator[tuple[Any, str]]:
    """Every condition of the journey with where it is written (`path:line:col`)."""
    for node in journey.nodes.values():
        for c in node.choices:
            if c.condition is not None:
                yield c.condition, (c.source.render() if c.source else journey.path)
        for r in node.route:
            if r.condition is not None:
                yield r.condition, (r.source.render() if r.source else journey.path)


def _leaf(tree: Any) -> Key | None:
    if isinstance(tree, tuple) and len(tree) == 2 and tree[0] in ("var", "persona"):
        return (tree[0], tree[1])
    return None


def _names(tree: Any, out: set[Key]) -> None:
    if not isinstance(tree, tuple) or not tree:
        return
    if not isinstance(tree[0], str):
        for part in tree:
            _names(part, out)
        return
    key = _leaf(tree)
    if key is not None:
        out.add(key)
        return
    if tree[0] == "const":
        return
    if tree[0] == "in":
        _names(tree[1], out)
        return
    for part in tree[1:]:
        _names(part, out)


def _walk(tree: Any, usage: dict[Key, _Usage]) -> None:
    """Collect, per variable, the constants conditions compare it with (or mark it opaque)."""
    kind = tree[0]
    if kind in ("and", "or"):
        for part in tree[1]:
            _truth(part, usage)
    elif kind == "not":
        _truth(tree[1], usage)
    elif kind == "cmp":
        operands = [tree[1], *(t for _, t in tree[2])]
        leaves = [_leaf(t) for t in operands]
        consts = [t[1] for t in operands if t[0] == "const"]
        simple = [k for k in leaves if k is not None]
        complex_ = [
            t for t, k in zip(operands, leaves, strict=True) if k is None and t[0] != "const"
        ]
        if len(simple) > 1 or complex_:
            names: set[Key] = set()
            for t in operands:
                _names(t, names)
            for k in names:
                usage.setdefault(k, _Usage()).opaque = True
        else:
            for k in simple:
                usage.setdefault(k, _Usage()).consts.update(consts)
            ops = [op for op, _ in tree[2]]
            for a, op, b in zip(operands, ops, operands[1:], strict=False):
                if _leaf(a) is not None and b[0] == "const":
                    usage[_leaf(a)].cuts.update(_cuts(op, b[1]))  # type: ignore[index]
                elif _leaf(b) is not None and a[0] == "const":
                    usage[_leaf(b)].cuts.update(_cuts(_FLIP[op], a[1]))  # type: ignore[index]
    elif kind == "in":
        key = _leaf(tree[1])
        if key is not None:
            u = usage.setdefault(key, _Usage())
            u.consts.update(tree[2])
            for v in tree[2]:
                u.cuts.update(_cuts("==", v))
        else:
            names = set()
            _names(tree[1], names)
            for k in names:
                usage.setdefault(k, _Usage()).opaque = True
    elif _leaf(tree) is not None:
        key = _leaf(tree)
        assert key is not None
        u = usage.setdefault(key, _Usage())
        u.consts.update((0, "", False))  # truthiness
        u.cuts.update((0, 1))
    elif kind in ("neg", "bin"):
        names = set()
        _names(tree, names)
        for k in names:
            usage.setdefault(k, _Usage()).opaque = True


def _truth(tree: Any, usage: dict[Key, _Usage]) -> None:
    _walk(tree, usage)


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _cuts(op: str, c: Any) -> set[int]:
    """Integer values x where `x op c` differs from `x-1 op c`."""
    if not isinstance(c, (int, float)):
        return set()  # None, text: an int compares unequal to it whatever its value
    c = float(c)
    if op in ("<", ">="):
        return {math.ceil(c)}
    if op in ("<=", ">"):
        return {math.floor(c) + 1}
    return {int(c), int(c) + 1} if c == int(c) else set()


def _numbers(values: set[Any]) -> list[float]:
    return sorted(
        {float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)}
        | {float(v) for v in values if isinstance(v, bool)}
    )


def int_classes(
    lo: int, hi: int, cuts: set[int], deltas: set[int], opaque: bool, cap: int = MAX_CLASSES
) -> tuple[tuple[int, ...], bool]:
    """Class starts for an int in lo..hi: split where a constant changes a comparison, then
    closed under every `+delta` (clamped) so the classes are stable under effects.
    Returns (sorted starts, exact)."""
    if opaque:
        if hi - lo + 1 > cap:
            return tuple(range(lo, lo + cap)), False
        return tuple(range(lo, hi + 1)), True
    starts = {lo} | {b for b in cuts if lo < b <= hi}
    work = sorted(starts - {lo})
    steps = [d for d in deltas if d]
    while work:
        b = work.pop()
        for d in steps:
            nb = b - d
            if lo < nb <= hi and nb not in starts:
                if len(starts) >= cap:
                    return tuple(sorted(starts)), False
                starts.add(nb)
                work.append(nb)
    return tuple(sorted(starts)), True


def _float_reps(lo: float, hi: float, consts: set[Any]) -> tuple[float, ...]:
    cs = [c for c in _numbers(consts) if lo <= c <= hi]
    if not cs:
        return (lo if lo > -math.inf else 0.0,)
    reps: list[float] = []
    if lo < cs[0]:
        reps.append(lo if lo > -math.inf else cs[0] - 1)
    for a, b in itertools.pairwise(cs):
        reps += [a, (a + b) / 2]
    reps.append(cs[-1])
    if hi > cs[-1]:
        reps.append(hi if hi < math.inf else cs[-1] + 1)
    return tuple(reps)


def _deltas(journey: Journey, name: str) -> set[int]:
    out: set[int] = set()
    for node in journey.nodes.values():
        for c in node.choices:
            for e in c.effects:
                if e.var == name and e.op == "add" and isinstance(e.value, (int, float)):
                    out.add(int(e.value))
    return out


def domains(journey: Journey, keys: set[Key] | None = None) -> dict[Key, Domain]:
    """The value classes of every variable the journey's conditions read (or of `keys`)."""
    usage: dict[Key, _Usage] = {}
    for expr, where in conditions(journey):
        before = {k: len(u.readers) for k, u in usage.items()}
        _walk(expr.tree, usage)
        read: set[Key] = set()
        _names(expr.tree, read)
        for k in read:
            u = usage.setdefault(k, _Usage())
            if len(u.readers) == before.get(k, 0):
                u.readers.append(f"{where} ({expr.source})")
    out: dict[Key, Domain] = {}
    for key, u in sorted(usage.items()):
        if keys is not None and key not in keys:
            continue
        kind, name = key
        if kind == "var":
            if name not in journey.state:
                continue
            out[key] = _state_domain(journey, name, u)
        elif name in PERSONA_FIELDS:
            out[key] = _persona_domain(journey, name, u)
        if key in out:
            out[key].readers = u.readers
    return out


def _state_domain(journey: Journey, name: str, u: _Usage) -> Domain:
    var = journey.state[name]
    key: Key = ("var", name)
    if var.type == "int":
        deltas = _deltas(journey, name)
        starts, exact = int_classes(var.min, var.max, u.cuts, deltas, u.opaque)
        how = (
            "used in arithmetic or compared with another variable"
            if u.opaque
            else (
                f"{len(_numbers(u.consts))} constant(s) compared"
                + (f", effects {', '.join(f'{d:+d}' for d in sorted(deltas))}" if deltas else "")
            )
        )
        note = f"{var.min}..{var.max}: {len(starts)} classes ({how})"
        return Domain(key, starts, exact, starts, note=note)
    if var.type == "bool":
        return Domain(key, (False, True), note="true/false")
    return Domain(key, tuple(var.values), note=f"{len(var.values)} enum values")


def _persona_domain(journey: Journey, name: str, u: _Usage) -> Domain:
    key: Key = ("persona", name)
    typ = PERSONA_FIELDS[name]
    if typ is str:
        allowed = tuple(journey.persona.get(name) or PERSONA_VALUES.get(name, ()))
        if not allowed:  # a text field without a fixed vocabulary: the constants + one other
            named = tuple(sorted(str(c) for c in u.consts if isinstance(c, str) and c))
            return Domain(key, (*named, "\x00other"), note=f"{len(named) + 1} classes")
        if u.opaque:
            return Domain(key, allowed, note=f"{len(allowed)} values")
        named = tuple(v for v in allowed if v in u.consts)
        others = [v for v in allowed if v not in u.consts]
        reps = named + ((others[0],) if others else ())
        return Domain(key, reps, note=f"{len(reps)} classes of {len(allowed)} values")
    lo, hi = PERSONA_RANGES.get(name, (-math.inf, math.inf))
    if u.opaque:
        grid = _NUMERIC_GRID.get(typ, _NUMERIC_GRID[float])
        return Domain(key, grid, exact=False, note="used in arithmetic: a sample grid only")
    if typ is int:
        ihi = int(hi) if hi < math.inf else int(max(_numbers(u.consts) or [0])) + 2
        starts, exact = int_classes(int(lo), max(int(lo), ihi), u.cuts, set(), False)
        return Domain(key, starts, exact, note=f"{len(starts)} classes")
    reps = _float_reps(lo, hi, u.consts)
    return Domain(key, reps, note=f"{len(reps)} classes")
