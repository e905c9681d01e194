"""Signing outbound HTTP deliveries (HMAC-SHA256) and the retry schedule, both pure.

The signature covers ``<timestamp>.<raw body>`` (the Stripe/Standard-Webhooks shape), so a receiver can refuse
a replayed old request by its timestamp; the header reads ``sha256=<hex>`` like GitHub's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

SIGNATURE_HEADER = "X-Erpops-Signature"
TIMESTAMP_HEADER = "X-Erpops-Timestamp"
EVENT_ID_HEADER = "X-Erpops-Event-Id"
EVENT_TYPE_HEADER = "X-Erpops-Event-Type"


def new_secret() -> str:
    return secrets.token_hex(32)


def encode_body(document: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed: compact, keys sorted, UTF-8 (Chinese stays readable)."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(secret: str, timestamp: int, body: bytes, header: str) -> bool:
    """What a receiver runs: constant-time comparison against the header."""
    return hmac.compare_digest(signature(secret, timestamp, body), header)


def signed_headers(*, secret: str, timestamp: int, body: bytes, delivery_id: str, event_type: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        SIGNATURE_HEADER: signature(secret, timestamp, body),
        TIMESTAMP_HEADER: str(timestamp),
        EVENT_ID_HEADER: delivery_id,
        EVENT_TYPE_HEADER: event_type,
    }


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: attempt n (1-based) failing waits base·factor^(n-1), capped; after `max_attempts`
    failures, or once the first attempt is `max_age_s` old, the delivery is parked as a dead letter."""

    max_attempts: int = 6
    base_delay_s: float = 2.0
    factor: float = 2.0
    max_delay_s: float = 600.0
    max_age_s: float = 3600.0
    timeout_s: float = 10.0

    def delay_after(self, failures: int) -> float:
        """Seconds to wait after the `failures`-th failed attempt."""
        return min(self.max_delay_s, self.base_delay_s * self.factor ** (failures - 1))

    def schedule(self) -> list[float]:
        """The waits between the attempts, e.g. [2, 4, 8, 16, 32] for six attempts."""
        return [self.delay_after(n) for n in range(1, self.max_attempts)]

    def gives_up(self, *, failures: int, age_s: float) -> bool:
        return failures >= self.max_attempts or age_s >= self.max_age_s
