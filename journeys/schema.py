"""JSON Schema for journey, fragment and knowledge files, generated from `journeys.spec`.

Why generated: editors (VS Code's YAML extension, JetBrains) use it for completion and
red squiggles, and it must accept exactly the fields the validator accepts.  The schema covers
shape and vocabulary; cross-references (goto targets, state names in conditions) are checked by
`shapan journey validate`.
"""

from __future__ import annotations

from typing import Any

from journeys import spec
from journeys.vocabulary import LANGUAGES, VOCABULARY_VERSION

SCHEMA_ID = "https://shapan.dev/schemas/journey.schema.json"


def journey_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) for any shapan journey-language file."""
    defs = {name: _object(obj) for name, obj in spec.OBJECTS.items()}
    defs["node"]["oneOf"] = [
        {"required": ["choices"]},
        {"required": ["route"]},
        {"required": ["ending"]},
    ]
    defs["text"] = {
        "description": "Text: one string, or {zh-CN: ..., en: ...}.",
        "oneOf": [
            {"type": ["string", "number"]},
            {
                "type": "object",
                "properties": {lang: {"type": ["string", "number"]} for lang in LANGUAGES},
                "additionalProperties": False,
                "minProperties": 1,
            },
        ],
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "shapan journey file",
        "description": f"Journey, fragment or knowledge file (vocabulary v{VOCABULARY_VERSION}).",
        "anyOf": [
            {"$ref": "#/$defs/journey"},
            {"$ref": "#/$defs/fragment"},
            {"$ref": "#/$defs/knowledge_file"},
        ],
        "$defs": defs,
    }


def _object(obj: spec.Obj) -> dict[str, Any]:
    props = {}
    for name, f in obj.fields.items():
        schema = _type(f.type)
        if f.doc:
            schema = {**schema, "description": f.doc}
        props[name] = schema
    out: dict[str, Any] = {
        "type": "object",
        "description": obj.doc,
        "properties": props,
        "additionalProperties": False,
    }
    if obj.required:
        out["required"] = list(obj.required)
    return out


def _type(t: tuple[Any, ...]) -> dict[str, Any]:
    kind = t[0]
    if kind == "id":
        return {"type": "string", "pattern": spec.ID_PATTERN}
    if kind == "jid":
        return {"type": "string", "pattern": spec.JOURNEY_ID_PATTERN}
    if kind == "ref":
        return {"type": "string", "pattern": spec.NODE_REF_PATTERN}
    if kind == "str":  # a plain number is read as the text typed (`text: 2024`)
        return {"type": ["string", "number"]}
    if kind == "int":
        return {"type": "integer"}
    if kind == "number":
        return {"type": "number"}
    if kind == "bool":
        return {"type": "boolean"}
    if kind == "text":
        return {"$ref": "#/$defs/text"}
    if kind == "duration":
        return {
            "oneOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": spec.DURATION_PATTERN, "minLength": 2},
            ]
        }
    if kind == "expr":
        return {"type": ["string", "boolean", "number"]}
    if kind == "enum":
        return {"enum": list(t[1])}
    if kind == "const":
        return {"const": t[1]}
    if kind == "list":
        return {"type": "array", "items": _type(t[1])}
    if kind == "map":
        return {"type": "object", "additionalProperties": _type(t[1])}
    if kind == "obj":
        return {"$ref": f"#/$defs/{t[1]}"}
    if kind == "oneof":
        return {"anyOf": [_type(x) for x in t[1]]}
    raise ValueError(f"unknown spec type {kind!r}")
