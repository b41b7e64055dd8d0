"""Debian's `chromium`, driven headless by Playwright, for the console's browser tests.

Playwright talks to the browser the system installed (`/usr/bin/chromium`,
from `scripts/bootstrap --tests`) through `executable_path`; it never
downloads a browser of its own. A missing chromium fails the test that needs
it, loudly, with the command that installs it. Each test gets a fresh
profile directory, so nothing (storage, cache, permissions) leaks between
tests.

`PageWatch` records what a user would call a broken page: console errors,
uncaught exceptions, requests that failed or answered 4xx/5xx, and any
request to another origin than the service's. `CONTRAST_SCRIPT` lists the
visible text whose contrast against its background is below WCAG AA.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Playwright, Request, Response

from tests.support.paths import REPO_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ARTIFACTS = REPO_ROOT / "test-artifacts" / "console"


def chromium_path() -> str:
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)) and not shutil.which("chromium"):
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/bootstrap --tests` (apt-get install -y chromium)")
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")


def launch(playwright: Playwright, profile_dir: Path, viewport: dict[str, int] = DESKTOP) -> BrowserContext:
    """A headless chromium with a fresh profile in `profile_dir`."""
    return playwright.chromium.launch_persistent_context(
        str(profile_dir), executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS,
        viewport=viewport, device_scale_factor=1, locale="en-US", timezone_id="UTC",
    )


class PageWatch:
    """Everything that went wrong on a page, as lines a failing assertion can print."""

    def __init__(self, page: Page, origin: str) -> None:
        self.origin = origin
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        page.on("request", self._request)
        page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.method} {r.url} ({r.failure})"))
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console error: {message.text}")

    def _request(self, request: Request) -> None:
        self.requests.append(request.url)
        parts = urlsplit(request.url)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.errors.append(f"request to another origin: {request.url}")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.errors.append(f"HTTP {response.status}: {response.request.method} {response.url}")


CONTRAST_SCRIPT = """
() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(",").map(Number.parseFloat);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a >= 0.99) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const low = [];
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    const el = walker.currentNode.parentElement;
    if (!text || seen.has(el)) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || style.visibility === "hidden" || el.closest("[hidden], .visually-hidden, :disabled, dialog:not([open])")) continue;
    const fg = luminance(parse(style.color));
    const bg = luminance(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    const size = Number.parseFloat(style.fontSize);
    const large = size >= 24 || (Number.parseInt(style.fontWeight, 10) >= 700 && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) low.push(`${el.tagName.toLowerCase()}.${el.className} "${text.slice(0, 40)}": ${ratio.toFixed(2)}`);
  }
  return low;
}
"""

# Form controls without a label, and buttons or links without a name a screen reader can say.
UNLABELLED_SCRIPT = """
() => {
  const missing = [];
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden" || el.closest("[hidden]")) continue;
    const named = (el.labels && el.labels.length) || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!named) missing.push(`${el.tagName.toLowerCase()}#${el.id}`);
  }
  for (const el of document.querySelectorAll("button, a[href]")) {
    if (el.closest("[hidden], dialog:not([open])")) continue;
    if (!(el.textContent.trim() || el.getAttribute("aria-label"))) missing.push(`${el.tagName.toLowerCase()}#${el.id}`);
  }
  return missing;
}
"""
