"""Sending one signed POST: the port the exchange passes use, and its httpx implementation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import httpx


@dataclass(frozen=True)
class SendResult:
    ok: bool
    status: int | None  # None when no HTTP answer came (refused, timed out)
    error: str = ""


class Sender(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult: ...


class HttpxSender:
    """A 2xx answer is delivered; anything else (another status, no answer) is a failed attempt."""

    def __init__(self, *, timeout_s: float = 10.0) -> None:
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        try:
            answer = self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return SendResult(ok=False, status=None, error=f"{type(exc).__name__}: {exc}"[:500])
        if answer.is_success:
            return SendResult(ok=True, status=answer.status_code)
        return SendResult(ok=False, status=answer.status_code, error=f"HTTP {answer.status_code}: {answer.text[:200]}")

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpxSender:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
