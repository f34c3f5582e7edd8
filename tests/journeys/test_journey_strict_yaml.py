"""The strict YAML layer: positions, YAML 1.2 scalars, duplicates, tags, alias bombs."""

from __future__ import annotations

import pytest

from journeys.diagnostics import JourneyError
from journeys.strict_yaml import YList, YMap, load_file, load_text, unknown_fields


def codes(text):
    with pytest.raises(JourneyError) as err:
        load_text(text, "t.yaml")
    return [(d.code, d.line, d.column) for d in err.value.diagnostics]


def test_positions_of_keys_values_and_items():
    doc = load_text("a: 1\nb:\n  - x\n  - {c: d}\n", "t.yaml")
    assert isinstance(doc, YMap) and isinstance(doc["b"], YList)
    assert (doc.key_pos("b").line, doc.key_pos("b").column) == (2, 1)
    assert (doc.value_pos("a").line, doc.value_pos("a").column) == (1, 4)
    item = doc["b"].item_pos(1)
    assert (item.line, item.column) == (4, 5)
    assert doc["b"][1].value_pos("c").column == 9
    assert doc.path == "t.yaml"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("no", "no"),
        ("yes", "yes"),
        ("on", "on"),
        ("Off", "Off"),
        ("010", 10),
        ("0o10", 8),
        ("0x1F", 31),
        ("1:30", "1:30"),
        ("2024-01-01", "2024-01-01"),
        ("+1", 1),
        ("-2", -2),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("true", True),
        ("False", False),
        ("~", None),
        ("null", None),
        ("", None),
        ("'010'", "010"),
        ('"true"', "true"),
        ("!!str 12", "12"),
        ("!!float 2", 2.0),
    ],
)
def test_yaml_12_core_scalars(text, value):
    assert load_text(f"v: {text}\n")["v"] == value
    assert type(load_text(f"v: {text}\n")["v"]) is type(value)


def test_keys_are_text():
    doc = load_text("1: a\ntrue: b\nno: c\n")
    assert list(doc) == ["1", "true", "no"]


def test_duplicate_key_reports_second_with_first_line():
    with pytest.raises(JourneyError) as err:
        load_text("a: 1\nb: 2\na: 3\n", "t.yaml")
    (d,) = err.value.diagnostics
    assert (d.code, d.line, d.column) == ("JY003", 3, 1)
    assert "line 1" in d.message


def test_nested_duplicate_in_flow_mapping():
    assert codes("x: {a: 1, a: 2}\n") == [("JY003", 1, 11)]


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object:os.system x\n",
        "a: !!binary aGVsbG8=\n",
        "a: !custom x\n",
        "a: !!timestamp 2001-12-14\n",
        "base: &b {x: 1}\nc:\n  <<: *b\n",
        "? [a, b]\n: c\n",
        "a: !!int x\n",
    ],
)
def test_unsupported_features(text):
    assert codes(text)[0][0] == "JY004"


def test_alias_bomb_and_recursion_are_caught_quickly():
    levels = "".join(
        f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]\n" for i in range(1, 10)
    )
    assert codes("l0: &l0 [x]\n" + levels)[0][0] == "JY005"
    assert codes("a: &a [*a]\n")[0][0] == "JY005"


def test_small_aliases_work():
    doc = load_text("a: &x [1, 2]\nb: *x\n")
    assert doc["b"] == [1, 2]


def test_syntax_errors_have_positions_and_hints():
    ((code, line, _col),) = codes("a:\n\tb: 1\n")
    assert code == "JY002" and line == 2
    with pytest.raises(JourneyError) as err:
        load_text("t: {en: a: b}\n")
    assert "quotes" in err.value.diagnostics[0].message
    assert load_text("t: {en: Why?}\n") == {"t": {"en": "Why?"}}
    assert codes("a: 1\n---\nb: 2\n")[0][0] == "JY002"


def test_deep_nesting_is_an_error_not_a_crash():
    assert codes("a: " + "[" * 5000 + "]" * 5000 + "\n")[0][0] in ("JY002", "JY004")
    assert codes("a: " + "[" * 100 + "]" * 100 + "\n")[0][0] == "JY004"


def test_load_file_problems(tmp_path):
    with pytest.raises(JourneyError) as err:
        load_file(tmp_path / "missing.yaml")
    assert err.value.diagnostics[0].code == "JY001"
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"a: 1\nb: \xff\n")
    with pytest.raises(JourneyError) as err:
        load_file(bad)
    assert (err.value.diagnostics[0].code, err.value.diagnostics[0].line) == ("JY001", 2)
    with pytest.raises(JourneyError):
        load_file(tmp_path)
    bom = tmp_path / "bom.yaml"
    bom.write_bytes("\ufeffa: 1\n".encode())
    assert load_file(bom) == {"a": 1}
    assert load_text("") is None


def test_unknown_fields_suggests():
    doc = load_text("behavior: 1\nzzz: 2\n", "t.yaml")
    diags = unknown_fields(doc, ["behaviours", "effects"], "the choice")
    assert [d.code for d in diags] == ["JY011", "JY011"]
    assert 'did you mean "behaviours"' in diags[0].message
    assert "allowed: behaviours, effects" in diags[1].message
