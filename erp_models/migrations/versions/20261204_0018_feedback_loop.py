"""The feedback loop: feedback links to a milestone and a role, triage gives it an owner, and a resolution names the
change (release tag, git sha or flow run id) that resolved it, and when.

Old rows stay valid: every new column is nullable, and resolutions made before this revision keep no change.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 12:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0018'
down_revision: Union[str, Sequence[str], None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('feedback', sa.Column('milestone', sa.String(length=32), nullable=True))
    op.add_column('feedback', sa.Column('role', sa.String(length=32), nullable=True))
    op.add_column('feedback', sa.Column('owner', sa.String(length=64), nullable=True))
    op.add_column('feedback', sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('feedback', sa.Column('resolved_by_change', sa.String(length=64), nullable=True))
    op.create_check_constraint(op.f('ck_feedback_resolved_at_when_resolved'), 'feedback',
                               "resolved_at IS NULL OR status IN ('resolved', 'closed')")


def downgrade() -> None:
    op.drop_constraint(op.f('ck_feedback_resolved_at_when_resolved'), 'feedback', type_='check')
    for column in ('resolved_by_change', 'resolved_at', 'owner', 'role', 'milestone'):
        op.drop_column('feedback', column)
