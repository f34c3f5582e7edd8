"""lint, schema, graph and the `shapan journey` commands."""

from __future__ import annotations

import json
import shutil

import pytest
from journey_testutil import FIXTURES, MINI, demo, journey_from

from journeys.graph import to_dot, to_mermaid
from journeys.lint import lint_journey
from journeys.schema import journey_schema
from journeys.spec import OBJECTS
from sandbox.cli import main

ERRORS = FIXTURES / "errors"


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_lint_clean_demo_and_once_in_revisited_node():
    assert lint_journey(demo()) == []
    j = journey_from(
        """
        journey: l
        version: 1
        title: {zh-CN: 标题, en: Title}
        kind: inquiry
        channels: [chat]
        start: a
        nodes:
          a:
            choices:
              - {id: once_only, once: true, text: {zh-CN: 一, en: one}}
              - {id: leave, once: true, text: {zh-CN: 走, en: go}, goto: b}
          b:
            choices:
              - {id: back, text: {zh-CN: 回, en: back}, goto: a}
              - {id: end, text: {zh-CN: 完, en: end}, goto: e}
          e: {ending: {outcome: resolved}}
        """
    )
    assert [d.code for d in lint_journey(j)] == ["JY103"]
    # without the way back, 'leave' can never be disabled when the node shows
    once_away = j.nodes["a"].choices[1]
    assert once_away.goto == "b"


def test_lint_intentional_unreachable_is_silent():
    text = MINI + "  spare: {intentional_unreachable: true, ending: {outcome: unresolved}}\n"
    assert lint_journey(journey_from(text)) == []
    assert [
        d.code
        for d in lint_journey(journey_from(text.replace("intentional_unreachable: true, ", "")))
    ] == ["JY101"]


def test_schema_matches_spec_and_vocabulary():
    schema = journey_schema()
    defs = schema["$defs"]
    for name, obj in OBJECTS.items():
        assert set(defs[name]["properties"]) == set(obj.fields)
        assert defs[name]["additionalProperties"] is False
        assert set(defs[name].get("required", [])) == set(obj.required)
    assert "empathy" in defs["choice"]["properties"]["behaviours"]["items"]["enum"]
    assert defs["ending"]["properties"]["outcome"]["enum"][0] == "resolved"
    json.dumps(schema)


def test_schema_accepts_demo_and_rejects_unknown_field():
    jsonschema = pytest.importorskip("jsonschema")
    from journeys.strict_yaml import load_file

    validator = jsonschema.Draft202012Validator(journey_schema())
    assert (
        list(validator.iter_errors(json.loads(json.dumps(load_file(FIXTURES / "demo.yaml"))))) == []
    )
    bad = json.loads(json.dumps(load_file(ERRORS / "JY011_unknown_field.yaml")))
    assert list(validator.iter_errors(bad))


def test_graph_text_formats():
    j = demo()
    mermaid = to_mermaid(j)
    assert mermaid.startswith("flowchart TD")
    assert 'n_opening -->|"calm"| n_listen' in mermaid
    assert "class n_end_breach compliance_breach" in mermaid
    assert 'subgraph n_verify["verify"]' in mermaid
    assert "75%" in mermaid  # random weights 3:1
    dot = to_dot(j)
    assert dot.startswith('digraph "demo"') and '"verify.ask" -> "branch"' in dot
    assert 'fillcolor="#b71c1c"' in dot  # compliance_breach ending


def test_graph_labels_show_each_nodes_first_line_in_the_chosen_language(capsys):
    j = demo()
    opening = j.nodes["opening"].say[0].text
    zh, en = to_mermaid(j, "zh-CN"), to_mermaid(j, "en")
    assert opening["zh-CN"][:10] in zh and opening["en"][:10] in en
    assert opening["en"][:10] not in zh
    code, out, _ = run_cli(capsys, "journey", "graph", str(FIXTURES / "demo.yaml"), "--lang",
                           "zh-CN", "--format", "dot")  # fmt: skip
    assert code == 0 and opening["zh-CN"][:10] in out


def test_cli_validate_ok_and_json(capsys):
    code, out, _ = run_cli(capsys, "journey", "validate", str(FIXTURES / "demo.yaml"), "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["ok"] and doc["errors"] == 0
    assert doc["files"][0]["journey"] == "demo" and len(doc["files"][0]["content_hash"]) == 64


def test_cli_validate_broken_exits_1_with_location(capsys):
    path = ERRORS / "JY015_unknown_node.yaml"
    code, out, _ = run_cli(capsys, "journey", "validate", str(path))
    assert code == 1
    assert f"{path}:11:50: error JY015: unknown node 'dne'" in out
    code, out, _ = run_cli(
        capsys, "journey", "validate", str(ERRORS / "JY001_not_utf8.yaml"), "--json"
    )
    assert code == 1 and json.loads(out)["files"][0]["diagnostics"][0]["code"] == "JY001"


def test_cli_validate_folder_and_missing_path(capsys, tmp_path):
    shutil.copy(FIXTURES / "demo.yaml", tmp_path)
    shutil.copytree(FIXTURES / "common", tmp_path / "common")
    code, out, _ = run_cli(capsys, "journey", "validate", str(tmp_path), "--json")
    doc = json.loads(out)
    assert code == 0 and sorted(f["kind"] for f in doc["files"]) == ["fragment", "journey"]
    code, _, err = run_cli(capsys, "journey", "validate", str(tmp_path / "nope.yaml"))
    assert code == 1 and "nope.yaml" in err and "Traceback" not in err


def test_cli_lint_reports_warnings_exit_1(capsys):
    kb = str(ERRORS / "support" / "kb.yaml")
    code, out, _ = run_cli(
        capsys, "journey", "lint", str(ERRORS / "JY101_unreachable.yaml"), "--knowledge", kb
    )
    assert code == 1 and "warning JY101" in out
    code, out, _ = run_cli(
        capsys, "journey", "lint", str(FIXTURES / "demo.yaml"), "--knowledge", kb, "--json"
    )
    doc = json.loads(out)
    # --knowledge adds to the shipped base (it used to replace it): demo's shipped ids are known
    assert code == 0 and doc["files"][0]["diagnostics"] == []


def test_cli_schema_and_graph(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "journey", "schema")
    assert code == 0 and json.loads(out)["$defs"]["journey"]
    target = tmp_path / "g.mmd"
    code, _, _ = run_cli(capsys, "journey", "graph", str(FIXTURES / "demo.yaml"), "-o", str(target))
    assert code == 0 and target.read_text(encoding="utf-8").startswith("flowchart TD")
    code, _, err = run_cli(
        capsys, "journey", "graph", str(FIXTURES / "demo.yaml"), "--format", "png"
    )
    assert code == 2 and "-o" in err
    code, _, err = run_cli(capsys, "journey", "graph", str(ERRORS / "JY015_unknown_node.yaml"))
    assert code == 1 and "JY015" in err


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")
def test_cli_graph_svg_and_png(capsys, tmp_path):
    svg = tmp_path / "g.svg"
    code, _, _ = run_cli(
        capsys, "journey", "graph", str(FIXTURES / "demo.yaml"), "--format", "svg", "-o", str(svg)
    )
    text = svg.read_text(encoding="utf-8")
    assert code == 0 and "<svg" in text and "#b71c1c" in text
    png = tmp_path / "g.png"
    code, _, _ = run_cli(
        capsys, "journey", "graph", str(FIXTURES / "demo.yaml"), "--format", "png", "-o", str(png)
    )
    assert code == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_graph_without_graphviz_says_install(capsys, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    code, _, err = run_cli(
        capsys, "journey", "graph", str(FIXTURES / "demo.yaml"), "--format", "svg"
    )
    assert code == 1 and "apt-get install -y graphviz" in err


def test_cli_unwritable_output_is_a_clear_error(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    code, _, err = run_cli(capsys, "journey", "schema", "-o", str(blocker / "schema.json"))
    assert code == 1 and "cannot write" in err and "Traceback" not in err
