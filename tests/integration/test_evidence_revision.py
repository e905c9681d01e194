"""Revision 0006 on a database with evidence from before it: old migration evidence is judged as new would be."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from erp_models.project.evidence import EvidenceState, evidence_records, judged_evidence
from infra.migrate import alembic_config, upgrade


def test_old_migration_evidence_gets_its_run_and_mapping_and_undone_or_empty_runs_stop_counting(
    new_database: Callable[[], URL],
) -> None:
    engine = create_engine(new_database())
    try:
        before = ScriptDirectory.from_config(alembic_config(engine)).get_revision("0006").down_revision
        assert isinstance(before, str)
        upgrade(engine, before)
        passed, blocked, undone = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        with engine.begin() as conn:
            for n, (run_id, status) in enumerate(((passed, "passed"), (blocked, "blocked"), (undone, "undone"))):
                conn.execute(text("""INSERT INTO migration_runs (id, mapping_name, mapping_hash, mode, status)
                                     VALUES (:id, 'legacy', 'h', 'load', :st)"""), {"id": run_id, "st": status})
                conn.execute(text("""INSERT INTO evidence (key, value, source, detail, recorded_at) VALUES
                    ('migration.run.passed', :v, :src, CAST(:d AS jsonb), now() + :n * interval '1 minute')"""),
                    {"v": 1.0 if status == "passed" else 0.0, "src": f"migration run {run_id} (flow run x)",
                     "d": f'{{"mapping": "legacy", "status": "{status}"}}', "n": n})
            conn.execute(text("INSERT INTO evidence (key, value, source) VALUES ('manual.roles', 7, 'erpops manual')"))

        upgrade(engine, "0006")

        with Session(engine) as session:
            assert judged_evidence(session) == {"manual.roles": 7.0, "migration.run.passed": 1.0}
            states = {r.run_id: (r.scope, r.state) for r in evidence_records(session, history=True) if r.run_id}
            assert states == {passed: ("legacy", EvidenceState.JUDGED),
                              blocked: ("legacy", EvidenceState.NOT_COUNTING),
                              undone: ("legacy", EvidenceState.WITHDRAWN)}
    finally:
        engine.dispose()
