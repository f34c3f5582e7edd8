"""Knowledge bases add up: the shipped base + a `knowledge/` folder beside the journeys + every
`--knowledge`; lint and watch use the merged base; an id defined twice is JY016 where it is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from journey_testutil import MINI

from journeys.diagnostics import JourneyError
from journeys.knowledge import merged_knowledge_base
from sandbox.cli import main
from sandbox.workbench.watch import check

ENTRY = """\
knowledge:
  - id: {kid}
    kind: lesson
    title: {{zh-CN: 标题, en: Title}}
    body: {{zh-CN: 正文, en: Body}}
"""


def _folder(tmp_path: Path) -> Path:
    """A designer's folder: a journey linking a shipped, an own and an extra knowledge id."""
    lib = tmp_path / "lib"
    (lib / "knowledge").mkdir(parents=True)
    (lib / "knowledge" / "mine.yaml").write_text(ENTRY.format(kid="my.lesson"), encoding="utf-8")
    links = "knowledge: [kb.lesson.opening, my.lesson, extra.lesson]"
    (lib / "j.yaml").write_text(
        MINI.replace("goto: done}", f"{links}, goto: done}}"), encoding="utf-8"
    )
    (tmp_path / "extra.yaml").write_text(ENTRY.format(kid="extra.lesson"), encoding="utf-8")
    return lib


def _lint(capsys, *args: str) -> tuple[int, list[dict]]:
    code = main(["journey", "lint", "--json", *args])
    doc = json.loads(capsys.readouterr().out)
    return code, [d for f in doc["files"] for d in f["diagnostics"]]


def test_lint_uses_shipped_plus_beside_plus_every_knowledge_flag(tmp_path, capsys):
    lib = _folder(tmp_path)
    code, diags = _lint(capsys, str(lib / "j.yaml"))
    assert code == 1
    assert [(d["code"], "extra.lesson" in d["message"]) for d in diags] == [("JY106", True)]
    code, diags = _lint(capsys, str(lib / "j.yaml"), "--knowledge", str(tmp_path / "extra.yaml"))
    assert (code, diags) == (0, [])
    kb = merged_knowledge_base([tmp_path / "extra.yaml"], [lib / "j.yaml"])
    assert {"kb.lesson.opening", "my.lesson", "extra.lesson"} <= set(kb)


def test_an_id_defined_twice_is_an_error_at_the_second_definition(tmp_path, capsys):
    lib = _folder(tmp_path)
    dup = lib / "knowledge" / "zz_dup.yaml"
    dup.write_text(ENTRY.format(kid="kb.lesson.opening"), encoding="utf-8")
    with pytest.raises(JourneyError) as info:
        merged_knowledge_base([], [lib])
    (d,) = info.value.diagnostics
    assert (d.code, d.path, d.line) == ("JY016", str(dup), 2)
    assert "lessons.yaml" in d.message
    code, diags = _lint(capsys, str(lib / "j.yaml"), "--knowledge", str(tmp_path / "extra.yaml"))
    assert code == 1 and [(x["code"], x["path"]) for x in diags] == [("JY016", str(dup))]


def test_watch_takes_knowledge_and_watches_the_designers_files(tmp_path):
    lib = _folder(tmp_path)
    rendered, files = check(lib / "j.yaml", [str(tmp_path / "extra.yaml")])
    assert rendered == []
    assert lib / "knowledge" / "mine.yaml" in files and tmp_path / "extra.yaml" in files
    rendered, _ = check(lib / "j.yaml")
    assert len(rendered) == 1 and "JY106" in rendered[0] and "extra.lesson" in rendered[0]
    from sandbox.cli import build_parser

    args = build_parser().parse_args(
        ["journey", "watch", str(lib / "j.yaml"), "--knowledge", str(tmp_path / "extra.yaml")]
    )
    assert args.knowledge == [str(tmp_path / "extra.yaml")]
