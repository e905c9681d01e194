"""Durations as a plan writes them: a number of seconds, or `30s`, `2m`, `1h`, `1m30s`."""

from __future__ import annotations

import re

_DURATION = re.compile(r"^(?:(?P<h>\d+(?:\.\d+)?)h)?(?:(?P<m>\d+(?:\.\d+)?)m)?(?:(?P<s>\d+(?:\.\d+)?)s)?$")


class DurationError(ValueError):
    """A duration that is not a number of seconds nor like `30s`, `2m` or `1m30s`."""


def parse_duration(value: object) -> float:
    """Seconds, from a number (seconds) or a string such as `30s`, `2m`, `1h`, `1m30s`, `45`."""
    if isinstance(value, bool):
        raise DurationError(f"{value!r} is not a duration: write seconds (30) or a duration ('30s', '2m')")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        try:
            return float(text)
        except ValueError:
            pass
        match = _DURATION.match(text)
        if match and any(match.groupdict().values()):
            parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
            return parts.get("h", 0.0) * 3600 + parts.get("m", 0.0) * 60 + parts.get("s", 0.0)
    raise DurationError(f"{value!r} is not a duration: write seconds (30) or a duration ('30s', '2m', '1m30s')")
