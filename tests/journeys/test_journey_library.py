"""The shipped library accessors and the knowledge-base loader."""

from __future__ import annotations

import textwrap

import pytest
from journey_testutil import FIXTURES

from journeys import Journey, JourneyError
from journeys.knowledge import load_knowledge_base
from journeys.library import library_dir, load_all_shipped, load_shipped, shipped_journey_paths


def test_shipped_paths_are_journeys_only():
    paths = shipped_journey_paths()
    assert paths == sorted(paths)
    for p in paths:
        assert p.parent == library_dir() and p.suffix == ".yaml"
        assert "fragment:" not in p.read_text(encoding="utf-8").split("\n", 5)[0]


def test_shipped_journeys_load_and_lookup():
    everything = load_all_shipped()
    assert list(everything) == sorted(everything)
    for jid, journey in everything.items():
        assert isinstance(journey, Journey) and journey.id == jid
        assert load_shipped(jid) is journey  # cached while files are unchanged
    with pytest.raises(KeyError, match="no shipped journey"):
        load_shipped("no_such_journey")


def test_shipped_journeys_pass_the_json_schema():
    jsonschema = pytest.importorskip("jsonschema")
    import json

    from journeys.schema import journey_schema
    from journeys.strict_yaml import load_file

    validator = jsonschema.Draft202012Validator(journey_schema())
    files = [*shipped_journey_paths(), *sorted((library_dir() / "common").glob("*.yaml"))]
    for path in files:
        doc = json.loads(json.dumps(load_file(path)))
        assert [e.message for e in validator.iter_errors(doc)] == [], path


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_knowledge_loader(tmp_path):
    write(
        tmp_path,
        "a.yaml",
        """\
        knowledge:
          - id: kb.a
            kind: lesson
            title: {zh-CN: 甲, en: A}
            body: {zh-CN: 内容, en: Body}
            tags: [x]
          - id: kb.b
            kind: faq
            title: B
            body: {zh-CN: 乙}
        """,
    )
    kb = load_knowledge_base([tmp_path])
    assert list(kb) == ["kb.a", "kb.b"]
    assert kb["kb.a"].title["en"] == "A" and kb["kb.a"].tags == ("x",)
    assert kb["kb.b"].body["en"] == "乙"  # falls back to the language present
    assert kb["kb.a"].source.line == 2


def test_knowledge_errors(tmp_path):
    write(tmp_path, "a.yaml", "knowledge:\n  - {id: kb.a, kind: lesson, title: t, body: b}\n")
    write(
        tmp_path,
        "b.yaml",
        """\
        knowledge:
          - {id: kb.a, kind: lesson, title: t, body: b}
          - {id: kb.c, kind: lessen, title: t, body: b}
          - {id: kb.d, kind: faq, titel: t, body: b}
        """,
    )
    with pytest.raises(JourneyError) as err:
        load_knowledge_base([tmp_path])
    got = [(d.code, d.path.endswith("b.yaml"), d.line) for d in err.value.diagnostics]
    assert got == [("JY016", True, 2), ("JY013", True, 3), ("JY011", True, 4), ("JY012", True, 4)]
    assert 'did you mean "lesson"' in err.value.diagnostics[1].message


def test_support_kb_fixture_is_valid():
    assert list(load_knowledge_base([FIXTURES / "errors" / "support" / "kb.yaml"])) == ["kb.yes"]


def test_library_cache_notices_edits_to_journey_and_fragment(tmp_path):
    import os
    import shutil

    from journeys.library import _load

    shutil.copy(FIXTURES / "demo.yaml", tmp_path / "demo.yaml")
    shutil.copytree(FIXTURES / "common", tmp_path / "common")
    path = tmp_path / "demo.yaml"
    first = _load(path)
    assert _load(path) is first
    frag = tmp_path / "common" / "verify.yaml"
    frag.write_text(frag.read_text(encoding="utf-8").replace("Skip it.", "Skip."), encoding="utf-8")
    os.utime(frag, ns=(1, 10**18))
    second = _load(path)
    assert second is not first and second.content_hash != first.content_hash
    path.write_text(
        path.read_text(encoding="utf-8").replace("version: 1", "version: 2"), encoding="utf-8"
    )
    os.utime(path, ns=(1, 10**18 + 1))
    assert _load(path).version == 2
