"""Signing deliveries and the retry schedule, without a database or a network."""

from __future__ import annotations

import hashlib
import hmac

from erp_models.integration.signing import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    RetryPolicy,
    encode_body,
    signature,
    signed_headers,
    verify_signature,
)


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body_as_a_receiver_computes_it() -> None:
    body = encode_body({"id": 7, "type": "OrderPlaced", "data": {"channel": "天猫"}})
    receiver_side = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("s3cret", 1_700_000_000, body) == f"sha256={receiver_side}"


def test_a_tampered_body_a_wrong_secret_or_another_timestamp_do_not_verify() -> None:
    body = encode_body({"id": 7, "available": 900})
    header = signature("s3cret", 1_700_000_000, body)
    assert verify_signature("s3cret", 1_700_000_000, body, header)
    assert not verify_signature("s3cret", 1_700_000_000, body.replace(b"900", b"901"), header)
    assert not verify_signature("other", 1_700_000_000, body, header)
    assert not verify_signature("s3cret", 1_700_000_001, body, header)


def test_the_headers_carry_signature_timestamp_and_event_id() -> None:
    body = encode_body({"id": 42})
    headers = signed_headers(secret="k", timestamp=1_700_000_000, body=body, delivery_id="42", event_type="X")
    assert headers[EVENT_ID_HEADER] == "42" and headers[TIMESTAMP_HEADER] == "1700000000"
    assert verify_signature("k", 1_700_000_000, body, headers[SIGNATURE_HEADER])


def test_the_body_keeps_chinese_readable_and_is_stable() -> None:
    assert encode_body({"b": 1, "a": "杭州"}) == '{"a":"杭州","b":1}'.encode()


def test_backoff_doubles_from_the_base_delay_and_is_capped() -> None:
    assert RetryPolicy(max_attempts=6, base_delay_s=2).schedule() == [2, 4, 8, 16, 32]
    capped = RetryPolicy(max_attempts=8, base_delay_s=10, max_delay_s=60)
    assert capped.schedule() == [10, 20, 40, 60, 60, 60, 60]


def test_a_delivery_is_parked_after_max_attempts_or_once_too_old() -> None:
    policy = RetryPolicy(max_attempts=3, max_age_s=100)
    assert not policy.gives_up(failures=2, age_s=10)
    assert policy.gives_up(failures=3, age_s=10)
    assert policy.gives_up(failures=1, age_s=100)
