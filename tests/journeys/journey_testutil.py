"""Shared helpers for the journey-language tests (imported by the test modules)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from journeys import load_journey, load_journey_text

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]

MINI = """\
journey: mini
version: 1
title: {zh-CN: 迷你, en: Mini}
kind: inquiry
channels: [chat]
state:
  anger: {type: int, min: 0, max: 10, initial: 4}
start: a
nodes:
  a:
    choices:
      - {id: go, text: {zh-CN: 走, en: Go}, goto: done}
  done: {ending: {outcome: resolved}}
"""


def journey_from(text: str, tmp_path: Path | None = None, name: str = "j.yaml"):
    """Load dedented journey text (written to tmp_path when given, for includes)."""
    text = textwrap.dedent(text)
    if tmp_path is None:
        return load_journey_text(text, name)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_journey(path)


def demo():
    return load_journey(FIXTURES / "demo.yaml")
