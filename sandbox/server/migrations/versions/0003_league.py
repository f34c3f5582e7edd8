"""Classroom competitions: competitions, teams, rounds, desks, each member's play of a round
with its hash-chained journal and its claims on the team's customers, the teams' queues and
the live events.

Revision ID: 0003_league
Revises: 0002_trainees
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_league"
down_revision = "0002_trainees"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "competitions",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ref", sa.Text, nullable=False),
        sa.Column("competition_id", sa.String(128), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("yaml_text", sa.Text, nullable=False),
        sa.Column("provenance", sa.Text, nullable=False),
        sa.Column("title_zh", sa.Text, nullable=False),
        sa.Column("title_en", sa.Text, nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("join_code_hash", sa.String(64)),
        sa.Column("clock_speed", sa.Float, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("current_round", sa.Integer, nullable=False),
        sa.Column("paused_at", sa.Float),
        sa.Column("frozen", sa.Boolean, nullable=False),
        sa.Column("frozen_board", sa.Text),
        sa.Column("announcement", sa.Text, nullable=False),
        sa.Column("announced_at", sa.Float),
    )
    op.create_table(
        "league_teams",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "competition_pk",
            sa.Integer,
            sa.ForeignKey("competitions.pk"),
            nullable=False,
            index=True,
        ),
        sa.Column("team_key", sa.String(64), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("seats", sa.Integer, nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "league_rounds",
        sa.Column("competition_pk", sa.Integer, sa.ForeignKey("competitions.pk"), primary_key=True),
        sa.Column("round_index", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("duration_s", sa.Float, nullable=False),
        sa.Column("opened_at", sa.Float),
        sa.Column("paused_s", sa.Float, nullable=False),
        sa.Column("closed_at", sa.Float),
    )
    op.create_table(
        "league_desks",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "team_pk", sa.Integer, sa.ForeignKey("league_teams.pk"), nullable=False, index=True
        ),
        sa.Column("member", sa.Integer, nullable=False),
        sa.Column("token_hash", sa.String(64), unique=True),
        sa.Column("kicked", sa.Boolean, nullable=False),
        sa.Column("joined_at", sa.Float, nullable=False),
    )
    op.create_table(
        "league_plays",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "desk_pk", sa.Integer, sa.ForeignKey("league_desks.pk"), nullable=False, index=True
        ),
        sa.Column("round_index", sa.Integer, nullable=False),
        sa.Column("offset_s", sa.Float, nullable=False),
        sa.Column("head_seq", sa.Integer, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("last_t", sa.Float, nullable=False),
        sa.Column("claims", sa.Integer, nullable=False),
        sa.Column("current_contact", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "league_journal",
        sa.Column("play_pk", sa.Integer, sa.ForeignKey("league_plays.pk"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("t", sa.Float, nullable=False),
        sa.Column("contact_id", sa.Text, nullable=False),
        sa.Column("choice_id", sa.Text, nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "league_claims",
        sa.Column("play_pk", sa.Integer, sa.ForeignKey("league_plays.pk"), primary_key=True),
        sa.Column("n", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("k", sa.Integer, nullable=False),
        sa.Column("asked_s", sa.Float, nullable=False),
        sa.Column("ring_s", sa.Float, nullable=False),
        sa.Column("skipped", sa.Text, nullable=False),
    )
    op.create_table(
        "league_queues",
        sa.Column("team_pk", sa.Integer, sa.ForeignKey("league_teams.pk"), primary_key=True),
        sa.Column("round_index", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("next_k", sa.Integer, nullable=False),
    )
    op.create_table(
        "league_events",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "competition_pk",
            sa.Integer,
            sa.ForeignKey("competitions.pk"),
            nullable=False,
            index=True,
        ),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("league_events")
    op.drop_table("league_queues")
    op.drop_table("league_claims")
    op.drop_table("league_journal")
    op.drop_table("league_plays")
    op.drop_table("league_desks")
    op.drop_table("league_rounds")
    op.drop_table("league_teams")
    op.drop_table("competitions")
