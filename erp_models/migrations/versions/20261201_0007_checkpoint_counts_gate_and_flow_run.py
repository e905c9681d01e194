"""Checkpoints keep what a batch did (inserted, updated, the gate's result); a run names its Prefect flow run.

A resumed run reports the counts and the gate a clean run would from the checkpoints of the batches it
skips, and marks the flow run it replaces (killed, so still RUNNING in Prefect) as crashed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 15:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('migration_checkpoints', sa.Column('rows_inserted', sa.Integer(), server_default='0',
                                                     nullable=False))
    op.add_column('migration_checkpoints', sa.Column('rows_updated', sa.Integer(), server_default='0',
                                                     nullable=False))
    op.add_column('migration_checkpoints', sa.Column('gate', postgresql.JSONB(astext_type=sa.Text()),
                                                     nullable=True))
    op.add_column('migration_runs', sa.Column('flow_run_id', sa.Uuid(), nullable=True))


def downgrade() -> None:
    op.drop_column('migration_runs', 'flow_run_id')
    op.drop_column('migration_checkpoints', 'gate')
    op.drop_column('migration_checkpoints', 'rows_updated')
    op.drop_column('migration_checkpoints', 'rows_inserted')
