"""The threshold grammar: `[<endpoint>:] <metric> <op> <number | baseline [* factor]> [for <N>s]`, parsed.

A plan holds a threshold as that string or as a mapping `{expr: ..., abort_on_fail: true, grace: 5s}`. The grammar
is a handful of fixed parts, so it is parsed piece by piece with regular expressions: each piece gets its own error
message, which an expression library would not give.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from erp_models.loadtest.durations import DurationError, parse_duration
from erp_models.loadtest.metrics import LATENCIES, Metric, metric_key, metric_label
from erp_models.loadtest.stats import TOTAL
from erp_models.project.criteria import OPERATORS

HOW = "write `[endpoint:] metric op number|baseline [* factor] [for Ns]`, e.g. 'place_order: p(95) < 300'"
_WINDOW = re.compile(r"\s+for\s+(?P<window>\S+(?:\s[smh])?)\s*$")
_ENDPOINT = re.compile(r"^[a-z][a-z0-9_]*$")
_OP = re.compile(r"<=|>=|==|!=|<|>")
_PERCENTILE = re.compile(r"^p\(\s*(?P<n>[^)]*?)\s*\)$")
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_LIMIT = re.compile(rf"^(?P<n>{_NUMBER})\s*(?P<unit>ms)?$")
_BASELINE = re.compile(rf"^baseline(?:\s*\*\s*(?P<factor>{_NUMBER}))?$")
_ALIASES = {"med": (Metric.PERCENTILE, 50.0), "fail_rate": (Metric.FAIL_RATIO, None)}
Seconds = Annotated[float, BeforeValidator(parse_duration), Field(ge=0, le=86400)]


class ThresholdError(ValueError):
    """A threshold that cannot be parsed; one line that names where it was written."""


class ThresholdRule(BaseModel):
    """The mapping form of a threshold, as a plan (and the runner's CONFIG.json) holds it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    expr: str
    abort_on_fail: bool = False
    grace_s: Seconds = Field(default=0.0, validation_alias=AliasChoices("grace_s", "grace"))

    @model_validator(mode="after")
    def _grace_needs_abort(self) -> ThresholdRule:
        if self.grace_s and not self.abort_on_fail:
            raise ValueError("grace only applies with abort_on_fail: true")
        return self


ThresholdSpec = str | ThresholdRule


@dataclass(frozen=True)
class Threshold:
    text: str  # as written, trimmed
    endpoint: str  # a Locust request name, or `total`
    metric: Metric
    percentile: float | None  # N of p(N)
    op: str
    limit: float | None  # None for a baseline threshold
    baseline_factor: float | None  # the factor of `baseline * factor` (1.0 for a bare `baseline`)
    window_s: int | None  # `for N s`: judged on every N-second stretch of one-second buckets
    abort_on_fail: bool = False
    grace_s: float = 0.0

    @property
    def key(self) -> str:
        """The key of this threshold's value in a baseline: `<endpoint>.<metric key>`, e.g. place_order.p95_ms."""
        return f"{self.endpoint}.{metric_key(self.metric, self.percentile)}"

    @property
    def label(self) -> str:
        return metric_label(self.metric, self.percentile)

    @property
    def is_baseline(self) -> bool:
        return self.baseline_factor is not None

    def holds(self, value: float, limit: float) -> bool:
        return OPERATORS[self.op](value, limit)


def parse_threshold(spec: ThresholdSpec | Mapping[str, object], where: str = "") -> Threshold:
    """The parsed threshold; ThresholdError (`<where>: <what is wrong>`) when it is malformed."""
    try:
        rule = spec if isinstance(spec, ThresholdRule) else (
            ThresholdRule(expr=spec) if isinstance(spec, str) else ThresholdRule.model_validate(spec))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise _error(where, f"{field}: {message}" if field else message) from None
    try:
        return _parse(rule)
    except ValueError as exc:
        raise _error(where, f"threshold {rule.expr.strip()!r}: {exc}") from None


def parse_thresholds(specs: Sequence[ThresholdSpec | Mapping[str, object]], where: str = "") -> list[Threshold]:
    return [parse_threshold(spec, f"{where}[{i}]" if where else f"thresholds[{i}]") for i, spec in enumerate(specs)]


def _error(where: str, message: str) -> ThresholdError:
    return ThresholdError(f"{where}: {message}" if where else message)


def _parse(rule: ThresholdRule) -> Threshold:
    text = " ".join(rule.expr.split())
    if not text:
        raise ValueError(f"the threshold is empty; {HOW}")
    body, window_s = _split_window(text)
    endpoint, body = _split_endpoint(body)
    match = _OP.search(body)
    if match is None:
        raise ValueError(f"no comparison (one of {', '.join(OPERATORS)}); {HOW}")
    metric, percentile = _metric(body[:match.start()].strip())
    limit, factor = _right_side(body[match.end():].strip(), metric)
    if window_s is not None and match[0] in ("==", "!="):
        raise ValueError("`for` needs an ordering comparison (<, <=, >, >=)")
    return Threshold(text=text, endpoint=endpoint, metric=metric, percentile=percentile, op=match[0], limit=limit,
                     baseline_factor=factor, window_s=window_s, abort_on_fail=rule.abort_on_fail,
                     grace_s=rule.grace_s)


def _split_window(text: str) -> tuple[str, int | None]:
    match = _WINDOW.search(text)
    if match is None:
        if re.search(r"\bfor\b", text):
            raise ValueError(f"`for` must end the threshold, followed by a duration such as 10s; {HOW}")
        return text, None
    try:
        seconds = parse_duration(match["window"])
    except DurationError:
        raise ValueError(f"window {match['window']!r} is not a duration such as 10s or 2m") from None
    if seconds < 1 or not seconds.is_integer():
        raise ValueError(f"window {match['window']!r} must be a whole number of seconds, at least 1s")
    return text[:match.start()], int(seconds)


def _split_endpoint(body: str) -> tuple[str, str]:
    if ":" not in body:
        return TOTAL, body
    endpoint, rest = (part.strip() for part in body.split(":", 1))
    if not _ENDPOINT.match(endpoint):
        raise ValueError(f"endpoint {endpoint!r} is not a Locust request name in snake_case (or `total`)")
    return endpoint, rest


def _metric(text: str) -> tuple[Metric, float | None]:
    if text in _ALIASES:
        return _ALIASES[text]
    if match := _PERCENTILE.match(text):
        try:
            n = float(match["n"])
        except ValueError:
            raise ValueError(f"percentile {match['n']!r} in {text!r} is not a number") from None
        if not 0 < n < 100 or not math.isfinite(n):
            raise ValueError(f"percentile {text} must lie strictly between 0 and 100")
        return Metric.PERCENTILE, n
    try:
        return Metric(text), None
    except ValueError:
        pass
    names = "p(N), " + ", ".join(m.value for m in Metric if m is not Metric.PERCENTILE)
    shown = f"{text!r} is not a metric" if text else "the metric is missing"
    raise ValueError(f"{shown} (one of {names}); {HOW}")


def _right_side(text: str, metric: Metric) -> tuple[float | None, float | None]:
    if match := _BASELINE.match(text):
        factor = float(match["factor"]) if match["factor"] else 1.0
        if not factor > 0 or not math.isfinite(factor):
            raise ValueError(f"the baseline factor must be a positive number, not {match['factor']}")
        return None, factor
    if match := _LIMIT.match(text):
        if match["unit"] and metric not in LATENCIES:
            raise ValueError(f"{metric.value} is not a time: drop the `ms`")
        value = float(match["n"])
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"the limit {match['n']} is not a number from 0 up (no metric is negative)")
        if metric is Metric.FAIL_RATIO and value > 1:
            raise ValueError(f"fail_ratio is a share from 0 to 1, so {match['n']} cannot be its limit (1% is 0.01)")
        return value, None
    shown = repr(text) if text else "nothing"
    raise ValueError(f"compares with {shown}: expected a number or `baseline [* factor]`; {HOW}")
