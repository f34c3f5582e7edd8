"""Exams: settings, admin sessions, published exams, candidate codes, attempts, journals,
grades and events.

Revision ID: 0001_exams
Revises:
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_exams"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "admin_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_table(
        "exams",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ref", sa.Text, nullable=False),
        sa.Column("exam_id", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("title_zh", sa.Text, nullable=False),
        sa.Column("title_en", sa.Text, nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("forms", sa.Integer, nullable=False),
        sa.Column("customers", sa.Integer, nullable=False),
        sa.Column("limit_s", sa.Float, nullable=False),
        sa.Column("provenance", sa.Text, nullable=False),
        sa.Column("yaml_text", sa.Text, nullable=False),
        sa.Column("published_at", sa.Float, nullable=False),
        sa.Column("closed", sa.Boolean, nullable=False),
        sa.Column("codes_issued", sa.Integer, nullable=False),
    )
    op.create_table(
        "codes",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("exam_pk", sa.Integer, sa.ForeignKey("exams.pk"), nullable=False, index=True),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("candidate", sa.Text, nullable=False),
        sa.Column("form_index", sa.Integer, nullable=False),
        sa.Column("attempt_no", sa.Integer, nullable=False),
        sa.Column("issued_at", sa.Float, nullable=False),
    )
    op.create_table(
        "attempts",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("exam_pk", sa.Integer, sa.ForeignKey("exams.pk"), nullable=False, index=True),
        sa.Column("code_pk", sa.Integer, sa.ForeignKey("codes.pk"), nullable=False, unique=True),
        sa.Column("candidate", sa.Text, nullable=False),
        sa.Column("form_index", sa.Integer, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("clock_speed", sa.Float, nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("closed_reason", sa.String(16)),
        sa.Column("finished_at", sa.Float),
        sa.Column("head_seq", sa.Integer, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("last_t", sa.Float, nullable=False),
        sa.Column("last_seen_at", sa.Float, nullable=False),
        sa.Column("current_contact", sa.Text),
    )
    op.create_table(
        "journal",
        sa.Column("attempt_pk", sa.Integer, sa.ForeignKey("attempts.pk"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("t", sa.Float, nullable=False),
        sa.Column("contact_id", sa.Text, nullable=False),
        sa.Column("choice_id", sa.Text, nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "grades",
        sa.Column("attempt_pk", sa.Integer, sa.ForeignKey("attempts.pk"), primary_key=True),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("graded_at", sa.Float, nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("actor", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("exam_pk", sa.Integer),
        sa.Column("attempt_pk", sa.Integer),
        sa.Column("detail", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for name in ("events", "grades", "journal", "attempts", "codes", "exams",
                 "admin_sessions", "settings"):  # fmt: skip
        op.drop_table(name)
