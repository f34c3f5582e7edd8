"""Safe condition expressions (`if:`): parsed with `ast`, checked against a whitelist, compiled
to closures.  Nothing a designer writes is ever passed to eval/exec/compile-to-code.

Without a persona, `persona('x')` is None and every comparison with it is false — `==`, `!=`
(also `!= 'vip'` and `== None`), `<`..`>=`, `in` and `not in` alike; `not (...)` of such a
comparison is true.

Allowed: declared state variables; literals (int, float, str, true/false, None); comparisons
(`== != < <= > >=`, `in` / `not in` with a list or tuple of literals); `and`, `or`, `not`;
`+ - *` on numbers; and the calls `visited('node')`, `chosen('choice')` / `chosen('node.choice')`,
`persona('field')`.  Everything else (attributes, subscripts, lambdas, comprehensions, other
calls, `**`, dunder names, ...) is a JY031 error at load time.

Why a tuple tree plus lazily compiled closures: the tree is the canonical form (hashed into the
journey's content hash, picklable); the closure is what `JourneyRun` calls thousands of times.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from journeys.diagnostics import allowed_list, did_you_mean
from journeys.vocabulary import PERSONA_FIELDS, PERSONA_VALUES

MAX_EXPR_CHARS = 2000
FUNCTIONS = ("visited", "chosen", "persona")
_TRUE = {
    "true": True,
    "True": True,
    "false": False,
    "False": False,
    "None": None,
    "none": None,
    "null": None,
}


class ExprError(Exception):
    """A problem in an expression; `offset` is the 0-based character offset (line 0)."""

    def __init__(self, code: str, message: str, lineno: int = 1, offset: int = 0):
        super().__init__(message)
        self.code = code
        self.message = message
        self.lineno = lineno
        self.offset = offset


@dataclass(frozen=True)
class ExprContext:
    """What names mean while checking: `state` maps declared variables to their StateVar (None
    for a variable whose definition is broken: any use is accepted, to avoid cascades).  With
    `state=None` no names are checked (a fragment validated on its own)."""

    state: Mapping[str, Any] | None
    resolve_node: Callable[[str], str | None]
    resolve_choice: Callable[[str], str | None]


class Expr:
    """A checked expression.  Call it with a `JourneyRun` to get a bool."""

    __slots__ = ("_fn", "source", "tree")

    def __init__(self, source: str, tree: tuple[Any, ...]):
        self.source = source
        self.tree = tree
        self._fn: Callable[[Any], Any] | None = None

    def __call__(self, run: Any) -> bool:
        fn = self._fn
        if fn is None:
            fn = self._fn = _compile(self.tree)
        return bool(fn(run))

    def names(self) -> set[str]:
        """State variables the expression reads (lint: unused state)."""
        out: set[str] = set()
        _collect(self.tree, "var", out)
        return out

    def calls(self, kind: str) -> set[str]:
        out: set[str] = set()
        _collect(self.tree, kind, out)
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        return (Expr, (self.source, self.tree))

    def __repr__(self) -> str:
        return f"Expr({self.source!r})"


def _collect(tree: Any, kind: str, out: set[str]) -> None:
    if not isinstance(tree, tuple) or not tree:
        return
    if not isinstance(tree[0], str):  # a tuple of sub-trees (and/or operands, cmp chain)
        for part in tree:
            _collect(part, kind, out)
        return
    if tree[0] == "const":
        return
    if tree[0] == "in":  # ("in", left, literal values, negate): only `left` has names
        _collect(tree[1], kind, out)
        return
    if tree[0] == kind and isinstance(tree[1], str):
        out.add(tree[1])
    for part in tree[1:]:
        _collect(part, kind, out)


def parse(source: str, ctx: ExprContext) -> Expr:
    """Parse and check `source`; raise ExprError (JY030-JY033) on any problem."""
    if len(source) > MAX_EXPR_CHARS:
        raise ExprError("JY030", f"expression is longer than {MAX_EXPR_CHARS} characters")
    if not source.strip():
        raise ExprError("JY030", "the expression is empty")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as err:
        msg = (err.msg or "invalid syntax").replace("Perhaps you forgot a comma?", "").strip()
        raise ExprError(
            "JY030",
            f"cannot parse expression: {msg}",
            err.lineno or 1,
            max(0, (err.offset or 1) - 1),
        ) from None
    except (ValueError, RecursionError, MemoryError):
        raise ExprError("JY030", "cannot parse expression") from None
    lead = len(source) - len(source.lstrip())
    try:
        checked, _ = _Checker(ctx, source.strip(), lead).check(tree.body)
    except RecursionError:
        raise ExprError("JY030", "expression is nested too deeply") from None
    return Expr(source.strip(), checked)


# ----------------------------------------------------------------------------- checking
_CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_BIN = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}
_FORBIDDEN = {
    ast.Attribute: "attribute access ('.') is not allowed",
    ast.Subscript: "indexing ('[...]') is not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.IfExp: "'x if c else y' is not allowed; use a route",
    ast.Dict: "dict literals are not allowed",
    ast.Set: "set literals are not allowed",
    ast.NamedExpr: "':=' is not allowed",
    ast.Starred: "'*' unpacking is not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.Await: "await is not allowed",
}

Type = tuple[str, frozenset[str] | None]  # ("num"|"bool"|"str"|"none"|"any", known str values)
_ANY: Type = ("any", None)


class _Checker:
    def __init__(self, ctx: ExprContext, source: str, lead: int):
        self.ctx = ctx
        self.source = source
        self.lead = lead

    def fail(self, node: ast.AST, code: str, message: str) -> ExprError:
        lineno = getattr(node, "lineno", 1)
        offset = getattr(node, "col_offset", 0)
        lines = self.source.splitlines() or [""]
        raw = lines[lineno - 1].encode("utf-8")[:offset] if lineno <= len(lines) else b""
        chars = len(raw.decode("utf-8", errors="ignore"))
        return ExprError(code, message, lineno, chars + (self.lead if lineno == 1 else 0))

    def check(self, node: ast.AST) -> tuple[tuple[Any, ...], Type]:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            reason = _FORBIDDEN.get(type(node), f"'{type(node).__name__}' is not allowed")
            raise self.fail(node, "JY031", f"{reason} in a condition")
        return method(node)

    # literals and names
    def _Constant(self, node: ast.Constant) -> tuple[tuple[Any, ...], Type]:
        v = node.value
        if isinstance(v, bool):
            return ("const", v), ("bool", None)
        if isinstance(v, (int, float)):
            if isinstance(v, int) and abs(v) > 10**12:
                raise self.fail(node, "JY033", "number is too large")
            return ("const", v), ("num", None)
        if isinstance(v, str):
            return ("const", v), ("str", frozenset({v}))
        if v is None:
            return ("const", None), ("none", None)
        raise self.fail(node, "JY031", f"literal {v!r} is not allowed in a condition")

    def _Name(self, node: ast.Name) -> tuple[tuple[Any, ...], Type]:
        name = node.id
        state = self.ctx.state
        if state is not None and name in state:
            var = state[name]
            if var is None:
                return ("var", name), _ANY
            if var.type == "int":
                return ("var", name), ("num", None)
            if var.type == "bool":
                return ("var", name), ("bool", None)
            return ("var", name), ("str", frozenset(var.values))
        if name in _TRUE:
            value = _TRUE[name]
            return ("const", value), (("bool", None) if isinstance(value, bool) else ("none", None))
        if name.startswith("__"):
            raise self.fail(node, "JY031", f"'{name}' is not allowed in a condition")
        if state is None:
            return ("var", name), _ANY
        if name in FUNCTIONS:
            raise self.fail(node, "JY032", f"'{name}' is a function: write {name}('...')")
        hint = did_you_mean(name, state) or (
            f"; declared: {allowed_list(state)}" if state else "; declare it under state:"
        )
        if name in PERSONA_FIELDS:
            hint = f"; to read the persona write persona('{name}')"
        raise self.fail(node, "JY014", f"unknown state variable '{name}'{hint}")

    def _List(self, node: ast.List) -> tuple[tuple[Any, ...], Type]:
        raise self.fail(node, "JY031", "a list is only allowed after 'in' / 'not in'")

    _Tuple = _List

    # operators
    def _BoolOp(self, node: ast.BoolOp) -> tuple[tuple[Any, ...], Type]:
        parts = tuple(self.check(v)[0] for v in node.values)
        return ("and" if isinstance(node.op, ast.And) else "or", parts), ("bool", None)

    def _UnaryOp(self, node: ast.UnaryOp) -> tuple[tuple[Any, ...], Type]:
        inner, typ = self.check(node.operand)
        if isinstance(node.op, ast.Not):
            return ("not", inner), ("bool", None)
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            if typ[0] not in ("num", "any"):
                raise self.fail(node, "JY033", "'-' and '+' need a number")
            if isinstance(node.op, ast.UAdd):
                return inner, typ
            if inner[0] == "const":
                return ("const", -inner[1]), typ
            return ("neg", inner), typ
        raise self.fail(node, "JY031", "'~' is not allowed in a condition")

    def _BinOp(self, node: ast.BinOp) -> tuple[tuple[Any, ...], Type]:
        op = _BIN.get(type(node.op))
        if op is None:
            raise self.fail(node, "JY031", "only + - * are allowed as arithmetic in a condition")
        left, lt = self.check(node.left)
        right, rt = self.check(node.right)
        for typ, part in ((lt, node.left), (rt, node.right)):
            if typ[0] not in ("num", "any"):
                raise self.fail(part, "JY033", f"'{op}' needs numbers, not {_name(typ)}")
        return ("bin", op, left, right), ("num", None)

    def _Compare(self, node: ast.Compare) -> tuple[tuple[Any, ...], Type]:
        left, lt = self.check(node.left)
        if len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)):
            return self._membership(node, left, lt)
        parts = []
        prev_t, prev_node = lt, node.left
        for op_node, comp in zip(node.ops, node.comparators, strict=True):
            op = _CMP.get(type(op_node))
            if op is None:
                raise self.fail(node, "JY031", "'in', 'is' are only allowed as 'x in [...]'")
            right, rt = self.check(comp)
            self._compatible(op, prev_t, rt, prev_node, comp)
            parts.append((op, right))
            prev_t, prev_node = rt, comp
        return ("cmp", left, tuple(parts)), ("bool", None)

    def _membership(self, node: ast.Compare, left: Any, lt: Type) -> tuple[tuple[Any, ...], Type]:
        seq = node.comparators[0]
        if not isinstance(seq, (ast.List, ast.Tuple)):
            raise self.fail(seq, "JY031", "'in' needs a list of values, e.g. x in ['a', 'b']")
        values = []
        for item in seq.elts:
            tree, typ = self.check(item)
            if tree[0] != "const":
                raise self.fail(
                    item, "JY031", "the list after 'in' may only contain literal values"
                )
            self._compatible("==", lt, typ, node.left, item)
            values.append(tree[1])
        negate = isinstance(node.ops[0], ast.NotIn)
        return ("in", left, tuple(values), negate), ("bool", None)

    def _compatible(self, op: str, a: Type, b: Type, an: ast.AST, bn: ast.AST) -> None:
        if "any" in (a[0], b[0]) or "none" in (a[0], b[0]):
            return
        if op in ("<", "<=", ">", ">="):
            for typ, part in ((a, an), (b, bn)):
                if typ[0] != "num":
                    raise self.fail(part, "JY033", f"'{op}' compares numbers, not {_name(typ)}")
            return
        kinds = {a[0], b[0]}
        if kinds == {"num", "bool"} or (len(kinds) == 1 and kinds != {"str"}):
            return
        if kinds != {"str"}:
            raise self.fail(bn, "JY033", f"comparing {_name(a)} with {_name(b)} is never true")
        for known, other, part in ((a[1], b[1], bn), (b[1], a[1], an)):
            if known and other and len(other) == 1 and len(known) > 1:
                value = next(iter(other))
                if value not in known:
                    hint = (
                        did_you_mean(value, known) or f"; possible: {allowed_list(sorted(known))}"
                    )
                    raise self.fail(part, "JY033", f"'{value}' is never a value here{hint}")

    def _Call(self, node: ast.Call) -> tuple[tuple[Any, ...], Type]:
        func = node.func
        if isinstance(func, ast.Attribute):
            raise self.fail(func, "JY031", f"{_FORBIDDEN[ast.Attribute]} in a condition")
        if not isinstance(func, ast.Name) or func.id not in FUNCTIONS:
            shown = func.id if isinstance(func, ast.Name) else "this"
            raise self.fail(
                node,
                "JY031",
                f"calling {shown}() is not allowed; only visited(), chosen(), persona() are",
            )
        name = func.id
        if node.keywords or len(node.args) != 1:
            raise self.fail(node, "JY032", f"{name}() takes exactly one quoted name")
        arg = node.args[0]
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            raise self.fail(arg, "JY032", f"{name}() takes a quoted name, e.g. {name}('x')")
        value = arg.value
        if name == "persona":
            if value not in PERSONA_FIELDS:
                hint = did_you_mean(value, PERSONA_FIELDS) or (
                    f"; fields: {allowed_list(PERSONA_FIELDS)}"
                )
                raise self.fail(arg, "JY032", f"unknown persona field '{value}'{hint}")
            ftype = PERSONA_FIELDS[value]
            if ftype is str:
                known = PERSONA_VALUES.get(value)
                return ("persona", value), ("str", frozenset(known) if known else None)
            return ("persona", value), ("num", None)
        resolver = self.ctx.resolve_node if name == "visited" else self.ctx.resolve_choice
        resolved = resolver(value)
        if resolved is None:
            what = "node" if name == "visited" else "choice"
            raise self.fail(arg, "JY032", f"{name}(): unknown {what} '{value}'")
        return (name, resolved), ("bool", None)


def _name(typ: Type) -> str:
    return {"num": "a number", "bool": "true/false", "str": "text", "none": "None"}.get(
        typ[0], "a value"
    )


# ----------------------------------------------------------------------------- compiling
_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
}


def _compile(tree: tuple[Any, ...]) -> Callable[[Any], Any]:
    """Turn a checked tree into a closure over a run's public readers (`state_value`,
    `has_visited`, `has_chosen`, `persona_value`)."""
    kind = tree[0]
    if kind == "const":
        value = tree[1]
        return lambda r: value
    if kind == "var":
        name = tree[1]
        return lambda r: r.state_value(name)
    if kind == "visited":
        node_id = tree[1]
        return lambda r: r.has_visited(node_id)
    if kind == "chosen":
        key = tree[1]
        return lambda r: r.has_chosen(key)
    if kind == "persona":
        field = tree[1]
        return lambda r: r.persona_value(field)
    if kind == "not":
        inner = _compile(tree[1])
        return lambda r: not inner(r)
    if kind == "and":
        parts = [_compile(t) for t in tree[1]]
        return lambda r: all(p(r) for p in parts)
    if kind == "or":
        parts = [_compile(t) for t in tree[1]]
        return lambda r: any(p(r) for p in parts)
    if kind == "neg":
        inner = _compile(tree[1])

        def neg(r: Any) -> Any:
            v = inner(r)
            return None if v is None else -v

        return neg
    if kind == "bin":
        fn, left, right = _ARITH[tree[1]], _compile(tree[2]), _compile(tree[3])

        def arith(r: Any) -> Any:
            a, b = left(r), right(r)
            if a is None or b is None:
                return None
            return fn(a, b)

        return arith
    if kind == "cmp":
        first = _compile(tree[1])
        chain = [(_OPS[op], op in ("==", "!="), _compile(t)) for op, t in tree[2]]

        def compare(r: Any) -> bool:
            a = first(r)
            for fn, _eq, right in chain:
                b = right(r)
                if a is None or b is None:  # a missing persona value: every comparison is false
                    return False
                try:
                    if not fn(a, b):
                        return False
                except TypeError:
                    return False
                a = b
            return True

        return compare
    if kind == "in":
        left = _compile(tree[1])
        values = tree[2]
        negate = tree[3]

        def member(r: Any) -> bool:
            v = left(r)
            return v is not None and (v in values) != negate  # missing: false, like comparisons

        return member
    raise ValueError(f"unknown expression node {kind!r}")
