"""Mapping files: a broken one is refused with one line naming the file and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from erp_models.migration.mapping import MappingError, entity_order, load_mapping

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini" / "mapping.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    return path


ENTITY = """
  {name}:
    target: {target}
    source: {{csv: {{path: x.csv}}}}
    legacy_key: "{{code}}"
    predecessors: {preds}
    columns:
      code: {{from: code}}
      name: {{from: name}}
"""


def mapping_with(*entities: tuple[str, str, str]) -> str:
    return "name: t\nentities:" + "".join(ENTITY.format(name=n, target=t, preds=p) for n, t, p in entities)


def test_the_shipped_fixture_mapping_orders_entities_by_dependency() -> None:
    mapping, digest = load_mapping(MINI)
    order = entity_order(mapping)
    assert order.index("skus") < order.index("sales_order_lines")
    assert order.index("sales_orders") < order.index("sales_order_lines")
    assert order.index("categories") < order.index("products") < order.index("skus")
    assert len(digest) == 64


def test_an_unknown_target_is_named_with_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, mapping_with(("vendors", "vendorz", "[]")))
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert str(caught.value).startswith(f"{path}: entities.vendors.target: unknown target 'vendorz' (targets: ")


def test_an_unknown_column_names_the_target_and_its_columns(tmp_path: Path) -> None:
    text = mapping_with(("suppliers", "suppliers", "[]")).replace("name: {from: name}", "nom: {from: name}")
    with pytest.raises(MappingError, match=r"entities\.suppliers: Value error, unknown column 'nom' for target "
                                           r"suppliers|unknown column 'nom' for target suppliers"):
        load_mapping(write(tmp_path, text))


def test_a_cycle_among_predecessors_is_shown(tmp_path: Path) -> None:
    text = mapping_with(("a", "suppliers", "[b]"), ("b", "warehouses", "[a]"))
    with pytest.raises(MappingError, match=r"predecessors form a cycle: a -> b -> a"):
        load_mapping(write(tmp_path, text))


def test_a_predecessor_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match=r"entity 'a' depends on unknown entity 'ghost'"):
        load_mapping(write(tmp_path, mapping_with(("a", "suppliers", "[ghost]"))))


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match=r"mapping.yaml line 3 column 1: not valid YAML"):
        load_mapping(write(tmp_path, "name: t\nentities: [\n"))


def test_a_required_target_column_must_be_mapped(tmp_path: Path) -> None:
    text = mapping_with(("suppliers", "suppliers", "[]")).replace("      name: {from: name}\n", "")
    with pytest.raises(MappingError, match=r"target suppliers needs column 'name'"):
        load_mapping(write(tmp_path, text))


def test_a_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match=r"mapping file not found"):
        load_mapping(tmp_path / "nope.yaml")


SUPPLIERS_FROM = """name: t
entities:
  suppliers:
    target: suppliers
    source: {{csv: {{path: "{path}"}}}}
    legacy_key: "{{code}}"
    columns: {{code: {{from: code}}, name: {{from: name}}}}
"""


def csv_path(mapping: Path) -> str:
    source = load_mapping(mapping)[0].entities["suppliers"].source.csv
    assert source is not None
    return source.path


def test_source_paths_take_environment_variables_with_defaults(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ERPOPS_TEST_EXPORT", raising=False)
    text = SUPPLIERS_FROM.format(path="${ERPOPS_TEST_EXPORT:-export}/*.csv")
    assert csv_path(write(tmp_path, text)) == "export/*.csv"
    monkeypatch.setenv("ERPOPS_TEST_EXPORT", "/srv/legacy")
    assert csv_path(write(tmp_path, text)) == "/srv/legacy/*.csv"


def test_an_unset_variable_without_a_default_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ERPOPS_TEST_EXPORT", raising=False)
    path = write(tmp_path, SUPPLIERS_FROM.format(path="${ERPOPS_TEST_EXPORT}/*.csv"))
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert str(caught.value) == (f"{path}: entities.suppliers.source.csv.path: environment variable "
                                 "ERPOPS_TEST_EXPORT is not set and has no default (write ${ERPOPS_TEST_EXPORT:-path} "
                                 "to give one)")


SUPPLIERS_FROM_SQL = """name: t
entities:
  suppliers:
    target: suppliers
    source: {{sql: {{url: "{url}", query: "SELECT code, name FROM gys"}}}}
    legacy_key: "{{code}}"
    columns: {{code: {{from: code}}, name: {{from: name}}}}
"""


def test_a_sql_url_takes_its_password_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERPOPS_TEST_LEGACY_PASSWORD", "s3cret")
    monkeypatch.delenv("ERPOPS_TEST_LEGACY_HOST", raising=False)
    url = "postgresql+psycopg://reader:${ERPOPS_TEST_LEGACY_PASSWORD}@${ERPOPS_TEST_LEGACY_HOST:-legacy-db}/shop"
    source = load_mapping(write(tmp_path, SUPPLIERS_FROM_SQL.format(url=url)))[0].entities["suppliers"].source.sql
    assert source is not None and source.url == "postgresql+psycopg://reader:s3cret@legacy-db/shop"


def test_a_sql_url_with_an_unset_variable_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ERPOPS_TEST_LEGACY_PASSWORD", raising=False)
    path = write(tmp_path, SUPPLIERS_FROM_SQL.format(url="postgresql://reader:${ERPOPS_TEST_LEGACY_PASSWORD}@db/x"))
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert str(caught.value) == (f"{path}: entities.suppliers.source.sql.url: environment variable "
                                 "ERPOPS_TEST_LEGACY_PASSWORD is not set and has no default "
                                 "(write ${ERPOPS_TEST_LEGACY_PASSWORD:-url} to give one)")


def test_fingerprints_name_what_changed_between_two_mappings_and_ignore_layout(tmp_path: Path) -> None:
    from erp_models.migration.mapping import changes_between, fingerprints

    text = MINI.read_text(encoding="utf-8")
    before = fingerprints(load_mapping(MINI)[0])
    relaid = tmp_path / "mapping.yaml"
    relaid.write_text("# the same rules, laid out otherwise\n" + text.replace("      code: {from: code}\n",
                                                                                 "      code:   {from: code}\n", 1),
                      encoding="utf-8")
    assert fingerprints(load_mapping(relaid)[0]) == before
    edited = tmp_path / "edited.yaml"
    edited.write_text(text.replace("name: {from: name, transforms: [squeeze]}", "name: {from: name}")
                      .replace("batch_size: 2", "batch_size: 3"), encoding="utf-8")
    assert changes_between(before, fingerprints(load_mapping(edited)[0])) == [
        "its settings (batch size, sources) changed", "entity products changed"]
    assert changes_between({"a": "1"}, {"b": "2"}) == ["entity a removed", "entity b added"]
