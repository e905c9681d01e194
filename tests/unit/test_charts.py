"""The PNG charts a project manager reads: the Gantt timeline and the budget burn."""

from __future__ import annotations

import base64
import dataclasses
import warnings
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from erp_models.project.status import BudgetBurn, PhaseBudget, TimelineItem
from tasks.charts import png_data_uri, render_budget_burn, render_gantt, style

TODAY = date(2026, 7, 1)
PHASES = [
    TimelineItem("P1", "需求分析与规划 Plan", "phase", date(2026, 3, 2), date(2026, 4, 10), "done"),
    TimelineItem("P2", "系统配置与开发 Build", "phase", date(2026, 4, 13), date(2026, 6, 19), "done"),
    TimelineItem("P3", "数据迁移 Migrate", "phase", date(2026, 5, 18), date(2026, 7, 17), "in_progress"),
    TimelineItem("P4", "上线切换 Go-live", "phase", date(2026, 7, 20), date(2026, 8, 14), "planned"),
]


def milestone(code: str, name: str, due: date, status: str) -> TimelineItem:
    return TimelineItem(code, name, "milestone", due, due, status)


MILESTONES = [
    milestone("M1", "需求基线签字 Requirements signed", date(2026, 4, 10), "approved"),
    milestone("M2", "配置评审 Build review", date(2026, 6, 5), "passed"),
    milestone("M3", "迁移演练 Dry run", date(2026, 6, 26), "passed"),
    milestone("M4", "性能测试 Load test", date(2026, 7, 24), "pending"),
    milestone("M5", "正式上线 Go-live", date(2026, 8, 14), "pending"),
]


def budget_burn(p2_spent_minor: int = 75_000_000) -> BudgetBurn:
    phases = [
        PhaseBudget("P1", "需求分析与规划 Plan", 30_000_000, 28_500_000),
        PhaseBudget("P2", "系统配置与开发 Build", 80_000_000, p2_spent_minor),
        PhaseBudget("P3", "数据迁移 Migrate", 45_000_000, 21_000_000),
        PhaseBudget("P4", "上线切换 Go-live", 25_000_000, 0),
    ]
    weeks = [date(2026, 3, 6) + timedelta(weeks=n) for n in range(17)]
    spend = [(day, 6_000_000 * (n + 1)) for n, day in enumerate(weeks)]
    return BudgetBurn("CNY", 180_000_000, date(2026, 3, 2), date(2026, 8, 14), phases, spend)


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGB"), dtype=int)


def red_pixels(path: Path) -> int:
    """How many pixels are (close to) the colour of late phases, failed milestones and overruns."""
    red = np.array([0xD6, 0x27, 0x28])
    return int((np.abs(pixels(path) - red).sum(axis=2) < 30).sum())


def test_gantt_is_a_png_small_enough_to_embed(tmp_path: Path) -> None:
    out = render_gantt([*PHASES, *MILESTONES], today=TODAY, out=tmp_path / "charts" / "gantt.png")

    height, width, _ = pixels(out).shape
    assert width == 1000 and 300 <= height <= 900
    assert out.stat().st_size < 150_000


def test_a_late_phase_and_a_failed_milestone_show_in_red(tmp_path: Path) -> None:
    on_track = render_gantt([*PHASES, *MILESTONES], today=TODAY, out=tmp_path / "on_track.png")
    late = [dataclasses.replace(PHASES[2], status="late"), dataclasses.replace(MILESTONES[2], status="failed")]
    troubled = render_gantt([*PHASES[:2], *late, *MILESTONES], today=TODAY, out=tmp_path / "troubled.png")

    assert red_pixels(on_track) == 0
    assert red_pixels(troubled) > 500


def test_the_today_line_moves_with_today(tmp_path: Path) -> None:
    july = render_gantt(PHASES, today=TODAY, out=tmp_path / "july.png")
    april = render_gantt(PHASES, today=date(2026, 4, 1), out=tmp_path / "april.png")

    assert not np.array_equal(pixels(july), pixels(april))


def test_the_same_chart_gives_the_same_bytes(tmp_path: Path) -> None:
    first = render_budget_burn(budget_burn(), today=TODAY, out=tmp_path / "first.png")
    second = render_budget_burn(budget_burn(), today=TODAY, out=tmp_path / "second.png")

    assert first.read_bytes() == second.read_bytes()


def test_a_phase_over_budget_shows_in_red(tmp_path: Path) -> None:
    on_budget = render_budget_burn(budget_burn(), today=TODAY, out=tmp_path / "on_budget.png")
    overrun = render_budget_burn(budget_burn(p2_spent_minor=91_200_000), today=TODAY, out=tmp_path / "overrun.png")

    assert pixels(on_budget).shape == (500, 1000, 3)
    assert red_pixels(on_budget) == 0
    assert red_pixels(overrun) > 500


def test_a_budget_without_spend_yet_still_renders(tmp_path: Path) -> None:
    burn = dataclasses.replace(budget_burn(), spend_over_time=[])

    out = render_budget_burn(burn, today=date(2026, 3, 1), out=tmp_path / "no_spend.png")

    assert pixels(out).shape == (500, 1000, 3)


def test_a_timeline_of_milestones_only_or_of_nothing_still_renders(tmp_path: Path) -> None:
    milestones = render_gantt(MILESTONES, today=TODAY, out=tmp_path / "milestones.png")
    nothing = render_gantt([], today=TODAY, out=tmp_path / "nothing.png")

    assert red_pixels(milestones) == 0 and pixels(milestones).shape[1] == 1000
    assert pixels(nothing).shape[1] == 1000


def test_glyphs_that_no_installed_font_has_do_not_spam_warnings(tmp_path: Path) -> None:
    odd = dataclasses.replace(PHASES[0], name="Plan 한국어")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        render_gantt([odd], today=TODAY, out=tmp_path / "odd.png")


def test_without_a_cjk_font_names_keep_their_latin_part_rather_than_boxes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(style, "cjk_family", lambda: None)

    assert style.legible("需求分析与规划 Plan") == "Plan"
    assert style.legible("上线切换", fallback="P4") == "P4"


def test_with_a_cjk_font_names_keep_their_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(style, "cjk_family", lambda: "Noto Sans CJK SC")

    assert style.legible("需求分析与规划 Plan") == "需求分析与规划 Plan"


def test_a_data_uri_carries_the_png_bytes(tmp_path: Path) -> None:
    out = render_gantt(PHASES, today=TODAY, out=tmp_path / "gantt.png")

    uri = png_data_uri(out)

    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.removeprefix("data:image/png;base64,")) == out.read_bytes()
