"""Evidence names the run that wrote it, its scope, whether it counts for gates, and its withdrawal by an undo.

Milestone gates judge scoped evidence (a migration mapping's) on one run at a time: the newest run of the
scope that counts and was not withdrawn. Rows recorded before this revision are given their run and mapping
from what they already said (the source `migration run <uuid> (flow run ...)` and `detail.mapping`); a run
that neither passed nor loaded a batch does not count, and the evidence of an undone run is withdrawn.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 15:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('evidence', sa.Column('run_id', sa.Uuid(), nullable=True))
    op.add_column('evidence', sa.Column('scope', sa.String(length=200), nullable=True))
    op.add_column('evidence', sa.Column('counts', sa.Boolean(), server_default='true', nullable=False))
    op.add_column('evidence', sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('evidence', sa.Column('withdrawn_by', sa.String(length=200), nullable=True))
    op.add_column('evidence', sa.Column('withdrawn_reason', sa.Text(), nullable=True))
    op.create_check_constraint(op.f('ck_evidence_withdrawn_by_whom'), 'evidence',
                               '(withdrawn_at IS NULL) = (withdrawn_by IS NULL)')
    op.create_index('ix_evidence_run_id', 'evidence', ['run_id'], unique=False)
    op.execute(r"""
        UPDATE evidence SET run_id = CAST(substring(source FROM '^migration run ([0-9a-f-]{36})') AS uuid),
                            scope = detail ->> 'mapping'
        WHERE source ~ '^migration run [0-9a-f-]{36}' AND detail ->> 'mapping' IS NOT NULL""")
    op.execute("""
        UPDATE evidence e SET counts = false WHERE e.run_id IS NOT NULL AND e.scope IS NOT NULL
        AND coalesce(e.detail ->> 'status', '') <> 'passed' AND NOT EXISTS (
            SELECT 1 FROM migration_checkpoints c WHERE c.run_id = e.run_id AND c.phase = 'loaded'
            AND c.rows_loaded > 0)""")
    op.execute("""
        UPDATE evidence e SET withdrawn_at = now(), withdrawn_by = 'erpops db upgrade',
                              withdrawn_reason = 'migration run ' || r.id || ' was undone'
        FROM migration_runs r WHERE r.id = e.run_id AND r.status = 'undone'""")


def downgrade() -> None:
    op.drop_index('ix_evidence_run_id', table_name='evidence')
    op.drop_constraint(op.f('ck_evidence_withdrawn_by_whom'), 'evidence', type_='check')
    op.drop_column('evidence', 'withdrawn_reason')
    op.drop_column('evidence', 'withdrawn_by')
    op.drop_column('evidence', 'withdrawn_at')
    op.drop_column('evidence', 'counts')
    op.drop_column('evidence', 'scope')
    op.drop_column('evidence', 'run_id')
