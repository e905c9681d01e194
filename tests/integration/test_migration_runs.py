"""Run bookkeeping and SQL sources: what --resume picks, and legacy rows read from a database."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pandas as pd
import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from erp_models.enums import CheckpointPhase
from erp_models.migration import listing, loader, runs, staging
from erp_models.migration.mapping import Entity, Mapping
from erp_models.migration.service.extract import SourceError, batches
from erp_models.migration.targets import TARGETS
from tests.integration.builders import ref


def test_resume_picks_the_newest_unfinished_load(session: Session) -> None:
    name = ref("mapping")
    killed = runs.start_run(session, mapping_name=name, mapping_hash="h", mode="load")
    assert runs.resumable_run(session, mapping_name=name) == (killed, "load")


def test_a_retried_flow_run_finds_the_run_it_had_started_and_no_other(session: Session) -> None:
    name = ref("mapping")
    killed = runs.start_run(session, mapping_name=name, mapping_hash="h", mode="load")
    flow_run, other = uuid.uuid4(), uuid.uuid4()
    runs.swap_flow_run(session, run_id=killed, flow_run_id=flow_run)
    assert runs.resumable_run(session, mapping_name=name, done_by=flow_run) == (killed, "load")
    assert runs.resumable_run(session, mapping_name=name, done_by=other) is None  # a new run starts afresh


def test_an_unfinished_run_superseded_by_a_later_load_is_not_resumed(session: Session) -> None:
    name = ref("mapping")
    runs.start_run(session, mapping_name=name, mapping_hash="h", mode="load")
    later = runs.start_run(session, mapping_name=name, mapping_hash="h", mode="load")
    # Both rows share the transaction's now(); the later run starts a second later.
    session.execute(text("UPDATE migration_runs SET started_at = started_at + interval '1 second' WHERE id = :id"),
                    {"id": later})
    runs.finish_run(session, run_id=later, status="passed", summary={})
    assert runs.resumable_run(session, mapping_name=name) is None


def test_a_run_the_legacy_key_map_names_cannot_be_deleted(session: Session) -> None:
    mapped = runs.start_run(session, mapping_name=ref("mapping"), mapping_hash="h", mode="load")
    unused = runs.start_run(session, mapping_name=ref("mapping"), mapping_hash="h", mode="load")
    session.execute(text("""INSERT INTO legacy_key_map (entity, legacy_key, target_id, row_hash, first_run_id,
                            last_run_id) VALUES ('customers', :k, 1, 'h', :r, :r)"""), {"k": ref("key"), "r": mapped})

    session.execute(text("DELETE FROM migration_runs WHERE id = :r"), {"r": unused})
    with pytest.raises(IntegrityError, match="named by the legacy-key map"), session.begin_nested():
        session.execute(text("DELETE FROM migration_runs WHERE id = :r"), {"r": mapped})

    assert session.execute(text("SELECT count(*) FROM migration_runs WHERE id IN (:a, :b)"),
                           {"a": mapped, "b": unused}).scalar_one() == 1


@pytest.fixture
def legacy_db(new_database: Callable[[], URL]) -> str:
    url = new_database()
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE gys (bianhao text, mingcheng text)")
        conn.execute("INSERT INTO gys VALUES ('S1', '义乌市恒达日用品有限公司'), ('S2', NULL)")
    return url.render_as_string(hide_password=False)


def sql_entity(url: str, query: str) -> Entity:
    return Entity.model_validate({"target": "suppliers", "legacy_key": "{bianhao}",
                                  "source": {"sql": {"url": url, "query": query}},
                                  "columns": {"code": {"from": "bianhao"}, "name": {"from": "mingcheng"}}})


def test_a_sql_source_streams_its_rows_as_text(legacy_db: str) -> None:
    [batch] = list(batches(sql_entity(legacy_db, "SELECT * FROM gys ORDER BY bianhao"), None, 100))  # type: ignore[arg-type]
    assert batch.frame["mingcheng"].tolist() == ["义乌市恒达日用品有限公司", None]
    assert batch.frame["_line"].tolist() == [1, 2]


def test_a_sql_source_without_a_mapped_column_is_one_line(legacy_db: str) -> None:
    with pytest.raises(SourceError, match=r"sql source column 'mingcheng': missing from the query's result"):
        list(batches(sql_entity(legacy_db, "SELECT bianhao FROM gys"), None, 100))  # type: ignore[arg-type]


def test_a_failing_query_is_one_line(legacy_db: str) -> None:
    with pytest.raises(SourceError, match=r"sql source: .*nope"):
        list(batches(sql_entity(legacy_db, "SELECT * FROM nope"), None, 100))  # type: ignore[arg-type]


def stage_warehouses(session: Session, run_id: uuid.UUID, codes: list[str]) -> str:
    """Stage warehouses for a run as the staging phase would, and resolve them for loading."""
    target = TARGETS["warehouses"]
    table = staging.create_staging(session, run_id, "warehouses", target)
    frame = pd.DataFrame({"code": codes, "name": [f"仓库 {c}" for c in codes], "province": None, "city": None,
                          "legacy_key": codes, "row_hash": "h", "_line": range(2, 2 + len(codes))})
    staging.copy_batch(session, table, frame, target, 1)
    assert staging.prepare(session, table, target) == []
    loader.assign_ids(session, table=table, target=target, entity="warehouses", run_id=run_id)
    return table


def test_a_second_run_never_gets_the_ids_an_unfinished_run_reserved(session: Session) -> None:
    killed = runs.start_run(session, mapping_name=ref("mapping"), mapping_hash="h", mode="load")
    second = runs.start_run(session, mapping_name=ref("mapping"), mapping_hash="h", mode="load")
    stage_warehouses(session, killed, [ref("W"), ref("W")])  # reserved, and nothing loaded yet
    stage_warehouses(session, second, [ref("W")])

    ranges = dict(session.execute(text("""SELECT run_id, int8range(first_id, last_id, '[]')::text
        FROM migration_id_reservations WHERE run_id IN (:a, :b)"""), {"a": killed, "b": second}).all())
    start, end = (int(n) for n in ranges[killed].strip("[)").split(","))  # [start, end): two ids
    assert end - start == 2 and ranges[second] == f"[{end},{end + 1})"
    assert session.execute(text("SELECT nextval(pg_get_serial_sequence('warehouses', 'id'))")).scalar_one() > end


def test_a_new_row_whose_code_the_api_took_meanwhile_adopts_that_row(session: Session) -> None:
    run_id = runs.start_run(session, mapping_name=ref("mapping"), mapping_hash="h", mode="load")
    code = ref("W")
    table = stage_warehouses(session, run_id, [code])
    api_id = session.execute(text("INSERT INTO warehouses (code, name) VALUES (:c, 'made by the API') RETURNING id"),
                             {"c": code}).scalar_one()

    done = loader.upsert_batch(session, table=table, target=TARGETS["warehouses"], entity="warehouses",
                               run_id=run_id, batch_no=1, mapped={"code", "name"})

    assert (done.inserted, done.updated) == (0, 1)
    assert session.execute(text("SELECT name FROM warehouses WHERE code = :c"), {"c": code}).all() == [
        (f"仓库 {code}",)]
    assert session.execute(text("SELECT target_id FROM legacy_key_map WHERE entity = 'warehouses' AND legacy_key = :c"),
                           {"c": code}).scalar_one() == api_id


def test_the_runs_list_shows_the_newest_run_first_with_its_counts(session: Session) -> None:
    name = ref("mapping")
    older = runs.start_run(session, mapping_name=name, mapping_hash="h", mode="load")
    newer = runs.start_run(session, mapping_name=name, mapping_hash="h", mode="delta")
    session.execute(text("UPDATE migration_runs SET started_at = started_at - interval '1 hour' WHERE id = :id"),
                    {"id": older})
    entities = [{"entity": "customers", "read": 5, "inserted": 3, "updated": 1, "unchanged": 0, "quarantined": 1,
                 "rejected": 0}, {"entity": "sales_orders", "read": 2, "inserted": 2}]
    runs.finish_run(session, run_id=older, status="passed", summary={"entities": entities})

    found = listing.list_runs(session, mapping_name=name)

    assert [(r.id, r.mode, r.status) for r in found] == [(newer, "delta", "running"), (older, "load", "passed")]
    assert found[1].counts == {"read": 7, "inserted": 5, "updated": 1, "unchanged": 0, "quarantined": 1,
                               "rejected": 0}
    assert found[0].counts == {} and found[0].finished is None
    assert found[1].to_json()["id"] == str(older)


def test_clean_keeps_the_staging_a_resume_needs_and_drops_the_rest(session: Session) -> None:
    name = ref("mapping")
    passed = runs.start_run(session, mapping_name=name, mapping_hash="h", mode="load")
    killed = runs.start_run(session, mapping_name=name, mapping_hash="h", mode="load")
    session.execute(text("UPDATE migration_runs SET started_at = now() - interval '2 days' WHERE id = :id"),
                    {"id": passed})
    session.execute(text("UPDATE migration_runs SET started_at = now() - interval '1 day' WHERE id = :id"),
                    {"id": killed})
    runs.finish_run(session, run_id=passed, status="passed", summary={})
    for run in (passed, killed):
        staging.create_staging(session, run, "customers", TARGETS["customers"])

    def leftover(days: float | None) -> set[uuid.UUID | None]:
        return {t.run_id for t in listing.leftover_staging(session, older_than_days=days)} & {passed, killed}

    assert leftover(None) == {passed}  # the killed run is the newest load: --resume continues it
    assert leftover(2) == {passed}
    assert leftover(0.5) == {passed, killed}
    listing.drop_tables(session, listing.leftover_staging(session, older_than_days=None))
    assert leftover(0.5) == {killed}


def test_the_rows_staging_should_hold_follow_the_checkpoints_until_staging_is_forgotten(session: Session) -> None:
    run = runs.start_run(session, mapping_name=ref("mapping"), mapping_hash="h", mode="load")
    assert runs.staged_rows_expected(session, run_id=run, entity="customers") is None
    runs.checkpoint(session, run_id=run, entity="customers", phase=CheckpointPhase.STAGED, batch_no=1, read=6, loaded=5)
    runs.checkpoint(session, run_id=run, entity="customers", phase=CheckpointPhase.STAGED, batch_no=2, read=4, loaded=3)
    runs.checkpoint(session, run_id=run, entity="customers", phase=CheckpointPhase.STAGED, batch_no=0, quarantined=1)
    runs.checkpoint(session, run_id=run, entity="customers", phase=CheckpointPhase.LOADED, batch_no=0, quarantined=1)
    runs.checkpoint(session, run_id=run, entity="customers", phase=CheckpointPhase.LOADED, batch_no=1, loaded=4,
                    inserted=3, updated=1)
    assert runs.staged_rows_expected(session, run_id=run, entity="customers") == 6

    runs.forget_staging(session, run_id=run, entity="customers")

    assert runs.staged_rows_expected(session, run_id=run, entity="customers") is None
    loaded = runs.done_batches(session, run_id=run, entity="customers", phase=CheckpointPhase.LOADED)
    assert list(loaded) == [1] and (loaded[1]["inserted"], loaded[1]["updated"]) == (3, 1)


def test_a_resume_names_the_flow_run_it_replaces(session: Session) -> None:
    run = runs.start_run(session, mapping_name=ref("mapping"), mapping_hash="h", mode="load")
    first, second = uuid.uuid4(), uuid.uuid4()
    assert runs.swap_flow_run(session, run_id=run, flow_run_id=first) is None
    assert runs.swap_flow_run(session, run_id=run, flow_run_id=second) == first


def finished(session: Session, mapping: str, mode: str, hours_ago: int, marks: dict[str, str]) -> uuid.UUID:
    run_id = runs.start_run(session, mapping_name=mapping, mapping_hash="h", mode=mode)
    runs.finish_run(session, run_id=run_id, status="passed", summary={"watermarks": marks})
    session.execute(text("""UPDATE migration_runs SET started_at = now() - make_interval(hours => :h),
                            finished_at = now() - make_interval(hours => :h) + interval '1 minute' WHERE id = :r"""),
                    {"h": hours_ago, "r": run_id})
    return run_id


def test_undoing_a_delta_puts_the_watermark_back_where_that_delta_started(session: Session) -> None:
    mapping = Mapping(name=ref("mapping"), entities={"sales_orders": Entity.model_validate({
        "target": "sales_orders", "legacy_key": "{no}", "source": {"csv": {"path": "o.csv"}},
        "watermark": "updated_at", "columns": {"channel": {"value": "tmall"}, "external_id": {"from": "no"},
                                               "total": {"from": "amount"}, "ordered_at": {"from": "created"}}})})
    finished(session, mapping.name, "load", 3, {"sales_orders": "2024-06-02T11:30:00"})
    first = finished(session, mapping.name, "delta", 2, {"sales_orders": "2024-06-05T08:00:00"})
    finished(session, mapping.name, "delta", 1, {})  # a delta that loaded nothing
    assert runs.last_watermarks(session, mapping=mapping) == {"sales_orders": "2024-06-05T08:00:00"}

    runs.undo_run(session, run_id=first, entities=[])

    assert runs.last_watermarks(session, mapping=mapping) == {"sales_orders": "2024-06-02T11:30:00"}


def test_statistics_are_refreshed_when_a_load_grows_a_table_by_more_than_a_tenth(session: Session) -> None:
    target = TARGETS["categories"]

    def known() -> float:
        return float(session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'categories'")))

    session.execute(text("INSERT INTO categories (code, name) "
                         "SELECT 'STAT-' || n, 'n' FROM generate_series(1, 20000) n"))
    assert loader.refresh_statistics(session, target, inserted=20_000)
    assert known() >= 20_000, "ANALYZE gave the planner the table's size"
    assert not loader.refresh_statistics(session, target, inserted=50), "a few rows leave the statistics alone"
    assert not loader.refresh_statistics(session, target, inserted=1500), "growth under a tenth leaves them alone"
    assert loader.refresh_statistics(session, target, inserted=5000)
