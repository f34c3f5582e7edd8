"""The one strict-file checker style for shapan's YAML files beside journeys (scenarios,
exams): field readers that report one diagnostic per mistake, at the value's line and column,
with a stable code, and stop checking that field (`Fail`).

Why shared: every file a user writes must fail the same way — an unknown field with a "did you
mean", a missing field not reported again when it is only misspelled, numbers, durations and ids
checked alike — whatever the file. Each file type names its own codes (`Codes`) and adds the
readers only it needs."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, overload

from journeys.diagnostics import Diagnostic, allowed_list, did_you_mean
from journeys.durations import not_a_duration, parse_duration  # the one grammar
from journeys.strict_yaml import Pos, YList, YMap

T = TypeVar("T")

#: Lower-case ids: `practice`, `cs-cert-zh`, `trainee`.
ID_RE = re.compile(r"^[a-z][a-z0-9_\-]*$")


class Fail(Exception):
    """Internal: stop checking one field after its first error (one mistake, one error)."""


@dataclass(frozen=True)
class Codes:
    """A file type's diagnostic codes for the mistakes every file can make."""

    type: str  # wrong type
    unknown: str  # unknown field
    missing: str  # missing required field
    name: str  # unknown name
    duration: str  # not a duration
    range: str  # number out of range


class FieldChecker:
    """Collects the diagnostics of one file; subclasses walk their document."""

    CODES: Codes
    ID_RE: re.Pattern[str] = ID_RE
    ID_TEXT = 'an id of lowercase letters, digits, "_" or "-"'

    def __init__(self, path: str):
        self.path = path
        self.diags: list[Diagnostic] = []
        self.unknown_keys: dict[int, list[str]] = {}  # per mapping, keys reported as unknown

    def err(self, where: Pos | YMap | YList, code: str, message: str) -> Fail:
        """Record a diagnostic; returns the `Fail` to raise when the field stops here."""
        pos = where.pos if isinstance(where, (YMap, YList)) else where
        self.diags.append(Diagnostic(self.path, pos.line, pos.column, "error", code, message))
        return Fail()

    def unknown(self, m: YMap, allowed: tuple[str, ...], what: str) -> None:
        for key in m:
            if key not in allowed:
                self.unknown_keys.setdefault(id(m), []).append(key)
                hint = did_you_mean(key, allowed) or f"; allowed: {allowed_list(allowed)}"
                self.err(
                    m.key_pos(key), self.CODES.unknown, f'unknown field "{key}" in {what}{hint}'
                )

    def missing(self, parent: YMap, key: str) -> Fail:
        """Report a missing required field, unless it is only misspelled: `duraton:` already
        got "unknown field … did you mean duration" — one mistake, one error."""
        if any(did_you_mean(k, (key,)) for k in self.unknown_keys.get(id(parent), ())):
            return Fail()
        return self.err(parent, self.CODES.missing, f'missing required field "{key}"')

    def guard(self, fn: Callable[..., T], *args: Any, default: Any = None, **kwargs: Any) -> Any:
        """`fn(*args, **kwargs)`, or `default` when it failed (its error is recorded)."""
        try:
            return fn(*args, **kwargs)
        except Fail:
            return default

    @overload
    def mapping(self, parent: YMap, key: str, *, required: Literal[True]) -> YMap: ...
    @overload
    def mapping(self, parent: YMap, key: str, *, required: bool = False) -> YMap | None: ...
    def mapping(self, parent: YMap, key: str, *, required: bool = False) -> YMap | None:
        if key not in parent:
            if required:
                raise self.missing(parent, key)
            return None
        value = parent[key]
        if not isinstance(value, YMap):
            raise self.err(parent.value_pos(key), self.CODES.type, f'"{key}" must be a mapping')
        return value

    def number(self, parent: YMap, key: str, default: float | None, lo: float, hi: float,
               *, integer: bool = False) -> float:  # fmt: skip
        if key not in parent:
            if default is None:
                raise self.missing(parent, key)
            return default
        value = parent[key]
        kind = "a whole number" if integer else "a number"
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (integer and not isinstance(value, int))
        ):
            raise self.err(
                parent.value_pos(key), self.CODES.type, f'"{key}" must be {kind}, got {value!r}'
            )
        if not (math.isfinite(value) and lo <= value <= hi):
            raise self.err(
                parent.value_pos(key),
                self.CODES.range,
                f'"{key}" is {value}; it must be between {lo:g} and {hi:g}',
            )
        return value

    def duration(self, parent: YMap, key: str, default: float | None,
                 lo: float = 0.0, hi: float = math.inf) -> float:  # fmt: skip
        if key not in parent:
            if default is None:
                raise self.missing(parent, key)
            return default
        seconds = parse_duration(parent[key])
        if seconds is None:
            raise self.err(
                parent.value_pos(key), self.CODES.duration, not_a_duration(key, parent[key])
            )
        if not (lo <= seconds <= hi):
            raise self.err(
                parent.value_pos(key), self.CODES.range,
                f'"{key}" is {seconds:g} s; it must be between {lo:g} s and {hi:g} s',
            )  # fmt: skip
        return seconds

    def ident(self, parent: YMap, key: str, regex: re.Pattern[str] | None = None) -> str:
        if key not in parent:
            raise self.missing(parent, key)
        value = parent[key]
        if not isinstance(value, str) or not (regex or self.ID_RE).match(value):
            raise self.err(
                parent.value_pos(key), self.CODES.type,
                f'"{key}" must be {self.ID_TEXT}; got {value!r}',
            )  # fmt: skip
        return value


def document_hash(doc: YMap) -> str:
    """sha256 of the canonical JSON of a parsed document: formatting and comments do not
    count, any value does (what results and saves record of a scenario or an exam)."""
    blob = json.dumps(_plain(doc), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
