"""Entities that read one file are staged from one reading of it, with the outcome of each reading its own."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from erp_models.fingerprint import database_fingerprint
from erp_models.migration.service import extract
from tests.integration.migration_driver import migrate, upgraded_engine

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "examples" / "uci_online_retail" / "mapping.yaml"
DATA = ROOT.parent / "shared" / "data" / "uci_online_retail"
DAYS = ["2010-12-01.csv", "2010-12-02.csv"]


@pytest.fixture
def two_days(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped UCI mapping over two of the real daily files."""
    if not DATA.is_dir():
        pytest.skip(f"the UCI files are not at {DATA}")
    folder = tmp_path / "uci"
    folder.mkdir()
    for day in DAYS:
        shutil.copy(DATA / day, folder / day)
    monkeypatch.setenv("ERPOPS_UCI_DATA", str(folder))
    return folder


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each file is parsed in full (lookups and a delta's first look read only some columns)."""
    counts: Counter[str] = Counter()
    original = extract.read_csv_batches

    def counting(path: Path, *args: Any, **kwargs: Any) -> Iterator[extract.RawBatch]:
        counts[path.name] += 1
        yield from original(path, *args, **kwargs)

    monkeypatch.setattr(extract, "read_csv_batches", counting)
    return counts


def test_the_uci_entities_read_the_files_twice_instead_of_six_times_with_the_same_outcome(
        two_days: Path, parsed: Counter[str], new_database: Callable[[], URL]) -> None:
    outcomes, fingerprints = {}, {}
    for together in (False, True):
        parsed.clear()
        for engine in upgraded_engine(new_database):
            outcomes[together] = migrate(engine, MAPPING, together=together)
            with Session(engine) as session:
                fingerprints[together] = database_fingerprint(session)[1]
        # six entities read the files; the lines share their orders' rejects, so they read them after the orders
        assert parsed == Counter(dict.fromkeys(DAYS, 2 if together else 6)), together
    assert outcomes[True].entities == outcomes[False].entities
    assert fingerprints[True] == fingerprints[False]
    lines = outcomes[True]["sales_order_lines"]
    assert lines["reasons"]["rejected_non_product"] > 0 and lines["reconciliation"].ok
