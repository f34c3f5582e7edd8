"""Fixtures of the fault tests (helpers: fault_testutil.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fault_testutil import tiny_scenario


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small scenario file every fault test runs."""
    path = tmp_path_factory.mktemp("scenarios") / "tiny.yaml"
    path.write_text(tiny_scenario(), encoding="utf-8")
    return path
