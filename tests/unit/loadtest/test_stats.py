"""Percentiles come from merged histograms exactly as Locust computes them, and a result.json reads into a model."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from erp_models.loadtest.histogram import Histogram, bucket_ms
from erp_models.loadtest.stats import LoadResultError, read_result
from tests.unit.loadtest.builders import result_of, steady

QUANTILES = (0.01, 0.5, 0.66, 0.9, 0.95, 0.99, 0.999)
ROUNDED = (0.4, 3.5, 47.2, 99.6, 147, 999, 3432, 58760)
# Locust is asked in a subprocess: importing it here would monkey-patch the test process with gevent.
LOCUST = """
import json, sys
from locust.stats import bucket_response_time, calculate_response_time_percentile
cases, quantiles, rounded = json.load(sys.stdin)
print(json.dumps({"percentiles": [[calculate_response_time_percentile({int(k): v for k, v in c.items()},
                                   sum(c.values()), q) for q in quantiles] for c in cases],
                  "rounded": [bucket_response_time(ms) for ms in rounded]}))
"""


def locust_answers(cases: list[dict[int, int]]) -> dict[str, list[object]]:
    answer = subprocess.run([sys.executable, "-c", LOCUST], input=json.dumps([cases, QUANTILES, ROUNDED]),
                            capture_output=True, text=True, timeout=60, check=True,
                            env={**os.environ, "LOCUST_SKIP_MONKEY_PATCH": "1"})
    return json.loads(answer.stdout)  # type: ignore[no-any-return]


def test_percentiles_and_rounding_match_locusts_own_functions() -> None:
    cases = []
    for seed in range(30):
        rng = random.Random(seed)
        counts: dict[int, int] = {}
        for _ in range(rng.randint(1, 3000)):
            key = bucket_ms(rng.lognormvariate(3.5, 1.2))
            counts[key] = counts.get(key, 0) + 1
        cases.append(counts)
    cases.append({40: 1})
    locust = locust_answers(cases)
    assert [[Histogram.of(c).percentile(q) for q in QUANTILES] for c in cases] == locust["percentiles"]
    assert [bucket_ms(ms) for ms in ROUNDED] == locust["rounded"]


def test_merging_adds_counts_so_percentiles_of_workers_are_exact() -> None:
    fast, slow = Histogram.of({10: 90}), Histogram.of({500: 10})
    merged = Histogram.merged([fast, slow])
    assert merged.count == 100 and merged.percentile(0.95) == 500 and merged.percentile(0.5) == 10


def test_an_empty_histogram_has_no_percentile() -> None:
    assert Histogram.of().percentile(0.95) is None and Histogram.of().mean() is None


def test_the_total_merges_every_endpoint() -> None:
    result = result_of({"place_order": steady([20.0] * 9, 4), "stock_lookup": steady([5.0], 4, failures=1)})
    total = result.whole()
    assert total.requests == 40 and total.failures == 4
    assert total.rps() == 10.0 and total.fail_ratio() == 0.1
    assert result.whole("place_order").avg_ms() == 20.0


def test_a_window_counts_the_seconds_it_covers() -> None:
    result = result_of({"place_order": [([10.0], 0), ([20.0, 30.0], 0), ([], 0), ([40.0], 0)]})
    window = result.window(1, 3, "place_order")
    assert window.requests == 2 and window.duration_s == 2 and window.rps() == 1.0


def test_a_result_file_with_string_keys_reads(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"profile": "smoke", "duration_s": 2, "endpoints": {
        "place_order": {"requests": 3, "failures": 0, "histogram": {"12": 2, "150": 1}}}, "future_field": 1}))
    result = read_result(path)
    assert result.endpoints["place_order"].histogram.root == {12: 2, 150: 1}


def test_a_malformed_result_file_is_one_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"profile": "smoke", "duration_s": "long"}))
    with pytest.raises(LoadResultError, match=r"result\.json: duration_s: ") as caught:
        read_result(path)
    assert "\n" not in str(caught.value)
    with pytest.raises(LoadResultError, match="no load-test result"):
        read_result(tmp_path / "missing.json")
