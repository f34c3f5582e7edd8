"""Fixtures for the library tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def shipped():
    from journeys.library import load_all_shipped

    return load_all_shipped()
