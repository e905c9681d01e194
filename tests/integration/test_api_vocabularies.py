"""Channels and payment methods are data: an admin adds one, and orders, payments and the webhook use it."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.integration.api_builders import order_body, stocked_sku
from tests.integration.builders import ref

Tokens = Callable[[str], dict[str, str]]


def new_channel(api: TestClient, admin: dict[str, str]) -> str:
    code = ref("market").lower()
    added = api.post("/api/v1/channels", json={"code": code, "name": "Mercado Livre"}, headers=admin)
    assert added.status_code == 201, added.text
    return code


def test_the_seeded_chinese_channels_and_payment_methods_are_listed(api: TestClient, admin: dict[str, str]) -> None:
    channels = {c["code"]: c["name"] for c in api.get("/api/v1/channels", headers=admin).json()}
    methods = {m["code"]: m["name"] for m in api.get("/api/v1/payment-methods", headers=admin).json()}
    assert channels.items() >= {"tmall": "天猫", "jd": "京东", "pinduoduo": "拼多多", "douyin": "抖音",
                                "webshop": "官网商城"}.items()
    assert methods.items() >= {"alipay": "支付宝", "wechat_pay": "微信支付", "unionpay": "银联", "cod": "货到付款",
                               "other": "其他"}.items()


def test_an_admin_adds_a_channel_and_orders_can_be_placed_on_it(api: TestClient, admin: dict[str, str]) -> None:
    code = new_channel(api, admin)
    assert {"code": code, "name": "Mercado Livre"} in api.get("/api/v1/channels", headers=admin).json()
    sku, _ = stocked_sku(api, admin, 5)
    placed = api.post("/api/v1/sales-orders", json=order_body(sku) | {"channel": code}, headers=admin)
    assert placed.status_code == 201, placed.text
    assert api.get(f"/api/v1/sales-orders/{placed.json()['id']}", headers=admin).json()["channel"] == code


def test_a_channel_code_that_exists_is_409_also_in_other_letter_case(api: TestClient, admin: dict[str, str]) -> None:
    code = new_channel(api, admin)
    for taken in (code, code.upper(), "tmall"):
        again = api.post("/api/v1/channels", json={"code": taken, "name": "again"}, headers=admin)
        assert again.status_code == 409, taken
        assert again.json()["error"] == "conflict"


def test_a_malformed_code_or_name_is_422(api: TestClient, admin: dict[str, str]) -> None:
    for body in ({"code": "mercado livre", "name": "x"}, {"code": "a/b", "name": "x"}, {"code": "c" * 33, "name": "x"},
                 {"code": "ok", "name": ""}, {"code": "ok"}):
        response = api.post("/api/v1/payment-methods", json=body, headers=admin)
        assert (response.status_code, response.json()["error"]) == (422, "validation_error"), body


def test_only_a_role_with_sales_vocabulary_adds_a_channel(api: TestClient, token_for: Tokens) -> None:
    body = {"code": ref("shop").lower(), "name": "x"}
    for role in ("sales", "channel_integration", "pm", "viewer"):
        refused = api.post("/api/v1/channels", json=body, headers=token_for(role))
        assert refused.status_code == 403, role
        assert refused.json()["detail"] == f"role '{role}' lacks permission 'sales.vocabulary'"
    assert api.post("/api/v1/payment-methods", json=body).status_code == 401
    assert api.get("/api/v1/channels", headers=token_for("viewer")).status_code == 200


def test_an_order_on_an_unknown_channel_is_404_naming_the_known_ones(api: TestClient, admin: dict[str, str]) -> None:
    sku, _ = stocked_sku(api, admin, 5)
    refused = api.post("/api/v1/sales-orders", json=order_body(sku) | {"channel": "amazon"}, headers=admin)
    assert refused.status_code == 404
    assert refused.json()["error"] == "not_found"
    detail = refused.json()["detail"]
    assert detail.startswith("unknown channel 'amazon' (known: ")
    assert all(seeded in detail for seeded in ("tmall", "jd", "pinduoduo", "douyin", "webshop"))


def test_a_new_payment_method_pays_an_order_and_an_unknown_one_is_404(api: TestClient, admin: dict[str, str]) -> None:
    method = ref("boleto").lower()
    added = api.post("/api/v1/payment-methods", json={"code": method, "name": "Boleto"}, headers=admin)
    assert added.status_code == 201
    sku, _ = stocked_sku(api, admin, 5)
    order_id = api.post("/api/v1/sales-orders", json=order_body(sku), headers=admin).json()["id"]
    unknown = api.post(f"/api/v1/sales-orders/{order_id}/payments", json={"amount": 9900, "method": "paypal"},
                       headers=admin)
    assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")
    assert "unknown payment method 'paypal'" in unknown.json()["detail"]
    paid = api.post(f"/api/v1/sales-orders/{order_id}/payments", json={"amount": 9900, "method": method},
                    headers=admin)
    assert paid.json() == {"status": "paid"}
    [payment] = api.get(f"/api/v1/sales-orders/{order_id}", headers=admin).json()["payments"]
    assert (payment["method"], payment["amount"]) == (method, 9900)


def test_freight_is_part_of_the_total_and_the_address_is_kept(api: TestClient, admin: dict[str, str]) -> None:
    sku, _ = stocked_sku(api, admin, 5)
    ship_to = {"name": "张伟", "phone": "13800138000", "country": "CN", "province": "浙江省", "city": "杭州市",
               "district": "西湖区", "address": "文三路 90 号", "postcode": "310012"}
    body = order_body(sku, 2) | {"freight": 1200, "ship_to": ship_to}
    order_id = api.post("/api/v1/sales-orders", json=body, headers=admin).json()["id"]
    order = api.get(f"/api/v1/sales-orders/{order_id}", headers=admin).json()
    assert (order["total"], order["freight"], order["ship_to"]) == (2 * 9900 + 1200, 1200, ship_to)
    paying = f"/api/v1/sales-orders/{order_id}/payments"
    assert api.post(paying, json={"amount": 2 * 9900, "method": "alipay"}, headers=admin).json() == {"status": "placed"}
    assert api.post(paying, json={"amount": 1200, "method": "alipay"}, headers=admin).json() == {"status": "paid"}
    negative = api.post("/api/v1/sales-orders", json=order_body(sku) | {"freight": -1}, headers=admin)
    assert negative.status_code == 422


def test_the_webhook_takes_orders_on_a_new_channel_with_freight(api: TestClient, admin: dict[str, str]) -> None:
    code = new_channel(api, admin)
    sku, _ = stocked_sku(api, admin, 5)
    listing = {"channel_sku": ref("MLB"), "sku": sku}
    assert api.put(f"/api/v1/channels/{code}/listings", json=listing, headers=admin).status_code == 204
    body = {"external_id": ref("ML"), "lines": [{"channel_sku": listing["channel_sku"], "qty": 1, "unit_price": 5000}],
            "freight": 990, "ship_to": {"city": "São Paulo", "country": "BR"}}
    placed = api.post(f"/api/v1/channels/{code}/orders", json=body, headers=admin)
    assert placed.status_code == 201, placed.text
    order = api.get(f"/api/v1/sales-orders/{placed.json()['id']}", headers=admin).json()
    assert (order["channel"], order["total"], order["ship_to"]["city"]) == (code, 5990, "São Paulo")
    unknown = api.post("/api/v1/channels/amazon/orders", json=body, headers=admin)
    assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")
