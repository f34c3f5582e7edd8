"""No traceback from a journey or scenario that validates: route loops are found on the graph at
load time (JY025, also behind conditions and random branches), the runtime guard is a coded,
located error in every front end, and a scenario nobody can play is a scenario error."""

from __future__ import annotations

import textwrap

import pytest
from journey_testutil import FIXTURES, journey_from

from journeys import JourneyRun
from journeys.diagnostics import JourneyError
from journeys.loops import route_loops
from journeys.runtime import JourneyRunError
from sandbox.cli import main

UNDECIDED = FIXTURES / "errors" / "JY107_undecided_loop.yaml"

HEAD = """\
journey: loops
version: 1
title: {zh-CN: 循环, en: Loops}
kind: inquiry
channels: [phone]
state:
  x: {type: int, min: 0, max: 10, initial: 0}
start: a
nodes:
"""


def _errors(body: str, tmp_path):
    with pytest.raises(JourneyError) as info:
        journey_from(HEAD + textwrap.indent(textwrap.dedent(body), "  "), tmp_path)
    return info.value.diagnostics


def test_loop_hidden_behind_a_condition_and_a_random_branch_is_a_load_error(tmp_path):
    (d,) = _errors(
        """\
        a:
          route:
            - {if: "persona('segment') == 'vip'", goto: done}
            - random: {b: 1, c: 2}
        b:
          route:
            - goto: a
        c:
          route:
            - {if: "x > 3", goto: done}
            - goto: a
        done: {ending: {outcome: resolved}}
        """,
        tmp_path,
    )
    assert (d.code, d.line, d.column) == ("JY025", 10, 3)
    assert "a, b, c" in d.message and "persona('segment')" in d.message and "x = 0" in d.message


def test_loops_that_can_always_leave_are_accepted(tmp_path):
    body = """\
    a:
      route:
        - {if: "visited('b')", goto: done}
        - goto: b
    b:
      route:
        - goto: a
    r:
      route:
        - random: {r: 3, done: 1}
    p:
      route:
        - {if: "x > 3", goto: q}
        - goto: done
    q:
      route:
        - {if: "x > 3", goto: done}
        - goto: p
    s:
      choices:
        - {id: go, text: {zh-CN: 走, en: Go}, goto: r}
        - {id: gp, text: {zh-CN: 走, en: Go}, goto: p}
    done: {ending: {outcome: resolved}}
    """
    journey = journey_from(HEAD + textwrap.indent(textwrap.dedent(body), "  "), tmp_path)
    assert route_loops(journey) == []


def test_runtime_guard_is_a_coded_located_error():
    from journeys import load_journey

    run = JourneyRun(load_journey(UNDECIDED), seed=1)
    run.start()
    with pytest.raises(JourneyRunError) as info:
        run.choose("go")
    err = info.value
    assert err.code == "JY025" and err.where == f"{UNDECIDED}:12:3"
    assert str(err).startswith(f"{UNDECIDED}:12:3: error JY025: route loop")


def test_explore_bots_and_record_report_the_loop_without_traceback(capsys):
    assert main(["journey", "explore", str(UNDECIDED)]) == 1
    out = capsys.readouterr().out
    assert f"JY025 route loop at {UNDECIDED}:" in out
    code = main(
        ["journey", "bots", "--runs", "4", "--policy", "expert", "--no-predict", str(UNDECIDED)]
    )
    err = capsys.readouterr().err
    assert code == 1 and f"{UNDECIDED}:12:3: error JY025" in err and "Traceback" not in err


SCENARIO = """\
scenario: tiny
version: 1
title: {{zh-CN: 小场景, en: Tiny}}
duration: 1h
seed: 3
channels:
  phone:
    arrivals_per_hour: 60
    patience: {{mean: 90s}}
service: {{model: exponential, mean: 120s}}
{journeys}
agents:
  - {{id: bot, count: 2, policy: expert, channels: [phone]}}
"""


def test_shapan_run_on_a_looping_journey_gives_the_coded_error(tmp_path, capsys):
    scenario = tmp_path / "s.yaml"
    text = SCENARIO.format(journeys=f"journey_files: [{UNDECIDED}]\njourneys:\n  broken: 1")
    scenario.write_text(text, encoding="utf-8")
    code = main(["run", "--scenario", str(scenario), "--no-db", "--no-report",
                 "--out", str(tmp_path / "out")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and f"{UNDECIDED}:12:3: error JY025" in err and "Traceback" not in err


def _scenario_error(tmp_path, journeys: str, extra: str = ""):
    from sandbox.scenario import ScenarioError, load_scenario

    scenario = tmp_path / "s.yaml"
    scenario.write_text(SCENARIO.format(journeys=journeys) + extra, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(scenario)
    return info.value.diagnostics


def test_a_persona_filter_no_customer_passes_is_a_scenario_error_at_its_line(tmp_path):
    (d,) = _scenario_error(
        tmp_path,
        "journeys:\n  elderly_frozen_funds: 1",
        "personas:\n  age_band: {young: 1, adult: 1}\n",
    )
    assert (d.code, d.line, d.column) == ("SC020", 12, 3)
    assert "persona filter" in d.message and "age_band" in d.message


def test_a_scenario_journey_may_not_take_a_shipped_id(tmp_path):
    from journey_testutil import MINI

    copy = tmp_path / "privacy.yaml"
    copy.write_text(MINI.replace("journey: mini", "journey: privacy_trap").replace(
        "[chat]", "[phone]"), encoding="utf-8")  # fmt: skip
    (d,) = _scenario_error(tmp_path, f"journey_files: [{copy}]\njourneys:\n  privacy_trap: 1")
    assert (d.code, d.line) == ("SC017", 11) and "shipped journey" in d.message


# ----------------------------------------------------------------------------- includes
INCLUDER = """\
journey: inc
version: 1
title: {{zh-CN: 引用, en: Include}}
kind: inquiry
channels: [chat]
state:
  verified: {{type: bool}}
includes:
  - {{use: "{use}", as: v, exits: {{done: done, failed: done}}}}
start: v.ask
nodes:
  done: {{ending: {{outcome: resolved}}}}
"""


@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink_file", "symlink_dir"])
def test_includes_stay_inside_the_journeys_folder(tmp_path, how):
    from journeys.loader import check_file

    outside = tmp_path / "outside"
    outside.mkdir()
    frag = outside / "verify.yaml"
    frag.write_text((FIXTURES / "common" / "verify.yaml").read_text(encoding="utf-8"))
    lib = tmp_path / "lib"
    lib.mkdir()
    use = {"dotdot": "../outside/verify.yaml", "absolute": str(frag)}.get(how, "")
    if how == "symlink_file":
        (lib / "verify.yaml").symlink_to(frag)
        use = "verify.yaml"
    elif how == "symlink_dir":
        (lib / "common").symlink_to(outside, target_is_directory=True)
        use = "common/verify.yaml"
    path = lib / "j.yaml"
    path.write_text(INCLUDER.format(use=use), encoding="utf-8")
    journey, diags = check_file(path)
    assert journey is None
    (d,) = diags
    assert (d.code, d.line, d.column) == ("JY043", 9, 11), d.render()
    # the same fragment inside the folder loads
    (lib / "inside").mkdir()
    (lib / "inside" / "verify.yaml").write_text(frag.read_text(), encoding="utf-8")
    path.write_text(INCLUDER.format(use="inside/../inside/verify.yaml"), encoding="utf-8")
    assert check_file(path)[0] is not None
