"""SQLite store of finished runs: one file, WAL mode, nothing to install.

Why SQLite/WAL: a trainer's laptop or a classroom server must keep every run without a
database server; WAL lets a live leaderboard read while a run is being written. Each row keeps
what identifies a run (seed, scenario hash, journey hashes, model version) next to its KPIs
and the full results document, so any stored run can be checked by replaying it.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
_DDL = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL,
    seed INTEGER NOT NULL,
    scenario_name TEXT NOT NULL,
    scenario_hash TEXT NOT NULL,
    journeys TEXT NOT NULL,
    model_version TEXT,
    human_policy TEXT,
    contacts INTEGER,
    kpis TEXT NOT NULL,
    results TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_scenario ON runs (scenario_name, scenario_hash);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class StoreError(Exception):
    """The database file cannot be opened or is not a shapan store."""


class RunStore:
    """Finished runs in one SQLite file (`shapan run --db PATH`, default ./shapan.db)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.conn = sqlite3.connect(self.path, timeout=10.0)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(_DDL)
            row = self.conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None:
                self.conn.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
                self.conn.commit()
            elif row[0] != str(SCHEMA_VERSION):
                raise StoreError(
                    f"{self.path}: store schema {row[0]}, this shapan needs {SCHEMA_VERSION}"
                )
        except sqlite3.DatabaseError as err:
            raise StoreError(f"{self.path}: not a usable SQLite database ({err})") from None

    def record(self, results: dict[str, Any]) -> int:
        """Store one results document; returns the run id."""
        sc = results.get("scenario", {})
        kpis = results.get("kpis", {})
        with self.conn:
            cur = self.conn.execute(
                "INSERT INTO runs (recorded_at, seed, scenario_name, scenario_hash, journeys,"
                " model_version, human_policy, contacts, kpis, results)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    int(results["seed"]),
                    str(sc.get("name")),
                    str(sc.get("hash")),
                    json.dumps(results.get("journeys", {}), sort_keys=True),
                    results.get("model_version"),
                    results.get("human_policy"),
                    kpis.get("contacts"),
                    json.dumps(kpis, sort_keys=True),
                    json.dumps(results, ensure_ascii=False, sort_keys=True),
                ),
            )
        assert cur.lastrowid is not None  # set by the INSERT above
        return int(cur.lastrowid)

    def runs(self, scenario: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Most recent runs first: id, time, seed, scenario, hashes, model version, KPIs."""
        sql = ("SELECT id, recorded_at, seed, scenario_name, scenario_hash, model_version,"
               " human_policy, kpis FROM runs")  # fmt: skip
        args: tuple[Any, ...] = ()
        if scenario:
            sql += " WHERE scenario_name = ?"
            args = (scenario,)
        sql += " ORDER BY id DESC LIMIT ?"
        rows = self.conn.execute(sql, (*args, int(limit))).fetchall()
        keys = (
            "id",
            "recorded_at",
            "seed",
            "scenario",
            "scenario_hash",
            "model_version",
            "human_policy",
        )
        return [{**dict(zip(keys, r[:7], strict=True)), "kpis": json.loads(r[7])} for r in rows]

    def results(self, run_id: int) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT results FROM runs WHERE id = ?", (int(run_id),)).fetchone()
        return json.loads(row[0]) if row else None

    def close(self) -> None:
        self.conn.close()
