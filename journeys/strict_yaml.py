"""Strict YAML: parse a file into plain Python values that remember where they came from.

Why: designers edit these files by hand, so every error must point at `path:line:column`, and
YAML 1.1's surprises must never reach the program.  Reused by every YAML file kind in shapan
(journeys, fragments, knowledge base, the engine's scenarios).

API
---
- `load_file(path) -> value` / `load_text(text, path="<string>") -> value`: the single YAML
  document as plain values; raise `JourneyError` (diagnostics JY001-JY005) on any problem.
  An empty document gives `None`.
- Mappings are `YMap` (a `dict` subclass) and sequences `YList` (a `list` subclass).  Both have
  `.pos` (a `Pos`: 1-based `line`, `column`, plus the scalar `style` and `raw` source text) and
  `.path`.  `YMap.key_pos(key)` / `YMap.value_pos(key)` and `YList.item_pos(index)` give the
  position of every key and value.  Scalars are plain `str`, `int`, `float`, `bool`, `None`.
- `unknown_fields(ymap, allowed) -> list[Diagnostic]`: JY011 "unknown field" with a
  "did you mean" suggestion, one per unknown key.
- `diag(node_or_pos, code, message, path=...)` builds a `Diagnostic` at a position.

Rules (what "strict" means here)
- Mapping keys are always strings (the key's source text) and must be plain scalars; a
  duplicate key is JY003.
- Plain scalars follow the YAML 1.2 core schema only: `true`/`false`, `null`/`~`/empty,
  decimal integers (`010` is ten, never eight; `0x1F`, `0o17` are explicit), decimal floats,
  `.inf`/`.nan`.  Everything else is a string: `no`, `on`, `1:30`, `2024-01-01` stay text.
- Quoted and block scalars are always strings.  Tags other than the standard `!!str`,
  `!!int`, `!!float`, `!!bool`, `!!null`, `!!map`, `!!seq` and merge keys (`<<`) are JY004.
- Anchors and aliases work, but the expanded document is capped (JY005), so an "alias bomb"
  cannot exhaust memory, and a recursive alias is an error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from journeys.diagnostics import Diagnostic, JourneyError, allowed_list, did_you_mean, make
from journeys.input_files import InputFileError, read_input

MAX_FILE_BYTES = 4_000_000
MAX_NODES = 200_000
MAX_DEPTH = 64

_PLAIN = "!plain"
_STD = "tag:yaml.org,2002:"

_INT_RE = re.compile(r"[-+]?[0-9]+\Z")
_HEX_RE = re.compile(r"0x[0-9a-fA-F]+\Z")
_OCT_RE = re.compile(r"0o[0-7]+\Z")
_FLOAT_RE = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_INF_RE = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
_NAN_RE = re.compile(r"\.(nan|NaN|NAN)\Z")


@dataclass(frozen=True)
class Pos:
    """Where a value starts (1-based).  `style` is None for plain scalars, else the quote or
    block indicator; `raw` is a scalar's source text (None for collections)."""

    line: int = 1
    column: int = 1
    style: str | None = None
    raw: str | None = None


class YMap(dict):
    """A mapping that remembers the position of itself, each key and each value."""

    pos: Pos
    path: str

    def __init__(self, pos: Pos, path: str):
        super().__init__()
        self.pos = pos
        self.path = path
        self._kpos: dict[str, Pos] = {}
        self._vpos: dict[str, Pos] = {}

    def key_pos(self, key: str) -> Pos:
        return self._kpos.get(key, self.pos)

    def value_pos(self, key: str) -> Pos:
        return self._vpos.get(key, self.pos)


class YList(list):
    """A sequence that remembers the position of itself and each item."""

    pos: Pos
    path: str

    def __init__(self, pos: Pos, path: str):
        super().__init__()
        self.pos = pos
        self.path = path
        self._ipos: list[Pos] = []

    def item_pos(self, index: int) -> Pos:
        return self._ipos[index] if 0 <= index < len(self._ipos) else self.pos


class _Loader(yaml.SafeLoader):
    """SafeLoader composition with no implicit resolvers: we resolve plain scalars ourselves."""

    yaml_implicit_resolvers: dict = {}  # noqa: RUF012 - class-level table PyYAML reads

    def resolve(self, kind, value, implicit):  # type: ignore[override]
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN
        return super().resolve(kind, value, implicit)


if hasattr(yaml, "CSafeLoader"):

    class _CLoader(yaml.CSafeLoader):  # libyaml: ~10x faster composition, same positions
        yaml_implicit_resolvers: dict = {}  # noqa: RUF012

        def resolve(self, kind, value, implicit):  # type: ignore[override]
            if kind is yaml.ScalarNode and implicit[0]:
                return _PLAIN
            return super().resolve(kind, value, implicit)

    _FAST: type = _CLoader
else:  # pragma: no cover - PyYAML built without libyaml
    _FAST = _Loader


def diag(where: Pos | YMap | YList, code: str, message: str, path: str | None = None) -> Diagnostic:
    """A diagnostic at a position, a mapping or a list."""
    if isinstance(where, (YMap, YList)):
        return make(path or where.path, where.pos.line, where.pos.column, code, message)
    return make(path or "<string>", where.line, where.column, code, message)


def unknown_fields(ymap: YMap, allowed: Iterable[str], what: str = "") -> list[Diagnostic]:
    """JY011 for every key of `ymap` not in `allowed`, with a "did you mean" hint."""
    allowed = list(allowed)
    out = []
    for key in ymap:
        if key not in allowed:
            where = f" in {what}" if what else ""
            hint = did_you_mean(key, allowed) or f"; allowed: {allowed_list(allowed)}"
            out.append(
                diag(ymap.key_pos(key), "JY011", f'unknown field "{key}"{where}{hint}', ymap.path)
            )
    return out


def load_file(path: str | Path) -> Any:
    """Parse one YAML file strictly (see module docstring); only a regular file of at most
    `MAX_FILE_BYTES` is read (`journeys.input_files`: no device, pipe or folder)."""
    shown = str(path)
    try:
        data = read_input(path, MAX_FILE_BYTES, "YAML file")
    except InputFileError as err:
        raise JourneyError([make(shown, 1, 1, "JY001", str(err))]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise JourneyError(
            [make(shown, line, 1, "JY001", "file is not UTF-8 text; save it as UTF-8")]
        ) from None
    return load_text(text, shown)


def load_text(text: str, path: str = "<string>") -> Any:
    """Parse YAML text strictly; `path` is only used in diagnostics."""
    if len(text) > MAX_FILE_BYTES:
        raise JourneyError([make(path, 1, 1, "JY001", "text is too large")])
    try:
        node = yaml.compose(text, Loader=_FAST)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = err.problem or err.context or "invalid YAML"
        if err.context and err.problem and "expected a single document" in err.context:
            problem = "only one YAML document is allowed per file (remove the extra '---')"
        raise JourneyError([make(path, line, col, "JY002", _yaml_message(problem))]) from None
    except yaml.YAMLError as err:
        raise JourneyError([make(path, 1, 1, "JY002", str(err).splitlines()[0])]) from None
    except RecursionError:
        raise JourneyError([make(path, 1, 1, "JY004", "YAML is nested too deeply")]) from None
    if node is None:
        return None
    builder = _Builder(path)
    builder.measure(node, {}, 0)
    return builder.build(node)


def _yaml_message(problem: str) -> str:
    tab = "a tab character cannot be used for indentation; indent with spaces"
    colon = "mapping values are not allowed here (quote text that contains ': ')"
    hints = {
        "found character '\\t' that cannot start any token": tab,
        "found character that cannot start any token": (
            "found a character that cannot start a value (a tab used for indentation? "
            "quote text starting with @ or `)"
        ),
        "mapping values are not allowed here": colon,
        "mapping values are not allowed in this context": colon,
    }
    if problem.startswith(("expected ',' or", "did not find expected ',' or")):
        return problem + " (inside {...} or [...], put text containing , ? : or # in quotes)"
    return hints.get(problem, problem)


def _pos(node: yaml.Node, raw: bool = False) -> Pos:
    style = (getattr(node, "style", None) or None) if isinstance(node, yaml.ScalarNode) else None
    text = node.value if raw and isinstance(node, yaml.ScalarNode) else None
    return Pos(node.start_mark.line + 1, node.start_mark.column + 1, style, text)


def resolve_plain(text: str) -> Any:
    """Resolve a plain (unquoted) scalar by the YAML 1.2 core schema."""
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _INT_RE.match(text):
        return int(text, 10)
    if _HEX_RE.match(text):
        return int(text[2:], 16)
    if _OCT_RE.match(text):
        return int(text[2:], 8)
    if _FLOAT_RE.match(text) and any(ch.isdigit() for ch in text):
        return float(text)
    if _INF_RE.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN_RE.match(text):
        return math.nan
    return text


class _Builder:
    """Turns a composed node graph into YMap/YList/scalars with a budget against alias bombs."""

    def __init__(self, path: str):
        self.path = path
        self.count = 0
        self.stack: set[int] = set()

    def fail(self, node: yaml.Node, code: str, message: str) -> JourneyError:
        p = _pos(node)
        return JourneyError([make(self.path, p.line, p.column, code, message)])

    def measure(self, node: yaml.Node, sizes: dict[int, int], depth: int) -> int:
        """Expanded size of `node` (memoised per node, so an alias bomb is measured in
        microseconds); raises JY004/JY005 before anything is built."""
        known = sizes.get(id(node))
        if known is not None:
            if known < 0:
                raise self.fail(node, "JY005", "an alias refers to a collection that contains it")
            return known
        if depth > MAX_DEPTH:
            raise self.fail(node, "JY004", f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(node, yaml.ScalarNode):
            return 1
        sizes[id(node)] = -1  # in progress
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            children = [part for pair in node.value for part in pair]
        total = 1 + sum(self.measure(child, sizes, depth + 1) for child in children)
        if total > MAX_NODES:
            raise self.fail(
                node, "JY005", f"the document expands to more than {MAX_NODES} values (alias bomb?)"
            )
        sizes[id(node)] = total
        return total

    def build(self, node: yaml.Node, depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(
                node, "JY005", f"the document expands to more than {MAX_NODES} values (alias bomb?)"
            )
        if depth > MAX_DEPTH:
            raise self.fail(node, "JY004", f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if id(node) in self.stack:
            raise self.fail(node, "JY005", "an alias refers to a collection that contains it")
        self.stack.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return self.sequence(node, depth)
            return self.mapping(node, depth)
        finally:
            self.stack.discard(id(node))

    def scalar(self, node: yaml.ScalarNode) -> Any:
        tag, value = node.tag, node.value
        if tag == _PLAIN:
            return resolve_plain(value)
        if tag == _STD + "str":
            return value
        if tag == _STD + "int":
            result = resolve_plain(value)
            if isinstance(result, bool) or not isinstance(result, int):
                raise self.fail(node, "JY004", f'"{value}" is not an integer')
            return result
        if tag == _STD + "float":
            result = resolve_plain(value)
            if isinstance(result, bool) or not isinstance(result, (int, float)):
                raise self.fail(node, "JY004", f'"{value}" is not a number')
            return float(result)
        if tag == _STD + "bool":
            result = resolve_plain(value)
            if not isinstance(result, bool):
                raise self.fail(node, "JY004", f'"{value}" is not true or false')
            return result
        if tag == _STD + "null":
            return None
        raise self.fail(node, "JY004", f"YAML tag {tag!r} is not supported; remove it")

    def sequence(self, node: yaml.SequenceNode, depth: int) -> YList:
        if node.tag != _STD + "seq":
            raise self.fail(node, "JY004", f"YAML tag {node.tag!r} is not supported; remove it")
        out = YList(_pos(node), self.path)
        for item in node.value:
            out.append(self.build(item, depth + 1))
            out._ipos.append(_pos(item, raw=True))
        return out

    def mapping(self, node: yaml.MappingNode, depth: int) -> YMap:
        if node.tag != _STD + "map":
            raise self.fail(node, "JY004", f"YAML tag {node.tag!r} is not supported; remove it")
        out = YMap(_pos(node), self.path)
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(
                    key_node, "JY004", "a mapping key must be a plain name, not a list or mapping"
                )
            if key_node.tag == _STD + "merge" or (
                key_node.tag == _PLAIN and key_node.value == "<<"
            ):
                raise self.fail(
                    key_node, "JY004", "merge keys ('<<') are not supported; write the fields out"
                )
            if key_node.tag not in (_PLAIN, _STD + "str"):
                raise self.fail(
                    key_node, "JY004", f"YAML tag {key_node.tag!r} is not supported on a key"
                )
            key = key_node.value
            if key in out:
                first = out.key_pos(key)
                raise self.fail(
                    key_node, "JY003", f'duplicate key "{key}" (first defined on line {first.line})'
                )
            self.count += 1
            out[key] = self.build(value_node, depth + 1)
            out._kpos[key] = _pos(key_node, raw=True)
            out._vpos[key] = _pos(value_node, raw=True)
        return out
