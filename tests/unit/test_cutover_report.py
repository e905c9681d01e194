"""The cutover report: the verdict first, every step's numbers as the journal holds them, and the Gantt PNG."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from erp_models.cutover.journal import (
    CutoverJournal,
    CutoverMode,
    CutoverStatus,
    GoNoGoRecord,
    StepStatus,
    drift,
    new_journal,
    planned_schedule,
)
from erp_models.cutover.runbook import load_runbook
from tasks.charts.style import GREEN, ORANGE, RED
from tasks.cutover.report import cutover_gantt_png, cutover_markdown, cutover_step_rows, seconds

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cutover.yaml"
START = datetime(2026, 7, 18, 22, 0, tzinfo=UTC)
TIMINGS = {"readiness": 1.5, "go_no_go": 0.25, "freeze": 0.125, "backup": 4.0, "export_legacy": 0.5,
           "final_delta": 9.75, "reconcile": 2.5, "smoke": 3.0, "switch": 0.25, "post_checks": 6.0}


def journal(*, run_id: str = "3f1c2a7e-0000-4000-8000-000000000003", fail_at: str | None = None,
            started_at: datetime = START, timings: dict[str, float] = TIMINGS) -> CutoverJournal:
    """The example runbook rehearsed step after step (0.5 s apart); from the failed step on, the rest is skipped."""
    runbook, sha = load_runbook(EXAMPLE)
    j = new_journal(run_id=run_id, mode=CutoverMode.REHEARSAL, runbook=runbook, runbook_file="examples/cutover.yaml",
                    runbook_sha256=sha, database="erp_rehearsal_3", started_at=started_at, fail_at=fail_at)
    clock, failed = started_at, False
    for step in j.steps:
        if failed:
            step.status = StepStatus.SKIPPED
            continue
        step.started_at, step.finished_at = clock, clock + timedelta(seconds=timings[step.name])
        clock = step.finished_at + timedelta(seconds=0.5)
        failed = step.name == fail_at
        step.status = StepStatus.FAILED if failed else StepStatus.PASSED
        step.detail = f"injected failure at {step.name}" if failed else f"{step.name} done"
        if step.kind == "switch":
            j.switched_at = step.finished_at
    j.go_no_go = GoNoGoRecord(approved=True, approver="王芳", role="PM", note="test exit signed",
                              decided_at=START + timedelta(seconds=1.6), how="Prefect UI form")
    j.fingerprint_before = j.fingerprint_after = "a" * 64
    j.failed_step, j.reason = fail_at, f"injected failure at {fail_at}" if fail_at else ""
    j.rollback_s = 12.5 if fail_at else None
    j.status = CutoverStatus.ROLLED_BACK if fail_at else CutoverStatus.PASSED
    j.finished_at = clock + timedelta(seconds=j.rollback_s or 0.0)
    return j


def earlier(n: int, reconcile_s: float) -> CutoverJournal:
    return journal(run_id=f"earlier-{n}", started_at=START - timedelta(days=n),
                   timings={**TIMINGS, "reconcile": reconcile_s})


def table_row(markdown: str, step: str) -> list[str]:
    line = next(line for line in markdown.splitlines() if line.startswith("| ") and f" {step} |" in line)
    return [cell.strip() for cell in line.strip("|").split(" | ")]


def colour_pixels(path: Path, colour: str) -> int:
    with Image.open(path) as image:
        assert image.format == "PNG"
        rgb = np.asarray(image.convert("RGB"), dtype=int)
    target = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(rgb - target).sum(axis=2) < 30).sum())


def test_a_passed_rehearsal_names_its_verdict_first_and_its_go_no_go() -> None:
    markdown = cutover_markdown(journal(), [], None)
    lines = markdown.splitlines()

    assert lines[0] == "# ✔ passed: cutover rehearsal"
    assert "- **Mode:** rehearsal on `erp_rehearsal_3`" in markdown
    assert "- **Go/no-go:** ✔ go by 王芳 (PM) at 2026-07-18 22:00:01+00:00, via Prefect UI form" in markdown
    assert "Failed step" not in markdown
    assert "planned 2h50m along the critical path" in markdown  # the example's critical path


def test_each_step_shows_its_estimate_actual_time_and_drift_against_the_mean_of_earlier_runs() -> None:
    current = journal(timings={**TIMINGS, "reconcile": 3.25})
    previous = [earlier(1, 2.0), earlier(2, 3.0)]
    markdown = cutover_markdown(current, previous, None)

    assert table_row(markdown, "reconcile")[:8] == [
        "7", "reconcile", "reconcile", "李强 (migration lead)", "✔ passed", "15m", "3.25 s", "+0.75 s"]
    assert table_row(markdown, "readiness")[5:8] == ["15m", "1.5 s", "±0 s"]
    assert "in 2 earlier runs" in markdown
    rows = {row["step"]: row for row in cutover_step_rows(current, previous)}
    assert rows["reconcile"]["actual_s"] == current.step("reconcile").actual_s == 3.25
    assert rows["reconcile"]["drift_s"] == drift(current, previous)["reconcile"] == 0.75
    assert rows["final_delta"]["estimate_s"] == 2700.0


def test_the_rows_and_the_markdown_carry_the_same_numbers() -> None:
    current = journal(fail_at="smoke")
    previous = [earlier(1, 2.0)]
    markdown = cutover_markdown(current, previous, None)

    for row in cutover_step_rows(current, previous):
        cells = table_row(markdown, str(row["step"]))
        actual, drift_s = row["actual_s"], row["drift_s"]
        assert actual is None or isinstance(actual, float)  # numbers in the table artifact, not text
        assert drift_s is None or isinstance(drift_s, float)
        assert cells[0] == str(row["#"])
        assert cells[6] == seconds(actual)
        assert cells[7] == seconds(drift_s, signed=True)


def test_a_rolled_back_rehearsal_shows_the_failed_step_the_skipped_ones_and_the_rollback_within_the_rto() -> None:
    markdown = cutover_markdown(journal(fail_at="reconcile"), [], None)

    assert markdown.splitlines()[0] == "# ✘ rolled back: cutover rehearsal"
    assert ("- **Failed step:** #7 `reconcile` (pre-switch) (failure injected with --fail-at): "
            "injected failure at reconcile") in markdown
    assert "- **Rollback:** 12.5 s, ✔ within the RTO of 30m (1,800 s)" in markdown
    assert "- **Fingerprint:** before `aaaaaaaaaaaa`, after `aaaaaaaaaaaa`: ✔ match: the rollback restored" in markdown
    assert table_row(markdown, "reconcile")[4:7] == ["✘ failed", "15m", "2.5 s"]
    for step, estimate in (("smoke", "10m"), ("switch", "5m"), ("post_checks", "20m")):
        assert table_row(markdown, step)[4:8] == ["– skipped", estimate, "–", "–"]


def test_a_rollback_slower_than_the_rto_or_one_that_changed_the_data_says_so() -> None:
    slow = journal(fail_at="final_delta")
    slow.rollback_s, slow.rto_s = 2400.0, 1800.0
    slow.fingerprint_after = "b" * 64
    markdown = cutover_markdown(slow, [], None)

    assert "- **Rollback:** 2,400 s, ✘ over the RTO of 30m (1,800 s)" in markdown
    assert "✘ differ: the rollback did not restore the pre-cutover data" in markdown


def test_a_failure_after_the_switch_fails_the_run_without_a_rollback() -> None:
    late = journal(fail_at="post_checks")
    late.status, late.rollback_s = CutoverStatus.FAILED, None
    markdown = cutover_markdown(late, [], None)

    assert markdown.startswith("# ✘ failed: cutover rehearsal")
    assert "#10 `post_checks` (post-switch)" in markdown
    assert "- **Rollback:** none: the failure came after the switch" in markdown


def test_details_are_cut_to_80_characters_and_cannot_break_the_table() -> None:
    current = journal()
    current.step("smoke").detail = "order | paid | shipped " + "x" * 200
    cells = table_row(cutover_markdown(current, [], None), "smoke")

    assert len(cells) == 9
    assert cells[8].startswith("order \\| paid \\| shipped xxx") and cells[8].endswith("…")
    assert len(cells[8].replace("\\|", "|")) == 80


def test_previous_runs_are_listed_newest_first_without_the_current_one() -> None:
    current = journal()
    markdown = cutover_markdown(current, [earlier(2, 2.0), current, earlier(1, 3.0)], None)
    previous = markdown.split("## Previous rehearsals and runs")[1]

    assert "`earlier-` | 2026-07-17 22:00 | rehearsal | ✔ passed" in previous
    assert previous.index("2026-07-17") < previous.index("2026-07-16")
    assert "`3f1c2a7e`" not in previous
    assert "in 2 earlier runs" in markdown


def test_the_planned_schedule_starts_each_step_after_its_last_predecessor() -> None:
    planned = planned_schedule(journal().steps)

    assert planned["backup"][0] == planned["export_legacy"][0] == (15 + 30 + 5) * 60
    assert planned["final_delta"][0] == (15 + 30 + 5 + 25) * 60  # waits for the longer of the two
    assert max(finish for _, finish in planned.values()) == 10200  # 2h50m, the critical path


def test_the_gantt_is_a_png_embedded_in_the_markdown(tmp_path: Path) -> None:
    current = journal(fail_at="reconcile")
    out = cutover_gantt_png(current, tmp_path / "charts" / "cutover.png")
    markdown = cutover_markdown(current, [], out)

    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(out) as image:
        assert image.width == 1000 and 320 <= image.height <= 900
    assert "![Cutover timeline: planned from the estimates, and actual](data:image/png;base64," in markdown
    assert "data:image" not in cutover_markdown(current, [], None)


def test_the_gantt_colours_failed_steps_red_and_the_rollback_orange(tmp_path: Path) -> None:
    passed = cutover_gantt_png(journal(), tmp_path / "passed.png")
    rolled_back = cutover_gantt_png(journal(fail_at="final_delta"), tmp_path / "rolled_back.png")

    assert colour_pixels(passed, GREEN) > 500 and colour_pixels(rolled_back, GREEN) > 100
    assert colour_pixels(passed, RED) == 0 < colour_pixels(rolled_back, RED)
    assert colour_pixels(passed, ORANGE) < 50 < colour_pixels(rolled_back, ORANGE)


@pytest.mark.parametrize("finished", [0, 4])
def test_a_journal_with_no_or_some_finished_steps_and_one_running_still_renders(tmp_path: Path,
                                                                                finished: int) -> None:
    current = journal()
    current.status, current.finished_at, current.switched_at = CutoverStatus.RUNNING, None, None
    for n, step in enumerate(current.steps):
        if n == finished:
            step.status, step.finished_at = StepStatus.RUNNING, None
        elif n > finished:
            step.status, step.started_at, step.finished_at = StepStatus.PENDING, None, None
    out = cutover_gantt_png(current, tmp_path / "running.png")
    markdown = cutover_markdown(current, [], out)

    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert markdown.startswith("# running, not finished: cutover rehearsal")
    assert ", still running; planned 2h50m" in markdown
    assert table_row(markdown, current.steps[finished].name)[4] == "running"
    assert table_row(markdown, "post_checks")[4:8] == ["pending", "20m", "–", "–"]
