"""Id reservations of migration runs; the legacy-key map names its runs without per-row foreign keys.

A run decides the ids of an entity's new rows once, before its batches load, and records them in
migration_id_reservations, so batches can load in parallel and a resumed run writes the ids a clean
run would, while no other run hands the same ids out.

Each map row used to carry two foreign keys to migration_runs, each with its own index. Checked row by row,
they were a third of the cost of loading a map row, and no query needs those indexes: undo reads the map by
entity. Map rows are written only by the loader, for the run that is loading, and a trigger keeps a run the
map names from being deleted, which was all the foreign keys guarded against.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 18:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('migration_id_reservations',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.Uuid(), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('first_id', sa.BigInteger(), nullable=False),
    sa.Column('last_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('first_id > 0 AND last_id >= first_id', name=op.f('ck_migration_id_reservations_ids_ordered')),
    sa.ForeignKeyConstraint(['run_id'], ['migration_runs.id'], name=op.f('fk_migration_id_reservations_run_id_migration_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_migration_id_reservations')),
    sa.UniqueConstraint('run_id', 'entity', name=op.f('uq_migration_id_reservations_run_id_entity')),
    info={'erp_content': False}
    )
    op.create_index(op.f('ix_migration_id_reservations_table_name'), 'migration_id_reservations', ['table_name'], unique=False)
    op.drop_constraint(op.f('fk_legacy_key_map_first_run_id_migration_runs'), 'legacy_key_map', type_='foreignkey')
    op.drop_constraint(op.f('fk_legacy_key_map_last_run_id_migration_runs'), 'legacy_key_map', type_='foreignkey')
    op.drop_index(op.f('ix_legacy_key_map_first_run_id'), table_name='legacy_key_map')
    op.drop_index(op.f('ix_legacy_key_map_last_run_id'), table_name='legacy_key_map')
    op.execute("""
        CREATE FUNCTION migration_runs_keep_mapped() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM legacy_key_map WHERE first_run_id = OLD.id OR last_run_id = OLD.id) THEN
                RAISE EXCEPTION 'migration run % is named by the legacy-key map; undo it rather than delete it', OLD.id
                    USING ERRCODE = 'foreign_key_violation';
            END IF;
            RETURN OLD;
        END $$""")
    op.execute("""CREATE TRIGGER trg_migration_runs_keep_mapped BEFORE DELETE ON migration_runs
                  FOR EACH ROW EXECUTE FUNCTION migration_runs_keep_mapped()""")


def downgrade() -> None:
    op.drop_index(op.f('ix_migration_id_reservations_table_name'), table_name='migration_id_reservations')
    op.drop_table('migration_id_reservations')
    op.execute("DROP TRIGGER trg_migration_runs_keep_mapped ON migration_runs")
    op.execute("DROP FUNCTION migration_runs_keep_mapped()")
    op.create_index(op.f('ix_legacy_key_map_last_run_id'), 'legacy_key_map', ['last_run_id'], unique=False)
    op.create_index(op.f('ix_legacy_key_map_first_run_id'), 'legacy_key_map', ['first_run_id'], unique=False)
    op.create_foreign_key(op.f('fk_legacy_key_map_last_run_id_migration_runs'), 'legacy_key_map', 'migration_runs',
                          ['last_run_id'], ['id'], ondelete='RESTRICT')
    op.create_foreign_key(op.f('fk_legacy_key_map_first_run_id_migration_runs'), 'legacy_key_map', 'migration_runs',
                          ['first_run_id'], ['id'], ondelete='RESTRICT')
