"""The designer guide's examples are real: they validate, and the final one is balanced."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from library_testutil import play

from journeys.explore import explore
from journeys.knowledge import load_knowledge_base
from journeys.library import library_dir
from journeys.lint import lint_journey
from journeys.loader import check_file

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "designing-journeys.md"
BLOCK = re.compile(r"```yaml\n(# file: (\S+)\n.*?)```", re.DOTALL)


def _write_blocks(tmp_path: Path) -> list[Path]:
    shutil.copytree(library_dir() / "common", tmp_path / "common")
    files = []
    for body, name in BLOCK.findall(GUIDE.read_text(encoding="utf-8")):
        path = tmp_path / name
        path.write_text(body, encoding="utf-8")
        files.append(path)
    return files


def test_every_guide_example_validates_and_the_final_one_is_clean(tmp_path):
    files = _write_blocks(tmp_path)
    assert [f.name for f in files] == ["hello_journey.yaml", "water_bill_spike.yaml"]
    kb = load_knowledge_base()
    for f in files:
        journey, diags = check_file(f)
        assert journey is not None, [d.render() for d in diags]
    final, _ = check_file(files[-1])
    assert lint_journey(final, kb) == []
    report = explore(final)
    assert report.ok and len(set(report.endings_reached.values())) >= 3


def test_the_guides_journey_ranks_the_bots(tmp_path):
    final, _ = check_file(_write_blocks(tmp_path)[-1])
    mean = {}
    for policy in ("random", "novice", "competent", "expert"):
        runs = [play(final, policy, s) for s in range(200)]
        mean[policy] = sum(r.score for r in runs) / len(runs)
    assert mean["expert"] > mean["competent"] > mean["novice"] > mean["random"], mean
