"""The journey file format as data: every object, its fields, which are required, their types.

Why: the validator (allowed / required fields, vocabulary values) and `shapan journey schema`
(the JSON Schema editors use for autocompletion) both read this table, so they cannot drift.
Type descriptors are small tuples: ("id",), ("jid",) journey id, ("ref",) node reference,
("str",), ("int",), ("number",), ("bool",),
("text",) i18n, ("duration",), ("expr",), ("enum", values), ("list", item), ("map", value),
("obj", name), ("oneof", (desc, ...)), ("const", value).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from journeys import durations
from journeys import vocabulary as V

ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
JOURNEY_ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]*$"
LINE_ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]*$"
NODE_REF_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"
DURATION_PATTERN = durations.PATTERN  # the one grammar of every file (journeys.durations)

#: Tone cues on a `say` line (how the line is delivered; the UI shows them, TTS may use them).
TONES: tuple[str, ...] = (
    "angry",
    "anxious",
    "crying",
    "sarcastic",
    "relieved",
    "confused",
    "happy",
    "calm",
    "neutral",
    "frustrated",
    "impatient",
    "polite",
    "grateful",
    "hesitant",
    "suspicious",
    "sad",
    "worried",
    "satisfied",
    "curious",
    "disappointed",
    "threatening",
    "urgent",
)
FITS: tuple[str, ...] = ("high", "medium", "low")
STATE_TYPES: tuple[str, ...] = ("int", "bool", "enum")
KNOWLEDGE_KINDS: tuple[str, ...] = ("lesson", "faq", "compliance", "case")
RESERVED_NAMES: frozenset[str] = frozenset(
    {
        "visited",
        "chosen",
        "persona",
        "true",
        "false",
        "none",
        "null",
        "and",
        "or",
        "not",
        "in",
        "is",
        "exit",
        "True",
        "False",
        "None",
    }
)
DEFAULT_TIME_S = 15.0


@dataclass(frozen=True)
class Field:
    type: tuple[Any, ...]
    required: bool = False
    doc: str = ""


@dataclass(frozen=True)
class Obj:
    doc: str
    fields: dict[str, Field]

    @property
    def allowed(self) -> tuple[str, ...]:
        return tuple(self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(name for name, f in self.fields.items() if f.required)


_BEHAVIOUR = ("enum", tuple(V.BEHAVIOURS))
_RISK = ("enum", tuple(V.RISK_TYPES))

OBJECTS: dict[str, Obj] = {
    "journey": Obj(
        "A customer journey: who calls, what they say, what the agent may do, how it ends.",
        {
            "journey": Field(("jid",), True, "Journey id, unique across the library."),
            "version": Field(
                ("int",), True, "Integer version; bump it when you change the journey."
            ),
            "title": Field(("text",), True, "Title shown to trainees."),
            "description": Field(("text",), False, "What the journey trains."),
            "kind": Field(("enum", V.KINDS), True, "complaint | inquiry | sales."),
            "channels": Field(("list", ("enum", V.CHANNELS)), True, "Channels it arrives on."),
            "persona": Field(("obj", "persona_filter"), False, "Which personas may call with it."),
            "state": Field(("map", ("obj", "state_var")), False, "Typed, bounded state variables."),
            "triggers": Field(("list", ("obj", "trigger")), False, "Keyword rules."),
            "includes": Field(("list", ("obj", "include")), False, "Shared fragments."),
            "start": Field(("ref",), True, "The node the journey starts at."),
            "nodes": Field(("map", ("obj", "node")), True, "The nodes, by id."),
        },
    ),
    "fragment": Obj(
        "Shared nodes included by journeys under a namespace (`includes:`).",
        {
            "fragment": Field(("id",), True, "Fragment name."),
            "description": Field(("text",), False, "What the fragment does."),
            "exits": Field(("list", ("id",)), True, "Exit names; leave with `goto: exit.<name>`."),
            "start": Field(("id",), False, "Entry node: `goto: <alias>` enters here."),
            "nodes": Field(("map", ("obj", "node")), True, "The nodes, by local id."),
        },
    ),
    "persona_filter": Obj(
        "Persona field -> list of allowed values.",
        {name: Field(("list", ("enum", vals))) for name, vals in V.PERSONA_VALUES.items()},
    ),
    "state_var": Obj(
        "A state variable: {type: int, min, max, initial} | {type: bool, initial} | "
        "{type: enum, values, initial}. `initial: persona` reads the persona field of the same name.",
        {
            "type": Field(("enum", STATE_TYPES), True, "int | bool | enum."),
            "min": Field(("int",), False, "int: lowest value (required for int)."),
            "max": Field(("int",), False, "int: highest value (required for int)."),
            "values": Field(
                ("list", ("id",)), False, "enum: the allowed values (required for enum)."
            ),
            "initial": Field(
                ("oneof", (("int",), ("bool",), ("str",), ("const", "persona"))),
                False,
                "Initial value, or `persona`. Default: min / false / first value.",
            ),
            "default": Field(
                ("oneof", (("int",), ("bool",), ("str",))),
                False,
                "With `initial: persona`: the value used when no persona is given.",
            ),
        },
    ),
    "trigger": Obj(
        "A keyword rule: when the customer says a word, the next agent actions must show behaviours.",
        {
            "id": Field(("id",), False, "Trigger id (default trigger1, trigger2, ...)."),
            "when": Field(("obj", "trigger_when"), True, "What arms the trigger."),
            "require_next": Field(("list", _BEHAVIOUR), True, "Behaviours required next."),
            "within": Field(
                ("int",), False, "How many agent actions (default: len(require_next))."
            ),
            "risk_if_missed": Field(
                _RISK, False, "Risk raised when missed (default escalation_risk)."
            ),
            "alert": Field(("text",), False, "Alert shown to the trainee while armed."),
        },
    ),
    "trigger_when": Obj(
        "Trigger condition.",
        {
            "customer_says_any": Field(
                ("list", ("str",)),
                True,
                "Keywords (case-insensitive substrings of customer lines).",
            )
        },
    ),
    "include": Obj(
        "Include a fragment under a namespace.",
        {
            "use": Field(("str",), True, "Fragment path, relative to this file."),
            "as": Field(("id",), True, "Namespace: fragment node `n` becomes `<as>.n`."),
            "exits": Field(("map", ("ref",)), True, "Fragment exit -> node of this journey."),
        },
    ),
    "node": Obj(
        "A node: optional say lines, then exactly one of choices, route, ending.",
        {
            "stage": Field(("enum", V.STAGES), False, "Stage of the contact."),
            "say": Field(("list", ("obj", "line")), False, "Lines said on entering the node."),
            "choices": Field(("list", ("obj", "choice")), False, "What the agent may do."),
            "route": Field(("list", ("obj", "route_entry")), False, "Automatic branch."),
            "ending": Field(("obj", "ending"), False, "The journey ends here."),
            "intentional_unreachable": Field(
                ("bool",), False, "Do not warn that this node is unreachable."
            ),
        },
    ),
    "line": Obj(
        "A line said by the customer, the agent or the system.",
        {
            "id": Field(("str",), False, "Line id, unique in the journey (default <node>.<n>)."),
            "speaker": Field(("enum", V.SPEAKERS), False, "customer (default) | agent | system."),
            "text": Field(("text",), True, "What is said."),
            "tags": Field(("list", ("enum", TONES)), False, "Tone cues."),
        },
    ),
    "choice": Obj(
        "An agent action.",
        {
            "id": Field(("id",), True, "Choice id, unique in its node."),
            "text": Field(("text",), True, "What the agent says or does."),
            "if": Field(("expr",), False, "Offered only when this expression is true."),
            "once": Field(("bool",), False, "Offered only until chosen once (default false)."),
            "sticky": Field(("bool",), False, "Opposite of once (the default)."),
            "fallback": Field(("bool",), False, "Offered only when no other choice is available."),
            "behaviours": Field(("list", _BEHAVIOUR), False, "Standard behaviour tags."),
            "effects": Field(
                ("map", ("oneof", (("int",), ("bool",), ("str",), ("obj", "set_effect")))),
                False,
                "var: delta (int) | value (bool, enum) | {set: n}.",
            ),
            "time": Field(("duration",), False, 'Sim time taken: "20s", "1m30s" or seconds (15s).'),
            "risk": Field(("oneof", (_RISK, ("list", _RISK))), False, "Risk point(s) raised."),
            "score": Field(("number",), False, "Score change (default 0)."),
            "feedback": Field(("text",), False, "Debrief feedback."),
            "knowledge": Field(("list", ("str",)), False, "Knowledge-base ids for the debrief."),
            "cross_sell": Field(("obj", "cross_sell"), False, "A cross-sell offer."),
            "goto": Field(("ref",), False, "Next node (default: stay in this node)."),
        },
    ),
    "set_effect": Obj("Assign an int variable.", {"set": Field(("int",), True, "New value.")}),
    "cross_sell": Obj(
        "A cross-sell offer made by a choice.",
        {
            "offer": Field(("id",), True, "Offer id."),
            "fit": Field(("enum", FITS), False, "How well it fits the need (default medium)."),
        },
    ),
    "route_entry": Obj(
        "{if: EXPR, goto: N} | {goto: N} | {random: {node: weight, ...}}.",
        {
            "if": Field(("expr",), False, "Condition."),
            "goto": Field(("ref",), False, "Target node."),
            "random": Field(("map", ("number",)), False, "Weighted random branch (seeded)."),
        },
    ),
    "ending": Obj(
        "How the journey ends.",
        {
            "outcome": Field(("enum", tuple(V.OUTCOMES)), True, "The outcome."),
            "score": Field(("number",), False, "Score added at this ending."),
        },
    ),
    "knowledge_file": Obj(
        "A knowledge-base file.",
        {"knowledge": Field(("list", ("obj", "knowledge_entry")), True, "Entries.")},
    ),
    "knowledge_entry": Obj(
        "A knowledge-base entry linked from choices.",
        {
            "id": Field(("str",), True, "Knowledge id, e.g. kb.empathy.acknowledge."),
            "kind": Field(("enum", KNOWLEDGE_KINDS), True, "lesson | faq | compliance | case."),
            "title": Field(("text",), True, "Title."),
            "body": Field(("text",), True, "Body."),
            "tags": Field(("list", ("str",)), False, "Free tags."),
        },
    ),
}
