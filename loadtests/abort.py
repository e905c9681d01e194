"""abort_on_fail: the run's thresholds, parsed by the domain's grammar, checked on the result so far once a second."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from erp_models.loadtest.stats import LoadResult
from erp_models.loadtest.thresholds import Threshold, ThresholdError, abort_reason, parse_threshold
from infra.errors import ConfigError


class AbortWatch:
    """Knows the run's thresholds; `reason()` says why the run must stop now, or None."""

    def __init__(self, raw: Sequence[str | dict[str, Any]], where: str) -> None:
        try:
            self.thresholds: list[Threshold] = [parse_threshold(item, f"{where}: thresholds[{n}]")
                                                for n, item in enumerate(raw)]
        except ThresholdError as exc:
            raise ConfigError(str(exc)) from exc

    @property
    def needed(self) -> bool:
        """Whether any threshold stops the run early (the others are judged by the flow afterwards)."""
        return any(t.abort_on_fail for t in self.thresholds)

    def reason(self, result_so_far: dict[str, Any], elapsed_s: float) -> str | None:
        return abort_reason(self.thresholds, LoadResult.model_validate(result_so_far), elapsed_s)
