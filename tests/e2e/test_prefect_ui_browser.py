"""Browser check: a project manager opens the Prefect UI in headless Chromium and reads the `milestones` artifact.

Needs the `chromium` binary (Debian: `apt-get install chromium`; `.ci/run` installs it) and is skipped without it.
The screenshots are kept under `test-output/screenshots/` at the repository root (`<name>-failure.png` when an
expectation failed).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import browser_page, requires_chromium, screenshot
from tests.e2e.conftest import DemoStack

pytestmark = [pytest.mark.slow, requires_chromium]

KEY = "milestones"
MILESTONE = "M1 选型完成 Vendor selected"
WAIT_MS = 45_000  # the UI polls the API: the artifact's list and content take a while to appear


# The Prefect server serves two UIs: "/" redirects a browser to the new one under /v2 (Prefect's default), while
# links Prefect itself prints (flow run logs) point at the classic one at the root. Both have the same routes:
# /artifacts/key/<key> lists an artifact's versions, /artifacts/artifact/<id> renders one version's content.
@pytest.mark.parametrize(("ui", "name"), [("/v2", "prefect-ui-milestones"), ("", "prefect-ui-v1-milestones")],
                         ids=["v2", "v1"])
def test_a_project_manager_reads_the_milestones_artifact_in_the_prefect_ui(
    demo_stack: DemoStack, ui: str, name: str
) -> None:
    base = f"{demo_stack.prefect}{ui}"  # after `erpops demo`, whose milestone-gates flow publishes `milestones`
    with browser_page(width=1400, height=1000, deadline_s=150, name=name) as page:
        page.goto(f"{base}/artifacts/key/{KEY}")
        newest = page.locator('a[href*="/artifacts/artifact/"]').first  # the newest version comes first
        expect(newest).to_be_visible(timeout=WAIT_MS)
        expect(page.locator("body")).to_contain_text(KEY)
        latest = newest.evaluate("a => a.href")
        assert latest.startswith(f"{base}/artifacts/artifact/")

        page.goto(latest)
        # The UI re-renders the artifact while it polls; locators look the page up afresh at every check, and the
        # checks are made again after the screenshot, so that it shows the table and the chart.
        the_page_shows_the_milestones_table_and_timeline(page)
        screenshot(page, name)
        the_page_shows_the_milestones_table_and_timeline(page)


def the_page_shows_the_milestones_table_and_timeline(page: Page) -> None:
    cells = page.locator("td")
    expect(cells.first).to_have_text(MILESTONE, timeout=WAIT_MS)  # else the markdown is not rendered as a table
    expect(cells.nth(1)).to_contain_text("awaiting approval")  # M1's criteria hold; it waits for the PM's sign-off
    expect(page.get_by_role("heading", name=re.compile(r"^Milestones\b"))).to_be_visible()
    expect(page.locator("body")).to_contain_text(KEY)
    gantt = page.get_by_role("img", name="Milestone timeline")
    expect(gantt).to_be_visible()
    expect(gantt).to_have_js_property("complete", True)
    expect(gantt).not_to_have_js_property("naturalWidth", 0)  # else the milestone timeline chart did not render
