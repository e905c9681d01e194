"""Purchase orders say what drafted them when not a person (origin 'analysis': the reorder proposals), and the
analysis keeps at most one draft of its own per supplier and warehouse.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 12:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('purchase_orders', sa.Column('origin', sa.String(length=32), nullable=True))
    op.create_index('ux_purchase_orders_analysis_draft', 'purchase_orders', ['supplier_id', 'warehouse_id'],
                    unique=True, postgresql_where=sa.text("origin = 'analysis' AND status = 'draft'"))


def downgrade() -> None:
    op.drop_index('ux_purchase_orders_analysis_draft', table_name='purchase_orders',
                  postgresql_where=sa.text("origin = 'analysis' AND status = 'draft'"))
    op.drop_column('purchase_orders', 'origin')
