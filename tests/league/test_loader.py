"""Competition files are checked strictly: every LG code at the right line and column (one
broken fixture each, documented in docs/competition-errors.md), one error per mistake, no
traceback for any bad input; the shipped competitions validate; a round's persona and journey
overrides load as the scenario loader reads them."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from journeys.strict_yaml import load_file
from sandbox.cli import main
from sandbox.league.errors import LG_CODES, CompetitionError, render
from sandbox.league.loader import (
    COMPETITION_DIR,
    check_competition,
    load_competition,
    resolve_competition,
    shipped_competitions,
)
from sandbox.league.model import DEFAULT_RANGES, SCORE_KPIS
from sandbox.scenario import load_scenario

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "competition-errors.md"
_EXPECT = re.compile(rb"# expect (LG\d{3}) at (\d+):(\d+)")
#: A valid competition: the LG022 fixture with the practice scenario (its seat takes sales).
_BASE = (
    (FIXTURES / "LG022_journey_unfit_for_seat.yaml")
    .read_text(encoding="utf-8")
    .replace("scenario: support/service_desk.yaml", "scenario: practice")
)


def _fixtures() -> list[Path]:
    return sorted(FIXTURES.glob("LG*.yaml"))


def _load_text(tmp_path: Path, text: str, n: int = 0) -> list | None:
    """The diagnostics of a competition written as `text` (None: it loads)."""
    path = tmp_path / f"c{n}.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_competition(path)
    except CompetitionError as err:
        return list(err.diagnostics)
    return None


def test_every_code_has_a_fixture_and_a_doc_section() -> None:
    covered = {p.name[:5] for p in _fixtures()}
    assert covered == set(LG_CODES)
    docs = DOCS.read_text(encoding="utf-8")
    for code, (title, zh) in LG_CODES.items():
        assert f"## {code} {title} / {zh}" in docs, code
    documented = set(re.findall(r"^## (LG\d{3}) ", docs, re.M))
    assert documented == set(LG_CODES)


@pytest.mark.parametrize("path", _fixtures(), ids=lambda p: p.stem)
def test_each_fixture_gives_its_one_error_at_its_line_and_column(path: Path) -> None:
    m = _EXPECT.match(path.read_bytes())
    assert m, f"{path.name}: first line must be '# expect LGnnn at LINE:COL: ...'"
    code, line, column = m.group(1).decode(), int(m.group(2)), int(m.group(3))
    assert path.name.startswith(code)
    with pytest.raises(CompetitionError) as info:
        load_competition(path)
    diags = info.value.diagnostics
    assert [(d.code, d.line, d.column) for d in diags] == [(code, line, column)], [
        render(d) for d in diags
    ]
    text = render(diags[0])
    assert text.startswith(f"{path}:{line}:{column}: error {code}: ")
    assert text.endswith(f"[{LG_CODES[code][1]}]")


def test_the_base_of_the_fixtures_is_valid(tmp_path: Path) -> None:
    assert _load_text(tmp_path, _BASE) is None


def test_the_shipped_competitions_validate() -> None:
    assert shipped_competitions() == ["class-en", "class-zh"]
    loaded = {}
    for name in shipped_competitions():
        comp, diags = check_competition(name)
        assert diags == [] and comp is not None, [render(d) for d in diags]
        loaded[comp.lang] = comp
        assert comp.id == name and resolve_competition(name) == COMPETITION_DIR / f"{name}.yaml"
        assert len(comp.rounds) == 3 and comp.freeze_s == 120.0 and comp.tie_breaks
        assert all(480 <= r.duration_s <= 720 for r in comp.rounds)
        assert comp.rounds[0].personas is None and comp.rounds[0].journeys is None
        assert comp.rounds[1].personas and "temperament" in comp.rounds[1].personas
        assert comp.rounds[1].patience_s < comp.rounds[0].patience_s
        new_rule = comp.rounds[2]
        assert new_rule.journeys and dict(new_rule.journeys)["broadband_cross_sell"] > 0
        assert new_rule.briefing and new_rule.briefing["zh-CN"] and new_rule.briefing["en"]
        kpis = {s.kpi for s in comp.scorecard}
        assert {"csat_mean", "fcr", "aht_s", "risk_points", "cross_sell_rate"} <= kpis
        assert any(k.startswith("rubric.") for k in kpis)
        assert set(comp.tie_breaks) <= kpis
        assert comp.title["zh-CN"] and comp.title["en"]
    assert set(loaded) == {"zh-CN", "en"}
    zh, en = loaded["zh-CN"], loaded["en"]
    assert len(zh.teams) == 6 and zh.signup is None
    assert all(re.search(r"[\u4e00-\u9fff]", t.name) for t in zh.teams)
    assert en.teams == () and en.signup is not None


def test_round_overrides_are_what_the_scenario_reader_returns(tmp_path: Path) -> None:
    """A round's `personas:` is read by the scenario loader's own reader: the same text in a
    scenario file gives the same persona mix."""
    comp = load_competition("class-zh")
    hard = comp.rounds[1]
    block = load_file(COMPETITION_DIR / "class-zh.yaml")["rounds"][1]["personas"]
    practice = (ROOT / "sandbox" / "scenarios" / "practice.yaml").read_text(encoding="utf-8")
    lines = [f"  {k}: {{{', '.join(f'{v}: {w}' for v, w in m.items())}}}" for k, m in block.items()]
    text = re.sub(r"personas:\n(  .*\n)+", "personas:\n" + "\n".join(lines) + "\n", practice)
    (tmp_path / "hard.yaml").write_text(text, encoding="utf-8")
    assert hard.personas == dict(load_scenario(tmp_path / "hard.yaml").persona_mix or {})
    assert hard.scenario is comp.rounds[0].scenario  # one scenario load per file
    assert hard.scenario_ref == "practice" and hard.seat == "trainee"
    mix = dict(comp.rounds[2].journeys or ())
    assert set(mix) <= set(hard.scenario.journeys)


def test_defaults(tmp_path: Path) -> None:
    text = (
        _BASE.replace("  - id: r1\n", "  - title: {zh-CN: 第一轮, en: Round 1}\n")
        .replace("    title: {zh-CN: 第一轮, en: Round 1}\n    seed: 1", "    seed: 1", 1)
        .replace("{id: red, ", "{")
        .replace(", seats: 1}", "}")
        .replace("seat: trainee\n", "")
        .replace("freeze: 2m\n", "")
        .replace("tie_breaks: [csat_mean]\n", "")
    )
    path = tmp_path / "defaults.yaml"
    path.write_text(text, encoding="utf-8")
    comp = load_competition(path)
    assert [t.id for t in comp.teams] == ["t1", "blue"] and comp.teams[1].seats == 1
    assert comp.teams[1].name == "<b>Blue</b> & co"  # any text; shown escaped
    r1 = comp.rounds[0]
    assert r1.id == "r1" and r1.seat == "trainee"  # the scenario's only seat
    assert (r1.weight, r1.gap_s, r1.arrivals_per_hour, r1.patience_s) == (1.0, 5.0, 30.0, 120.0)
    assert r1.personas is None and r1.journeys is None and r1.briefing is None
    assert comp.freeze_s == 0.0 and comp.tie_breaks == ()
    lines = {s.kpi: s for s in comp.scorecard}
    assert (lines["csat_mean"].worst, lines["csat_mean"].best) == DEFAULT_RANGES["csat_mean"]
    assert (lines["aht_s"].worst, lines["aht_s"].best) == (900.0, 240.0)
    assert comp.content_hash != load_competition(_write(tmp_path, _BASE)).content_hash


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "base.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_content_hash_ignores_formatting_and_comments(tmp_path: Path) -> None:
    a = load_competition(_write(tmp_path, _BASE)).content_hash
    b = load_competition(_write(tmp_path, "# another comment\n" + _BASE)).content_hash
    c = load_competition(_write(tmp_path, _BASE.replace("seed: 2", "seed: 3"))).content_hash
    assert a == b != c


def test_every_scorecard_kpi_loads_with_its_default_range(tmp_path: Path) -> None:
    lines = "\n".join(f"  - {{kpi: {k}, weight: 1}}" for k in SCORE_KPIS)
    text = re.sub(r"scorecard:\n(  - .*\n)+", f"scorecard:\n{lines}\n", _BASE)
    comp = load_competition(_write(tmp_path, text))
    assert [(s.kpi, (s.worst, s.best)) for s in comp.scorecard] == [
        (k, DEFAULT_RANGES[k]) for k in SCORE_KPIS
    ]


def test_a_round_may_play_another_scenario(tmp_path: Path) -> None:
    (tmp_path / "sc").mkdir()
    shutil.copy(FIXTURES / "support" / "service_desk.yaml", tmp_path / "sc" / "desk.yaml")
    text = _BASE.replace(
        "    seed: 1\n", "    scenario: sc/desk.yaml\n    seed: 1\n", 1
    )  # round r1 in the service-desk scenario, relative to the competition file
    comp = load_competition(_write(tmp_path, text))
    assert comp.rounds[0].scenario.name == "service-desk"
    assert comp.rounds[0].scenario_ref == "sc/desk.yaml"
    assert comp.rounds[1].scenario.name == "practice"
    bad = text.replace("    seed: 2\n", "    scenario: sc/desk.yaml\n    seed: 2\n")
    diags = _load_text(tmp_path, bad)
    assert diags and [d.code for d in diags] == ["LG022"]  # r2 mixes a sales journey


@pytest.mark.parametrize(
    ("old", "new", "code", "words"),
    [
        ("{kpi: rubric.empathy, weight: 1}", "{kpi: rubric.empathy, weight: 0}", "LG015", "above 0"),
        ("    seed: 2\n", "    seed: 2\n    weight: 0\n", None, None),
        ("    seed: 1\n", "    seed: 1\n    weight: 0\n", None, None),
        ("  - {kpi: csat_mean, weight: 2}", "  - {kpi: csat_mean, weight: 2}\n  - {kpi: csat_mean, weight: 1}", "LG016", "already on the scorecard"),
        ("tie_breaks: [csat_mean]", "tie_breaks: [csat_mean, csat_mean]", "LG016", "twice"),
        ("tie_breaks: [csat_mean]", "tie_breaks: [csat]", "LG013", "unknown KPI"),
        ("duration: 10m\n  - id: r2", "duration: 30s\n  - id: r2", "LG015", "between 60 s"),
        ("seed: 1\n", "seed: -1\n", "LG015", "between 0"),
        ('name: "<b>Blue</b> & co"', 'name: "two\\nlines"', "LG010", "one line"),
        ('name: "<b>Blue</b> & co"', f"name: {'x' * 41}", "LG015", "at most 40"),
        ("journeys: {broadband_cross_sell: 3", "journeys: {broadband_cross_sell: 0", "LG015", "above 0"),
        ("    personas:\n      temperament: {irritable: 3, anxious: 1, calm: 1}\n", "    personas: {}\n", "LG023", "empty"),
        ("title: {zh-CN: 第一轮, en: Round 1}", "title: {zh-CN: 第一轮}", "LG012", '"en"'),
        ("seat: trainee\n", "", None, None),
        ("  - {id: blue, name: \"<b>Blue</b> & co\", seats: 1}\n", "", "LG015", "2 to 60"),
        ("{kpi: csat_mean, weight: 2}", "{kpi: csat_mean, weight: 2, best: 6}", "LG015", "between 1 and 5"),
    ],
)  # fmt: skip
def test_one_error_each(
    tmp_path: Path, old: str, new: str, code: str | None, words: str | None
) -> None:
    assert old in _BASE
    diags = _load_text(tmp_path, _BASE.replace(old, new, 1))
    if code is None:
        assert diags is None, [render(d) for d in diags or ()]
        return
    assert diags is not None and [d.code for d in diags] == [code], [render(d) for d in diags]
    assert words in diags[0].message


def test_all_rounds_weighing_zero_is_a_contradiction(tmp_path: Path) -> None:
    text = _BASE.replace("    seed: 1\n", "    seed: 1\n    weight: 0\n").replace(
        "    seed: 2\n", "    seed: 2\n    weight: 0\n"
    )
    diags = _load_text(tmp_path, text)
    assert diags and [d.code for d in diags] == ["LG027"]


def test_a_scenario_with_several_seats_needs_a_seat(tmp_path: Path) -> None:
    src = (FIXTURES / "support" / "service_desk.yaml").read_text(encoding="utf-8")
    two = src.replace("seats:\n", "seats:\n  - {id: second, channels: [phone]}\n")
    (tmp_path / "two.yaml").write_text(two, encoding="utf-8")
    text = _BASE.replace("scenario: practice", "scenario: two.yaml").replace("seat: trainee\n", "")
    text = text.replace("    journeys: {broadband_cross_sell: 3, privacy_trap: 1}\n", "")
    diags = _load_text(tmp_path, text)
    assert diags and [d.code for d in diags] == ["LG012"]
    assert "second" in diags[0].message and "trainee" in diags[0].message


_WRONG = ["x", "[]", "{}", "-1", "null", "1.5", "true", "[1, {a: b}]", "{weight: []}"]


def _mutants() -> list[str]:
    """The valid base with every value, one at a time, replaced by a wrong one, and every line
    dropped in turn."""
    lines = _BASE.splitlines()
    out = []
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*(?:- )?[\w.]+: )(.+)$", line)
        if not m or line.lstrip().startswith("#"):
            continue
        for wrong in _WRONG:
            out.append("\n".join([*lines[:i], m.group(1) + wrong, *lines[i + 1 :]]))
    for i in range(len(lines)):
        out.append("\n".join(lines[:i] + lines[i + 1 :]))
    return out


def test_no_traceback_for_any_bad_value(tmp_path: Path) -> None:
    outcomes = 0
    for n, text in enumerate(_mutants()):
        diags = _load_text(tmp_path, text, n)
        if diags:
            assert all(d.code in LG_CODES for d in diags), [render(d) for d in diags]
            outcomes += 1
    assert outcomes > 150
    for text in ("", "[]", "just text", "competition: x\ncompetition: y\n", "{competition: [}"):
        assert _load_text(tmp_path, text)


def test_validate_cli_exit_status_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["competition", "validate", "class-zh", "class-en"]) == 0
    assert "2 file(s): 0 error(s)" in capsys.readouterr().out
    bad = FIXTURES / "LG011_unknown_field.yaml"
    assert main(["competition", "validate", str(bad)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{bad}:29:1: error LG011: ") and "1 error(s)" in out[-1]
    assert main(["competition", "validate", str(bad), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False and doc["errors"] == 1
    (d,) = doc["files"][0]["diagnostics"]
    assert (d["code"], d["line"], d["column"]) == ("LG011", 29, 1)
    assert d["title_zh"] == LG_CODES["LG011"][1]
    assert main(["competition", "validate", str(FIXTURES)]) == 1  # a folder: every file in it
    assert f"{len(_fixtures())} file(s)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as usage:
        main(["competition", "validate"])
    assert usage.value.code == 2
    assert main(["competition"]) == 2


def test_list_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["competition", "list"]) == 0
    out = capsys.readouterr().out
    assert "class-zh" in out and "class-en" in out and "6 teams" in out and "sign-up" in out
    assert main(["competition", "list", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in doc["competitions"]] == ["class-en", "class-zh"]
