"""The monitor's checks on a real PostgreSQL: each finds what was injected, and incidents open and resolve."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from erp_models.ops import monitor_probes as probes
from erp_models.ops.monitor import database_probe, invariants_probe, kpi_probe, outbox_probe, report_verdicts
from erp_models.ops.monitor_samples import previous_size, recent_samples, record_sample
from erp_models.ops.monitor_spec import MonitorSpec
from erp_models.ops.monitor_thresholds import judge_figures
from erp_models.sales import SalesOrder, SalesOrderLine
from expectations.live import live_checks, validate_live
from tests.integration.builders import a_sku, a_warehouse, an_order, channel, ref, stock_of


def test_the_database_probe_measures_connections_and_growth_against_the_previous_sample(session: Session) -> None:
    probe = database_probe(session, previous_size=None)
    assert probe.figures["db.reachable"] == 1.0 and 0 < (probe.figures["db.connections_ratio"] or 0) <= 1
    assert probe.figures["db.size_growth_ratio"] is None and probe.notes["db.size_growth_ratio"].startswith("n/a")
    size = probe.figures["db.size_bytes"] or 0
    database = ref("db")
    record_sample(session, run_id=uuid.uuid4(), database=database, passed=True,
                  figures={"db.size_bytes": size / 2}, keep_days=30)
    grown = database_probe(session, previous_size=previous_size(session, database=database))
    assert grown.figures["db.size_growth_ratio"] == pytest.approx(1.0, abs=0.05)  # about twice the last sample
    assert [s.figures["db.size_bytes"] for s in recent_samples(session, database=database, limit=5)] == [size / 2]


def test_bloat_is_the_dead_share_of_the_worst_table_big_enough_to_matter(new_database: Callable[[], URL]) -> None:
    engine = create_engine(new_database(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for table, rows, deleted in (("big", probes.BLOAT_MIN_ROWS + 2000, 0.5), ("small", 2000, 0.9)):
                conn.execute(text(f"CREATE TABLE {table} (id int) WITH (autovacuum_enabled = false)"))
                conn.execute(text(f"INSERT INTO {table} SELECT generate_series(1, {rows})"))
                conn.execute(text(f"DELETE FROM {table} WHERE id <= {int(rows * deleted)}"))
            conn.execute(text("SELECT pg_stat_force_next_flush()"))
        with Session(engine) as session:
            figures = probes.database_figures(session)
    finally:
        engine.dispose()
    assert figures.bloat_table == "big"  # the small table is deader, but too small to matter
    assert figures.bloat_ratio == pytest.approx(0.5, abs=0.01)


def test_connections_are_counted_by_the_application_that_holds_them(new_database: Callable[[], URL]) -> None:
    name = f"erpops-test-{uuid.uuid4().hex[:8]}"
    url = new_database()
    holders = [create_engine(url, connect_args={"application_name": name}, poolclass=NullPool) for _ in range(2)]
    counter = create_engine(url, poolclass=NullPool)

    def count(application: str) -> int:  # a transaction of its own: PostgreSQL snapshots its statistics per one
        with counter.connect() as conn:
            return probes.application_connections(conn, application)

    try:
        held = [engine.connect() for engine in holders]
        assert count(name) == 2 and count("no-such-application") == 0
        held[0].close()  # no pool: the connection ends, and its backend soon after
        deadline = time.monotonic() + 10
        while count(name) != 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert count(name) == 1
        held[1].close()
    finally:
        for engine in (*holders, counter):
            engine.dispose()


def test_an_injected_invariant_violation_is_counted(session: Session) -> None:
    sku, warehouse = a_sku(session), a_warehouse(session)
    assert invariants_probe(session).figures["invariants.violations"] == 0
    level = stock_of(session, sku, warehouse, on_hand=10)
    level.on_hand = 12  # on_hand the ledger does not explain
    session.flush()
    probe = invariants_probe(session)
    assert probe.figures["invariants.violations"] == 1 and "ledger_mismatch: 1" in probe.notes["invariants.violations"]


def test_an_event_no_consumer_read_for_an_hour_is_outbox_lag(session: Session) -> None:
    session.execute(text("DELETE FROM outbox_consumers"))
    assert outbox_probe(session).figures["outbox.lag_min"] is None  # nothing consumes the outbox: no lag
    session.execute(text("INSERT INTO outbox_consumers (name) VALUES ('webhooks')"))
    session.execute(text("""INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, payload, occurred_at)
                            VALUES ('OrderPlaced', 'sales_order', 1, '{}', now() - interval '61 minutes')"""))
    lag = outbox_probe(session)
    assert (lag.figures["outbox.lag_min"] or 0) >= 60 and lag.notes["outbox.lag_min"] == "slowest consumer webhooks"


def test_gx_finds_orders_without_lines_free_lines_stale_reservations_and_unpriced_skus(session: Session) -> None:
    sku, free = a_sku(session), a_sku(session, price_fen=0)
    stock_of(session, sku, a_warehouse(session), on_hand=50, reserved=1)
    an_order(session, sku)  # a good, fresh order
    empty = SalesOrder(channel_id=channel(session).id, external_id=ref("TM"))
    stale = SalesOrder(channel_id=channel(session).id, external_id=ref("TM"), total=0,
                       ordered_at=datetime.now(UTC) - timedelta(days=10))
    session.add_all([empty, stale])
    session.flush()
    session.add(SalesOrderLine(sales_order_id=stale.id, line_no=1, sku_id=sku.id, qty=1, unit_price=0))
    session.flush()
    frames = {"orders": probes.recent_orders(session, days=7),
              "order_lines": probes.recent_order_lines(session, days=30),
              "reservations": probes.open_reservations(session),
              "sku_prices": probes.active_sku_prices(session)}
    found = {r.check: r for r in validate_live(frames, live_checks(stale_reservation_days=7))}
    assert found["dq.orders_without_lines"].failing == 1 and found["dq.orders_without_lines"].sample_keys == [
        str(empty.id)]
    assert found["dq.nonpositive_prices"].failing == 1
    assert found["dq.stale_reservations"].failing == 1 and found["dq.stale_reservations"].sample_keys == [str(stale.id)]
    assert found["dq.skus_without_price"].sample_keys == [free.code]


def test_kpis_count_orders_per_channel_and_the_cover_of_the_best_seller(session: Session) -> None:
    sku = a_sku(session)
    stock_of(session, sku, a_warehouse(session), on_hand=70)
    an_order(session, sku, qty=7)
    probe = kpi_probe(session, MonitorSpec(kpi_window_days=7))
    assert probe.by_channel["tmall"] > 0 and probe.figures["kpi.orders_per_hour"] == pytest.approx(
        sum(probe.by_channel.values()))
    best = next(s for s in probe.top_skus if s.sku == sku.code)
    assert (best.sold, best.available, best.days_of_cover) == (7, 70, 70.0)  # 1 a day sold, 70 on hand


def test_kpis_leave_a_load_tests_tagged_orders_out(session: Session) -> None:
    before = kpi_probe(session, MonitorSpec(kpi_window_days=7))
    tagged = a_sku(session)
    tagged.code = ref("LT-0a1b2c")  # a load test's SKU
    stock_of(session, tagged, a_warehouse(session), on_hand=0)
    an_order(session, tagged, qty=1_000_000)
    after = kpi_probe(session, MonitorSpec(kpi_window_days=7))
    assert after.by_channel == before.by_channel and after.figures["kpi.stock_outs"] == before.figures["kpi.stock_outs"]
    assert tagged.code not in {s.sku for s in after.top_skus}


def test_a_violation_opens_an_incident_that_persists_then_resolves_when_the_check_passes(session: Session) -> None:
    limits = MonitorSpec().limits()
    failing = judge_figures({"db.lock_waiters": 9.0}, {"db.lock_waiters": limits["db.lock_waiters"]})
    first = report_verdicts(session, failing, source="monitor flow run 1", run_id=uuid.uuid4())
    second = report_verdicts(session, failing, source="monitor flow run 2", run_id=uuid.uuid4())
    assert first.opened and second.updated == first.opened and "db.lock_waiters" in second.still_open
    passing = judge_figures({"db.lock_waiters": 0.0}, {"db.lock_waiters": limits["db.lock_waiters"]})
    third = report_verdicts(session, passing, source="monitor flow run 3", run_id=uuid.uuid4())
    assert third.resolved == first.opened and "db.lock_waiters" not in third.still_open
