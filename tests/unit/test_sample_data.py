"""`erpops sample-data`: a deterministic synthetic legacy export, its defects, and the mapping that loads it."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from erp_models.migration.mapping import entity_order, load_mapping
from erp_models.migration.targets import TARGETS
from erpops.sample_data.dirt import KINDS
from erpops.sample_data.generator import FILES, SampleSummary, generate
from erpops.sample_data.vocab import INJECTIONS

CHINESE = re.compile(r"[\u4e00-\u9fff]")
CLEAN_MONEY = re.compile(r"^(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)\.[0-9]{2}\Z")  # 129.00, 1299.00, 1,299.00
STAMP = "%Y-%m-%d %H:%M:%S"


def rows(out: Path, name: str) -> list[dict[str, str]]:
    with (out / name).open(encoding=FILES[name][0], newline="") as handle:
        return list(csv.DictReader(handle))


def parses(text: str, fmt: str) -> bool:
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SampleSummary]:
    out = tmp_path_factory.mktemp("clean")
    return out, generate(out, orders=300, dirty_rate=0)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SampleSummary]:
    out = tmp_path_factory.mktemp("dirty")
    return out, generate(out, orders=300, dirty_rate=0.1)


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        generate(tmp_path / name, orders=300, seed=seed)
    written = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert written == sorted([*FILES, "mapping.yaml"])
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in written)
    assert (tmp_path / "a" / "orders.csv").read_bytes() != (tmp_path / "c" / "orders.csv").read_bytes()


def test_the_dirt_has_its_own_random_stream_so_the_clean_rows_do_not_move(
        clean: tuple[Path, SampleSummary], dirty: tuple[Path, SampleSummary]) -> None:
    assert rows(clean[0], "suppliers.csv") == rows(dirty[0], "suppliers.csv")
    assert [r["订单号"] for r in rows(clean[0], "orders.csv")] == \
        list(dict.fromkeys(r["订单号"] for r in rows(dirty[0], "orders.csv")))


def test_suppliers_are_really_gbk_and_chinese(clean: tuple[Path, SampleSummary]) -> None:
    data = (clean[0] / "suppliers.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = data.decode("gbk")
    assert text.startswith("供应商编号,供应商名称")
    assert "有限公司" in text and len(CHINESE.findall(text)) > 100


def test_products_carry_a_bom_and_the_other_files_do_not(clean: tuple[Path, SampleSummary]) -> None:
    boms = {name for name in FILES if (clean[0] / name).read_bytes().startswith(b"\xef\xbb\xbf")}
    assert boms == {"products.csv"}


def test_the_mapping_validates_and_loads_masters_before_orders(clean: tuple[Path, SampleSummary]) -> None:
    out, summary = clean
    mapping, _ = load_mapping(summary.mapping)
    order = entity_order(mapping)
    assert mapping.name == "sample-shop" and summary.mapping == out / "mapping.yaml"
    # The shop sells on the seeded channels with the seeded payment methods and exports no shipments.
    assert sorted(e.target for e in mapping.entities.values()) == sorted(
        set(TARGETS) - {"channels", "payment_methods", "shipments"})
    for first, then in (("suppliers", "sales_orders"), ("skus", "sales_orders"), ("customers", "sales_orders"),
                        ("sales_orders", "sales_order_lines"), ("sales_orders", "payments"),
                        ("skus", "purchase_order_lines"), ("purchase_orders", "purchase_order_lines")):
        assert order.index(first) < order.index(then)
    orders = mapping.entities["sales_orders"]
    assert orders.watermark == "updated_at"
    assert mapping.entities["sales_order_lines"].columns["order_key"].template == orders.legacy_key
    assert mapping.entities["payments"].columns["order_key"].template == orders.legacy_key
    assert {e.gate.max_quarantine_rate for e in mapping.entities.values()} == {0.2}


def test_every_column_the_mapping_reads_is_in_its_file(clean: tuple[Path, SampleSummary]) -> None:
    from erp_models.migration.service.extract import source_columns
    from expectations.suites import resolve_suite

    mapping, _ = load_mapping(clean[1].mapping)
    for entity in mapping.entities.values():
        assert entity.source.csv is not None
        name = entity.source.csv.path
        assert entity.source.csv.encoding == FILES[name][0]
        assert source_columns(entity) <= set(FILES[name][1]), name
        resolve_suite(entity.target, severity=entity.gate.severity)  # the severities name real expectations


def test_a_zero_dirty_rate_gives_clean_files(clean: tuple[Path, SampleSummary]) -> None:
    out, summary = clean
    assert summary.defects == dict.fromkeys(KINDS, 0) and summary.defects_by_file == {}
    mapping, _ = load_mapping(summary.mapping)
    for entity in mapping.entities.values():  # text within the ERP's limits, codes well formed
        assert entity.source.csv is not None
        for row in rows(out, entity.source.csv.path):
            for field, column in entity.columns.items():
                spec = TARGETS[entity.target].field(field)
                value = row[column.from_] if column.from_ else ""
                assert not spec.required or value or column.from_ is None, (entity.target, field, row)
                assert spec.max_length is None or len(value) <= spec.max_length
                assert not any(bad in value for bad in INJECTIONS)
    customers = rows(out, "customers.csv")
    assert all(re.fullmatch(r"1[3-9][0-9]{9}", c["手机号"]) for c in customers)
    skus = {s["sku_code"]: s for s in rows(out, "skus.csv")}
    assert all(re.fullmatch(r"69[0-9]{11}", s["barcode"]) and CLEAN_MONEY.match(s["list_price"])
               for s in skus.values())
    lines = rows(out, "order_lines.csv")
    orders = rows(out, "orders.csv")
    assert all(parses(o["下单时间"], STAMP) and CLEAN_MONEY.match(o["订单金额"]) for o in orders)
    totals: Counter[str] = Counter()
    for line in lines:
        assert line["商品编码"] in skus and int(line["数量"]) > 0
        totals[line["订单号"]] += int(line["数量"]) * round(float(line["单价"]) * 100)
    assert {o["订单号"]: round(float(o["订单金额"].replace(",", "")) * 100) for o in orders} == dict(totals)
    assert len({tuple(r.values()) for r in lines}) == len(lines)


def test_a_dirty_export_has_every_kind_of_defect(tmp_path: Path) -> None:
    summary = generate(tmp_path, orders=300, seed=11)  # the default rate, 0.02
    assert [kind for kind in KINDS if summary.defects[kind] == 0] == []


def test_the_summary_counts_match_the_files(dirty: tuple[Path, SampleSummary]) -> None:
    out, summary = dirty
    assert summary.files == {name: len(rows(out, name)) for name in FILES}
    assert sum(summary.defects.values()) == sum(sum(d.values()) for d in summary.defects_by_file.values())
    skus = {s["sku_code"] for s in rows(out, "skus.csv")}
    orders = rows(out, "orders.csv")
    known = {o["订单号"] for o in orders}
    lines = rows(out, "order_lines.csv")
    found = {
        "null_required": sum(not r["商品编码"] for r in lines),
        "negative_qty": sum(int(r["数量"]) < 0 for r in lines),
        "orphan": sum(bool(r["商品编码"]) and r["商品编码"] not in skus or r["订单号"] not in known for r in lines),
        "exact_duplicate": sum(a == b for a, b in zip(lines, lines[1:], strict=False)),
        "mixed_decimal": sum(not CLEAN_MONEY.match(r["单价"]) for r in lines),
    }
    assert found == summary.defects_by_file["order_lines.csv"]
    assert summary.defects_by_file["orders.csv"] == {
        "exact_duplicate": sum(a == b for a, b in zip(orders, orders[1:], strict=False)),
        "bad_date": sum(not parses(o["下单时间"], STAMP) for o in orders),
        "mixed_decimal": sum(not CLEAN_MONEY.match(o["订单金额"]) for o in orders)}
    customers = rows(out, "customers.csv")
    assert summary.defects_by_file["customers.csv"] == {
        "null_required": sum(not c["客户姓名"] for c in customers),
        "exact_duplicate": sum(a == b for a, b in zip(customers, customers[1:], strict=False)),
        "overlong_text": sum(len(c["详细地址"]) > 500 for c in customers),
        "injection": sum(any(bad in c["客户姓名"] + c["详细地址"] for bad in INJECTIONS) for c in customers)}


def test_every_order_keeps_a_loadable_line_so_none_is_loaded_without_lines(
        dirty: tuple[Path, SampleSummary]) -> None:
    skus = {s["sku_code"] for s in rows(dirty[0], "skus.csv")}
    loadable = {r["订单号"] for r in rows(dirty[0], "order_lines.csv") if r["商品编码"] in skus and int(r["数量"]) > 0}
    assert {o["订单号"] for o in rows(dirty[0], "orders.csv")} <= loadable


def test_the_decimal_transform_reads_every_mixed_format_as_the_clean_amount(
        clean: tuple[Path, SampleSummary], dirty: tuple[Path, SampleSummary]) -> None:
    import pandas as pd

    from erp_models.migration.transform import apply_transform

    def amounts(out: Path) -> dict[str, int]:
        payments = rows(out, "payments.csv")
        parsed, bad = apply_transform(pd.Series([p["支付金额"] for p in payments], dtype="string"), "decimal")
        assert bad is not None and not bad.any()
        return {p["支付流水号"]: int(v) for p, v in zip(payments, parsed, strict=True)}

    mixed = [p["支付金额"] for p in rows(dirty[0], "payments.csv") if not CLEAN_MONEY.match(p["支付金额"])]
    assert any(re.fullmatch(r"[0-9.]+,[0-9]{2}", m) for m in mixed)  # 1.299,00
    assert any(m.startswith("¥") for m in mixed) and any(m != m.strip() for m in mixed)
    assert amounts(dirty[0]) == amounts(clean[0])


def test_the_command_overwrites_its_files_keeps_others_and_prints_json(tmp_path: Path) -> None:
    from erpops.cli import app

    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    (tmp_path / "orders.csv").write_text("stale", encoding="utf-8")
    result = CliRunner().invoke(app, ["sample-data", str(tmp_path), "--orders", "30", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["files"]["orders.csv"]["rows"] == len(rows(tmp_path, "orders.csv")) >= 30
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert set(document["defects"]) == set(KINDS)


def test_an_out_dir_that_is_a_file_is_one_clear_error(tmp_path: Path) -> None:
    from erpops.commands.sample_data import sample_data
    from infra.errors import ConfigError

    target = tmp_path / "export"
    target.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="export: exists and is not a directory"):
        sample_data(target)
