"""One way to open the server's database: SQLite (WAL) by default, PostgreSQL by URL.

Why here: every user of the store gets the same durability settings — an acknowledged decision
must survive a power cut — and the same schema version (Alembic runs to head on open).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DEFAULT_URL = "sqlite:///shapan-server.db"
MIGRATIONS = Path(__file__).with_name("migrations")


class DatabaseError(Exception):
    """The database cannot be used: one line, said to the user as is."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")  # durable before an acknowledgement
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str) -> Any:
    """A SQLAlchemy engine for `url` (`sqlite:///FILE` or `postgresql+psycopg://…`), checked
    by connecting once. `DatabaseError` names what is wrong."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(
            f"{url!r} is not a database URL; use sqlite:///FILE or "
            "postgresql+psycopg://USER:PASSWORD@HOST/DB"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseError(f"database {backend!r} is not supported; use sqlite or postgresql")
    kwargs: dict[str, Any] = {"future": True}
    if backend == "sqlite":
        db = parsed.database
        if not db or db == ":memory:":
            raise DatabaseError(
                "an in-memory SQLite database would lose every attempt; name a file"
            )
        folder = Path(db).expanduser().resolve().parent
        if not folder.is_dir():
            raise DatabaseError(f"cannot create {db}: the folder {folder} does not exist")
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        # one connection per server thread (the thread pool has 40): none waits for another
        kwargs.update(pool_size=40, max_overflow=20)
    else:
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
    try:
        engine = create_engine(parsed, **kwargs)
    except NoSuchModuleError as err:
        raise DatabaseError(f"no database driver for {url!r}: {err}") from None
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except SQLAlchemyError as err:
        engine.dispose()
        reason = str(getattr(err, "orig", err)).strip().splitlines()[0]
        raise DatabaseError(
            f"cannot open the database {parsed.render_as_string()}: {reason}"
        ) from None
    return engine


def migrate(engine: Any) -> None:
    """Bring the schema to the newest revision (Alembic, sandbox/server/migrations/)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
