"""The API's stable contract: JSON errors with codes, no 500s, and a complete OpenAPI document."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.integration.api_builders import stocked_sku


def test_errors_are_json_with_a_code(api: TestClient, admin: dict[str, str]) -> None:
    cases = [
        (api.get("/api/v1/sales-orders/987654321", headers=admin), 404, "not_found"),
        (api.get("/api/v1/nowhere", headers=admin), 404, "not_found"),
        (api.delete("/api/v1/sales-orders", headers=admin), 405, "method_not_allowed"),
        (api.post("/api/v1/sales-orders", content=b"{not json", headers=admin | {"content-type": "application/json"}),
         400, "malformed_json"),
        (api.post("/api/v1/sales-orders", json={"channel": "taobao"}, headers=admin), 422, "validation_error"),
        (api.get("/api/v1/stock/NO-SUCH-SKU", headers=admin), 404, "not_found"),
    ]
    for response, status, code in cases:
        assert (response.status_code, response.json()["error"]) == (status, code), response.text
        assert "detail" in response.json()


def test_out_of_range_numbers_are_422_not_500(api: TestClient, admin: dict[str, str]) -> None:
    sku, _ = stocked_sku(api, admin, 1)
    for qty in (0, -1, 10**30):
        body = {"channel": "tmall", "external_id": "X", "lines": [{"sku": sku, "qty": qty, "unit_price": 1}]}
        assert api.post("/api/v1/sales-orders", json=body, headers=admin).status_code == 422
    assert api.get(f"/api/v1/sales-orders/{2**70}", headers=admin).status_code == 422


def test_an_unknown_sku_in_an_order_is_404_naming_it(api: TestClient, admin: dict[str, str]) -> None:
    body = {"channel": "tmall", "external_id": "UNKNOWN-SKU-1", "lines": [{"sku": "GHOST", "qty": 1, "unit_price": 1}]}
    response = api.post("/api/v1/sales-orders", json=body, headers=admin)
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "unknown or inactive SKU 'GHOST'"}


def test_a_duplicate_master_data_code_is_409(api: TestClient, admin: dict[str, str]) -> None:
    body = {"code": "WH-DUP-CHECK", "name": "北京仓"}
    api.post("/api/v1/warehouses", json=body, headers=admin)
    again = api.post("/api/v1/warehouses", json=body, headers=admin)
    assert (again.status_code, again.json()["error"]) == (409, "conflict")


def test_the_openapi_document_describes_every_operation_and_the_bearer_scheme(api: TestClient) -> None:
    doc = api.get("/openapi.json").json()
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    operations = [(path, method, op) for path, item in doc["paths"].items() for method, op in item.items()]
    assert len(operations) >= 25
    for path, method, op in operations:
        assert op.get("summary") and op.get("description"), (method, path)
        assert any(code.startswith("2") for code in op["responses"]), (method, path)
        if path.startswith("/api/v1/"):
            assert op.get("security") == [{"HTTPBearer": []}], (method, path)
    assert {"/api/v1/sales-orders", "/api/v1/stock/{sku}", "/api/v1/purchase-orders/{po_id}/receipts",
            "/api/v1/channels/{channel}/orders"} <= set(doc["paths"])


def test_an_unauthenticated_request_is_401_whatever_its_body(api: TestClient, admin: dict[str, str]) -> None:
    malformed = {"content": b"{not json", "headers": {"content-type": "application/json"}}
    for headers in ({}, {"Authorization": "Bearer erp_nosuchtoken"}, {"Authorization": "Basic abc"}):
        response = api.post("/api/v1/sales-orders", content=malformed["content"],
                            headers=malformed["headers"] | headers)
        assert (response.status_code, response.json()["error"]) == (401, "unauthenticated"), (headers, response.text)
        assert response.headers["WWW-Authenticate"] == "Bearer"
        invalid = api.post("/api/v1/sales-orders", json={"channel": "taobao"}, headers=headers)
        assert (invalid.status_code, invalid.json()["error"]) == (401, "unauthenticated"), (headers, invalid.text)
    with_token = api.post("/api/v1/sales-orders", content=malformed["content"], headers=malformed["headers"] | admin)
    assert (with_token.status_code, with_token.json()["error"]) == (400, "malformed_json")  # the caller may know


# Statuses an operation declares itself: a plan must be loaded; a signed link refuses with 403.
OWN_STATUSES = {("get", "/api/v1/milestones"): {"404"}, ("get", "/reports/s/{token}/{rel}"): {"403"}}


def test_every_operation_lists_the_error_statuses_it_can_answer_with_the_one_error_body(api: TestClient) -> None:
    doc = api.get("/openapi.json").json()
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    assert doc["components"]["schemas"]["Error"]["required"] == ["error", "detail"]
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for path, item in doc["paths"].items():
        if not path.startswith(("/api/v1/", "/reports/")):
            continue
        for method, op in item.items():
            names = any(p["in"] == "query" and "string" in str(p["schema"]) and "enum" not in str(p["schema"])
                        for p in op.get("parameters", []))
            expected = ({"422"} if path.startswith("/reports/s/") else {"401", "403", "422"}) \
                | ({"400", "404"} if "requestBody" in op else set()) | ({"404"} if "{" in path or names else set()) \
                | ({"409", "503"} if method in {"post", "put", "patch", "delete"} else set()) \
                | OWN_STATUSES.get((method, path), set())
            errors = {status for status in op["responses"] if status[0] in "45"}
            assert errors == expected, (method, path)
            assert all(op["responses"][s]["content"] == error for s in errors), (method, path)


def test_every_error_body_has_a_string_detail(api: TestClient, admin: dict[str, str]) -> None:
    invalid = api.post("/api/v1/sales-orders", json={"channel": "taobao"}, headers=admin).json()
    assert isinstance(invalid["detail"], str) and invalid["detail"].startswith("body.")
    assert all(set(p) == {"loc", "msg", "type"} for p in invalid["problems"])
    for response in (api.get("/api/v1/sales-orders/987654321", headers=admin), api.post("/api/v1/sales-orders")):
        assert set(response.json()) == {"error", "detail"} and isinstance(response.json()["detail"], str)
