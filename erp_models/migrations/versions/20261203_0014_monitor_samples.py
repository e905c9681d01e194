"""Monitor samples: one row per monitor run with the figures it measured (size growth, charts over the last runs).

Not ERP content (left out of fingerprints). Downgrading drops the samples.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 00:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'monitor_samples',
        sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column('run_id', sa.Uuid(), nullable=True),
        sa.Column('taken_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('database', sa.String(length=120), nullable=False),
        sa.Column('passed', sa.Boolean(), nullable=False),
        sa.Column('figures', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_monitor_samples')),
    )
    op.create_index('ix_monitor_samples_taken_at', 'monitor_samples', ['taken_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_monitor_samples_taken_at', table_name='monitor_samples')
    op.drop_table('monitor_samples')
