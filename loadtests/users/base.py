"""What every user of the realistic mix shares: its fixture, its role's token, and how an answer is judged."""

from __future__ import annotations

import random
from typing import Any, ClassVar

from locust import FastHttpUser

from loadtests.config import Fixture, UserKind

# A business answer the mix expects under load; counted as a success (the runner still records its status).
EXPECTED_CONFLICTS = {"place_order": {"insufficient_stock"}, "ship_order": {"invalid_transition"}}


class ErpUser(FastHttpUser):
    """A person or system working on the load test's own data through the ERP API with one role's token."""

    abstract = True
    kind: ClassVar[UserKind]
    fixture: ClassVar[Fixture | None] = None

    def on_start(self) -> None:
        if self.fixture is None:
            raise RuntimeError(f"{type(self).__name__} has no fixture: build the mix with loadtests.users.mix()")
        self.data: Fixture = self.fixture
        self.auth = self.headers_for(self.kind)

    def headers_for(self, kind: UserKind) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.data.token(kind)}"}

    def some_skus(self, most: int) -> list[str]:
        return random.sample(self.data.skus, k=min(len(self.data.skus), random.randint(1, most)))

    def call(self, method: str, path: str, name: str, *, json: Any = None, ok: tuple[int, ...] = (200,),
             headers: dict[str, str] | None = None, context: dict[str, Any] | None = None) -> Any:
        """Send one request named `name`; the answer's JSON when its status is in `ok` (or an expected
        conflict, which answers None), else None with the request marked as failed."""
        with self.client.request(method, path, name=name, json=json, headers=headers or self.auth,
                                 catch_response=True, context=context or {}) as response:
            if response.status_code in ok:
                response.success()
                return response.json()
            if response.status_code == 409 and _error_code(response) in EXPECTED_CONFLICTS.get(name, ()):
                response.success()
                return None
            response.failure(f"{response.status_code}: {(response.text or '')[:200]}")
            return None


def _error_code(response: Any) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None
