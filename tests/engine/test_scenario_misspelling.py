"""A misspelled required field is one mistake: it gets one error, not "unknown" plus "missing"."""

from __future__ import annotations

import pytest

from sandbox.scenario import ScenarioError, load_scenario
from tests.engine.conftest import scenario_text


def _codes(path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [(d.code, d.line, d.message) for d in info.value.diagnostics]


def test_misspelled_required_field_gives_one_error(write_scenario) -> None:
    text = scenario_text().replace("duration: 1h", "duraton: 1h")
    diags = _codes(write_scenario(text))
    assert len(diags) == 1
    code, line, message = diags[0]
    assert code == "SC011" and line == 4 and 'did you mean "duration"' in message


def test_a_truly_missing_field_is_still_reported(write_scenario) -> None:
    text = scenario_text().replace("duration: 1h\n", "")
    diags = _codes(write_scenario(text))
    assert [d[0] for d in diags] == ["SC012"] and '"duration"' in diags[0][2]
