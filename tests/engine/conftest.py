"""Shared helpers for the engine tests: small scenario files written on the fly."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sandbox.scenario import SCENARIO_DIR

ERLANG_JOURNEY = SCENARIO_DIR / "journeys" / "erlang_call.yaml"


def scenario_text(**extra: str) -> str:
    """A small valid scenario; keyword arguments replace whole top-level blocks."""
    blocks = {
        "head": textwrap.dedent(
            """\
            scenario: tiny
            version: 1
            title: {zh-CN: 小场景, en: Tiny}
            duration: 1h
            seed: 3
            """
        ),
        "channels": textwrap.dedent(
            """\
            channels:
              phone:
                arrivals_per_hour: 60
                patience: {mean: 90s}
            """
        ),
        "service": "service: {model: exponential, mean: 120s}\n",
        "journeys": f"journey_files: [{ERLANG_JOURNEY}]\njourneys:\n  erlang_call: 1\n",
        "agents": "agents:\n  - {id: bot, count: 2, policy: expert, channels: [phone]}\n",
        "seats": "",
        "targets": "targets: {service_level: 0.8}\n",
    }
    blocks.update(extra)
    return "".join(blocks.values())


@pytest.fixture
def write_scenario(tmp_path: Path):
    def write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
