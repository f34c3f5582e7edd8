"""Scenario loading: the shipped scenarios are valid; every mistake names file:line:column."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.scenario import ScenarioError, load_scenario, parse_duration, shipped_scenarios
from tests.engine.conftest import scenario_text


def test_shipped_scenarios_load() -> None:
    names = shipped_scenarios()
    assert {"practice", "full-day", "erlang"} <= set(names)
    practice = load_scenario("practice")
    assert practice.duration_s == 1800 and len(practice.seats) == 1 and practice.agents
    full = load_scenario("full-day")
    assert sum(g.count for g in full.agents) >= 200 and full.duration_s == 8 * 3600
    erlang = load_scenario("erlang")
    assert erlang.service.model == "exponential" and erlang.channels[0].patience == "exponential"
    assert not erlang.hangups


def test_small_scenario_and_hash_is_stable(write_scenario) -> None:
    a = load_scenario(write_scenario(scenario_text()))
    b = load_scenario(write_scenario("# a comment\n" + scenario_text(), "other.yaml"))
    assert a.content_hash == b.content_hash  # comments/formatting do not count
    c = load_scenario(
        write_scenario(scenario_text(targets="targets: {service_level: 0.9}\n"), "c.yaml")
    )
    assert c.content_hash != a.content_hash


def _error(write_scenario, text: str):
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_scenario(text))
    return info.value.diagnostics


@pytest.mark.parametrize(
    ("blocks", "code", "line", "column", "words"),
    [
        ({"targets": "targts: {service_level: 0.8}\n"}, "SC011", 16, 1, 'did you mean "targets"'),
        ({"service": "service: {model: exponential, mean: soon}\n"}, "SC015", 10, 37, "duration"),
        ({"journeys": "journeys:\n  nope_journey: 1\n"}, "SC014", 12, 3, "unknown journey"),
        (
            {"agents": "agents:\n  - {id: bot, count: 2, policy: expret, channels: [phone]}\n"},
            "SC013",
            15,
            33,
            'did you mean "expert"',
        ),
        (
            {"agents": "agents:\n  - {id: bot, count: 0, policy: expert}\n"},
            "SC016",
            15,
            22,
            "between",
        ),
        ({"agents": "agents:\n  - {id: bot, count: 2}\n"}, "SC012", 15, 5, "policy"),
        (
            {"agents": "agents:\n  - {id: bot, policy: expert, channels: [chat]}\n"},
            "SC020",
            15,
            41,
            "does not define",
        ),
        (
            {"head": "scenario: tiny\nversion: 1\ntitle: x\nduration: 1h\nduration: 2h\n"},
            "SC003",
            5,
            1,
            "duplicate",
        ),
        (
            {"channels": "channels:\n  fax: {arrivals_per_hour: 5}\n"},
            "SC013",
            7,
            3,
            "unknown channel",
        ),
    ],
)
def test_errors_have_code_and_position(write_scenario, blocks, code, line, column, words) -> None:
    diags = _error(write_scenario, scenario_text(**blocks))
    first = diags[0]
    assert (first.code, first.line, first.column) == (code, line, column), first.render()
    assert words in first.message
    assert first.render().startswith(f"{first.path}:{line}:{column}: error {code}: ")


def test_one_mistake_one_error(write_scenario) -> None:
    diags = _error(write_scenario, scenario_text(targets="targets: {asa: 20}\n"))
    assert len(diags) == 1 and diags[0].code == "SC013"


def test_unknown_scenario_name_suggests() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("practise")
    assert info.value.diagnostics[0].code == "SC021"
    assert 'did you mean "practice"' in info.value.render()


def test_yaml_coercions_are_not_applied(write_scenario) -> None:
    # "no" stays text, so a boolean field rejects it instead of reading False
    diags = _error(write_scenario, scenario_text(targets="hangups: no\n"))
    assert diags[0].code == "SC010"


def test_overrides_scale_agents_and_hours() -> None:
    full = load_scenario("full-day")
    scaled = full.with_overrides(agents=100, hours=2)
    assert sum(g.count for g in scaled.agents) == 100
    assert scaled.duration_s == 7200 and scaled.day_s == full.day_s
    assert scaled.effective_hash() != full.effective_hash()
    assert full.with_overrides().effective_hash() == full.content_hash


def test_parse_duration() -> None:
    assert parse_duration("1h30m") == 5400
    assert parse_duration("45s") == 45
    assert parse_duration(90) == 90
    assert parse_duration("soon") is None and parse_duration(True) is None


_VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "no",
            "-1",
            "0",
            "1e309",
            "[]",
            "{}",
            "[phone]",
            "{a: 1}",
            "~",
            "x",
            "30m",
            "soon",
            "[1, two]",
            "{mean: []}",
            "9:99",
            "true",
            "!!binary aGk=",
        ]
    ),
    st.text(alphabet="abc:{}[],- 019", max_size=12),
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(line=st.integers(min_value=0, max_value=15), value=_VALUES)
def test_mangled_scenarios_never_raise_anything_else(write_scenario, line: int, value: str) -> None:
    """Replace one line's value with junk: the loader either accepts it or reports SC errors."""
    lines = scenario_text().splitlines()
    key, sep, _ = lines[line].partition(":")
    lines[line] = f"{key}{sep} {value}" if sep else value
    path = write_scenario("\n".join(lines) + "\n")
    try:
        load_scenario(path)
    except ScenarioError as err:
        assert err.diagnostics and all(d.code.startswith("SC") for d in err.diagnostics)
