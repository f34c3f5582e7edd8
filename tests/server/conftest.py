"""Fixtures of the server tests: a database URL for every backend the store must work on.

`db_url` is parametrised over SQLite (a file in tmp_path) and PostgreSQL (a fresh database on
the server named by SHAPAN_TEST_POSTGRES_URL, which `.ci/run` starts). Without that variable the
PostgreSQL cases are skipped locally; CI sets SHAPAN_REQUIRE_POSTGRES=1 so they fail instead.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def _postgres_base() -> str | None:
    url = os.environ.get("SHAPAN_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("SHAPAN_REQUIRE_POSTGRES") == "1":
            pytest.fail("SHAPAN_REQUIRE_POSTGRES=1 but SHAPAN_TEST_POSTGRES_URL is not set")
        pytest.skip("no PostgreSQL: set SHAPAN_TEST_POSTGRES_URL (see .ci/start-postgres)")
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (dropped afterwards)."""
    from sqlalchemy import create_engine, text

    base = _postgres_base()
    assert base is not None
    name = f"shapan_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    head, _, _ = base.rpartition("/")
    try:
        yield f"{head}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid() "
                    # our own sessions only: an autovacuum worker on the database belongs to
                    # the superuser (terminating it is refused; DROP ... FORCE ends it)
                    "AND usename = current_user AND backend_type = 'client backend'"
                ),
                {"n": name},
            )
            # WITH (FORCE) waits for the backends just told to end (a server process that
            # was killed a moment ago may still hold one)
            for attempt in range(20):
                try:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    break
                except Exception:
                    if attempt == 19:
                        raise
                    time.sleep(0.5)
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'server.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The store's URL on each backend: SQLite and PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


# --- live servers (tests/server/live_server.py): a real `shapan serve` per test ---------------


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[object]:
    """`serve(db_url, clock_speed=..., secret=...)` starts `shapan serve` (a real uvicorn
    subprocess on a free localhost port) and returns its LiveServer; all are stopped after."""
    from tests.server.live_server import LiveServer, start_server

    started: list[LiveServer] = []

    def start(db_url: str, **kwargs: object) -> LiveServer:
        server = start_server(db_url, tmp_path / f"server{len(started)}", **kwargs)  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
