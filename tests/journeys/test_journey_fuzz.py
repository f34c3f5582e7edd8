"""Hypothesis: whatever YAML a designer writes, the loader answers with a Journey or a
JourneyError — never another exception — and a loaded journey plays without crashing."""

from __future__ import annotations

import json
import os
import random

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from journey_testutil import FIXTURES

from journeys import JourneyError, JourneyRun, JourneyRunError, load_journey_text
from journeys import vocabulary as V
from journeys.schema import journey_schema
from journeys.spec import OBJECTS
from journeys.strict_yaml import load_text

try:
    import jsonschema

    VALIDATOR = jsonschema.Draft202012Validator(journey_schema())
except ImportError:  # the schema agreement check needs the optional jsonschema package

    class _Accept:
        def iter_errors(self, doc):
            return []

    VALIDATOR = _Accept()

DEMO = (FIXTURES / "demo.yaml").read_text(encoding="utf-8")
FIELDS = sorted({f for o in OBJECTS.values() for f in o.fields})
WORDS = (
    FIELDS
    + list(V.BEHAVIOURS)
    + list(V.OUTCOMES)
    + list(V.STAGES)
    + [
        "a",
        "b",
        "done",
        "exit.done",
        "anger",
        "persona",
        "int",
        "bool",
        "enum",
        "zh-CN",
        "en",
        "anger > 3",
        "visited('a')",
        "__import__('os')",
        "20s",
        "1m",
        "-2",
        "+1",
    ]
)
#: JOURNEY_FUZZ_EXAMPLES=3000 for a long local run; the suite default stays fast.
SETTINGS = settings(
    max_examples=int(os.environ.get("JOURNEY_FUZZ_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

scalars = st.one_of(
    st.sampled_from(WORDS),
    st.integers(-20, 20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=8),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(WORDS), inner, max_size=5),
    ),
    max_leaves=30,
)


def check(text: str) -> None:
    try:
        journey = load_journey_text(text, "fuzz.yaml", base_dir=FIXTURES)
    except JourneyError as err:
        assert err.diagnostics
        for d in err.diagnostics:
            assert d.line >= 1 and d.column >= 1 and d.code.startswith("JY")
        return
    # what the validator accepts, the editor schema (same field table) accepts too
    raw = json.loads(json.dumps(load_text(text, "fuzz.yaml")))
    assert list(VALIDATOR.iter_errors(raw)) == []
    rng = random.Random(0)
    run = JourneyRun(journey, 1, {"anger": 5, "segment": "vip"})
    try:
        run.start()
        for _ in range(30):
            options = run.choices()
            if run.finished or not options:
                break
            run.choose(rng.choice(options).id)
        JourneyRun.from_json(journey, run.to_json())
    except JourneyRunError as err:
        assert "route loop" in str(err)


@SETTINGS
@given(st.text(max_size=200))
def test_any_text(text):
    check(text)


@SETTINGS
@given(st.dictionaries(st.sampled_from(FIELDS), values, max_size=8))
def test_structured_documents(doc):
    check(yaml.safe_dump(doc, allow_unicode=True))


@SETTINGS
@given(st.data())
def test_mutated_demo(data):
    lines = DEMO.splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["delete", "dup", "replace", "char"]))
        if action == "delete":
            del lines[i]
        elif action == "dup":
            lines.insert(i, lines[i])
        elif action == "replace":
            word = data.draw(st.sampled_from(WORDS))
            head, _, _ = lines[i].partition(":")
            lines[i] = f"{head}: {word}"
        else:
            j = data.draw(st.integers(0, max(0, len(lines[i]) - 1)))
            ch = data.draw(st.sampled_from(list("{}[]:,'\"-#&*!|> \t?")))
            lines[i] = lines[i][:j] + ch + lines[i][j + 1 :]
        if not lines:
            break
    check("\n".join(lines) + "\n")
