"""Every diagnostic code has a broken file that produces it — alone — at the right place."""

from __future__ import annotations

import re

import pytest
from journey_testutil import FIXTURES, ROOT

from journeys.diagnostics import CODES
from journeys.knowledge import load_knowledge_base
from journeys.lint import lint_journey
from journeys.loader import check_file

ERRORS = FIXTURES / "errors"
_EXPECT = re.compile(rb"# expect: (JY\d{3}) (\d+):(\d+)")


def _fixture(code: str):
    found = sorted(ERRORS.glob(f"{code}_*.yaml"))
    assert found, f"no broken example for {code} in {ERRORS}"
    return found[0]


@pytest.mark.parametrize("code", sorted(CODES))
def test_code_has_broken_file_giving_exactly_that_diagnostic(code):
    path = _fixture(code)
    m = _EXPECT.match(path.read_bytes())
    assert m, f"{path.name} lacks '# expect: JYnnn line:col'"
    assert m.group(1).decode() == code
    journey, diags = check_file(path)
    if journey is not None:
        assert CODES[code][0] == "warning", f"{code} should fail loading"
        diags = lint_journey(journey, load_knowledge_base([ERRORS / "support" / "kb.yaml"]))
    assert len(diags) == 1, "one mistake must give one diagnostic:\n" + "\n".join(
        d.render() for d in diags
    )
    (d,) = diags
    assert (d.code, d.line, d.column) == (code, int(m.group(2)), int(m.group(3)))
    assert d.severity == CODES[code][0]
    assert d.path.endswith(path.name)
    assert d.render().startswith(f"{d.path}:{d.line}:{d.column}: {d.severity} {code}: ")


def test_every_code_is_documented_with_example_and_fix():
    doc = (ROOT / "docs" / "journey-errors.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## (JY\d{3})[^\n]*\n(.*?)(?=^## |\Z)", doc, re.M | re.S))
    assert set(sections) == set(CODES)
    for code, body in sections.items():
        assert "```yaml" in body, f"{code}: no broken example"
        assert "**Fix" in body, f"{code}: no fix"


def test_every_code_has_a_chinese_title():
    from journeys.diagnostics import CODES_ZH

    assert set(CODES_ZH) == set(CODES)
