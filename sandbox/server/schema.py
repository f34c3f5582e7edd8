"""The server's tables (SQLAlchemy Core). Changing one means a new Alembic revision.

Times are UTC epoch seconds (floats) except the journal's `received_at`, which is part of the
hashed entry and so keeps the journal's own stamp format (sandbox/exam/journal.py).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

settings = Table(
    "settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)  # fmt: skip

admin_sessions = Table(
    "admin_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)  # fmt: skip

exams = Table(
    "exams", metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("ref", Text, nullable=False),  # shipped id or the path it was published from
    Column("exam_id", String(128), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("title_zh", Text, nullable=False),
    Column("title_en", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("forms", Integer, nullable=False),
    Column("customers", Integer, nullable=False),
    Column("limit_s", Float, nullable=False),
    Column("provenance", Text, nullable=False),  # canonical JSON: scenario, journeys, models
    Column("yaml_text", Text, nullable=False),
    Column("published_at", Float, nullable=False),
    Column("closed", Boolean, nullable=False, default=False),
    Column("codes_issued", Integer, nullable=False, default=0),
)  # fmt: skip

codes = Table(
    "codes", metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("exam_pk", Integer, ForeignKey("exams.pk"), nullable=False, index=True),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("candidate", Text, nullable=False),
    Column("form_index", Integer, nullable=False),
    Column("attempt_no", Integer, nullable=False),  # 1 = first attempt of this candidate
    Column("issued_at", Float, nullable=False),
)  # fmt: skip

attempts = Table(
    "attempts", metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("exam_pk", Integer, ForeignKey("exams.pk"), nullable=False, index=True),
    Column("code_pk", Integer, ForeignKey("codes.pk"), nullable=False, unique=True),
    Column("candidate", Text, nullable=False),
    Column("form_index", Integer, nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("clock_speed", Float, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("status", String(16), nullable=False),  # active | finished
    Column("closed_reason", String(16)),  # finished | time_up
    Column("finished_at", Float),
    Column("head_seq", Integer, nullable=False, default=0),
    Column("head_hash", String(64), nullable=False),
    Column("last_t", Float, nullable=False, default=0.0),
    Column("last_seen_at", Float, nullable=False),
    Column("current_contact", Text),
)  # fmt: skip

journal = Table(
    "journal", metadata,
    Column("attempt_pk", Integer, ForeignKey("attempts.pk"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("t", Float, nullable=False),
    Column("contact_id", Text, nullable=False),
    Column("choice_id", Text, nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)  # fmt: skip

grades = Table(
    "grades", metadata,
    Column("attempt_pk", Integer, ForeignKey("attempts.pk"), primary_key=True),
    Column("result", Text, nullable=False),  # the signed result, canonical JSON
    Column("score", Float, nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("graded_at", Float, nullable=False),
)  # fmt: skip

events = Table(
    "events", metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("actor", String(16), nullable=False),  # admin | candidate | server
    Column("kind", String(32), nullable=False),
    Column("exam_pk", Integer),
    Column("attempt_pk", Integer),
    Column("detail", Text, nullable=False, default=""),
)  # fmt: skip

# -- trainee history (revision 0002_trainees; sandbox/server/history.py) ----------------------
trainees = Table(
    "trainees", metadata,
    Column("trainee_id", String(200), primary_key=True),
    Column("name", Text, nullable=False, default=""),
    Column("group_name", String(200), index=True),  # a cohort; None = no group
    Column("created_at", Float, nullable=False),
)  # fmt: skip

trainee_work = Table(
    "trainee_work", metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("trainee_id", String(200), ForeignKey("trainees.trainee_id"), nullable=False,
           index=True),
    Column("kind", String(16), nullable=False),  # practice | exam | competition
    Column("at", Float, nullable=False),
    Column("form_key", Text, nullable=False),  # what must match for work to be comparable
    Column("form_label", Text, nullable=False),
    Column("seed", Integer),
    Column("scenario_hash", String(64)),
    Column("journeys_hash", String(64)),  # sha256 of the canonical {journey id: hash}
    Column("model_version", Text),
    Column("attempt_pk", Integer, unique=True),  # the exam attempt it came from, if any
    Column("score", Float),
    Column("passed", Boolean),
    Column("contacts", Integer, nullable=False),
    Column("source", Text, nullable=False, default=""),
)  # fmt: skip

trainee_contacts = Table(
    "trainee_contacts", metadata,
    Column("work_pk", Integer, ForeignKey("trainee_work.pk"), primary_key=True),
    Column("k", Integer, primary_key=True, autoincrement=False),
    Column("contact_id", Text, nullable=False),
    Column("journey_id", Text),
    Column("figures", Text, nullable=False),  # canonical JSON: history.figures_from_record
)  # fmt: skip

# -- classroom competitions (revision 0003_league; sandbox/server/league_store.py) -----------
competitions = Table(
    "competitions", metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("ref", Text, nullable=False),  # shipped id or the path it was created from
    Column("competition_id", String(128), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("yaml_text", Text, nullable=False),
    Column("provenance", Text, nullable=False),  # canonical JSON: per round scenario/journeys/models
    Column("title_zh", Text, nullable=False),
    Column("title_en", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("join_code_hash", String(64)),  # open sign-up only
    Column("clock_speed", Float, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("current_round", Integer, nullable=False, default=-1),  # -1: none opened yet
    Column("paused_at", Float),  # set while everything is paused (a fire drill)
    Column("frozen", Boolean, nullable=False, default=False),
    Column("frozen_board", Text),  # the public board at the moment it froze
    Column("announcement", Text, nullable=False, default=""),
    Column("announced_at", Float),
)  # fmt: skip

league_teams = Table(
    "league_teams", metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("competition_pk", Integer, ForeignKey("competitions.pk"), nullable=False, index=True),
    Column("team_key", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("seats", Integer, nullable=False),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
)  # fmt: skip

league_rounds = Table(
    "league_rounds", metadata,
    Column("competition_pk", Integer, ForeignKey("competitions.pk"), primary_key=True),
    Column("round_index", Integer, primary_key=True, autoincrement=False),
    Column("status", String(16), nullable=False),  # pending | open | closed
    Column("duration_s", Float, nullable=False),  # the file's, plus any extension
    Column("opened_at", Float),
    Column("paused_s", Float, nullable=False, default=0.0),  # wall seconds paused so far
    Column("closed_at", Float),
)  # fmt: skip

league_desks = Table(
    "league_desks", metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("team_pk", Integer, ForeignKey("league_teams.pk"), nullable=False, index=True),
    Column("member", Integer, nullable=False),  # 1..seats
    Column("token_hash", String(64), unique=True),  # None: free (never joined or kicked)
    Column("kicked", Boolean, nullable=False, default=False),
    Column("joined_at", Float, nullable=False),
)  # fmt: skip

league_plays = Table(
    "league_plays", metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("desk_pk", Integer, ForeignKey("league_desks.pk"), nullable=False, index=True),
    Column("round_index", Integer, nullable=False),
    Column("offset_s", Float, nullable=False),  # the round clock when the member joined it
    Column("head_seq", Integer, nullable=False, default=0),
    Column("head_hash", String(64), nullable=False),
    Column("last_t", Float, nullable=False, default=0.0),
    Column("claims", Integer, nullable=False, default=0),
    Column("current_contact", Text),
    Column("created_at", Float, nullable=False),
)  # fmt: skip

league_journal = Table(
    "league_journal", metadata,
    Column("play_pk", Integer, ForeignKey("league_plays.pk"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("t", Float, nullable=False),
    Column("contact_id", Text, nullable=False),
    Column("choice_id", Text, nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)  # fmt: skip

league_claims = Table(
    "league_claims", metadata,
    Column("play_pk", Integer, ForeignKey("league_plays.pk"), primary_key=True),
    Column("n", Integer, primary_key=True, autoincrement=False),
    Column("k", Integer, nullable=False),
    Column("asked_s", Float, nullable=False),  # round time
    Column("ring_s", Float, nullable=False),  # round time
    Column("skipped", Text, nullable=False),  # JSON list of customers that gave up before it
)  # fmt: skip

league_queues = Table(
    "league_queues", metadata,
    Column("team_pk", Integer, ForeignKey("league_teams.pk"), primary_key=True),
    Column("round_index", Integer, primary_key=True, autoincrement=False),
    Column("next_k", Integer, nullable=False),
)  # fmt: skip

league_events = Table(
    "league_events", metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("competition_pk", Integer, ForeignKey("competitions.pk"), nullable=False, index=True),
    Column("at", Float, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("detail", Text, nullable=False, default=""),
)  # fmt: skip

__all__ = [
    "admin_sessions",
    "attempts",
    "codes",
    "competitions",
    "events",
    "exams",
    "grades",
    "journal",
    "league_claims",
    "league_desks",
    "league_events",
    "league_journal",
    "league_plays",
    "league_queues",
    "league_rounds",
    "league_teams",
    "metadata",
    "settings",
    "trainee_contacts",
    "trainee_work",
    "trainees",
]  # fmt: skip
