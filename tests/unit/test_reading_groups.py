"""Which entities are staged from one reading of their source (`relations.reading_groups`)."""

from __future__ import annotations

from pathlib import Path

from erp_models.migration.mapping import entity_order, load_mapping
from erp_models.migration.service.relations import reading_groups

ROOT = Path(__file__).resolve().parents[2]


def groups_of(tmp_path: Path, entities: str) -> list[list[str]]:
    (tmp_path / "m.yaml").write_text(f"name: groups\nentities:\n{entities}", encoding="utf-8")
    mapping, _ = load_mapping(tmp_path / "m.yaml")
    return reading_groups(mapping, entity_order(mapping))


ORDERS = """  sales_orders:
    target: sales_orders
    source: {{csv: {{path: lines.csv}}}}
    legacy_key: "{{order_no}}"
{reject}    columns: {{channel: {{value: shop}}, external_id: {{from: order_no}}, status: {{value: completed}},
               ordered_at: {{from: created}}, total: {{from: total}}}}
  sales_order_lines:
    target: sales_order_lines
    source: {{csv: {{path: {lines}}}}}
    legacy_key: "{{order_no}}#{{line}}"
    columns: {{order_key: {{from: order_no}}, line_no: {{from: line}}, sku_code: {{from: sku}}, qty: {{from: qty}},
               unit_price: {{from: price}}}}
"""


def test_orders_and_their_lines_from_one_file_are_one_group(tmp_path: Path) -> None:
    assert groups_of(tmp_path, ORDERS.format(reject="", lines="lines.csv")) == [["sales_orders", "sales_order_lines"]]


def test_entities_of_different_files_read_their_own(tmp_path: Path) -> None:
    assert groups_of(tmp_path, ORDERS.format(reject="", lines="other.csv")) == [["sales_orders"],
                                                                              ["sales_order_lines"]]


def test_lines_that_share_their_orders_rejects_read_after_the_orders_are_staged(tmp_path: Path) -> None:
    reject = "    reject: [{column: status, in: [void], reason: rejected_void}]\n"
    assert groups_of(tmp_path, ORDERS.format(reject=reject, lines="lines.csv")) == [["sales_orders"],
                                                                                  ["sales_order_lines"]]


def test_the_uci_mapping_reads_its_files_twice_for_six_entities() -> None:
    mapping, _ = load_mapping(ROOT / "examples" / "uci_online_retail" / "mapping.yaml")
    assert reading_groups(mapping, entity_order(mapping)) == [
        ["categories", "products", "skus", "customers", "sales_orders"], ["sales_order_lines"]]
