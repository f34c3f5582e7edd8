"""Trainee history: trainees, their work (practice sessions, exam attempts, competition
rounds) and the per-contact figures that make work comparable.

Revision ID: 0002_trainees
Revises: 0001_exams
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_trainees"
down_revision = "0001_exams"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trainees",
        sa.Column("trainee_id", sa.String(200), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("group_name", sa.String(200), index=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "trainee_work",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "trainee_id",
            sa.String(200),
            sa.ForeignKey("trainees.trainee_id"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("form_key", sa.Text, nullable=False),
        sa.Column("form_label", sa.Text, nullable=False),
        sa.Column("seed", sa.Integer),
        sa.Column("scenario_hash", sa.String(64)),
        sa.Column("journeys_hash", sa.String(64)),
        sa.Column("model_version", sa.Text),
        sa.Column("attempt_pk", sa.Integer, unique=True),
        sa.Column("score", sa.Float),
        sa.Column("passed", sa.Boolean),
        sa.Column("contacts", sa.Integer, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
    )
    op.create_table(
        "trainee_contacts",
        sa.Column("work_pk", sa.Integer, sa.ForeignKey("trainee_work.pk"), primary_key=True),
        sa.Column("k", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("contact_id", sa.Text, nullable=False),
        sa.Column("journey_id", sa.Text),
        sa.Column("figures", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for name in ("trainee_contacts", "trainee_work", "trainees"):
        op.drop_table(name)
