"""Browser checks of the project manager's cockpit in the Prefect UI after `erpops demo`: a failed milestone's reason
in a 1280 px window, the migration's report links opened from their artifact pages, and a sign-off without a name
refused.

Needs the `chromium` binary (Debian: `apt-get install chromium`) and is skipped without it. The screenshots are kept
under `test-output/screenshots/` at the repository root (`<name>-failure.png` when an expectation failed).
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Download, Locator, Page, Route, expect

from erp_models.enums import MilestoneStatus
from tests.e2e.api_server import running_api
from tests.e2e.browser import browser_page, requires_chromium, screenshot
from tests.e2e.cli import ERPOPS, run_erpops
from tests.e2e.conftest import DemoStack

pytestmark = [pytest.mark.slow, requires_chromium]

WIDTH, HEIGHT = 1280, 900  # a project manager's laptop
WAIT_MS = 45_000  # the UI polls the API: an artifact's versions and content take a while to appear
# The new UI under /v2 (where "/" sends a browser) and the classic one at the root (where Prefect's own links point).
UIS = pytest.mark.parametrize("ui", ["/v2", ""], ids=["v2", "v1"])

# Where an element of the page, or anything in it, sticks out of the window or is cut off by a clipping ancestor.
CLIPPING = """(el, width) => {
    const boxes = [el, ...el.querySelectorAll('*')].map(e => e.getBoundingClientRect()).filter(b => b.width > 0);
    const left = Math.min(...boxes.map(b => b.left)), right = Math.max(...boxes.map(b => b.right));
    const found = left < 0 || right > width ? [`spans ${left}..${right} px of ${width}`] : [];
    if (el.scrollWidth > el.clientWidth) found.push(`overflows itself by ${el.scrollWidth - el.clientWidth} px`);
    for (let a = el.parentElement; a; a = a.parentElement) {
        const box = a.getBoundingClientRect();
        if (getComputedStyle(a).overflowX !== 'visible' && (left < box.left - 1 || right > box.right + 1))
            found.push(`cut off by <${a.tagName.toLowerCase()} class="${a.className}">`);
    }
    return found;
}"""


def ui_name(ui: str, what: str) -> str:
    return f"prefect-ui{'' if ui else '-v1'}-{what}"


def plan_status(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """`erpops plan status --json`: each milestone's verdict and criteria, by code."""
    done = run_erpops("plan", "status", "--json", env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return {m["code"]: m for m in json.loads(done.stdout)["milestones"]}


def open_newest_version(page: Page, base: str, key: str) -> None:
    """Open the page of the newest version of the artifact `key`, as a user finds it: its list of versions first."""
    page.goto(f"{base}/artifacts/key/{key}")
    newest = page.locator('a[href*="/artifacts/artifact/"]').first  # the newest version comes first
    expect(newest).to_be_visible(timeout=WAIT_MS)
    page.goto(newest.evaluate("a => a.href"))


@UIS
def test_a_failed_milestone_shows_its_reason_within_a_1280_px_window(demo_stack: DemoStack, ui: str) -> None:
    failed = sorted(code for code, status in demo_stack.summary["milestones"].items()
                    if status == MilestoneStatus.FAILED)
    assert "M7" in failed  # go-live: the demo's sample data quarantines too many sales orders
    milestones = plan_status(demo_stack.env)
    name = ui_name(ui, "failed-milestone-1280")
    with browser_page(WIDTH, HEIGHT, deadline_s=150, name=name) as page:
        open_newest_version(page, demo_stack.prefect + ui, "milestones")
        for code in failed:  # each one in "Needs attention": code, status, and every criterion that does not hold
            item = page.get_by_role("listitem").filter(has_text=f"{code} {milestones[code]['name']}")
            expect(item).to_be_visible(timeout=WAIT_MS)
            expect(item).to_contain_text(re.compile(r"\bfailed\b", re.IGNORECASE))  # a word: it renders in any font
            for criterion in (c for c in milestones[code]["criteria"] if not c["passed"]):
                expect(item).to_contain_text(criterion["expression"])
            item.scroll_into_view_if_needed()
            expect(item).to_be_in_viewport(ratio=1)
            box = item.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (code, box)
            assert item.evaluate(CLIPPING, WIDTH) == [], code
            status = page.get_by_role("row").filter(has_text=f"{code} {milestones[code]['name']}").get_by_role("cell")
            expect(status.nth(1)).to_have_text(re.compile(r"^\s*failed\s*$", re.IGNORECASE))  # the table says it too
        page.get_by_role("listitem").filter(has_text=f"M7 {milestones['M7']['name']}").scroll_into_view_if_needed()
        screenshot(page, name)


@pytest.fixture(scope="module")
def report_api(demo_stack: DemoStack) -> Iterator[str]:
    """`erpops api` on the port the demo's report links were made for; yields its address."""
    with running_api(demo_stack.env, int(demo_stack.env["ERPOPS_API_PORT"])) as url:
        yield url


@UIS
def test_the_migration_report_links_open_from_the_prefect_ui(demo_stack: DemoStack, report_api: str,
                                                              ui: str) -> None:
    name = ui_name(ui, "report-links")
    signed = re.compile(rf"^{re.escape(report_api)}/reports/s/")
    with browser_page(WIDTH, HEIGHT, deadline_s=150, name=name) as page:
        open_newest_version(page, demo_stack.prefect + ui, "migration-quarantine")
        link = page.get_by_role("link", name="quarantined rows (CSV)")
        expect(link).to_have_attribute("href", signed, timeout=WAIT_MS)
        screenshot(page, ui_name(ui, "migration-quarantine"))
        text = downloaded(page, link).path().read_text(encoding="utf-8-sig")

        open_newest_version(page, demo_stack.prefect + ui, "migration-data-docs")
        link = page.get_by_role("link", name="GX Data Docs of the gates")
        expect(link).to_have_attribute("href", signed, timeout=WAIT_MS)
        screenshot(page, ui_name(ui, "migration-data-docs"))
        online, broken = watch_network(page.context, prefect=demo_stack.prefect, api=report_api)
        docs = followed(page, link)
        expect(docs).to_have_url(re.compile(r"/gx-docs/index\.html$"))
        expect(docs.locator(".navbar")).to_be_visible()
        expect(docs.get_by_role("link", name=re.compile(r"^erpops\.")).first).to_be_visible()  # a script's table
        docs.wait_for_load_state("load")
        styled = docs.evaluate("() => [getComputedStyle(document.body).margin, "
                               "getComputedStyle(document.querySelector('.navbar')).display]")
        screenshot(docs, ui_name(ui, "data-docs"))

    rows = list(csv.DictReader(io.StringIO(text)))
    assert {"entity", "reason", "legacy_key"} <= set(rows[0] if rows else {}), text[:500]
    assert all(row["reason"] for row in rows)  # the sample data's injected defects, each with its reason
    assert styled == ["0px", "flex"]  # bootstrap's reboot and navbar: a browser's defaults are 8px and block
    assert online == []  # the Data Docs are made offline: nothing of theirs comes from the internet
    assert broken == []


def downloaded(page: Page, link: Locator) -> Download:
    """Click `link` and return the download it starts, in this tab or in the one it opens (target=_blank)."""
    downloads: list[Download] = []
    page.on("download", lambda d: downloads.append(d))
    page.context.on("page", lambda tab: tab.on("download", lambda d: downloads.append(d)))
    link.click()
    deadline = time.monotonic() + WAIT_MS / 1000
    while not downloads and time.monotonic() < deadline:
        page.wait_for_timeout(100)  # lets Playwright deliver the events
    assert downloads, "clicking the link started no download"
    return downloads[0]


def followed(page: Page, link: Locator) -> Page:
    """Click `link`; the page it opened: this tab, or a new one when the link has target=_blank."""
    if link.get_attribute("target") == "_blank":
        with page.expect_popup() as popup:
            link.click()
        return popup.value
    link.click()
    return page


def watch_network(context: BrowserContext, *, prefect: str, api: str) -> tuple[list[str], list[str]]:
    """From now on, block the internet (the Prefect UI's own telemetry tries it too) and note the requests to it
    that did not come from the Prefect UI, and the requests to the ERP API that failed or were refused."""
    online: list[str] = []
    broken: list[str] = []

    def offline(route: Route) -> None:
        if not (route.request.header_value("referer") or "").startswith(prefect):
            online.append(route.request.url)
        route.abort("internetdisconnected")

    context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), offline)
    context.on("requestfailed", lambda r: broken.append(f"{r.url}: {r.failure}") if r.url.startswith(api) else None)
    context.on("response", lambda r: broken.append(f"{r.url}: {r.status}")
               if r.url.startswith(api) and r.status >= 400 else None)
    return online, broken


def test_a_sign_off_without_an_approver_is_refused_and_asked_again(demo_stack: DemoStack) -> None:
    assert demo_stack.summary["milestones"]["M1"] == "awaiting_approval"  # its criteria hold: a person signs it off
    api = f"{demo_stack.prefect}/api"
    with gates_in_background(demo_stack.env) as (gates, log):
        run_id = paused_run(api, "sign-off-m1", gates, log)
        run_page = f"{demo_stack.prefect}/v2/runs/flow-run/{run_id}"
        with browser_page(WIDTH, HEIGHT, deadline_s=150, name="prefect-ui-sign-off") as page:
            form = resume_form(page, run_page)
            expect(form).to_contain_text("Sign-off: M1")
            form.get_by_role("button", name="Select Verdict").click()
            page.get_by_role("option", name="approve").click()
            form.get_by_role("button", name="Resume").click()  # the approver left empty
            expect(page.get_by_text(re.compile(r"Validation failed.*'approver'"))).to_be_visible()
            expect(form).to_be_visible()
            screenshot(page, "prefect-ui-sign-off-empty-approver")
            assert paused_run(api, "sign-off-m1", gates, log) == run_id  # still waiting on the first ask

            # Blanks pass the form's minLength; the flow trims the name, refuses it, and asks again, saying why.
            form.get_by_label("Approver").fill("   ")
            form.get_by_role("button", name="Resume").click()
            expect(form).to_be_hidden()
            assert paused_run(api, "sign-off-m1-2", gates, log) == run_id
            form = resume_form(page, run_page)
            expect(form).to_contain_text("Refused: an empty name is refused")
            screenshot(page, "prefect-ui-sign-off-refused")

    assert plan_status(demo_stack.env)["M1"]["status"] == "awaiting_approval"  # no sign-off was recorded


@contextmanager
def gates_in_background(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], IO[str]]]:
    """`erpops plan gates`, whose run pauses for M1's sign-off; stopped when the block ends."""
    log = tempfile.TemporaryFile("w+")  # a file, not a pipe: the process can never block on it
    gates = subprocess.Popen([ERPOPS, "plan", "gates", "--approval-timeout", "300"], env=env,
                             stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        yield gates, log
    finally:
        gates.terminate()
        try:
            gates.wait(timeout=15)
        except subprocess.TimeoutExpired:
            gates.kill()
            gates.wait(timeout=15)
        log.close()


def paused_run(api: str, key: str, gates: subprocess.Popen[str], log: IO[str], timeout_s: float = 120) -> str:
    """The id of the flow run paused under `key`, once there is one."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if gates.poll() is not None:
            log.seek(0)
            raise AssertionError(f"erpops plan gates exited {gates.returncode}: {log.read()[-2000:]}")
        paused = httpx.post(f"{api}/flow_runs/filter", timeout=10,
                            json={"flow_runs": {"state": {"type": {"any_": ["PAUSED"]}}}}).json()
        found = [r["id"] for r in paused if r["state"]["state_details"].get("pause_key") == key]
        if found:
            return str(found[0])
        time.sleep(0.5)
    raise AssertionError(f"no flow run paused under {key!r} within {timeout_s:.0f} s")


def resume_form(page: Page, run_page: str) -> Locator:
    """The Resume dialog of the paused flow run at `run_page` (the new UI), opened from the run's menu."""
    page.goto(run_page)
    page.get_by_role("button", name="Open menu").click()
    page.get_by_role("menuitem", name="Resume").click()
    form = page.get_by_role("dialog")
    expect(form).to_be_visible()
    return form
