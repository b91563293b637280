"""case lifecycle: review chain link, 回头看 answers, lost media, leaders' county-wide scope

Revision ID: 0006_case_lifecycle
Revises: 0005_group_risk_index
Create Date: 2026-12-02 11:15:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.base

revision: str = "0006_case_lifecycle"
down_revision: str | None = "0005_group_risk_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("review_of_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("follow_up_asked_at", storage.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("follow_up_answer", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("follow_up_answered_at", storage.base.UTCDateTime(timezone=True),
                                   nullable=True))
        batch.create_foreign_key(op.f("fk_cases_review_of_id_cases"), "cases", ["review_of_id"], ["id"])
        batch.create_index(op.f("ix_cases_review_of_id"), ["review_of_id"], unique=False)
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("lost_at", storage.base.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("scope", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_column("scope")
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("lost_at")
    with op.batch_alter_table("cases") as batch:
        batch.drop_index(op.f("ix_cases_review_of_id"))
        batch.drop_constraint(op.f("fk_cases_review_of_id_cases"), type_="foreignkey")
        batch.drop_column("follow_up_answered_at")
        batch.drop_column("follow_up_answer")
        batch.drop_column("follow_up_asked_at")
        batch.drop_column("review_of_id")
