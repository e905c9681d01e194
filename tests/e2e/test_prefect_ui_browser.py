"""Browser check: a project manager opens the Prefect UI in headless Chromium and reads the `milestones` artifact.

Needs the `chromium` binary (Debian: `apt-get install chromium`; `.ci/run` installs it) and is skipped without it.
The screenshots are kept under `test-output/` at the repository root.
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

import pytest

from tests.e2e.browser import BrowserError, browser, find_chromium
from tests.e2e.cli import run_erpops

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        find_chromium() is None,
        reason="chromium not installed: apt-get install chromium (Debian) to run the browser check",
    ),
]

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
KEY = "milestones"
MILESTONE = "M1 选型完成 Vendor selected"
RENDERED = (  # the milestones table and the Gantt chart as the page shows them now, or null
    "(() => { const cells = [...document.querySelectorAll('td')].map(td => td.innerText.trim());"
    "  const gantt = [...document.querySelectorAll('img')].find(i => i.alt === 'Milestone timeline');"
    "  const text = document.body.innerText;"
    f"  return cells.includes({MILESTONE!r}) && gantt && gantt.complete && gantt.naturalWidth > 0"
    "    ? {text, cells, gantt: gantt.naturalWidth} : null; })()"
)


@pytest.fixture(scope="module")
def milestones_artifact(shared_stack: dict[str, str]) -> dict[str, str]:
    """The shared stack after `erpops demo`, whose milestone-gates flow publishes the artifact `milestones`."""
    demo = run_erpops("demo", "--json", env=shared_stack, timeout=600)
    assert demo.returncode == 0, demo.stderr[-2000:]
    return shared_stack


# The Prefect server serves two UIs: "/" redirects a browser to the new one under /v2 (Prefect's default), while
# links Prefect itself prints (flow run logs) point at the classic one at the root. Both have the same routes:
# /artifacts/key/<key> lists an artifact's versions, /artifacts/artifact/<id> renders one version's content.
@pytest.mark.parametrize(("ui", "screenshot"), [("/v2", "prefect-ui-milestones.png"),
                                                 ("", "prefect-ui-v1-milestones.png")], ids=["v2", "v1"])
def test_a_project_manager_reads_the_milestones_artifact_in_the_prefect_ui(
    milestones_artifact: dict[str, str], ui: str, screenshot: str
) -> None:
    base = f"http://127.0.0.1:{milestones_artifact['ERPOPS_PREFECT_PORT']}{ui}"
    shot = OUTPUT / screenshot
    shot.unlink(missing_ok=True)
    with browser(timeout_s=120) as page:
        try:
            page.goto(f"{base}/artifacts/key/{KEY}")
            latest = page.wait_for(  # the newest version comes first
                "(document.querySelector('a[href*=\"/artifacts/artifact/\"]') || {}).href", 45,
                f"a link to a version of the artifact {KEY!r}",
            )
            assert KEY in page.text()
            assert str(latest).startswith(f"{base}/artifacts/artifact/")

            page.goto(str(latest))
            # The UI re-renders the artifact while it polls, so reads and the screenshot are taken together:
            # one snapshot once the table and the chart are both there, then the screenshot, kept only when
            # the page still shows them afterwards.
            for _ in range(20):
                rendered = page.wait_for(RENDERED, 45, "the milestones table and the timeline chart")
                page.screenshot(shot)
                if page.evaluate(RENDERED):
                    break
        finally:
            if not shot.is_file():
                with suppress(BrowserError):  # when something failed: it shows what the page showed instead
                    page.screenshot(shot)
        assert shot.is_file(), f"no screenshot at {shot}"
        text, cells = rendered["text"], rendered["cells"]
        assert "Milestones" in text
        assert KEY in text
        assert cells[0] == MILESTONE, "the markdown table is not rendered as a table"
        assert "awaiting approval" in cells[1]  # M1's criteria hold; it waits for the PM's sign-off
        gantt = [rendered["gantt"]]
        assert gantt and gantt[0] > 0, "the milestone timeline chart did not render"
