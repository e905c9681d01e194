"""Locust's own report files for a run: the HTML report and the stats CSVs (prefix `stats`), written with
Locust's functions so that they read exactly like `locust --html --csv` output."""

from __future__ import annotations

import csv
from pathlib import Path

import gevent
from gevent import Greenlet
from locust.env import Environment
from locust.html import get_html_report
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV, StatsCSVFileWriter, stats_history

CSV_PREFIX = "stats"


class LocustReports:
    """Starts Locust's history recorders with the run, and writes the final files after it."""

    def __init__(self, env: Environment, out_dir: Path) -> None:
        self.env, self.out_dir = env, out_dir
        self.history_writer = StatsCSVFileWriter(env, PERCENTILES_TO_REPORT, str(out_dir / CSV_PREFIX),
                                                 full_history=True)
        self.greenlets: list[Greenlet] = []

    def start(self) -> None:
        assert self.env.runner is not None
        self.greenlets = [gevent.spawn(self.history_writer.stats_writer), gevent.spawn(stats_history, self.env.runner)]

    def finish(self) -> None:
        """Stop the recorders and write report.html and the final stats_stats/failures/exceptions.csv.

        Locust's own writer leaves the final `_stats.csv` as it was at its last one-second tick, which
        undercounts; the final files are written again here from the finished statistics."""
        gevent.killall(self.greenlets, block=True)
        self.history_writer.close_files()
        final = StatsCSV(self.env, PERCENTILES_TO_REPORT)
        for suffix, write in (("stats", final.requests_csv), ("failures", final.failures_csv),
                              ("exceptions", final.exceptions_csv)):
            with (self.out_dir / f"{CSV_PREFIX}_{suffix}.csv").open("w", newline="", encoding="utf-8") as handle:
                write(csv.writer(handle))
        html = get_html_report(self.env, show_download_link=False)  # type: ignore[no-untyped-call]
        (self.out_dir / "report.html").write_text(html, encoding="utf-8")
