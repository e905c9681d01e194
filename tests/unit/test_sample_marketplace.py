"""`erpops sample-data --shape marketplace`: the relational export, as committed under examples/marketplace/."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from erp_models.migration.mapping import load_mapping
from erpops.sample_data.marketplace import FILES, generate_marketplace

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "marketplace"


def read(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_committed_example_is_what_the_command_writes(tmp_path: Path) -> None:
    from erpops.cli import app

    result = CliRunner().invoke(app, ["sample-data", str(tmp_path), "--shape", "marketplace", "--orders", "300",
                                      "--json"])
    assert result.exit_code == 0, result.output
    for name in [*FILES, "mapping.yaml"]:
        assert (tmp_path / name).read_bytes() == (EXAMPLE / name).read_bytes(), f"regenerate {name}"


def test_the_files_join_by_hex_keys_with_every_relational_case(tmp_path: Path) -> None:
    summary = generate_marketplace(tmp_path, orders=120, seed=3)
    orders = {o["order_id"]: o for o in read(tmp_path, "orders.csv")}
    items, payments = read(tmp_path, "order_items.csv"), read(tmp_path, "order_payments.csv")
    customers = {c["customer_id"] for c in read(tmp_path, "customers.csv")}
    products = {p["product_id"] for p in read(tmp_path, "products.csv")}
    assert all(len(k) == 32 and int(k, 16) >= 0 for k in orders)
    assert {o["customer_id"] for o in orders.values()} <= customers
    assert {i["order_id"] for i in items} == set(orders) and {i["product_id"] for i in items} <= products
    cancelled = {k for k, o in orders.items() if o["order_status"] in ("canceled", "unavailable")}
    assert cancelled & {p["order_id"] for p in payments} and cancelled & {i["order_id"] for i in items}
    assert {"boleto", "voucher", "credit_card"} <= {p["payment_type"] for p in payments}
    assert "order_total" not in next(iter(orders.values())) and "payment_time" not in payments[0]
    for key in orders:  # payments add up to the items' prices plus freight
        owed = sum(round(float(i["price"]) * 100) + round(float(i["freight_value"]) * 100)
                   for i in items if i["order_id"] == key)
        assert owed == sum(round(float(p["payment_value"]) * 100) for p in payments if p["order_id"] == key)
    assert {"cancelled_order", "uncategorised_product", "dst_nonexistent", "dst_ambiguous"} <= set(summary.defects)
    mapping, _ = load_mapping(summary.mapping)
    assert all(e.source.sql is None for e in mapping.entities.values())
