"""Headless Chromium for end-to-end checks of web UIs, driven over the DevTools protocol; no browser package needed.

Chromium's own `--dump-dom --virtual-time-budget=...` flags proved unreliable for Prefect's single-page UI (now and
then the page was dumped before its data had arrived), so a page is opened over the Chrome DevTools Protocol and
polled until the text a test waits for is on screen. Every step has a deadline; the browser's whole process group
is killed when the session ends, whatever happened.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from websockets.exceptions import WebSocketException
from websockets.sync.client import ClientConnection, connect

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WINDOW = (1400, 1000)
RESERVE_S = 5.0  # of a session's time, kept back from waiting, to report a failure and take the screenshot


class BrowserError(AssertionError):
    """The browser could not start, load a page, or show what was expected in time."""


def find_chromium() -> str | None:
    """Path of a Chromium (or Chrome) binary on PATH, or None."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


class Page:
    """One browser tab, reached over its DevTools websocket."""

    def __init__(self, ws: ClientConnection, deadline: float) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self.deadline = deadline

    def _remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise BrowserError("the browser session ran out of time")
        return left

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result; events that arrive meanwhile are dropped."""
        msg_id = next(self._ids)
        try:
            self._ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
            while True:
                message: dict[str, Any] = json.loads(self._ws.recv(timeout=self._remaining()))
                if message.get("id") != msg_id:
                    continue
                if "error" in message:
                    raise BrowserError(f"{method} failed: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
        except (TimeoutError, WebSocketException) as exc:
            raise BrowserError(f"{method}: no answer from the browser ({exc!r})") from exc

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r} raised {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def goto(self, url: str, timeout_s: float = 30) -> None:
        """Load `url` and wait for its load event (a single-page app may still be fetching its data then)."""
        result = self.call("Page.navigate", url=url)
        if result.get("errorText"):
            raise BrowserError(f"could not load {url}: {result['errorText']}")
        self.wait_for("document.readyState === 'complete'", timeout_s, f"the load of {url}")

    def text(self) -> str:
        """What the page shows: the body's rendered text."""
        return str(self.evaluate("document.body ? document.body.innerText : ''"))

    def html(self) -> str:
        """The rendered DOM, serialised (what `chromium --dump-dom` prints)."""
        return str(self.evaluate("document.documentElement ? document.documentElement.outerHTML : ''"))

    def wait_for(self, expression: str, timeout_s: float, what: str) -> Any:
        """Poll a JavaScript expression until it is truthy; returns its value."""
        until = min(self.deadline - RESERVE_S, time.monotonic() + timeout_s)
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() >= until:
                raise BrowserError(f"{what} did not appear within {timeout_s:.0f} s; the page showed:\n"
                                   f"{self.text()[:2000]}")
            time.sleep(0.2)

    def wait_for_text(self, text: str, timeout_s: float) -> str:
        """Wait until the page shows `text`; returns the page's text."""
        self.wait_for(f"document.body && document.body.innerText.includes({json.dumps(text)})", timeout_s, repr(text))
        return self.text()

    def screenshot(self, path: Path) -> Path:
        """Save what the window shows as a PNG."""
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path


@contextmanager
def browser(timeout_s: float = 60, chromium: str | None = None) -> Iterator[Page]:
    """A headless Chromium with one blank tab; everything done with it must finish within `timeout_s`."""
    binary = chromium or find_chromium()
    if binary is None:
        raise BrowserError("no Chromium binary on PATH")
    deadline = time.monotonic() + timeout_s
    with tempfile.TemporaryDirectory(prefix="erpops-chromium-") as profile:
        log = Path(profile, "chromium.log").open("wb")  # a file, not a pipe: chromium is chatty on stderr
        proc = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--window-size={WINDOW[0]},{WINDOW[1]}", "--remote-debugging-port=0", f"--user-data-dir={profile}",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--mute-audio", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            ws_url = _page_websocket(proc, Path(profile), deadline)
            try:
                ws = connect(ws_url, max_size=None, open_timeout=max(0.1, deadline - time.monotonic()))
            except (OSError, TimeoutError, WebSocketException) as exc:
                raise BrowserError(f"could not connect to the browser's tab: {exc!r}") from exc
            with ws:
                page = Page(ws, deadline)
                page.call("Page.enable")
                yield page
        finally:
            _kill(proc)
            log.close()


def render(url: str, screenshot: Path, timeout_s: float = 60, wait_for_text: str | None = None) -> str:
    """Open `url`, wait up to `timeout_s` until it shows `wait_for_text` (if given) and save a screenshot, also when
    the text did not appear; returns the rendered DOM."""
    with browser(timeout_s + 2 * RESERVE_S) as page:
        page.goto(url)
        try:
            if wait_for_text is not None:
                page.wait_for_text(wait_for_text, timeout_s)
        except BrowserError:
            with suppress(BrowserError):
                page.screenshot(screenshot)  # what the page showed instead, for the failure report
            raise
        page.screenshot(screenshot)
        return page.html()


def _page_websocket(proc: subprocess.Popen[bytes], profile: Path, deadline: float) -> str:
    """The DevTools websocket of the browser's first tab, once the browser listens."""
    port_file = profile / "DevToolsActivePort"
    while True:
        if proc.poll() is not None:
            log = (profile / "chromium.log").read_text(errors="replace")[-2000:]
            raise BrowserError(f"chromium exited with code {proc.returncode}: {log}")
        if time.monotonic() > deadline:
            raise BrowserError("chromium did not open its DevTools port in time")
        lines = port_file.read_text().split() if port_file.exists() else []
        if lines:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{lines[0]}/json/list", timeout=2) as answer:
                    targets = json.load(answer)
            except (OSError, urllib.error.URLError, ValueError):
                targets = []
            pages = [t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page"]
            if pages:
                return str(pages[0])
        time.sleep(0.05)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """End the browser and every helper process it started (they share its process group)."""
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
