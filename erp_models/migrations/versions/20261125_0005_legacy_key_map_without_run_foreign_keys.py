"""The legacy-key map names its runs without per-row foreign keys; deleting a run it names is refused instead.

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

revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
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
    op.execute("DROP TRIGGER trg_migration_runs_keep_mapped ON migration_runs")
    op.execute("DROP FUNCTION migration_runs_keep_mapped()")
    op.create_index(op.f('ix_legacy_key_map_last_run_id'), 'legacy_key_map', ['last_run_id'], unique=False)
    op.create_index(op.f('ix_legacy_key_map_first_run_id'), 'legacy_key_map', ['first_run_id'], unique=False)
    op.create_foreign_key(op.f('fk_legacy_key_map_last_run_id_migration_runs'), 'legacy_key_map', 'migration_runs',
                          ['last_run_id'], ['id'], ondelete='RESTRICT')
    op.create_foreign_key(op.f('fk_legacy_key_map_first_run_id_migration_runs'), 'legacy_key_map', 'migration_runs',
                          ['first_run_id'], ['id'], ondelete='RESTRICT')
