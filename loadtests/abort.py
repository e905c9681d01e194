"""abort_on_fail: the run's thresholds, parsed by the domain (erp_models.loadtest.thresholds), checked on the
result so far once a second."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from infra.errors import ConfigError


class AbortWatch:
    """Knows the run's thresholds; `reason()` says why the run must stop now, or None."""

    def __init__(self, raw: Sequence[str | dict[str, Any]], where: str) -> None:
        self.thresholds: list[Any] = []
        self.active = False
        if not raw:
            return
        try:
            from erp_models.loadtest import thresholds as grammar
            from erp_models.loadtest.stats import LoadResult
        except ImportError:  # the domain's grammar is not installed: the flow still judges afterwards
            print("loadtests.run: erp_models.loadtest is missing; abort_on_fail is not checked", file=sys.stderr)
            return
        try:
            self.thresholds = [grammar.parse_threshold(item, f"{where}.thresholds[{n}]") for n, item in enumerate(raw)]
        except grammar.ThresholdError as exc:
            raise ConfigError(str(exc)) from exc
        self._abort_reason = grammar.abort_reason
        self._result_model = LoadResult
        self.active = any(getattr(t, "abort_on_fail", False) for t in self.thresholds)

    @property
    def needed(self) -> bool:
        return bool(self.thresholds) and self.active

    def reason(self, result_so_far: dict[str, Any], elapsed_s: float) -> str | None:
        result = self._result_model.model_validate(result_so_far)
        reason: str | None = self._abort_reason(self.thresholds, result, elapsed_s)
        return reason
