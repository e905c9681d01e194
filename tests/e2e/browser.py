"""Headless Chromium for end-to-end checks of web UIs, driven by Playwright's sync API.

No browser is downloaded: Playwright launches the Chromium (or Chrome) found on PATH (Debian: `apt-get install
chromium`), and a test that needs one is skipped without it. Every wait is bounded: pages get default timeouts, and
a watchdog kills the browser once the whole session's deadline has passed, so a hung page cannot hang the suite.
Screenshots land in `test-output/screenshots/` at the repository root, also when an expectation fails.

Playwright's sync API refuses to run inside a running asyncio event loop; under pytest (pytest-xdist too: each
worker is a separate process, and the tests run in its main thread) a plain `def` test has none, so use this
module from sync tests only.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
NO_CHROMIUM = "no Chromium on PATH: apt-get install chromium (Debian) to run the browser checks"


class BrowserDeadlineError(AssertionError):
    """The browser session outlived its deadline and was killed."""


def find_chromium() -> str | None:
    """Path of a Chromium (or Chrome) binary on PATH, or None."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def require_chromium() -> str:
    """The Chromium binary; skips the calling test when there is none."""
    path = find_chromium()
    if path is None:
        pytest.skip(NO_CHROMIUM)
    return path


requires_chromium = pytest.mark.skipif(find_chromium() is None, reason=NO_CHROMIUM)


def screenshot(page: Page, name: str) -> Path:
    """Save what the page's viewport shows as `test-output/screenshots/<name>.png`; returns the path."""
    path = SCREENSHOTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=path)
    return path


@contextmanager
def browser_page(
    width: int = 1280,
    height: int = 900,
    deadline_s: float = 120,
    timeout_s: float = 30,
    name: str | None = None,
) -> Iterator[Page]:
    """A fresh page of a headless Chromium, `width` x `height` CSS pixels, closed (with its browser) on exit.

    Every Playwright call waits at most `timeout_s` unless given its own timeout; the whole session must end within
    `deadline_s`, else the browser is killed and the call in progress fails. When the body raises (a failed
    `expect`, an assertion, a timeout) and `name` is given, the page is saved as `<name>-failure.png` first.
    """
    if _running_loop():
        raise RuntimeError("browser_page uses Playwright's sync API, which cannot run inside a running asyncio "
                           "loop: call it from a plain `def` test (or use playwright.async_api)")
    executable = require_chromium()
    if name is not None:
        (SCREENSHOTS / f"{name}-failure.png").unlink(missing_ok=True)  # a previous run's evidence would mislead
    timeout_ms = timeout_s * 1000
    expired = threading.Event()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, timeout=timeout_ms)
        watchdog = _watchdog(browser.new_browser_cdp_session().send("SystemInfo.getProcessInfo"), deadline_s, expired)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            context.set_default_timeout(timeout_ms)
            context.set_default_navigation_timeout(timeout_ms)
            page = context.new_page()
            try:
                yield page
            except Exception as exc:
                if name is not None and not expired.is_set():
                    with suppress(PlaywrightError):  # evidence of what the page showed instead, for CI
                        screenshot(page, f"{name}-failure")
                if expired.is_set():
                    raise BrowserDeadlineError(f"the browser session exceeded its {deadline_s:.0f} s deadline "
                                               "and was killed") from exc
                raise
        finally:
            watchdog.cancel()
            with suppress(PlaywrightError):
                browser.close()


def _running_loop() -> bool:
    """Whether an asyncio event loop runs in this thread (an `async def` test's, say)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _watchdog(process_info: dict[str, Any], deadline_s: float,
              expired: threading.Event) -> threading.Timer:
    """A started timer that kills the browser process after `deadline_s`; cancel it when the session ends."""
    pids = [int(str(p["id"])) for p in process_info.get("processInfo", []) if p.get("type") == "browser"]

    def kill() -> None:
        expired.set()
        for pid in pids:
            with suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    timer = threading.Timer(deadline_s, kill)
    timer.daemon = True
    timer.start()
    return timer
