"""Load and validate a journey YAML file into an immutable `Journey`.

Why one pass that collects diagnostics: a designer fixes a file faster when every independent
mistake is listed at once, yet one mistake must give one error.  So names (nodes, state
variables, choices) are registered before anything that refers to them is checked, and a broken
definition still registers its name: later uses of it are not reported again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from journeys import spec
from journeys import vocabulary as V
from journeys.diagnostics import Diagnostic, JourneyError, allowed_list, did_you_mean, make
from journeys.durations import not_a_duration, parse_duration
from journeys.expressions import Expr, ExprContext, ExprError, parse
from journeys.hashing import content_hash
from journeys.loops import loop_message, route_loops
from journeys.model import (
    Choice,
    CrossSell,
    Effect,
    Ending,
    FrozenDict,
    Include,
    Journey,
    Line,
    Node,
    RouteEntry,
    Source,
    StateVar,
    Text,
    Trigger,
)
from journeys.strict_yaml import Pos, YList, YMap, load_file, load_text, unknown_fields

_ID = re.compile(spec.ID_PATTERN)
_JOURNEY_ID = re.compile(spec.JOURNEY_ID_PATTERN)
_LINE_ID = re.compile(spec.LINE_ID_PATTERN)
MAX_TIME_S = 24 * 3600


def load_journey(path: str | Path) -> Journey:
    """Load a journey file; raise `JourneyError` listing every problem."""
    doc = load_file(path)
    return _JourneyLoader(str(path), Path(path).parent).journey(doc)


def load_journey_text(text: str, path: str = "<string>", base_dir: str | Path = ".") -> Journey:
    """Load a journey from text (includes resolve against `base_dir`)."""
    doc = load_text(text, path)
    return _JourneyLoader(path, Path(base_dir)).journey(doc)


def check_file(path: str | Path) -> tuple[Journey | None, list[Diagnostic]]:
    """Validate a journey or a fragment file without raising: (journey or None, diagnostics).

    A fragment on its own is checked for structure, vocabulary and its own node references;
    state variables are checked when a journey includes it.
    """
    try:
        doc = load_file(path)
        if isinstance(doc, YMap) and "fragment" in doc and "journey" not in doc:
            _JourneyLoader(str(path), Path(path).parent).standalone_fragment(doc)
            return None, []
        return _JourneyLoader(str(path), Path(path).parent).journey(doc), []
    except JourneyError as err:
        return None, list(err.diagnostics)


@dataclass
class _Scope:
    """Name resolution for one file: the journey itself or one included fragment."""

    path: str
    prefix: str = ""  # "" for the journey, "<alias>." for a fragment
    local_nodes: set[str] = field(default_factory=set)
    exits: dict[str, str | None] | None = None  # fragment: exit -> mapped node (None: unmapped)
    alias: str | None = None


class _JourneyLoader:
    def __init__(self, path: str, base: Path):
        self.path = path
        self.base = base
        self.diags: list[Diagnostic] = []
        self.state: dict[str, StateVar | None] = {}
        self.all_nodes: set[str] = set()
        self.fragment_starts: dict[str, str] = {}
        self.choice_plain: set[str] = set()
        self.choice_qualified: set[str] = set()
        self.line_ids: dict[str, tuple[str, Pos]] = {}
        self.check_state = True
        self.warnings: list[Diagnostic] = []
        self.broken_aliases: set[str] = (
            set()
        )  # includes that failed: their names are not re-reported

    # ------------------------------------------------------------------ helpers
    def err(
        self, where: Pos | YMap | YList, code: str, message: str, path: str | None = None
    ) -> None:
        pos = where.pos if isinstance(where, (YMap, YList)) else where
        self.diags.append(make(path or self.path, pos.line, pos.column, code, message))

    def fields(self, m: YMap, obj: str, what: str, path: str) -> None:
        o = spec.OBJECTS[obj]
        for d in unknown_fields(m, o.allowed, what):
            self.diags.append(make(path, d.line, d.column, d.code, d.message))
        missing = [name for name in o.required if name not in m]
        if missing:
            fields = ", ".join(f'"{name}"' for name in missing)
            plural = "s" if len(missing) > 1 else ""
            self.err(m, "JY012", f"{what} is missing the required field{plural} {fields}", path)

    def mapping(self, value: Any, pos: Pos, what: str, path: str) -> YMap | None:
        if isinstance(value, YMap):
            return value
        self.err(
            pos, "JY010", f"{what} must be a mapping (key: value lines), not {_kind(value)}", path
        )
        return None

    def seq(self, value: Any, pos: Pos, what: str, path: str) -> YList | None:
        if isinstance(value, YList):
            return value
        hint = f"; write [{value}]" if isinstance(value, str) and value else ""
        self.err(pos, "JY010", f"{what} must be a list, not {_kind(value)}{hint}", path)
        return None

    def string(self, value: Any, pos: Pos, what: str, path: str) -> str | None:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and pos.raw is not None and pos.style is None:
            return pos.raw  # `text: 2024` means the characters the designer typed
        self.err(pos, "JY010", f"{what} must be text, not {_kind(value)}", path)
        return None

    def ident(
        self, value: Any, pos: Pos, what: str, path: str, pattern: re.Pattern[str] = _ID
    ) -> str | None:
        text = self.string(value, pos, what, path)
        if text is None:
            return None
        if not pattern.match(text):
            self.err(
                pos,
                "JY017",
                f"{what} '{text}' is not a valid id: use letters, digits and '_' "
                "(not starting with a digit)",
                path,
            )
            return None
        return text

    def enum(
        self, value: Any, pos: Pos, allowed: Iterable[str], what: str, path: str
    ) -> str | None:
        allowed = tuple(allowed)
        text = self.string(value, pos, what, path)
        if text is None:
            return None
        if text not in allowed:
            hint = did_you_mean(text, allowed) or f"; allowed: {allowed_list(allowed)}"
            self.err(pos, "JY013", f"unknown {what} '{text}'{hint}", path)
            return None
        return text

    def enum_list(
        self,
        value: Any,
        pos: Pos,
        allowed: Iterable[str],
        what: str,
        path: str,
        single: bool = False,
    ) -> tuple[str, ...]:
        """A list of vocabulary names (`single=True` also accepts one bare name)."""
        if single and isinstance(value, str):
            value_list: list[tuple[Any, Pos]] = [(value, pos)]
        else:
            items = self.seq(value, pos, f"{what} list", path)
            if items is None:
                return ()
            value_list = [(v, items.item_pos(i)) for i, v in enumerate(items)]
        out = []
        for v, p in value_list:
            got = self.enum(v, p, allowed, what, path)
            if got is not None and got not in out:
                out.append(got)
        return tuple(out)

    def integer(self, value: Any, pos: Pos, what: str, path: str) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        self.err(pos, "JY010", f"{what} must be a whole number, not {_kind(value)}", path)
        return None

    def number(self, value: Any, pos: Pos, what: str, path: str) -> float | None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if value != value or value in (float("inf"), float("-inf")):
                self.err(pos, "JY019", f"{what} must be a finite number", path)
                return None
            return float(value)
        self.err(pos, "JY010", f"{what} must be a number, not {_kind(value)}", path)
        return None

    def boolean(self, value: Any, pos: Pos, what: str, path: str) -> bool | None:
        if isinstance(value, bool):
            return value
        self.err(pos, "JY010", f"{what} must be true or false, not {_kind(value)}", path)
        return None

    def text(self, value: Any, pos: Pos, what: str, path: str) -> Text | None:
        if isinstance(value, YMap):
            out = {}
            for lang, v in value.items():
                lp = value.key_pos(lang)
                if lang not in V.LANGUAGES:
                    if v is None and value.pos.line == lp.line and value.pos.style is None:
                        self.err(
                            lp,
                            "JY013",
                            f"stray '{lang}' in {what}: inside {{...}} a comma "
                            'ends the text; put the text in quotes ("...")',
                            path,
                        )
                        continue
                    hint = did_you_mean(lang, V.LANGUAGES) or f"; use {allowed_list(V.LANGUAGES)}"
                    self.err(lp, "JY013", f"unknown language '{lang}' in {what}{hint}", path)
                    continue
                s = self.string(v, value.value_pos(lang), f"{what} ({lang})", path)
                if s is not None:
                    out[lang] = s
            if not value:
                self.err(
                    pos,
                    "JY012",
                    f"{what} needs at least one language ({allowed_list(V.LANGUAGES)})",
                    path,
                )
                return None
            missing = [lang for lang in V.LANGUAGES if lang not in value]
            if out and missing:
                self.warnings.append(
                    make(
                        path,
                        pos.line,
                        pos.column,
                        "JY105",
                        f"{what} has no {', '.join(missing)} translation",
                    )
                )
            return Text(out) if out else None
        s = self.string(value, pos, what, path)
        if s is None:
            return None
        self.warnings.append(
            make(
                path,
                pos.line,
                pos.column,
                "JY105",
                f"{what} is one plain text for every language; write {{zh-CN: ..., en: ...}}",
            )
        )
        return Text(dict.fromkeys(V.LANGUAGES, s), plain=True)

    def duration(self, value: Any, pos: Pos, what: str, path: str) -> float | None:
        """A duration in the project's one grammar (`journeys.durations`), or JY020."""
        seconds = parse_duration(value)
        if seconds is None:
            self.err(pos, "JY020", not_a_duration(what, value), path)
            return None
        if not (0 <= seconds <= MAX_TIME_S):
            self.err(pos, "JY019", f"{what} must be between 0 and {MAX_TIME_S} seconds", path)
            return None
        return seconds

    def expr(self, value: Any, pos: Pos, scope: _Scope) -> Expr | None:
        if isinstance(value, str):
            source = value
        elif isinstance(value, (bool, int, float)) and pos.raw is not None:
            source = pos.raw
        else:
            self.err(
                pos, "JY010", f"a condition must be an expression, not {_kind(value)}", scope.path
            )
            return None
        ctx = ExprContext(
            self.state if self.check_state else None,
            lambda name: self.resolve_node(name, scope),
            lambda name: self.resolve_choice(name, scope),
        )
        try:
            return parse(source, ctx)
        except ExprError as e:
            line, col = pos.line, pos.column
            raw = pos.raw or ""
            if e.lineno == 1 and "\n" not in raw and pos.style in (None, '"', "'"):
                col += e.offset + (1 if pos.style else 0)
            self.err(Pos(line, col), e.code, e.message, scope.path)
            return None

    # ------------------------------------------------------------------ names
    def resolve_node(self, name: str, scope: _Scope) -> str | None:
        if scope.exits is not None:
            if name in scope.local_nodes:
                return scope.prefix + name
            return None
        if name in self.all_nodes:
            return name
        if name in self.fragment_starts:
            return self.fragment_starts[name]
        if name.split(".", 1)[0] in self.broken_aliases:
            return name
        return None

    def resolve_choice(self, name: str, scope: _Scope) -> str | None:
        if "." in name:
            qualified = scope.prefix + name if scope.exits is not None else name
            if qualified.split(".", 1)[0] in self.broken_aliases and scope.exits is None:
                return qualified
            return qualified if qualified in self.choice_qualified else None
        return name if name in self.choice_plain else None

    def target(self, value: Any, pos: Pos, scope: _Scope) -> str | None:
        """Resolve a goto target, reporting JY015/JY042.  Returns the global node id."""
        name = self.string(value, pos, "goto", scope.path)
        if name is None:
            return None
        if scope.exits is not None and name.startswith("exit."):
            exit_name = name[5:]
            if exit_name not in scope.exits:
                hint = did_you_mean(exit_name, scope.exits) or (
                    f"; this fragment's exits: {allowed_list(scope.exits)}"
                )
                self.err(pos, "JY042", f"unknown exit '{exit_name}'{hint}", scope.path)
                return None
            return scope.exits[exit_name] or name
        resolved = self.resolve_node(name, scope)
        if resolved is None:
            pool = sorted(scope.local_nodes) if scope.exits is not None else sorted(self.all_nodes)
            extra = [f"exit.{x}" for x in scope.exits] if scope.exits is not None else []
            hint = did_you_mean(name, pool + extra) or ""
            where = " in this fragment" if scope.exits is not None else ""
            self.err(pos, "JY015", f"unknown node '{name}'{where}{hint}", scope.path)
        return resolved

    # ------------------------------------------------------------------ journey
    def journey(self, doc: Any) -> Journey:
        path = self.path
        if isinstance(doc, YMap) and "fragment" in doc and "journey" not in doc:
            raise JourneyError(
                [
                    make(
                        path,
                        doc.pos.line,
                        doc.pos.column,
                        "JY041",
                        "this file is a fragment; load the journey that includes it",
                    )
                ]
            )
        if not isinstance(doc, YMap):
            raise JourneyError(
                [
                    make(
                        path,
                        1,
                        1,
                        "JY010",
                        f"a journey file must be a mapping starting with 'journey:', not {_kind(doc)}",
                    )
                ]
            )
        self.fields(doc, "journey", "the journey", path)
        jid = (
            self.ident(
                doc.get("journey"), doc.value_pos("journey"), "journey id", path, _JOURNEY_ID
            )
            if "journey" in doc
            else None
        )
        version = None
        if "version" in doc:
            version = self.integer(doc["version"], doc.value_pos("version"), "version", path)
            if version is not None and version < 0:
                self.err(doc.value_pos("version"), "JY019", "version must be 0 or more")
        title = (
            self.text(doc["title"], doc.value_pos("title"), "title", path)
            if "title" in doc
            else None
        )
        description = (
            self.text(doc["description"], doc.value_pos("description"), "description", path)
            if "description" in doc
            else None
        )
        kind = (
            self.enum(doc["kind"], doc.value_pos("kind"), V.KINDS, "kind", path)
            if "kind" in doc
            else None
        )
        channels: tuple[str, ...] = ()
        if "channels" in doc:
            channels = self.enum_list(
                doc["channels"], doc.value_pos("channels"), V.CHANNELS, "channel", path
            )
            if isinstance(doc["channels"], YList) and not doc["channels"]:
                self.err(doc.value_pos("channels"), "JY012", "channels needs at least one channel")
        persona = (
            self.persona_filter(doc.get("persona"), doc.value_pos("persona"))
            if "persona" in doc
            else {}
        )
        if "state" in doc:
            self.state_block(doc["state"], doc.value_pos("state"))
        nodes_y = (
            self.mapping(doc["nodes"], doc.value_pos("nodes"), "nodes", path)
            if "nodes" in doc
            else None
        )
        main = _Scope(path)
        if nodes_y is not None:
            self.register_nodes(nodes_y, main)
        includes = (
            self.includes(doc["includes"], doc.value_pos("includes")) if "includes" in doc else []
        )
        triggers = (
            self.triggers(doc["triggers"], doc.value_pos("triggers")) if "triggers" in doc else ()
        )
        start = None
        if "start" in doc:
            start = self.target(doc["start"], doc.value_pos("start"), main)
        nodes: dict[str, Node] = {}
        if nodes_y is not None:
            if not nodes_y:
                self.err(doc.value_pos("nodes"), "JY012", "nodes needs at least one node")
            for nid, body in nodes_y.items():
                if nid in main.local_nodes:
                    node = self.node(nid, body, nodes_y.key_pos(nid), main)
                    if node is not None:
                        nodes[nid] = node
        for _inc, frag_nodes, scope in includes:
            for nid, body in frag_nodes.items():
                if nid in scope.local_nodes:
                    node = self.node(nid, body, frag_nodes.key_pos(nid), scope)
                    if node is not None:
                        nodes[scope.prefix + nid] = node
        if self.diags:
            raise JourneyError(sorted(set(self.diags), key=_order))
        assert jid is not None and version is not None and title is not None
        assert kind is not None and start is not None
        state = FrozenDict({k: v for k, v in self.state.items() if v is not None})
        journey = Journey(
            id=jid,
            version=version,
            title=title,
            description=description,
            kind=kind,
            channels=channels,
            persona=FrozenDict(persona),
            state=state,
            triggers=tuple(triggers),
            includes=tuple(inc for inc, _, _ in includes),
            start=start,
            nodes=FrozenDict(nodes),
            path=path,
            warnings=tuple(sorted(set(self.warnings), key=_order)),
        )
        object.__setattr__(journey, "content_hash", content_hash(journey))
        loops = [lp for lp in route_loops(journey) if lp.certain]
        if loops:
            raise JourneyError(
                [
                    _at(journey.nodes[lp.first], journey.path, "JY025", loop_message(lp))
                    for lp in loops
                ]
            )
        return journey

    def standalone_fragment(self, doc: YMap) -> None:
        """Check a fragment file on its own (state variables unchecked)."""
        self.check_state = False
        scope = self.fragment_scope(doc, self.path, "fragment", None)
        if scope is not None:
            frag_nodes = doc["nodes"]
            for nid, body in frag_nodes.items():
                if nid in scope.local_nodes:
                    self.node(nid, body, frag_nodes.key_pos(nid), scope)
        if self.diags:
            raise JourneyError(sorted(set(self.diags), key=_order))

    def persona_filter(self, value: Any, pos: Pos) -> dict[str, tuple[str, ...]]:
        m = self.mapping(value, pos, "persona", self.path)
        if m is None:
            return {}
        out = {}
        for name, allowed in m.items():
            kp = m.key_pos(name)
            if name not in V.PERSONA_VALUES:
                if name in V.PERSONA_FIELDS:
                    self.err(
                        kp,
                        "JY013",
                        f"persona field '{name}' is a number; filters take "
                        f"{allowed_list(V.PERSONA_VALUES)}",
                    )
                else:
                    hint = (
                        did_you_mean(name, V.PERSONA_VALUES)
                        or f"; use {allowed_list(V.PERSONA_VALUES)}"
                    )
                    self.err(kp, "JY013", f"unknown persona field '{name}'{hint}")
                continue
            values = self.enum_list(
                allowed, m.value_pos(name), V.PERSONA_VALUES[name], f"{name} value", self.path
            )
            out[name] = values
        return out

    # ------------------------------------------------------------------ state
    def state_block(self, value: Any, pos: Pos) -> None:
        m = self.mapping(value, pos, "state", self.path)
        if m is None:
            return
        for name, body in m.items():
            kp = m.key_pos(name)
            self.state[name] = None
            if not _ID.match(name) or name in spec.RESERVED_NAMES:
                self.err(
                    kp,
                    "JY017",
                    f"'{name}' cannot be a state variable name"
                    + (
                        " (reserved word)"
                        if name in spec.RESERVED_NAMES
                        else ": use letters, digits and '_'"
                    ),
                )
                continue
            self.state[name] = self.state_var(name, body, kp, m.value_pos(name))

    def state_var(self, name: str, body: Any, kp: Pos, vp: Pos) -> StateVar | None:
        path = self.path
        m = self.mapping(body, vp, f"state variable '{name}'", path)
        if m is None:
            return None
        n_before = len(self.diags)
        self.fields(m, "state_var", f"state variable '{name}'", path)
        if len(self.diags) > n_before:
            return None
        typ = self.enum(m["type"], m.value_pos("type"), spec.STATE_TYPES, "state type", path)
        if typ is None:
            return None
        allowed_extra = {"int": {"min", "max"}, "bool": set(), "enum": {"values"}}[typ]
        for key in ("min", "max", "values"):
            if key in m and key not in allowed_extra:
                self.err(m.key_pos(key), "JY011", f'"{key}" does not apply to a {typ} variable')
                return None
        initial = m.get("initial")
        ip = m.value_pos("initial")
        from_persona = initial == "persona"
        if "default" in m and not from_persona:
            self.err(
                m.key_pos("default"), "JY011", '"default" only applies with "initial: persona"'
            )
            return None
        if from_persona:
            ftype = V.PERSONA_FIELDS.get(name)
            if ftype is None:
                hint = did_you_mean(name, V.PERSONA_FIELDS) or ""
                self.err(
                    ip, "JY013", f"'initial: persona' needs a persona field named '{name}'{hint}"
                )
                return None
            want = {"int": (int, float), "enum": (str,), "bool": ()}[typ]
            if ftype not in want:
                self.err(ip, "JY010", f"persona field '{name}' cannot initialise a {typ} variable")
                return None
            initial = m.get("default")
            ip = m.value_pos("default")
        src = Source(path, kp.line, kp.column)
        if typ == "int":
            lo = self.integer(m["min"], m.value_pos("min"), "min", path) if "min" in m else None
            hi = self.integer(m["max"], m.value_pos("max"), "max", path) if "max" in m else None
            if "min" not in m or "max" not in m:
                self.err(m, "JY012", f"int variable '{name}' needs min and max")
                return None
            if lo is None or hi is None:
                return None
            if lo > hi:
                self.err(m.value_pos("max"), "JY019", f"max ({hi}) is below min ({lo})")
                return None
            if initial is None:
                initial = lo
            else:
                initial = self.integer(initial, ip, "initial", path)
                if initial is None:
                    return None
                if not lo <= initial <= hi:
                    self.err(ip, "JY019", f"initial {initial} is outside {lo}..{hi}")
                    return None
            return StateVar(name, "int", lo, hi, (), initial, from_persona, src)
        if typ == "bool":
            if initial is None:
                initial = False
            elif not isinstance(initial, bool):
                self.err(ip, "JY010", f"initial of bool variable '{name}' must be true or false")
                return None
            return StateVar(name, "bool", None, None, (), initial, from_persona, src)
        if "values" not in m:
            self.err(m, "JY012", f"enum variable '{name}' needs values: [...]")
            return None
        items = self.seq(m["values"], m.value_pos("values"), "values", path)
        if items is None:
            return None
        values: list[str] = []
        for i, v in enumerate(items):
            got = self.ident(v, items.item_pos(i), "enum value", path)
            if got is None:
                return None
            if got in values:
                self.err(items.item_pos(i), "JY016", f"enum value '{got}' is listed twice")
                return None
            values.append(got)
        if not values:
            self.err(
                m.value_pos("values"), "JY012", f"enum variable '{name}' needs at least one value"
            )
            return None
        if initial is None:
            initial = values[0]
        elif initial not in values:
            hint = did_you_mean(initial, values) or f"; values: {allowed_list(values)}"
            self.err(ip, "JY019", f"initial '{initial}' is not one of the values{hint}")
            return None
        return StateVar(name, "enum", None, None, tuple(values), initial, from_persona, src)

    # ------------------------------------------------------------------ nodes, includes
    def register_nodes(self, nodes: YMap, scope: _Scope) -> None:
        for nid, body in nodes.items():
            kp = nodes.key_pos(nid)
            if not _ID.match(nid):
                self.err(
                    kp,
                    "JY017",
                    f"node id '{nid}' is not valid: use letters, digits and '_' "
                    "(no dots: dots separate an include's namespace)",
                    scope.path,
                )
                continue
            scope.local_nodes.add(nid)
            full = scope.prefix + nid
            self.all_nodes.add(full)
            if isinstance(body, YMap) and isinstance(body.get("choices"), YList):
                for ch in body["choices"]:
                    if isinstance(ch, YMap) and isinstance(ch.get("id"), str):
                        self.choice_plain.add(ch["id"])
                        self.choice_qualified.add(f"{full}.{ch['id']}")

    def includes(self, value: Any, pos: Pos) -> list[tuple[Include, YMap, _Scope]]:
        items = self.seq(value, pos, "includes", self.path)
        if items is None:
            return []
        out = []
        aliases: set[str] = set()
        for i, item in enumerate(items):
            m = self.mapping(item, items.item_pos(i), "an include", self.path)
            if m is None:
                continue
            n_before = len(self.diags)
            self.fields(m, "include", "the include", self.path)
            if len(self.diags) > n_before:
                continue
            alias = self.ident(m["as"], m.value_pos("as"), "include alias", self.path)
            use = self.string(m["use"], m.value_pos("use"), "use", self.path)
            exits_m = self.mapping(m["exits"], m.value_pos("exits"), "exits", self.path)
            if alias is None or use is None or exits_m is None:
                continue
            if alias in aliases or alias in self.all_nodes:
                self.err(
                    m.value_pos("as"), "JY016", f"'{alias}' is already a node or include alias"
                )
                continue
            aliases.add(alias)
            self.broken_aliases.add(alias)  # until it loads
            frag_path = self.base / use
            up = m.value_pos("use")
            escape = self.escapes(use, frag_path)
            if escape:
                self.err(up, "JY043", escape)
                continue
            if frag_path.suffix not in (".yaml", ".yml"):
                self.err(up, "JY040", f"include '{use}' must be a .yaml file")
                continue
            if not frag_path.is_file():
                self.err(up, "JY040", f"include '{use}' not found (looked for {frag_path})")
                continue
            try:
                frag = _load_fragment(frag_path)
            except JourneyError as e:
                self.diags.extend(e.diagnostics)
                continue
            fpath = str(frag_path)
            if not isinstance(frag, YMap) or "fragment" not in frag:
                self.err(
                    up, "JY041", f"'{use}' is not a fragment (it needs 'fragment:' at the top)"
                )
                continue
            scope = self.fragment_scope(frag, fpath, alias, exits_m)
            if scope is None:
                continue
            self.broken_aliases.discard(alias)
            mapped: dict[str, str] = {}
            for exit_name in exits_m:
                ep = exits_m.key_pos(exit_name)
                if exit_name not in (scope.exits or {}):
                    hint = did_you_mean(exit_name, scope.exits or {}) or (
                        f"; its exits: {allowed_list(scope.exits or {})}"
                    )
                    self.err(ep, "JY042", f"fragment '{use}' has no exit '{exit_name}'{hint}")
            missing = [x for x in (scope.exits or {}) if x not in exits_m]
            if missing:
                self.err(
                    m.value_pos("exits"),
                    "JY042",
                    f"map every exit of '{use}': missing {', '.join(missing)}",
                )
            out.append((alias, frag, scope, exits_m, use, fpath, mapped))
        # exits refer to journey nodes, which may include other fragments: resolve after all
        result = []
        for alias, frag, scope, exits_m, use, fpath, mapped in out:
            main = _Scope(self.path)
            for exit_name, target in exits_m.items():
                if scope.exits is not None and exit_name in scope.exits:
                    resolved = self.target(target, exits_m.value_pos(exit_name), main)
                    scope.exits[exit_name] = resolved
                    if resolved:
                        mapped[exit_name] = resolved
            inc = Include(use, alias, fpath, FrozenDict(mapped), str(frag.get("fragment")))
            result.append((inc, frag["nodes"], scope))
        return result

    def escapes(self, use: str, frag_path: Path) -> str | None:
        """Why `use` leaves the journey's library root (its folder), or None when it stays in.

        Why: a journey is shared as a folder (a library, an exam pack); an include that reaches
        outside it — `../../secrets.yaml`, `/etc/...`, a symlink out — would read files the
        folder's owner never meant to ship, and would break on any other machine."""
        root = self.base.resolve()
        if Path(use).is_absolute() or use.startswith(("/", "\\")) or ":" in use[:3]:
            return f"include '{use}' is an absolute path; write it relative to the journey's folder"
        try:
            target = frag_path.resolve()
        except (OSError, RuntimeError):
            return f"include '{use}' cannot be resolved (a symlink loop?)"
        if not target.is_relative_to(root):
            how = "through a symlink " if ".." not in Path(use).parts else ""
            return (
                f"include '{use}' leads {how}outside the journey's folder {root}; "
                "keep fragments inside it (e.g. common/...)"
            )
        return None

    def fragment_scope(
        self, frag: YMap, fpath: str, alias: str, exits_m: YMap | None
    ) -> _Scope | None:
        n_before = len(self.diags)
        self.fields(frag, "fragment", "the fragment", fpath)
        if len(self.diags) > n_before:
            return None
        self.ident(frag["fragment"], frag.value_pos("fragment"), "fragment name", fpath)
        exits = self.seq(frag["exits"], frag.value_pos("exits"), "exits", fpath)
        nodes = self.mapping(frag["nodes"], frag.value_pos("nodes"), "nodes", fpath)
        if exits is None or nodes is None:
            return None
        names: dict[str, str | None] = {}
        for i, x in enumerate(exits):
            got = self.ident(x, exits.item_pos(i), "exit name", fpath)
            if got is not None:
                names[got] = None if exits_m is not None else f"exit.{got}"
        scope = _Scope(fpath, f"{alias}.", set(), names, alias)
        self.register_nodes(nodes, scope)
        if "start" in frag:
            start = self.target(frag["start"], frag.value_pos("start"), scope)
            if start:
                self.fragment_starts[alias] = start
        return scope

    def triggers(self, value: Any, pos: Pos) -> tuple[Trigger, ...]:
        items = self.seq(value, pos, "triggers", self.path)
        if items is None:
            return ()
        out: list[Trigger] = []
        seen: set[str] = set()
        for i, item in enumerate(items):
            ipos = items.item_pos(i)
            m = self.mapping(item, ipos, "a trigger", self.path)
            if m is None:
                continue
            n_before = len(self.diags)
            self.fields(m, "trigger", "the trigger", self.path)
            if len(self.diags) > n_before:
                continue
            tid = (
                self.ident(m["id"], m.value_pos("id"), "trigger id", self.path)
                if "id" in m
                else f"trigger{i + 1}"
            )
            if tid is None:
                continue
            if tid in seen:
                self.err(m.value_pos("id"), "JY016", f"trigger id '{tid}' is used twice")
                continue
            seen.add(tid)
            when = self.mapping(m["when"], m.value_pos("when"), "when", self.path)
            if when is None:
                continue
            n_before = len(self.diags)
            self.fields(when, "trigger_when", "when", self.path)
            if len(self.diags) > n_before:
                continue
            words = self.seq(
                when["customer_says_any"],
                when.value_pos("customer_says_any"),
                "customer_says_any",
                self.path,
            )
            if words is None:
                continue
            keywords = []
            for j, w in enumerate(words):
                s = self.string(w, words.item_pos(j), "keyword", self.path)
                if s is not None and s.strip():
                    keywords.append(s.strip().lower())
                elif s is not None:
                    self.err(words.item_pos(j), "JY024", "a keyword cannot be empty")
            if not words:
                self.err(
                    when.value_pos("customer_says_any"),
                    "JY024",
                    "customer_says_any needs at least one keyword",
                )
                continue
            rp = m.value_pos("require_next")
            required = self.enum_list(m["require_next"], rp, V.BEHAVIOURS, "behaviour", self.path)
            if isinstance(m["require_next"], YList) and not m["require_next"]:
                self.err(rp, "JY024", "require_next needs at least one behaviour")
                continue
            within = len(required)
            if "within" in m:
                got = self.integer(m["within"], m.value_pos("within"), "within", self.path)
                if got is not None and got < max(1, len(required)):
                    self.err(
                        m.value_pos("within"),
                        "JY024",
                        f"within ({got}) must be at least the number of required behaviours ({len(required)})",
                    )
                    continue
                within = got if got is not None else within
            risk = "escalation_risk"
            if "risk_if_missed" in m:
                risk = (
                    self.enum(
                        m["risk_if_missed"],
                        m.value_pos("risk_if_missed"),
                        V.RISK_TYPES,
                        "risk type",
                        self.path,
                    )
                    or risk
                )
            alert = (
                self.text(m["alert"], m.value_pos("alert"), "alert", self.path)
                if "alert" in m
                else None
            )
            out.append(
                Trigger(
                    tid,
                    tuple(keywords),
                    required,
                    max(1, within),
                    risk,
                    alert,
                    Source(self.path, ipos.line, ipos.column),
                )
            )
        return tuple(out)

    def node(self, nid: str, body: Any, kp: Pos, scope: _Scope) -> Node | None:
        path = scope.path
        full = scope.prefix + nid
        m = self.mapping(body, kp, f"node '{nid}'", path)
        if m is None:
            return None
        self.fields(m, "node", f"node '{nid}'", path)
        stage = (
            self.enum(m["stage"], m.value_pos("stage"), V.STAGES, "stage", path)
            if "stage" in m
            else None
        )
        say = self.say(m["say"], m.value_pos("say"), full, scope) if "say" in m else ()
        present = [k for k in ("choices", "route", "ending") if k in m]
        if len(present) != 1:
            detail = "it has none" if not present else f"it has {' and '.join(present)}"
            self.err(
                kp,
                "JY018",
                f"node '{nid}' needs exactly one of choices, route, ending; {detail}",
                path,
            )
            return None
        unreachable_ok = False
        if "intentional_unreachable" in m:
            unreachable_ok = bool(
                self.boolean(
                    m["intentional_unreachable"],
                    m.value_pos("intentional_unreachable"),
                    "intentional_unreachable",
                    path,
                )
            )
        src = Source(path, kp.line, kp.column)
        choices: tuple[Choice, ...] = ()
        route: tuple[RouteEntry, ...] = ()
        ending = None
        kind = present[0]
        vp = m.value_pos(kind)
        if kind == "choices":
            choices = self.choices(m["choices"], vp, full, scope)
        elif kind == "route":
            route = self.route(m["route"], vp, scope)
        else:
            ending = self.ending(m["ending"], vp, path)
        return Node(full, stage, say, choices, route, ending, unreachable_ok, scope.alias, src)

    def say(self, value: Any, pos: Pos, full: str, scope: _Scope) -> tuple[Line, ...]:
        path = scope.path
        items = self.seq(value, pos, "say", path)
        if items is None:
            return ()
        out = []
        for i, item in enumerate(items):
            ipos = items.item_pos(i)
            m = self.mapping(item, ipos, "a say line", path)
            if m is None:
                continue
            self.fields(m, "line", "the say line", path)
            lid = f"{full}.{i + 1}"
            if "id" in m:
                got = self.ident(m["id"], m.value_pos("id"), "line id", path, _LINE_ID)
                if got is None:
                    continue
                lid = scope.prefix + got
                if lid in self.line_ids:
                    first = self.line_ids[lid][1]
                    self.err(
                        m.value_pos("id"),
                        "JY016",
                        f"line id '{got}' is already used on line {first.line}",
                        path,
                    )
                    continue
                self.line_ids[lid] = (path, m.value_pos("id"))
            speaker = "customer"
            if "speaker" in m:
                speaker = (
                    self.enum(m["speaker"], m.value_pos("speaker"), V.SPEAKERS, "speaker", path)
                    or speaker
                )
            text = self.text(m["text"], m.value_pos("text"), "text", path) if "text" in m else None
            tags = (
                self.enum_list(m["tags"], m.value_pos("tags"), spec.TONES, "tone tag", path)
                if "tags" in m
                else ()
            )
            if text is not None:
                out.append(Line(lid, speaker, text, tags))
        return tuple(out)

    def choices(self, value: Any, pos: Pos, full: str, scope: _Scope) -> tuple[Choice, ...]:
        path = scope.path
        items = self.seq(value, pos, "choices", path)
        if items is None:
            return ()
        if not items:
            self.err(pos, "JY018", "choices needs at least one choice", path)
        out = []
        ids: set[str] = set()
        for i, item in enumerate(items):
            ipos = items.item_pos(i)
            m = self.mapping(item, ipos, "a choice", path)
            if m is None:
                continue
            self.fields(m, "choice", "the choice", path)
            cid = self.ident(m["id"], m.value_pos("id"), "choice id", path) if "id" in m else None
            if cid is None:
                continue
            if cid in ids:
                self.err(
                    m.value_pos("id"),
                    "JY016",
                    f"choice id '{cid}' is used twice in this node",
                    path,
                )
                continue
            ids.add(cid)
            c = self.choice(m, cid, full, scope, ipos)
            if c is not None:
                out.append(c)
        return tuple(out)

    def choice(self, m: YMap, cid: str, full: str, scope: _Scope, ipos: Pos) -> Choice | None:
        path = scope.path
        g = m.get
        text = self.text(g("text"), m.value_pos("text"), "text", path) if "text" in m else None
        cond = self.expr(g("if"), m.value_pos("if"), scope) if "if" in m else None
        once = self.boolean(g("once"), m.value_pos("once"), "once", path) if "once" in m else None
        sticky = (
            self.boolean(g("sticky"), m.value_pos("sticky"), "sticky", path)
            if "sticky" in m
            else None
        )
        if once is not None and sticky is not None and once == sticky:
            self.err(
                m.value_pos("sticky"),
                "JY019",
                "once and sticky contradict each other; keep one",
                path,
            )
        is_once = bool(once) if once is not None else (sticky is False)
        fallback = (
            bool(self.boolean(g("fallback"), m.value_pos("fallback"), "fallback", path))
            if "fallback" in m
            else False
        )
        behaviours = (
            self.enum_list(
                g("behaviours"), m.value_pos("behaviours"), V.BEHAVIOURS, "behaviour", path
            )
            if "behaviours" in m
            else ()
        )
        effects = self.effects(g("effects"), m.value_pos("effects"), path) if "effects" in m else ()
        time_s = (
            self.duration(g("time"), m.value_pos("time"), "time", path) if "time" in m else None
        )
        risk = (
            self.enum_list(
                g("risk"), m.value_pos("risk"), V.RISK_TYPES, "risk type", path, single=True
            )
            if "risk" in m
            else ()
        )
        score = (
            self.number(g("score"), m.value_pos("score"), "score", path) if "score" in m else None
        )
        feedback = (
            self.text(g("feedback"), m.value_pos("feedback"), "feedback", path)
            if "feedback" in m
            else None
        )
        knowledge: list[str] = []
        if "knowledge" in m:
            items = self.seq(g("knowledge"), m.value_pos("knowledge"), "knowledge", path)
            for j, k in enumerate(items or ()):
                s = self.string(k, items.item_pos(j), "knowledge id", path)  # type: ignore[union-attr]
                if s is not None and s not in knowledge:
                    knowledge.append(s)
        cross = None
        if "cross_sell" in m:
            cm = self.mapping(g("cross_sell"), m.value_pos("cross_sell"), "cross_sell", path)
            if cm is not None:
                self.fields(cm, "cross_sell", "cross_sell", path)
                offer = (
                    self.ident(cm["offer"], cm.value_pos("offer"), "offer id", path)
                    if "offer" in cm
                    else None
                )
                fit = (
                    self.enum(cm["fit"], cm.value_pos("fit"), spec.FITS, "fit", path)
                    if "fit" in cm
                    else "medium"
                )
                if offer and fit:
                    cross = CrossSell(offer, fit)
        goto = self.target(g("goto"), m.value_pos("goto"), scope) if "goto" in m else None
        if text is None:
            return None
        return Choice(
            id=cid,
            qid=f"{full}.{cid}",
            text=text,
            condition=cond,
            once=is_once,
            fallback=fallback,
            behaviours=behaviours,
            effects=effects,
            time_s=spec.DEFAULT_TIME_S if time_s is None else time_s,
            risk=risk,
            score=score or 0.0,
            feedback=feedback,
            knowledge=tuple(knowledge),
            cross_sell=cross,
            goto=goto,
            source=Source(path, ipos.line, ipos.column),
        )

    def effects(self, value: Any, pos: Pos, path: str) -> tuple[Effect, ...]:
        m = self.mapping(value, pos, "effects", path)
        if m is None:
            return ()
        out = []
        for var, v in m.items():
            kp, vp = m.key_pos(var), m.value_pos(var)
            if self.check_state and var not in self.state:
                hint = did_you_mean(var, self.state) or (
                    f"; declared: {allowed_list(self.state)}"
                    if self.state
                    else "; declare it under state:"
                )
                self.err(kp, "JY014", f"unknown state variable '{var}'{hint}", path)
                continue
            sv = self.state.get(var)
            if sv is None:
                continue
            if sv.type == "int":
                if isinstance(v, int) and not isinstance(v, bool):
                    out.append(Effect(var, "add", v))
                elif (
                    isinstance(v, YMap)
                    and list(v) == ["set"]
                    and isinstance(v["set"], int)
                    and not isinstance(v["set"], bool)
                ):
                    n = v["set"]
                    if not sv.min <= n <= sv.max:  # type: ignore[operator]
                        self.err(
                            v.value_pos("set"),
                            "JY019",
                            f"{var} is {sv.min}..{sv.max}; cannot set {n}",
                            path,
                        )
                        continue
                    out.append(Effect(var, "set", n))
                else:
                    self.err(
                        vp,
                        "JY021",
                        f"{var} is an int variable: write a change like -2 or +1, or {{set: 5}}",
                        path,
                    )
            elif sv.type == "bool":
                if isinstance(v, bool):
                    out.append(Effect(var, "set", v))
                else:
                    self.err(vp, "JY021", f"{var} is a bool variable: write true or false", path)
            else:
                if isinstance(v, str) and v in sv.values:
                    out.append(Effect(var, "set", v))
                else:
                    hint = did_you_mean(v, sv.values) if isinstance(v, str) else ""
                    self.err(
                        vp, "JY021", f"{var} must be one of {allowed_list(sv.values)}{hint}", path
                    )
        return tuple(out)

    def route(self, value: Any, pos: Pos, scope: _Scope) -> tuple[RouteEntry, ...]:
        path = scope.path
        items = self.seq(value, pos, "route", path)
        if items is None:
            return ()
        if not items:
            self.err(
                pos, "JY022", "route needs at least one entry; the last one unconditional", path
            )
            return ()
        out: list[RouteEntry] = []
        for i, item in enumerate(items):
            ipos = items.item_pos(i)
            m = self.mapping(item, ipos, "a route entry", path)
            if m is None:
                continue
            self.fields(m, "route_entry", "the route entry", path)
            src = Source(path, ipos.line, ipos.column)
            if i > 0 and out and out[-1].kind != "if":
                self.err(
                    ipos,
                    "JY022",
                    "this entry is never used: the entry before it is unconditional",
                    path,
                )
                break
            if "random" in m:
                if "if" in m or "goto" in m:
                    self.err(
                        ipos, "JY023", "a random entry stands alone: no if or goto beside it", path
                    )
                    continue
                rm = self.mapping(m["random"], m.value_pos("random"), "random", path)
                if rm is None:
                    continue
                if not rm:
                    self.err(
                        m.value_pos("random"),
                        "JY023",
                        "random needs at least one node: weight",
                        path,
                    )
                    continue
                weights = []
                for target, w in rm.items():
                    resolved = self.target(target, rm.key_pos(target), scope)
                    weight = self.number(w, rm.value_pos(target), "weight", path)
                    if weight is not None and weight <= 0:
                        self.err(rm.value_pos(target), "JY023", f"weight {w} must be above 0", path)
                        weight = None
                    if resolved and weight:
                        weights.append((resolved, weight))
                out.append(RouteEntry("random", None, None, tuple(weights), src))
                continue
            if "goto" not in m:
                self.err(ipos, "JY012", "a route entry needs goto (or random)", path)
                continue
            goto = self.target(m["goto"], m.value_pos("goto"), scope)
            if "if" in m:
                cond = self.expr(m["if"], m.value_pos("if"), scope)
                out.append(RouteEntry("if", goto, cond, (), src))
            else:
                out.append(RouteEntry("goto", goto, None, (), src))
        else:
            if out and out[-1].kind == "if":
                last = items.item_pos(len(items) - 1)
                self.err(
                    last,
                    "JY022",
                    "the last route entry must be unconditional: add "
                    "'- goto: <node>' (or a random entry) at the end",
                    path,
                )
        return tuple(out)

    def ending(self, value: Any, pos: Pos, path: str) -> Ending | None:
        m = self.mapping(value, pos, "ending", path)
        if m is None:
            return None
        self.fields(m, "ending", "the ending", path)
        outcome = (
            self.enum(m["outcome"], m.value_pos("outcome"), V.OUTCOMES, "outcome", path)
            if "outcome" in m
            else None
        )
        score = (
            self.number(m["score"], m.value_pos("score"), "score", path) if "score" in m else 0.0
        )
        if outcome is None:
            return None
        return Ending(outcome, score or 0.0)


_FRAGMENTS: dict[Path, tuple[tuple[int, int], Any]] = {}


def _load_fragment(path: Path) -> Any:
    """Parse a fragment file, reusing the parse while the file is unchanged: the same shared
    fragments are included by most journeys of a library.  The parsed values are never mutated."""
    key = path.resolve()
    st = key.stat()
    stamp = (st.st_mtime_ns, st.st_size)
    hit = _FRAGMENTS.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    doc = load_file(path)
    _FRAGMENTS[key] = (stamp, doc)
    return doc


def _at(node: Node, path: str, code: str, message: str) -> Diagnostic:
    src = node.source
    return make(
        src.path if src else path, src.line if src else 1, src.column if src else 1, code, message
    )


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return f'the text "{value[:40]}"'
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _order(d: Diagnostic) -> tuple[str, int, int, str, str]:
    return (d.path, d.line, d.column, d.code, d.message)
