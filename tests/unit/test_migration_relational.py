"""Relational mapping features: lookups, aggregates, rejection with the parent, default references, DST policy."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from erp_models.migration.mapping import Entity, MappingError, load_mapping
from erp_models.migration.relational import Aggregate, Lookup
from erp_models.migration.transform import TransformState, apply_transform, transform_batch
from erp_models.migration.transform.relations import KeyMap


def frame(**columns: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series(v, dtype="object") for k, v in columns.items()})


def test_an_aggregate_adds_up_prices_and_freight_exactly_across_batches() -> None:
    totals = KeyMap(Aggregate(source="items", key="order_id", sum=["price", "freight"]))
    totals.add(frame(order_id=["a", "a", "b"], price=["0.10", "0.20", "5"], freight=["1.00", None, "0.05"]))
    totals.add(frame(order_id=["a", "c"], price=["0.30", "x"], freight=["0", "1"]))
    values, unmatched, bad = totals.apply(pd.Series(["a", "b", "c", "d"]))
    assert values.tolist()[:2] == ["1.60", "5.05"]
    assert bad.tolist() == [False, False, True, False] and unmatched.tolist() == [False, False, False, True]


def test_count_min_and_max_over_child_rows() -> None:
    counted = KeyMap(Aggregate(source="items", key="order_id", count=True))
    highest = KeyMap(Aggregate(source="items", key="order_id", on="order", max="price"))
    counted.add(frame(order_id=["a", "a", "b"]))
    highest.add(frame(order=["a", "a"], price=["9.5", "10"]))
    highest.add(frame(order=["a"], price=["2"]))
    assert counted.apply(pd.Series(["a", "b", "z"]))[0].tolist() == ["2", "1", "0"]
    assert highest.apply(pd.Series(["a"]))[0].tolist() == ["10.00"]


def test_a_lookup_takes_the_first_match_and_says_which_rows_had_none() -> None:
    people = KeyMap(Lookup(source="customers", key="customer_id", column="person"))
    people.add(frame(customer_id=["c1", "c2"], person=["p1", "p2"]))
    people.add(frame(customer_id=["c1"], person=["other"]))
    values, unmatched, _ = people.apply(pd.Series(["c2", " c1 ", "c9", None]))
    assert values.tolist()[:2] == ["p2", "p1"] and unmatched.tolist() == [False, False, True, True]


def orders() -> Entity:
    return Entity.model_validate({
        "target": "sales_orders", "source": {"csv": {"path": "o.csv"}}, "legacy_key": "{id}",
        "reject": [{"column": "status", "in": ["canceled"], "reason": "rejected_cancelled_order"}],
        "columns": {"channel": {"value": "webshop"}, "external_id": {"from": "id"},
                    "customer_code": {"lookup": {"source": "customers", "key": "customer", "column": "person",
                                                 "missing": "quarantine"}},
                    "ordered_at": {"from": "at"},
                    "total": {"aggregate": {"source": "items", "key": "id", "sum": ["price"],
                                            "missing": "quarantine"}}},
    })


def test_an_order_takes_its_total_and_customer_and_records_its_rejected_keys() -> None:
    entity = orders()
    assert entity.columns["customer_code"].lookup is not None and entity.columns["total"].aggregate is not None
    people = KeyMap(entity.columns["customer_code"].lookup)
    people.add(frame(customer=["c1"], person=["P1"]))
    totals = KeyMap(entity.columns["total"].aggregate)
    totals.add(frame(id=["o1", "o1", "o3"], price=["10.00", "2.50", "1"]))
    state = TransformState(relations={"customer_code": people, "total": totals}, record_rejected=True)
    raw = frame(id=["o1", "o2", "o3"], customer=["c1", "c1", "c7"], status=["delivered", "delivered", "canceled"],
                at=["2024-06-01"] * 3)
    raw["_line"] = [2, 3, 4]
    batch = transform_batch(raw, entity, state)
    assert batch.frame.loc[0, "total"] == 1250 and batch.frame.loc[0, "customer_code"] == "P1"
    assert batch.quarantined == {1: ["no_match_total"]}  # o2 has no items
    assert batch.rejected["rejected_cancelled_order"] == 1
    assert batch.rejected_keys is not None and batch.rejected_keys.to_dict("records") == [
        {"legacy_key": "o3", "reason": "rejected_cancelled_order"}]


def test_children_of_a_rejected_parent_are_rejected_with_its_reason_before_any_check() -> None:
    lines = Entity.model_validate({
        "target": "payments", "source": {"csv": {"path": "p.csv"}}, "legacy_key": "{order}#{seq}",
        "columns": {"order_key": {"from": "order"}, "method": {"value": "other"}, "amount": {"from": "amount"},
                    "paid_at": {"from": "at"}}})
    state = TransformState(parent_rejects={"order_key": pd.Series({"o3": "rejected_cancelled_order"})})
    raw = frame(order=["o1", "o3", "o3"], seq=["1", "1", "2"], amount=["1", "bad", "2"], at=["2024-06-01", None, "x"])
    raw["_line"] = [2, 3, 4]
    batch = transform_batch(raw, lines, state)
    assert batch.frame["order_key"].tolist() == ["o1"]
    assert batch.quarantined == {} and batch.rejected["rejected_cancelled_order"] == 2


def test_an_empty_reference_names_the_default_record() -> None:
    products = Entity.model_validate({
        "target": "products", "source": {"csv": {"path": "p.csv"}}, "legacy_key": "{id}",
        "columns": {"code": {"from": "id"}, "name": {"from": "id"},
                    "category_code": {"from": "cat", "transforms": ["trim"],
                                      "default_reference": {"code": "misc", "name": "Miscellaneous"}}}})
    raw = frame(id=["p1", "p2"], cat=["toys", "  "])
    raw["_line"] = [2, 3]
    assert transform_batch(raw, products, TransformState()).frame["category_code"].tolist() == ["toys", "misc"]


@pytest.mark.parametrize(("policy", "skipped_utc", "repeated_utc"), [
    ("earliest", "2016-10-16 02:30:00+00:00", "2017-02-19 01:30:00+00:00"),
    ("latest", "2016-10-16 03:30:00+00:00", "2017-02-19 02:30:00+00:00"),
])
def test_dst_edges_in_sao_paulo_read_as_the_policy_says(policy: str, skipped_utc: str, repeated_utc: str) -> None:
    values, bad = apply_transform(pd.Series(["2016-10-16 00:30:00", "2017-02-18 23:30:00", "2017-03-01 10:00:00"]),
                                  {"date": {"tz": "America/Sao_Paulo", "ambiguous": policy, "nonexistent": policy}})
    utc = [str(v) for v in values.dt.tz_convert("UTC")]
    assert utc == [skipped_utc, repeated_utc, "2017-03-01 13:00:00+00:00"] and not bool(bad.any())  # type: ignore[union-attr]


def test_dst_edges_are_quarantined_by_default() -> None:
    _, bad = apply_transform(pd.Series(["2016-10-16 00:30:00", "2017-02-18 23:30:00"]),
                             {"date": {"tz": "America/Sao_Paulo"}})
    assert bad is not None and bad.tolist() == [True, True]


MAPPING = """name: t
sources: {{items: {{csv: {{path: items.csv}}}}}}
entities:
  categories:
    target: categories
    source: {{csv: {{path: c.csv}}}}
    legacy_key: "{{c}}"
    columns: {{code: {{from: c}}, name: {{from: c}}}}
  orders:
    target: sales_orders
    source: {{csv: {{path: o.csv}}}}
    legacy_key: "{{id}}"
    columns:
      channel: {{value: webshop}}
      external_id: {{from: id}}
      ordered_at: {{from: at, transforms: [{{date: {date}}}]}}
      total: {total}
"""


@pytest.mark.parametrize(("date", "total", "message"), [
    ("{}", "{aggregate: {source: lines, key: id, sum: [p]}}",
     "entities.orders.columns.total: source 'lines' is neither under `sources` nor an entity"),
    ("{}", "{aggregate: {source: items, key: id, sum: [p], max: p}}",
     "an aggregate takes exactly one of `sum: [columns]`, `count: true`, `min: column`, `max: column`"),
    ("{}", "{lookup: {source: items, key: id, column: p, missing: default}}",
     "missing: default needs the column's `default`"),
    ("{ambiguous: first}", "{from: t}", "date: ambiguous is one of earliest, latest, quarantine, not 'first'"),
    ("{tz: Mars/Olympus}", "{from: t}", "date: unknown time zone 'Mars/Olympus'"),
    ("{}", "{from: t, default_reference: {code: X, name: X}}",
     "columns.total.default_reference: total is not a reference by code"),
])
def test_relational_clauses_are_checked_when_the_mapping_loads(tmp_path: Path, date: str, total: str,
                                                                message: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(MAPPING.format(date=date, total=total), encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_default_reference_needs_an_entity_of_its_target(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("""name: t
entities:
  products:
    target: products
    source: {csv: {path: p.csv}}
    legacy_key: "{id}"
    columns:
      code: {from: id}
      name: {from: id}
      category_code: {from: c, default_reference: {code: misc, name: Misc, colour: red}}
""", encoding="utf-8")
    with pytest.raises(MappingError, match="unknown field 'colour' of target categories"):
        load_mapping(path)
    path.write_text(path.read_text().replace(", colour: red", ""), encoding="utf-8")
    with pytest.raises(MappingError, match="default_reference: no entity of target categories in the mapping"):
        load_mapping(path)
