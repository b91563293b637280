"""group-risk index: bigram sketches of recent citizen cases (case_shingles)

Revision ID: 0005_group_risk_index
Revises: inbound_replay_retention
Create Date: 2026-12-02 11:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.base

revision: str = '0005_group_risk_index'
down_revision: str | None = 'inbound_replay_retention'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('case_shingles',
    sa.Column('shingle', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('registered_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('case_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('bigram_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_shingles_case_id_cases'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shingle', 'registered_at', 'case_id', name=op.f('pk_case_shingles'))
    )
    op.create_index('ix_case_shingles_registered_at', 'case_shingles', ['registered_at'], unique=False)
    _backfill()


def _backfill() -> None:
    """Index the citizen cases of the last two days, so the group-risk window has no gap after the upgrade."""
    from datetime import UTC, datetime, timedelta

    from nlp.similarity import bigram_hashes, bigrams, sketch

    cases = sa.table('cases', sa.column('id', sa.Integer()), sa.column('content', sa.Text()),
                     sa.column('citizen_openid', sa.String()),
                     sa.column('registered_at', storage.base.UTCDateTime(timezone=True)))
    shingles = sa.table('case_shingles', sa.column('shingle', sa.Integer()),
                        sa.column('registered_at', storage.base.UTCDateTime(timezone=True)),
                        sa.column('case_id', sa.Integer()), sa.column('bigram_count', sa.Integer()))
    since = datetime.now(UTC) - timedelta(days=2)
    bind = op.get_bind()
    rows = bind.execute(sa.select(cases.c.id, cases.c.content, cases.c.registered_at).where(
        cases.c.registered_at >= since, cases.c.citizen_openid.is_not(None))).all()
    for case_id, content, registered_at in rows:
        hashes = bigram_hashes(bigrams(content or ""))
        values = [{"shingle": h, "registered_at": registered_at, "case_id": case_id,
                   "bigram_count": len(hashes)} for h in sketch(hashes)]
        if values:
            bind.execute(shingles.insert(), values)


def downgrade() -> None:
    op.drop_index('ix_case_shingles_registered_at', table_name='case_shingles')
    op.drop_table('case_shingles')
