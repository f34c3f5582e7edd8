"""Exam files are checked strictly: every EX code at the right line and column, one error per
mistake, and no traceback for any bad input."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from sandbox.cli import main
from sandbox.exam import EX_CODES, ExamError, check_exam, load_exam, shipped_exams
from sandbox.exam.errors import render

FIXTURES = Path(__file__).parent / "fixtures"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "exam-errors.md"
_EXPECT = re.compile(rb"# expect (EX\d{3}) at (\d+):(\d+)")


def _fixtures() -> list[Path]:
    return sorted(FIXTURES.glob("EX*.yaml"))


def test_every_code_has_a_fixture_and_a_doc_section() -> None:
    covered = {p.name[:5] for p in _fixtures()}
    assert covered == set(EX_CODES)
    docs = DOCS.read_text(encoding="utf-8")
    for code, (title, zh) in EX_CODES.items():
        assert f"## {code} {title} / {zh}" in docs, code


@pytest.mark.parametrize("path", _fixtures(), ids=lambda p: p.stem)
def test_each_fixture_gives_its_one_error_at_its_line_and_column(path: Path) -> None:
    m = _EXPECT.match(path.read_bytes())
    assert m, f"{path.name}: first line must be '# expect EXnnn at LINE:COL: ...'"
    code, line, column = m.group(1).decode(), int(m.group(2)), int(m.group(3))
    assert path.name.startswith(code)
    with pytest.raises(ExamError) as info:
        load_exam(path)
    diags = info.value.diagnostics
    assert [(d.code, d.line, d.column) for d in diags] == [(code, line, column)], [
        render(d) for d in diags
    ]
    text = render(diags[0])
    assert text.startswith(f"{path}:{line}:{column}: error {code}: ")
    assert text.endswith(f"[{EX_CODES[code][1]}]")


def test_the_shipped_exams_validate() -> None:
    assert shipped_exams() == ["cs-cert-en", "cs-cert-zh"]
    for name in shipped_exams():
        exam, diags = check_exam(name)
        assert diags == [] and exam is not None, [render(d) for d in diags]
        assert len(exam.forms) == 2
        assert len({f.seed for f in exam.forms}) == 2
        assert exam.title["zh-CN"] and exam.title["en"]
    assert {load_exam(n).lang for n in shipped_exams()} == {"zh-CN", "en"}


def test_validate_cli_exit_status_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["exam", "validate", "cs-cert-zh", "cs-cert-en"]) == 0
    assert "0 error(s)" in capsys.readouterr().out
    bad = str(FIXTURES / "EX011_unknown_field.yaml")
    assert main(["exam", "validate", bad, "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False and doc["errors"] == 1
    (d,) = doc["files"][0]["diagnostics"]
    assert (d["code"], d["line"], d["column"]) == ("EX011", 12, 1)
    assert "did you mean" in d["message"]
    with pytest.raises(SystemExit) as usage:
        main(["exam", "validate"])
    assert usage.value.code == 2


def test_the_scenario_path_is_relative_to_the_exam_file(tmp_path: Path) -> None:
    (tmp_path / "sc").mkdir()
    shutil.copy(
        Path(__file__).resolve().parents[2] / "sandbox" / "scenarios" / "practice.yaml",
        tmp_path / "sc" / "mine.yaml",
    )
    text = (FIXTURES / "EX017_unknown_scenario.yaml").read_text(encoding="utf-8")
    exam_file = tmp_path / "exam.yaml"
    exam_file.write_text(text.replace("scenario: practise", "scenario: sc/mine.yaml"), "utf-8")
    exam = load_exam(exam_file)
    assert exam.scenario.name == "practice" and exam.seat == "trainee"


_BASE = (
    (FIXTURES / "EX017_unknown_scenario.yaml")
    .read_text(encoding="utf-8")
    .replace("scenario: practise", "scenario: practice")
)
_WRONG = ["x", "[]", "{}", "-1", "null", "1.5", "true", "[1, {a: b}]", "{weight: []}"]


def _mutants() -> list[str]:
    """The valid base exam with every value, one at a time, replaced by a wrong one."""
    lines = _BASE.splitlines()
    out = []
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*(?:- )?[\w.]+: )(.+)$", line)
        if not m or line.lstrip().startswith("#"):
            continue
        for wrong in _WRONG:
            out.append("\n".join([*lines[:i], m.group(1) + wrong, *lines[i + 1 :]]))
    for i in range(len(lines)):
        out.append("\n".join(lines[:i] + lines[i + 1 :]))  # every line dropped
    return out


def test_no_traceback_for_any_bad_value(tmp_path: Path) -> None:
    assert load_exam_text(tmp_path, _BASE) is None
    outcomes = 0
    for n, text in enumerate(_mutants()):
        diags = load_exam_text(tmp_path, text, n)
        if diags:
            assert all(d.code in EX_CODES for d in diags)
            outcomes += 1
    assert outcomes > 100
    for text in ("", "[]", "just text", "exam: x\nexam: y\n", "{exam: [}"):
        assert load_exam_text(tmp_path, text)


def load_exam_text(tmp_path: Path, text: str, n: int = 0) -> list | None:
    path = tmp_path / f"m{n}.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_exam(path)
    except ExamError as err:
        return list(err.diagnostics)
    return None


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("{id: B, seed: 2,", "{id: B, seed: 1,", "the same customers"),
        (
            "{id: B, seed: 2, customers: 3",
            "{id: B, seed: 2, customers: 4",
            "same number of customers",
        ),
        ("exam: 30m, contact: 10m", "exam: 30m, contact: 40m", "longer than the whole exam"),
        (
            "{risk: privacy_breach, fails: exam}",
            "{risk: privacy_breach, outcome: sale, fails: exam}",
            "exactly one of",
        ),
        (
            "handle_time: {weight: 20, against: pace}",
            "handle_time: {weight: 20, zero_at: 5}",
            "zero_at",
        ),
    ],
)
def test_contradictions_are_one_error_each(tmp_path: Path, old: str, new: str, words: str) -> None:
    assert old in _BASE
    diags = load_exam_text(tmp_path, _BASE.replace(old, new))
    assert diags is not None and len(diags) == 1, diags
    assert words in diags[0].message
