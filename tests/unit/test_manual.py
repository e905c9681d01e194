"""The operation manuals say exactly what each role's token may do, as the API itself decides it."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from erp_models.enums import RoleName
from erp_models.security.permissions import PERMISSIONS, ROLE_PERMISSIONS
from erp_models.security.services import Principal
from erpops.api.app import create_app
from erpops.api.deps import current_principal
from erpops.manual import ManualSet, Operation, RoleManual, api_operations, build_manuals, write_manuals
from erpops.manual.html_page import to_html
from erpops.manual.operations import OFFLINE_URL
from erpops.manual.render import render_markdown

RECEIVE = ("POST", "/api/v1/purchase-orders/{po_id}/receipts")
APPROVE = ("POST", "/api/v1/purchase-orders/{po_id}/approve")


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(OFFLINE_URL)


@pytest.fixture(scope="module")
def operations(app: FastAPI) -> list[Operation]:
    return api_operations(app)


@pytest.fixture(scope="module")
def manuals(operations: list[Operation]) -> dict[RoleName, RoleManual]:
    return {manual.role: manual for manual in build_manuals(operations)}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> ManualSet:
    return write_manuals(tmp_path_factory.mktemp("manuals"))


def calls(manual: RoleManual) -> set[tuple[str, str]]:
    return {(op.method, op.path) for op in manual.allowed()}


def permission_the_api_demands(app: FastAPI, op: Operation) -> str | None:
    """Ask the app itself, as tests/integration/test_api_authorization.py does: a caller holding nothing gets a
    403 naming the permission. The caller is injected, so no database is needed."""
    app.dependency_overrides[current_principal] = lambda: Principal("nobody", "nobody", frozenset())
    try:
        path = op.path
        for param in op.path_params:
            path = path.replace("{" + param + "}", dict(op.path_choices).get(param, ("1",))[0])
        response = TestClient(app, raise_server_exceptions=False).request(op.method, path, json={})
    finally:
        app.dependency_overrides.clear()
    if response.status_code != 403:
        return None
    match = re.fullmatch(r"role 'nobody' lacks permission '([\w.]+)'", response.json()["detail"])
    assert match is not None, response.text
    return match.group(1)


def test_every_role_gets_a_manual(manuals: dict[RoleName, RoleManual]) -> None:
    assert set(manuals) == set(RoleName)
    for role, manual in manuals.items():
        assert manual.modules and manual.description
        assert {p.code for p in manual.permissions} == ROLE_PERMISSIONS[role]


def test_each_operation_names_the_permission_the_api_demands(app: FastAPI, operations: list[Operation]) -> None:
    gated = [op for op in operations if op.needs_token and op.path != "/api/v1/me"]
    assert len(gated) >= 25
    assert {(op.method, op.path): op.permission for op in gated} == {
        (op.method, op.path): permission_the_api_demands(app, op) for op in gated}
    assert {op.permission for op in gated} <= set(PERMISSIONS)


def test_a_manual_lists_exactly_the_operations_its_permissions_allow(
    app: FastAPI, operations: list[Operation], manuals: dict[RoleName, RoleManual]
) -> None:
    paths = app.openapi()["paths"]
    for role, manual in manuals.items():
        expected = {(op.method, op.path) for op in operations if op.permission in ROLE_PERMISSIONS[role]}
        assert calls(manual) == expected, role
        assert all(op.method.lower() in paths[op.path] for op in manual.allowed())
    assert len(calls(manuals[RoleName.ADMIN])) == sum(1 for op in operations if op.permission)


def test_the_warehouse_receives_goods_but_does_not_approve_purchase_orders(
    manuals: dict[RoleName, RoleManual],
) -> None:
    warehouse = manuals[RoleName.WAREHOUSE]
    assert RECEIVE in calls(warehouse) and APPROVE not in calls(warehouse)
    assert RECEIVE in calls(manuals[RoleName.ADMIN]) and APPROVE in calls(manuals[RoleName.PURCHASER])
    receiving = next(task for task in warehouse.tasks if task.permission == "procurement.receive")
    assert [(s.operation.method, s.operation.path) for s in receiving.steps if s.operation] == [
        ("GET", "/api/v1/purchase-orders"), RECEIVE, ("GET", "/api/v1/purchase-orders/{po_id}")]
    text = render_markdown(warehouse)
    assert "`POST /api/v1/purchase-orders/{po_id}/receipts`" in text
    assert "`POST /api/v1/purchase-orders/{po_id}/approve`" not in text
    assert "erpops token create --user YOUR_NAME --role warehouse" in text
    assert "Authorization: Bearer <token>" in text
    assert {"channel", "audit"} <= set(warehouse.denied_modules)


def test_the_viewer_has_no_write_operations_and_no_tasks(manuals: dict[RoleName, RoleManual]) -> None:
    viewer = manuals[RoleName.VIEWER]
    assert viewer.allowed() and all(op.method == "GET" for op in viewer.allowed())
    assert viewer.tasks == ()
    assert not re.search(r"\b(POST|PUT|PATCH|DELETE)\b", render_markdown(viewer))


def test_a_task_only_uses_operations_the_role_may_call(manuals: dict[RoleName, RoleManual]) -> None:
    for manual in manuals.values():
        allowed = set(manual.allowed())
        for task in manual.tasks:
            assert all(step.operation in allowed for step in task.steps if step.operation), task


class TagChecker(HTMLParser):
    """Fails on a closing tag that does not close the innermost open element."""

    VOID = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.seen: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: ARG002  # HTMLParser's
        self.seen.add(tag)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag, f"</{tag}> closes nothing open"


def test_the_html_pages_are_well_formed_utf8_pages_with_tables(written: ManualSet) -> None:
    for path in (p for p in written.files if p.suffix == ".html"):
        page = path.read_text(encoding="utf-8")
        assert page.startswith("<!doctype html>") and '<meta charset="utf-8">' in page
        checker = TagChecker()
        checker.feed(page)
        checker.close()
        assert checker.open == [] and {"html", "head", "title", "body", "table", "a"} <= checker.seen, path
    assert "操作手册" in (written.out_dir / "warehouse.html").read_text(encoding="utf-8")


def test_text_that_looks_like_html_is_shown_not_interpreted() -> None:
    assert "&lt;script&gt;" in to_html("a <script>alert(1)</script>", "t")


def test_the_index_links_every_roles_manual(written: ManualSet, manuals: dict[RoleName, RoleManual]) -> None:
    index_md = (written.out_dir / "index.md").read_text(encoding="utf-8")
    index_html = (written.out_dir / "index.html").read_text(encoding="utf-8")
    for role in RoleName:
        assert f"]({role.value}.md)" in index_md and f'href="{role.value}.html"' in index_html
        assert (written.out_dir / f"{role.value}.md").is_file()
    assert written.operations == {role.value: len(calls(manual)) for role, manual in manuals.items()}


def test_only_the_requested_roles_are_written_and_indexed(tmp_path: Path) -> None:
    written = write_manuals(tmp_path, [RoleName.WAREHOUSE])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.html", "index.md", "warehouse.html", "warehouse.md"]
    assert list(written.operations) == ["warehouse"]
    assert "sales.md" not in (tmp_path / "index.md").read_text(encoding="utf-8")
