"""The evidence store: which recorded value the gates read, and what `erpops evidence list` shows beside it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from erp_models.project import models as m
from erp_models.project.evidence import (
    EvidenceState,
    evidence_records,
    judged_evidence,
    record_evidence,
    run_counts,
    withdraw_evidence,
)
from tests.integration.builders import ref

GOOD = {"migration.run.passed": 1.0, "migration.sales_orders.quarantine_rate": 0.01}


@pytest.fixture(autouse=True)
def empty_store(session: Session) -> None:
    # Other tests commit evidence to the shared database; inside this test's rolled-back transaction it is gone.
    session.execute(delete(m.Evidence))


def a_run(session: Session, mapping: str, values: dict[str, float], *, counts: bool = True) -> uuid.UUID:
    """A migration run's evidence; in one transaction every row shares now(), and the later row id is newer."""
    run_id = uuid.uuid4()
    record_evidence(session, source=f"migration run {run_id}", values=values, run_id=run_id, scope=mapping,
                    counts=counts)
    return run_id


def test_a_run_counts_when_it_passed_or_loaded_something() -> None:
    assert run_counts(passed=True, loaded_rows=0)
    assert run_counts(passed=False, loaded_rows=1)
    assert not run_counts(passed=False, loaded_rows=0)


def test_every_key_of_a_mapping_is_read_from_its_newest_counting_run_whatever_the_prefix(session: Session) -> None:
    mapping = ref("mapping")
    a_run(session, mapping, GOOD)
    a_run(session, mapping, {"migration.run.passed": 0.0})  # crashed after loading: counts, says little

    assert judged_evidence(session, prefix="migration.") == {"migration.run.passed": 0.0}
    assert judged_evidence(session, prefix="migration.sales_orders.") == {}


def test_a_run_that_does_not_count_is_listed_but_never_judged(session: Session) -> None:
    mapping = ref("mapping")
    good = a_run(session, mapping, GOOD)
    blocked = a_run(session, mapping, {"migration.run.passed": 0.0}, counts=False)

    assert judged_evidence(session) == GOOD
    listed = evidence_records(session, prefix="migration.run.")
    assert [(r.value, r.run_id, r.state) for r in listed] == [
        (0.0, blocked, EvidenceState.NOT_COUNTING), (1.0, good, EvidenceState.JUDGED)]


def test_withdrawn_evidence_is_listed_with_who_and_why_and_the_run_before_is_judged_again(session: Session) -> None:
    mapping = ref("mapping")
    good = a_run(session, mapping, GOOD)
    undone = a_run(session, mapping, {"migration.run.passed": 0.0, "migration.sales_orders.quarantine_rate": 0.3})

    assert withdraw_evidence(session, run_id=undone, by="li.qiang", reason="run undone") == 2
    assert withdraw_evidence(session, run_id=undone, by="li.qiang", reason="again") == 0  # once only

    assert judged_evidence(session) == GOOD
    [newest, judged] = evidence_records(session, prefix="migration.run.")
    assert (newest.run_id, newest.state, newest.withdrawn_by, newest.withdrawn_reason) == (
        undone, EvidenceState.WITHDRAWN, "li.qiang", "run undone")
    assert newest.withdrawn_at is not None
    assert (judged.run_id, judged.state) == (good, EvidenceState.JUDGED)


def test_each_mapping_is_judged_on_its_own_run_and_the_newest_value_of_a_shared_key_wins(session: Session) -> None:
    orders, catalogue = ref("orders"), ref("catalogue")
    a_run(session, orders, GOOD)
    a_run(session, catalogue, {"migration.run.passed": 1.0, "migration.products.loaded": 40.0})
    a_run(session, catalogue, {"migration.run.passed": 0.0, "migration.products.loaded": 10.0}, counts=False)

    assert judged_evidence(session) == GOOD | {"migration.products.loaded": 40.0}


def test_the_list_shows_the_judged_value_and_what_came_after_it_and_all_of_it_on_request(session: Session) -> None:
    record_evidence(session, source="junit a.xml", values={"tests.integration.pass_rate": 0.5})
    record_evidence(session, source="junit b.xml", values={"tests.integration.pass_rate": 1.0})

    [latest] = evidence_records(session, prefix="tests.")
    assert (latest.value, latest.source, latest.run_id, latest.state) == (1.0, "junit b.xml", None,
                                                                          EvidenceState.JUDGED)
    assert [r.state for r in evidence_records(session, prefix="tests.", history=True)] == [
        EvidenceState.JUDGED, EvidenceState.SUPERSEDED]
