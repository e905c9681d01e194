"""The plan file's `operations.monitor` section (see erp_models.ops.plan_section): what the monitor flow measures and
the limits it holds each check to. A plan without the section gets the defaults below."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from erp_models.ops.monitor_thresholds import CHECKS, MonitorThreshold, parse_monitor_threshold

# One limit per check that has a sensible default; KPIs are business-specific, so a plan sets their limits.
DEFAULT_THRESHOLDS: tuple[str, ...] = (
    "db.reachable == 1",
    "db.connections_ratio < 0.8",
    "db.longest_transaction_s < 300",
    "db.lock_waiters < 5",
    "db.bloat_ratio < 0.3",
    "db.size_growth_ratio < 0.5",
    "api.health_p95_ms < 200",
    "api.read_p95_ms < 800",
    "api.error_ratio <= 0.01",
    "invariants.violations == 0",
    "dq.orders_without_lines == 0",
    "dq.nonpositive_prices == 0",
    "dq.stale_reservations == 0",
    "dq.skus_without_price == 0",
    "outbox.lag_min < 15",
)


class MonitorSpec(BaseModel):
    """Limits as `<check> <op> <number>` (e.g. `api.read_p95_ms < 500`); a plan's limit for a check replaces the
    default one for that check, and `disabled` drops checks from judging (they are still measured)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    thresholds: list[str] = Field(default_factory=list, description="limits that replace the defaults per check")
    disabled: list[str] = Field(default_factory=list, description="checks measured but never judged")
    api_requests: int = Field(default=20, ge=1, le=200, description="requests per endpoint in the API burst")
    api_read_path: str = Field(default="/api/v1/stock?limit=20", pattern=r"^/api/",
                               description="the read endpoint the burst calls with a viewer token")
    recent_days: int = Field(default=7, ge=1, le=366, description="data quality looks at orders this recent")
    stale_reservation_days: int = Field(default=7, ge=1, le=366,
                                        description="an open order holding stock longer than this is stale")
    kpi_window_days: int = Field(default=7, ge=1, le=366, description="KPIs are computed over this window")
    ship_within_hours: int = Field(default=48, ge=1, le=24 * 30,
                                   description="fill rate counts orders at least this old (they should have shipped)")
    top_skus: int = Field(default=10, ge=1, le=200, description="days of cover are shown for this many best sellers")
    chart_runs: int = Field(default=30, ge=2, le=500, description="runs shown in the status artifact's charts")
    keep_samples_days: int = Field(default=30, ge=1, le=3650, description="monitor samples older than this go")

    @field_validator("thresholds")
    @classmethod
    def _parse(cls, value: list[str]) -> list[str]:
        for i, text in enumerate(value):
            parse_monitor_threshold(text, where=f"operations.monitor.thresholds[{i}]")
        return value

    @field_validator("disabled")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c not in CHECKS]
        if unknown:
            raise ValueError(f"unknown check(s) {', '.join(unknown)}; checks: {', '.join(sorted(CHECKS))}")
        return value

    def limits(self) -> dict[str, MonitorThreshold]:
        """The threshold judged per check: the defaults, replaced by the plan's, less the disabled checks."""
        chosen = {t.check: t for t in map(parse_monitor_threshold, DEFAULT_THRESHOLDS)}
        chosen |= {t.check: t for t in map(parse_monitor_threshold, self.thresholds)}
        return {check: t for check, t in chosen.items() if check not in self.disabled}
