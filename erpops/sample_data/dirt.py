"""CSV sinks, money text and the defect injector shared by the sample-data generators."""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from erpops.sample_data.vocab import BAD_DATES

# Defect kinds, and what the sample mapping plus the gate and reference resolution do with each.
HANDLING: dict[str, str] = {
    "null_required": "quarantined by the gate (sku_code_not_null, name_not_null)",
    "exact_duplicate": "dropped by `dedupe: {exact: true}` (rejected as duplicate_row)",
    "bad_date": "quarantined by the `date` transform (bad_ordered_at, bad_paid_at)",
    "negative_qty": "quarantined by the gate (qty_positive; qty_nonnegative for opening stock)",
    "orphan": "quarantined at reference resolution (orphan_sku_code, orphan_order_key)",
    "overlong_text": "quarantined by the gate (address_max_length, name_max_length)",
    "mixed_decimal": "parsed by the `decimal` transform ('1.299,00', '¥129.00', ' 129 ') and loaded",
    "injection": "quarantined by the gate (no_injection_name, no_injection_address)",
}
KINDS = tuple(HANDLING)


def yuan(cents: int, *, grouped: bool = False) -> str:
    """Decimal text of an amount in fen: 12900 -> '129.00', grouped 129900 -> '1,299.00'."""
    whole = f"{cents // 100:,}" if grouped else str(cents // 100)
    return f"{whole}.{cents % 100:02d}"


class Sink:
    """One CSV file being written: a header, then rows, counted."""

    def __init__(self, path: Path, encoding: str, header: Sequence[str]) -> None:
        self.name = path.name
        self.encoding = encoding
        self.handle: TextIO = path.open("w", encoding=encoding, newline="")
        self.writer = csv.writer(self.handle, lineterminator="\n")
        self.writer.writerow(header)
        self.rows = 0

    def write(self, row: Sequence[object]) -> None:
        self.writer.writerow(row)
        self.rows += 1

    def close(self) -> None:
        self.handle.close()


class Dirt:
    """Decides which rows get which defect, with its own random stream, and counts them per file and kind.

    The clean data comes from another stream, so the same seed gives the same clean rows at any rate.
    """

    def __init__(self, rate: float, seed: int) -> None:
        self.rate = rate
        self.rng = random.Random(f"erpops-sample-data-defects-{seed}")
        self.counts: dict[str, Counter[str]] = {}

    def pick(self, file: str, kinds: Sequence[str]) -> str | None:
        """For one row: one of `kinds` (each with probability min(rate, 1/len(kinds))) or None; counted."""
        if self.rate <= 0 or not kinds:
            return None
        share = min(self.rate, 1 / len(kinds))
        index = int(self.rng.random() / share)
        if index >= len(kinds):
            return None
        self.note(file, kinds[index])
        return kinds[index]

    def slots(self, rows: int, kinds: Sequence[str]) -> dict[int, list[str]]:
        """Extra bad rows to add after clean row i: about rate × rows of each kind (not counted yet)."""
        extra: dict[int, list[str]] = {}
        if self.rate <= 0 or rows <= 0:
            return extra
        for kind in kinds:
            for position in sorted(self.rng.sample(range(rows), min(rows, int(self.rate * rows + 0.5)))):
                extra.setdefault(position, []).append(kind)
        return extra

    def note(self, file: str, kind: str) -> None:
        assert kind in HANDLING, kind
        self.counts.setdefault(file, Counter())[kind] += 1

    def money(self, cents: int) -> str:
        """The same amount in a format the legacy system should not have let through."""
        style = self.rng.randrange(3)
        if style == 0:  # continental: '.' groups thousands, ',' marks the decimals
            return yuan(cents, grouped=True).replace(",", " ").replace(".", ",").replace(" ", ".")
        if style == 1:
            return "¥" + yuan(cents, grouped=cents >= 100_000)
        return f" {cents // 100} " if cents % 100 == 0 else f" {yuan(cents)} "

    def bad_date(self) -> str:
        return self.rng.choice(BAD_DATES)
