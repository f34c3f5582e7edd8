"""The validated, immutable journey model produced by `journeys.loader`.

Why immutable: one `Journey` is shared by thousands of concurrent `JourneyRun`s in the engine,
and its content hash must describe it for its whole life.  Everything here is picklable (the
compiled expression closures are rebuilt lazily after unpickling), so batch experiments can send
journeys to worker processes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from journeys.vocabulary import LANGUAGES


class FrozenDict(dict):
    """A read-only dict (JSON-friendly, picklable, hashable by content)."""

    def _readonly(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("journey data is read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]
    __ior__ = _readonly  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))


class Text(Mapping[str, str]):
    """Translated text `{zh-CN: ..., en: ...}`.  `text[lang]` falls back to another language
    when one is missing, so a screen never shows nothing; `.missing` lists the gaps."""

    __slots__ = ("_d", "plain")

    def __init__(self, values: Mapping[str, str], plain: bool = False):
        self._d = {lang: values[lang] for lang in LANGUAGES if lang in values}
        self.plain = plain  # written as one plain string used for every language

    def __getitem__(self, lang: str) -> str:
        if lang in self._d:
            return self._d[lang]
        if lang not in LANGUAGES:
            raise KeyError(lang)
        return next(iter(self._d.values()), "")

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __repr__(self) -> str:
        return f"Text({self._d!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._d.items())))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Text, (dict(self._d), self.plain))

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(lang for lang in LANGUAGES if lang not in self._d or self.plain)

    def to_json(self) -> dict[str, str]:
        return {lang: self[lang] for lang in LANGUAGES}


@dataclass(frozen=True)
class Source:
    """Where something was written (for lint, graphs and explorer reports)."""

    path: str
    line: int
    column: int

    def render(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class StateVar:
    name: str
    type: str  # int | bool | enum
    min: int | None = None
    max: int | None = None
    values: tuple[str, ...] = ()
    initial: int | bool | str | None = None
    from_persona: bool = False
    source: Source | None = field(default=None, compare=False)

    def coerce(self, value: object) -> int | bool | str:
        """Clamp an int, check an enum or bool value; raise ValueError when impossible."""
        if self.type == "int":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                try:
                    # numpy scalars and friends; float() rejects the rest (caught below)
                    value = float(cast(Any, value))
                except (TypeError, ValueError):
                    raise ValueError(f"{self.name} is an int variable, got {value!r}") from None
            if value != value:  # NaN
                raise ValueError(f"{self.name}: NaN is not a value")
            assert self.min is not None and self.max is not None
            if value in (float("inf"), float("-inf")):
                return self.max if value > 0 else self.min
            return max(self.min, min(self.max, round(value)))
        if self.type == "bool":
            if isinstance(value, bool):
                return value
            if type(value).__name__ == "bool_":
                return bool(value)
            raise ValueError(f"{self.name} is a bool variable, got {value!r}")
        if isinstance(value, str) and value in self.values:
            return value
        raise ValueError(f"{self.name} must be one of {', '.join(self.values)}, got {value!r}")


@dataclass(frozen=True)
class Line:
    """A line said in a node: `text` is a `Text`, `tags` are tone cues."""

    id: str
    speaker: str
    text: Text
    tags: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "speaker": self.speaker,
            "text": self.text.to_json(),
            "tags": list(self.tags),
        }


@dataclass(frozen=True)
class CrossSell:
    offer: str
    fit: str = "medium"

    def to_json(self) -> dict[str, str]:
        return {"offer": self.offer, "fit": self.fit}


@dataclass(frozen=True)
class Effect:
    var: str
    op: str  # "add" (int delta) | "set"
    value: int | bool | str


@dataclass(frozen=True)
class Choice:
    id: str
    qid: str  # node-qualified id: "<node>.<choice>"
    text: Text
    condition: Any = None  # journeys.expressions.Expr | None
    once: bool = False
    fallback: bool = False
    behaviours: tuple[str, ...] = ()
    effects: tuple[Effect, ...] = ()
    time_s: float = 15.0
    risk: tuple[str, ...] = ()
    score: float = 0.0
    feedback: Text | None = None
    knowledge: tuple[str, ...] = ()
    cross_sell: CrossSell | None = None
    goto: str | None = None
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RouteEntry:
    """kind "if" (condition + goto), "goto" (unconditional) or "random" (weights)."""

    kind: str
    goto: str | None = None
    condition: Any = None
    weights: tuple[tuple[str, float], ...] = ()
    source: Source | None = field(default=None, compare=False)

    def targets(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.weights) if self.kind == "random" else (self.goto or "",)


@dataclass(frozen=True)
class Ending:
    outcome: str
    score: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "score": self.score}


@dataclass(frozen=True)
class Node:
    id: str
    stage: str | None = None
    say: tuple[Line, ...] = ()
    choices: tuple[Choice, ...] = ()
    route: tuple[RouteEntry, ...] = ()
    ending: Ending | None = None
    intentional_unreachable: bool = False
    fragment: str | None = None  # the include alias for fragment nodes
    source: Source | None = field(default=None, compare=False)

    @property
    def kind(self) -> str:
        return "ending" if self.ending else ("route" if self.route else "choices")

    def successors(self) -> tuple[str, ...]:
        """Node ids this node can lead to (a choice without goto stays here)."""
        out: list[str] = []
        for choice in self.choices:
            out.append(choice.goto or self.id)
        for entry in self.route:
            out.extend(entry.targets())
        return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class Trigger:
    id: str
    keywords: tuple[str, ...]
    require_next: tuple[str, ...]
    within: int
    risk_if_missed: str = "escalation_risk"
    alert: Text | None = None
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Include:
    use: str
    alias: str
    path: str
    exits: FrozenDict
    fragment: str


@dataclass(frozen=True)
class Journey:
    """A validated journey.  `nodes` maps node id -> Node (fragment nodes as `<alias>.<id>`)."""

    id: str
    version: int
    title: Text
    description: Text | None
    kind: str
    channels: tuple[str, ...]
    persona: FrozenDict  # field -> tuple of allowed values
    state: FrozenDict  # name -> StateVar
    triggers: tuple[Trigger, ...]
    includes: tuple[Include, ...]
    start: str
    nodes: FrozenDict  # id -> Node
    path: str = field(default="<string>", compare=False)
    content_hash: str = ""
    #: Load-time warnings kept for lint (missing translations), as Diagnostics.
    warnings: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    def __eq__(self, other: object) -> bool:
        """Two journeys are equal when their content is (see `journeys.hashing`)."""
        return isinstance(other, Journey) and other.content_hash == self.content_hash

    def __hash__(self) -> int:
        return hash(self.content_hash)

    def accepts_persona(self, persona: Mapping[str, object]) -> bool:
        """True when the persona passes this journey's `persona:` filter."""
        return all(persona.get(name) in allowed for name, allowed in self.persona.items())

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]

    def endings(self) -> dict[str, Node]:
        return {nid: n for nid, n in self.nodes.items() if n.ending}

    def choice(self, qid: str) -> Choice:
        """A choice by its node-qualified id `<node>.<choice>`."""
        node_id, _, choice_id = qid.rpartition(".")
        for choice in self.nodes[node_id].choices:
            if choice.id == choice_id:
                return choice
        raise KeyError(qid)

    def knowledge_ids(self) -> tuple[str, ...]:
        ids = {k for n in self.nodes.values() for c in n.choices for k in c.knowledge}
        return tuple(sorted(ids))
