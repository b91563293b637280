"""media store: media_blobs table; attachment paths made relative to the media directory

Revision ID: 0002_media_store
Revises: 0001
Create Date: 2026-12-02 11:20:00
"""
from collections.abc import Sequence
from pathlib import PurePath

import sqlalchemy as sa
from alembic import op

import storage.base


revision: str = '0002_media_store'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('media_blobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=512), nullable=False),
    sa.Column('content_type', sa.String(length=128), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_blobs')),
    sa.UniqueConstraint('key', name=op.f('uq_media_blobs_key'))
    )
    # Files were always written as <media_dir>/<yyyymmdd>/<name>; the stored path was that joined
    # string, absolute or relative to the process's working directory. Keep the last two parts: the
    # reference relative to the media directory, the same on every host.
    attachments = sa.table('attachments', sa.column('id', sa.Integer), sa.column('stored_path', sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(attachments.c.id, attachments.c.stored_path)
                        .where(attachments.c.stored_path.is_not(None))).all()
    for attachment_id, path in rows:
        if path.startswith('db:'):
            continue
        relative = '/'.join(PurePath(path.replace('\\', '/')).parts[-2:])
        if relative != path:
            conn.execute(attachments.update().where(attachments.c.id == attachment_id)
                         .values(stored_path=relative))


def downgrade() -> None:
    op.drop_table('media_blobs')
