"""Incidents: what operations found wrong on the live ERP, at most one unresolved per check.

Not ERP content (left out of fingerprints). Downgrading drops the incident history.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 00:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'incidents',
        sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column('check', sa.String(length=120), nullable=False),
        sa.Column('severity', sa.Enum('warning', 'critical', name='severity', native_enum=False, length=32,
                                      create_constraint=True), nullable=False),
        sa.Column('status', sa.Enum('open', 'acknowledged', 'resolved', name='status', native_enum=False, length=32,
                                    create_constraint=True), server_default='open', nullable=False),
        sa.Column('summary', sa.String(length=500), nullable=False),
        sa.Column('detail', sa.Text(), server_default='', nullable=False),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('run_id', sa.Uuid(), nullable=True),
        sa.Column('last_value', sa.Double(), nullable=True),
        sa.Column('occurrences', sa.Integer(), server_default='1', nullable=False),
        sa.Column('opened_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('acknowledged_by', sa.String(length=100), nullable=True),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('resolved_by', sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
    )
    op.create_index('ix_incidents_opened_at', 'incidents', ['opened_at'], unique=False)
    op.create_index('ux_incidents_unresolved_check', 'incidents', ['check'], unique=True,
                    postgresql_where=sa.text('resolved_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ux_incidents_unresolved_check', table_name='incidents',
                  postgresql_where=sa.text('resolved_at IS NULL'))
    op.drop_index('ix_incidents_opened_at', table_name='incidents')
    op.drop_table('incidents')
