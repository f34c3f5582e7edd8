"""One duration grammar: a journey and a scenario accept and refuse the same strings alike.

Why: the two loaders used to carry their own patterns (`1.5h` was a valid scenario duration and
a journey error). Both now use `journeys.durations`; these tests load real files through each
loader's public API and compare what comes out.
"""

from __future__ import annotations

import pytest

from journeys import JourneyError, load_journey_text
from journeys.durations import not_a_duration
from sandbox.scenario import ScenarioError, load_scenario
from tests.engine.conftest import scenario_text

ACCEPTED = [
    ("20s", 20.0),
    ("2m", 120.0),
    ("1m30s", 90.0),
    ("1.5h", 5400.0),
    ("1h30m", 5400.0),
    ("0.5m", 30.0),
    ("2.5s", 2.5),
    (" 45s ", 45.0),
    (90, 90.0),
    (12.5, 12.5),
]
REFUSED = ["soon", "20 seconds", "1h 30m", "30m1h", "1.5", "-5s", "s", "1d", "20S", "1.h"]


def _journey_yaml(time: object) -> str:
    value = repr(time) if isinstance(time, str) else str(time)
    return (
        "journey: durations\nversion: 1\ntitle: {zh-CN: 时长, en: Durations}\n"
        "kind: inquiry\nchannels: [chat]\nstart: a\nnodes:\n  a:\n    choices:\n"
        f"      - {{id: go, text: {{zh-CN: 走, en: Go}}, time: {value}, goto: done}}\n"
        "  done: {ending: {outcome: resolved}}\n"
    )


def _scenario_yaml(mean: object) -> str:
    value = repr(mean) if isinstance(mean, str) else str(mean)
    return scenario_text(service=f"service: {{model: exponential, mean: {value}}}\n")


def _journey_seconds(time: object) -> float:
    journey = load_journey_text(_journey_yaml(time), "j.yaml")
    return journey.nodes["a"].choices[0].time_s


def _scenario_seconds(write_scenario, mean: object) -> float:
    mean_s = load_scenario(write_scenario(_scenario_yaml(mean))).service.mean_s
    assert mean_s is not None
    return mean_s


@pytest.mark.parametrize(("text", "seconds"), ACCEPTED)
def test_both_loaders_accept_the_same_durations(write_scenario, text, seconds) -> None:
    assert _journey_seconds(text) == seconds
    assert _scenario_seconds(write_scenario, text) == seconds


@pytest.mark.parametrize("text", REFUSED)
def test_both_loaders_refuse_with_the_same_words(write_scenario, text) -> None:
    with pytest.raises(JourneyError) as journey_err:
        load_journey_text(_journey_yaml(text), "j.yaml")
    with pytest.raises(ScenarioError) as scenario_err:
        load_scenario(write_scenario(_scenario_yaml(text)))
    (jd,) = journey_err.value.diagnostics
    (sd,) = scenario_err.value.diagnostics
    assert (jd.code, sd.code) == ("JY020", "SC015")
    assert jd.message == not_a_duration("time", text)
    assert sd.message == not_a_duration("mean", text)
    # the same words after the field name, one line, at the value's own line:column
    assert jd.message.split(" ", 1)[1] == sd.message.split(" ", 1)[1]
    for diag, line in ((jd, 10), (sd, 10)):
        rendered = diag.render()
        assert "\n" not in rendered and diag.line == line
        assert rendered.startswith(f"{diag.path}:{diag.line}:{diag.column}: error ")


def test_the_message_shows_how_to_write_one() -> None:
    message = not_a_duration("time", "20 seconds")
    assert message == (
        '"time" is not a duration: write "20s", "1m30s", "1.5h" or a number of seconds; '
        "got '20 seconds'"
    )


def test_a_journey_line_still_has_its_own_range_limit() -> None:
    with pytest.raises(JourneyError) as err:
        load_journey_text(_journey_yaml("25h"), "j.yaml")
    assert [d.code for d in err.value.diagnostics] == ["JY019"]
