"""The outbox's order and consumer positions survive pg_dump/pg_restore onto another cluster.

Events and consumer positions gain an `epoch`: a stretch of the outbox's life on one cluster, kept in
`outbox_epochs` with the cluster's `system_identifier`. The default of `outbox_events.epoch`, the function
`outbox_epoch()`, starts the next epoch on the first event written on a cluster other than the latest
epoch's, so events written after a restore sort after every restored one (see erp_models.integration.outbox).
Existing events and every consumer that has read something are placed in epoch 1, this cluster's.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-01 19:55:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# READ COMMITTED gives each statement a fresh snapshot: when two writers start the same epoch, the second
# waits on the first's uncommitted key, then does nothing and uses it. Only this cluster writes here, so a
# conflicting epoch is this cluster's.
OUTBOX_EPOCH = """
    CREATE FUNCTION outbox_epoch() RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
    DECLARE
        here bigint := (SELECT system_identifier FROM pg_control_system());
        latest integer;
        latest_system bigint;
    BEGIN
        SELECT epoch, system_identifier INTO latest, latest_system FROM outbox_epochs ORDER BY epoch DESC LIMIT 1;
        IF latest IS NOT NULL AND latest_system = here THEN
            RETURN latest;
        END IF;
        INSERT INTO outbox_epochs (epoch, system_identifier) VALUES (coalesce(latest, 0) + 1, here)
            ON CONFLICT (epoch) DO NOTHING;
        RETURN coalesce(latest, 0) + 1;
    END $$
"""


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'outbox_epochs',
        sa.Column('epoch', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('system_identifier', sa.BigInteger(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('epoch', name=op.f('pk_outbox_epochs')),
    )
    op.execute("INSERT INTO outbox_epochs (epoch, system_identifier) "
               "SELECT 1, system_identifier FROM pg_control_system()")
    op.execute(OUTBOX_EPOCH)
    op.add_column('outbox_events', sa.Column('epoch', sa.Integer(), server_default='1', nullable=False))
    op.alter_column('outbox_events', 'epoch', server_default=sa.text('outbox_epoch()'))
    op.add_column('outbox_consumers', sa.Column('last_epoch', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE outbox_consumers SET last_epoch = 1 WHERE last_tx_id > 0 OR last_event_id > 0")
    op.drop_index('ix_outbox_events_tx_id_id', table_name='outbox_events')
    op.create_index('ix_outbox_events_epoch_tx_id_id', 'outbox_events', ['epoch', 'tx_id', 'id'], unique=False)


def downgrade() -> None:
    """Downgrade schema. Positions past a restore lose their epoch: run it only on the cluster of epoch 1."""
    op.drop_index('ix_outbox_events_epoch_tx_id_id', table_name='outbox_events')
    op.create_index('ix_outbox_events_tx_id_id', 'outbox_events', ['tx_id', 'id'], unique=False)
    op.drop_column('outbox_consumers', 'last_epoch')
    op.drop_column('outbox_events', 'epoch')
    op.execute("DROP FUNCTION outbox_epoch()")
    op.drop_table('outbox_epochs')
