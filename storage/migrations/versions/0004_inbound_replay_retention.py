"""inbound log: spent query keys (replay guard) and a received_at index (retention)

Revision ID: inbound_replay_retention
Revises: 0003_console_sessions
Create Date: 2026-12-02 11:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'inbound_replay_retention'
down_revision: str | None = '0003_console_sessions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('query_key', sa.String(length=80), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_inbound_messages_query_key'), ['query_key'])
        batch_op.create_index(batch_op.f('ix_inbound_messages_received_at'), ['received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_messages_received_at'))
        batch_op.drop_constraint(batch_op.f('uq_inbound_messages_query_key'), type_='unique')
        batch_op.drop_column('query_key')
