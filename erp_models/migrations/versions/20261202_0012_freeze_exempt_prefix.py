"""A freeze may exempt one username prefix (the cutover smoke test's tagged users): api_freezes.exempt_prefix.

Null: no exemption. Released freezes keep theirs as history. Downgrading drops that history.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('api_freezes', sa.Column('exempt_prefix', sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column('api_freezes', 'exempt_prefix')
