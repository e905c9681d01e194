"""The write freeze of a go-live cutover: api_freezes, one row per freeze, the active one unreleased.

Not ERP content (left out of fingerprints). Downgrading drops the history of freezes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 19:50:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'api_freezes',
        sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column('frozen_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('frozen_by', sa.String(length=100), nullable=False),
        sa.Column('reason', sa.String(length=500), server_default='', nullable=False),
        sa.Column('retry_after_s', sa.Integer(), nullable=False),
        sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('released_by', sa.String(length=100), nullable=True),
        sa.CheckConstraint('retry_after_s BETWEEN 1 AND 86400', name=op.f('ck_api_freezes_retry_after_range')),
        sa.CheckConstraint('released_at IS NULL OR released_at >= frozen_at',
                           name=op.f('ck_api_freezes_released_after_frozen')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_freezes')),
    )
    op.create_index('ix_api_freezes_active', 'api_freezes', ['released_at'], unique=False,
                    postgresql_where=sa.text('released_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_api_freezes_active', table_name='api_freezes', postgresql_where=sa.text('released_at IS NULL'))
    op.drop_table('api_freezes')
